/* http.c - libcurl client: shared connections, retries, rate limit, caps.
 *
 * Each request gets its own easy handle attached to the client's share
 * handle, so threads never share an easy handle but do share the
 * connection cache. Locks for the share handle are one mutex per curl
 * lock_data kind. The rate limiter is a GCRA token bucket: a theoretical
 * arrival time advanced by 1/rate per request under the client mutex;
 * the wait itself happens outside the lock. */
#include "adapters/http.h"
#include "core/url.h"
#include "adapters/curlbuf.h"

#include <assert.h>
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/envutil.h"
#include "core/log.h"
#include "core/timeutil.h"

#define SHARE_LOCKS 8

struct http_client {
    http_opts o;
    char *user_agent;
    CURLSH *share;
    pthread_mutex_t share_locks[SHARE_LOCKS];
    pthread_mutex_t mu; /* guards everything below */
    int64_t tat_us;     /* GCRA theoretical arrival time */
    uint64_t rng;
    http_stats stats;
};

/* What one attempt ended with, before the retry decision. */
typedef struct attempt {
    CURLcode cc;
    long status;
    long retry_after_s;
    long connects; /* new connections this transfer opened */
    char curl_msg[CURL_ERROR_SIZE];
} attempt;

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *u)
{
    (void)h;
    (void)a;
    http_client *c = u;
    pthread_mutex_lock(&c->share_locks[(unsigned)d % SHARE_LOCKS]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *u)
{
    (void)h;
    http_client *c = u;
    pthread_mutex_unlock(&c->share_locks[(unsigned)d % SHARE_LOCKS]);
}

static const char *const ca_fallbacks[] = {
    "/etc/pki/tls/certs/ca-bundle.crt",   /* Amazon Linux, RHEL */
    "/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu */
};

const char *http_ca_bundle(void)
{
    const char *env[] = {"SSL_CERT_FILE", "CURL_CA_BUNDLE"};
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
        const char *v = getenv(env[i]);
        if (v && *v)
            return v;
    }
    const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
    if (!vi->cainfo || access(vi->cainfo, R_OK) == 0)
        return NULL;
    for (size_t i = 0; i < sizeof ca_fallbacks / sizeof ca_fallbacks[0]; i++)
        if (access(ca_fallbacks[i], R_OK) == 0)
            return ca_fallbacks[i];
    return NULL;
}

void http_apply_ca(CURL *h)
{
    const char *ca = http_ca_bundle();
    if (ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
}

void http_opts_from_env(http_opts *o)
{
    memset(o, 0, sizeof *o);
    const char *ua = getenv("NWS_USER_AGENT");
    if (ua && *ua)
        o->user_agent = ua;
    /* A bad value keeps the default: this void call has no error path, so
     * the problem is logged instead. */
    static const struct {
        const char *name;
        double min, max;
    } vars[] = {{"RNR_HTTP_TIMEOUT_MS", 1, 3600000},
                {"RNR_HTTP_CONNECT_TIMEOUT_MS", 1, 600000},
                {"RNR_HTTP_ATTEMPTS", 1, 20},
                {"RNR_HTTP_RATE", 0, 100000}};
    double v[4];
    for (int i = 0; i < 4; i++) {
        rnr_error e;
        if (env_number(vars[i].name, 0, vars[i].min, vars[i].max, &v[i], &e) != RNR_OK) {
            log_warn("http", "%s; using the default", e.msg);
            v[i] = 0;
        }
    }
    o->timeout_ms = (long)v[0];
    o->connect_timeout_ms = (long)v[1];
    o->max_attempts = (int)v[2];
    /* RNR_HTTP_RATE=0 lifts the client-side limit (a mirror of our own). */
    o->rate = getenv("RNR_HTTP_RATE") && *getenv("RNR_HTTP_RATE") && v[3] == 0 ? -1 : v[3];
}

static void opts_fill_defaults(http_opts *o)
{
    if (!o->user_agent || !*o->user_agent)
        o->user_agent = HTTP_DEFAULT_USER_AGENT;
    if (o->connect_timeout_ms <= 0)
        o->connect_timeout_ms = HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
    if (o->timeout_ms <= 0)
        o->timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
    if (o->max_attempts <= 0)
        o->max_attempts = HTTP_DEFAULT_MAX_ATTEMPTS;
    if (o->backoff_base_ms <= 0)
        o->backoff_base_ms = HTTP_DEFAULT_BACKOFF_BASE_MS;
    if (o->backoff_max_ms <= 0)
        o->backoff_max_ms = HTTP_DEFAULT_BACKOFF_MAX_MS;
    if (o->retry_after_max_ms <= 0)
        o->retry_after_max_ms = HTTP_DEFAULT_RETRY_AFTER_MAX_MS;
    if (o->rate == 0)
        o->rate = HTTP_DEFAULT_RATE;
    if (o->rate_burst <= 0)
        o->rate_burst = 1;
    if (o->max_body == 0)
        o->max_body = HTTP_DEFAULT_MAX_BODY;
}

int http_client_new(const http_opts *opts, http_client **out, rnr_error *err)
{
    *out = NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return rnr_error_set(err, RNR_ERR_INTERNAL, "http: curl_global_init failed");
    http_client *c = calloc(1, sizeof *c);
    if (!c) {
        curl_global_cleanup();
        return rnr_error_set(err, RNR_ERR_NOMEM, "http: out of memory");
    }
    if (opts)
        c->o = *opts;
    opts_fill_defaults(&c->o);
    c->user_agent = strdup(c->o.user_agent);
    c->o.user_agent = c->user_agent;
    c->share = curl_share_init();
    if (!c->user_agent || !c->share) {
        free(c->user_agent);
        if (c->share)
            curl_share_cleanup(c->share);
        free(c);
        curl_global_cleanup();
        return rnr_error_set(err, RNR_ERR_NOMEM, "http: out of memory");
    }
    for (int i = 0; i < SHARE_LOCKS; i++)
        pthread_mutex_init(&c->share_locks[i], NULL);
    pthread_mutex_init(&c->mu, NULL);
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    c->rng = (uint64_t)time_now_ms() ^ ((uint64_t)(uintptr_t)c << 16) ^ 0x9e3779b97f4a7c15ULL;
    *out = c;
    return RNR_OK;
}

void http_client_free(http_client *c)
{
    if (!c)
        return;
    curl_share_cleanup(c->share);
    for (int i = 0; i < SHARE_LOCKS; i++)
        pthread_mutex_destroy(&c->share_locks[i]);
    pthread_mutex_destroy(&c->mu);
    free(c->user_agent);
    free(c);
    curl_global_cleanup();
}

void http_response_free(http_response *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

void http_client_stats(http_client *c, http_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->stats;
    pthread_mutex_unlock(&c->mu);
}

int http_escape(const char *s, char *buf, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            if (o + 1 >= n)
                return -1;
            buf[o++] = (char)ch;
        } else {
            if (o + 3 >= n)
                return -1;
            buf[o++] = '%';
            buf[o++] = hex[ch >> 4];
            buf[o++] = hex[ch & 15];
        }
    }
    if (o >= n)
        return -1;
    buf[o] = '\0';
    return 0;
}

/* Sleep ms in short slices so a raised stop flag ends the wait; 0 if the
 * whole wait elapsed, -1 if stopped. */
static int sleep_or_stop(const http_client *c, int64_t ms)
{
    int64_t end = time_mono_ms() + ms;
    for (;;) {
        if (c->o.stop && *c->o.stop)
            return -1;
        int64_t left = end - time_mono_ms();
        if (left <= 0)
            return 0;
        time_sleep_ms(left < 50 ? left : 50);
    }
}

static int rate_wait(http_client *c)
{
    if (c->o.rate < 0)
        return 0;
    int64_t interval_us = (int64_t)(1e6 / c->o.rate);
    int64_t burst_us = interval_us * (c->o.rate_burst - 1);
    pthread_mutex_lock(&c->mu);
    int64_t now = time_mono_ms() * 1000;
    if (c->tat_us < now)
        c->tat_us = now;
    int64_t wait_us = c->tat_us - burst_us - now;
    c->tat_us += interval_us;
    if (wait_us > 0)
        c->stats.rate_wait_ms += (uint64_t)(wait_us / 1000);
    pthread_mutex_unlock(&c->mu);
    if (wait_us <= 0)
        return 0;
    return sleep_or_stop(c, (wait_us + 999) / 1000);
}

static int64_t backoff_ms(http_client *c, int retry)
{
    int64_t ceil = c->o.backoff_base_ms;
    for (int i = 1; i < retry && ceil < c->o.backoff_max_ms; i++)
        ceil *= 2;
    if (ceil > c->o.backoff_max_ms)
        ceil = c->o.backoff_max_ms;
    pthread_mutex_lock(&c->mu);
    /* xorshift64: per-client state, so no global PRNG is touched. */
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    uint64_t r = c->rng;
    pthread_mutex_unlock(&c->mu);
    return (int64_t)(r % (uint64_t)(ceil + 1));
}

static int content_type_is_json(const char *ct)
{
    return ct && strstr(ct, "json") != NULL;
}

/* libcurl calls this about once a second and on every chunk: a raised stop
 * flag ends the transfer in flight, not only the waits between attempts. */
typedef struct xfer_state {
    const http_client *c;
    curl_off_t seen; /* bytes received when last looked */
} xfer_state;

static int xfer_check_stop(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                           curl_off_t ulnow)
{
    (void)dltotal, (void)ultotal, (void)ulnow;
    xfer_state *x = ud;
    if (x->c->o.progress && dlnow != x->seen)
        __atomic_add_fetch(x->c->o.progress, 1, __ATOMIC_RELAXED);
    x->seen = dlnow;
    return x->c->o.stop && *x->c->o.stop;
}

/* One transfer. Fills *a, the body and the content type. */
static void attempt_once(http_client *c, const char *url, const char *accept, curlbuf *s,
                         attempt *a, char *ctype, size_t ctn)
{
    memset(a, 0, sizeof *a);
    ctype[0] = '\0';
    CURL *h = curl_easy_init();
    if (!h) {
        a->cc = CURLE_OUT_OF_MEMORY;
        return;
    }
    struct curl_slist *hdrs = NULL;
    char line[256];
    if (accept) {
        snprintf(line, sizeof line, "Accept: %s", accept);
        hdrs = curl_slist_append(hdrs, line);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_SHARE, c->share);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->o.user_agent);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    http_apply_ca(h);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curlbuf_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a->curl_msg);
    xfer_state xs = {c, 0};
    if (c->o.stop || c->o.progress) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xfer_check_stop);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &xs);
    }
    if (c->o.max_body < (size_t)1 << 62)
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->o.max_body);
    a->cc = curl_easy_perform(h);
    if (a->cc == CURLE_FILESIZE_EXCEEDED)
        s->over = 1;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    char *ct = NULL;
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
        snprintf(ctype, ctn, "%s", ct);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &a->connects);
    curl_off_t ra = 0;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
        a->retry_after_s = (long)ra;
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
}

/* Why an attempt should be retried, or NULL when it is final. */
static const char *retry_reason(const attempt *a, const char *ctype, char *buf, size_t n)
{
    if (a->cc != CURLE_OK) {
        snprintf(buf, n, "%s", a->curl_msg[0] ? a->curl_msg : curl_easy_strerror(a->cc));
        return buf;
    }
    if (a->status >= 500 || a->status == 429) {
        snprintf(buf, n, "HTTP %ld", a->status);
        return buf;
    }
    if (a->status == 403 && !content_type_is_json(ctype)) {
        snprintf(buf, n, "HTTP 403 with a non-JSON body (CDN block)");
        return buf;
    }
    return NULL;
}

static int fatal_curl_code(CURLcode cc)
{
    return cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL ||
           cc == CURLE_OUT_OF_MEMORY;
}

static void stats_connects(http_client *c, long connects)
{
    pthread_mutex_lock(&c->mu);
    c->stats.connects += (uint64_t)connects;
    pthread_mutex_unlock(&c->mu);
}

/* Count one finished request. */
static void stats_add(http_client *c, int attempts, int64_t slept)
{
    pthread_mutex_lock(&c->mu);
    c->stats.requests++;
    c->stats.attempts += (uint64_t)attempts;
    c->stats.retries += (uint64_t)(attempts > 0 ? attempts - 1 : 0);
    c->stats.backoff_ms += (uint64_t)slept;
    pthread_mutex_unlock(&c->mu);
}

/* End a failed request: drop the partial body, count it, set the error. */
static int finish_error(http_client *c, http_response *out, curlbuf *s, int code, rnr_error *err,
                        const char *msg)
{
    curlbuf_free(s);
    out->body = NULL;
    out->len = 0;
    stats_add(c, out->attempts, out->waited_ms);
    return rnr_error_set(err, code, "%s", msg);
}

static void size_text(size_t n, char *buf, size_t bn)
{
    if (n % ((size_t)1 << 20) == 0)
        snprintf(buf, bn, "%zu MiB", n >> 20);
    else
        snprintf(buf, bn, "%zu bytes", n);
}

int http_get(http_client *c, const char *url, const char *accept, http_response *out,
             rnr_error *err)
{
    memset(out, 0, sizeof *out);
    char shown[512], msg[1024];
    url_mask(url, shown, sizeof shown);
    curlbuf s = {0};
    attempt a;
    char why[CURL_ERROR_SIZE + 64] = "";
    assert(c->o.max_attempts >= 1); /* opts_fill_defaults: at least one attempt */
    for (int n = 1; n <= c->o.max_attempts; n++) {
        if (rate_wait(c) != 0) {
            snprintf(msg, sizeof msg, "GET %s: cancelled before attempt %d", shown, n);
            return finish_error(c, out, &s, RNR_ERR_CANCELLED, err, msg);
        }
        curlbuf_free(&s);
        s = (curlbuf){.max = c->o.max_body};
        out->attempts = n;
        attempt_once(c, url, accept, &s, &a, out->content_type, sizeof out->content_type);
        stats_connects(c, a.connects);
        out->status = a.status;
        if (s.over) {
            char cap[32];
            size_text(c->o.max_body, cap, sizeof cap);
            snprintf(msg, sizeof msg, "GET %s: response larger than %s", shown, cap);
            return finish_error(c, out, &s, RNR_ERR_LIMIT, err, msg);
        }
        if (a.cc == CURLE_ABORTED_BY_CALLBACK) {
            snprintf(msg, sizeof msg, "GET %s: cancelled during attempt %d", shown, n);
            return finish_error(c, out, &s, RNR_ERR_CANCELLED, err, msg);
        }
        if (fatal_curl_code(a.cc)) {
            snprintf(msg, sizeof msg, "GET %s: %s", shown, curl_easy_strerror(a.cc));
            return finish_error(c, out, &s, RNR_ERR_INVALID, err, msg);
        }
        if (!retry_reason(&a, out->content_type, why, sizeof why)) {
            if (!s.data && !(s.data = calloc(1, 1))) {
                snprintf(msg, sizeof msg, "GET %s: out of memory", shown);
                return finish_error(c, out, &s, RNR_ERR_NOMEM, err, msg);
            }
            out->body = s.data;
            out->len = s.len;
            stats_add(c, n, out->waited_ms);
            return RNR_OK;
        }
        if (n == c->o.max_attempts)
            break;
        int64_t wait = backoff_ms(c, n);
        if (a.cc == CURLE_OK && a.retry_after_s > 0) {
            wait = a.retry_after_s * 1000;
            if (wait > c->o.retry_after_max_ms)
                wait = c->o.retry_after_max_ms;
        }
        log_warn("http", "GET %s: attempt %d failed (%s); retrying in %lld ms", shown, n, why,
                 (long long)wait);
        out->waited_ms += wait;
        if (sleep_or_stop(c, wait) != 0) {
            snprintf(msg, sizeof msg, "GET %s: cancelled after %d attempts: %s", shown, n, why);
            return finish_error(c, out, &s, RNR_ERR_CANCELLED, err, msg);
        }
    }
    int code = a.cc == CURLE_OPERATION_TIMEDOUT ? RNR_ERR_TIMEOUT : RNR_ERR_TRANSIENT;
    snprintf(msg, sizeof msg, "GET %s: failed after %d attempts: %s", shown, out->attempts, why);
    return finish_error(c, out, &s, code, err, msg);
}
