/* queue.h - the work-queue port, with AMQP 0-9-1 semantics.
 *
 * publish returns only after the backend has confirmed the message durable
 * (publisher confirm); get hands out one delivery at a time that stays
 * leased to this consumer until ack, nack or dead_letter; depth counts
 * ready + unacked. Backends: SQLite (embedded), RabbitMQ (amqp://, amqps://).
 * A queue handle belongs to one thread unless its backend says otherwise. */
#ifndef RNR_PORTS_QUEUE_H
#define RNR_PORTS_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct queue_message {
    uint64_t tag; /* delivery tag: valid until ack/nack/dead_letter */
    char *body;   /* NUL-terminated copy of the body */
    size_t len;
    int redelivered;    /* the broker delivered it before */
    int delivery_count; /* 1 on first delivery; 0 when the backend cannot tell */
    char *trace_id;     /* the message's trace id (AMQP header X-Amzn-Trace-Id,
                            SQLite column trace_id), or NULL */
} queue_message;

typedef struct queue_depth {
    int64_t ready;
    int64_t unacked; /* -1 when the backend cannot tell */
    int64_t dead;    /* messages in the dead-letter queue, -1 when unknown */
} queue_depth;

/* A message the queue gave up on, kept by the backend with its reason. */
typedef struct queue_dead_entry {
    int64_t id; /* the backend's dead-letter id */
    char *body; /* NUL-terminated */
    size_t len;
    char *reason;
    char *trace_id; /* or NULL */
    int delivery_count;
    int64_t enqueued_at; /* epoch seconds of the original publish */
    int64_t dead_at;     /* epoch seconds */
} queue_dead_entry;

typedef struct queue_dead_list {
    queue_dead_entry *items;
    size_t n;
} queue_dead_list;

typedef struct queue_publish_opts {
    const char *trace_id;         /* carried as a header; may be NULL */
    const char *const *trace_ids; /* publish_many: message i's trace id (a NULL
                                     array or entry: trace_id) */
    const char *content_type;     /* default application/json */
    int64_t delay_ms;             /* not delivered before this many ms have passed
                                 (0: at once); backends may round it up */
} queue_publish_opts;

typedef struct queue_ops {
    /* Publish persistently and wait for the confirmation. */
    int (*publish)(void *self, const char *body, size_t len, const queue_publish_opts *o,
                   rnr_error *err);
    /* Publish n messages, then wait for all confirmations; ok[i] is set to 1
     * for each confirmed message. Returns RNR_OK only if all were confirmed.
     * NULL when the backend has no faster path than publish in a loop. */
    int (*publish_many)(void *self, const char *const *bodies, const size_t *lens, size_t n,
                        const queue_publish_opts *o, int *ok, rnr_error *err);
    /* Wait up to timeout_ms for a delivery; RNR_ERR_TIMEOUT when none came. */
    int (*get)(void *self, int timeout_ms, queue_message *out, rnr_error *err);
    int (*ack)(void *self, uint64_t tag, rnr_error *err);
    /* requeue=1: deliver again (counts as a delivery); 0: drop/dead-letter
     * as the queue is configured. */
    int (*nack)(void *self, uint64_t tag, int requeue, rnr_error *err);
    /* Move the message to the dead-letter queue with a reason, then ack it. */
    int (*dead_letter)(void *self, uint64_t tag, const char *reason, rnr_error *err);
    int (*depth)(void *self, queue_depth *out, rnr_error *err);
    void (*close)(void *self);
    /* The oldest dead letters, at most limit (0 = all). NULL when the
     * backend's dead letters are read with its own tools (a broker's
     * dead-letter queue). */
    int (*list_dead)(void *self, size_t limit, queue_dead_list *out, rnr_error *err);
    /* Renew the lease of a held delivery for another full lease period,
     * so long work is not handed to a second consumer. NULL when the
     * backend has no renewable lease (RabbitMQ: an unacked delivery stays
     * ours until consumer_timeout; the worker bounds its own time). */
    int (*extend)(void *self, uint64_t tag, rnr_error *err);
    /* Move dead letter id (0 = all) back to the queue with its delivery
     * count reset; *replayed = how many. NULL when unsupported. */
    int (*replay_dead)(void *self, int64_t id, size_t *replayed, rnr_error *err);
} queue_ops;

typedef struct rnr_queue {
    const queue_ops *ops;
    void *self;
} rnr_queue;

/* The trace id message i of a publish carries (o may be NULL). */
const char *queue_opts_trace_id(const queue_publish_opts *o, size_t i);
int queue_publish(rnr_queue *q, const char *body, size_t len, const queue_publish_opts *o,
                  rnr_error *err);
/* Uses the backend's publish_many when it has one, else publish per message. */
int queue_publish_many(rnr_queue *q, const char *const *bodies, const size_t *lens, size_t n,
                       const queue_publish_opts *o, int *ok, rnr_error *err);
int queue_get(rnr_queue *q, int timeout_ms, queue_message *out, rnr_error *err);
int queue_ack(rnr_queue *q, uint64_t tag, rnr_error *err);
int queue_nack(rnr_queue *q, uint64_t tag, int requeue, rnr_error *err);
int queue_dead_letter(rnr_queue *q, uint64_t tag, const char *reason, rnr_error *err);
int queue_get_depth(rnr_queue *q, queue_depth *out, rnr_error *err);
/* RNR_ERR_UNSUPPORTED (out empty) when the backend has no list_dead. */
int queue_list_dead(rnr_queue *q, size_t limit, queue_dead_list *out, rnr_error *err);
void queue_dead_list_clear(queue_dead_list *l);
/* RNR_ERR_UNSUPPORTED when the backend's leases cannot be renewed. */
int queue_extend(rnr_queue *q, uint64_t tag, rnr_error *err);
/* RNR_ERR_UNSUPPORTED (nothing moved) when the backend cannot replay;
 * RNR_ERR_NOTFOUND when id is given and is not a dead letter here. */
int queue_replay_dead(rnr_queue *q, int64_t id, size_t *replayed, rnr_error *err);
/* Close the backend and free the handle (NULL is fine). */
void queue_free(rnr_queue *q);
/* Free what a delivery owns and zero it. */
void queue_message_clear(queue_message *m);

#endif
