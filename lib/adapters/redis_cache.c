/* redis_cache.c - the dedup cache on Redis: GET, SET ... EX exactly as the
 * reference producer does it (key = product id, value = message JSON),
 * pipelined lookups, bounded connect and command timeouts, and one
 * reconnect per call after a connection error. The connection itself
 * (TCP or TLS) is redis_conn.c's; this file owns the URL, AUTH/SELECT and
 * the cache operations. */
#include "adapters/redis_cache.h"
#include "adapters/backends.h"
#include "adapters/redis_conn.h"
#include "adapters/urlutil.h"

#include <ctype.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct rcache {
    char *host;
    int port;
    int db;
    int tls;
    char *user;
    char *password;
    char *cacert; /* RNR_REDIS_CACERT, or NULL for the system store */
    int connect_timeout_ms;
    int timeout_ms;
    char label[320]; /* "rediss://host:port" for messages, never a password */
    redis_conn *c;
} rcache;

static const cache_ops redis_cache_ops;

static void rcache_drop(rcache *r)
{
    redis_conn_free(r->c);
    r->c = NULL;
}

static int parse_num(const char *s, size_t n, long lo, long hi, long *out)
{
    char buf[24];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    long v = strtol(buf, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_query(rcache *r, const char *q, const char *url, rnr_error *err)
{
    static const char *const params[] = {"connect_timeout", "timeout", NULL};
    long ct = r->connect_timeout_ms, t = r->timeout_ms;
    int rc = backend_query_check(url, q, params, err);
    if (rc == RNR_OK)
        rc = backend_query_int(url, q, "connect_timeout", 1, 600000, &ct, err);
    if (rc == RNR_OK)
        rc = backend_query_int(url, q, "timeout", 1, 600000, &t, err);
    r->connect_timeout_ms = (int)ct;
    r->timeout_ms = (int)t;
    return rc;
}

static int dup_decoded(char **dst, const char *s, size_t n, const char *what, rnr_error *err)
{
    *dst = url_percent_decode(s, n);
    if (!*dst)
        return rnr_error_set(err, RNR_ERR_INVALID, "Redis URL: bad %%-escape in the %s", what);
    return RNR_OK;
}

static int dup_range(char **dst, const char *s, size_t n)
{
    *dst = strndup(s, n);
    return *dst ? RNR_OK : RNR_ERR_NOMEM;
}

/* user:password@ (percent-decoded) at a..at. */
static int parse_userinfo(rcache *r, const char *a, const char *at, rnr_error *err)
{
    const char *colon = memchr(a, ':', (size_t)(at - a));
    if (!colon)
        return rnr_error_set(err, RNR_ERR_INVALID, "Redis URL: userinfo needs ':password'");
    int rc = colon > a ? dup_decoded(&r->user, a, (size_t)(colon - a), "user name", err) : RNR_OK;
    if (!rc)
        rc = dup_decoded(&r->password, colon + 1, (size_t)(at - colon - 1), "password", err);
    return rc;
}

/* redis[s]://[[user]:password@]host[:port][/db][?query] */
static int parse_url(rcache *r, const char *url, rnr_error *err)
{
    r->port = 6379;
    r->connect_timeout_ms = 2000;
    r->timeout_ms = 2000;
    r->tls = !strncmp(url, "rediss://", 9);
    if (!r->tls && strncmp(url, "redis://", 8))
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "Redis URL must start with redis:// or rediss://");
    const char *a = url + (r->tls ? 9 : 8);
    size_t alen = strcspn(a, "/?");
    const char *at = NULL;
    for (const char *p = a; p < a + alen; p++)
        if (*p == '@')
            at = p;
    if (at) {
        int rc = parse_userinfo(r, a, at, err);
        if (rc)
            return rc;
        alen -= (size_t)(at + 1 - a);
        a = at + 1;
    }
    const char *hend = a + alen, *pc = NULL;
    if (*a == '[') { /* [v6]:port */
        const char *rb = memchr(a, ']', alen);
        if (!rb)
            return rnr_error_set(err, RNR_ERR_INVALID, "Redis URL: unterminated [host]");
        if (dup_range(&r->host, a + 1, (size_t)(rb - a - 1)))
            return RNR_ERR_NOMEM;
        pc = rb + 1 < hend && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        pc = memchr(a, ':', alen);
        if (dup_range(&r->host, a, (size_t)((pc ? pc : hend) - a)))
            return RNR_ERR_NOMEM;
    }
    long v;
    if (!*r->host)
        return rnr_error_set(err, RNR_ERR_INVALID, "Redis URL has no host");
    if (pc && parse_num(pc + 1, (size_t)(hend - pc - 1), 1, 65535, &v))
        return rnr_error_set(err, RNR_ERR_INVALID, "Redis URL: bad port '%.*s'",
                             (int)(hend - pc - 1), pc + 1);
    if (pc)
        r->port = (int)v;
    const char *rest = hend;
    if (*rest == '/') {
        size_t n = strcspn(rest + 1, "?");
        if (n && parse_num(rest + 1, n, 0, 1000000, &v))
            return rnr_error_set(err, RNR_ERR_INVALID, "Redis URL: bad database '%.*s'", (int)n,
                                 rest + 1);
        r->db = n ? (int)v : 0;
        rest += 1 + n;
    }
    return *rest == '?' ? parse_query(r, rest + 1, url, err) : RNR_OK;
}

/* What the URL leaves open, from the environment: REDIS_PASSWORD (and
 * REDIS_USERNAME) when it has no password, RNR_REDIS_CACERT for TLS. */
static int fill_from_env(rcache *r, rnr_error *err)
{
    const char *pw = getenv("REDIS_PASSWORD"), *user = getenv("REDIS_USERNAME");
    if (!r->password && pw && *pw) {
        if (dup_range(&r->password, pw, strlen(pw)) ||
            (!r->user && user && *user && dup_range(&r->user, user, strlen(user))))
            return RNR_ERR_NOMEM;
    }
    const char *ca = getenv("RNR_REDIS_CACERT");
    if (r->tls && ca && *ca) {
        if (access(ca, R_OK))
            return rnr_error_set(err, RNR_ERR_CONFIG, "RNR_REDIS_CACERT=%s is not readable", ca);
        if (dup_range(&r->cacert, ca, strlen(ca)))
            return RNR_ERR_NOMEM;
    }
    int v6 = strchr(r->host, ':') != NULL;
    snprintf(r->label, sizeof r->label, v6 ? "%s://[%s]:%d" : "%s://%s:%d",
             r->tls ? "rediss" : "redis", r->host, r->port);
    return RNR_OK;
}

static int reply_error(rcache *r, redisReply *rep, const char *what, rnr_error *err)
{
    static const char *const transient[] = {"LOADING",    "BUSY",     "READONLY",   "OOM",
                                            "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"};
    int code = strncasecmp(rep->str, "NOAUTH", 6) && strncasecmp(rep->str, "WRONGPASS", 9)
                   ? RNR_ERR_INVALID
                   : RNR_ERR_AUTH;
    for (size_t i = 0; i < sizeof transient / sizeof *transient; i++)
        if (!strncmp(rep->str, transient[i], strlen(transient[i])))
            code = RNR_ERR_TRANSIENT;
    return rnr_error_set(err, code, "Redis %s %s: %s", r->label, what, rep->str);
}

/* One command on a freshly made connection (AUTH, SELECT, PING). */
static int setup_command(rcache *r, int argc, const char **argv, const char *what, rnr_error *err)
{
    redisReply *rep = NULL;
    int rc = redis_conn_append(r->c, argc, argv, err);
    if (!rc)
        rc = redis_conn_read(r->c, &rep, err);
    if (rc)
        rnr_error_prefix(err, "Redis %s %s", r->label, what);
    else if (rep->type == REDIS_REPLY_ERROR)
        rc = reply_error(r, rep, what, err);
    if (rep)
        freeReplyObject(rep);
    return rc;
}

/* After a failed connect: the message says where, and for a certificate
 * problem which CA bundle was used. */
static int connect_error(rcache *r, int rc, rnr_error *err)
{
    if (!err)
        return rc;
    char detail[sizeof err->msg];
    snprintf(detail, sizeof detail, "%s", err->msg);
    if (rc == RNR_ERR_CONFIG && r->tls)
        return rnr_error_set(err, rc, "Redis at %s: %s (CA: %s%s)", r->label, detail,
                             r->cacert ? "RNR_REDIS_CACERT=" : "the system store",
                             r->cacert ? r->cacert : "; set RNR_REDIS_CACERT for a private CA");
    return rnr_error_set(err, rc, "Redis at %s is unreachable: %s", r->label, detail);
}

static int rcache_connect(rcache *r, rnr_error *err)
{
    redis_conn_opts o = {.host = r->host,
                         .port = r->port,
                         .tls = r->tls,
                         .cacert = r->cacert,
                         .connect_timeout_ms = r->connect_timeout_ms,
                         .timeout_ms = r->timeout_ms};
    int rc = redis_conn_open(&o, &r->c, err);
    if (rc)
        return connect_error(r, rc, err);
    if (r->password) {
        const char *av[] = {"AUTH", r->user ? r->user : r->password, r->password};
        rc = setup_command(r, r->user ? 3 : 2, av, "AUTH", err);
    }
    if (!rc && r->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", r->db);
        const char *av[] = {"SELECT", db};
        rc = setup_command(r, 2, av, "SELECT", err);
    }
    if (!rc && !r->password && !r->db) {
        /* so that a server wanting AUTH is caught here, at open, as NOAUTH */
        const char *av[] = {"PING"};
        rc = setup_command(r, 1, av, "PING", err);
    }
    if (rc)
        rcache_drop(r);
    return rc;
}

/* Send argv-style commands pipelined and collect their replies; on a
 * connection error reconnect and resend the whole batch once. */
static int run_batch(rcache *r, size_t n, int argc, const char *const *argvs, redisReply **reps,
                     const char *what, rnr_error *err)
{
    int rc = RNR_ERR_TRANSIENT;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!r->c) {
            rc = rcache_connect(r, err);
            if (rc)
                return rc;
        }
        size_t got = 0;
        rc = RNR_OK;
        for (size_t i = 0; !rc && i < n; i++)
            rc = redis_conn_append(r->c, argc, argvs + i * (size_t)argc, err);
        for (; !rc && got < n; got++)
            rc = redis_conn_read(r->c, &reps[got], err);
        if (!rc)
            return RNR_OK;
        for (size_t i = 0; i < got; i++) {
            if (reps[i])
                freeReplyObject(reps[i]);
            reps[i] = NULL;
        }
        rnr_error_prefix(err, "Redis %s %s failed", r->label, what);
        rcache_drop(r);
        if (rc == RNR_ERR_NOMEM)
            return rc;
    }
    return rc;
}

static int value_of(rcache *r, redisReply *rep, char **value, rnr_error *err)
{
    *value = NULL;
    if (rep->type == REDIS_REPLY_NIL)
        return RNR_OK;
    if (rep->type == REDIS_REPLY_ERROR)
        return reply_error(r, rep, "GET", err);
    if (rep->type != REDIS_REPLY_STRING)
        return rnr_error_set(err, RNR_ERR_INVALID, "Redis GET: unexpected reply type %d",
                             rep->type);
    *value = malloc(rep->len + 1);
    if (!*value)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory copying a cached value");
    memcpy(*value, rep->str, rep->len);
    (*value)[rep->len] = '\0';
    return RNR_OK;
}

static int rc_get_many(void *self, const char *const *keys, size_t n, char **values, rnr_error *err)
{
    rcache *r = self;
    for (size_t i = 0; i < n; i++)
        values[i] = NULL;
    if (n == 0)
        return RNR_OK;
    const char **argv = calloc(2 * n, sizeof *argv);
    redisReply **reps = calloc(n, sizeof *reps);
    int rc =
        argv && reps ? RNR_OK : rnr_error_set(err, RNR_ERR_NOMEM, "out of memory (GET x%zu)", n);
    for (size_t i = 0; !rc && i < n; i++) {
        argv[2 * i] = "GET";
        argv[2 * i + 1] = keys[i];
    }
    if (!rc)
        rc = run_batch(r, n, 2, argv, reps, "GET", err);
    for (size_t i = 0; !rc && i < n; i++)
        rc = value_of(r, reps[i], &values[i], err);
    for (size_t i = 0; reps && i < n; i++)
        freeReplyObject(reps[i]);
    if (rc)
        for (size_t i = 0; i < n; i++) {
            free(values[i]);
            values[i] = NULL;
        }
    free(argv);
    free(reps);
    return rc;
}

static int rc_get(void *self, const char *key, char **value, rnr_error *err)
{
    return rc_get_many(self, &key, 1, value, err);
}

static int set_batch(rcache *r, const char *const *keys, const char *const *values, size_t n,
                     int64_t ttl_s, rnr_error *err)
{
    if (n == 0)
        return RNR_OK;
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%" PRId64, ttl_s);
    int argc = ttl_s > 0 ? 5 : 3;
    const char **argv = calloc((size_t)argc * n, sizeof *argv);
    redisReply **reps = calloc(n, sizeof *reps);
    int rc =
        argv && reps ? RNR_OK : rnr_error_set(err, RNR_ERR_NOMEM, "out of memory (SET x%zu)", n);
    for (size_t i = 0; !rc && i < n; i++) {
        const char **a = argv + i * (size_t)argc;
        a[0] = "SET", a[1] = keys[i], a[2] = values[i];
        if (argc == 5)
            a[3] = "EX", a[4] = ttl;
    }
    if (!rc)
        rc = run_batch(r, n, argc, argv, reps, "SET", err);
    for (size_t i = 0; !rc && i < n; i++)
        if (reps[i]->type == REDIS_REPLY_ERROR)
            rc = reply_error(r, reps[i], "SET", err);
    for (size_t i = 0; reps && i < n; i++)
        freeReplyObject(reps[i]);
    free(argv);
    free(reps);
    return rc;
}

static int rc_set(void *self, const char *key, const char *value, int64_t ttl_s, rnr_error *err)
{
    return set_batch(self, &key, &value, 1, ttl_s, err);
}

static void rc_close(void *self)
{
    rcache *r = self;
    rcache_drop(r);
    free(r->host);
    free(r->user);
    free(r->cacert);
    if (r->password)
        memset(r->password, 0, strlen(r->password));
    free(r->password);
    free(r);
}

static int rc_set_many(void *self, const char *const *keys, const char *const *values, size_t n,
                       int64_t ttl_s, rnr_error *err)
{
    return set_batch(self, keys, values, n, ttl_s, err);
}

static const cache_ops redis_cache_ops = {
    .get = rc_get,
    .get_many = rc_get_many,
    .set = rc_set,
    .set_many = rc_set_many,
    .close = rc_close,
};

int redis_cache_open(const char *url, rnr_cache **out, rnr_error *err)
{
    *out = NULL;
    if (!url || !*url)
        return rnr_error_set(err, RNR_ERR_CONFIG, "no Redis URL given");
    rcache *r = calloc(1, sizeof *r);
    rnr_cache *h = calloc(1, sizeof *h);
    int rc = r && h ? parse_url(r, url, err) : RNR_ERR_NOMEM;
    if (rc == RNR_ERR_NOMEM)
        rnr_error_set(err, rc, "out of memory opening the Redis cache");
    if (!rc)
        rc = fill_from_env(r, err);
    if (rc == RNR_ERR_NOMEM)
        rnr_error_set(err, rc, "out of memory opening the Redis cache");
    if (!rc)
        rc = rcache_connect(r, err);
    if (rc) {
        if (r)
            rc_close(r);
        free(h);
        return rc;
    }
    h->ops = &redis_cache_ops;
    h->self = r;
    *out = h;
    return RNR_OK;
}
