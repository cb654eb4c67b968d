/* cmd_serve.c - `rnr serve`: the operations page and API over a
 * deployment's store and queue. */
#include "command.h"

#include "core/log.h"
#include "services/config.h"
#include "services/ops_serve.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t serve_stop;
static void on_signal(int sig)
{
    (void)sig;
    serve_stop = 1;
}

static int serve_run(int argc, char **argv)
{
    const char *listen = getenv("RNR_HTTP_LISTEN"), *port_file = NULL, *state_dir = NULL,
               *store = NULL;
    if (!listen || !*listen)
        listen = "127.0.0.1:8080";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            return cmd_usage_error("serve", "unknown or incomplete option '%s'", a);
        if (strcmp(a, "--http") == 0)
            listen = argv[++i];
        else if (strcmp(a, "--port-file") == 0)
            port_file = argv[++i];
        else if (strcmp(a, "--state-dir") == 0)
            state_dir = argv[++i];
        else if (strcmp(cmd_flag_name(a), "--store-url") == 0)
            store = argv[++i];
        else
            return cmd_usage_error("serve", "unknown option '%s'", a);
    }
    rnr_config cfg;
    if (cmd_load_config("serve", state_dir, &cfg) != 0)
        return 1;
    if (store && config_set(&cfg.store_url, store) != 0) {
        config_clear(&cfg);
        return 1;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    ops_serve_opts o = {.listen = listen,
                        .port_file = port_file,
                        .map_tiles = getenv("RNR_MAP_TILES"),
                        .stop = &serve_stop};
    rnr_error err = {0};
    int rc = ops_serve_run(&cfg, &o, &err);
    config_clear(&cfg);
    if (rc != RNR_OK) {
        fprintf(stderr, "rnr serve: %s\n", err.msg);
        return 1;
    }
    return 0;
}

const rnr_command cmd_serve = {
    "serve", "serve the operations page, JSON API and metrics of a store and queue",
    "usage: rnr serve [--http HOST:PORT] [--port-file F] [--state-dir D] [--store-url URL]\n\n"
    "Serves, until SIGTERM, what the pipeline produced, read from the store and the\n"
    "queue (embedded or real backends, the same configuration as rnr worker):\n"
    "  /                     the operations page: map, forecasts, hydrographs, health\n"
    "  /api/forecasts        the latest routed forecast of each gauge (JSON)\n"
    "  /api/forecasts/LID    its hydrograph series\n"
    "  /api/inundation       the latest inundation table (GeoJSON)\n"
    "  /api/status           queue depth and dead letters\n"
    "  /metrics              Prometheus text; /healthz and /readyz\n\n"
    "  --http HOST:PORT   listen address (RNR_HTTP_LISTEN; default 127.0.0.1:8080;\n"
    "                     every interface only when asked, e.g. 0.0.0.0:8080)\n"
    "  --port-file F      write the bound port to F (use port 0 for a free one)\n"
    "  --state-dir D      RNR_STATE_DIR\n"
    "  --store-url URL    RNR_STORE_URL\n\n"
    "RNR_MAP_TILES (an http(s) URL template with {z}, {x} and {y}) adds a basemap\n"
    "under the page's map; without it the page requests nothing outside rnr.\n",
    serve_run};
