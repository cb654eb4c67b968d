/* up.h - the whole pipeline on one machine (`rnr up`).
 *
 * Runs the producer, post-process and autoscaler on EventBridge schedules
 * in this process, and a supervised pool of `rnr worker` processes beside
 * them (supervisor.h), scaled by the autoscaler through the rnr_fleet port.
 * --once instead runs one producer cycle, drains the queue with a fixed
 * pool, runs one post-process and returns a summary.
 *
 * Why in-process for the three scheduled jobs: each is one short call
 * (producer_cycle, postprocess_run, autoscaler_evaluate) that needs the
 * same configuration, the autoscaler needs the pool's live count directly,
 * and their counts feed the --once summary without a second wire format.
 * The workers, which hold messages for long and may crash, are separate
 * processes: a crash costs only that message's lease. */
#ifndef RNR_SERVICES_UP_H
#define RNR_SERVICES_UP_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "services/config.h"
#include "services/postprocess.h"
#include "services/producer.h"
#include "services/supervisor.h"
#include "services/worker.h"

#define UP_DEFAULT_PRODUCER_SCHEDULE "rate(5 minutes)"
#define UP_DEFAULT_POSTPROCESS_SCHEDULE "cron(0/10 * * * ? *)"
#define UP_DEFAULT_AUTOSCALER_SCHEDULE "rate(1 minute)"

struct up_summary;

typedef struct up_opts {
    const char *exe;               /* the rnr binary the workers run */
    const char *producer_schedule; /* NULL = the defaults above */
    const char *postprocess_schedule;
    const char *autoscaler_schedule;
    int once;                /* one cycle, then a summary */
    int workers;             /* --once: pool size; else the starting count (default min) */
    int min_workers;         /* default 1 */
    int max_workers;         /* default 6 */
    int timeout_s;           /* --once: stop draining after this long (default 600) */
    int status_line;         /* redraw a status line in place on stderr */
    int64_t postprocess_now; /* the post-process runs as of this time (0 = now) */
    const volatile sig_atomic_t *stop; /* signals received: 1 = stop the workers (they drain)
                                         and return, 2 = SIGKILL them without waiting */
    const char *http_listen; /* serve the page, API and metrics here (up_http.h); NULL: none */
    const char *map_tiles;   /* the page's basemap URL template (RNR_MAP_TILES), or NULL */
    int linger;              /* --once with http_listen: keep serving after the cycle
                                         until *stop */
    /* Called (may be NULL) once the HTTP port is bound, and once a --once
     * cycle's summary is final (before lingering), with ud. */
    void (*on_http)(int port, void *ud);
    void (*on_summary)(const struct up_summary *s, void *ud);
    void *ud;
} up_opts;

typedef struct up_dead {
    char *id; /* the product id from the message, or "?" */
    char *reason;
} up_dead;

typedef struct up_summary {
    int producer_ran, producer_ok;
    producer_counts products;
    worker_stats work; /* summed over the workers */
    int postprocess_ran, postprocess_ok;
    postprocess_counts post;
    int64_t dead_before, dead_after; /* -1 unknown */
    up_dead *dead;                   /* dead letters added by this run (SQLite queue) */
    int ndead;
    supervisor_counts pool;
    int timed_out;   /* --once: the queue did not drain in time */
    int interrupted; /* stopped by a signal */
    int once;        /* a --once cycle (else the long-running loop) */
    char error[600]; /* first job error, "" when none */
} up_summary;

/* Runs until *o->stop (or, with once, until the cycle is done). Fills sum
 * (clear it with up_summary_clear). RNR_OK when it ran; the cycle's own
 * success is up_summary_ok(). */
int up_run(const rnr_config *cfg, const up_opts *o, up_summary *sum, rnr_error *err);
/* 1 when the cycle published every new product, wrote no dead letter,
 * failed no job and finished in time. */
int up_summary_ok(const up_summary *s);
void up_summary_print(const up_summary *s, const rnr_config *cfg, FILE *f);
/* The same summary as one line of JSON (counts by name; null where
 * unknown); 0, or -1 when it could not be built or written. */
int up_summary_print_json(const up_summary *s, const rnr_config *cfg, FILE *f);
void up_summary_clear(up_summary *s);

#endif
