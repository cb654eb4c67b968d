/* amqp_queue.c - the queue port on RabbitMQ: what callers' threads do.
 *
 * rabbitmq-c services heartbeats only inside its own calls, so the thread
 * that owns the connection never does the work: every operation here is a
 * request handed to the I/O thread (amqp_io.c) and waited for, and get()
 * pops deliveries the I/O thread buffered. Any number of threads may use
 * one handle at once. */
#include "adapters/amqp_internal.h"
#include "adapters/amqp_queue.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the port --------------------------------------------------------- */

static int submit(aq *q, request *r, rnr_error *err)
{
    pthread_mutex_lock(&q->mu);
    if (q->stopping) {
        pthread_mutex_unlock(&q->mu);
        return rnr_error_set(err, RNR_ERR_CANCELLED, "the queue is closing");
    }
    request **pp = &q->reqs;
    while (*pp)
        pp = &(*pp)->next;
    *pp = r;
    amqp_io_wake(q);
    while (!r->done)
        pthread_cond_wait(&q->cv, &q->mu);
    pthread_mutex_unlock(&q->mu);
    if (r->rc && err)
        *err = r->err;
    return r->rc;
}

static int aq_publish_many(void *self, const char *const *bodies, const size_t *lens, size_t n,
                           const queue_publish_opts *o, int *ok, rnr_error *err)
{
    for (size_t i = 0; i < n; i++)
        ok[i] = 0;
    request r = {.kind = REQ_PUBLISH, .bodies = bodies, .lens = lens, .n = n, .opts = o, .ok = ok};
    return submit(self, &r, err);
}

static int aq_publish(void *self, const char *body, size_t len, const queue_publish_opts *o,
                      rnr_error *err)
{
    int ok = 0;
    return aq_publish_many(self, &body, &len, 1, o, &ok, err);
}

static int aq_get(void *self, int timeout_ms, queue_message *out, rnr_error *err)
{
    aq *q = self;
    memset(out, 0, sizeof *out);
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    int64_t ns = dl.tv_nsec + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) % 1000 * 1000000;
    dl.tv_sec += (timeout_ms > 0 ? timeout_ms : 0) / 1000 + ns / 1000000000;
    dl.tv_nsec = ns % 1000000000;
    pthread_mutex_lock(&q->mu);
    if (!q->want_consume) {
        q->want_consume = 1;
        amqp_io_wake(q);
    }
    int w = 0;
    while (!q->head && !q->stopping && w != ETIMEDOUT)
        w = pthread_cond_timedwait(&q->cv, &q->mu, &dl);
    delivery *d = q->head;
    if (d) {
        q->head = d->next;
        if (!q->head)
            q->tail = NULL;
    }
    char why[300] = "";
    if (!d && !q->connected)
        snprintf(why, sizeof why, " (broker connection down: %s)", q->down_why);
    pthread_mutex_unlock(&q->mu);
    if (!d)
        return rnr_error_set(err, RNR_ERR_TIMEOUT, "no message on queue '%s' within %d ms%s",
                             q->cfg.queue, timeout_ms, why);
    *out = d->m;
    free(d);
    return RNR_OK;
}

static int settle(void *self, enum req_kind kind, uint64_t tag, int requeue, const char *reason,
                  rnr_error *err)
{
    request r = {.kind = kind, .tag = tag, .requeue = requeue, .reason = reason};
    return submit(self, &r, err);
}

static int aq_ack(void *self, uint64_t tag, rnr_error *err)
{
    return settle(self, REQ_ACK, tag, 0, NULL, err);
}

static int aq_nack(void *self, uint64_t tag, int requeue, rnr_error *err)
{
    return settle(self, REQ_NACK, tag, requeue, NULL, err);
}

static int aq_dead_letter(void *self, uint64_t tag, const char *reason, rnr_error *err)
{
    return settle(self, REQ_DEAD, tag, 0, reason && *reason ? reason : "unspecified", err);
}

static int aq_depth(void *self, queue_depth *out, rnr_error *err)
{
    aq *q = self;
    request r = {.kind = REQ_COUNT};
    int rc = submit(q, &r, err);
    if (rc)
        return rc;
    out->ready = r.ready;
    out->dead = r.dead;
    rnr_error e;
    if (amqp_mgmt_unacked(&q->cfg, &out->unacked, &e)) {
        out->unacked = -1; /* the broker's own count still stands */
        log_debug("amqp", "unacked count unavailable: %s", e.msg);
    }
    /* delayed messages are in flight: not ready, not done */
    if (r.waiting > 0)
        out->unacked = (out->unacked > 0 ? out->unacked : 0) + r.waiting;
    return RNR_OK;
}

static int aq_list_dead(void *self, size_t limit, queue_dead_list *out, rnr_error *err)
{
    request r = {.kind = REQ_BROWSE, .limit = limit, .list = out};
    return submit(self, &r, err);
}

static int aq_replay_dead(void *self, int64_t id, size_t *replayed, rnr_error *err)
{
    request r = {.kind = REQ_BROWSE, .replay_id = id, .replayed = replayed};
    return submit(self, &r, err);
}

static void aq_free(aq *q)
{
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    close(q->wake[0]);
    close(q->wake[1]);
    free(q->leases);
    amqp_config_clear(&q->cfg);
    free(q);
}

static void aq_close(void *self)
{
    aq *q = self;
    pthread_mutex_lock(&q->mu);
    q->stopping = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    amqp_io_wake(q);
    pthread_join(q->thread, NULL);
    aq_free(q);
}

static const queue_ops amqp_queue_ops = {
    .publish = aq_publish,
    .publish_many = aq_publish_many,
    .get = aq_get,
    .ack = aq_ack,
    .nack = aq_nack,
    .dead_letter = aq_dead_letter,
    .depth = aq_depth,
    .close = aq_close,
    .list_dead = aq_list_dead,
    .replay_dead = aq_replay_dead,
};

static int aq_init_sync(aq *q, rnr_error *err)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int bad = pthread_mutex_init(&q->mu, NULL) | pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (bad || pipe(q->wake))
        return rnr_error_set(err, RNR_ERR_INTERNAL, "cannot create the AMQP I/O thread's locks");
    for (int i = 0; i < 2; i++) {
        fcntl(q->wake[i], F_SETFL, fcntl(q->wake[i], F_GETFL) | O_NONBLOCK);
        fcntl(q->wake[i], F_SETFD, FD_CLOEXEC);
    }
    return RNR_OK;
}

int amqp_queue_open(const char *url, const char *queue_name, rnr_queue **out, rnr_error *err)
{
    *out = NULL;
    aq *q = calloc(1, sizeof *q);
    rnr_queue *h = calloc(1, sizeof *h);
    if (!q || !h) {
        free(q);
        free(h);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory opening the AMQP queue");
    }
    q->wake[0] = q->wake[1] = -1;
    int rc = amqp_config_parse(url, queue_name, &q->cfg, err);
    if (rc) {
        free(q);
        free(h);
        return rc;
    }
    q->gen = 1;
    q->connected = 1;
    q->rnd = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)q;
    rc = aq_init_sync(q, err);
    if (!rc)
        rc = amqp_link_open(&q->link, &q->cfg, err);
    if (!rc && pthread_create(&q->thread, NULL, amqp_io_main, q)) {
        amqp_link_close(&q->link, 1);
        rc = rnr_error_set(err, RNR_ERR_INTERNAL, "cannot start the AMQP I/O thread");
    }
    if (rc) {
        aq_free(q);
        free(h);
        return rc;
    }
    h->ops = &amqp_queue_ops;
    h->self = q;
    *out = h;
    return RNR_OK;
}
