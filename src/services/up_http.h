/* up_http.h - the operator endpoint of `rnr up --http`: the page, the JSON
 * API, /healthz, /readyz and /metrics for the whole pipeline, served from
 * the supervisor's process.
 *
 * The HTTP server runs on its own thread and never touches the
 * supervisor, the queue handles or the workers' files: the supervisor's
 * loop gathers a view (queue depth, pool, the workers' summed stats files,
 * its own job counts) and publishes it here every few seconds and after
 * every job. The page's forecasts are read from the store through a
 * handle of the HTTP thread's own. */
#ifndef RNR_SERVICES_UP_HTTP_H
#define RNR_SERVICES_UP_HTTP_H

#include <stdint.h>

#include "core/error.h"
#include "ports/queue.h"
#include "services/config.h"
#include "services/producer.h"
#include "services/supervisor.h"
#include "services/worker.h"

enum up_job_kind { UP_JOB_PRODUCER, UP_JOB_POSTPROCESS, UP_JOB_AUTOSCALER, UP_JOB_COUNT };

/* "producer", "postprocess", "autoscaler". */
const char *up_job_name(int job);

typedef struct up_http up_http;

typedef struct up_http_opts {
    const char *listen;    /* HOST:PORT (":PORT" is loopback); port 0 picks one */
    const char *map_tiles; /* basemap URL template for the page, or NULL */
} up_http_opts;

/* Everything /metrics and /api/status show, as the supervisor sees it. */
typedef struct up_http_view {
    const char *mode;  /* "once" or "service" */
    const char *cycle; /* "running", "done" or "stopping" */
    queue_depth depth; /* products and site follow-ups; -1 unknown */
    int running, desired, min_workers, max_workers;
    supervisor_counts pool;
    const worker_stats *work;        /* summed over every worker started */
    const producer_counts *products; /* summed over the producer's cycles */
    int runs[UP_JOB_COUNT], failed[UP_JOB_COUNT];
    int64_t last_ok[UP_JOB_COUNT]; /* epoch seconds of the last success, 0 never */
    int has_job[UP_JOB_COUNT];     /* the job runs in this mode */
    int64_t postprocess_rows;      /* summed over the runs */
    const char *const *dead;       /* newest dead letters, "id: reason" */
    int ndead;
} up_http_view;

/* Serve on o->listen: the store of cfg for the page and API. */
int up_http_start(const rnr_config *cfg, const up_http_opts *o, up_http **out,
                  rnr_error *err) RNR_WARN_UNUSED;
/* The port bound. */
int up_http_port(const up_http *h);
/* Replace what /metrics and /api/status show; also the liveness beat. */
void up_http_publish(up_http *h, const up_http_view *v);
/* Ready while the pool runs; cleared when stopping. */
void up_http_set_ready(up_http *h, int ready);
/* Stop serving and free (NULL is fine). */
void up_http_stop(up_http *h);

#endif
