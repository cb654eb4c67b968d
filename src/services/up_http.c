/* up_http.c - `rnr up --http`: the supervisor's view as Prometheus
 * families and as the page's status document. See up_http.h. */
#include "services/up_http.h"

#include "ports/backends.h"
#include "core/prom.h"
#include "core/timeutil.h"
#include "services/ops_api.h"
#include "services/ops_http.h"
#include "services/worker_http.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* /healthz goes stale when the supervisor's loop stops publishing for this
 * long: a post-process or producer cycle may hold it for a while. */
#define UP_HTTP_MAX_AGE_S 120

struct up_http {
    ops_http *http;
    ops_api *api;
    prom_registry *m;
};

const char *up_job_name(int job)
{
    static const char *const names[UP_JOB_COUNT] = {"producer", "postprocess", "autoscaler"};
    return job >= 0 && job < UP_JOB_COUNT ? names[job] : "?";
}

static int route(void *ud, const char *path, http_reply *r)
{
    return ops_api_handle(ud, path, r);
}

int up_http_start(const rnr_config *cfg, const up_http_opts *o, up_http **out, rnr_error *err)
{
    *out = NULL;
    up_http *h = calloc(1, sizeof *h);
    if (!h || !(h->m = prom_new())) {
        free(h);
        return rnr_error_set(err, RNR_ERR_NOMEM, "http: out of memory");
    }
    rnr_store *store = NULL;
    int rc = backend_open_store(cfg->store_url, &store, err);
    if (rc == RNR_OK && (rc = ops_api_new(store, cfg->output_prefix, cfg->postprocess_prefix,
                                          cfg->state_dir, &h->api, err)) != RNR_OK)
        store_free(store);
    if (rc == RNR_OK)
        rc = ops_api_set_map_tiles(h->api, o->map_tiles, err);
    if (rc == RNR_OK)
        rc = ops_http_start(&(ops_http_opts){.listen = o->listen,
                                             .metrics = h->m,
                                             .max_age_s = UP_HTTP_MAX_AGE_S,
                                             .route = route,
                                             .route_ud = h->api},
                            &h->http, err);
    if (rc != RNR_OK) {
        up_http_stop(h);
        return rc;
    }
    *out = h;
    return RNR_OK;
}

int up_http_port(const up_http *h)
{
    return h ? ops_http_port(h->http) : 0;
}

void up_http_set_ready(up_http *h, int ready)
{
    if (h)
        ops_http_set_ready(h->http, ready);
}

void up_http_stop(up_http *h)
{
    if (!h)
        return;
    ops_http_stop(h->http);
    ops_api_free(h->api);
    prom_free(h->m);
    free(h);
}

static void gauge(prom_registry *m, const char *name, const char *help, double v)
{
    (void)prom_gauge_set(m, name, help, NULL, 0, v);
}

static void total(prom_registry *m, const char *name, const char *help, const char *k,
                  const char *val, double v)
{
    prom_label l = {k, val};
    (void)prom_counter_set(m, name, help, k ? &l : NULL, k ? 1 : 0, v);
}

/* The queue's gauges only when the depth is known: an unknown count is
 * absent, not zero. */
static void publish_queue(prom_registry *m, const queue_depth *d)
{
    if (d->ready >= 0)
        gauge(m, "rnr_queue_ready",
              "Messages ready in the work queue (products and site follow-ups)", (double)d->ready);
    if (d->unacked >= 0)
        gauge(m, "rnr_queue_in_flight", "Messages delivered and not yet acked", (double)d->unacked);
    if (d->dead >= 0)
        gauge(m, "rnr_queue_dead", "Messages in the dead-letter queues", (double)d->dead);
}

static void publish_jobs(prom_registry *m, const up_http_view *v)
{
    const char *rh = "Scheduled job runs, by result";
    for (int j = 0; j < UP_JOB_COUNT; j++) {
        if (!v->has_job[j])
            continue;
        prom_label ok[] = {{"job", up_job_name(j)}, {"result", "ok"}};
        prom_label bad[] = {{"job", up_job_name(j)}, {"result", "failed"}};
        (void)prom_counter_set(m, "rnr_job_runs_total", rh, ok, 2,
                               (double)(v->runs[j] - v->failed[j]));
        (void)prom_counter_set(m, "rnr_job_runs_total", rh, bad, 2, (double)v->failed[j]);
        if (v->last_ok[j] > 0) {
            prom_label l = {"job", up_job_name(j)};
            (void)prom_gauge_set(m, "rnr_job_last_success_timestamp_seconds",
                                 "When the job last finished without error (Unix time)", &l, 1,
                                 (double)v->last_ok[j]);
        }
    }
    total(m, "rnr_postprocess_runs_total", "Post-process runs", NULL, NULL,
          v->runs[UP_JOB_POSTPROCESS]);
    total(m, "rnr_postprocess_rows_total", "Rows written by the post-process runs", NULL, NULL,
          (double)v->postprocess_rows);
}

static void publish_metrics(prom_registry *m, const up_http_view *v)
{
    publish_queue(m, &v->depth);
    gauge(m, "rnr_workers_running", "Worker processes running", v->running);
    gauge(m, "rnr_workers_desired", "Worker processes wanted by the autoscaler", v->desired);
    total(m, "rnr_worker_restarts_total", "Workers restarted after an exit nobody asked for", NULL,
          NULL, v->pool.restarts);
    total(m, "rnr_worker_exits_total",
          "Worker exits nobody asked for (crashes, kills, early exits)", NULL, NULL,
          v->pool.exited);
    const producer_counts *p = v->products;
    total(m, "rnr_products_seen_total", "Products listed by the producer", NULL, NULL, p->seen);
    total(m, "rnr_products_new_total", "Products not seen before", NULL, NULL, p->new_products);
    total(m, "rnr_products_published_total", "Products published to the queue", NULL, NULL,
          p->published);
    total(m, "rnr_products_failed_total", "Products whose publish failed (retried next cycle)",
          NULL, NULL, p->failed);
    worker_http_publish_stats(m, v->work);
    publish_jobs(m, v);
}

static json_t *count_or_null(int64_t v)
{
    return v >= 0 ? json_integer((json_int_t)v) : json_null();
}

static json_t *iso_or_null(int64_t t)
{
    char buf[32];
    return t > 0 && time_format_iso(t, buf, sizeof buf) == 0 ? json_string(buf) : json_null();
}

static json_t *status_doc(const up_http_view *v)
{
    json_t *cycles = json_object(), *dead = json_array();
    for (int j = 0; j < UP_JOB_COUNT; j++)
        if (v->has_job[j])
            json_object_set_new(cycles, up_job_name(j), iso_or_null(v->last_ok[j]));
    for (int i = 0; i < v->ndead; i++)
        json_array_append_new(dead, json_string(v->dead[i]));
    const worker_stats *w = v->work;
    return json_pack("{s:s,s:s,s:s,s:{s:o,s:o,s:o},s:{s:i,s:i,s:i,s:i,s:i,s:i},s:o,s:o,"
                     "s:{s:i,s:i,s:i,s:i},s:{s:i,s:i,s:i},s:i,s:{s:i,s:I}}",
                     "source", "rnr up", "mode", v->mode, "cycle", v->cycle, "queue", "ready",
                     count_or_null(v->depth.ready), "in_flight", count_or_null(v->depth.unacked),
                     "dead", count_or_null(v->depth.dead), "workers", "running", v->running,
                     "desired", v->desired, "min", v->min_workers, "max", v->max_workers,
                     "restarts", v->pool.restarts, "exits", v->pool.exited, "last_cycles", cycles,
                     "dead_letters", dead, "products", "seen", v->products->seen, "new",
                     v->products->new_products, "published", v->products->published, "failed",
                     v->products->failed, "sites", "routed", w->routed, "failed", w->failed_sites,
                     "dead", w->sites_dead, "forecasts_routed", w->outputs, "postprocess", "runs",
                     v->runs[UP_JOB_POSTPROCESS], "rows", (json_int_t)v->postprocess_rows);
}

void up_http_publish(up_http *h, const up_http_view *v)
{
    if (!h)
        return;
    publish_metrics(h->m, v);
    json_t *doc = status_doc(v);
    char *txt = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (txt)
        ops_api_set_status(h->api, txt);
    free(txt);
    json_decref(doc);
    ops_http_beat(h->http);
}
