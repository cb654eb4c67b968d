/* ops_http.h - the operator endpoints of a long-running rnr process
 * (`rnr worker --http`, `rnr up --http`): /healthz, /readyz, /metrics, and
 * 404 JSON for anything else.
 *
 * Liveness is progress, not mere existence: /healthz answers 200 while the
 * process's heartbeat (ops_http_beat) is younger than max_age seconds, 503
 * once it goes stale. Readiness is set by the owner (hydrofabric open,
 * queue connected) and cleared when it starts draining. */
#ifndef RNR_SERVICES_OPS_HTTP_H
#define RNR_SERVICES_OPS_HTTP_H

#include "core/error.h"
#include "core/prom.h"
#include "ports/http_serve.h"

typedef struct ops_http ops_http;

/* Other paths go to a route function when given: it answers and returns 1,
 * or returns 0 for a 404 (ops_api_handle has this shape). */
typedef int (*ops_http_route)(void *ud, const char *path, http_reply *reply);

typedef struct ops_http_opts {
    const char *listen;      /* "127.0.0.1:9100"; ":PORT" is loopback */
    prom_registry *metrics;  /* may be NULL (empty /metrics); must outlive the server */
    int max_age_s;           /* /healthz goes stale after this long without a beat */
    const char *health_file; /* when set, the beat is this file's mtime (the worker's
                                  heartbeat touches it only while it makes progress) */
    ops_http_route route;    /* may be NULL */
    void *route_ud;
    /* Called before /metrics is rendered, to refresh the registry from
     * durable state (a stats file); may be NULL. */
    void (*collect)(void *ud, prom_registry *m);
    void *collect_ud;
} ops_http_opts;

/* Serve as o says; o's pointers must outlive the server. */
int ops_http_start(const ops_http_opts *o, ops_http **out, rnr_error *err) RNR_WARN_UNUSED;
/* The port bound (for listen port 0). */
int ops_http_port(const ops_http *o);
/* The process made progress now. */
void ops_http_beat(ops_http *o);
void ops_http_set_ready(ops_http *o, int ready);
void ops_http_stop(ops_http *o);

#endif
