/* redis_url.c - building the Redis cache URL from the environment and
 * from a Secrets Manager value. Parsing the URL is redis_cache.c's; this
 * file only writes URLs, so the credentials from a secret reach the
 * adapter by the same path as a password typed into RNR_CACHE_URL. */
#include "adapters/redis_url.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int env_port(long *port, rnr_error *err)
{
    const char *v = getenv("REDIS_PORT");
    *port = 6379;
    if (!v || !*v)
        return RNR_OK;
    char *end = NULL;
    long p = strtol(v, &end, 10);
    if (*end || p < 1 || p > 65535)
        return rnr_error_set(err, RNR_ERR_CONFIG, "REDIS_PORT=%s is not a port number", v);
    *port = p;
    return RNR_OK;
}

static int env_tls(int *tls, rnr_error *err)
{
    const char *v = getenv("REDIS_TLS");
    *tls = 0;
    if (!v || !*v || !strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no"))
        return RNR_OK;
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes")) {
        *tls = 1;
        return RNR_OK;
    }
    return rnr_error_set(err, RNR_ERR_CONFIG, "REDIS_TLS=\"%s\": expected true or false", v);
}

int redis_url_from_env(char **url, rnr_error *err)
{
    *url = NULL;
    const char *host = getenv("REDIS_HOST");
    if (!host || !*host)
        return rnr_error_set(err, RNR_ERR_CONFIG, "REDIS_HOST is not set");
    long p;
    int tls;
    int rc = env_port(&p, err);
    if (!rc)
        rc = env_tls(&tls, err);
    if (rc)
        return rc;
    int v6 = strchr(host, ':') != NULL;
    size_t n = strlen(host) + 40;
    *url = malloc(n);
    if (!*url)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory building the Redis URL");
    snprintf(*url, n, v6 ? "%s://[%s]:%ld/0" : "%s://%s:%ld/0", tls ? "rediss" : "redis", host, p);
    return RNR_OK;
}

/* Length of the scheme + "://" when url is redis:// or rediss://, else 0. */
static size_t redis_prefix(const char *url)
{
    if (!strncmp(url, "redis://", 8))
        return 8;
    return strncmp(url, "rediss://", 9) ? 0 : 9;
}

int redis_url_wants_secret(const char *url)
{
    size_t pre = url ? redis_prefix(url) : 0;
    if (!pre)
        return 0;
    const char *pw = getenv("REDIS_PASSWORD");
    if (pw && *pw)
        return 0;
    const char *a = url + pre;
    size_t alen = strcspn(a, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (a[i] == '@')
            at = a + i;
    /* "user@host" has no password; "user:pw@host" and ":pw@host" have one */
    return !at || !memchr(a, ':', (size_t)(at - a)) || at[-1] == ':';
}

/* Append s percent-encoded (RFC 3986 unreserved characters stay). */
static size_t pct_encode(char *dst, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t j = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || strchr("-._~", *p)) {
            dst[j++] = (char)*p;
        } else {
            dst[j++] = '%';
            dst[j++] = hex[*p >> 4];
            dst[j++] = hex[*p & 15];
        }
    }
    return j;
}

/* The password (and user) of a secret value: plain text or JSON. */
static int secret_parse(const char *secret, char **user, char **password, rnr_error *err)
{
    *user = *password = NULL;
    const char *s = secret;
    while (isspace((unsigned char)*s))
        s++;
    if (*s != '{') {
        size_t n = strlen(s);
        while (n && isspace((unsigned char)s[n - 1]))
            n--; /* a token pasted with a newline */
        if (!n)
            return rnr_error_set(err, RNR_ERR_CONFIG, "the secret is empty");
        *password = strndup(s, n);
        return *password ? RNR_OK : RNR_ERR_NOMEM;
    }
    json_error_t je;
    json_t *root = json_loads(s, 0, &je);
    const char *p = json_string_value(json_object_get(root, "password"));
    const char *u = json_string_value(json_object_get(root, "username"));
    int rc = RNR_OK;
    if (!root)
        rc = rnr_error_set(err, RNR_ERR_CONFIG, "the secret is not valid JSON (line %d)", je.line);
    else if (!p || !*p)
        rc = rnr_error_set(err, RNR_ERR_CONFIG, "the secret's JSON has no \"password\" string");
    else if (!(*password = strdup(p)) || (u && *u && !(*user = strdup(u))))
        rc = RNR_ERR_NOMEM;
    json_decref(root);
    return rc;
}

int redis_url_add_secret(const char *url, const char *secret, char **out, rnr_error *err)
{
    *out = NULL;
    size_t pre = redis_prefix(url);
    if (!pre)
        return rnr_error_set(err, RNR_ERR_CONFIG, "the cache URL is not a redis:// URL");
    char *user = NULL, *pw = NULL;
    int rc = secret_parse(secret, &user, &pw, err);
    const char *host = url + pre, *at = NULL;
    for (size_t i = 0, n = strcspn(host, "/?#"); i < n; i++)
        if (host[i] == '@')
            at = host + i;
    /* "user@host": keep that user unless the secret names one */
    size_t url_user = at ? strcspn(host, ":@") : 0;
    if (at)
        host = at + 1;
    size_t n = strlen(url) + 3 * ((user ? strlen(user) : 0) + (pw ? strlen(pw) : 0)) + 4;
    if (!rc && !(*out = malloc(n)))
        rc = RNR_ERR_NOMEM;
    if (!rc) {
        size_t j = pre;
        memcpy(*out, url, pre);
        if (user)
            j += pct_encode(*out + j, user);
        else
            memcpy(*out + j, url + pre, url_user), j += url_user;
        (*out)[j++] = ':';
        j += pct_encode(*out + j, pw);
        (*out)[j++] = '@';
        strcpy(*out + j, host);
    }
    if (rc == RNR_ERR_NOMEM)
        rnr_error_set(err, rc, "out of memory reading the Redis secret");
    free(user);
    if (pw)
        memset(pw, 0, strlen(pw));
    free(pw);
    return rc;
}

/* The Redis AUTH token from the REDIS_SECRET_ARN secret, put into *url. */
static int url_add_arn_secret(secrets_open_fn open_secrets, const char *arn, char **url,
                              rnr_error *err)
{
    rnr_secrets *sec = NULL;
    char *value = NULL, *with = NULL;
    int rc = open_secrets(&sec, err);
    if (!rc) {
        rc = secrets_get(sec, arn, &value, err);
        secrets_free(sec);
    }
    if (!rc) {
        rc = redis_url_add_secret(*url, value, &with, err);
        memset(value, 0, strlen(value));
        free(value);
    }
    if (rc)
        return rnr_error_prefix(err, "REDIS_SECRET_ARN"), rc;
    free(*url);
    *url = with;
    return RNR_OK;
}

int redis_url_resolve_env(const char *given, secrets_open_fn open_secrets, char **url,
                          rnr_error *err)
{
    *url = NULL;
    const char *host = getenv("REDIS_HOST"), *arn = getenv("REDIS_SECRET_ARN");
    if ((!given || !*given) && (!host || !*host))
        return RNR_OK;
    char *u = given && *given ? strdup(given) : NULL;
    int rc = given && *given ? (u ? RNR_OK : RNR_ERR_NOMEM) : redis_url_from_env(&u, err);
    if (!rc && arn && *arn && redis_url_wants_secret(u))
        rc = url_add_arn_secret(open_secrets, arn, &u, err);
    if (rc && rc != RNR_ERR_NOMEM && !rnr_code_is_transient(rc)) {
        rc = RNR_ERR_CONFIG; /* a secret that cannot be fetched right now stays transient */
        if (err)
            err->code = rc;
    }
    if (rc) {
        free(u);
        return rc;
    }
    *url = u;
    return RNR_OK;
}
