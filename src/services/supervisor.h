/* supervisor.h - a pool of worker processes on one machine.
 *
 * Owns the child processes `rnr up` starts (fork + exec of a command line,
 * normally the rnr binary itself running `rnr worker`): keeps the wanted
 * number alive, restarts one that exits on its own after an exponential
 * backoff (reset once a worker has run for stable_ms), stops extra ones
 * with SIGTERM so they drain, and SIGKILLs a worker that outlives its
 * grace period. Nothing happens behind the caller's back: supervisor_poll()
 * reaps, restarts and scales, and the caller calls it from its loop. It is
 * also the embedded backend of the rnr_fleet port (running / set_desired).
 * Children get PR_SET_PDEATHSIG SIGTERM, so they drain if the supervisor
 * itself dies. */
#ifndef RNR_SERVICES_SUPERVISOR_H
#define RNR_SERVICES_SUPERVISOR_H

#include <signal.h>
#include <stdint.h>

#include "core/error.h"
#include "ports/telemetry.h"

typedef struct supervisor supervisor;

typedef struct supervisor_opts {
    const char *const *argv; /* worker command line, NULL-terminated; argv[0] = executable path */
    const char *stats_dir;   /* when set, each start appends --stats-file DIR/worker-<n>.json */
    int min_workers;         /* set_desired clamps to [min, max] */
    int max_workers;
    int grace_ms;           /* SIGTERM -> SIGKILL for a worker being stopped (default 30000) */
    int backoff_initial_ms; /* first restart delay (default 500) */
    int backoff_max_ms;     /* cap of the doubling delay (default 30000) */
    int stable_ms;          /* a worker that ran this long restarts without delay (default 30000) */
    /* Signal counter of the caller (may be NULL): once it reaches 2 (a
     * second Ctrl-C), supervisor_stop_all stops waiting and SIGKILLs. */
    const volatile sig_atomic_t *signals;
} supervisor_opts;

typedef struct supervisor_counts {
    int started;  /* processes forked */
    int exited;   /* exits nobody asked for (crashes, kills from outside, early exits) */
    int restarts; /* starts that replaced such an exit */
    int stopped;  /* stopped on request (SIGTERM, drained) */
    int killed;   /* SIGKILLed after the grace period */
} supervisor_counts;

int supervisor_new(const supervisor_opts *o, supervisor **out, rnr_error *err);
/* Stops every worker (supervisor_stop_all with the grace period) and frees. */
void supervisor_free(supervisor *s);

/* Wanted workers, clamped to [min, max]; applied by the next poll. */
void supervisor_set_desired(supervisor *s, int n);
int supervisor_desired(const supervisor *s);
/* Live workers: started and not being stopped. */
int supervisor_running(const supervisor *s);
/* Workers that are being stopped (SIGTERM sent, not yet exited). */
int supervisor_stopping(const supervisor *s);
/* Reap exited children, SIGKILL the ones past their grace period, restart
 * and scale towards the desired count. Returns RNR_OK or the error of a
 * failed fork (the slot is retried after the backoff). */
int supervisor_poll(supervisor *s, rnr_error *err);
/* SIGTERM every worker, wait up to grace_ms for them to exit, then SIGKILL
 * the rest and reap them. Sets desired to 0. Blocks. */
void supervisor_stop_all(supervisor *s, int grace_ms);
void supervisor_get_counts(const supervisor *s, supervisor_counts *out);
/* Pids of live workers into pids (at most n); returns how many. */
int supervisor_pids(const supervisor *s, int *pids, int n);
/* Stats files handed to the workers started so far, in start order
 * (NULL past the end). Valid until supervisor_free. */
const char *supervisor_stats_file(const supervisor *s, int i);

/* The rnr_fleet port over s (borrowed: closing the fleet leaves s alone). */
int supervisor_fleet_new(supervisor *s, rnr_fleet **out, rnr_error *err);

#endif
