/* producer.c - the producer cycle: list HML products, skip the ones the
 * dedup cache knows, publish the new ones oldest first with confirms, and
 * remember only what the queue confirmed.
 *
 * The whole list is looked up in one cache round trip before anything is
 * published, so an unreachable cache fails the cycle cleanly (publishing
 * without dedup would flood the workers with a week of repeats). New
 * products go out in batches through queue_publish_many so an AMQP broker
 * confirms a batch at once; the deadline is checked between batches. */
#include "services/producer.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "core/trace.h"
#include "nws/products.h"
#include "ports/backends.h"

#define PRODUCER_BATCH 256

struct producer {
    const rnr_config *cfg;
    rnr_queue *queue;
    rnr_cache *cache;
    int own_queue, own_cache;
    rnr_nws *nws;
};

int producer_new_ports(const rnr_config *cfg, rnr_queue *q, rnr_cache *c, producer **out,
                       rnr_error *err)
{
    *out = NULL;
    producer *p = calloc(1, sizeof *p);
    if (!p)
        return rnr_error_set(err, RNR_ERR_NOMEM, "producer: out of memory");
    p->cfg = cfg;
    int rc = RNR_OK;
    if (c) {
        p->cache = c;
    } else {
        rc = backend_open_cache(cfg->cache_url, &p->cache, err);
        p->own_cache = rc == RNR_OK;
    }
    if (rc == RNR_OK) {
        if (q) {
            p->queue = q;
        } else {
            rc = backend_open_queue(cfg->queue_url, cfg->queue_name, &p->queue, err);
            p->own_queue = rc == RNR_OK;
        }
    }
    if (rc == RNR_OK) {
        nws_source_opts o = {
            .nws_url = cfg->nws_url, .nwps_url = cfg->nwps_url, .user_agent = cfg->user_agent};
        rc = backend_open_nws(&o, &p->nws, err);
    }
    if (rc != RNR_OK) {
        rnr_error_prefix(err, "producer");
        producer_free(p);
        return rc;
    }
    *out = p;
    return RNR_OK;
}

int producer_new(const rnr_config *cfg, producer **out, rnr_error *err)
{
    return producer_new_ports(cfg, NULL, NULL, out, err);
}

void producer_free(producer *p)
{
    if (!p)
        return;
    if (p->own_queue)
        queue_free(p->queue);
    if (p->own_cache)
        cache_free(p->cache);
    nws_source_free(p->nws);
    free(p);
}

static int producer_list(producer *p, nws_product_list **list, rnr_error *err)
{
    int rc = nws_source_products(p->nws, list, err);
    if (rc != RNR_OK)
        return rnr_error_prefix(err, "producer: product list");
    return RNR_OK;
}

/* values[i] = cached value or NULL for every product in the list. */
static int producer_lookup(producer *p, const nws_product_list *l, char **values, rnr_error *err)
{
    if (l->n == 0)
        return RNR_OK;
    const char **keys = malloc(l->n * sizeof *keys);
    if (!keys)
        return rnr_error_set(err, RNR_ERR_NOMEM, "producer: out of memory");
    for (size_t i = 0; i < l->n; i++)
        keys[i] = l->items[i].id;
    int rc = cache_get_many(p->cache, keys, l->n, values, err);
    free(keys);
    if (rc != RNR_OK)
        return rnr_error_prefix(err, "producer: dedup cache unreachable, nothing published");
    return RNR_OK;
}

/* The messages of the new products, in list order (oldest first). Each
 * has its trace id: the Lambda invocation's when there is one (one run,
 * one trace), else a new one per product. */
typedef struct pending {
    size_t n;
    const nws_product **prod;
    char **body;
    size_t *len;
    int *ok;
    const char *shared_trace; /* or NULL: own[i] */
    char (*own)[TRACE_ID_NEW_LEN + 1];
    const char **trace; /* [i]: shared_trace or own[i] */
} pending;

static void pending_clear(pending *pd)
{
    for (size_t i = 0; i < pd->n; i++)
        free(pd->body[i]);
    free(pd->prod);
    free(pd->body);
    free(pd->len);
    free(pd->ok);
    free(pd->own);
    free(pd->trace);
    memset(pd, 0, sizeof *pd);
}

/* The trace of this run when it has one: the thread's (a Lambda
 * invocation's, set by the runtime loop) or the process's _X_AMZN_TRACE_ID. */
static const char *run_trace(void)
{
    const char *t = log_get_trace_id();
    return trace_id_valid(t) ? t : trace_id_lambda();
}

static void pending_trace(pending *pd, size_t i)
{
    if (pd->shared_trace) {
        pd->trace[i] = pd->shared_trace;
        return;
    }
    trace_id_new(pd->own[i], sizeof pd->own[i]);
    pd->trace[i] = pd->own[i];
}

static int product_ptr_cmp(const void *a, const void *b)
{
    const nws_product *x = *(const nws_product *const *)a, *y = *(const nws_product *const *)b;
    int r = strcmp(x->id, y->id);
    return r ? r : (x > y) - (x < y);
}

/* dup[i] = 1 when items[i]'s id came earlier in the list (a list that
 * repeats a product, e.g. pages overlapping, must not queue it twice). */
static int mark_duplicates(const nws_product_list *l, char *dup, rnr_error *err)
{
    if (l->n < 2)
        return RNR_OK;
    const nws_product **v = malloc(l->n * sizeof *v);
    if (!v)
        return rnr_error_set(err, RNR_ERR_NOMEM, "producer: out of memory");
    for (size_t i = 0; i < l->n; i++)
        v[i] = &l->items[i];
    qsort(v, l->n, sizeof *v, product_ptr_cmp);
    for (size_t i = 1; i < l->n; i++)
        if (strcmp(v[i]->id, v[i - 1]->id) == 0)
            dup[v[i] - l->items] = 1;
    free(v);
    return RNR_OK;
}

static int pending_build(const nws_product_list *l, char **values, pending *pd, producer_counts *c,
                         rnr_error *err)
{
    size_t cap = l->n ? l->n : 1;
    pd->prod = calloc(cap, sizeof *pd->prod);
    pd->body = calloc(cap, sizeof *pd->body);
    pd->len = calloc(cap, sizeof *pd->len);
    pd->ok = calloc(cap, sizeof *pd->ok);
    pd->trace = calloc(cap, sizeof *pd->trace);
    pd->shared_trace = run_trace();
    pd->own = pd->shared_trace ? NULL : calloc(cap, sizeof *pd->own);
    char *dup = calloc(cap, 1);
    if (!pd->prod || !pd->body || !pd->len || !pd->ok || !pd->trace ||
        (!pd->shared_trace && !pd->own) || !dup) {
        free(dup);
        return rnr_error_set(err, RNR_ERR_NOMEM, "producer: out of memory");
    }
    if (mark_duplicates(l, dup, err) != RNR_OK) {
        free(dup);
        return err->code;
    }
    size_t dups = 0;
    for (size_t i = 0; i < l->n; i++) {
        dups += (size_t)dup[i];
        if (values[i] || dup[i]) {
            log_event(LOG_DEBUG, "producer", "skip", "product {product} skipped: {reason}",
                      LOG_STR("product", l->items[i].id),
                      LOG_STR("reason", dup[i] ? "repeated in the list" : "already published"));
            continue;
        }
        c->new_products++;
        char *msg = NULL;
        rnr_error e;
        if (nws_product_to_message(&l->items[i], &msg, &e) != RNR_OK) {
            log_event(LOG_WARN, "producer", "skip", "product {product}: {error}",
                      LOG_STR("product", l->items[i].id), LOG_STR("error", e.msg));
            c->failed++;
            continue;
        }
        pd->prod[pd->n] = &l->items[i];
        pd->body[pd->n] = msg;
        pd->len[pd->n] = strlen(msg);
        pending_trace(pd, pd->n);
        pd->n++;
    }
    free(dup);
    if (dups)
        log_event(LOG_WARN, "producer", "duplicates",
                  "the list repeats {duplicates} product ids; each is queued once",
                  LOG_INT("duplicates", dups));
    return RNR_OK;
}

/* Cache the confirmed ones of batch [from, to) in one round trip; count
 * the rest failed. */
static void producer_remember(producer *p, pending *pd, size_t from, size_t to, producer_counts *c)
{
    int64_t ttl = p->cfg->dedup_ttl_s > 0 ? p->cfg->dedup_ttl_s : 604800;
    const char **keys = calloc(to - from, sizeof *keys);
    const char **vals = calloc(to - from, sizeof *vals);
    size_t n = 0;
    for (size_t i = from; i < to; i++) {
        if (!pd->ok[i]) {
            log_event(LOG_WARN, "producer", "publish_failed",
                      "product {product}: publish not confirmed, retried next cycle",
                      LOG_STR("product", pd->prod[i]->id), LOG_STR("trace_id", pd->trace[i]));
            c->failed++;
        } else if (keys && vals) {
            log_event(
                LOG_INFO, "producer", "publish", "published product {product} issued {issued}",
                LOG_STR("product", pd->prod[i]->id), LOG_STR("message_id", pd->prod[i]->id),
                LOG_STR("issued", pd->prod[i]->issuance_time), LOG_STR("trace_id", pd->trace[i]));
            keys[n] = pd->prod[i]->id;
            vals[n++] = pd->body[i];
        }
    }
    rnr_error e = {0};
    int rc = keys && vals ? cache_set_many(p->cache, keys, vals, n, ttl, &e)
                          : rnr_error_set(&e, RNR_ERR_NOMEM, "out of memory");
    if (rc != RNR_OK) {
        log_event(LOG_WARN, "producer", "cache_failed",
                  "{published} products published but not cached ({error}); they may be "
                  "published again",
                  LOG_INT("published", n), LOG_STR("error", e.msg));
        c->failed += (int)n;
    } else {
        c->published += (int)n;
    }
    free(keys);
    free(vals);
}

static void producer_publish(producer *p, pending *pd, int64_t deadline_ms, producer_counts *c)
{
    queue_publish_opts o = {.content_type = "application/json"};
    for (size_t from = 0; from < pd->n; from += PRODUCER_BATCH) {
        if (deadline_ms > 0 && time_now_ms() >= deadline_ms) {
            c->deferred += (int)(pd->n - from);
            log_event(LOG_WARN, "producer", "deadline",
                      "deadline reached: {deferred} products deferred to the next cycle",
                      LOG_INT("deferred", pd->n - from));
            return;
        }
        size_t to = from + PRODUCER_BATCH < pd->n ? from + PRODUCER_BATCH : pd->n;
        o.trace_ids = pd->trace + from;
        rnr_error e;
        if (queue_publish_many(p->queue, (const char *const *)pd->body + from, pd->len + from,
                               to - from, &o, pd->ok + from, &e) != RNR_OK)
            log_event(LOG_WARN, "producer", "publish_failed", "publish: {error}",
                      LOG_STR("error", e.msg), LOG_INT("batch", to - from));
        producer_remember(p, pd, from, to, c);
    }
}

int producer_cycle(producer *p, int64_t deadline_ms, producer_counts *out, rnr_error *err)
{
    rnr_error local;
    if (!err)
        err = &local;
    memset(out, 0, sizeof *out);
    int64_t t0 = time_mono_ms();
    nws_product_list *l = NULL;
    int rc = producer_list(p, &l, err);
    if (rc != RNR_OK) {
        log_event(LOG_ERROR, "producer", "cycle_failed", "cycle failed: {error}",
                  LOG_STR("error", err->msg));
        return rc;
    }
    out->seen = (int)l->n;
    char **values = calloc(l->n ? l->n : 1, sizeof *values);
    pending pd = {0};
    if (!values) {
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "producer: out of memory");
    } else {
        rc = producer_lookup(p, l, values, err);
        if (rc == RNR_OK)
            rc = pending_build(l, values, &pd, out, err);
        if (rc == RNR_OK)
            producer_publish(p, &pd, deadline_ms, out);
    }
    pending_clear(&pd);
    for (size_t i = 0; values && i < l->n; i++)
        free(values[i]);
    free(values);
    nws_product_list_free(l);
    if (rc != RNR_OK) {
        log_event(LOG_ERROR, "producer", "cycle_failed", "cycle failed: {error}",
                  LOG_STR("error", err->msg));
        return rc;
    }
    log_event(
        LOG_INFO, "producer", "cycle",
        "cycle: seen={seen} new={new} published={published} failed={failed} deferred={deferred}",
        LOG_INT("seen", out->seen), LOG_INT("new", out->new_products),
        LOG_INT("published", out->published), LOG_INT("failed", out->failed),
        LOG_INT("deferred", out->deferred), LOG_INT("duration_ms", time_mono_ms() - t0));
    return RNR_OK;
}
