/* ops_serve.h - `rnr serve`: the operations page, the JSON API and the
 * metrics of a deployment, read from its store and queue, without running
 * any part of the pipeline. For operators who want to look at what
 * workers elsewhere produced (an S3 bucket, a RabbitMQ queue), and for the
 * page's browser test. */
#ifndef RNR_SERVICES_OPS_SERVE_H
#define RNR_SERVICES_OPS_SERVE_H

#include <signal.h>

#include "core/error.h"
#include "services/config.h"

typedef struct ops_serve_opts {
    const char *listen;    /* HOST:PORT; loopback unless the caller says otherwise */
    const char *port_file; /* write the bound port here once serving (may be NULL) */
    const char *map_tiles; /* the page's basemap URL template (RNR_MAP_TILES), or NULL */
    const volatile sig_atomic_t *stop; /* set by SIGTERM/SIGINT */
} ops_serve_opts;

/* Serve until *stop; refreshes the queue status every two seconds. */
int ops_serve_run(const rnr_config *cfg, const ops_serve_opts *o, rnr_error *err) RNR_WARN_UNUSED;

#endif
