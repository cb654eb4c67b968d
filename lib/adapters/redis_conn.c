/* redis_conn.c - a Redis connection over TCP or TLS: socket, deadlines,
 * OpenSSL session and the RESP byte stream (hiredis formats commands and
 * parses replies; this file only moves the bytes).
 *
 * The socket is non-blocking and every wait goes through poll() with a
 * deadline, for TLS as for plain TCP, so no call can hang past its
 * timeout. OpenSSL reads and writes through a small BIO of our own that
 * uses send(MSG_NOSIGNAL): a server that drops the connection must give an
 * error, not a SIGPIPE that kills the process. */
#include "adapters/redis_conn.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct redis_conn {
    int fd;
    int timeout_ms;
    int broken;
    SSL_CTX *ctx;
    SSL *ssl;
    BIO_METHOD *bio_meth;
    redisReader *reader;
    char *out; /* formatted commands not yet sent */
    size_t out_len, out_cap;
};

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait until fd is ready for ev or the deadline passes: 1 ready, 0 timed
 * out, -1 poll failed (errno). */
static int wait_fd(int fd, short ev, long long deadline)
{
    struct pollfd p = {.fd = fd, .events = ev};
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        int r = poll(&p, 1, left > 600000 ? 600000 : (int)left);
        if (r < 0 && errno == EINTR)
            continue; /* the deadline still bounds the loop */
        return r > 0 ? 1 : r;
    }
}

/* --- the BIO OpenSSL writes through ------------------------------------ */

static int sock_bio_write(BIO *b, const char *buf, int len)
{
    redis_conn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = send(c->fd, buf, (size_t)len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

static int sock_bio_read(BIO *b, char *buf, int len)
{
    redis_conn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = recv(c->fd, buf, (size_t)len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)n;
}

static long sock_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH; /* nothing is buffered here */
}

static int sock_bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* --- errors ------------------------------------------------------------- */

/* The one-line reason a TLS call that returned ret failed. */
static int tls_error(redis_conn *c, int ret, const char *what, rnr_error *err)
{
    int e = SSL_get_error(c->ssl, ret);
    long v = SSL_get_verify_result(c->ssl);
    if (v != X509_V_OK)
        return rnr_error_set(err, RNR_ERR_CONFIG, "certificate verify failed: %s",
                             X509_verify_cert_error_string(v));
    if (e == SSL_ERROR_SSL) {
        char buf[256];
        ERR_error_string_n(ERR_peek_last_error(), buf, sizeof buf);
        return rnr_error_set(err, RNR_ERR_CONFIG, "TLS %s failed: %s", what, buf);
    }
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0))
        return rnr_error_set(err, RNR_ERR_TRANSIENT, "connection closed by the server (TLS %s)",
                             what);
    return rnr_error_set(err, RNR_ERR_TRANSIENT, "TLS %s: %s", what, strerror(errno));
}

/* --- connect ------------------------------------------------------------- */

static int tcp_connect_one(const struct addrinfo *ai, long long deadline, int *fd_out)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -1;
    int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
        int w = wait_fd(fd, POLLOUT, deadline);
        int soerr = 0;
        socklen_t l = sizeof soerr;
        if (w == 0)
            soerr = ETIMEDOUT;
        else if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l) != 0)
            soerr = errno;
        r = soerr ? -1 : 0;
        errno = soerr;
    }
    if (r != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    int one = 1; /* commands are small and latency is what counts */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *fd_out = fd;
    return 0;
}

/* Try each address of host:port until one connects or the deadline passes. */
static int tcp_connect(redis_conn *c, const redis_conn_opts *o, long long deadline, rnr_error *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    char port[12];
    snprintf(port, sizeof port, "%d", o->port);
    int g = getaddrinfo(o->host, port, &hints, &res);
    if (g != 0)
        return rnr_error_set(err, RNR_ERR_TRANSIENT, "cannot resolve host '%s': %s", o->host,
                             gai_strerror(g));
    int saved = ENOENT;
    for (const struct addrinfo *ai = res; ai && now_ms() < deadline; ai = ai->ai_next) {
        if (tcp_connect_one(ai, deadline, &c->fd) == 0) {
            freeaddrinfo(res);
            return RNR_OK;
        }
        saved = errno;
    }
    freeaddrinfo(res);
    if (saved == ETIMEDOUT || now_ms() >= deadline)
        return rnr_error_set(err, RNR_ERR_TIMEOUT, "connect timed out after %d ms",
                             o->connect_timeout_ms);
    return rnr_error_set(err, RNR_ERR_TRANSIENT, "connect: %s", strerror(saved));
}

static int host_is_ip(const char *host)
{
    unsigned char a[16];
    return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* The TLS session: verify the chain against cacert (or the system store)
 * and the certificate against host; SNI for names, not for addresses. */
static int tls_setup(redis_conn *c, const redis_conn_opts *o, rnr_error *err)
{
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx)
        return rnr_error_set(err, RNR_ERR_NOMEM, "cannot create a TLS context");
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    int ok = o->cacert ? SSL_CTX_load_verify_locations(c->ctx, o->cacert, NULL)
                       : SSL_CTX_set_default_verify_paths(c->ctx);
    if (!ok)
        return rnr_error_set(err, RNR_ERR_CONFIG, "cannot load CA certificates from %s",
                             o->cacert ? o->cacert : "the system store");
    c->ssl = SSL_new(c->ctx);
    c->bio_meth = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "rnr-redis-socket");
    if (!c->ssl || !c->bio_meth)
        return rnr_error_set(err, RNR_ERR_NOMEM, "cannot create a TLS session");
    BIO_meth_set_write(c->bio_meth, sock_bio_write);
    BIO_meth_set_read(c->bio_meth, sock_bio_read);
    BIO_meth_set_ctrl(c->bio_meth, sock_bio_ctrl);
    BIO_meth_set_create(c->bio_meth, sock_bio_create);
    BIO *b = BIO_new(c->bio_meth);
    if (!b)
        return rnr_error_set(err, RNR_ERR_NOMEM, "cannot create a TLS session");
    BIO_set_data(b, c);
    SSL_set_bio(c->ssl, b, b);
    if (host_is_ip(o->host))
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), o->host);
    else
        ok = SSL_set_tlsext_host_name(c->ssl, o->host) && SSL_set1_host(c->ssl, o->host);
    return ok ? RNR_OK : rnr_error_set(err, RNR_ERR_NOMEM, "cannot set the TLS host name");
}

static int tls_handshake(redis_conn *c, long long deadline, int timeout_ms, rnr_error *err)
{
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(c->ssl);
        if (r == 1)
            return RNR_OK;
        int e = SSL_get_error(c->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            return tls_error(c, r, "handshake", err);
        int w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
        if (w == 0)
            return rnr_error_set(err, RNR_ERR_TIMEOUT, "TLS handshake timed out after %d ms",
                                 timeout_ms);
        if (w < 0)
            return rnr_error_set(err, RNR_ERR_TRANSIENT, "TLS handshake: %s", strerror(errno));
    }
}

int redis_conn_open(const redis_conn_opts *o, redis_conn **out, rnr_error *err)
{
    assert(o && o->host && o->connect_timeout_ms > 0 && o->timeout_ms > 0);
    *out = NULL;
    redis_conn *c = calloc(1, sizeof *c);
    if (!c)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory for a Redis connection");
    c->fd = -1;
    c->timeout_ms = o->timeout_ms;
    c->reader = redisReaderCreate();
    if (!c->reader) {
        redis_conn_free(c);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory for a Redis reader");
    }
    long long deadline = now_ms() + o->connect_timeout_ms;
    int rc = tcp_connect(c, o, deadline, err);
    if (!rc && o->tls)
        rc = tls_setup(c, o, err);
    if (!rc && o->tls)
        rc = tls_handshake(c, deadline, o->connect_timeout_ms, err);
    if (rc) {
        c->broken = 1;
        redis_conn_free(c);
        return rc;
    }
    *out = c;
    return RNR_OK;
}

/* --- the byte stream ------------------------------------------------------ */

/* Move up to n bytes (send when writing, else receive), waiting at most
 * timeout_ms for the socket; *done = bytes moved (> 0 on success). */
static int io_step(redis_conn *c, int writing, char *buf, size_t n, size_t *done, rnr_error *err)
{
    long long deadline = now_ms() + c->timeout_ms;
    for (;;) {
        short ev;
        if (c->ssl) {
            ERR_clear_error();
            int r =
                writing ? SSL_write_ex(c->ssl, buf, n, done) : SSL_read_ex(c->ssl, buf, n, done);
            if (r == 1)
                return RNR_OK;
            int e = SSL_get_error(c->ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                return tls_error(c, r, writing ? "write" : "read", err);
            ev = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        } else {
            ssize_t r = writing ? send(c->fd, buf, n, MSG_NOSIGNAL) : recv(c->fd, buf, n, 0);
            if (r > 0) {
                *done = (size_t)r;
                return RNR_OK;
            }
            if (r == 0)
                return rnr_error_set(err, RNR_ERR_TRANSIENT, "connection closed by the server");
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return rnr_error_set(err, RNR_ERR_TRANSIENT, "%s", strerror(errno));
            ev = writing ? POLLOUT : POLLIN;
        }
        int w = wait_fd(c->fd, ev, deadline);
        if (w == 0)
            return rnr_error_set(err, RNR_ERR_TIMEOUT, "no %s within %d ms",
                                 writing ? "progress sending" : "reply", c->timeout_ms);
        if (w < 0)
            return rnr_error_set(err, RNR_ERR_TRANSIENT, "poll: %s", strerror(errno));
    }
}

int redis_conn_append(redis_conn *c, int argc, const char *const *argv, rnr_error *err)
{
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, (const char **)argv, NULL);
    if (len < 0)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory formatting a Redis command");
    if (c->out_len + (size_t)len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + (size_t)len)
            cap *= 2;
        char *p = realloc(c->out, cap);
        if (!p) {
            redisFreeCommand(cmd);
            return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory queueing Redis commands");
        }
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, cmd, (size_t)len);
    c->out_len += (size_t)len;
    redisFreeCommand(cmd);
    return RNR_OK;
}

static int flush_out(redis_conn *c, rnr_error *err)
{
    size_t off = 0;
    while (off < c->out_len) {
        size_t n = 0;
        int rc = io_step(c, 1, c->out + off, c->out_len - off, &n, err);
        if (rc)
            return rc;
        off += n;
    }
    c->out_len = 0;
    return RNR_OK;
}

int redis_conn_read(redis_conn *c, redisReply **reply, rnr_error *err)
{
    *reply = NULL;
    if (c->broken)
        return rnr_error_set(err, RNR_ERR_TRANSIENT, "connection already failed");
    int rc = flush_out(c, err);
    while (rc == RNR_OK) {
        void *r = NULL;
        if (redisReaderGetReply(c->reader, &r) != REDIS_OK) {
            rc = rnr_error_set(err, RNR_ERR_TRANSIENT, "protocol error: %s", c->reader->errstr);
        } else if (r) {
            *reply = r;
            return RNR_OK;
        } else {
            char buf[16384];
            size_t n = 0;
            rc = io_step(c, 0, buf, sizeof buf, &n, err);
            if (rc == RNR_OK && redisReaderFeed(c->reader, buf, n) != REDIS_OK)
                rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory reading a Redis reply");
        }
    }
    c->broken = 1;
    return rc;
}

void redis_conn_free(redis_conn *c)
{
    if (!c)
        return;
    if (c->ssl) {
        if (!c->broken) /* a polite close_notify; never waits */
            SSL_shutdown(c->ssl);
        SSL_free(c->ssl); /* frees the BIO too */
    }
    SSL_CTX_free(c->ctx);
    BIO_meth_free(c->bio_meth);
    if (c->fd >= 0)
        close(c->fd);
    if (c->reader)
        redisReaderFree(c->reader);
    free(c->out);
    free(c);
}
