/* aws_creds.c - the credential provider chain (environment, shared file
 * and profile, ECS container endpoint) with a mutex-guarded cache. */
#include "adapters/aws_creds.h"
#include "adapters/curlbuf.h"
#include "adapters/http.h"

#include "core/log.h"
#include "core/timeutil.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECS_DEFAULT_HOST "169.254.170.2"
#define CREDS_BODY_MAX (64 * 1024)

struct aws_creds {
    pthread_mutex_t mu;
    int is_static;
    int have;
    int margin_s;
    int resolves;
    aws_credentials cur;
};

void aws_credentials_wipe(aws_credentials *c)
{
    if (c)
        OPENSSL_cleanse(c, sizeof *c);
}

static int creds_alloc(aws_creds **out, rnr_error *err)
{
    aws_creds *c = calloc(1, sizeof *c);
    if (!c)
        return rnr_error_set(err, RNR_ERR_NOMEM, "aws credentials: out of memory");
    pthread_mutex_init(&c->mu, NULL);
    c->margin_s = 300;
    *out = c;
    return RNR_OK;
}

int aws_creds_new(aws_creds **out, rnr_error *err)
{
    return creds_alloc(out, err);
}

/* Copy src into a fixed field; -1 when it does not fit. */
static int put_field(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

static int fill_creds(aws_credentials *o, const char *ak, const char *sk, const char *tok,
                      const char *source, rnr_error *err)
{
    memset(o, 0, sizeof *o);
    if (!ak || !*ak || !sk || !*sk)
        return rnr_error_set(err, RNR_ERR_CONFIG,
                             "aws credentials from %s: access key id or "
                             "secret access key is empty",
                             source);
    if (put_field(o->access_key, sizeof o->access_key, ak) ||
        put_field(o->secret_key, sizeof o->secret_key, sk) ||
        put_field(o->session_token, sizeof o->session_token, tok ? tok : ""))
        return rnr_error_set(err, RNR_ERR_CONFIG, "aws credentials from %s: a value is too long",
                             source);
    for (const char *p = o->access_key; *p; p++)
        if (!isalnum((unsigned char)*p))
            return rnr_error_set(err, RNR_ERR_CONFIG,
                                 "aws credentials from %s: access key id "
                                 "has characters other than letters and digits",
                                 source);
    o->source = source;
    return RNR_OK;
}

int aws_creds_new_static(const char *access_key, const char *secret_key, const char *token,
                         aws_creds **out, rnr_error *err)
{
    aws_creds *c = NULL;
    int rc = creds_alloc(&c, err);
    if (rc != RNR_OK)
        return rc;
    rc = fill_creds(&c->cur, access_key, secret_key, token, "static", err);
    if (rc != RNR_OK) {
        aws_creds_free(c);
        return rc;
    }
    c->is_static = c->have = 1;
    *out = c;
    return RNR_OK;
}

/* ---- 1. environment ---- */

/* RNR_OK with *found set, or an error when the variables are half set. */
static int from_env(aws_credentials *o, int *found, rnr_error *err)
{
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    *found = 0;
    if ((!ak || !*ak) && (!sk || !*sk))
        return RNR_OK;
    if (!ak || !*ak || !sk || !*sk)
        return rnr_error_set(err, RNR_ERR_CONFIG,
                             "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                             "must be set together");
    *found = 1;
    return fill_creds(o, ak, sk, getenv("AWS_SESSION_TOKEN"), "environment", err);
}

/* ---- 2. shared credentials file ---- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static char *credentials_path(void)
{
    const char *f = getenv("AWS_SHARED_CREDENTIALS_FILE");
    const char *home = getenv("HOME");
    char buf[4096];
    if (f && *f) {
        if (f[0] == '~' && f[1] == '/' && home)
            snprintf(buf, sizeof buf, "%s%s", home, f + 1);
        else
            snprintf(buf, sizeof buf, "%s", f);
    } else if (home) {
        snprintf(buf, sizeof buf, "%s/.aws/credentials", home);
    } else {
        return NULL;
    }
    return strdup(buf);
}

typedef struct profile_keys {
    char ak[128], sk[128], tok[4096];
    int in_profile;
    int seen_profile;
} profile_keys;

static void profile_line(profile_keys *k, char *line, const char *profile)
{
    char *s = trim(line);
    if (*s == '#' || *s == ';' || !*s)
        return;
    if (*s == '[') {
        char *e = strchr(s, ']');
        if (e)
            *e = '\0';
        char *name = trim(s + 1);
        k->in_profile = strcmp(name, profile) == 0;
        k->seen_profile |= k->in_profile;
        return;
    }
    char *eq = strchr(s, '=');
    if (!k->in_profile || !eq)
        return;
    *eq = '\0';
    char *key = trim(s), *val = trim(eq + 1);
    if (strcasecmp(key, "aws_access_key_id") == 0)
        snprintf(k->ak, sizeof k->ak, "%s", val);
    else if (strcasecmp(key, "aws_secret_access_key") == 0)
        snprintf(k->sk, sizeof k->sk, "%s", val);
    else if (strcasecmp(key, "aws_session_token") == 0)
        snprintf(k->tok, sizeof k->tok, "%s", val);
}

int aws_creds_read_profile(FILE *f, const char *profile, aws_credentials *o, int *found, int *seen,
                           rnr_error *err)
{
    *found = *seen = 0;
    profile_keys *k = calloc(1, sizeof *k);
    char line[8192];
    if (!k)
        return rnr_error_set(err, RNR_ERR_NOMEM, "aws credentials: out of memory");
    for (int i = 0; i < 100000 && fgets(line, sizeof line, f); i++)
        profile_line(k, line, profile);
    int rc = RNR_OK;
    *seen = k->seen_profile;
    if (k->ak[0] && k->sk[0]) {
        *found = 1;
        rc = fill_creds(o, k->ak, k->sk, k->tok, "profile", err);
    }
    OPENSSL_cleanse(k, sizeof *k);
    OPENSSL_cleanse(line, sizeof line);
    free(k);
    return rc;
}

static int from_profile(aws_credentials *o, int *found, rnr_error *err)
{
    *found = 0;
    const char *env_profile = getenv("AWS_PROFILE");
    const char *profile = env_profile && *env_profile ? env_profile : "default";
    char *path = credentials_path();
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) {
        int rc = RNR_OK;
        if (env_profile && *env_profile)
            rc = rnr_error_set(err, RNR_ERR_CONFIG,
                               "AWS_PROFILE=%s but the credentials file %s "
                               "cannot be read",
                               profile, path ? path : "(no HOME)");
        free(path);
        return rc;
    }
    int seen = 0;
    int rc = aws_creds_read_profile(f, profile, o, found, &seen, err);
    if (rc != RNR_OK && *found)
        rnr_error_prefix(err, "%s [%s]", path, profile);
    else if (rc == RNR_OK && !*found && env_profile && *env_profile)
        rc = rnr_error_set(err, RNR_ERR_CONFIG, "profile %s %s in %s", profile,
                           seen ? "has no aws_access_key_id/aws_secret_access_key" : "not found",
                           path);
    fclose(f);
    free(path);
    return rc;
}

/* ---- 3. ECS container endpoint ---- */

static int host_allowed_plain_http(const char *host)
{
    static const char *const ok[] = {
        "127.0.0.1",     "localhost",      "[::1]",          "::1",
        "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]", "fd00:ec2::23"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(host, ok[i]) == 0)
            return 1;
    return strncmp(host, "127.", 4) == 0;
}

/* The endpoint URL; *found = 0 when neither variable is set. */
static int container_url(char **url, int *found, rnr_error *err)
{
    const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    *found = 0;
    if (rel && *rel) {
        const char *host = getenv("RNR_ECS_CREDENTIALS_HOST");
        if (!host || !*host)
            host = ECS_DEFAULT_HOST;
        size_t n = strlen(host) + strlen(rel) + 16;
        if (!(*url = malloc(n)))
            return rnr_error_set(err, RNR_ERR_NOMEM, "aws credentials: out of memory");
        snprintf(*url, n, "http://%s%s%s", host, rel[0] == '/' ? "" : "/", rel);
        *found = 1;
        return RNR_OK;
    }
    if (!full || !*full)
        return RNR_OK;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = RNR_OK;
    if (!u || curl_url_set(u, CURLUPART_URL, full, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        rc = rnr_error_set(err, RNR_ERR_CONFIG, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL");
    } else if (strcmp(scheme, "https") != 0 &&
               !(strcmp(scheme, "http") == 0 && host_allowed_plain_http(host))) {
        rc = rnr_error_set(err, RNR_ERR_CONFIG,
                           "AWS_CONTAINER_CREDENTIALS_FULL_URI: http is only "
                           "allowed to loopback or the ECS/EKS addresses (host %s)",
                           host);
    } else if (!(*url = strdup(full))) {
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "aws credentials: out of memory");
    } else {
        *found = 1;
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

/* The Authorization token, file first (as the SDKs); *tok = NULL if none. */
static int container_token(char **tok, rnr_error *err)
{
    const char *file = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *val = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    char buf[8192];
    *tok = NULL;
    if (file && *file) {
        FILE *f = fopen(file, "r");
        if (!f)
            return rnr_error_set(err, RNR_ERR_CONFIG,
                                 "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s "
                                 "cannot be read",
                                 file);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        val = trim(buf);
    }
    int rc = RNR_OK;
    if (val && *val && strpbrk(val, "\r\n"))
        rc = rnr_error_set(err, RNR_ERR_CONFIG,
                           "container authorization token contains a "
                           "line break");
    else if (val && *val && !(*tok = strdup(val)))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "aws credentials: out of memory");
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

int aws_creds_parse_container(const char *body, aws_credentials *o, rnr_error *err)
{
    json_error_t je;
    json_t *j = json_loads(body, 0, &je);
    if (!j)
        return rnr_error_set(err, RNR_ERR_PARSE, "container credentials: response is not JSON");
    const char *ak = json_string_value(json_object_get(j, "AccessKeyId"));
    const char *sk = json_string_value(json_object_get(j, "SecretAccessKey"));
    const char *tok = json_string_value(json_object_get(j, "Token"));
    const char *exp = json_string_value(json_object_get(j, "Expiration"));
    int rc = fill_creds(o, ak, sk, tok, "container", err);
    if (rc == RNR_OK && exp) {
        int64_t t;
        if (time_parse_iso(exp, &t) != 0)
            rc = rnr_error_set(err, RNR_ERR_PARSE,
                               "container credentials: Expiration %.40s is "
                               "not an ISO 8601 time",
                               exp);
        else
            o->expiration = t;
    }
    json_decref(j);
    return rc;
}

static int container_fetch_once(const char *url, const char *tok, aws_credentials *o,
                                rnr_error *err)
{
    CURL *h = curl_easy_init();
    if (!h)
        return rnr_error_set(err, RNR_ERR_NOMEM, "container credentials: curl init failed");
    curlbuf b = {.max = CREDS_BODY_MAX};
    struct curl_slist *hl = NULL;
    char auth[8300];
    if (tok) {
        snprintf(auth, sizeof auth, "Authorization: %s", tok);
        hl = curl_slist_append(hl, auth);
        OPENSSL_cleanse(auth, sizeof auth);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curlbuf_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    http_apply_ca(h);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    int rc;
    if (cc != CURLE_OK)
        rc = rnr_error_set(err, RNR_ERR_TRANSIENT, "container credentials endpoint: %s",
                           curl_easy_strerror(cc));
    else if (status != 200)
        rc = rnr_error_set(err, status >= 500 || status == 429 ? RNR_ERR_TRANSIENT : RNR_ERR_AUTH,
                           "container credentials endpoint answered HTTP %ld", status);
    else
        rc = aws_creds_parse_container(b.data ? b.data : "", o, err);
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    curlbuf_free(&b);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    return rc;
}

static int from_container(aws_credentials *o, int *found, rnr_error *err)
{
    char *url = NULL, *tok = NULL;
    int rc = container_url(&url, found, err);
    if (rc != RNR_OK || !*found)
        return rc;
    rc = container_token(&tok, err);
    for (int attempt = 0; rc == RNR_OK && attempt < 3; attempt++) {
        rc = container_fetch_once(url, tok, o, err);
        if (!rnr_code_is_transient(rc))
            break;
        if (attempt < 2) {
            rc = RNR_OK;
            time_sleep_ms(100LL << attempt);
        }
    }
    if (tok)
        OPENSSL_cleanse(tok, strlen(tok));
    free(tok);
    free(url);
    return rc;
}

/* ---- the chain ---- */

static int resolve(aws_credentials *o, rnr_error *err)
{
    int found = 0, rc;
    if ((rc = from_env(o, &found, err)) != RNR_OK || found)
        return rc;
    if ((rc = from_profile(o, &found, err)) != RNR_OK || found)
        return rc;
    if ((rc = from_container(o, &found, err)) != RNR_OK || found)
        return rc;
    return rnr_error_set(err, RNR_ERR_CONFIG,
                         "no AWS credentials: set AWS_ACCESS_KEY_ID and "
                         "AWS_SECRET_ACCESS_KEY, a credentials file profile, or run in ECS");
}

static int needs_refresh(const aws_creds *c, int64_t now)
{
    if (!c->have)
        return 1;
    return c->cur.expiration != 0 && now >= c->cur.expiration - c->margin_s;
}

int aws_creds_get(aws_creds *c, aws_credentials *out, rnr_error *err)
{
    int rc = RNR_OK;
    pthread_mutex_lock(&c->mu);
    int64_t now = time_now();
    if (!c->is_static && needs_refresh(c, now)) {
        aws_credentials *fresh = malloc(sizeof *fresh);
        if (!fresh) {
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "aws credentials: out of memory");
        } else {
            c->resolves++;
            rc = resolve(fresh, err);
            if (rc == RNR_OK) {
                c->cur = *fresh;
                c->have = 1;
            } else if (c->have && c->cur.expiration > now) {
                /* Still valid for a while: keep using them, try again next call. */
                log_warn("aws", "credential refresh failed, keeping the current ones: %s",
                         err ? err->msg : "");
                rnr_error_clear(err);
                rc = RNR_OK;
            }
            aws_credentials_wipe(fresh);
            free(fresh);
        }
    }
    if (rc == RNR_OK)
        *out = c->cur;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void aws_creds_set_refresh_margin(aws_creds *c, int seconds)
{
    pthread_mutex_lock(&c->mu);
    c->margin_s = seconds;
    pthread_mutex_unlock(&c->mu);
}

int aws_creds_resolve_count(aws_creds *c)
{
    pthread_mutex_lock(&c->mu);
    int n = c->resolves;
    pthread_mutex_unlock(&c->mu);
    return n;
}

void aws_creds_free(aws_creds *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->mu);
    aws_credentials_wipe(&c->cur);
    free(c);
}
