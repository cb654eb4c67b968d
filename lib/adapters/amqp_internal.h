/* amqp_internal.h - what the AMQP adapter's files share: the parsed
 * configuration, the connection owned by the I/O thread, and the helpers
 * that speak the protocol on it. Not for use outside lib/adapters/amqp_*. */
#ifndef RNR_ADAPTERS_AMQP_INTERNAL_H
#define RNR_ADAPTERS_AMQP_INTERNAL_H

#include <amqp.h>
#include <stdint.h>

#include "core/error.h"

typedef struct amqp_config {
    char *host;
    int port;
    int tls;
    char *user;
    char *password;
    char *vhost;
    char *queue;
    char *dlq;
    char *mgmt_url;     /* NULL: no management API */
    char *cacert;       /* TLS only */
    int heartbeat_s;
    int prefetch;
    int quorum;
    int delivery_limit;
    int connect_timeout_ms;
    int confirm_timeout_ms;
} amqp_config;

int amqp_config_parse(const char *url, const char *queue_name, amqp_config *cfg, rnr_error *err);
void amqp_config_clear(amqp_config *cfg);

/* The broker connection: used by exactly one thread at a time. */
typedef struct amqp_link {
    const amqp_config *cfg;
    amqp_connection_state_t conn;
    amqp_channel_t ch;
    uint64_t next_seq;        /* publish sequence number of the next publish */
} amqp_link;

/* Connect, log in, open the channel, select confirms and declare both
 * queues. On failure the link is left closed. */
int amqp_link_open(amqp_link *l, const amqp_config *cfg, rnr_error *err);
void amqp_link_close(amqp_link *l, int graceful);
/* Reopen the channel after the broker closed it (close-ok already sent). */
int amqp_link_reopen_channel(amqp_link *l, rnr_error *err);
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

/* Management API: unacked count of cfg->queue (-1 when unknown). */
int amqp_mgmt_unacked(const amqp_config *cfg, int64_t *unacked, rnr_error *err);

#define AMQP_SEQ_HEADER "x-rnr-seq"

#endif
