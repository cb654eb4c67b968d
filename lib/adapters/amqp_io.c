/* amqp_io.c - the AMQP adapter's I/O thread: the only thread that touches
 * the broker connection. It pumps frames with short waits (which also
 * services heartbeats), buffers deliveries for get(), collects publisher
 * confirms and returns, executes the ack/nack/dead-letter/count requests
 * other threads queue, and reconnects with a bounded, jittered backoff.
 * Delivery tags handed out carry the channel's generation in their top 16
 * bits, so an ack for a delivery made before a reconnect is refused instead
 * of acking a different message. */
#include "adapters/amqp_internal.h"
#include "core/log.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void amqp_io_wake(aq *q)
{
    char c = 1;
    ssize_t w = write(q->wake[1], &c, 1);
    (void)w; /* a full pipe already means "wake up" */
}

static void drain_wake(aq *q)
{
    char buf[64];
    while (read(q->wake[0], buf, sizeof buf) > 0)
        ;
}

/* ---- leases and the delivery buffer ---------------------------------- */

static lease *lease_find(aq *q, uint64_t btag)
{
    for (size_t i = 0; i < q->nleases; i++)
        if (q->leases[i].btag == btag)
            return &q->leases[i];
    return NULL;
}

static void lease_release(lease *l)
{
    free(l->body);
    free(l->trace_id);
}

/* Removes l from the table; the last lease takes its slot. */
static void lease_drop(aq *q, lease *l)
{
    lease_release(l);
    *l = q->leases[--q->nleases];
}

static int lease_add(aq *q, const lease *l)
{
    if (q->nleases == q->cap_leases) {
        size_t cap = q->cap_leases ? q->cap_leases * 2 : 8;
        lease *p = realloc(q->leases, cap * sizeof *p);
        if (!p)
            return RNR_ERR_NOMEM;
        q->leases = p;
        q->cap_leases = cap;
    }
    q->leases[q->nleases++] = *l;
    return RNR_OK;
}

/* The channel is gone: every lease and buffered delivery is void (the
 * broker requeues them). Called by the I/O thread. */
static void forget_deliveries(aq *q)
{
    for (size_t i = 0; i < q->nleases; i++)
        lease_release(&q->leases[i]);
    q->nleases = 0;
    pthread_mutex_lock(&q->mu);
    delivery *d = q->head;
    q->head = q->tail = NULL;
    q->gen++;
    pthread_mutex_unlock(&q->mu);
    while (d) {
        delivery *next = d->next;
        queue_message_clear(&d->m);
        free(d);
        d = next;
    }
}

/* ---- request completion ---------------------------------------------- */

static void finish(aq *q, request *r, int rc)
{
    pthread_mutex_lock(&q->mu);
    r->rc = rc;
    r->done = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static void finish_err(aq *q, request *r, int code, const char *fmt, const char *why)
{
    rnr_error_set(&r->err, code, fmt, why);
    finish(q, r, code);
}

static void inflight_end(aq *q, int rc, const char *why)
{
    inflight *f = &q->fl;
    request *r = f->req;
    if (!r)
        return;
    if (rc && why)
        rnr_error_set(&r->err, rc, "%s", why);
    if (!f->dead) {
        size_t bad = 0; /* ok[] also tells a failed batch which ones made it */
        for (size_t i = 0; i < r->n; i++) {
            r->ok[i] = i < f->sent && f->st[i] == MSG_CONFIRMED;
            bad += !r->ok[i];
        }
        if (bad && !rc)
            rc = rnr_error_set(&r->err, RNR_ERR_TRANSIENT,
                               "RabbitMQ did not accept %zu of %zu message(s) for queue '%s' "
                               "(nacked, or unroutable: returned)",
                               bad, r->n, q->cfg.queue);
    }
    lease *l = f->dead ? lease_find(q, f->ack_after) : NULL;
    if (l)
        l->settling = 0;
    if (!rc && f->dead) {
        if (f->st[0] != MSG_CONFIRMED) {
            rc = rnr_error_set(&r->err, RNR_ERR_TRANSIENT,
                               "dead-letter queue '%s' did not accept the message; it stays "
                               "leased and unacked",
                               q->cfg.dlq);
        } else {
            int st = amqp_basic_ack(q->link.conn, q->link.ch, f->ack_after, 0);
            if (st != AMQP_STATUS_OK)
                rc = amqp_link_status_error(&r->err, st, "ack after dead-lettering");
            else if (l)
                lease_drop(q, l);
        }
    }
    free(f->st);
    memset(f, 0, sizeof *f);
    finish(q, r, rc);
}

static void inflight_check(aq *q)
{
    inflight *f = &q->fl;
    if (!f->req)
        return;
    while (f->low < f->sent && (f->st[f->low] & (MSG_CONFIRMED | MSG_NACKED)))
        f->low++;
    if (f->sent == f->n && f->resolved == f->sent)
        inflight_end(q, RNR_OK, NULL);
    else if (now_ms() > f->deadline)
        inflight_end(q, RNR_ERR_TIMEOUT, "RabbitMQ did not confirm the publish in time");
}

static void on_confirm(aq *q, uint64_t tag, int multiple, int acked)
{
    inflight *f = &q->fl;
    if (!f->req || tag < f->first_seq)
        return; /* a late confirm of an abandoned publish */
    size_t hi = (size_t)(tag - f->first_seq);
    size_t lo = multiple ? f->low : hi;
    for (size_t i = lo; i <= hi && i < f->sent; i++) {
        if (f->st[i] & (MSG_CONFIRMED | MSG_NACKED))
            continue;
        f->st[i] |= acked ? MSG_CONFIRMED : MSG_NACKED;
        f->resolved++;
    }
}

/* ---- connection state ------------------------------------------------ */

static void set_down(aq *q, const char *why)
{
    pthread_mutex_lock(&q->mu);
    q->connected = 0;
    snprintf(q->down_why, sizeof q->down_why, "%.200s", why);
    pthread_mutex_unlock(&q->mu);
}

static void schedule_retry(aq *q)
{
    int b = q->backoff_ms ? q->backoff_ms : BACKOFF_MIN_MS;
    int jitter = (int)(rand_r(&q->rnd) % (unsigned)(b / 2 + 1));
    q->next_attempt = now_ms() + b / 2 + jitter;
    q->backoff_ms = b * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : b * 2;
}

/* The connection is gone (or unusable): drop it, fail what was waiting on
 * it, and schedule a reconnect. */
static void connection_lost(aq *q, const char *why)
{
    char msg[400];
    snprintf(msg, sizeof msg,
             "connection to RabbitMQ %s:%d lost before the publish was confirmed: %s", q->cfg.host,
             q->cfg.port, why);
    inflight_end(q, RNR_ERR_TRANSIENT, msg);
    amqp_link_close(&q->link, 0);
    q->consuming = 0;
    forget_deliveries(q);
    set_down(q, why);
    q->backoff_ms = 0;
    schedule_retry(q);
    log_warn("amqp", "connection to %s:%d lost (%s); reconnecting", q->cfg.host, q->cfg.port, why);
}

/* The broker closed our channel (close-ok already sent): reopen it. */
static void channel_lost(aq *q, const char *why)
{
    char msg[400];
    snprintf(msg, sizeof msg, "RabbitMQ closed the channel: %s", why);
    inflight_end(q, RNR_ERR_TRANSIENT, msg);
    q->consuming = 0;
    forget_deliveries(q);
    log_warn("amqp", "channel closed by the broker (%s); reopening", why);
    rnr_error e;
    if (amqp_link_reopen_channel(&q->link, &e))
        connection_lost(q, e.msg);
}

/* A failed RPC on our channel: recover the way the failure demands. */
static void rpc_failed(aq *q, amqp_rpc_reply_t r, const char *why)
{
    if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        amqp_channel_close_ok_t ok = {0};
        amqp_send_method(q->link.conn, q->link.ch, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
        channel_lost(q, why);
    } else {
        if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
            r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            amqp_connection_close_ok_t ok = {0};
            amqp_send_method(q->link.conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
        }
        connection_lost(q, why);
    }
}

static int try_connect(aq *q)
{
    rnr_error e;
    if (amqp_link_open(&q->link, &q->cfg, &e)) {
        set_down(q, e.msg);
        schedule_retry(q);
        log_warn("amqp", "reconnect to %s:%d failed: %s", q->cfg.host, q->cfg.port, e.msg);
        return -1;
    }
    pthread_mutex_lock(&q->mu);
    q->connected = 1;
    q->down_why[0] = '\0';
    pthread_mutex_unlock(&q->mu);
    q->backoff_ms = 0;
    log_info("amqp", "connected to %s:%d vhost=%s queue=%s", q->cfg.host, q->cfg.port, q->cfg.vhost,
             q->cfg.queue);
    return 0;
}

/* ---- frames from the broker ------------------------------------------ */

static int on_deliver(aq *q, const amqp_basic_deliver_t *d)
{
    uint64_t btag = d->delivery_tag;
    int redelivered = d->redelivered;
    amqp_message_t msg;
    amqp_rpc_reply_t r = amqp_read_message(q->link.conn, q->link.ch, &msg, 0);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        rnr_error e;
        amqp_link_reply_error(&e, r, "reading a delivery");
        rpc_failed(q, r, e.msg);
        return -1;
    }
    int64_t xdc;
    lease l = {.btag = btag, .len = msg.body.len};
    l.delivery_count = !amqp_header_int(&msg.properties, "x-delivery-count", &xdc) ? (int)xdc + 1
                       : redelivered                                               ? 0
                                                                                   : 1;
    l.body = malloc(msg.body.len + 1);
    l.trace_id = amqp_header_string(&msg.properties, "X-Amzn-Trace-Id");
    delivery *dv = calloc(1, sizeof *dv);
    char *copy = malloc(msg.body.len + 1);
    char *tcopy = l.trace_id ? strdup(l.trace_id) : NULL;
    int rc = l.body && dv && copy && (!l.trace_id || tcopy) ? lease_add(q, &l) : RNR_ERR_NOMEM;
    if (rc) {
        /* Without memory the delivery cannot be tracked: hand it back. */
        amqp_basic_nack(q->link.conn, q->link.ch, btag, 0, 1);
        free(l.body), free(l.trace_id), free(dv), free(copy), free(tcopy);
        amqp_destroy_message(&msg);
        log_error("amqp", "out of memory receiving a delivery; requeued it");
        return 0;
    }
    memcpy(l.body, msg.body.bytes, msg.body.len);
    l.body[msg.body.len] = '\0';
    memcpy(copy, msg.body.bytes, msg.body.len);
    copy[msg.body.len] = '\0';
    amqp_destroy_message(&msg);
    pthread_mutex_lock(&q->mu);
    dv->m = (queue_message){.tag = ((uint64_t)q->gen << TAG_BITS) | btag,
                            .body = copy,
                            .len = l.len,
                            .redelivered = redelivered,
                            .delivery_count = l.delivery_count,
                            .trace_id = tcopy};
    if (q->tail)
        q->tail->next = dv;
    else
        q->head = dv;
    q->tail = dv;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

static int on_return(aq *q, const amqp_basic_return_t *ret)
{
    int code = ret->reply_code;
    amqp_message_t msg;
    amqp_rpc_reply_t r = amqp_read_message(q->link.conn, q->link.ch, &msg, 0);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        rpc_failed(q, r, "reading a returned message");
        return -1;
    }
    int64_t seq;
    inflight *f = &q->fl;
    if (f->req && !amqp_header_int(&msg.properties, AMQP_SEQ_HEADER, &seq) &&
        (uint64_t)seq >= f->first_seq && (uint64_t)seq - f->first_seq < f->sent)
        f->st[seq - (int64_t)f->first_seq] |= MSG_RETURNED;
    amqp_destroy_message(&msg);
    log_warn("amqp", "broker returned an unroutable message (code %d)", code);
    return 0;
}

/* Returns -1 when the link was reset (stop reading frames this round). */
static int on_frame(aq *q, amqp_frame_t *fr)
{
    if (fr->frame_type != AMQP_FRAME_METHOD)
        return 0;
    amqp_method_t *m = &fr->payload.method;
    switch (m->id) {
    case AMQP_BASIC_DELIVER_METHOD:
        return on_deliver(q, m->decoded);
    case AMQP_BASIC_RETURN_METHOD:
        return on_return(q, m->decoded);
    case AMQP_BASIC_ACK_METHOD: {
        amqp_basic_ack_t *a = m->decoded;
        on_confirm(q, a->delivery_tag, a->multiple, 1);
        return 0;
    }
    case AMQP_BASIC_NACK_METHOD: {
        amqp_basic_nack_t *a = m->decoded;
        on_confirm(q, a->delivery_tag, a->multiple, 0);
        return 0;
    }
    case AMQP_BASIC_CANCEL_METHOD:
        /* Queue deleted or its leader moved: subscribe again (the channel
         * setup re-declares the queue if it is gone). */
        log_warn("amqp", "broker cancelled the consumer on '%s'; re-subscribing", q->cfg.queue);
        q->consuming = 0;
        return 0;
    case AMQP_CHANNEL_CLOSE_METHOD: {
        amqp_channel_close_t *c = m->decoded;
        char why[300];
        snprintf(why, sizeof why, "%d %.*s", c->reply_code, (int)c->reply_text.len,
                 (const char *)c->reply_text.bytes);
        amqp_channel_close_ok_t ok = {0};
        amqp_send_method(q->link.conn, fr->channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
        channel_lost(q, why);
        return -1;
    }
    case AMQP_CONNECTION_CLOSE_METHOD: {
        amqp_connection_close_t *c = m->decoded;
        char why[300];
        snprintf(why, sizeof why, "broker closed the connection: %d %.*s", c->reply_code,
                 (int)c->reply_text.len, (const char *)c->reply_text.bytes);
        amqp_connection_close_ok_t ok = {0};
        amqp_send_method(q->link.conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
        connection_lost(q, why);
        return -1;
    }
    case AMQP_CONNECTION_BLOCKED_METHOD:
        log_warn("amqp", "broker blocked publishing (resource alarm)");
        return 0;
    default:
        return 0;
    }
}

/* Wait up to wait_ms for the socket or a request, then handle every frame
 * that is ready. Zero-timeout reads also send heartbeats when due. */
static void pump(aq *q, int wait_ms)
{
    amqp_connection_state_t c = q->link.conn;
    if (wait_ms > 0 && !amqp_frames_enqueued(c) && !amqp_data_in_buffer(c)) {
        struct pollfd p[2] = {{.fd = q->wake[0], .events = POLLIN},
                              {.fd = amqp_get_sockfd(c), .events = POLLIN}};
        poll(p, 2, wait_ms);
    }
    for (int i = 0; i < 4096 && q->link.conn; i++) {
        amqp_frame_t fr;
        struct timeval tv = {0, 0};
        int st = amqp_simple_wait_frame_noblock(q->link.conn, &fr, &tv);
        if (st == AMQP_STATUS_TIMEOUT)
            break;
        if (st != AMQP_STATUS_OK) {
            connection_lost(q, amqp_error_string2(st));
            return;
        }
        if (on_frame(q, &fr))
            return;
        amqp_maybe_release_buffers(q->link.conn);
    }
}

/* ---- requests --------------------------------------------------------- */

static void start_publish(aq *q, request *r, lease *dead)
{
    inflight *f = &q->fl;
    size_t n = dead ? 1 : r->n;
    f->st = calloc(n ? n : 1, 1);
    if (!f->st) {
        if (dead)
            dead->settling = 0;
        finish_err(q, r, RNR_ERR_NOMEM, "%s", "out of memory starting a publish");
        return;
    }
    f->req = r;
    f->n = n;
    f->first_seq = q->link.next_seq;
    f->deadline = now_ms() + q->cfg.confirm_timeout_ms;
    f->dead = dead != NULL;
    f->ack_after = dead ? dead->btag : 0;
    const char *ct = r->opts && r->opts->content_type ? r->opts->content_type : NULL;
    const char *trace = dead ? dead->trace_id : NULL; /* a publish: per message, below */
    char target[300];
    snprintf(target, sizeof target, "%s", dead ? q->cfg.dlq : q->cfg.queue);
    if (!dead && r->opts && r->opts->delay_ms > 0) {
        rnr_error e;
        if (amqp_link_declare_wait(&q->link, q->cfg.queue, r->opts->delay_ms, target, sizeof target,
                                   &e)) {
            f->req = NULL;
            free(f->st);
            memset(f, 0, sizeof *f);
            r->err = e;
            rpc_failed(q, amqp_get_rpc_reply(q->link.conn), e.msg);
            finish(q, r, e.code);
            return;
        }
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t seq;
        rnr_error e;
        int rc = dead ? amqp_link_publish(&q->link, target, dead->body, dead->len, ct, trace,
                                          r->reason, dead->delivery_count, &seq, &e)
                      : amqp_link_publish(&q->link, target, r->bodies[i], r->lens[i], ct,
                                          queue_opts_trace_id(r->opts, i), NULL, 0, &seq, &e);
        if (rc) {
            connection_lost(q, e.msg);
            return;
        }
        f->sent++;
        if (f->sent % PUBLISH_CHUNK == 0) {
            pump(q, 0); /* take confirms as they come; keeps buffers small */
            if (f->req != r)
                return;
        }
    }
}

static int stale_or_unknown(aq *q, request *r, lease **out)
{
    uint16_t gen = (uint16_t)(r->tag >> TAG_BITS);
    *out = NULL;
    if (gen != q->gen) {
        finish_err(q, r, RNR_ERR_TRANSIENT,
                   "delivery tag is stale: the broker connection was reset since the message was "
                   "delivered, and the broker will deliver it again%s",
                   "");
        return -1;
    }
    *out = lease_find(q, r->tag & TAG_MASK);
    if (*out && (*out)->settling) {
        finish_err(q, r, RNR_ERR_INVALID, "delivery tag is being dead-lettered already%s", "");
        return -1;
    }
    if (!*out) {
        finish_err(q, r, RNR_ERR_INVALID,
                   "delivery tag is not leased to this consumer (already acked or never "
                   "delivered)%s",
                   "");
        return -1;
    }
    return 0;
}

static void exec_settle(aq *q, request *r)
{
    lease *l;
    if (stale_or_unknown(q, r, &l))
        return;
    if (r->kind == REQ_DEAD || (r->kind == REQ_NACK && !r->requeue && !q->cfg.quorum)) {
        /* A classic queue without a dead-letter exchange would drop a
         * rejected message: republish it to the DLQ ourselves. */
        if (!r->reason)
            r->reason = "rejected";
        l->settling = 1;
        start_publish(q, r, l);
        return;
    }
    uint64_t btag = l->btag;
    int st = r->kind == REQ_ACK ? amqp_basic_ack(q->link.conn, q->link.ch, btag, 0)
                                : amqp_basic_nack(q->link.conn, q->link.ch, btag, 0, r->requeue);
    if (st != AMQP_STATUS_OK) {
        int rc = amqp_link_status_error(&r->err, st, r->kind == REQ_ACK ? "AMQP ack" : "AMQP nack");
        connection_lost(q, r->err.msg);
        finish(q, r, rc);
        return;
    }
    lease_drop(q, l);
    finish(q, r, RNR_OK);
}

static void exec_count(aq *q, request *r)
{
    int rc = amqp_link_count(&q->link, q->cfg.queue, &r->ready, &r->err);
    if (!rc)
        rc = amqp_link_count(&q->link, q->cfg.dlq, &r->dead, &r->err);
    if (!rc)
        rc = amqp_link_count_waiting(&q->link, q->cfg.queue, &r->waiting, &r->err);
    if (rc)
        rpc_failed(q, amqp_get_rpc_reply(q->link.conn), r->err.msg);
    finish(q, r, rc);
}

static void exec_request(aq *q, request *r)
{
    if (!q->link.conn && r->kind != REQ_ACK && r->kind != REQ_NACK && r->kind != REQ_DEAD) {
        char why[512];
        pthread_mutex_lock(&q->mu);
        snprintf(why, sizeof why, "RabbitMQ at %.100s:%d is unreachable (%.200s); nothing was %s",
                 q->cfg.host, q->cfg.port, q->down_why,
                 r->kind == REQ_PUBLISH  ? "published"
                 : r->kind == REQ_BROWSE ? "read"
                                         : "counted");
        pthread_mutex_unlock(&q->mu);
        if (r->kind == REQ_PUBLISH)
            for (size_t i = 0; i < r->n; i++)
                r->ok[i] = 0;
        finish_err(q, r, RNR_ERR_TRANSIENT, "%s", why);
        return;
    }
    switch (r->kind) {
    case REQ_PUBLISH:
        if (r->n == 0)
            finish(q, r, RNR_OK);
        else
            start_publish(q, r, NULL);
        break;
    case REQ_COUNT:
        exec_count(q, r);
        break;
    case REQ_BROWSE: {
        int rc = amqp_dead_browse(&q->link, q->cfg.dlq, q->cfg.queue, r->limit, r->list,
                                  r->replay_id, r->replayed, &r->err);
        if (rc && rc != RNR_ERR_NOTFOUND)
            rpc_failed(q, amqp_get_rpc_reply(q->link.conn), r->err.msg);
        finish(q, r, rc);
        break;
    }
    default:
        exec_settle(q, r);
        break;
    }
}

static int is_publishing(const aq *q, const request *r)
{
    return r->kind == REQ_PUBLISH || r->kind == REQ_DEAD ||
           (r->kind == REQ_NACK && !r->requeue && !q->cfg.quorum);
}

/* Detach the requests that can run now: all but publishes queued behind
 * the one whose confirms are outstanding. */
static request *take_requests(aq *q)
{
    request *mine = NULL, **mt = &mine, **pp = &q->reqs;
    int allow_pub = !q->fl.req;
    while (*pp) {
        request *r = *pp;
        if (is_publishing(q, r)) {
            if (!allow_pub) {
                pp = &r->next;
                continue;
            }
            allow_pub = 0;
        }
        *pp = r->next;
        r->next = NULL;
        *mt = r;
        mt = &r->next;
    }
    return mine;
}

/* ---- the I/O thread --------------------------------------------------- */

static void ensure_consumer(aq *q)
{
    if (!q->link.conn || q->consuming || now_ms() < q->consume_after)
        return;
    rnr_error e;
    if (amqp_link_consume(&q->link, q->ctag, sizeof q->ctag, &e)) {
        q->consume_after = now_ms() + 1000;
        log_warn("amqp", "subscribing to '%s' failed: %s", q->cfg.queue, e.msg);
        rpc_failed(q, amqp_get_rpc_reply(q->link.conn), e.msg);
        return;
    }
    q->consuming = 1;
}

static void io_shutdown(aq *q)
{
    inflight_end(q, RNR_ERR_CANCELLED, "the queue was closed before the publish was confirmed");
    pthread_mutex_lock(&q->mu);
    request *r = q->reqs;
    q->reqs = NULL;
    pthread_mutex_unlock(&q->mu);
    while (r) {
        request *next = r->next;
        finish_err(q, r, RNR_ERR_CANCELLED, "%s", "the queue was closed");
        r = next;
    }
    if (q->link.conn && q->consuming) {
        amqp_basic_cancel(q->link.conn, q->link.ch, amqp_cstring_bytes(q->ctag));
        (void)amqp_get_rpc_reply(q->link.conn);
    }
    /* Closing the channel hands every unacked delivery back to the broker. */
    amqp_link_close(&q->link, q->link.conn != NULL);
    forget_deliveries(q);
}

void *amqp_io_main(void *arg)
{
    aq *q = arg;
    for (;;) {
        pthread_mutex_lock(&q->mu);
        int stop = q->stopping, want = q->want_consume;
        request *mine = stop ? NULL : take_requests(q);
        pthread_mutex_unlock(&q->mu);
        if (stop)
            break;
        if (!q->link.conn && (mine || now_ms() >= q->next_attempt))
            try_connect(q);
        while (mine) {
            request *next = mine->next;
            exec_request(q, mine);
            mine = next;
        }
        if (q->link.conn) {
            if (want)
                ensure_consumer(q);
            if (q->link.conn)
                pump(q, q->fl.req ? 10 : PUMP_MS);
            inflight_check(q);
        } else {
            int64_t wait = q->next_attempt - now_ms();
            struct pollfd p = {.fd = q->wake[0], .events = POLLIN};
            poll(&p, 1, (int)(wait < 0 ? 0 : wait > PUMP_MS ? PUMP_MS : wait));
        }
        drain_wake(q);
    }
    io_shutdown(q);
    return NULL;
}
