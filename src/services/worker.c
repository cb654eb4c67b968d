/* worker.c - the RnR worker loop: take one queued HML product, route every
 * flooding gauge in it, store the outputs, then ack.
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

#include "adapters/backends.h"
#include "adapters/http.h"
#include "adapters/nws_client.h"
#include "core/envutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "hydrofabric/hf.h"
#include "nws/hml.h"
#include "nws/products.h"
#include "services/route_job.h"
#include "services/worker_internal.h"

#define WORKER_GET_TIMEOUT_MS 500
#define WORKER_BACKOFF_MAX_MS 30000L

/* What becomes of one delivery. */
enum msg_outcome { MSG_ACK, MSG_RETRY, MSG_DEAD, MSG_RELEASE };

struct worker {
    const rnr_config *cfg;
    rnr_queue *queue;
    rnr_store *store;
    hf_db *hf;
    http_client *http;
    volatile sig_atomic_t abort_now; /* the HTTP client's stop flag */
    int max_deliveries;
    long backoff_base_ms;
    worker_attempts attempts;
    nws_endpoints ep;
};

/* ---- set-up ------------------------------------------------------------ */

int worker_new(const rnr_config *cfg, worker **out, rnr_error *err)
{
    *out = NULL;
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    w->cfg = cfg;
    long max_deliveries, backoff;
    int rc = env_long("RNR_MAX_DELIVERIES", 5, 1, 1000000, &max_deliveries, err);
    if (!rc)
        rc = env_long("RNR_RETRY_BACKOFF_MS", 1000, 0, 600000, &backoff, err);
    w->max_deliveries = (int)max_deliveries;
    w->backoff_base_ms = (int)backoff;
    if (!rc)
        rc = nws_endpoints_from_env(&w->ep, err);
    if (!rc)
        rc = backend_open_queue(cfg->queue_url, cfg->queue_name, &w->queue, err);
    if (!rc)
        rc = backend_open_store(cfg->store_url, &w->store, err);
    if (!rc)
        rc = config_open_hydrofabric(w->cfg, w->store, &w->hf, err);
    if (!rc) {
        http_opts o;
        http_opts_from_env(&o);
        if (cfg->user_agent && *cfg->user_agent)
            o.user_agent = cfg->user_agent;
        o.stop = &w->abort_now;
        rc = http_client_new(&o, &w->http, err);
    }
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
    http_client_free(w->http);
    if (w->hf)
        hf_close(w->hf);
    store_free(w->store);
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

/* ---- one site ---------------------------------------------------------- */

typedef struct msg_ctx {
    worker *w;
    worker_stats *st;
    const char *tmpdir;
    rnr_error last;  /* the transient failure that makes the message retry */
} msg_ctx;

static void count_skip(msg_ctx *m, const char *lid, int reason, const char *why)
{
    if (reason > 0 && reason < NWS_SKIP_COUNT)
        m->st->skipped[reason]++;
    log_info("worker", "skip lid=%s reason=%s: %s", lid, nws_skip_name(reason),
             why && *why ? why : nws_skip_message(reason));
}

/* Site-level result: 0 done (routed, skipped or failed), else a message
 * outcome (MSG_RETRY / MSG_RELEASE) with m->last filled. */
static int site_transient(msg_ctx *m, int rc, const rnr_error *e, const char *lid)
{
    m->last = *e;
    if (rc == RNR_ERR_CANCELLED || m->w->abort_now)
        return MSG_RELEASE;
    rnr_error_prefix(&m->last, "lid %s: ", lid);
    return MSG_RETRY;
}

static int store_outputs(msg_ctx *m, const char *lid, const route_job_result *res)
{
    worker *w = m->w;
    const char *files[2] = {res->nc_path, res->svg_path};
    const char *types[2] = {"application/x-netcdf", "image/svg+xml"};
    for (int i = 0; i < 2; i++) {
        if (!files[i][0])
            continue;
        const char *base = strrchr(files[i], '/');
        base = base ? base + 1 : files[i];
        char key[1200];
        snprintf(key, sizeof key, "%s/%s/%s", w->cfg->output_prefix, lid, base);
        rnr_error e = {0};
        int rc = store_put_file(w->store, key, files[i], types[i], &e);
        if (rc == RNR_OK) {
            log_info("worker", "stored lid=%s key=%s", lid, key);
            if (i == 0)
                m->st->outputs++;
            continue;
        }
        if (rnr_code_is_transient(rc) || rc == RNR_ERR_IO || rc == RNR_ERR_NOMEM)
            return site_transient(m, rc, &e, lid);
        log_warn("worker", "failed lid=%s: cannot store %s: %s", lid, key, e.msg);
        m->st->failed_sites++;
        return -1;
    }
    return 0;
}

/* The forecast (and observations, NULL when there are none): 1 when the
 * site goes on, 0 when it was skipped, -1 with *outcome for the message. */
static int fetch_series(msg_ctx *m, const nwps_gauge *g, nwps_stageflow **fc,
                        nwps_stageflow **obs, int *outcome)
{
    worker *w = m->w;
    char *body = NULL;
    size_t len = 0;
    rnr_error e = {0};
    int rc = nwps_fetch_stageflow(w->http, w->ep.nwps, g->lid, "forecast", &body, &len, &e);
    if (rc == RNR_ERR_NOTFOUND) {
        count_skip(m, g->lid, NWS_SKIP_NO_FORECAST, e.msg);
        return 0;
    }
    if (rc) {
        *outcome = site_transient(m, rc, &e, g->lid);
        return -1;
    }
    rc = nwps_stageflow_parse(body, len, fc, &e);
    free(body);
    if (rc) {
        count_skip(m, g->lid, NWS_SKIP_BAD_STAGEFLOW, e.msg);
        return 0;
    }
    body = NULL;
    rc = nwps_fetch_stageflow(w->http, w->ep.nwps, g->lid, "observed", &body, &len, &e);
    if (rc == RNR_OK) {
        if (nwps_stageflow_parse(body, len, obs, &e) != RNR_OK) {
            log_info("worker", "lid=%s: observations unreadable, routing without: %s", g->lid,
                     e.msg);
            *obs = NULL;
        }
        free(body);
    } else if (rc != RNR_ERR_NOTFOUND) {
        *outcome = site_transient(m, rc, &e, g->lid);
        return -1;
    }
    return 1;
}

static int route_and_store(msg_ctx *m, const rnr_forecast *f)
{
    worker *w = m->w;
    route_job_opts o = {.forcing_mode = w->cfg->forcing_mode, .dt = 300.0f,
                        .write_plot = w->cfg->write_plots};
    route_job_result res;
    memset(&res, 0, sizeof res);
    rnr_error e = {0};
    int rc = route_job_run(w->hf, f, &o, m->tmpdir, &res, &e);
    if (rc == RNR_ERR_INVALID || rc == RNR_ERR_NOTFOUND || rc == RNR_ERR_PARSE ||
        rc == RNR_ERR_LIMIT || rc == RNR_ERR_UNSUPPORTED) {
        log_warn("worker", "failed lid=%s reach=%lld: %s", f->lid, (long long)f->reach_id, e.msg);
        m->st->failed_sites++;
        return 0;
    }
    if (rc)
        return site_transient(m, rc, &e, f->lid);
    if (w->abort_now) {
        unlink(res.nc_path);
        if (res.svg_path[0])
            unlink(res.svg_path);
        return MSG_RELEASE;
    }
    int out = store_outputs(m, f->lid, &res);
    unlink(res.nc_path);
    if (res.svg_path[0])
        unlink(res.svg_path);
    if (out > 0)
        return out;
    if (out == 0) {
        m->st->routed++;
        log_info("worker", "routed lid=%s reach=%lld segments=%zu steps=%zu peak_outlet=%.1f",
                 f->lid, (long long)f->reach_id, res.nseg, res.ntime, res.peak_outlet);
    }
    return 0;
}

/* Everything for one lid; 0 when the site is settled, else an outcome. */
static int process_site(msg_ctx *m, const char *lid)
{
    worker *w = m->w;
    char *body = NULL;
    size_t len = 0;
    rnr_error e = {0};
    int rc = nwps_fetch_gauge(w->http, w->ep.nwps, lid, &body, &len, &e);
    if (rc == RNR_ERR_NOTFOUND) {
        count_skip(m, lid, NWS_SKIP_GAUGE_NOT_FOUND, e.msg);
        return 0;
    }
    if (rc)
        return site_transient(m, rc, &e, lid);
    nwps_gauge g;
    rc = nwps_gauge_parse(body, len, &g, &e);
    free(body);
    if (rc) {
        count_skip(m, lid, NWS_SKIP_BAD_GAUGE, e.msg);
        return 0;
    }
    int reason = NWS_RUN;
    if (!nws_decide_gauge(&g, &reason)) {
        count_skip(m, lid, reason, NULL);
        return 0;
    }
    nwps_stageflow *fc = NULL, *obs = NULL;
    int outcome = 0;
    int have = fetch_series(m, &g, &fc, &obs, &outcome);
    if (have <= 0) {
        nwps_stageflow_free(fc);
        return have < 0 ? outcome : 0;
    }
    rnr_forecast *f = NULL;
    rc = nws_build_request(&g, fc, obs, &f, &reason, &e);
    nwps_stageflow_free(fc);
    nwps_stageflow_free(obs);
    if (rc == RNR_ERR_INVALID && reason != NWS_RUN) {
        count_skip(m, lid, reason, e.msg);
        return 0;
    }
    if (rc == RNR_ERR_NOMEM)
        return site_transient(m, rc, &e, lid);
    if (rc) {
        log_warn("worker", "failed lid=%s: %s", lid, e.msg);
        m->st->failed_sites++;
        return 0;
    }
    outcome = route_and_store(m, f);
    forecast_free(f);
    return outcome;
}

/* ---- one message ------------------------------------------------------- */

static int process_product(msg_ctx *m, const nws_product *p, char *reason, size_t rn)
{
    worker *w = m->w;
    char *body = NULL, *text = NULL;
    size_t len = 0, tlen = 0;
    rnr_error e = {0};
    int rc = nws_fetch_product(w->http, p->url, &body, &len, &e);
    if (rc == RNR_ERR_NOTFOUND) {
        log_warn("worker", "product id=%s is gone (404), dropping it: %s", p->id, e.msg);
        return MSG_ACK;
    }
    if (rc == RNR_ERR_LIMIT || rc == RNR_ERR_INVALID) {
        snprintf(reason, rn, "product %s: %s", p->id, e.msg);
        return MSG_DEAD;
    }
    if (rc) {
        m->last = e;
        return rc == RNR_ERR_CANCELLED || w->abort_now ? MSG_RELEASE : MSG_RETRY;
    }
    rc = nws_product_text_parse(body, len, &text, &tlen, &e);
    free(body);
    nws_hml_product *hml = NULL;
    if (!rc)
        rc = nws_hml_parse(text, tlen, NULL, &hml, &e);
    free(text);
    if (rc) {
        snprintf(reason, rn, "product %s: %s", p->id, e.msg);
        return MSG_DEAD;
    }
    log_info("worker", "product id=%s sites=%zu documents=%zu failed_documents=%zu", p->id,
             hml->n_sites, hml->n_documents, hml->n_failed);
    int outcome = MSG_ACK;
    for (size_t i = 0; i < hml->n_sites; i++) {
        if (w->abort_now) {
            outcome = MSG_RELEASE;
            break;
        }
        m->st->sites++;
        int r = process_site(m, hml->sites[i].lid);
        if (r != 0) {
            outcome = r;
            break;
        }
    }
    nws_hml_product_free(hml);
    return outcome;
}

static int process_message(worker *w, const queue_message *qm, worker_stats *st, char *reason,
                           size_t rn, rnr_error *last)
{
    nws_product p;
    memset(&p, 0, sizeof p);
    rnr_error e = {0};
    if (nws_product_from_message(qm->body, qm->len, &p, &e) != RNR_OK) {
        snprintf(reason, rn, "malformed message: %s", e.msg);
        nws_product_clear(&p);
        return MSG_DEAD;
    }
    log_info("worker", "message id=%s delivery=%d url=%s", p.id, qm->delivery_count, p.url);
    msg_ctx m = {w, st, NULL, {0}};
    char tmp[1100];
    worker_workdir_make(w->cfg->state_dir, tmp, sizeof tmp);
    int outcome;
    if (!tmp[0]) {
        rnr_error_set(&m.last, RNR_ERR_IO, "cannot create a work directory under %s: %s",
                      w->cfg->state_dir, strerror(errno));
        outcome = MSG_RETRY;
    } else {
        m.tmpdir = tmp;
        outcome = process_product(&m, &p, reason, rn);
        worker_workdir_remove(tmp);
    }
    *last = m.last;
    nws_product_clear(&p);
    return outcome;
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

static int64_t backoff_ms(const worker *w, int delivery)
{
    int64_t ms = w->backoff_base_ms;
    for (int i = 1; i < delivery && ms < WORKER_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < WORKER_BACKOFF_MAX_MS ? ms : WORKER_BACKOFF_MAX_MS;
}

static void settle_dead(worker *w, const queue_message *qm, const char *reason, worker_stats *st)
{
    rnr_error e = {0};
    log_warn("worker", "dead-lettering delivery=%d: %s", qm->delivery_count, reason);
    if (queue_dead_letter(w->queue, qm->tag, reason, &e) == RNR_OK)
        st->dead++;
    else
        log_warn("worker", "dead-letter failed (the queue will redeliver): %s", e.msg);
}

static void settle(worker *w, const worker_run_opts *o, const queue_message *qm, int outcome,
                   const char *reason, const rnr_error *last, worker_stats *st)
{
    rnr_error e = {0};
    int attempts = qm->delivery_count;
    if (outcome == MSG_RETRY)
        attempts = worker_attempts_fail(&w->attempts, qm->body, qm->len, qm->delivery_count);
    else if (outcome != MSG_RELEASE)
        worker_attempts_forget(&w->attempts, qm->body, qm->len);
    if (outcome == MSG_RETRY && attempts >= w->max_deliveries) {
        char why[700];
        snprintf(why, sizeof why, "failed %d times: %s", attempts, last->msg);
        worker_attempts_forget(&w->attempts, qm->body, qm->len);
        settle_dead(w, qm, why, st);
        return;
    }
    switch (outcome) {
    case MSG_ACK:
        if (queue_ack(w->queue, qm->tag, &e) == RNR_OK)
            st->acked++;
        else
            log_warn("worker", "ack failed (the queue will redeliver): %s", e.msg);
        break;
    case MSG_DEAD:
        settle_dead(w, qm, reason, st);
        break;
    case MSG_RELEASE:
        log_info("worker", "stopping: releasing the message for redelivery");
        if (queue_nack(w->queue, qm->tag, 1, &e) != RNR_OK)
            log_warn("worker", "release failed (the lease will expire): %s", e.msg);
        break;
    default:
        log_warn("worker", "retrying later (attempt %d of %d): %s", attempts, w->max_deliveries,
                 last->msg);
        if (queue_nack(w->queue, qm->tag, 1, &e) == RNR_OK)
            st->retried++;
        else
            log_warn("worker", "nack failed (the lease will expire): %s", e.msg);
        sleep_interruptible(o, backoff_ms(w, attempts));
        break;
    }
}

static int stopping(const worker_run_opts *o)
{
    return o->stop && *o->stop;
}

static int run_loop(worker *w, const worker_run_opts *o, worker_stats *st, rnr_error *err)
{
    int64_t idle_since = time_mono_ms();
    while (!stopping(o) && !w->abort_now) {
        worker_health_touch(w->cfg->health_file);
        if (o->max_messages > 0 && st->messages >= o->max_messages)
            break;
        queue_message qm;
        memset(&qm, 0, sizeof qm);
        rnr_error e = {0};
        int timeout = WORKER_GET_TIMEOUT_MS;
        if (o->idle_exit_ms > 0 && o->idle_exit_ms < timeout)
            timeout = o->idle_exit_ms;
        int rc = queue_get(w->queue, timeout, &qm, &e);
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
            log_warn("worker", "queue unavailable, retrying: %s", e.msg);
            sleep_interruptible(o, 1000);
            continue;
        }
        if (stopping(o)) {
            /* arrived while we were told to stop: hand it back untouched */
            if (queue_nack(w->queue, qm.tag, 1, &e) != RNR_OK)
                log_warn("worker", "release failed (the lease will expire): %s", e.msg);
            queue_message_clear(&qm);
            break;
        }
        st->messages++;
        log_set_trace_id(qm.trace_id);
        char reason[700] = "";
        rnr_error last = {0};
        int outcome = process_message(w, &qm, st, reason, sizeof reason, &last);
        settle(w, o, &qm, outcome, reason, &last, st);
        log_set_trace_id(NULL);
        queue_message_clear(&qm);
        worker_health_touch(w->cfg->health_file);
        idle_since = time_mono_ms();
    }
    return RNR_OK;
}

int worker_run(worker *w, const worker_run_opts *o, worker_stats *st, rnr_error *err)
{
    memset(st, 0, sizeof *st);
    w->abort_now = 0;
    watchdog d = {w, o->stop, (int64_t)w->cfg->grace_s * 1000, 0, PTHREAD_MUTEX_INITIALIZER};
    pthread_t th;
    int have_thread = o->stop && pthread_create(&th, NULL, watchdog_main, &d) == 0;
    int rc = run_loop(w, o, st, err);
    if (have_thread) {
        pthread_mutex_lock(&d.mu);
        d.done = 1;
        pthread_mutex_unlock(&d.mu);
        pthread_join(th, NULL);
    }
    log_info("worker", "stopped messages=%d acked=%d retried=%d dead=%d routed=%d outputs=%d",
             st->messages, st->acked, st->retried, st->dead, st->routed, st->outputs);
    if (o->stats_file) {
        rnr_error e = {0};
        if (worker_stats_write(st, o->stats_file, &e) != RNR_OK && rc == RNR_OK)
            rc = rnr_error_set(err, e.code, "%s", e.msg);
    }
    return rc;
}
