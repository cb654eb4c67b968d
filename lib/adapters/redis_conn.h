/* redis_conn.h - one connection to a Redis server, plain TCP or TLS
 * (OpenSSL), speaking RESP through hiredis's formatter and reply reader.
 *
 * hiredis 0.14 (Debian 12) has no TLS, so this module owns the socket:
 * bounded connect (TCP and TLS handshake share one deadline), a bounded
 * wait for every read and write, server certificate verification against
 * the system CA store or a given PEM file, host name (or IP) verification
 * and SNI. Commands are queued with redis_conn_append and go out in one
 * write when the first reply is read, so a batch is one round trip.
 * Error messages are the detail only ("certificate verify failed: ...");
 * callers prefix them with what they were doing. */
#ifndef RNR_ADAPTERS_REDIS_CONN_H
#define RNR_ADAPTERS_REDIS_CONN_H

#include <hiredis/hiredis.h>

#include "core/error.h"

typedef struct redis_conn_opts {
    const char *host;
    int port;
    int tls;                /* 1: TLS with verification, 0: plain TCP */
    const char *cacert;     /* PEM CA file for tls; NULL: the system store */
    int connect_timeout_ms; /* TCP connect + TLS handshake */
    int timeout_ms;         /* each wait for the socket after that */
} redis_conn_opts;

typedef struct redis_conn redis_conn;

/* Connect (and handshake). RNR_ERR_TRANSIENT / RNR_ERR_TIMEOUT when the
 * server cannot be reached; RNR_ERR_CONFIG when TLS fails for good (the
 * certificate does not verify, the peer does not speak TLS, a bad CA file). */
RNR_WARN_UNUSED int redis_conn_open(const redis_conn_opts *o, redis_conn **out, rnr_error *err);

/* Queue one command (argv strings, NUL-terminated); sent by the next read. */
RNR_WARN_UNUSED int redis_conn_append(redis_conn *c, int argc, const char *const *argv,
                                      rnr_error *err);

/* Send what is queued, then the next reply (free with freeReplyObject).
 * Any failure leaves the connection unusable: free it and reconnect. */
RNR_WARN_UNUSED int redis_conn_read(redis_conn *c, redisReply **reply, rnr_error *err);

void redis_conn_free(redis_conn *c);

#endif
