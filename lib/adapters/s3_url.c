/* s3_url.c - S3 URLs, bucket names and keys: parsing "s3://" URLs, the
 * checks S3 puts on names, and the store URL and endpoint a deployment's
 * environment names (APP_BUCKET_NAME, AWS_ENDPOINT_URL_S3, ...). */
#include "adapters/s3_url.h"
#include "adapters/s3_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int utf8_ok(const unsigned char *s)
{
    while (*s) {
        int n = *s < 0x80             ? 0
                : (*s & 0xE0) == 0xC0 ? 1
                : (*s & 0xF0) == 0xE0 ? 2
                : (*s & 0xF8) == 0xF0 ? 3
                                      : -1;
        if (n < 0 || (n == 1 && *s < 0xC2))
            return 0;
        s++;
        for (int i = 0; i < n; i++, s++)
            if ((*s & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

int s3_path_check(const char *what, const char *key, int allow_empty, rnr_error *err)
{
    if (!key || (!*key && !allow_empty))
        return rnr_error_set(err, RNR_ERR_INVALID, "s3 %s is empty", what);
    if (strlen(key) > S3_KEY_MAX)
        return rnr_error_set(err, RNR_ERR_INVALID, "s3 %s is longer than %d bytes", what,
                             S3_KEY_MAX);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return rnr_error_set(err, RNR_ERR_INVALID, "s3 %s contains control character 0x%02x",
                                 what, *p);
    if (!utf8_ok((const unsigned char *)key))
        return rnr_error_set(err, RNR_ERR_INVALID, "s3 %s is not valid UTF-8", what);
    if (key[0] == '/')
        return rnr_error_set(err, RNR_ERR_INVALID, "s3 %s '%.200s' starts with '/'", what, key);
    for (const char *p = key; *p;) {
        size_t n = strcspn(p, "/");
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return rnr_error_set(err, RNR_ERR_INVALID, "s3 %s '%.200s' has a '.' or '..' segment",
                                 what, key);
        p += n + (p[n] == '/');
    }
    return RNR_OK;
}

int s3_key_check(const char *key, rnr_error *err)
{
    return s3_path_check("key", key, 0, err);
}

static int bucket_check(const char *b, rnr_error *err)
{
    const char *at = strrchr(b, '@');
    if (at) /* s3://user:password@bucket: never echo what precedes the '@' */
        return rnr_error_set(
            err, RNR_ERR_CONFIG,
            "s3 URL 's3://***@%.80s' carries credentials: give them through the AWS "
            "credential chain, not the URL",
            at + 1);
    size_t n = strlen(b);
    int ok = n >= 3 && n <= 63;
    for (const char *p = b; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.';
    if (!ok)
        return rnr_error_set(err, RNR_ERR_CONFIG,
                             "s3 bucket name '%.80s' is not valid (3-63 "
                             "lower-case letters, digits, '.', '-')",
                             b);
    return RNR_OK;
}

static int url_option(s3_url *u, const char *opt, size_t len, rnr_error *err)
{
    char buf[128];
    if (len >= sizeof buf)
        return rnr_error_set(err, RNR_ERR_CONFIG, "s3 URL option too long");
    memcpy(buf, opt, len);
    buf[len] = '\0';
    char *eq = strchr(buf, '=');
    const char *v = eq ? eq + 1 : "";
    if (eq)
        *eq = '\0';
    char *end;
    if (strcmp(buf, "path_style") == 0 && (!strcmp(v, "0") || !strcmp(v, "1"))) {
        u->path_style = v[0] == '1';
    } else if (strcmp(buf, "max_keys") == 0) {
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 1000)
            return rnr_error_set(err, RNR_ERR_CONFIG, "s3 URL: max_keys=%s is not 1..1000", v);
        u->max_keys = (int)n;
    } else if (strcmp(buf, "region") == 0 && *v && strlen(v) < sizeof u->region) {
        strcpy(u->region, v);
    } else {
        return rnr_error_set(err, RNR_ERR_CONFIG, "s3 URL: unknown or bad option '%s'", buf);
    }
    return RNR_OK;
}

int s3_url_parse(const char *url, s3_url *u, rnr_error *err)
{
    memset(u, 0, sizeof *u);
    u->path_style = -1;
    if (strncmp(url, "s3://", 5) != 0)
        return rnr_error_set(err, RNR_ERR_CONFIG, "'%.200s' is not an s3:// URL", url);
    const char *p = url + 5;
    size_t bl = strcspn(p, "/?");
    if (bl == 0 || bl >= sizeof u->bucket)
        return rnr_error_set(err, RNR_ERR_CONFIG, "s3 URL '%.200s' has no valid bucket", url);
    memcpy(u->bucket, p, bl);
    p += bl;
    int rc = bucket_check(u->bucket, err);
    if (rc != RNR_OK)
        return rc;
    while (*p == '/')
        p++;
    size_t pl = strcspn(p, "?");
    if (pl > S3_KEY_MAX)
        return rnr_error_set(err, RNR_ERR_CONFIG, "s3 URL prefix is too long");
    memcpy(u->prefix, p, pl);
    if (pl && u->prefix[pl - 1] != '/')
        u->prefix[pl] = '/';
    if (s3_path_check("prefix", u->prefix, 1, err) != RNR_OK) {
        if (err)
            err->code = RNR_ERR_CONFIG;
        return RNR_ERR_CONFIG;
    }
    p += pl;
    if (*p == '?')
        p++;
    while (*p) {
        size_t n = strcspn(p, "&");
        if (n && (rc = url_option(u, p, n, err)) != RNR_OK)
            return rc;
        p += n + (p[n] == '&');
    }
    return RNR_OK;
}

int s3_url_resolve_env(char **url, rnr_error *err)
{
    *url = NULL;
    const char *bucket = getenv("APP_BUCKET_NAME");
    if (!bucket || !*bucket)
        return RNR_OK;
    return s3_url_from_env(NULL, url, err);
}

int s3_url_from_env(const char *prefix_env, char **url, rnr_error *err)
{
    const char *bucket = getenv("APP_BUCKET_NAME");
    if (!bucket || !*bucket)
        return rnr_error_set(err, RNR_ERR_CONFIG, "APP_BUCKET_NAME is not set");
    int rc = bucket_check(bucket, err);
    if (rc != RNR_OK)
        return rnr_error_prefix(err, "APP_BUCKET_NAME");
    const char *prefix = prefix_env ? getenv(prefix_env) : NULL;
    prefix = prefix ? prefix : "";
    while (*prefix == '/')
        prefix++;
    if (strchr(prefix, '?'))
        return rnr_error_set(err, RNR_ERR_CONFIG, "%s must not contain '?'", prefix_env);
    if (s3_path_check("prefix", prefix, 1, err) != RNR_OK) {
        if (err)
            err->code = RNR_ERR_CONFIG;
        rnr_error_prefix(err, "%s", prefix_env);
        return RNR_ERR_CONFIG;
    }
    size_t n = strlen(bucket) + strlen(prefix) + 8;
    if (!(*url = malloc(n)))
        return rnr_error_set(err, RNR_ERR_NOMEM, "s3: out of memory");
    snprintf(*url, n, "s3://%s/%s", bucket, prefix);
    return RNR_OK;
}

const char *s3_env_endpoint(void)
{
    const char *ign = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (ign && strcasecmp(ign, "true") == 0)
        return NULL;
    static const char *const names[] = {"AWS_ENDPOINT_URL_S3", "S3_ENDPOINT_URL",
                                        "AWS_ENDPOINT_URL"};
    for (size_t i = 0; i < 3; i++) {
        const char *e = getenv(names[i]);
        if (e && *e)
            return e;
    }
    return NULL;
}
