/* ports.c - the thin dispatch from each port to its backend, and the
 * helpers shared by every backend (message and listing memory). */
#include "ports/cache.h"
#include "ports/http_serve.h"
#include "ports/invocations.h"
#include "ports/nws_source.h"
#include "ports/queue.h"
#include "ports/store.h"
#include "ports/telemetry.h"

#include <stdlib.h>
#include <string.h>

int queue_publish(rnr_queue *q, const char *body, size_t len, const queue_publish_opts *o,
                  rnr_error *err)
{
    return q->ops->publish(q->self, body, len, o, err);
}

const char *queue_opts_trace_id(const queue_publish_opts *o, size_t i)
{
    if (!o)
        return NULL;
    return o->trace_ids && o->trace_ids[i] ? o->trace_ids[i] : o->trace_id;
}

int queue_publish_many(rnr_queue *q, const char *const *bodies, const size_t *lens, size_t n,
                       const queue_publish_opts *o, int *ok, rnr_error *err)
{
    if (q->ops->publish_many)
        return q->ops->publish_many(q->self, bodies, lens, n, o, ok, err);
    int rc = RNR_OK;
    for (size_t i = 0; i < n; i++) {
        queue_publish_opts one = o ? *o : (queue_publish_opts){0};
        one.trace_id = queue_opts_trace_id(o, i);
        one.trace_ids = NULL;
        int r = q->ops->publish(q->self, bodies[i], lens[i], &one, err);
        ok[i] = r == RNR_OK;
        if (r != RNR_OK && rc == RNR_OK)
            rc = r;
    }
    return rc;
}

int queue_get(rnr_queue *q, int timeout_ms, queue_message *out, rnr_error *err)
{
    return q->ops->get(q->self, timeout_ms, out, err);
}

int queue_ack(rnr_queue *q, uint64_t tag, rnr_error *err)
{
    return q->ops->ack(q->self, tag, err);
}

int queue_nack(rnr_queue *q, uint64_t tag, int requeue, rnr_error *err)
{
    return q->ops->nack(q->self, tag, requeue, err);
}

int queue_dead_letter(rnr_queue *q, uint64_t tag, const char *reason, rnr_error *err)
{
    return q->ops->dead_letter(q->self, tag, reason, err);
}

int queue_get_depth(rnr_queue *q, queue_depth *out, rnr_error *err)
{
    return q->ops->depth(q->self, out, err);
}

int queue_list_dead(rnr_queue *q, size_t limit, queue_dead_list *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    if (!q->ops->list_dead)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED,
                             "this queue backend keeps its dead letters in its own queue");
    return q->ops->list_dead(q->self, limit, out, err);
}

int queue_extend(rnr_queue *q, uint64_t tag, rnr_error *err)
{
    if (!q->ops->extend)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "this queue backend has no lease to renew");
    return q->ops->extend(q->self, tag, err);
}

int queue_replay_dead(rnr_queue *q, int64_t id, size_t *replayed, rnr_error *err)
{
    *replayed = 0;
    if (!q->ops->replay_dead)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED,
                             "this queue backend cannot replay dead letters");
    return q->ops->replay_dead(q->self, id, replayed, err);
}

void queue_dead_list_clear(queue_dead_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].body);
        free(l->items[i].reason);
        free(l->items[i].trace_id);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

void queue_free(rnr_queue *q)
{
    if (!q)
        return;
    if (q->ops && q->ops->close)
        q->ops->close(q->self);
    free(q);
}

void queue_message_clear(queue_message *m)
{
    free(m->body);
    free(m->trace_id);
    memset(m, 0, sizeof *m);
}

int cache_get(rnr_cache *c, const char *key, char **value, rnr_error *err)
{
    return c->ops->get(c->self, key, value, err);
}

int cache_get_many(rnr_cache *c, const char *const *keys, size_t n, char **values, rnr_error *err)
{
    if (c->ops->get_many)
        return c->ops->get_many(c->self, keys, n, values, err);
    for (size_t i = 0; i < n; i++) {
        int rc = c->ops->get(c->self, keys[i], &values[i], err);
        if (rc != RNR_OK) {
            for (size_t j = 0; j < i; j++) {
                free(values[j]);
                values[j] = NULL;
            }
            return rc;
        }
    }
    return RNR_OK;
}

int cache_set(rnr_cache *c, const char *key, const char *value, int64_t ttl_s, rnr_error *err)
{
    return c->ops->set(c->self, key, value, ttl_s, err);
}

int cache_set_many(rnr_cache *c, const char *const *keys, const char *const *values, size_t n,
                   int64_t ttl_s, rnr_error *err)
{
    if (c->ops->set_many)
        return c->ops->set_many(c->self, keys, values, n, ttl_s, err);
    for (size_t i = 0; i < n; i++) {
        int rc = c->ops->set(c->self, keys[i], values[i], ttl_s, err);
        if (rc != RNR_OK)
            return rc;
    }
    return RNR_OK;
}

void cache_free(rnr_cache *c)
{
    if (!c)
        return;
    if (c->ops && c->ops->close)
        c->ops->close(c->self);
    free(c);
}

int store_put_file(rnr_store *s, const char *key, const char *path, const char *content_type,
                   rnr_error *err)
{
    return s->ops->put_file(s->self, key, path, content_type, err);
}

/* Whether a HEAD's answer m (NULL: no object) is what etag stands for:
 * no object for NULL, else that ETag. */
static int store_holds(const store_meta *m, const char *etag)
{
    return m ? etag && strcmp(m->etag, etag) == 0 : etag == NULL;
}

int store_put_file_if(rnr_store *s, const char *key, const char *path, const char *content_type,
                      const char *etag, int *done, rnr_error *err)
{
    *done = 0;
    store_meta m;
    int rc = store_head(s, key, &m, err);
    if (rc != RNR_OK && rc != RNR_ERR_NOTFOUND)
        return rc;
    rnr_error_clear(err);
    if (!store_holds(rc == RNR_OK ? &m : NULL, etag))
        return RNR_OK; /* not what the caller saw */
    if (s->ops->put_file_if)
        return s->ops->put_file_if(s->self, key, path, content_type, etag, done, err);
    rc = store_put_file(s, key, path, content_type, err);
    *done = rc == RNR_OK;
    return rc;
}

int store_put_buf(rnr_store *s, const char *key, const void *data, size_t len,
                  const char *content_type, rnr_error *err)
{
    return s->ops->put_buf(s->self, key, data, len, content_type, err);
}

int store_get_file(rnr_store *s, const char *key, const char *path, rnr_error *err)
{
    return s->ops->get_file(s->self, key, path, err);
}

int store_list_prefix(rnr_store *s, const char *prefix, store_list *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    return s->ops->list(s->self, prefix, out, err);
}

int store_delete(rnr_store *s, const char *key, rnr_error *err)
{
    return s->ops->del(s->self, key, err);
}

int store_head(rnr_store *s, const char *key, store_meta *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    if (!s->ops->head)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "%s: this store cannot stat an object", key);
    return s->ops->head(s->self, key, out, err);
}

int store_get_range(rnr_store *s, const char *key, uint64_t off, size_t n, void *buf,
                    store_meta *meta, rnr_error *err)
{
    store_meta ignored;
    if (!meta)
        meta = &ignored;
    memset(meta, 0, sizeof *meta);
    if (!s->ops->get_range)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "%s: this store cannot read a byte range",
                             key);
    return s->ops->get_range(s->self, key, off, n, buf, meta, err);
}

int store_get_buf(rnr_store *s, const char *key, size_t max, void **data, size_t *len,
                  rnr_error *err)
{
    *data = NULL;
    *len = 0;
    if (!s->ops->get_buf)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "%s: this store cannot read into memory",
                             key);
    int rc = s->ops->get_buf(s->self, key, max, data, len, err);
    if (rc != RNR_OK) { /* a failing backend has freed what it read */
        *data = NULL;
        *len = 0;
    }
    return rc;
}

void store_free(rnr_store *s)
{
    if (!s)
        return;
    if (s->ops && s->ops->close)
        s->ops->close(s->self);
    free(s);
}

void store_list_clear(store_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].key);
    free(l->items);
    memset(l, 0, sizeof *l);
}

int store_list_append(store_list *l, const char *key, int64_t size, int64_t mtime)
{
    /* Grow by doubling: capacity is the next power of two >= n. */
    if ((l->n & (l->n - 1)) == 0) {
        size_t cap = l->n ? l->n * 2 : 16;
        store_object *p = realloc(l->items, cap * sizeof *p);
        if (!p)
            return RNR_ERR_NOMEM;
        l->items = p;
    }
    char *k = strdup(key);
    if (!k)
        return RNR_ERR_NOMEM;
    l->items[l->n++] = (store_object){k, size, mtime};
    return RNR_OK;
}

static int store_object_cmp(const void *a, const void *b)
{
    return strcmp(((const store_object *)a)->key, ((const store_object *)b)->key);
}

void store_list_sort(store_list *l)
{
    if (l->n > 1)
        qsort(l->items, l->n, sizeof *l->items, store_object_cmp);
}

int secrets_get(rnr_secrets *s, const char *name, char **value, rnr_error *err)
{
    return s->ops->get(s->self, name, value, err);
}

void secrets_free(rnr_secrets *s)
{
    if (!s)
        return;
    if (s->ops && s->ops->close)
        s->ops->close(s->self);
    free(s);
}

int metrics_put(rnr_metrics *m, const char *ns, const char *name, double value, const char *unit,
                const metric_dim *dims, size_t ndims, rnr_error *err)
{
    return m->ops->put(m->self, ns, name, value, unit, dims, ndims, err);
}

void metrics_free(rnr_metrics *m)
{
    if (!m)
        return;
    if (m->ops && m->ops->close)
        m->ops->close(m->self);
    free(m);
}

int fleet_running(rnr_fleet *f, int *running, rnr_error *err)
{
    return f->ops->running(f->self, running, err);
}

int fleet_set_desired(rnr_fleet *f, int n, rnr_error *err)
{
    if (!f->ops->set_desired)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "this fleet is scaled elsewhere");
    return f->ops->set_desired(f->self, n, err);
}

void fleet_free(rnr_fleet *f)
{
    if (!f)
        return;
    if (f->ops && f->ops->close)
        f->ops->close(f->self);
    free(f);
}

int nws_source_products(rnr_nws *n, nws_product_list **out, rnr_error *err)
{
    *out = NULL;
    return n->ops->products(n->self, out, err);
}

int nws_source_product(rnr_nws *n, const char *url, nws_hml_product **out, rnr_error *err)
{
    *out = NULL;
    return n->ops->product(n->self, url, out, err);
}

int nws_source_gauge(rnr_nws *n, const char *lid, nwps_gauge *out, rnr_error *err)
{
    return n->ops->gauge(n->self, lid, out, err);
}

int nws_source_series(rnr_nws *n, const char *lid, nws_series *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    return n->ops->series(n->self, lid, out, err);
}

const char *nws_source_products_base(rnr_nws *n)
{
    return n->ops->products_base(n->self);
}

void nws_series_clear(nws_series *s)
{
    nwps_stageflow_free(s->forecast.s);
    nwps_stageflow_free(s->observed.s);
    memset(s, 0, sizeof *s);
}

void nws_source_free(rnr_nws *n)
{
    if (!n)
        return;
    if (n->ops && n->ops->close)
        n->ops->close(n->self);
    free(n);
}

int listener_port(const rnr_listener *l)
{
    return l ? l->ops->port(l->self) : 0;
}

void listener_stop(rnr_listener *l)
{
    if (!l)
        return;
    l->ops->stop(l->self);
    free(l);
}

void http_reply_text(http_reply *r, int status, const char *content_type, const char *text)
{
    r->status = status;
    r->content_type = content_type;
    r->body = strdup(text ? text : "");
    r->len = r->body ? strlen(r->body) : 0;
}

int invocations_next(rnr_invocations *v, lambda_invocation *out, rnr_error *err)
{
    return v->ops->next(v->self, out, err);
}

int invocations_respond(rnr_invocations *v, const char *request_id, const char *json,
                        rnr_error *err)
{
    return v->ops->respond(v->self, request_id, json, err);
}

int invocations_fail(rnr_invocations *v, const char *request_id, const char *error_type,
                     const char *message, rnr_error *err)
{
    return v->ops->fail(v->self, request_id, error_type, message, err);
}

int invocations_init_error(rnr_invocations *v, const char *error_type, const char *message,
                           rnr_error *err)
{
    return v->ops->init_error(v->self, error_type, message, err);
}

void invocations_free(rnr_invocations *v)
{
    if (!v)
        return;
    if (v->ops && v->ops->close)
        v->ops->close(v->self);
    free(v);
}

void lambda_invocation_clear(lambda_invocation *inv)
{
    free(inv->event);
    memset(inv, 0, sizeof *inv);
}
