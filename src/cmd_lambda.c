/* cmd_lambda.c - `rnr lambda`: the AWS Lambda custom runtime (also what
 * rnr does when started as `bootstrap`).
 *
 * Handlers, chosen by _HANDLER: producer, autoscaler, postprocess (one
 * cycle of the service per invocation, backends opened once in init and
 * reused while the sandbox lives) and echo (answers the event back: a
 * wiring check that needs no configuration). Backends must be named
 * explicitly: a Lambda sandbox's disk is private and short-lived, so the
 * embedded defaults would silently lose the dedup state and the queue. */
#include "command.h"

#include "ports/backends.h"
#include "core/envutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "services/autoscaler.h"
#include "services/config.h"
#include "services/lambda_loop.h"
#include "services/postprocess.h"
#include "services/producer.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MARGIN_MS 5000

typedef struct lambda_ctx {
    rnr_config cfg; /* loaded: a ctx exists only once ctx_new succeeded */
    int64_t margin_ms;
    producer *prod;
    postprocess *pp;
    rnr_queue *queue;
    rnr_fleet *fleet;
    rnr_metrics *metrics;
    autoscaler *as;
} lambda_ctx;

static void ctx_free(void *p)
{
    lambda_ctx *c = p;
    if (!c)
        return;
    if (c->prod)
        producer_free(c->prod);
    if (c->pp)
        postprocess_free(c->pp);
    if (c->as)
        autoscaler_free(c->as);
    if (c->queue)
        queue_free(c->queue);
    if (c->fleet)
        fleet_free(c->fleet);
    if (c->metrics)
        metrics_free(c->metrics);
    config_clear(&c->cfg);
    free(c);
}

static int env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

/* The queue and the cache must come from the environment (see the top). */
static int require_backends(int need_cache, rnr_error *err)
{
    if (!env_set("RNR_QUEUE_URL") && !env_set("RABBITMQ_ENDPOINT"))
        return rnr_error_set(err, RNR_ERR_CONFIG,
                             "no queue configured: set RABBITMQ_ENDPOINT (or RNR_QUEUE_URL)");
    if (need_cache && !env_set("RNR_CACHE_URL") && !env_set("REDIS_HOST"))
        return rnr_error_set(err, RNR_ERR_CONFIG,
                             "no dedup cache configured: set REDIS_HOST (or RNR_CACHE_URL)");
    return RNR_OK;
}

static int ctx_new(lambda_ctx **out, rnr_error *err)
{
    lambda_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return rnr_error_set(err, RNR_ERR_NOMEM, "lambda: out of memory");
    long margin;
    int rc = env_long("RNR_LAMBDA_MARGIN_MS", DEFAULT_MARGIN_MS, 0, 600000, &margin, err);
    if (rc != RNR_OK) {
        free(c);
        return rc;
    }
    c->margin_ms = margin;
    rc = config_load(&c->cfg, err);
    if (rc != RNR_OK) {
        free(c);
        return rc;
    }
    char desc[1024];
    config_describe(&c->cfg, desc, sizeof desc);
    log_info("lambda", "config %s", desc);
    *out = c;
    return RNR_OK;
}

/* The JSON text of o (stolen), or RNR_ERR_NOMEM. */
static int dump_result(json_t *o, char **result, rnr_error *err)
{
    *result = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return *result ? RNR_OK : rnr_error_set(err, RNR_ERR_NOMEM, "lambda: out of memory");
}

static const char *trace_or_empty(void)
{
    const char *t = getenv("_X_AMZN_TRACE_ID");
    return t ? t : "";
}

/* ---- producer ---- */

static int producer_init(void **out, rnr_error *err)
{
    lambda_ctx *c;
    int rc = require_backends(1, err);
    if (rc == RNR_OK)
        rc = ctx_new(&c, err);
    if (rc != RNR_OK)
        return rc;
    if ((rc = producer_new(&c->cfg, &c->prod, err)) != RNR_OK) {
        ctx_free(c);
        return rc;
    }
    *out = c;
    return RNR_OK;
}

static const char *producer_status(const producer_counts *n)
{
    if (n->failed)
        return "partial";
    if (n->deferred)
        return "deferred";
    return "ok";
}

static int producer_invoke(void *p, const lambda_invocation *inv, char **result, rnr_error *err)
{
    lambda_ctx *c = p;
    int64_t deadline = inv->deadline_ms > 0 ? inv->deadline_ms - c->margin_ms : 0;
    if (inv->deadline_ms > 0 && deadline <= 0)
        deadline = 1; /* a deadline in the past, not "none" */
    producer_counts n = {0};
    int rc = producer_cycle(c->prod, deadline, &n, err);
    if (rc != RNR_OK)
        return rc;
    log_info("lambda", "producer seen=%d new=%d published=%d failed=%d deferred=%d", n.seen,
             n.new_products, n.published, n.failed, n.deferred);
    json_t *o = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:s}", "status", producer_status(&n),
                          "seen", n.seen, "new", n.new_products, "published", n.published, "failed",
                          n.failed, "deferred", n.deferred, "trace_id", trace_or_empty());
    return dump_result(o, result, err);
}

/* ---- autoscaler ---- */

/* On Lambda the metrics go to CloudWatch unless RNR_METRICS_URL names
 * another sink (the config's default, log:, is for one machine). */
static int open_metrics(const rnr_config *cfg, rnr_metrics **out, rnr_error *err)
{
    const char *url = cfg->metrics_url;
    if (!env_set("RNR_METRICS_URL") || strncmp(url, "cloudwatch:", 11) == 0)
        return backend_open_metrics("cloudwatch:", out, err);
    return backend_open_metrics(url, out, err);
}

static int autoscaler_init(void **out, rnr_error *err)
{
    lambda_ctx *c;
    int rc = require_backends(0, err);
    if (rc == RNR_OK)
        rc = ctx_new(&c, err);
    if (rc != RNR_OK)
        return rc;
    if (!c->cfg.ecs_cluster || !*c->cfg.ecs_cluster || !c->cfg.ecs_service || !*c->cfg.ecs_service)
        rc = rnr_error_set(err, RNR_ERR_CONFIG,
                           "autoscaler needs ECS_CLUSTER_NAME and ECS_SERVICE_NAME");
    if (rc == RNR_OK)
        rc = backend_open_queue(c->cfg.queue_url, c->cfg.queue_name, &c->queue, err);
    if (rc == RNR_OK)
        rc = backend_open_fleet(c->cfg.ecs_cluster, c->cfg.ecs_service, &c->fleet, err);
    if (rc == RNR_OK)
        rc = open_metrics(&c->cfg, &c->metrics, err);
    if (rc == RNR_OK)
        rc = autoscaler_new(c->queue, c->fleet, c->metrics, &c->cfg, NULL, &c->as, err);
    if (rc != RNR_OK) {
        ctx_free(c);
        return rc;
    }
    *out = c;
    return RNR_OK;
}

static int autoscaler_invoke(void *p, const lambda_invocation *inv, char **result, rnr_error *err)
{
    (void)inv;
    lambda_ctx *c = p;
    autoscaler_result r = {0};
    int rc = autoscaler_evaluate(c->as, time_now(), &r, err);
    if (rc != RNR_OK)
        return rc;
    json_t *o = json_pack("{s:s, s:I, s:I, s:i, s:b, s:s}", "status", "ok", "depth",
                          (json_int_t)r.depth, "dead", (json_int_t)r.dead, "running", r.running,
                          "applied", r.applied, "trace_id", trace_or_empty());
    return dump_result(o, result, err);
}

/* ---- postprocess ---- */

static int postprocess_init(void **out, rnr_error *err)
{
    lambda_ctx *c;
    int rc = ctx_new(&c, err);
    if (rc != RNR_OK)
        return rc;
    if (!env_set("RNR_STORE_URL") && !env_set("APP_BUCKET_NAME"))
        rc = rnr_error_set(err, RNR_ERR_CONFIG,
                           "no output store configured: set APP_BUCKET_NAME (or RNR_STORE_URL)");
    if (rc == RNR_OK)
        rc = postprocess_new(&c->cfg, &c->pp, err);
    if (rc != RNR_OK) {
        ctx_free(c);
        return rc;
    }
    *out = c;
    return RNR_OK;
}

static int postprocess_invoke(void *p, const lambda_invocation *inv, char **result, rnr_error *err)
{
    (void)inv;
    lambda_ctx *c = p;
    postprocess_counts n = {0};
    int rc = postprocess_run(c->pp, time_now(), &n, err);
    if (rc != RNR_OK)
        return rc;
    json_t *o = json_pack("{s:s, s:i, s:i, s:i, s:s, s:s, s:s}", "status",
                          n.csv_key[0] ? "ok" : "nothing new", "listed", n.listed, "new_files",
                          n.new_files, "rows", n.rows, "csv_key", n.csv_key, "geojson_key",
                          n.geojson_key, "trace_id", trace_or_empty());
    return dump_result(o, result, err);
}

/* ---- echo ---- */

static int echo_invoke(void *p, const lambda_invocation *inv, char **result, rnr_error *err)
{
    (void)p;
    json_error_t je;
    json_t *ev = json_loads(inv->event ? inv->event : "null", JSON_DECODE_ANY, &je);
    if (!ev)
        ev = json_string(inv->event ? inv->event : "");
    json_t *o = json_pack("{s:s, s:o, s:s, s:s}", "status", "ok", "event", ev, "request_id",
                          inv->request_id, "trace_id", trace_or_empty());
    return dump_result(o, result, err);
}

static const lambda_handler handlers[] = {
    {"producer", producer_init, producer_invoke, ctx_free},
    {"autoscaler", autoscaler_init, autoscaler_invoke, ctx_free},
    {"postprocess", postprocess_init, postprocess_invoke, ctx_free},
    {"echo", NULL, echo_invoke, NULL},
};

static int lambda_run(int argc, char **argv)
{
    int64_t start = time_mono_ms();
    lambda_loop_opts o = {.api = getenv("AWS_LAMBDA_RUNTIME_API"),
                          .handler = getenv("_HANDLER"),
                          .process_start_ms = start};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max-invocations") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 1000000)
                return cmd_usage_error("lambda", "--max-invocations wants a count, not '%s'",
                                       argv[i]);
            o.max_invocations = (int)v;
        } else if (strcmp(argv[i], "--handler") == 0 && i + 1 < argc) {
            o.handler = argv[++i];
        } else {
            return cmd_usage_error("lambda", "unknown argument '%s'", argv[i]);
        }
    }
    if (!o.api || !*o.api) {
        /* Without the API there is nobody to report an init error to. */
        fprintf(stderr,
                "rnr lambda: AWS_LAMBDA_RUNTIME_API is not set (not running under Lambda?)\n");
        return 1;
    }
    lambda_loop_stats st;
    rnr_error err = {0};
    int rc = lambda_loop_run(handlers, sizeof handlers / sizeof handlers[0], &o, &st, &err);
    log_info("lambda", "exit handler=%s init_ms=%lld invocations=%d failures=%d overhead_ms=%.3f",
             o.handler ? o.handler : "", (long long)st.init_ms, st.invocations, st.failures,
             st.overhead_ms);
    if (rc != RNR_OK) {
        log_fatal("lambda", "%s", err.msg);
        return 1;
    }
    return 0;
}

const rnr_command cmd_lambda = {
    "lambda",
    "serve producer/autoscaler/postprocess as an AWS Lambda custom runtime",
    "usage: rnr lambda [--handler NAME] [--max-invocations N]\n"
    "       bootstrap               (rnr installed under that name runs `rnr lambda`)\n"
    "\n"
    "Serves invocations from the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API\n"
    "with the handler named by $_HANDLER (or --handler):\n"
    "  producer     one producer cycle per invocation; stops publishing\n"
    "               RNR_LAMBDA_MARGIN_MS (default 5000) before the deadline\n"
    "  autoscaler   one autoscaler evaluation (queue depth, ECS fleet,\n"
    "               CloudWatch BacklogPerTask / DeadLetterDepth)\n"
    "  postprocess  one post-process run (inundation CSV and GeoJSON)\n"
    "  echo         answers each event back: a wiring check, no configuration\n"
    "\n"
    "Configuration is the services' environment (RABBITMQ_ENDPOINT, REDIS_HOST,\n"
    "APP_BUCKET_NAME, ... or RNR_QUEUE_URL, RNR_CACHE_URL, RNR_STORE_URL); the\n"
    "queue (and for the producer the cache) must be set explicitly. An init\n"
    "failure is reported to /runtime/init/error and ends the process (exit 1).\n"
    "The state directory (RNR_STATE_DIR) defaults to /tmp/rnr-state: on Lambda\n"
    "only /tmp is writable (the task directory, also the cwd, is read-only).\n"
    "--max-invocations N stops after N invocations (tests; 0 = forever).\n",
    lambda_run,
};
