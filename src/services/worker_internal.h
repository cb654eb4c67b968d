/* worker_internal.h - what the worker's files share: the worker itself,
 * one site's work (worker_site.c), a product's and a follow-up's handling
 * (worker_product.c), the heartbeat (worker_beat.c), the health file, the
 * work directories and the stats JSON. */
#ifndef RNR_SERVICES_WORKER_INTERNAL_H
#define RNR_SERVICES_WORKER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <pthread.h>
#include <signal.h>

#include "core/error.h"
#include "hydrofabric/hf.h"
#include "ports/cache.h"
#include "ports/nws_source.h"
#include "ports/queue.h"
#include "ports/store.h"
#include "services/config.h"
#include "services/worker.h"

/* Create path or update its modification time (NULL or "": nothing). */
void worker_health_touch(const char *path);

/* Per-message work directories (see worker_workdir.c). make: 0, or -1
 * with buf "" and errno set; sweep returns how many it removed. */
int worker_workdir_make(const char *state_dir, char *buf, size_t n);
void worker_workdir_remove(const char *dir);
int worker_workdir_sweep(const char *state_dir);

/* Failures this worker saw per message body, for backends that cannot
 * count deliveries (a classic RabbitMQ queue reports 0 on a redelivery):
 * a small table keyed by a hash of the body, oldest entry evicted. */
#define WORKER_ATTEMPTS_SLOTS 64
typedef struct worker_attempts {
    uint64_t key[WORKER_ATTEMPTS_SLOTS];
    int failures[WORKER_ATTEMPTS_SLOTS];
    size_t next; /* slot the next new key takes */
} worker_attempts;

/* Record one more failed delivery of body; returns the attempts so far:
 * delivery_count when the backend knows it (> 0), else this worker's count. */
int worker_attempts_fail(worker_attempts *a, const char *body, size_t len, int delivery_count);
/* The message was settled for good: forget it. */
void worker_attempts_forget(worker_attempts *a, const char *body, size_t len);

/* Test hook: with RNR_TEST_FAULT=abort:TEXT the worker aborts (a crash,
 * as a poison message causes) on any message whose body contains TEXT.
 * Unset in production; the fault-injection tests use it. */
void worker_test_fault(const char *body);

/* ---- one site (worker_site.c) ---- */

typedef enum site_result_kind {
    SR_ROUTED,    /* outputs stored */
    SR_SKIPPED,   /* decided not to route: reason */
    SR_FAILED,    /* permanently: why */
    SR_TRANSIENT, /* a later attempt may succeed: why */
    SR_RELEASE    /* the worker is stopping: hand the message back */
} site_result_kind;

typedef struct site_result {
    site_result_kind kind;
    int reason;    /* SR_SKIPPED: nws_skip value */
    int outputs;   /* NetCDF files stored */
    char why[700]; /* SR_FAILED / SR_TRANSIENT */
} site_result;

typedef struct worker_site_env {
    const rnr_config *cfg;
    rnr_nws *nws;
    hf_db *hf;
    rnr_store *store;
    const char *tmpdir;
    const volatile sig_atomic_t *abort_now;
    unsigned long *progress; /* bumped at every step (heartbeat) */
    prom_hist *steps;        /* WORKER_STEP_COUNT step durations to add to (may be NULL) */
} worker_site_env;

/* Do lid's whole work and say how it ended; never retries by itself. */
void worker_site_run(const worker_site_env *env, const char *lid, site_result *r);

/* ---- the heartbeat (worker_beat.c) ---- */

/* A thread that, every beat, touches the health file and renews the held
 * delivery's lease, but only while the worker makes progress: *progress
 * changed (or files named watch_prefix* in watch_dir grew) within the
 * last stall_ms. */
typedef struct worker_beat worker_beat;
typedef struct worker_beat_opts {
    const char *health_file; /* NULL: none */
    unsigned long *progress;
    int64_t beat_ms, stall_ms, renew_ms;
    const char *watch_dir; /* may be NULL */
    const char *watch_prefix;
} worker_beat_opts;

int worker_beat_start(const worker_beat_opts *o, worker_beat **out, rnr_error *err);
/* From now on renew tag's lease on q (a handle only the beat uses). */
void worker_beat_hold(worker_beat *b, rnr_queue *q, uint64_t tag);
void worker_beat_release(worker_beat *b);
void worker_beat_stop(worker_beat *b);

/* ---- the worker (worker.c, worker_product.c) ---- */

struct worker {
    const rnr_config *cfg;
    rnr_queue *queue;      /* MQ_QUEUE_NAME: the products */
    rnr_queue *sites;      /* "<queue>.sites": per-site follow-ups */
    rnr_queue *beat_queue; /* the heartbeat's own handles, for lease */
    rnr_queue *beat_sites; /*   renewal (NULL: the backend cannot renew) */
    rnr_cache *cache;      /* the site ledger and delivery counts */
    rnr_store *store;
    hf_db *hf;
    rnr_nws *nws;                    /* the NWS/NWPS source */
    volatile sig_atomic_t abort_now; /* the NWS source's stop flag */
    unsigned long progress;
    worker_beat *beat;
    int max_deliveries;
    long backoff_base_ms;
    int64_t budget_ms; /* a product's time before its rest is deferred */
    worker_attempts attempts;
};

/* What becomes of one delivery. */
enum msg_outcome { MSG_ACK, MSG_RETRY, MSG_DEAD, MSG_RELEASE };

/* One delivery's context: its counts are merged into the worker's only
 * once the delivery is settled. */
typedef struct msg_ctx {
    worker *w;
    worker_stats delta;
    const char *tmpdir;
    rnr_error last;   /* the transient failure that makes the message retry */
    char reason[700]; /* MSG_DEAD */
} msg_ctx;

/* A product message (the reference's JSON) / a site follow-up. */
int worker_product_handle(msg_ctx *m, const queue_message *qm);
int worker_followup_handle(msg_ctx *m, const queue_message *qm);
int64_t worker_backoff_ms(const worker *w, int attempt);

#endif
