/* worker_product.c - a product message and a site follow-up message: for
 * each site, read its ledger entry, plan (worker_sites.h), do the work,
 * record and count the outcome, and hand a transiently failing site to a
 * follow-up message of its own (with backoff) or, after the delivery
 * limit, to its own dead letter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "nws/hml.h"
#include "nws/products.h"
#include "services/worker_internal.h"
#include "services/worker_sites.h"

/* Ledger entries live as long as the producer's dedup key: a product
 * seen again after that is new work anyway. */
#define SITE_LEDGER_TTL_S 604800

typedef struct site_job {
    const char *product_id, *product_url, *lid;
    int origin;  /* 0: the product's delivery; k: follow-up attempt k */
    int attempt; /* the attempt this run makes */
} site_job;

static void ledger_get(worker *w, const site_job *j, site_record *r)
{
    char key[600], *v = NULL;
    rnr_error e = {0};
    memset(r, 0, sizeof *r);
    if (!w->cache || site_record_key(j->product_id, j->lid, key, sizeof key) != 0)
        return;
    if (cache_get(w->cache, key, &v, &e) != RNR_OK) {
        /* without the ledger the site runs again: its outputs are
         * overwritten with the same bytes, nothing is lost */
        log_event(LOG_WARN, "worker", "ledger_unreadable",
                  "site ledger unreadable, running lid={lid}: {error}", LOG_STR("lid", j->lid),
                  LOG_STR("error", e.msg));
        return;
    }
    site_record_parse(v, r);
    free(v);
}

static void ledger_set(worker *w, const site_job *j, const site_record *r)
{
    char key[600], val[64];
    rnr_error e = {0};
    if (!w->cache || site_record_key(j->product_id, j->lid, key, sizeof key) != 0 ||
        site_record_format(r, val, sizeof val) != 0)
        return;
    if (cache_set(w->cache, key, val, SITE_LEDGER_TTL_S, &e) != RNR_OK)
        log_event(LOG_WARN, "worker", "ledger_unwritable",
                  "cannot record lid={lid} of product {product}: {error}", LOG_STR("lid", j->lid),
                  LOG_STR("product", j->product_id), LOG_STR("error", e.msg));
}

static void count_outcome(worker_stats *d, const site_record *r, int outputs)
{
    if (r->state == SITE_ROUTED) {
        d->routed++;
        d->outputs += outputs;
    } else if (r->state == SITE_SKIPPED && r->reason > 0 && r->reason < NWS_SKIP_COUNT) {
        d->skipped[r->reason]++;
    } else if (r->state == SITE_FAILED) {
        d->failed_sites++;
    }
}

/* Publish j's next attempt on the sites queue, due after delay_ms. */
static int publish_followup(msg_ctx *m, const site_job *j, int attempt, int64_t delay_ms,
                            const char *why)
{
    site_msg sm = {(char *)j->product_id, (char *)j->product_url, (char *)j->lid, attempt,
                   (char *)why};
    char *json = NULL;
    int rc = site_msg_format(&sm, &json, &m->last);
    if (rc == RNR_OK) {
        queue_publish_opts o = {.trace_id = log_get_trace_id(), .delay_ms = delay_ms};
        rc = queue_publish(m->w->sites, json, strlen(json), &o, &m->last);
    }
    free(json);
    if (rc != RNR_OK)
        rnr_error_prefix(&m->last, "lid %s: cannot hand the site to a follow-up: ", j->lid);
    return rc;
}

/* A transient failure of attempt j->attempt: a follow-up (0), or the
 * site's own dead letter is due (1, reason in m->reason), or -1 when the
 * follow-up could not be published (the message must retry). */
static int site_failed(msg_ctx *m, const site_job *j, const char *why)
{
    worker *w = m->w;
    int next = 0;
    site_state s = site_after_failure(j->attempt, w->max_deliveries, &next);
    if (s == SITE_DEAD && j->origin > 0) {
        site_record r = {SITE_DEAD, 0, j->origin};
        ledger_set(w, j, &r);
        snprintf(m->reason, sizeof m->reason, "product %s site %s: failed %d times: %s",
                 j->product_id, j->lid, j->attempt, why);
        return 1;
    }
    /* a product's own attempt always hands on (a follow-up past the limit
     * is dead-lettered as soon as it arrives) */
    int64_t delay = worker_backoff_ms(w, j->attempt);
    log_event(LOG_WARN, "worker", "site_retry",
              "site lid={lid} of product {product} failed (attempt {attempt} of {max_attempts}), "
              "retrying it alone in {delay_ms} ms: {error}",
              LOG_STR("lid", j->lid), LOG_STR("product", j->product_id),
              LOG_INT("attempt", j->attempt), LOG_INT("max_attempts", w->max_deliveries),
              LOG_INT("delay_ms", delay), LOG_STR("error", why));
    if (publish_followup(m, j, next, delay, why) != RNR_OK)
        return -1;
    site_record r = {SITE_DEFERRED, 0, next};
    ledger_set(w, j, &r);
    if (j->origin == 0)
        m->delta.sites_deferred++;
    return 0;
}

static void site_env(msg_ctx *m, worker_site_env *env)
{
    worker *w = m->w;
    *env = (worker_site_env){w->cfg,    w->nws,        w->hf,        w->store,
                             m->tmpdir, &w->abort_now, &w->progress, m->delta.steps};
}

/* The outcome of one site's run, with its time. */
static void log_site(const site_job *j, const site_result *res, int64_t ms)
{
    static const char *const names[] = {[SR_ROUTED] = "routed",
                                        [SR_SKIPPED] = "skipped",
                                        [SR_FAILED] = "failed",
                                        [SR_TRANSIENT] = "transient",
                                        [SR_RELEASE] = "released"};
    int bad = res->kind == SR_FAILED || res->kind == SR_TRANSIENT;
    log_event(bad ? LOG_WARN : LOG_INFO, "worker", "site",
              "site lid={lid} {outcome} after {duration_ms} ms", LOG_STR("lid", j->lid),
              LOG_STR("outcome", names[res->kind]), LOG_INT("duration_ms", ms),
              LOG_STR("reason", res->kind == SR_SKIPPED ? nws_skip_name(res->reason) : NULL),
              LOG_INT("attempt", j->attempt), LOG_INT("outputs", res->outputs),
              LOG_STR("error", bad && res->why[0] ? res->why : NULL));
}

/* One site in a delivery: 0 when it is settled or handed on, 1 when its
 * dead letter is due (follow-ups), else MSG_RETRY/MSG_RELEASE + 1 << 8. */
#define SITE_OUTCOME(o) (0x100 | (o))
static int do_site(msg_ctx *m, site_job *j)
{
    worker *w = m->w;
    site_record have;
    ledger_get(w, j, &have);
    site_plan plan = site_plan_for(&have, j->origin, &j->attempt);
    if (plan == SITE_PLAN_SKIP)
        return 0;
    if (plan == SITE_PLAN_COUNT) {
        /* a routed site stored exactly one NetCDF */
        count_outcome(&m->delta, &have, have.state == SITE_ROUTED);
        return 0;
    }
    if (j->origin > 0 && j->attempt > w->max_deliveries) {
        snprintf(m->reason, sizeof m->reason, "product %s site %s: over the limit of %d attempts",
                 j->product_id, j->lid, w->max_deliveries);
        site_record r = {SITE_DEAD, 0, j->origin};
        ledger_set(w, j, &r);
        return 1;
    }
    if (j->attempt >= 2)
        m->delta.sites_retried++;
    worker_site_env env;
    site_env(m, &env);
    site_result res;
    int64_t t0 = time_mono_ms();
    worker_site_run(&env, j->lid, &res);
    log_site(j, &res, time_mono_ms() - t0);
    if (res.kind == SR_RELEASE)
        return SITE_OUTCOME(MSG_RELEASE);
    if (res.kind == SR_TRANSIENT) {
        int r = site_failed(m, j, res.why);
        return r < 0 ? SITE_OUTCOME(MSG_RETRY) : r;
    }
    site_record r = {res.kind == SR_ROUTED    ? SITE_ROUTED
                     : res.kind == SR_SKIPPED ? SITE_SKIPPED
                                              : SITE_FAILED,
                     res.reason, j->origin};
    ledger_set(w, j, &r);
    count_outcome(&m->delta, &r, res.outputs);
    return 0;
}

/* Defer the sites from `from` on to follow-ups (attempt 1, no delay):
 * the product has used its time (RabbitMQ's consumer_timeout). */
static int defer_rest(msg_ctx *m, const nws_product *p, const nws_hml_product *hml, size_t from)
{
    for (size_t i = from; i < hml->n_sites; i++) {
        site_job j = {p->id, p->url, hml->sites[i].lid, 0, 1};
        site_record have;
        ledger_get(m->w, &j, &have);
        if (have.state != SITE_NONE)
            continue;
        if (publish_followup(m, &j, 1, 0, "") != RNR_OK)
            return MSG_RETRY;
        site_record r = {SITE_DEFERRED, 0, 1};
        ledger_set(m->w, &j, &r);
        m->delta.sites_deferred++;
    }
    log_event(LOG_INFO, "worker", "defer",
              "product id={product}: {sites} site(s) handed to follow-ups after {budget_ms} ms",
              LOG_STR("product", p->id), LOG_INT("sites", hml->n_sites - from),
              LOG_INT("budget_ms", m->w->budget_ms));
    return MSG_ACK;
}

static int fetch_hml(msg_ctx *m, const nws_product *p, nws_hml_product **hml)
{
    worker *w = m->w;
    rnr_error e = {0};
    double t0 = time_mono_s();
    int rc = nws_source_product(w->nws, p->url, hml, &e);
    prom_hist_observe(&m->delta.steps[WORKER_STEP_FETCH], time_mono_s() - t0);
    if (rc == RNR_ERR_NOTFOUND) {
        log_event(LOG_WARN, "worker", "gone",
                  "product id={product} is gone (404), dropping it: {error}",
                  LOG_STR("product", p->id), LOG_STR("error", e.msg));
        return MSG_ACK;
    }
    if (rc == RNR_ERR_LIMIT || rc == RNR_ERR_INVALID || rc == RNR_ERR_PARSE) {
        snprintf(m->reason, sizeof m->reason, "product %s: %s", p->id, e.msg);
        return MSG_DEAD;
    }
    if (rc) {
        m->last = e;
        return rc == RNR_ERR_CANCELLED || w->abort_now ? MSG_RELEASE : MSG_RETRY;
    }
    return -1;
}

static int product_sites(msg_ctx *m, const nws_product *p, const nws_hml_product *hml)
{
    int64_t start = time_mono_ms();
    for (size_t i = 0; i < hml->n_sites; i++) {
        if (m->w->abort_now)
            return MSG_RELEASE;
        if (m->w->budget_ms > 0 && time_mono_ms() - start > m->w->budget_ms)
            return defer_rest(m, p, hml, i);
        m->delta.sites++;
        site_job j = {p->id, p->url, hml->sites[i].lid, 0, 1};
        int r = do_site(m, &j);
        if (r & 0x100)
            return r & 0xff;
    }
    return MSG_ACK;
}

int worker_product_handle(msg_ctx *m, const queue_message *qm)
{
    nws_product p;
    rnr_error e = {0};
    if (nws_product_from_message(qm->body, qm->len, &p, &e) != RNR_OK) {
        snprintf(m->reason, sizeof m->reason, "malformed message: %s", e.msg);
        nws_product_clear(&p);
        return MSG_DEAD;
    }
    log_context_set("product", p.id);
    log_event(LOG_INFO, "worker", "receive",
              "message id={message_id} delivery={delivery} url={url}", LOG_STR("message_id", p.id),
              LOG_INT("delivery", qm->delivery_count), LOG_STR("url", p.url),
              LOG_STR("issued", p.issuance_time));
    if (nws_product_check_origin(&p, nws_source_products_base(m->w->nws), &e) !=
        RNR_OK) { /* no SSRF through rdf */
        snprintf(m->reason, sizeof m->reason, "%s", e.msg);
        nws_product_clear(&p);
        return MSG_DEAD;
    }
    nws_hml_product *hml = NULL;
    int outcome = fetch_hml(m, &p, &hml);
    if (outcome < 0) {
        log_event(
            LOG_INFO, "worker", "product",
            "product id={product} sites={sites} documents={documents} failed_documents={failed_documents}",
            LOG_STR("product", p.id), LOG_INT("sites", hml->n_sites),
            LOG_INT("documents", hml->n_documents), LOG_INT("failed_documents", hml->n_failed));
        outcome = product_sites(m, &p, hml);
        nws_hml_product_free(hml);
    }
    nws_product_clear(&p);
    return outcome;
}

int worker_followup_handle(msg_ctx *m, const queue_message *qm)
{
    site_msg sm;
    rnr_error e = {0};
    if (site_msg_parse(qm->body, qm->len, &sm, &e) != RNR_OK) {
        snprintf(m->reason, sizeof m->reason, "malformed site message: %s", e.msg);
        return MSG_DEAD;
    }
    char mid[600];
    snprintf(mid, sizeof mid, "%s/%s", sm.product_id, sm.lid);
    log_context_set("product", sm.product_id);
    log_event(LOG_INFO, "worker", "receive",
              "site message product={product} lid={lid} attempt={attempt} delivery={delivery}",
              LOG_STR("product", sm.product_id), LOG_STR("lid", sm.lid),
              LOG_INT("attempt", sm.attempt), LOG_INT("delivery", qm->delivery_count),
              LOG_STR("message_id", mid));
    site_job j = {sm.product_id, sm.product_url, sm.lid, sm.attempt, sm.attempt};
    int r = do_site(m, &j);
    if (r == 1)
        m->delta.sites_dead++;
    site_msg_clear(&sm);
    return r == 1 ? MSG_DEAD : (r & 0x100) ? (r & 0xff) : MSG_ACK;
}
