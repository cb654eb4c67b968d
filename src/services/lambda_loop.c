/* lambda_loop.c - the custom-runtime loop: next, dispatch, respond. */
#include "services/lambda_loop.h"

#include "core/log.h"
#include "core/timeutil.h"
#include "ports/backends.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t lambda_remaining_ms(const lambda_invocation *inv)
{
    if (inv->deadline_ms <= 0)
        return INT64_MAX / 2;
    return inv->deadline_ms - time_now_ms();
}

static const lambda_handler *find_handler(const lambda_handler *hs, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(hs[i].name, name) == 0)
            return &hs[i];
    return NULL;
}

static int report_init_failure(rnr_invocations *rt, const rnr_error *cause, rnr_error *err)
{
    char type[64];
    snprintf(type, sizeof type, "rnr.init.%s", rnr_code_name(cause->code));
    log_error("lambda", "init failed: %s", cause->msg);
    rnr_error ignored;
    if (invocations_init_error(rt, type, cause->msg, &ignored) != RNR_OK)
        log_error("lambda", "could not report the init error: %s", ignored.msg);
    *err = *cause;
    return cause->code;
}

/* One invocation: returns the handler's time in ms through *handler_ms. */
static int serve_one(rnr_invocations *rt, const lambda_handler *h, void *ctx,
                     lambda_invocation *inv, lambda_loop_stats *st, int64_t *handler_ms,
                     rnr_error *err)
{
    log_set_trace_id(inv->trace_id[0] ? inv->trace_id : NULL);
    if (inv->trace_id[0])
        setenv("_X_AMZN_TRACE_ID", inv->trace_id, 1);
    else
        unsetenv("_X_AMZN_TRACE_ID");
    log_context_set("request_id", inv->request_id);
    log_event(LOG_INFO, "lambda", "invocation",
              "invocation {request_id} handler={handler} remaining_ms={remaining_ms}",
              LOG_STR("request_id", inv->request_id), LOG_STR("handler", h->name),
              LOG_INT("remaining_ms", lambda_remaining_ms(inv)));
    char *result = NULL;
    rnr_error herr = {0};
    int64_t t0 = time_mono_ms();
    int rc = h->invoke(ctx, inv, &result, &herr);
    *handler_ms = time_mono_ms() - t0;
    int prc;
    if (rc == RNR_OK) {
        prc =
            invocations_respond(rt, inv->request_id, result ? result : "{\"status\":\"ok\"}", err);
    } else {
        char type[64];
        snprintf(type, sizeof type, "rnr.%s", rnr_code_name(rc));
        log_event(LOG_ERROR, "lambda", "invocation_failed",
                  "invocation {request_id} failed: {error}", LOG_STR("request_id", inv->request_id),
                  LOG_STR("error", herr.msg), LOG_INT("duration_ms", *handler_ms));
        st->failures++;
        prc = invocations_fail(rt, inv->request_id, type,
                               herr.msg[0] ? herr.msg : rnr_code_name(rc), err);
    }
    free(result);
    /* The ids belong to this invocation only. */
    log_context_set("request_id", NULL);
    log_set_trace_id(NULL);
    unsetenv("_X_AMZN_TRACE_ID");
    return prc;
}

int lambda_loop_run(const lambda_handler *handlers, size_t n, const lambda_loop_opts *o,
                    lambda_loop_stats *stats, rnr_error *err)
{
    memset(stats, 0, sizeof *stats);
    rnr_invocations *rt;
    int rc = backend_open_invocations(o->api, &rt, err);
    if (rc != RNR_OK)
        return rc;
    const lambda_handler *h = find_handler(handlers, n, o->handler);
    void *ctx = NULL;
    rnr_error ierr = {0};
    if (!h) {
        rnr_error_set(&ierr, RNR_ERR_CONFIG, "_HANDLER '%s' is not one of the rnr handlers",
                      o->handler ? o->handler : "");
        rc = report_init_failure(rt, &ierr, err);
    } else if (h->init && (rc = h->init(&ctx, &ierr)) != RNR_OK) {
        rc = report_init_failure(rt, &ierr, err);
    }
    double overhead_total = 0;
    while (rc == RNR_OK && (o->max_invocations <= 0 || stats->invocations < o->max_invocations)) {
        lambda_invocation inv;
        if (stats->invocations == 0)
            stats->init_ms = time_mono_ms() - o->process_start_ms;
        rc = invocations_next(rt, &inv, err);
        if (rc == RNR_ERR_LIMIT) { /* already reported to the runtime API */
            log_error("lambda", "%s", err->msg);
            stats->invocations++;
            stats->failures++;
            rc = RNR_OK;
            continue;
        }
        if (rc != RNR_OK)
            break;
        int64_t t0 = time_mono_ms(), handler_ms = 0;
        rc = serve_one(rt, h, ctx, &inv, stats, &handler_ms, err);
        overhead_total += (double)(time_mono_ms() - t0 - handler_ms);
        stats->invocations++;
        lambda_invocation_clear(&inv);
    }
    if (stats->invocations)
        stats->overhead_ms = overhead_total / stats->invocations;
    if (h && h->fini && ctx)
        h->fini(ctx);
    invocations_free(rt);
    return rc;
}
