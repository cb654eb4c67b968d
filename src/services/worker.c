/* worker.c - the RnR worker loop: take a queued HML product (or a site's
 * follow-up, worker_product.c), settle it, count it, write the stats.
 *
 * One thread does the work; a small watchdog thread turns the caller's stop
 * flag into "abort now" once the grace period has run out, so HTTP waits
 * (backoff, rate limiting) end early and the message is released for
 * redelivery instead of being cut off half-stored. The queue adapters
 * service their own connections, so the loop never has to pump frames. */
#include "services/worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/envutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/trace.h"
#include "hydrofabric/hf.h"
#include "nws/hml.h"
#include "nws/products.h"
#include "ports/backends.h"
#include "services/route_job.h"
#include "services/worker_internal.h"

#define WORKER_GET_TIMEOUT_MS 500
#define WORKER_BACKOFF_MAX_MS 30000L
/* Delivery counts kept in the cache for queues that cannot count. */
#define DELIVERY_COUNT_TTL_S 86400
/* Settling a delivery is retried this often before its lease is left to
 * run out (or be reclaimed when this process is gone). */
#define SETTLE_TRIES 4

/* ---- set-up ------------------------------------------------------------ */

typedef struct worker_env {
    long max_deliveries, backoff_ms, beat_ms, stall_s, renew_ms, budget_s;
} worker_env;

static int read_env(worker_env *v, rnr_error *err)
{
    int rc = env_long("RNR_MAX_DELIVERIES", 5, 1, 1000000, &v->max_deliveries, err);
    if (!rc)
        rc = env_long("RNR_RETRY_BACKOFF_MS", 1000, 0, 600000, &v->backoff_ms, err);
    if (!rc)
        rc = env_long("RNR_HEARTBEAT_MS", 5000, 10, 600000, &v->beat_ms, err);
    if (!rc)
        rc = env_long("RNR_STALL_SECONDS", 120, 1, 86400, &v->stall_s, err);
    if (!rc)
        rc = env_long("RNR_LEASE_RENEW_MS", 60000, 10, 86400000, &v->renew_ms, err);
    /* RabbitMQ's consumer_timeout is 30 min by default: a product hands
     * what is left to follow-ups well before it (0 = no budget) */
    if (!rc)
        rc = env_long("RNR_PRODUCT_BUDGET_SECONDS", 900, 0, 86400, &v->budget_s, err);
    return rc;
}

/* The heartbeat from the start, so a hydrofabric download counts as
 * progress (its temporary file grows under the state directory). */
static int start_beat(worker *w, const worker_env *v, rnr_error *err)
{
    worker_beat_opts bo = {.health_file = w->cfg->health_file,
                           .progress = &w->progress,
                           .beat_ms = v->beat_ms,
                           .stall_ms = (int64_t)v->stall_s * 1000,
                           .renew_ms = v->renew_ms,
                           .watch_dir = w->cfg->state_dir,
                           .watch_prefix = "hf-"};
    return worker_beat_start(&bo, &w->beat, err);
}

static int open_queues(worker *w, rnr_error *err)
{
    const rnr_config *cfg = w->cfg;
    char sites[300];
    snprintf(sites, sizeof sites, "%s.sites", cfg->queue_name ? cfg->queue_name : "hml_files");
    int rc = backend_open_queue(cfg->queue_url, cfg->queue_name, &w->queue, err);
    if (!rc)
        rc = backend_open_queue(cfg->queue_url, sites, &w->sites, err);
    /* the heartbeat renews leases from its own thread: its own handles */
    if (!rc && w->queue->ops->extend)
        rc = backend_open_queue(cfg->queue_url, cfg->queue_name, &w->beat_queue, err);
    if (!rc && w->queue->ops->extend)
        rc = backend_open_queue(cfg->queue_url, sites, &w->beat_sites, err);
    if (!rc)
        rc = backend_open_cache(cfg->cache_url, &w->cache, err);
    return rc;
}

int worker_new(const rnr_config *cfg, worker **out, rnr_error *err)
{
    *out = NULL;
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    w->cfg = cfg;
    /* read_env stops at the first bad variable: the rest stay zero, never
     * garbage copied into w */
    worker_env v = {0};
    int rc = read_env(&v, err);
    if (!rc) {
        w->max_deliveries = (int)v.max_deliveries;
        w->backoff_base_ms = v.backoff_ms;
        w->budget_ms = (int64_t)v.budget_s * 1000;
    }
    if (!rc) {
        nws_source_opts no = {cfg->nws_url, cfg->nwps_url, cfg->user_agent, &w->abort_now,
                              &w->progress};
        rc = backend_open_nws(&no, &w->nws, err);
    }
    if (!rc)
        rc = start_beat(w, &v, err);
    if (!rc)
        rc = open_queues(w, err);
    if (!rc)
        rc = backend_open_store(cfg->store_url, &w->store, err);
    if (!rc)
        rc = config_open_hydrofabric(w->cfg, w->store, &w->hf, err);
    if (rc) {
        worker_free(w);
        return rc;
    }
    worker_workdir_sweep(cfg->state_dir);
    nws_hml_init();
    *out = w;
    return RNR_OK;
}

void worker_free(worker *w)
{
    if (!w)
        return;
    worker_beat_stop(w->beat);
    nws_source_free(w->nws);
    if (w->hf)
        hf_close(w->hf);
    store_free(w->store);
    cache_free(w->cache);
    queue_free(w->beat_sites);
    queue_free(w->beat_queue);
    queue_free(w->sites);
    queue_free(w->queue);
    free(w);
}

/* ---- grace watchdog ---------------------------------------------------- */

typedef struct watchdog {
    worker *w;
    const volatile sig_atomic_t *stop;
    int64_t grace_ms;
    volatile int done;
    pthread_mutex_t mu;
} watchdog;

static void *watchdog_main(void *arg)
{
    watchdog *d = arg;
    int64_t seen = -1;
    for (;;) {
        pthread_mutex_lock(&d->mu);
        int done = d->done;
        pthread_mutex_unlock(&d->mu);
        if (done)
            break;
        if (d->stop && *d->stop) {
            int64_t now = time_mono_ms();
            if (seen < 0)
                seen = now;
            if (now - seen >= d->grace_ms) {
                d->w->abort_now = 1;
                break;
            }
        }
        time_sleep_ms(50);
    }
    return NULL;
}

/* ---- the loop ---------------------------------------------------------- */

static void sleep_interruptible(const worker_run_opts *o, int64_t ms)
{
    int64_t end = time_mono_ms() + ms;
    while (!(o->stop && *o->stop)) {
        int64_t left = end - time_mono_ms();
        if (left <= 0)
            break;
        time_sleep_ms(left < 50 ? left : 50);
    }
}

int64_t worker_backoff_ms(const worker *w, int attempt)
{
    int64_t ms = w->backoff_base_ms;
    for (int i = 1; i < attempt && ms < WORKER_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < WORKER_BACKOFF_MAX_MS ? ms : WORKER_BACKOFF_MAX_MS;
}

/* One delivery being worked on: which queue it came from. */
typedef struct held {
    rnr_queue *q;
    int is_site;
    queue_message qm;
    int counted;        /* its delivery count is kept in the cache */
    int64_t started_ms; /* monotonic, when the work on it began */
} held;

static void count_key(const held *h, char *key, size_t n)
{
    uint64_t x = 1469598103934665603ULL; /* FNV-1a of the body */
    for (size_t i = 0; i < h->qm.len; i++) {
        x ^= (unsigned char)h->qm.body[i];
        x *= 1099511628211ULL;
    }
    snprintf(key, n, "rnr:deliveries:%s:%016llx", h->is_site ? "sites" : "products",
             (unsigned long long)x);
}

/* A classic RabbitMQ queue says 0 on a redelivery: keep the count in the
 * cache, so a message that kills its workers still reaches the limit. The
 * first delivery costs nothing (an absent key means 1 delivery so far). */
static void resolve_delivery_count(worker *w, held *h)
{
    if (h->qm.delivery_count > 0 || !w->cache)
        return;
    char key[128], *v = NULL, val[24];
    rnr_error e = {0};
    count_key(h, key, sizeof key);
    if (cache_get(w->cache, key, &v, &e) != RNR_OK) {
        log_warn("worker", "delivery count unavailable: %s", e.msg);
        return;
    }
    long seen = v ? strtol(v, NULL, 10) : 1;
    free(v);
    h->qm.delivery_count = (int)(seen < 1 ? 1 : seen) + 1;
    snprintf(val, sizeof val, "%d", h->qm.delivery_count);
    if (cache_set(w->cache, key, val, DELIVERY_COUNT_TTL_S, &e) != RNR_OK)
        log_warn("worker", "cannot keep the delivery count: %s", e.msg);
    h->counted = 1;
}

/* The message is settled for good: a replay of it starts from 1 again. */
static void forget_delivery_count(worker *w, const held *h)
{
    char key[128];
    rnr_error e = {0};
    if (!h->counted)
        return;
    count_key(h, key, sizeof key);
    if (cache_set(w->cache, key, "0", 1, &e) != RNR_OK)
        log_warn("worker", "cannot reset the delivery count: %s", e.msg);
}

/* Settle with a few quick retries: a failed nack or ack would otherwise
 * strand the message until its lease runs out. */
static int settle_op(worker *w, held *h, int outcome, const char *reason, rnr_error *e)
{
    int rc = RNR_OK;
    for (int i = 0; i < SETTLE_TRIES; i++) {
        if (i)
            time_sleep_ms(100L << i);
        rc = outcome == MSG_ACK    ? queue_ack(h->q, h->qm.tag, e)
             : outcome == MSG_DEAD ? queue_dead_letter(h->q, h->qm.tag, reason, e)
                                   : queue_nack(h->q, h->qm.tag, 1, e);
        /* a tag that is not held any more will not become held again */
        if (rc == RNR_OK || rc == RNR_ERR_NOTFOUND || rc == RNR_ERR_INVALID)
            break;
        (void)w;
    }
    return rc;
}

/* The line that says how a delivery ends, before it is settled. */
static void log_settle(const worker *w, const held *h, int outcome, int attempts, const msg_ctx *m)
{
    long long ms = time_mono_ms() - h->started_ms;
    int delivery = h->qm.delivery_count;
    if (outcome == MSG_DEAD)
        log_event(LOG_WARN, "worker", "dead_letter", "dead-lettering delivery={delivery}: {error}",
                  LOG_INT("delivery", delivery), LOG_STR("error", m->reason),
                  LOG_INT("duration_ms", ms));
    else if (outcome == MSG_RELEASE)
        log_event(LOG_INFO, "worker", "release", "stopping: releasing the message for redelivery",
                  LOG_INT("delivery", delivery), LOG_INT("duration_ms", ms));
    else if (outcome == MSG_RETRY)
        log_event(LOG_WARN, "worker", "retry",
                  "retrying later (attempt {attempt} of {max_attempts}): {error}",
                  LOG_INT("attempt", attempts), LOG_INT("max_attempts", w->max_deliveries),
                  LOG_STR("error", m->last.msg), LOG_INT("delivery", delivery),
                  LOG_INT("duration_ms", ms));
    else
        log_event(LOG_INFO, "worker", "ack", "acked delivery={delivery} after {duration_ms} ms",
                  LOG_INT("delivery", delivery), LOG_INT("duration_ms", ms),
                  LOG_INT("routed", m->delta.routed), LOG_INT("outputs", m->delta.outputs));
}

/* Settle the delivery; its counts join st only when that worked (a
 * delivery that could not be settled is redelivered and counted then). */
static void settle(worker *w, const worker_run_opts *o, held *h, int outcome, msg_ctx *m,
                   worker_stats *st)
{
    rnr_error e = {0};
    int attempts = h->qm.delivery_count;
    /* the time spent counts whatever became of the delivery; taken out of
     * the delta so worker_stats_add below does not count it again */
    for (int k = 0; k < WORKER_STEP_COUNT; k++)
        prom_hist_add(&st->steps[k], &m->delta.steps[k]);
    memset(m->delta.steps, 0, sizeof m->delta.steps);
    if (outcome == MSG_RETRY)
        attempts = worker_attempts_fail(&w->attempts, h->qm.body, h->qm.len, attempts);
    else if (outcome != MSG_RELEASE)
        worker_attempts_forget(&w->attempts, h->qm.body, h->qm.len);
    if (outcome == MSG_RETRY && attempts >= w->max_deliveries) {
        snprintf(m->reason, sizeof m->reason, "failed %d times: %.600s", attempts, m->last.msg);
        worker_attempts_forget(&w->attempts, h->qm.body, h->qm.len);
        outcome = MSG_DEAD;
    }
    log_settle(w, h, outcome, attempts, m);
    int rc = settle_op(w, h, outcome, m->reason, &e);
    if (rc != RNR_OK) {
        log_event(LOG_WARN, "worker", "settle_failed",
                  "settling the message failed (it will be delivered again): {error}",
                  LOG_STR("error", e.msg), LOG_INT("delivery", h->qm.delivery_count));
        return;
    }
    if (outcome == MSG_ACK || outcome == MSG_DEAD)
        forget_delivery_count(w, h);
    if (outcome == MSG_ACK)
        st->acked++;
    else if (outcome == MSG_DEAD)
        st->dead++;
    else if (outcome == MSG_RETRY)
        st->retried++;
    if (outcome != MSG_RELEASE && outcome != MSG_RETRY)
        worker_stats_add(st, &m->delta);
    if (outcome == MSG_RETRY)
        sleep_interruptible(o, worker_backoff_ms(w, attempts));
}

static void write_stats(const worker_run_opts *o, const worker_stats *st)
{
    rnr_error e = {0};
    if (o->stats_file && worker_stats_write(st, o->stats_file, &e) != RNR_OK)
        log_warn("worker", "%s", e.msg);
}

static int process(worker *w, held *h, msg_ctx *m)
{
    resolve_delivery_count(w, h);
    if (h->qm.delivery_count > w->max_deliveries) {
        /* it was handed out this often without being settled: it kills or
         * hangs its workers (a poison message) */
        snprintf(m->reason, sizeof m->reason,
                 "delivery limit %d exceeded (delivered %d times without being settled)",
                 w->max_deliveries, h->qm.delivery_count);
        return MSG_DEAD;
    }
    char tmp[1100];
    worker_workdir_make(w->cfg->state_dir, tmp, sizeof tmp);
    if (!tmp[0]) {
        rnr_error_set(&m->last, RNR_ERR_IO, "cannot create a work directory under %s: %s",
                      w->cfg->state_dir, strerror(errno));
        return MSG_RETRY;
    }
    m->tmpdir = tmp;
    worker_test_fault(h->qm.body);
    int outcome = h->is_site ? worker_followup_handle(m, &h->qm) : worker_product_handle(m, &h->qm);
    worker_workdir_remove(tmp);
    return outcome;
}

static int stopping(const worker_run_opts *o)
{
    return o->stop && *o->stop;
}

/* A follow-up when one is due, else a product; RNR_ERR_TIMEOUT when
 * neither came within timeout_ms. */
static int take(worker *w, int timeout_ms, held *h, rnr_error *e)
{
    memset(h, 0, sizeof *h);
    int rc = queue_get(w->sites, 0, &h->qm, e);
    if (rc == RNR_OK) {
        h->q = w->sites;
        h->is_site = 1;
        return RNR_OK;
    }
    if (rc != RNR_ERR_TIMEOUT)
        return rc;
    h->q = w->queue;
    return queue_get(w->queue, timeout_ms, &h->qm, e);
}

static void work_on(worker *w, const worker_run_opts *o, held *h, worker_stats *st)
{
    st->messages++;
    st->busy = 1;
    h->started_ms = time_mono_ms();
    write_stats(o, st); /* `rnr up` waits for busy workers before it stops them */
    /* every line about the message carries its trace id, and so do its
     * follow-ups and outputs; one published without (the reference's
     * producer) gets one here */
    char fresh[TRACE_ID_MAX];
    log_set_trace_id(trace_id_or_new(h->qm.trace_id, fresh));
    log_context_set("queue", h->is_site ? "sites" : "products");
    worker_beat_hold(w->beat, h->is_site ? w->beat_sites : w->beat_queue, h->qm.tag);
    msg_ctx m;
    memset(&m, 0, sizeof m);
    m.w = w;
    int outcome = process(w, h, &m);
    worker_beat_release(w->beat);
    settle(w, o, h, outcome, &m, st);
    st->busy = 0;
    write_stats(o, st);
    log_context_clear();
    log_set_trace_id(NULL);
}

static int run_loop(worker *w, const worker_run_opts *o, worker_stats *st, rnr_error *err)
{
    int64_t idle_since = time_mono_ms();
    while (!stopping(o) && !w->abort_now) {
        worker_health_touch(w->cfg->health_file);
        if (o->max_messages > 0 && st->messages >= o->max_messages)
            break;
        held h;
        rnr_error e = {0};
        int timeout = WORKER_GET_TIMEOUT_MS;
        if (o->idle_exit_ms > 0 && o->idle_exit_ms < timeout)
            timeout = o->idle_exit_ms;
        int rc = take(w, timeout, &h, &e);
        if (rc == RNR_ERR_TIMEOUT) {
            if (o->idle_exit_ms > 0 && time_mono_ms() - idle_since >= o->idle_exit_ms)
                break;
            continue;
        }
        if (rc) {
            if (!rnr_code_is_transient(rc)) {
                *err = e;
                return rc;
            }
            log_event(LOG_WARN, "worker", "queue_unavailable",
                      "queue unavailable, retrying: {error}", LOG_STR("error", e.msg));
            sleep_interruptible(o, 1000);
            continue;
        }
        if (stopping(o)) {
            /* arrived while we were told to stop: hand it back untouched */
            if (queue_nack(h.q, h.qm.tag, 1, &e) != RNR_OK)
                log_warn("worker", "release failed (the lease will expire): %s", e.msg);
            queue_message_clear(&h.qm);
            break;
        }
        work_on(w, o, &h, st);
        queue_message_clear(&h.qm);
        worker_health_touch(w->cfg->health_file);
        idle_since = time_mono_ms();
    }
    return RNR_OK;
}

int worker_run(worker *w, const worker_run_opts *o, worker_stats *st, rnr_error *err)
{
    memset(st, 0, sizeof *st);
    st->pid = (int)getpid();
    w->abort_now = 0;
    watchdog d = {w, o->stop, (int64_t)w->cfg->grace_s * 1000, 0, PTHREAD_MUTEX_INITIALIZER};
    pthread_t th;
    int have_thread = o->stop && pthread_create(&th, NULL, watchdog_main, &d) == 0;
    write_stats(o, st);
    int rc = run_loop(w, o, st, err);
    if (have_thread) {
        pthread_mutex_lock(&d.mu);
        d.done = 1;
        pthread_mutex_unlock(&d.mu);
        pthread_join(th, NULL);
    }
    log_event(
        LOG_INFO, "worker", "stopped",
        "stopped messages={messages} acked={acked} retried={retried} dead={dead} "
        "routed={routed} outputs={outputs} sites_retried={sites_retried} sites_dead={sites_dead}",
        LOG_INT("messages", st->messages), LOG_INT("acked", st->acked),
        LOG_INT("retried", st->retried), LOG_INT("dead", st->dead), LOG_INT("routed", st->routed),
        LOG_INT("outputs", st->outputs), LOG_INT("sites_retried", st->sites_retried),
        LOG_INT("sites_dead", st->sites_dead));
    if (o->stats_file) {
        rnr_error e = {0};
        if (worker_stats_write(st, o->stats_file, &e) != RNR_OK && rc == RNR_OK)
            rc = rnr_error_set(err, e.code, "%s", e.msg);
    }
    return rc;
}
