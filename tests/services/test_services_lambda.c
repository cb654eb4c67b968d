/* test_services_lambda.c - the custom-runtime loop against the Runtime API
 * emulator: success, handler error, init error, unknown handler, deadline,
 * several invocations in one process, trace id propagation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "services/lambda_loop.h"
#include "testutil.h"

#include <fcntl.h>
#include <jansson.h>
#include <unistd.h>

typedef struct emu {
    char *dir;
    pid_t pid;
    char api[64];
    char log[512];
} emu;

static void emu_start(emu *e, const char *events, int deadline_ms)
{
    e->dir = tu_tempdir("lambda");
    assert_non_null(e->dir);
    char evpath[512], portfile[512], deadline[32];
    snprintf(evpath, sizeof evpath, "%s/events.jsonl", e->dir);
    snprintf(portfile, sizeof portfile, "%s/port", e->dir);
    snprintf(e->log, sizeof e->log, "%s/log.jsonl", e->dir);
    snprintf(deadline, sizeof deadline, "%d", deadline_ms);
    assert_int_equal(tu_write_file(evpath, events), 0);
    char *bin = tu_build_path("tools/lambda_emulator/rnr-lambda-emulator");
    char *argv[] = {bin,     "--events", evpath,          "--port-file", portfile,
                    "--log", e->log,     "--deadline-ms", deadline,      NULL};
    char out[600];
    snprintf(out, sizeof out, "%s/emulator.out", e->dir);
    e->pid = tu_spawn(argv, out);
    free(bin);
    int port = tu_wait_port_file(portfile, 5000);
    assert_true(port > 0);
    snprintf(e->api, sizeof e->api, "127.0.0.1:%d", port);
}

/* The emulator's records of one kind, as a JSON array (caller decrefs). */
static json_t *emu_records(emu *e, const char *kind)
{
    json_t *out = json_array();
    char *text = tu_read_file(e->log, NULL);
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        json_t *r = json_loads(line, 0, NULL);
        if (r && strcmp(json_string_value(json_object_get(r, "kind")), kind) == 0)
            json_array_append(out, r);
        json_decref(r);
    }
    free(text);
    return out;
}

static void emu_stop(emu *e)
{
    tu_stop(e->pid);
    tu_rmrf(e->dir);
    free(e->dir);
}

static int echo_invoke(void *ctx, const lambda_invocation *inv, char **result, rnr_error *err)
{
    (void)ctx, (void)err;
    json_t *ev = json_loads(inv->event, 0, NULL);
    json_t *o = json_pack("{s:s, s:o, s:s, s:I}", "status", "ok", "event", ev ? ev : json_null(),
                          "trace", getenv("_X_AMZN_TRACE_ID") ? getenv("_X_AMZN_TRACE_ID") : "",
                          "remaining_ms", (json_int_t)lambda_remaining_ms(inv));
    *result = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return RNR_OK;
}

static int failing_invoke(void *ctx, const lambda_invocation *inv, char **result, rnr_error *err)
{
    (void)ctx, (void)result;
    if (strstr(inv->event, "\"fail\""))
        return rnr_error_set(err, RNR_ERR_TRANSIENT, "NWS API unreachable: connection refused");
    return echo_invoke(ctx, inv, result, err);
}

static int broken_init(void **ctx, rnr_error *err)
{
    (void)ctx;
    return rnr_error_set(err, RNR_ERR_CONFIG, "RABBITMQ_ENDPOINT is not set");
}

/* A handler that logs at each level, as the real ones do. */
static int chatty_invoke(void *ctx, const lambda_invocation *inv, char **result, rnr_error *err)
{
    log_debug("handler", "debug detail");
    log_event(LOG_INFO, "handler", "work", "working on {n} items", LOG_INT("n", 3));
    log_event(LOG_WARN, "handler", "slow", "slow: {ms} ms", LOG_INT("ms", 1500));
    return echo_invoke(ctx, inv, result, err);
}

static const lambda_handler handlers[] = {
    {"chatty", NULL, chatty_invoke, NULL},
    {"echo", NULL, echo_invoke, NULL},
    {"flaky", NULL, failing_invoke, NULL},
    {"broken", broken_init, echo_invoke, NULL},
};

static int run_loop(emu *e, const char *handler, int max, lambda_loop_stats *st, rnr_error *err)
{
    lambda_loop_opts o = {e->api, handler, max, time_mono_ms()};
    return lambda_loop_run(handlers, sizeof handlers / sizeof handlers[0], &o, st, err);
}

static void test_several_invocations(void **state)
{
    (void)state;
    emu e;
    emu_start(&e, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n", 30000);
    lambda_loop_stats st;
    rnr_error err;
    assert_int_equal(run_loop(&e, "echo", 3, &st, &err), RNR_OK);
    assert_int_equal(st.invocations, 3);
    assert_int_equal(st.failures, 0);
    json_t *resp = emu_records(&e, "response");
    assert_int_equal(json_array_size(resp), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *r = json_array_get(resp, i);
        assert_true(json_is_true(json_object_get(r, "valid")));
        json_t *body = json_object_get(r, "body");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(body, "event"), "n")),
                         (int)i + 1);
        assert_string_equal(json_string_value(json_object_get(body, "status")), "ok");
        /* the trace id of the invocation reached the handler's environment */
        assert_non_null(strstr(json_string_value(json_object_get(body, "trace")), "Root=1-"));
        /* the deadline header reached the handler: about 30 s left */
        json_int_t left = json_integer_value(json_object_get(body, "remaining_ms"));
        assert_true(left > 20000 && left <= 30000);
    }
    json_decref(resp);
    assert_null(getenv("_X_AMZN_TRACE_ID"));
    emu_stop(&e);
}

static void test_handler_error(void **state)
{
    (void)state;
    emu e;
    emu_start(&e, "{\"n\":1}\n{\"fail\":true}\n{\"n\":3}\n", 30000);
    lambda_loop_stats st;
    rnr_error err;
    assert_int_equal(run_loop(&e, "flaky", 3, &st, &err), RNR_OK);
    assert_int_equal(st.failures, 1);
    json_t *errs = emu_records(&e, "error");
    assert_int_equal(json_array_size(errs), 1);
    json_t *r = json_array_get(errs, 0);
    assert_true(json_is_true(json_object_get(r, "valid")));
    assert_string_equal(json_string_value(json_object_get(r, "error_type_header")), "Unhandled");
    json_t *body = json_object_get(r, "body");
    assert_string_equal(json_string_value(json_object_get(body, "errorType")), "rnr.transient");
    assert_non_null(
        strstr(json_string_value(json_object_get(body, "errorMessage")), "unreachable"));
    json_decref(errs);
    json_t *resp = emu_records(&e, "response");
    assert_int_equal(json_array_size(resp), 2); /* the loop went on after the failure */
    json_decref(resp);
    emu_stop(&e);
}

/* An event over Lambda's 6 MiB payload limit is posted back as that
 * invocation's error, and the runtime goes on with the next event. */
static void test_event_too_large(void **state)
{
    (void)state;
    size_t big = (6u << 20) + 1024;
    char *events = malloc(big + 64);
    assert_non_null(events);
    strcpy(events, "{\"pad\":\"");
    size_t o = strlen(events);
    memset(events + o, 'x', big);
    strcpy(events + o + big, "\"}\n{\"n\":2}\n");
    emu e;
    emu_start(&e, events, 30000);
    free(events);
    lambda_loop_stats st;
    rnr_error err;
    assert_int_equal(run_loop(&e, "echo", 2, &st, &err), RNR_OK);
    assert_int_equal(st.invocations, 2);
    assert_int_equal(st.failures, 1);
    json_t *errs = emu_records(&e, "error");
    assert_int_equal(json_array_size(errs), 1);
    json_t *body = json_object_get(json_array_get(errs, 0), "body");
    assert_string_equal(json_string_value(json_object_get(body, "errorType")), "rnr.limit");
    assert_non_null(
        strstr(json_string_value(json_object_get(body, "errorMessage")), "larger than"));
    json_decref(errs);
    json_t *resp = emu_records(&e, "response");
    assert_int_equal(json_array_size(resp), 1);
    json_decref(resp);
    emu_stop(&e);
}

static void test_init_error(void **state)
{
    (void)state;
    emu e;
    emu_start(&e, "{\"n\":1}\n", 30000);
    lambda_loop_stats st;
    rnr_error err;
    assert_int_equal(run_loop(&e, "broken", 1, &st, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "RABBITMQ_ENDPOINT"));
    assert_int_equal(st.invocations, 0);
    json_t *ie = emu_records(&e, "init_error");
    assert_int_equal(json_array_size(ie), 1);
    json_t *body = json_object_get(json_array_get(ie, 0), "body");
    assert_string_equal(json_string_value(json_object_get(body, "errorType")), "rnr.init.config");
    assert_true(json_is_true(json_object_get(json_array_get(ie, 0), "valid")));
    json_decref(ie);
    json_t *next = emu_records(&e, "next");
    assert_int_equal(json_array_size(next), 0); /* no invocation is taken after a failed init */
    json_decref(next);
    emu_stop(&e);
}

static void test_unknown_handler(void **state)
{
    (void)state;
    emu e;
    emu_start(&e, "{}\n", 30000);
    lambda_loop_stats st;
    rnr_error err;
    assert_int_equal(run_loop(&e, "nosuch", 1, &st, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "nosuch"));
    json_t *ie = emu_records(&e, "init_error");
    assert_int_equal(json_array_size(ie), 1);
    json_decref(ie);
    emu_stop(&e);
}

static void test_deadline_visible(void **state)
{
    (void)state;
    emu e;
    emu_start(&e, "{}\n", 1500);
    lambda_loop_stats st;
    rnr_error err;
    assert_int_equal(run_loop(&e, "echo", 1, &st, &err), RNR_OK);
    json_t *resp = emu_records(&e, "response");
    json_int_t left = json_integer_value(
        json_object_get(json_object_get(json_array_get(resp, 0), "body"), "remaining_ms"));
    assert_true(left > 0 && left <= 1500);
    json_decref(resp);
    emu_stop(&e);
}

static void test_runtime_api_gone(void **state)
{
    (void)state;
    lambda_loop_stats st;
    rnr_error err;
    lambda_loop_opts o = {"127.0.0.1:1", "echo", 1, time_mono_ms()};
    assert_int_equal(lambda_loop_run(handlers, 3, &o, &st, &err), RNR_ERR_TRANSIENT);
    assert_non_null(strstr(err.msg, "runtime API"));
}

/* Run n invocations of handler with stderr captured; returns it. */
static char *run_captured(const char *handler, const char *events, int n)
{
    emu e;
    emu_start(&e, events, 30000);
    char path[600];
    snprintf(path, sizeof path, "%s/stderr", e.dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    lambda_loop_stats st;
    rnr_error err;
    int rc = run_loop(&e, handler, n, &st, &err);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    assert_int_equal(rc, RNR_OK);
    assert_int_equal(st.invocations, n);
    char *out = tu_read_file(path, NULL);
    assert_non_null(out);
    emu_stop(&e);
    return out;
}

static void lambda_log_env(const char *format, const char *level)
{
    unsetenv("RNR_LOG_FORMAT");
    unsetenv("RNR_LOG_LEVEL");
    format ? setenv("AWS_LAMBDA_LOG_FORMAT", format, 1) : unsetenv("AWS_LAMBDA_LOG_FORMAT");
    level ? setenv("AWS_LAMBDA_LOG_LEVEL", level, 1) : unsetenv("AWS_LAMBDA_LOG_LEVEL");
    log_set_level(LOG_INFO);
    log_init();
}

/* AWS_LAMBDA_LOG_FORMAT=JSON: every line the runtime loop and the handler
 * write is one JSON record with Lambda's timestamp key, the level, the
 * invocation's request id and trace id; AWS_LAMBDA_LOG_LEVEL filters. */
static void test_lambda_json_logs(void **state)
{
    (void)state;
    lambda_log_env("JSON", "INFO");
    char *out = run_captured("chatty", "{\"n\":1}\n{\"n\":2}\n", 2);
    int lines = 0, handler_lines = 0;
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        lines++;
        json_t *j = json_loads(line, 0, NULL);
        if (!j)
            fail_msg("not one JSON record: %s", line);
        assert_non_null(json_string_value(json_object_get(j, "timestamp")));
        assert_null(json_object_get(j, "ts"));
        const char *level = json_string_value(json_object_get(j, "level"));
        assert_non_null(level);
        assert_string_not_equal(level, "debug");
        const char *comp = json_string_value(json_object_get(j, "component"));
        if (strcmp(comp, "handler") == 0 ||
            strcmp(json_string_value(json_object_get(j, "event")), "invocation") == 0) {
            handler_lines += strcmp(comp, "handler") == 0;
            const char *req = json_string_value(json_object_get(j, "request_id"));
            const char *trace = json_string_value(json_object_get(j, "trace_id"));
            assert_non_null(req);
            assert_non_null(trace);
            /* the emulator numbers its requests and traces alike */
            int rn = 0, tn = 0;
            assert_int_equal(sscanf(req, "req-%d-", &rn), 1);
            assert_int_equal(sscanf(trace, "Root=1-5f84c7a1-%d;", &tn), 1);
            assert_int_equal(rn, tn);
        }
        json_decref(j);
    }
    assert_int_equal(handler_lines, 4);
    assert_true(lines >= 6);
    free(out);

    lambda_log_env("JSON", "WARN");
    out = run_captured("chatty", "{\"n\":1}\n", 1);
    assert_int_equal(tu_count(out, "\n"), 1);
    assert_non_null(strstr(out, "\"level\":\"warn\""));
    assert_non_null(strstr(out, "\"event\":\"slow\""));
    free(out);

    /* Text, Lambda's default: lines as in a terminal, trace id included */
    lambda_log_env(NULL, NULL);
    out = run_captured("chatty", "{\"n\":1}\n", 1);
    assert_null(strchr(out, '{'));
    assert_non_null(strstr(
        out,
        "[handler] working on 3 items request_id=req-0001-8f1c2d3e trace_id=Root=1-5f84c7a1-"));
    free(out);
}

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_several_invocations), cmocka_unit_test(test_handler_error),
        cmocka_unit_test(test_lambda_json_logs),    cmocka_unit_test(test_init_error),
        cmocka_unit_test(test_event_too_large),     cmocka_unit_test(test_unknown_handler),
        cmocka_unit_test(test_deadline_visible),    cmocka_unit_test(test_runtime_api_gone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
