/* amqp_internal.h - what the AMQP adapter's files share: the parsed
 * configuration, the connection owned by the I/O thread, and the helpers
 * that speak the protocol on it. Not for use outside lib/adapters/amqp_*. */
#ifndef RNR_ADAPTERS_AMQP_INTERNAL_H
#define RNR_ADAPTERS_AMQP_INTERNAL_H

#include <amqp.h>
#include <pthread.h>
#include <stdint.h>

#include "core/error.h"
#include "ports/queue.h"

typedef struct amqp_config {
    char *host;
    int port;
    int tls;
    char *user;
    char *password;
    char *vhost;
    char *queue;
    char *dlq;
    char *mgmt_url; /* NULL: no management API */
    char *cacert;   /* TLS only */
    int heartbeat_s;
    int prefetch;
    int quorum;
    int delivery_limit;
    int connect_timeout_ms;
    int confirm_timeout_ms;
    int wait_tiers; /* a "*.sites" queue: its delay tiers are declared with it */
} amqp_config;

int amqp_config_parse(const char *url, const char *queue_name, amqp_config *cfg, rnr_error *err);
void amqp_config_clear(amqp_config *cfg);

/* The broker connection: used by exactly one thread at a time. */
typedef struct amqp_link {
    const amqp_config *cfg;
    amqp_connection_state_t conn;
    amqp_channel_t ch;
    uint64_t next_seq; /* publish sequence number of the next publish */
} amqp_link;

/* Connect, log in, open the channel, select confirms and declare both
 * queues. On failure the link is left closed. */
int amqp_link_open(amqp_link *l, const amqp_config *cfg, rnr_error *err);
void amqp_link_close(amqp_link *l, int graceful);
/* Reopen the channel after the broker closed it (close-ok already sent). */
int amqp_link_reopen_channel(amqp_link *l, rnr_error *err);
/* Declare the wait queue for messages to target delayed by delay_ms
 * (rounded up to the next tier, AMQP_WAIT_TIERS seconds): its TTL
 * dead-letters them into target. Its name goes to name. */
#define AMQP_WAIT_TIERS                                                                            \
    {                                                                                              \
        1, 2, 4, 8, 16, 32                                                                         \
    }
#define AMQP_NWAIT_TIERS 6
void amqp_link_wait_name(const char *target, int tier_s, char *name, size_t cap);
/* Messages waiting in target's tiers (0 when none are declared). */
int amqp_link_count_waiting(amqp_link *l, const char *target, int64_t *count, rnr_error *err);
int amqp_link_declare_wait(amqp_link *l, const char *target, int64_t delay_ms, char *name,
                           size_t cap, rnr_error *err);
int amqp_link_consume(amqp_link *l, char *ctag, size_t cap, rnr_error *err);
/* Passive declare: the ready count of queue name. */
int amqp_link_count(amqp_link *l, const char *name, int64_t *count, rnr_error *err);
/* Send one persistent mandatory publish; *seq is its confirm tag. */
int amqp_link_publish(amqp_link *l, const char *queue, const char *body, size_t len,
                      const char *content_type, const char *trace_id, const char *reason,
                      int delivery_count, uint64_t *seq, rnr_error *err);
/* rabbitmq-c status / RPC reply -> rnr code + message. */
int amqp_link_status_error(rnr_error *err, int status, const char *what);
int amqp_link_reply_error(rnr_error *err, amqp_rpc_reply_t r, const char *what);

/* Header lookups on a received message. */
char *amqp_header_string(const amqp_basic_properties_t *p, const char *name);
int amqp_header_int(const amqp_basic_properties_t *p, const char *name, int64_t *v);

/* The unacknowledged count of a /api/queues/VHOST/NAME reply: -1 when the
 * field is absent (a queue new to the statistics collector); RNR_ERR_PARSE
 * when the body is not JSON or the count is negative. Pure (fuzzed). */
int amqp_mgmt_parse_unacked(const char *body, size_t len, int64_t *unacked, rnr_error *err);
/* Management API: unacked count of cfg->queue (-1 when unknown). */
int amqp_mgmt_unacked(const amqp_config *cfg, int64_t *unacked, rnr_error *err);

#define AMQP_SEQ_HEADER "x-rnr-seq"
#define AMQP_DEAD_ID_HEADER "x-rnr-dead-id"

/* Browse the dead-letter queue dlq with basic.get (amqp_dead.c): list up
 * to limit entries into out (when out is non-NULL), and republish to
 * target (confirmed, then acked away) those whose id is replay_id (0 =
 * all) when replayed is non-NULL. Every other message is returned to dlq
 * in place. For a handle that does not consume (the operator's CLI). */
int amqp_dead_browse(amqp_link *l, const char *dlq, const char *target, size_t limit,
                     queue_dead_list *out, int64_t replay_id, size_t *replayed, rnr_error *err);

/* ---- the queue handle and its I/O thread ---- */

#define TAG_BITS 48
#define TAG_MASK ((UINT64_C(1) << TAG_BITS) - 1)
#define PUMP_MS 100
#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 5000
#define PUBLISH_CHUNK 256

enum req_kind { REQ_PUBLISH, REQ_ACK, REQ_NACK, REQ_DEAD, REQ_COUNT, REQ_BROWSE };
enum { MSG_CONFIRMED = 1, MSG_NACKED = 2, MSG_RETURNED = 4 };

typedef struct request {
    enum req_kind kind;
    const char *const *bodies; /* REQ_PUBLISH */
    const size_t *lens;
    size_t n;
    const queue_publish_opts *opts;
    int *ok;
    uint64_t tag; /* REQ_ACK, REQ_NACK, REQ_DEAD */
    int requeue;
    const char *reason;
    int64_t ready, dead, waiting; /* REQ_COUNT */
    size_t limit;                 /* REQ_BROWSE: list (list != NULL) or replay (replayed != NULL) */
    queue_dead_list *list;
    int64_t replay_id;
    size_t *replayed;
    int done, rc;
    rnr_error err;
    struct request *next;
} request;

/* A delivery the broker holds leased to us: kept so dead_letter can
 * republish the body. */
typedef struct lease {
    uint64_t btag;
    char *body;
    size_t len;
    char *trace_id;
    int delivery_count;
    int settling; /* a dead-letter publish for it awaits its confirm */
} lease;

typedef struct delivery {
    queue_message m;
    struct delivery *next;
} delivery;

/* The publish the I/O thread is collecting confirms for. */
typedef struct inflight {
    request *req;
    uint64_t first_seq;
    size_t n, sent, resolved, low;
    unsigned char *st;
    int64_t deadline;
    int dead; /* a dead-letter republish: then ack ack_after */
    uint64_t ack_after;
} inflight;

/* The queue handle: the port side (amqp_queue.c) and the I/O thread
 * (amqp_io.c) share it; fields under mu are shared, the rest belong to
 * the I/O thread. */
typedef struct aq {
    amqp_config cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int wake[2];
    /* under mu */
    int stopping, want_consume, connected;
    request *reqs;
    delivery *head, *tail;
    uint16_t gen;
    char down_why[256];
    /* I/O thread only */
    amqp_link link;
    int consuming;
    int64_t consume_after;
    char ctag[256];
    inflight fl;
    lease *leases;
    size_t nleases, cap_leases;
    int backoff_ms;
    int64_t next_attempt;
    unsigned rnd;
} aq;

/* The I/O thread: owns q->link from its start until it returns. */
void *amqp_io_main(void *arg);
/* Wake the I/O thread (a request was queued or the handle is closing). */
void amqp_io_wake(aq *q);

#endif
