/* cmd_up.c - `rnr up`: the whole pipeline on one machine. */
#include <stddef.h>

#include "command.h"
#include "core/durable.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "services/config.h"
#include "services/up.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* SIGTERM/SIGINT received so far; the loop polls it (1 = drain and stop,
 * 2 = stop now). */
static volatile sig_atomic_t up_stop_flag;

static void up_on_signal(int sig)
{
    (void)sig;
    if (up_stop_flag < 2)
        up_stop_flag = up_stop_flag + 1;
}

static int parse_int(const char *flag, const char *v, int min, int max, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < min || n > max)
        return cmd_usage_error("up", "%s '%s' must be an integer in %d..%d", flag, v, min, max);
    *out = (int)n;
    return 0;
}

/* Flags that change the configuration go through the environment, so the
 * worker processes, which read the same environment, agree with us. */
static const struct {
    const char *flag;
    const char *env;
} up_env_flags[] = {
    {"--state-dir", "RNR_STATE_DIR"},     {"--queue-url", "RNR_QUEUE_URL"},
    {"--cache-url", "RNR_CACHE_URL"},     {"--store-url", "RNR_STORE_URL"},
    {"--hydrofabric", "RNR_HYDROFABRIC"}, {"--nws-url", "NWS_API_URL"},
    {"--nwps-url", "NWPS_API_URL"},
};

/* What cmd_up needs besides up_opts. */
typedef struct up_cli {
    int no_status, json;
    const char *port_file;
    int printed; /* the summary went out already (on_summary) */
    const rnr_config *cfg;
    char listen[256]; /* a copy of RNR_HTTP_LISTEN, which is unset for the workers */
} up_cli;

/* --http or RNR_HTTP_LISTEN, and what only makes sense with it. The
 * variable is then removed from the environment: the workers inherit it,
 * and each would try to serve on the same address. */
static int http_args(up_opts *o, up_cli *cli)
{
    const char *env = getenv("RNR_HTTP_LISTEN");
    if (!o->http_listen && env && *env) {
        snprintf(cli->listen, sizeof cli->listen, "%s", env);
        o->http_listen = cli->listen;
    }
    unsetenv("RNR_HTTP_LISTEN");
    const char *tiles = getenv("RNR_MAP_TILES");
    o->map_tiles = tiles && *tiles ? tiles : NULL;
    if (o->linger && !(o->once && o->http_listen))
        return cmd_usage_error("up", "--linger needs --once and --http");
    if (cli->port_file && !o->http_listen)
        return cmd_usage_error("up", "--port-file needs --http");
    return 0;
}

static int parse_args(int argc, char **argv, up_opts *o, up_cli *cli)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            cli->json = 1;
            continue;
        }
        if (strcmp(a, "--once") == 0) {
            o->once = 1;
            continue;
        }
        if (strcmp(a, "--linger") == 0) {
            o->linger = 1;
            continue;
        }
        if (strcmp(a, "--no-status") == 0) {
            cli->no_status = 1;
            continue;
        }
        if (i + 1 >= argc)
            return cmd_usage_error("up", "unknown option or missing value: '%s'", a);
        const char *v = argv[++i];
        int rc = -1;
        if (strcmp(a, "--workers") == 0)
            rc = parse_int(a, v, 1, 64, &o->workers);
        else if (strcmp(a, "--min-workers") == 0)
            rc = parse_int(a, v, 1, 64, &o->min_workers);
        else if (strcmp(a, "--max-workers") == 0)
            rc = parse_int(a, v, 1, 64, &o->max_workers);
        else if (strcmp(a, "--timeout") == 0)
            rc = parse_int(a, v, 1, 86400, &o->timeout_s);
        else if (strcmp(a, "--postprocess-time") == 0) {
            rc = 0;
            if (time_parse_iso(v, &o->postprocess_now) != 0)
                return cmd_usage_error("up", "--postprocess-time '%s' is not an ISO 8601 time", v);
        } else if (strcmp(a, "--producer-schedule") == 0)
            o->producer_schedule = v, rc = 0;
        else if (strcmp(a, "--postprocess-schedule") == 0)
            o->postprocess_schedule = v, rc = 0;
        else if (strcmp(a, "--autoscaler-schedule") == 0)
            o->autoscaler_schedule = v, rc = 0;
        else if (strcmp(a, "--http") == 0)
            o->http_listen = v, rc = 0;
        else if (strcmp(a, "--port-file") == 0)
            cli->port_file = v, rc = 0;
        for (size_t k = 0; rc < 0 && k < sizeof up_env_flags / sizeof up_env_flags[0]; k++)
            if (strcmp(cmd_flag_name(a), up_env_flags[k].flag) == 0)
                rc = setenv(up_env_flags[k].env, v, 1) == 0 ? 0 : 1;
        if (rc < 0)
            return cmd_usage_error("up", "unknown option '%s'", a);
        if (rc > 0)
            return rc;
    }
    if (o->min_workers && o->max_workers && o->min_workers > o->max_workers)
        return cmd_usage_error("up", "--min-workers %d is above --max-workers %d", o->min_workers,
                               o->max_workers);
    return http_args(o, cli);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = up_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static void on_http(int port, void *ud)
{
    up_cli *cli = ud;
    if (!cli->port_file)
        return;
    char line[16];
    int n = snprintf(line, sizeof line, "%d\n", port);
    rnr_error err = {0};
    if (durable_write_file(cli->port_file, line, (size_t)n, NULL, &err) != RNR_OK)
        log_error("up", "cannot write the port file: %s", err.msg);
}

static void print_summary(const up_summary *s, up_cli *cli)
{
    if (!cli->json)
        up_summary_print(s, cli->cfg, stdout);
    else if (up_summary_print_json(s, cli->cfg, stdout) != 0)
        log_error("up", "cannot print the summary as JSON");
    fflush(stdout);
    cli->printed = 1;
}

static void on_summary(const up_summary *s, void *ud)
{
    print_summary(s, ud);
}

static int up_main(int argc, char **argv)
{
    up_opts o;
    memset(&o, 0, sizeof o);
    up_cli cli = {0};
    int rc = parse_args(argc, argv, &o, &cli);
    if (rc)
        return rc;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "rnr up: cannot find the rnr binary (/proc/self/exe)\n");
        return 1;
    }
    exe[n] = '\0';
    o.exe = exe;
    o.status_line = !cli.no_status && isatty(STDERR_FILENO);
    /* On a terminal the status line is the progress report: keep the
     * workers' and our own info lines out of its way unless asked. */
    if (o.status_line && !getenv("RNR_LOG_LEVEL")) {
        setenv("RNR_LOG_LEVEL", "warn", 1);
        log_set_level(LOG_WARN);
    }
    rnr_config cfg;
    rnr_error err;
    if (config_load(&cfg, &err) != RNR_OK) {
        log_fatal("up", "%s", err.msg);
        return 1;
    }
    char desc[1024];
    config_describe(&cfg, desc, sizeof desc);
    log_info("up", "%s", desc);
    o.stop = &up_stop_flag;
    cli.cfg = &cfg;
    o.on_http = on_http;
    o.on_summary = on_summary;
    o.ud = &cli;
    install_signals();
    up_summary sum;
    rc = up_run(&cfg, &o, &sum, &err);
    if (rc != RNR_OK) {
        log_fatal("up", "%s", err.msg);
        up_summary_clear(&sum);
        config_clear(&cfg);
        return 1;
    }
    if (!cli.printed)
        print_summary(&sum, &cli);
    int status = o.once && !up_summary_ok(&sum) ? 1 : 0; /* a service stopped by a signal exits 0 */
    up_summary_clear(&sum);
    config_clear(&cfg);
    return status;
}

const rnr_command cmd_up = {
    "up", "run the whole pipeline on one machine (schedules, workers, post-process)",
    "usage: rnr up [--once] [options]\n\n"
    "Runs the producer, the autoscaler and the post-process on EventBridge\n"
    "schedules in this process and a supervised pool of `rnr worker`\n"
    "processes (restarted with backoff when they crash, scaled between\n"
    "--min-workers and --max-workers by the autoscaler). SIGTERM or SIGINT\n"
    "stops the workers gracefully (they finish or requeue what they hold) and\n"
    "exits 0; a second one SIGKILLs them at once (their messages come back\n"
    "when the queue's lease runs out).\n\n"
    "  --once                     one producer cycle, drain the queue with\n"
    "                             --workers workers, one post-process run, then\n"
    "                             print a summary; exit 0 when all succeeded\n"
    "  --workers N                --once: pool size (default 1); else the\n"
    "                             starting count (default --min-workers)\n"
    "  --min-workers N            default 1 (RNR_MIN_WORKERS)\n"
    "  --max-workers N            default 6 (RNR_MAX_WORKERS)\n"
    "  --timeout S                --once: stop draining after S seconds (600)\n"
    "  --postprocess-time T       run the post-process as of T (ISO 8601, default\n"
    "                             now): its window (RNR_POSTPROCESS_WINDOW) is\n"
    "                             around T; for replaying dated data such as\n"
    "                             the bundled sample (2026-03-14)\n"
    "  --producer-schedule E      default " UP_DEFAULT_PRODUCER_SCHEDULE "\n"
    "  --postprocess-schedule E   default " UP_DEFAULT_POSTPROCESS_SCHEDULE "\n"
    "  --autoscaler-schedule E    default " UP_DEFAULT_AUTOSCALER_SCHEDULE "\n"
    "  --state-dir DIR            RNR_STATE_DIR (embedded queue, cache, store)\n"
    "  --queue-url URL            RNR_QUEUE_URL (also --queue)\n"
    "  --cache-url URL            RNR_CACHE_URL (also --cache)\n"
    "  --store-url URL            RNR_STORE_URL (also --store)\n"
    "  --hydrofabric PATH         RNR_HYDROFABRIC (a GeoPackage)\n"
    "  --nws-url URL              NWS_API_URL\n"
    "  --nwps-url URL             NWPS_API_URL\n"
    "  --no-status                no live status line even on a terminal\n"
    "  --http HOST:PORT           serve the operations page, the JSON API,\n"
    "                             /metrics, /healthz and /readyz of the whole\n"
    "                             pipeline (RNR_HTTP_LISTEN; :PORT is loopback;\n"
    "                             every interface only when asked, 0.0.0.0:PORT;\n"
    "                             RNR_MAP_TILES adds a basemap to the page)\n"
    "  --port-file F              write the HTTP port to F (--http with port 0)\n"
    "  --linger                   --once --http: after the summary, keep serving\n"
    "                             the results until SIGTERM or SIGINT\n"
    "  --json                     print the summary as one JSON object (the\n"
    "                             table's counts by name, null where unknown)\n\n"
    "Every other setting comes from the environment as for `rnr worker`\n"
    "(RNR_GRACE_SECONDS, RNR_PLOTS, ...); the workers inherit it. The scaling\n"
    "policy: RNR_SCALE_OUT_BACKLOG (100), RNR_SCALE_IN_BACKLOG (50, below the\n"
    "scale-out threshold), RNR_SCALE_OUT_PERIODS / RNR_SCALE_IN_PERIODS (2),\n"
    "RNR_SCALE_PERIOD_SECONDS (60), RNR_SCALE_OUT_COOLDOWN_SECONDS (60),\n"
    "RNR_SCALE_IN_COOLDOWN_SECONDS (120), RNR_SCALE_STEP (1).\n",
    up_main};
