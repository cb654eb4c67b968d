/* backends.c - the composition root: URL -> backend dispatch for every
 * port (ports/backends.h), the NWS source, fleet, HTTP listener and
 * invocation openers, and the URL helpers the adapters share. With
 * backends_env.c it is the only code that knows which adapters exist.
 *
 * Each port has a table of (scheme, opener); a backend written elsewhere
 * is plugged in by adding its row. */
#include "adapters/urlutil.h"
#include "adapters/backends.h"
#include "core/url.h"

#include "adapters/amqp_queue.h"
#include "adapters/aws_api.h"
#include "adapters/embedded.h"
#include "adapters/http_server.h"
#include "adapters/lambda_runtime.h"
#include "adapters/nws_client.h"
#include "adapters/redis_cache.h"
#include "adapters/file_store.h"
#include "adapters/s3_store.h"
#include "adapters/sqlite_cache.h"
#include "adapters/sqlite_pp_state.h"
#include "adapters/sqlite_queue.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef int (*queue_opener)(const char *url, const char *queue_name, rnr_queue **out,
                            rnr_error *err);
typedef int (*cache_opener)(const char *url, rnr_cache **out, rnr_error *err);
typedef int (*store_opener)(const char *url, rnr_store **out, rnr_error *err);
typedef int (*secrets_opener)(const char *url, rnr_secrets **out, rnr_error *err);
typedef int (*metrics_opener)(const char *url, rnr_metrics **out, rnr_error *err);

static const struct {
    const char *scheme;
    queue_opener open;
} queue_backends[] = {
    {"sqlite", sqlite_queue_open},
    {"amqp", amqp_queue_open},
    {"amqps", amqp_queue_open},
};

static const struct {
    const char *scheme;
    cache_opener open;
} cache_backends[] = {
    {"sqlite", sqlite_cache_open},
    {"redis", redis_cache_open},
    {"rediss", redis_cache_open},
};

static const struct {
    const char *scheme;
    store_opener open;
} store_backends[] = {
    {"file", file_store_open},
    {"s3", s3_store_open},
};

/* AWS backends take the region and endpoint from the AWS environment:
 * their URL is the scheme alone. */
static int aws_secrets_by_url(const char *url, rnr_secrets **out, rnr_error *err)
{
    (void)url;
    return aws_secrets_open(NULL, out, err);
}

static int aws_metrics_by_url(const char *url, rnr_metrics **out, rnr_error *err)
{
    (void)url;
    return aws_metrics_open(NULL, out, err);
}

static const struct {
    const char *scheme;
    secrets_opener open;
} secrets_backends[] = {
    {"env", embedded_secrets_open},
    {"file", embedded_secrets_open},
    {"aws", aws_secrets_by_url},
};

static const struct {
    const char *scheme;
    metrics_opener open;
} metrics_backends[] = {
    {"log", embedded_metrics_open},
    {"file", embedded_metrics_open},
    {"cloudwatch", aws_metrics_by_url},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The scheme of url (letters, digits, + - .) into buf; 0 when url has one. */
static int url_scheme(const char *url, char *buf, size_t n)
{
    size_t i = 0;
    if (!isalpha((unsigned char)url[0]))
        return -1;
    while (url[i] && url[i] != ':') {
        unsigned char c = (unsigned char)url[i];
        if (!isalnum(c) && c != '+' && c != '-' && c != '.')
            return -1;
        if (i + 1 >= n)
            return -1;
        buf[i] = (char)tolower(c);
        i++;
    }
    if (url[i] != ':')
        return -1;
    buf[i] = '\0';
    return 0;
}

/* Resolve url's scheme for a port; fills scheme or reports the error. */
static int backend_scheme(const char *url, const char *port, char *scheme, size_t n, rnr_error *err)
{
    char masked[256];
    if (!url || !*url)
        return rnr_error_set(err, RNR_ERR_CONFIG, "no %s backend URL given", port);
    if (url_scheme(url, scheme, n) != 0) {
        url_mask(url, masked, sizeof masked);
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "%s backend URL '%s' has no scheme (expected e.g. sqlite:///abs/path)",
                             port, masked);
    }
    return RNR_OK;
}

static int unsupported(const char *url, const char *scheme, const char *port, rnr_error *err)
{
    char masked[256];
    url_mask(url, masked, sizeof masked);
    return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "unsupported %s backend URL scheme '%s' in '%s'",
                         port, scheme, masked);
}

int backend_open_queue(const char *url, const char *queue_name, rnr_queue **out, rnr_error *err)
{
    char scheme[32];
    *out = NULL;
    int rc = backend_scheme(url, "queue", scheme, sizeof scheme, err);
    if (rc != RNR_OK)
        return rc;
    for (size_t i = 0; i < NELEM(queue_backends); i++)
        if (strcmp(scheme, queue_backends[i].scheme) == 0)
            return queue_backends[i].open(url, queue_name, out, err);
    return unsupported(url, scheme, "queue", err);
}

int backend_open_cache(const char *url, rnr_cache **out, rnr_error *err)
{
    char scheme[32];
    *out = NULL;
    int rc = backend_scheme(url, "cache", scheme, sizeof scheme, err);
    if (rc != RNR_OK)
        return rc;
    for (size_t i = 0; i < NELEM(cache_backends); i++)
        if (strcmp(scheme, cache_backends[i].scheme) == 0)
            return cache_backends[i].open(url, out, err);
    return unsupported(url, scheme, "cache", err);
}

int backend_open_store(const char *url, rnr_store **out, rnr_error *err)
{
    char scheme[32];
    *out = NULL;
    int rc = backend_scheme(url, "store", scheme, sizeof scheme, err);
    if (rc != RNR_OK)
        return rc;
    for (size_t i = 0; i < NELEM(store_backends); i++)
        if (strcmp(scheme, store_backends[i].scheme) == 0)
            return store_backends[i].open(url, out, err);
    return unsupported(url, scheme, "store", err);
}

int backend_open_pp_state(const char *state_dir, rnr_pp_state **out, rnr_error *err)
{
    char path[1100];
    int w = snprintf(path, sizeof path, "%s/postprocess.db", state_dir);
    if (w < 0 || (size_t)w >= sizeof path) {
        *out = NULL;
        return rnr_error_set(err, RNR_ERR_CONFIG, "state directory path too long: %s", state_dir);
    }
    return sqlite_pp_state_open(path, out, err);
}

int backend_open_secrets(const char *url, rnr_secrets **out, rnr_error *err)
{
    char scheme[32];
    *out = NULL;
    int rc = backend_scheme(url, "secrets", scheme, sizeof scheme, err);
    if (rc != RNR_OK)
        return rc;
    for (size_t i = 0; i < NELEM(secrets_backends); i++)
        if (strcmp(scheme, secrets_backends[i].scheme) == 0)
            return secrets_backends[i].open(url, out, err);
    return unsupported(url, scheme, "secrets", err);
}

int backend_open_metrics(const char *url, rnr_metrics **out, rnr_error *err)
{
    char scheme[32];
    *out = NULL;
    int rc = backend_scheme(url, "metrics", scheme, sizeof scheme, err);
    if (rc != RNR_OK)
        return rc;
    for (size_t i = 0; i < NELEM(metrics_backends); i++)
        if (strcmp(scheme, metrics_backends[i].scheme) == 0)
            return metrics_backends[i].open(url, out, err);
    return unsupported(url, scheme, "metrics", err);
}

int backend_open_fleet(const char *cluster, const char *service, rnr_fleet **out, rnr_error *err)
{
    *out = NULL;
    return ecs_fleet_open(cluster, service, NULL, out, err);
}

int backend_open_nws(const nws_source_opts *o, rnr_nws **out, rnr_error *err)
{
    return nws_source_http_open(o, out, err);
}

int backend_listen_http(const char *listen, http_handler fn, void *ud, rnr_listener **out,
                        rnr_error *err)
{
    return http_server_listen(listen, fn, ud, out, err);
}

int backend_open_invocations(const char *api, rnr_invocations **out, rnr_error *err)
{
    return lambda_runtime_open(api, out, err);
}

int backend_local_url_parse(const char *url, const char *scheme, backend_local_url *out,
                            rnr_error *err)
{
    char masked[256];
    memset(out, 0, sizeof *out);
    url_mask(url ? url : "", masked, sizeof masked);
    size_t sl = strlen(scheme);
    if (!url || strncasecmp(url, scheme, sl) != 0 || url[sl] != ':')
        return rnr_error_set(err, RNR_ERR_INVALID, "URL '%s' is not a %s: URL", masked, scheme);
    const char *p = url + sl + 1;
    if (strncmp(p, "//", 2) != 0)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "URL '%s' needs an absolute path: write %s:///abs/path", masked,
                             scheme);
    p += 2;
    size_t hostlen = strcspn(p, "/?#");
    if (hostlen && !(hostlen == 9 && strncmp(p, "localhost", 9) == 0))
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "URL '%s' names a host; only local paths are supported "
                             "(write %s:///abs/path)",
                             masked, scheme);
    p += hostlen;
    if (*p == '#')
        return rnr_error_set(err, RNR_ERR_INVALID, "URL '%s' has a fragment", masked);
    size_t pathlen = strcspn(p, "?#");
    if (pathlen == 0 || p[0] != '/' || (pathlen == 1))
        return rnr_error_set(err, RNR_ERR_INVALID, "URL '%s' has no path (write %s:///abs/path)",
                             masked, scheme);
    const char *q = p + pathlen;
    if (*q == '#' || strchr(q, '#'))
        return rnr_error_set(err, RNR_ERR_INVALID, "URL '%s' has a fragment", masked);
    out->path = url_percent_decode(p, pathlen);
    if (!out->path)
        return rnr_error_set(err, RNR_ERR_INVALID, "URL '%s' has a bad %%-escape in its path",
                             masked);
    out->query = strdup(*q == '?' ? q + 1 : "");
    if (!out->query) {
        backend_local_url_clear(out);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory parsing URL '%s'", masked);
    }
    return RNR_OK;
}

void backend_local_url_clear(backend_local_url *u)
{
    free(u->path);
    free(u->query);
    u->path = u->query = NULL;
}

int backend_query_check(const char *url, const char *query, const char *const *allowed,
                        rnr_error *err)
{
    const char *p = query;
    while (p && *p) {
        size_t len = strcspn(p, "&");
        size_t klen = strcspn(p, "=&");
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (strlen(allowed[i]) == klen && strncmp(allowed[i], p, klen) == 0)
                ok = 1;
        if (!ok && len > 0) {
            char masked[256];
            url_mask(url, masked, sizeof masked);
            return rnr_error_set(err, RNR_ERR_INVALID, "URL '%s' has unknown parameter '%.*s'",
                                 masked, (int)klen, p);
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return RNR_OK;
}

int backend_query_get(const char *query, const char *name, char *buf, size_t n)
{
    size_t nl = strlen(name);
    const char *p = query;
    int found = 0;
    while (p && *p) {
        size_t len = strcspn(p, "&");
        if (strncmp(p, name, nl) == 0 && (p[nl] == '=' || p + nl == p + len)) {
            const char *v = p[nl] == '=' ? p + nl + 1 : p + nl;
            size_t vl = (size_t)(p + len - v);
            if (vl + 1 > n)
                return -1;
            memcpy(buf, v, vl);
            buf[vl] = '\0';
            found = 1; /* the last occurrence wins */
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return found;
}

int backend_query_int(const char *url, const char *query, const char *name, long min, long max,
                      long *out, rnr_error *err)
{
    char v[32], masked[256];
    int r = backend_query_get(query, name, v, sizeof v);
    if (r == 0)
        return RNR_OK;
    char *end = NULL;
    errno = 0;
    long x = r > 0 ? strtol(v, &end, 10) : 0;
    if (r < 0 || !*v || *end || errno || x < min || x > max) {
        url_mask(url, masked, sizeof masked);
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "URL '%s': parameter %s must be an integer in %ld..%ld", masked, name,
                             min, max);
    }
    *out = x;
    return RNR_OK;
}
