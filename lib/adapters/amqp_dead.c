/* amqp_dead.c - reading and replaying a RabbitMQ dead-letter queue for
 * `rnr queue dead|replay`: basic.get each message in turn (unacked, so
 * nothing is lost if we die), list it or republish it to its queue with a
 * publisher confirm and only then ack it, and hand every other message
 * back with basic.reject(requeue), which keeps its place in the queue.
 * Runs on the I/O thread of amqp_queue.c like every other operation. */
#include "adapters/amqp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the confirm of publish seq. */
static int wait_confirm(amqp_link *l, uint64_t seq, rnr_error *err)
{
    int64_t deadline = mono_ms() + l->cfg->confirm_timeout_ms;
    while (mono_ms() < deadline) {
        amqp_frame_t fr;
        struct timeval tv = {0, 100000};
        int st = amqp_simple_wait_frame_noblock(l->conn, &fr, &tv);
        if (st == AMQP_STATUS_TIMEOUT)
            continue;
        if (st != AMQP_STATUS_OK)
            return amqp_link_status_error(err, st, "waiting for a replay's confirm");
        if (fr.frame_type != AMQP_FRAME_METHOD)
            continue;
        if (fr.payload.method.id == AMQP_BASIC_ACK_METHOD) {
            amqp_basic_ack_t *a = fr.payload.method.decoded;
            if (a->delivery_tag == seq || (a->multiple && a->delivery_tag > seq))
                return RNR_OK;
        } else if (fr.payload.method.id == AMQP_BASIC_NACK_METHOD) {
            return rnr_error_set(err, RNR_ERR_TRANSIENT, "RabbitMQ refused a replayed message");
        } else if (fr.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
                   fr.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
            return rnr_error_set(err, RNR_ERR_TRANSIENT,
                                 "RabbitMQ closed the channel during a replay");
        }
    }
    return rnr_error_set(err, RNR_ERR_TIMEOUT, "RabbitMQ did not confirm a replayed message");
}

static int add_entry(queue_dead_list *out, const amqp_message_t *m, int64_t id)
{
    queue_dead_entry *p = realloc(out->items, (out->n + 1) * sizeof *p);
    if (!p)
        return RNR_ERR_NOMEM;
    out->items = p;
    queue_dead_entry *d = &p[out->n];
    memset(d, 0, sizeof *d);
    d->id = id;
    d->body = malloc(m->body.len + 1);
    d->reason = amqp_header_string(&m->properties, "x-rnr-death-reason");
    if (!d->reason)
        d->reason = strdup("dead-lettered by the broker");
    d->trace_id = amqp_header_string(&m->properties, "X-Amzn-Trace-Id");
    if (!d->body || !d->reason) {
        free(d->body);
        free(d->reason);
        free(d->trace_id);
        return RNR_ERR_NOMEM;
    }
    memcpy(d->body, m->body.bytes, m->body.len);
    d->body[m->body.len] = '\0';
    d->len = m->body.len;
    int64_t v;
    d->delivery_count = !amqp_header_int(&m->properties, "x-rnr-delivery-count", &v) ? (int)v : 0;
    d->dead_at = !amqp_header_int(&m->properties, "x-rnr-dead-at", &v) ? v : 0;
    out->n++;
    return RNR_OK;
}

static int replay_one(amqp_link *l, const char *target, const amqp_message_t *m, uint64_t btag,
                      rnr_error *err)
{
    char *trace = amqp_header_string(&m->properties, "X-Amzn-Trace-Id");
    char *ct = m->properties._flags & AMQP_BASIC_CONTENT_TYPE_FLAG
                   ? strndup(m->properties.content_type.bytes, m->properties.content_type.len)
                   : NULL;
    uint64_t seq = 0;
    int rc =
        amqp_link_publish(l, target, m->body.bytes, m->body.len, ct, trace, NULL, 0, &seq, err);
    free(trace);
    free(ct);
    if (!rc)
        rc = wait_confirm(l, seq, err);
    if (!rc) {
        int st = amqp_basic_ack(l->conn, l->ch, btag, 0);
        if (st != AMQP_STATUS_OK)
            rc = amqp_link_status_error(err, st, "ack of a replayed dead letter");
    }
    return rc;
}

/* One message off the queue into m: *got is 1, or 0 when it is empty (m
 * untouched). */
static int get_one(amqp_link *l, const char *dlq, amqp_message_t *m, uint64_t *btag, int *got,
                   rnr_error *err)
{
    *got = 0;
    amqp_rpc_reply_t r = amqp_basic_get(l->conn, l->ch, amqp_cstring_bytes(dlq), 0);
    if (r.reply_type != AMQP_RESPONSE_NORMAL)
        return amqp_link_reply_error(err, r, "basic.get from the dead-letter queue");
    if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD)
        return RNR_OK;
    *btag = ((amqp_basic_get_ok_t *)r.reply.decoded)->delivery_tag;
    r = amqp_read_message(l->conn, l->ch, m, 0);
    if (r.reply_type != AMQP_RESPONSE_NORMAL)
        return amqp_link_reply_error(err, r, "reading a dead letter");
    *got = 1;
    return RNR_OK;
}

int amqp_dead_browse(amqp_link *l, const char *dlq, const char *target, size_t limit,
                     queue_dead_list *out, int64_t replay_id, size_t *replayed, rnr_error *err)
{
    int64_t count = 0;
    int rc = amqp_link_count(l, dlq, &count, err);
    if (rc)
        return rc;
    if (out)
        memset(out, 0, sizeof *out);
    if (replayed)
        *replayed = 0;
    uint64_t *keep = calloc((size_t)count + 1, sizeof *keep);
    if (!keep)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory reading dead letters");
    size_t nkeep = 0;
    for (int64_t i = 0; i < count && !rc; i++) {
        if (out && limit && out->n >= limit)
            break;
        amqp_message_t m;
        uint64_t btag = 0;
        int got = 0;
        rc = get_one(l, dlq, &m, &btag, &got, err);
        if (rc || !got)
            break;
        int64_t id = 0;
        if (amqp_header_int(&m.properties, AMQP_DEAD_ID_HEADER, &id))
            id = i + 1; /* dead-lettered by the broker: its place in the queue */
        if (replayed && (replay_id == 0 || id == replay_id)) {
            rc = replay_one(l, target, &m, btag, err);
            if (!rc)
                (*replayed)++;
        } else {
            keep[nkeep++] = btag;
            if (out && add_entry(out, &m, id) != RNR_OK)
                rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory reading dead letters");
        }
        amqp_destroy_message(&m);
    }
    /* the others go back where they were */
    for (size_t i = 0; i < nkeep; i++)
        amqp_basic_reject(l->conn, l->ch, keep[i], 1);
    free(keep);
    if (!rc && replayed && replay_id && *replayed == 0)
        rc = rnr_error_set(err, RNR_ERR_NOTFOUND, "queue '%s': no dead letter with id %lld", dlq,
                           (long long)replay_id);
    if (rc && out)
        queue_dead_list_clear(out);
    return rc;
}
