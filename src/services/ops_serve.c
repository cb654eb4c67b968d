/* ops_serve.c - serve the page, API and metrics from a store and a queue. */
#include "services/ops_serve.h"

#include "ports/backends.h"
#include "core/durable.h"
#include "core/log.h"
#include "core/prom.h"
#include "core/timeutil.h"
#include "services/ops_api.h"
#include "services/ops_http.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static int route(void *ud, const char *path, http_reply *r)
{
    return ops_api_handle(ud, path, r);
}

/* Queue depth and the newest dead letters into the status document and
 * the queue gauges. A queue that cannot be read is shown as unknown. */
static void refresh(rnr_queue *q, ops_api *api, prom_registry *m)
{
    queue_depth d = {-1, -1, -1};
    rnr_error err = {0};
    int ok = q && queue_get_depth(q, &d, &err) == RNR_OK;
    json_t *dead = json_array();
    queue_dead_list l = {0};
    if (q && queue_list_dead(q, 5, &l, &err) == RNR_OK) {
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(
                dead, json_string(l.items[i].reason ? l.items[i].reason : "(no reason)"));
        queue_dead_list_clear(&l);
    }
    json_t *queue = ok ? json_pack("{s:I,s:I,s:I}", "ready", (json_int_t)d.ready, "in_flight",
                                   (json_int_t)d.unacked, "dead", (json_int_t)d.dead)
                       : json_pack("{s:n,s:n,s:n}", "ready", "in_flight", "dead");
    json_t *st = json_pack("{s:o,s:o,s:{}}", "queue", queue, "dead_letters", dead, "last_cycles");
    char *txt = json_dumps(st, JSON_COMPACT);
    ops_api_set_status(api, txt);
    free(txt);
    json_decref(st);
    if (ok) {
        (void)prom_gauge_set(m, "rnr_queue_ready", "Messages ready in the work queue", NULL, 0,
                             (double)d.ready);
        (void)prom_gauge_set(m, "rnr_queue_in_flight", "Messages delivered and not yet acked", NULL,
                             0, (double)d.unacked);
        (void)prom_gauge_set(m, "rnr_queue_dead", "Messages in the dead-letter queue", NULL, 0,
                             (double)d.dead);
    }
}

static int write_port(const char *path, int port, rnr_error *err)
{
    char line[16];
    int n = snprintf(line, sizeof line, "%d\n", port);
    int rc = durable_write_file(path, line, (size_t)n, NULL, err);
    if (rc != RNR_OK)
        rnr_error_prefix(err, "the port file");
    return rc;
}

int ops_serve_run(const rnr_config *cfg, const ops_serve_opts *o, rnr_error *err)
{
    rnr_store *store = NULL;
    rnr_queue *q = NULL;
    ops_api *api = NULL;
    ops_http *http = NULL;
    prom_registry *m = prom_new();
    int rc = m ? backend_open_store(cfg->store_url, &store, err)
               : rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    if (rc == RNR_OK && (rc = ops_api_new(store, cfg->output_prefix, cfg->postprocess_prefix,
                                          cfg->state_dir, &api, err)) != RNR_OK)
        store_free(store);
    if (rc == RNR_OK)
        rc = ops_api_set_map_tiles(api, o->map_tiles, err);
    if (rc == RNR_OK && backend_open_queue(cfg->queue_url, cfg->queue_name, &q, err) != RNR_OK) {
        log_warn("serve", "queue status unavailable: %s", err->msg);
        q = NULL;
    }
    if (rc == RNR_OK)
        rc = ops_http_start(&(ops_http_opts){.listen = o->listen,
                                             .metrics = m,
                                             .max_age_s = 30,
                                             .route = route,
                                             .route_ud = api},
                            &http, err);
    if (rc == RNR_OK && o->port_file)
        rc = write_port(o->port_file, ops_http_port(http), err);
    if (rc == RNR_OK) {
        log_info("serve", "serving http://%s (port %d)", o->listen, ops_http_port(http));
        ops_http_set_ready(http, 1);
        int64_t next = 0;
        while (!*o->stop) {
            if (time_mono_ms() >= next) {
                refresh(q, api, m);
                ops_http_beat(http);
                next = time_mono_ms() + 2000;
            }
            time_sleep_ms(100);
        }
    }
    ops_http_stop(http);
    ops_api_free(api);
    queue_free(q);
    prom_free(m);
    return rc;
}
