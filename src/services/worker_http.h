/* worker_http.h - `rnr worker --http`: the worker's /healthz, /readyz and
 * /metrics (Kubernetes probes, Prometheus scraping).
 *
 * Liveness is the worker's own heartbeat file, which its heartbeat thread
 * touches only while the worker makes progress; metrics are read from its
 * stats file, which it rewrites after every message. The HTTP thread thus
 * never touches the worker's memory. */
#ifndef RNR_SERVICES_WORKER_HTTP_H
#define RNR_SERVICES_WORKER_HTTP_H

#include "core/error.h"
#include "core/prom.h"
#include "services/worker.h"

typedef struct worker_http worker_http;

/* Publish st (one worker's or the sum of a pool's) as the rnr_worker_*
 * families: deliveries, sites by outcome and skip reason, forecasts routed,
 * busy, and the step duration histograms. */
void worker_http_publish_stats(prom_registry *m, const worker_stats *st);

/* Serve on listen, reading health_file and stats_file (both required). */
int worker_http_start(const char *listen, const char *health_file, const char *stats_file,
                      int max_age_s, worker_http **out, rnr_error *err) RNR_WARN_UNUSED;
/* Ready: the hydrofabric is open and the queue connected. Not ready: draining. */
void worker_http_set_ready(worker_http *h, int ready);
void worker_http_stop(worker_http *h);

#endif
