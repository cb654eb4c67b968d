/* redis_cache.c - the dedup cache on Redis: GET, SET ... EX exactly as the
 * reference producer does it (key = product id, value = message JSON),
 * pipelined lookups, bounded connect and command timeouts, and one
 * reconnect per call after a connection error. */
#include "adapters/redis_cache.h"
#include "adapters/backends.h"

#include <ctype.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct rcache {
    char *host;
    int port;
    int db;
    char *user;
    char *password;
    int connect_timeout_ms;
    int timeout_ms;
    redisContext *c;
} rcache;

static const cache_ops redis_cache_ops;

static void rcache_drop(rcache *r)
{
    if (r->c)
        redisFree(r->c);
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

static int dup_range(char **dst, const char *s, size_t n)
{
    *dst = strndup(s, n);
    return *dst ? RNR_OK : RNR_ERR_NOMEM;
}

/* redis://[[user]:password@]host[:port][/db][?query] */
static int parse_url(rcache *r, const char *url, rnr_error *err)
{
    r->port = 6379;
    r->connect_timeout_ms = 2000;
    r->timeout_ms = 2000;
    if (!strncmp(url, "rediss://", 9))
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED,
                             "Redis URL: rediss:// (TLS) is not supported by hiredis 0.14");
    if (strncmp(url, "redis://", 8))
        return rnr_error_set(err, RNR_ERR_INVALID, "Redis URL must start with redis://");
    const char *a = url + 8;
    size_t alen = strcspn(a, "/?");
    const char *at = NULL;
    for (const char *p = a; p < a + alen; p++)
        if (*p == '@')
            at = p;
    if (at) {
        const char *colon = memchr(a, ':', (size_t)(at - a));
        if (!colon)
            return rnr_error_set(err, RNR_ERR_INVALID, "Redis URL: userinfo needs ':password'");
        if ((colon > a && dup_range(&r->user, a, (size_t)(colon - a))) ||
            dup_range(&r->password, colon + 1, (size_t)(at - colon - 1)))
            return RNR_ERR_NOMEM;
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

static int reply_error(rcache *r, redisReply *rep, const char *what, rnr_error *err)
{
    static const char *const transient[] = {"LOADING", "BUSY", "READONLY", "OOM",
                                            "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"};
    int code = strncasecmp(rep->str, "NOAUTH", 6) && strncasecmp(rep->str, "WRONGPASS", 9)
                   ? RNR_ERR_INVALID : RNR_ERR_AUTH;
    for (size_t i = 0; i < sizeof transient / sizeof *transient; i++)
        if (!strncmp(rep->str, transient[i], strlen(transient[i])))
            code = RNR_ERR_TRANSIENT;
    return rnr_error_set(err, code, "Redis %s:%d %s: %s", r->host, r->port, what, rep->str);
}

/* One command on a freshly made connection (AUTH, SELECT). */
static int setup_command(rcache *r, int argc, const char **argv, const char *what, rnr_error *err)
{
    redisReply *rep = redisCommandArgv(r->c, argc, argv, NULL);
    int rc = RNR_OK;
    if (!rep)
        rc = rnr_error_set(err, RNR_ERR_TRANSIENT, "Redis %s:%d %s: %s", r->host, r->port, what,
                           r->c->errstr);
    else if (rep->type == REDIS_REPLY_ERROR)
        rc = reply_error(r, rep, what, err);
    freeReplyObject(rep);
    return rc;
}

static int rcache_connect(rcache *r, rnr_error *err)
{
    struct timeval ct = {r->connect_timeout_ms / 1000, r->connect_timeout_ms % 1000 * 1000};
    struct timeval t = {r->timeout_ms / 1000, r->timeout_ms % 1000 * 1000};
    r->c = redisConnectWithTimeout(r->host, r->port, ct);
    if (!r->c)
        return rnr_error_set(err, RNR_ERR_NOMEM, "cannot allocate a Redis context");
    if (r->c->err) {
        int rc = rnr_error_set(err, RNR_ERR_TRANSIENT, "Redis at %s:%d is unreachable: %s",
                               r->host, r->port, r->c->errstr);
        rcache_drop(r);
        return rc;
    }
    redisSetTimeout(r->c, t);
    int rc = RNR_OK;
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
    if (rc)
        rcache_drop(r);
    return rc;
}

/* Send argv-style commands pipelined and collect their replies; on a
 * connection error reconnect and resend the whole batch once. */
static int run_batch(rcache *r, size_t n, int argc, const char *const *argvs, redisReply **reps,
                     const char *what, rnr_error *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!r->c) {
            int rc = rcache_connect(r, err);
            if (rc)
                return rc;
        }
        size_t got = 0;
        for (size_t i = 0; i < n; i++)
            if (redisAppendCommandArgv(r->c, argc, (const char **)(argvs + i * (size_t)argc),
                                       NULL) != REDIS_OK)
                goto broken;
        for (; got < n; got++)
            if (redisGetReply(r->c, (void **)&reps[got]) != REDIS_OK)
                goto broken;
        return RNR_OK;
    broken:
        for (size_t i = 0; i < got; i++) {
            freeReplyObject(reps[i]);
            reps[i] = NULL;
        }
        rnr_error_set(err, RNR_ERR_TRANSIENT, "Redis %s:%d %s failed: %s", r->host, r->port, what,
                      r->c->errstr[0] ? r->c->errstr : "connection lost");
        rcache_drop(r);
    }
    return RNR_ERR_TRANSIENT;
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

static int rc_get_many(void *self, const char *const *keys, size_t n, char **values,
                       rnr_error *err)
{
    rcache *r = self;
    for (size_t i = 0; i < n; i++)
        values[i] = NULL;
    if (n == 0)
        return RNR_OK;
    const char **argv = calloc(2 * n, sizeof *argv);
    redisReply **reps = calloc(n, sizeof *reps);
    int rc = argv && reps ? RNR_OK : rnr_error_set(err, RNR_ERR_NOMEM, "out of memory (GET x%zu)", n);
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
    int rc = argv && reps ? RNR_OK : rnr_error_set(err, RNR_ERR_NOMEM, "out of memory (SET x%zu)", n);
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

int redis_url_from_env(char **url, rnr_error *err)
{
    *url = NULL;
    const char *host = getenv("REDIS_HOST");
    const char *port = getenv("REDIS_PORT");
    if (!host || !*host)
        return rnr_error_set(err, RNR_ERR_CONFIG, "REDIS_HOST is not set");
    long p = 6379;
    if (port && *port && parse_num(port, strlen(port), 1, 65535, &p))
        return rnr_error_set(err, RNR_ERR_CONFIG, "REDIS_PORT=%s is not a port number", port);
    int v6 = strchr(host, ':') != NULL;
    size_t n = strlen(host) + 32;
    *url = malloc(n);
    if (!*url)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory building the Redis URL");
    snprintf(*url, n, v6 ? "redis://[%s]:%ld/0" : "redis://%s:%ld/0", host, p);
    return RNR_OK;
}
