/* worker_http.c - the worker's operator endpoint, fed from its health and
 * stats files. */
#include "services/worker_http.h"

#include "core/prom.h"
#include "nws/decide.h"
#include "services/ops_http.h"
#include "services/worker.h"

#include <stdlib.h>
#include <string.h>

struct worker_http {
    ops_http *http;
    prom_registry *m;
    char *stats_file;
};

static void counter(prom_registry *m, const char *name, const char *help, const char *k,
                    const char *v, int n)
{
    prom_label l = {k, v};
    (void)prom_counter_set(m, name, help, k ? &l : NULL, k ? 1 : 0, (double)n);
}

void worker_http_publish_stats(prom_registry *m, const worker_stats *st)
{
    const char *mh = "Deliveries by how they were settled";
    counter(m, "rnr_worker_messages_total", "Deliveries taken", NULL, NULL, st->messages);
    counter(m, "rnr_worker_settled_total", mh, "result", "acked", st->acked);
    counter(m, "rnr_worker_settled_total", mh, "result", "retried", st->retried);
    counter(m, "rnr_worker_settled_total", mh, "result", "dead", st->dead);
    const char *sh = "Sites decided, by outcome";
    counter(m, "rnr_worker_sites_total", sh, "outcome", "routed", st->routed);
    counter(m, "rnr_worker_sites_total", sh, "outcome", "failed", st->failed_sites);
    counter(m, "rnr_worker_sites_total", sh, "outcome", "deferred", st->sites_deferred);
    counter(m, "rnr_worker_sites_total", sh, "outcome", "retried", st->sites_retried);
    counter(m, "rnr_worker_sites_total", sh, "outcome", "dead", st->sites_dead);
    int skipped = 0;
    for (int r = 1; r < NWS_SKIP_COUNT; r++) {
        counter(m, "rnr_worker_sites_skipped_total", "Sites skipped, by reason", "reason",
                nws_skip_name(r), st->skipped[r]);
        skipped += st->skipped[r];
    }
    counter(m, "rnr_worker_sites_total", sh, "outcome", "skipped", skipped);
    counter(m, "rnr_worker_forecasts_routed_total", "Forecasts routed and stored (NetCDF outputs)",
            NULL, NULL, st->outputs);
    (void)prom_gauge_set(m, "rnr_worker_busy", "Workers holding a delivery right now", NULL, 0,
                         st->busy);
    for (int k = 0; k < WORKER_STEP_COUNT; k++) {
        prom_label l = {"step", worker_step_name(k)};
        (void)prom_histogram_set(
            m, "rnr_worker_step_duration_seconds",
            "Time of one step of a site: fetch (one NWS/NWPS source call), cut, route, "
            "netcdf (writing the outputs), store (uploading them)",
            &l, 1, &st->steps[k]);
    }
}

/* The stats file into the registry; a file not written yet leaves zeros. */
static void collect(void *ud, prom_registry *m)
{
    worker_http *h = ud;
    worker_stats st;
    if (worker_stats_read(h->stats_file, &st, NULL) != RNR_OK)
        memset(&st, 0, sizeof st);
    worker_http_publish_stats(m, &st);
}

int worker_http_start(const char *listen, const char *health_file, const char *stats_file,
                      int max_age_s, worker_http **out, rnr_error *err)
{
    *out = NULL;
    worker_http *h = calloc(1, sizeof *h);
    if (!h || !(h->m = prom_new()) || !(h->stats_file = strdup(stats_file))) {
        if (h)
            prom_free(h->m);
        free(h);
        return rnr_error_set(err, RNR_ERR_NOMEM, "worker http: out of memory");
    }
    ops_http_opts o = {.listen = listen,
                       .metrics = h->m,
                       .max_age_s = max_age_s,
                       .health_file = health_file,
                       .collect = collect,
                       .collect_ud = h};
    int rc = ops_http_start(&o, &h->http, err);
    if (rc != RNR_OK) {
        prom_free(h->m);
        free(h->stats_file);
        free(h);
        return rc;
    }
    *out = h;
    return RNR_OK;
}

void worker_http_set_ready(worker_http *h, int ready)
{
    if (h)
        ops_http_set_ready(h->http, ready);
}

void worker_http_stop(worker_http *h)
{
    if (!h)
        return;
    ops_http_stop(h->http);
    prom_free(h->m);
    free(h->stats_file);
    free(h);
}
