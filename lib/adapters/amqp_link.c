/* amqp_link.c - one broker connection and its channel: connect (TCP or TLS),
 * log in advertising consumer-cancel notifications, declare the work and
 * dead-letter queues without fighting an existing declaration, publish, and
 * turn rabbitmq-c failures into rnr errors. Only the I/O thread of
 * amqp_queue.c calls these (a connection belongs to one thread). */
#include "adapters/amqp_internal.h"

#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define AMQP_FRAME_MAX 131072

int amqp_link_status_error(rnr_error *err, int status, const char *what)
{
    int code = RNR_ERR_TRANSIENT;
    if (status == AMQP_STATUS_TIMEOUT)
        code = RNR_ERR_TIMEOUT;
    else if (status == AMQP_STATUS_NO_MEMORY)
        code = RNR_ERR_NOMEM;
    else if (status == AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED ||
             status == AMQP_STATUS_SSL_PEER_VERIFY_FAILED)
        code = RNR_ERR_AUTH;
    return rnr_error_set(err, code, "%s: %s", what, amqp_error_string2(status));
}

static int server_close_error(rnr_error *err, int code_in, amqp_bytes_t text, const char *what)
{
    int code = code_in == 403   ? RNR_ERR_AUTH
               : code_in == 404 ? RNR_ERR_NOTFOUND
               : code_in == 406 ? RNR_ERR_INVALID
                                : RNR_ERR_TRANSIENT;
    return rnr_error_set(err, code, "%s: broker said %d %.*s", what, code_in, (int)text.len,
                         (const char *)text.bytes);
}

int amqp_link_reply_error(rnr_error *err, amqp_rpc_reply_t r, const char *what)
{
    switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
        return RNR_OK;
    case AMQP_RESPONSE_NONE:
        return rnr_error_set(err, RNR_ERR_TRANSIENT, "%s: no reply from the broker", what);
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        return amqp_link_status_error(err, r.library_error, what);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            amqp_connection_close_t *c = r.reply.decoded;
            return server_close_error(err, c->reply_code, c->reply_text, what);
        }
        if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            amqp_channel_close_t *c = r.reply.decoded;
            return server_close_error(err, c->reply_code, c->reply_text, what);
        }
        return rnr_error_set(err, RNR_ERR_TRANSIENT, "%s: unexpected broker method 0x%08x", what,
                             (unsigned)r.reply.id);
    }
    return rnr_error_set(err, RNR_ERR_INTERNAL, "%s: unknown reply type", what);
}

static amqp_table_entry_t entry_bool(const char *k, int v)
{
    amqp_table_entry_t e = {.key = amqp_cstring_bytes(k)};
    e.value.kind = AMQP_FIELD_KIND_BOOLEAN;
    e.value.value.boolean = v;
    return e;
}

static amqp_table_entry_t entry_str(const char *k, const char *v)
{
    amqp_table_entry_t e = {.key = amqp_cstring_bytes(k)};
    e.value.kind = AMQP_FIELD_KIND_UTF8;
    e.value.value.bytes = amqp_cstring_bytes(v);
    return e;
}

static amqp_table_entry_t entry_i64(const char *k, int64_t v)
{
    amqp_table_entry_t e = {.key = amqp_cstring_bytes(k)};
    e.value.kind = AMQP_FIELD_KIND_I64;
    e.value.value.i64 = v;
    return e;
}

static int login(amqp_link *l, rnr_error *err)
{
    const amqp_config *c = l->cfg;
    amqp_table_entry_t caps[] = {
        entry_bool("consumer_cancel_notify", 1), entry_bool("publisher_confirms", 1),
        entry_bool("basic.nack", 1), entry_bool("connection.blocked", 1),
        /* a refused login then ends in connection.close 403, not a bare EOF */
        entry_bool("authentication_failure_close", 1)};
    amqp_table_entry_t props[3] = {entry_str("product", "rnr"), entry_str("platform", "C11")};
    props[2].key = amqp_cstring_bytes("capabilities");
    props[2].value.kind = AMQP_FIELD_KIND_TABLE;
    props[2].value.value.table = (amqp_table_t){5, caps};
    amqp_table_t client = {3, props};
    amqp_rpc_reply_t r =
        amqp_login_with_properties(l->conn, c->vhost, 0, AMQP_FRAME_MAX, c->heartbeat_s, &client,
                                   AMQP_SASL_METHOD_PLAIN, c->user, c->password);
    if (r.reply_type == AMQP_RESPONSE_NORMAL)
        return RNR_OK;
    char what[300];
    snprintf(what, sizeof what, "RabbitMQ %.100s:%d login as '%.60s' to vhost '%.60s'", c->host,
             c->port, c->user, c->vhost);
    return amqp_link_reply_error(err, r, what);
}

/* Why a TCP connect to host:port fails, as an errno (0 when it succeeds).
 * rabbitmq-c connects without blocking and says only "a socket error",
 * leaving errno at EINPROGRESS from its connect() call; so on that path one
 * more plain attempt, bounded by timeout_ms, learns the real reason
 * (ECONNREFUSED, EHOSTUNREACH, ...) from SO_ERROR. */
static int connect_errno(const char *host, int port, int timeout_ms)
{
    char svc[16];
    snprintf(svc, sizeof svc, "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(host, svc, &hints, &ai) != 0 || !ai)
        return EHOSTUNREACH;
    int e = ETIMEDOUT;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        e = errno;
    } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        e = 0;
    } else if (errno != EINPROGRESS) {
        e = errno;
    } else {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        socklen_t len = sizeof e;
        if (poll(&p, 1, timeout_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
            e = errno;
    }
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return e;
}

static int open_socket(amqp_link *l, rnr_error *err)
{
    const amqp_config *c = l->cfg;
    struct timeval tv = {c->connect_timeout_ms / 1000, (c->connect_timeout_ms % 1000) * 1000};
    amqp_socket_t *s = c->tls ? amqp_ssl_socket_new(l->conn) : amqp_tcp_socket_new(l->conn);
    if (!s)
        return rnr_error_set(err, RNR_ERR_NOMEM, "cannot create an AMQP socket");
    if (c->tls) {
        int st = amqp_ssl_socket_set_cacert(s, c->cacert);
        if (st != AMQP_STATUS_OK)
            return rnr_error_set(err, RNR_ERR_CONFIG, "AMQP CA file %s: %s", c->cacert,
                                 amqp_error_string2(st));
        amqp_ssl_socket_set_verify_peer(s, 1);
        amqp_ssl_socket_set_verify_hostname(s, 1);
    }
    amqp_set_handshake_timeout(l->conn, &tv);
    amqp_set_rpc_timeout(l->conn, &tv);
    int st = amqp_socket_open_noblock(s, c->host, c->port, &tv);
    if (st != AMQP_STATUS_OK) {
        char what[400];
        int e = st == AMQP_STATUS_SOCKET_ERROR
                    ? connect_errno(c->host, c->port, c->connect_timeout_ms)
                    : 0;
        snprintf(what, sizeof what, "RabbitMQ at %.200s:%d is unreachable%s%s", c->host, c->port,
                 e ? ": " : "", e ? strerror(e) : "");
        return amqp_link_status_error(err, st, what);
    }
    return RNR_OK;
}

/* After the broker closed the channel in reply to an RPC: acknowledge. */
static void channel_close_ok(amqp_link *l)
{
    amqp_channel_close_ok_t ok = {0};
    amqp_send_method(l->conn, l->ch, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
}

static int open_channel(amqp_link *l, rnr_error *err)
{
    amqp_channel_open(l->conn, l->ch);
    return amqp_link_reply_error(err, amqp_get_rpc_reply(l->conn), "AMQP channel.open");
}

static int declare(amqp_link *l, const char *name, amqp_table_t args, rnr_error *err)
{
    amqp_queue_declare(l->conn, l->ch, amqp_cstring_bytes(name), 1, 0, 0, 0, amqp_empty_table);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(l->conn);
    if (r.reply_type == AMQP_RESPONSE_NORMAL)
        return RNR_OK; /* exists: keep whatever arguments it was declared with */
    char what[300];
    snprintf(what, sizeof what, "declare queue '%s'", name);
    if (r.reply_type != AMQP_RESPONSE_SERVER_EXCEPTION || r.reply.id != AMQP_CHANNEL_CLOSE_METHOD ||
        ((amqp_channel_close_t *)r.reply.decoded)->reply_code != 404)
        return amqp_link_reply_error(err, r, what);
    channel_close_ok(l);
    int rc = open_channel(l, err);
    if (rc)
        return rc;
    amqp_queue_declare(l->conn, l->ch, amqp_cstring_bytes(name), 0, 1, 0, 0, args);
    return amqp_link_reply_error(err, amqp_get_rpc_reply(l->conn), what);
}

void amqp_link_wait_name(const char *target, int tier_s, char *name, size_t cap)
{
    snprintf(name, cap, "%s.wait.%ds", target, tier_s);
}

static int declare_tier(amqp_link *l, const char *target, int tier_s, char *name, size_t cap,
                        rnr_error *err)
{
    amqp_link_wait_name(target, tier_s, name, cap);
    amqp_table_entry_t args[] = {entry_i64("x-message-ttl", (int64_t)tier_s * 1000),
                                 entry_str("x-dead-letter-exchange", ""),
                                 entry_str("x-dead-letter-routing-key", target)};
    return declare(l, name, (amqp_table_t){3, args}, err);
}

int amqp_link_declare_wait(amqp_link *l, const char *target, int64_t delay_ms, char *name,
                           size_t cap, rnr_error *err)
{
    /* one wait queue per tier: every message in it has the same TTL, so
     * they expire in arrival order (a queue only ever expires its head) */
    static const int tiers[] = AMQP_WAIT_TIERS;
    int t = tiers[AMQP_NWAIT_TIERS - 1];
    for (int i = 0; i < AMQP_NWAIT_TIERS; i++) {
        if ((int64_t)tiers[i] * 1000 >= delay_ms) {
            t = tiers[i];
            break;
        }
    }
    return declare_tier(l, target, t, name, cap, err);
}

int amqp_link_count_waiting(amqp_link *l, const char *target, int64_t *count, rnr_error *err)
{
    static const int tiers[] = AMQP_WAIT_TIERS;
    *count = 0;
    if (!l->cfg->wait_tiers)
        return RNR_OK;
    for (int i = 0; i < AMQP_NWAIT_TIERS; i++) {
        char name[300];
        int64_t n = 0;
        amqp_link_wait_name(target, tiers[i], name, sizeof name);
        int rc = amqp_link_count(l, name, &n, err);
        if (rc)
            return rc;
        *count += n;
    }
    return RNR_OK;
}

static int setup_channel(amqp_link *l, rnr_error *err)
{
    const amqp_config *c = l->cfg;
    int rc = open_channel(l, err);
    amqp_table_entry_t dlq_args[] = {entry_str("x-queue-type", "quorum")};
    amqp_table_entry_t q_args[] = {entry_str("x-queue-type", "quorum"),
                                   entry_str("x-dead-letter-exchange", ""),
                                   entry_str("x-dead-letter-routing-key", c->dlq),
                                   entry_i64("x-delivery-limit", c->delivery_limit)};
    amqp_table_t none = amqp_empty_table;
    if (!rc)
        rc = declare(l, c->dlq, c->quorum ? (amqp_table_t){1, dlq_args} : none, err);
    if (!rc)
        rc = declare(l, c->queue, c->quorum ? (amqp_table_t){4, q_args} : none, err);
    /* the delay tiers of a follow-up queue exist with it, so its depth can
     * count what waits in them */
    static const int tiers[] = AMQP_WAIT_TIERS;
    for (int i = 0; !rc && c->wait_tiers && i < AMQP_NWAIT_TIERS; i++) {
        char name[300];
        rc = declare_tier(l, c->queue, tiers[i], name, sizeof name, err);
    }
    if (!rc) {
        amqp_basic_qos(l->conn, l->ch, 0, (uint16_t)c->prefetch, 0);
        rc = amqp_link_reply_error(err, amqp_get_rpc_reply(l->conn), "AMQP basic.qos");
    }
    if (!rc) {
        amqp_confirm_select(l->conn, l->ch);
        rc = amqp_link_reply_error(err, amqp_get_rpc_reply(l->conn), "AMQP confirm.select");
    }
    l->next_seq = 1; /* confirm tags count from 1 on every channel */
    return rc;
}

int amqp_link_open(amqp_link *l, const amqp_config *cfg, rnr_error *err)
{
    memset(l, 0, sizeof *l);
    l->cfg = cfg;
    l->ch = 1;
    l->conn = amqp_new_connection();
    if (!l->conn)
        return rnr_error_set(err, RNR_ERR_NOMEM, "cannot allocate an AMQP connection");
    int rc = open_socket(l, err);
    if (!rc)
        rc = login(l, err);
    if (!rc)
        rc = setup_channel(l, err);
    if (rc)
        amqp_link_close(l, 0);
    return rc;
}

int amqp_link_reopen_channel(amqp_link *l, rnr_error *err)
{
    return setup_channel(l, err);
}

void amqp_link_close(amqp_link *l, int graceful)
{
    if (!l->conn)
        return;
    if (graceful) {
        amqp_channel_close(l->conn, l->ch, AMQP_REPLY_SUCCESS);
        amqp_connection_close(l->conn, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(l->conn);
    l->conn = NULL;
}

int amqp_link_consume(amqp_link *l, char *ctag, size_t cap, rnr_error *err)
{
    amqp_basic_consume_ok_t *ok =
        amqp_basic_consume(l->conn, l->ch, amqp_cstring_bytes(l->cfg->queue), amqp_empty_bytes, 0,
                           0, 0, amqp_empty_table);
    int rc = amqp_link_reply_error(err, amqp_get_rpc_reply(l->conn), "AMQP basic.consume");
    if (!rc)
        snprintf(ctag, cap, "%.*s", (int)ok->consumer_tag.len,
                 (const char *)ok->consumer_tag.bytes);
    return rc;
}

int amqp_link_count(amqp_link *l, const char *name, int64_t *count, rnr_error *err)
{
    amqp_queue_declare_ok_t *ok =
        amqp_queue_declare(l->conn, l->ch, amqp_cstring_bytes(name), 1, 0, 0, 0, amqp_empty_table);
    char what[300];
    snprintf(what, sizeof what, "count queue '%s'", name);
    int rc = amqp_link_reply_error(err, amqp_get_rpc_reply(l->conn), what);
    if (!rc)
        *count = ok->message_count;
    return rc;
}

int amqp_link_publish(amqp_link *l, const char *queue, const char *body, size_t len,
                      const char *content_type, const char *trace_id, const char *reason,
                      int delivery_count, uint64_t *seq, rnr_error *err)
{
    amqp_table_entry_t h[6];
    int nh = 0;
    h[nh++] = entry_i64(AMQP_SEQ_HEADER, (int64_t)l->next_seq);
    if (trace_id)
        h[nh++] = entry_str("X-Amzn-Trace-Id", trace_id);
    if (reason) {
        /* an id `rnr queue replay` can name: the time in ms and a few
         * random bits, unique enough for one dead-letter queue */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        h[nh++] = entry_str("x-rnr-death-reason", reason);
        h[nh++] = entry_i64("x-rnr-delivery-count", delivery_count);
        h[nh++] = entry_i64(AMQP_DEAD_ID_HEADER, ms * 1024 + (int64_t)(l->next_seq % 1024));
        h[nh++] = entry_i64("x-rnr-dead-at", (int64_t)ts.tv_sec);
    }
    amqp_basic_properties_t p = {0};
    p._flags =
        AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_HEADERS_FLAG;
    p.content_type = amqp_cstring_bytes(content_type ? content_type : "application/json");
    p.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    p.headers = (amqp_table_t){nh, h};
    amqp_bytes_t b = {len, (void *)body};
    int st = amqp_basic_publish(l->conn, l->ch, amqp_empty_bytes, amqp_cstring_bytes(queue), 1, 0,
                                &p, b);
    if (st != AMQP_STATUS_OK)
        return amqp_link_status_error(err, st, "AMQP publish");
    *seq = l->next_seq++;
    return RNR_OK;
}

static const amqp_field_value_t *header(const amqp_basic_properties_t *p, const char *name)
{
    if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
        return NULL;
    size_t n = strlen(name);
    for (int i = 0; i < p->headers.num_entries; i++) {
        const amqp_table_entry_t *e = &p->headers.entries[i];
        if (e->key.len == n && !strncasecmp(e->key.bytes, name, n))
            return &e->value;
    }
    return NULL;
}

char *amqp_header_string(const amqp_basic_properties_t *p, const char *name)
{
    const amqp_field_value_t *v = header(p, name);
    if (!v || (v->kind != AMQP_FIELD_KIND_UTF8 && v->kind != AMQP_FIELD_KIND_BYTES))
        return NULL;
    return strndup(v->value.bytes.bytes, v->value.bytes.len);
}

int amqp_header_int(const amqp_basic_properties_t *p, const char *name, int64_t *out)
{
    const amqp_field_value_t *v = header(p, name);
    if (!v)
        return -1;
    switch (v->kind) {
    case AMQP_FIELD_KIND_I8:
        *out = v->value.i8;
        return 0;
    case AMQP_FIELD_KIND_U8:
        *out = v->value.u8;
        return 0;
    case AMQP_FIELD_KIND_I16:
        *out = v->value.i16;
        return 0;
    case AMQP_FIELD_KIND_U16:
        *out = v->value.u16;
        return 0;
    case AMQP_FIELD_KIND_I32:
        *out = v->value.i32;
        return 0;
    case AMQP_FIELD_KIND_U32:
        *out = v->value.u32;
        return 0;
    case AMQP_FIELD_KIND_I64:
        *out = v->value.i64;
        return 0;
    case AMQP_FIELD_KIND_U64:
        *out = (int64_t)v->value.u64;
        return 0;
    default:
        return -1;
    }
}
