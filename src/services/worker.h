/* worker.h - the RnR worker: one queued HML product at a time.
 *
 * For each message: parse it (malformed -> dead letter), GET the product
 * text, split it into sites, and for each distinct lid: GET the NWPS gauge,
 * decide, GET the forecast and observations, cut the segment below the
 * gauge, route it, write troute_output_YYYYMMDDHHMM.nc to
 * {output_prefix}/{lid}/ in the store. Each site's outcome is its own
 * (worker_sites.h): a site that fails transiently is retried by itself
 * through a follow-up message on "<queue>.sites" and ends as its own dead
 * letter; the product is acked once every site is settled or handed on.
 * A product that cannot be fetched is nacked for a retry; a message that
 * keeps failing ends as a dead letter with its reason. The stats file is
 * rewritten after every settled delivery, so a killed worker's counts
 * survive it. */
#ifndef RNR_SERVICES_WORKER_H
#define RNR_SERVICES_WORKER_H

#include <signal.h>
#include <stdint.h>

#include "core/error.h"
#include "core/prom.h"
#include "nws/decide.h"
#include "services/config.h"

typedef struct worker worker;

/* The timed steps of one site: each call to the NWS/NWPS source (a
 * product's text, a gauge, a forecast's series), the hydrofabric cut,
 * the routing, the NetCDF (and plot) writing, the upload to the store. */
enum worker_step {
    WORKER_STEP_FETCH,
    WORKER_STEP_CUT,
    WORKER_STEP_ROUTE,
    WORKER_STEP_NETCDF,
    WORKER_STEP_STORE,
    WORKER_STEP_COUNT
};
/* "fetch", "cut", "route", "netcdf", "store". */
const char *worker_step_name(int step);

typedef struct worker_stats {
    int messages; /* deliveries taken */
    int acked;
    int retried;                        /* nacked for redelivery */
    int dead;                           /* dead-lettered */
    int sites;                          /* distinct sites seen */
    int routed;                         /* sites routed and stored */
    int skipped[NWS_SKIP_COUNT];        /* by nws_skip reason */
    int failed_sites;                   /* cut/route errors (no reach in the hydrofabric, ...) */
    int outputs;                        /* NetCDF files stored */
    int sites_deferred;                 /* sites handed to a follow-up message from their product */
    int sites_retried;                  /* follow-up attempts run (attempt 2 and later) */
    int sites_dead;                     /* sites dead-lettered on their own */
    int busy;                           /* a delivery is held right now (the file is
                                     rewritten when one is taken and settled) */
    int pid;                            /* the worker process writing the file */
    prom_hist steps[WORKER_STEP_COUNT]; /* durations, every attempt included */
} worker_stats;

typedef struct worker_run_opts {
    const volatile sig_atomic_t *stop; /* set by SIGTERM/SIGINT: drain and return */
    int max_messages;                  /* 0 = no limit */
    int idle_exit_ms;       /* return after the queue stayed empty this long; 0 = never */
    const char *stats_file; /* JSON of worker_stats written on exit (may be NULL) */
} worker_run_opts;

/* Opens the queue and store, the hydrofabric (downloading it from the store
 * by hydrofabric_key when no local path is given) and the HTTP client. */
int worker_new(const rnr_config *cfg, worker **out, rnr_error *err);
int worker_run(worker *w, const worker_run_opts *o, worker_stats *st, rnr_error *err);
void worker_free(worker *w);
/* Write st as JSON (for `rnr up` summaries). */
int worker_stats_write(const worker_stats *st, const char *path, rnr_error *err);
int worker_stats_read(const char *path, worker_stats *st, rnr_error *err);
/* into += st: every count and step histogram (busy and pid are left alone). */
void worker_stats_add(worker_stats *into, const worker_stats *st);

#endif
