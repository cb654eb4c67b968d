/* cmd_worker.c - `rnr worker`: run the RnR worker until stopped (or, with
 * --once, until the queue is empty). Owns the process's only mutable
 * global: the flag SIGTERM/SIGINT raise. */
#include "command.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "core/log.h"
#include "services/config.h"
#include "services/worker.h"
#include "services/worker_http.h"

static volatile sig_atomic_t worker_stop_flag;

static void worker_on_signal(int sig)
{
    (void)sig;
    worker_stop_flag = 1;
}

static int install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = worker_on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

typedef struct worker_flags {
    int once, max_messages, idle_exit_s;
    const char *stats_file, *state_dir, *queue, *store, *hydrofabric, *http;
} worker_flags;

static int parse_count(const char *flag, const char *v, int *out)
{
    char *end = NULL;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : -1;
    if (!v || errno || end == v || *end || n < 0 || n > INT_MAX)
        return cmd_usage_error("worker", "%s needs a non-negative integer, got \"%s\"", flag,
                               v ? v : "");
    *out = (int)n;
    return 0;
}

static int parse_flags(int argc, char **argv, worker_flags *f)
{
    memset(f, 0, sizeof *f);
    f->idle_exit_s = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = cmd_flag_name(argv[i]), *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **str = !strcmp(a, "--stats-file")    ? &f->stats_file
                           : !strcmp(a, "--state-dir")   ? &f->state_dir
                           : !strcmp(a, "--queue-url")   ? &f->queue
                           : !strcmp(a, "--store-url")   ? &f->store
                           : !strcmp(a, "--hydrofabric") ? &f->hydrofabric
                           : !strcmp(a, "--http")        ? &f->http
                                                         : NULL;
        if (!strcmp(a, "--once")) {
            f->once = 1;
        } else if (str) {
            if (!v || !*v)
                return cmd_usage_error("worker", "%s needs a value", argv[i]);
            *str = v;
            i++;
        } else if (!strcmp(a, "--max-messages") || !strcmp(a, "--idle-exit")) {
            if (parse_count(a, v, a[2] == 'm' ? &f->max_messages : &f->idle_exit_s))
                return 2;
            i++;
        } else {
            return cmd_usage_error("worker", "unknown argument \"%s\"", argv[i]);
        }
    }
    return 0;
}

static int apply_flags(const worker_flags *f, rnr_config *c)
{
    int rc = 0;
    if (f->queue)
        rc |= config_set(&c->queue_url, f->queue);
    if (f->store)
        rc |= config_set(&c->store_url, f->store);
    if (f->hydrofabric)
        rc |= config_set(&c->hydrofabric_path, f->hydrofabric);
    return rc;
}

/* With --http the worker needs a health file and a stats file for its
 * endpoint to read: default both into the state directory. */
static int http_files(const worker_flags *f, rnr_config *c, char *stats, size_t n)
{
    if (!c->health_file) {
        char hf[1024];
        snprintf(hf, sizeof hf, "%s/worker-%ld.health", c->state_dir, (long)getpid());
        if (config_set(&c->health_file, hf) != 0)
            return -1;
    }
    if (f->stats_file)
        snprintf(stats, n, "%s", f->stats_file);
    else
        snprintf(stats, n, "%s/worker-%ld.stats.json", c->state_dir, (long)getpid());
    FILE *h = fopen(c->health_file, "a"); /* fresh while the worker starts */
    if (h)
        fclose(h);
    return 0;
}

static int worker_main(int argc, char **argv)
{
    worker_flags f;
    if (parse_flags(argc, argv, &f))
        return 2;
    const char *listen = getenv("RNR_HTTP_LISTEN");
    if (!f.http && listen && *listen)
        f.http = listen;
    rnr_config cfg;
    if (cmd_load_config("worker", f.state_dir, &cfg))
        return 1;
    rnr_error err = {0};
    if (apply_flags(&f, &cfg) != 0 || install_handlers() != 0) {
        fprintf(stderr, "rnr worker: out of memory or no signal handlers\n");
        config_clear(&cfg);
        return 1;
    }
    char desc[2048], stats[1024] = "";
    config_describe(&cfg, desc, sizeof desc);
    log_info("worker", "starting %s", desc);
    worker_http *http = NULL;
    int rc = RNR_OK;
    /* Files --http names after the pid are this process's alone: removed at
     * exit, so restarts on a persistent state directory do not pile them up. */
    int own_health = f.http && !cfg.health_file, own_stats = f.http && !f.stats_file;
    if (f.http) {
        if (http_files(&f, &cfg, stats, sizeof stats) != 0)
            rc = rnr_error_set(&err, RNR_ERR_NOMEM, "out of memory");
        else
            rc = worker_http_start(f.http, cfg.health_file, stats, 120, &http, &err);
    }
    worker *w = NULL;
    if (rc == RNR_OK)
        rc = worker_new(&cfg, &w, &err);
    if (rc == RNR_OK) {
        worker_http_set_ready(http, 1);
        worker_run_opts o = {&worker_stop_flag, f.max_messages, 0, stats[0] ? stats : f.stats_file};
        if (f.idle_exit_s >= 0)
            o.idle_exit_ms = f.idle_exit_s > 0 ? f.idle_exit_s * 1000 : 1;
        else if (f.once)
            o.idle_exit_ms = 1000;
        worker_stats st;
        rc = worker_run(w, &o, &st, &err);
        worker_http_set_ready(http, 0);
    }
    worker_http_stop(http);
    worker_free(w);
    if (own_health && cfg.health_file)
        unlink(cfg.health_file);
    if (own_stats && stats[0])
        unlink(stats);
    config_clear(&cfg);
    if (rc != RNR_OK) {
        log_fatal("worker", "%s", err.msg);
        return 1;
    }
    return 0;
}

const rnr_command cmd_worker = {
    "worker", "take queued HML products, route flooding gauges, store the outputs",
    "usage: rnr worker [--once] [--max-messages N] [--idle-exit SECONDS] [--stats-file F]\n"
    "                  [--state-dir D] [--queue-url URL] [--store-url URL] [--hydrofabric H.gpkg]\n"
    "                  [--http HOST:PORT]\n\n"
    "Consumes the HML queue one message at a time: fetches the product, decides each\n"
    "gauge, routes the flooding ones through the hydrofabric and stores\n"
    "{APP_OUTPUT_S3_KEY}/{lid}/troute_output_YYYYMMDDHHMM.nc, then acks.\n\n"
    "  --once              exit 0 once the queue is empty (idle for 1 s)\n"
    "  --max-messages N    stop after N messages (0: no limit)\n"
    "  --idle-exit S       stop after the queue stayed empty S seconds\n"
    "  --stats-file F      write the run's counters as JSON to F on exit\n"
    "  --state-dir D       RNR_STATE_DIR: embedded queue, cache and store live here\n"
    "  --queue-url URL     RNR_QUEUE_URL (sqlite:///..., amqp://, amqps://); old name --queue\n"
    "  --store-url URL     RNR_STORE_URL (file:///..., s3://bucket/prefix); old name --store\n"
    "  --hydrofabric H     RNR_HYDROFABRIC: the local GeoPackage\n"
    "  --http HOST:PORT    RNR_HTTP_LISTEN: serve /healthz (fresh while the worker makes\n"
    "                      progress), /readyz (hydrofabric open, queue connected) and\n"
    "                      /metrics (Prometheus); loopback unless given 0.0.0.0\n\n"
    "Environment: RNR_STATE_DIR, RNR_QUEUE_URL, RABBITMQ_ENDPOINT, RABBITMQ_USERNAME,\n"
    "RABBITMQ_PASSWORD, RABBITMQ_SECRET_ARN, MQ_QUEUE_NAME, RNR_STORE_URL, APP_BUCKET_NAME,\n"
    "APP_OUTPUT_S3_KEY, RNR_HYDROFABRIC, HYDROFABRIC_S3_KEY, NWS_API_URL, NWPS_API_URL,\n"
    "NWS_USER_AGENT, RNR_HEALTH_FILE, RNR_GRACE_SECONDS (30), RNR_FORCING (timecorrect|troute),\n"
    "RNR_PLOTS (0|1), RNR_MAX_DELIVERIES (5), RNR_RETRY_BACKOFF_MS (1000),\n"
    "RNR_HEARTBEAT_MS (5000), RNR_STALL_SECONDS (120), RNR_LEASE_RENEW_MS (60000),\n"
    "RNR_PRODUCT_BUDGET_SECONDS (900; then the rest of a product goes to follow-ups).\n"
    "A site that fails transiently is retried alone through MQ_QUEUE_NAME.sites and\n"
    "dead-lettered alone after RNR_MAX_DELIVERIES attempts (docs/deploy.md).\n"
    "SIGTERM/SIGINT: stop taking messages, finish the current one within the grace\n"
    "period or release it for redelivery, exit 0.\n",
    worker_main};
