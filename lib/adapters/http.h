/* http.h - the HTTP client every outside call goes through (libcurl).
 *
 * One http_client per process (or per component) is shared by all threads:
 * it owns a curl share handle (connection cache, DNS, TLS sessions) so
 * connections are reused across requests and threads, and a token bucket
 * so the whole process stays under one request rate. A request retries,
 * with exponential backoff and full jitter, on what a later attempt can
 * fix: connection errors, timeouts, truncated bodies, 5xx, 429 (honouring
 * Retry-After) and a 403 whose body is not JSON (the CDN in front of
 * api.weather.gov blocks that way). Any other final HTTP answer, 404
 * included, is returned to the caller as RNR_OK with its status. */
#ifndef RNR_ADAPTERS_HTTP_H
#define RNR_ADAPTERS_HTTP_H

#include <curl/curl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define HTTP_DEFAULT_USER_AGENT "(rnr, https://github.com/rnr-project/rnr)"
#define HTTP_DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define HTTP_DEFAULT_TIMEOUT_MS 30000L
#define HTTP_DEFAULT_MAX_ATTEMPTS 4
#define HTTP_DEFAULT_BACKOFF_BASE_MS 500L
#define HTTP_DEFAULT_BACKOFF_MAX_MS 30000L
#define HTTP_DEFAULT_RETRY_AFTER_MAX_MS 60000L
#define HTTP_DEFAULT_RATE 8.0
#define HTTP_DEFAULT_MAX_BODY ((size_t)16 << 20)

/* Zero (or NULL) in any field means its default, so `http_opts o = {0}`
 * is a valid configuration. */
typedef struct http_opts {
    const char *user_agent; /* sent on every request */
    long connect_timeout_ms;
    long timeout_ms;         /* whole transfer, per attempt */
    int max_attempts;        /* attempts per request, >= 1 */
    long backoff_base_ms;    /* first backoff ceiling; doubles per retry */
    long backoff_max_ms;     /* ceiling of any backoff */
    long retry_after_max_ms; /* Retry-After is honoured up to this */
    double rate;             /* requests per second; < 0 means no limit */
    int rate_burst;          /* requests allowed back to back (default 1) */
    size_t max_body;         /* decoded body cap, enforced while receiving */
    /* When set and non-zero, backoff and rate waits stop early and the
     * request returns RNR_ERR_CANCELLED (e.g. the worker's SIGTERM flag). */
    const volatile sig_atomic_t *stop;
    /* When set, bumped (atomically) whenever response bytes arrive: a
     * caller's heartbeat tells a slow transfer from a stalled one. */
    unsigned long *progress;
} http_opts;

typedef struct http_client http_client;

typedef struct http_response {
    long status; /* final HTTP status (0: none received) */
    char *body;  /* malloc'd, NUL-terminated; owned by caller */
    size_t len;
    char content_type[128]; /* "" when the server sent none */
    int attempts;           /* attempts this request made */
    int64_t waited_ms;      /* time spent in backoff (not rate limiting) */
} http_response;

/* Process-wide counters, for tests and metrics. */
typedef struct http_stats {
    uint64_t requests;     /* http_get calls */
    uint64_t attempts;     /* transfers started */
    uint64_t retries;      /* attempts after the first */
    uint64_t backoff_ms;   /* total time slept between attempts */
    uint64_t rate_wait_ms; /* total time slept by the rate limiter */
    uint64_t connects;     /* new connections opened (the rest were reused) */
} http_stats;

/* Fill *o with the defaults, then from the environment: NWS_USER_AGENT
 * (the string stays owned by the environment), RNR_HTTP_TIMEOUT_MS,
 * RNR_HTTP_CONNECT_TIMEOUT_MS, RNR_HTTP_ATTEMPTS and RNR_HTTP_RATE
 * (requests per second; 0 = no client-side limit). */
void http_opts_from_env(http_opts *o);

int http_client_new(const http_opts *opts, http_client **out, rnr_error *err);
void http_client_free(http_client *c);

/* GET url with `Accept: accept` (NULL: no Accept header). RNR_OK for any
 * final HTTP response (inspect out->status); RNR_ERR_TIMEOUT or
 * RNR_ERR_TRANSIENT when every attempt failed, RNR_ERR_LIMIT when the body
 * exceeds max_body, RNR_ERR_INVALID for a malformed URL, RNR_ERR_CANCELLED
 * when opts.stop was raised. On error out->body is NULL. Messages name the
 * URL (secret-looking query values redacted) and the last failure. */
int http_get(http_client *c, const char *url, const char *accept, http_response *out,
             rnr_error *err);
void http_response_free(http_response *r);

void http_client_stats(http_client *c, http_stats *out);

/* The CA bundle TLS peers are verified against: SSL_CERT_FILE, else
 * CURL_CA_BUNDLE, else NULL (libcurl's built-in default) unless that file
 * is missing and a known system bundle exists (Amazon Linux 2023 keeps it
 * at /etc/pki/tls/certs/ca-bundle.crt: a libcurl built on Debian and
 * shipped in the Lambda zip would otherwise find none). */
const char *http_ca_bundle(void);
/* Set CURLOPT_CAINFO on an easy handle from http_ca_bundle(). */
void http_apply_ca(CURL *h);

/* Percent-encode s (RFC 3986 unreserved kept) into buf; -1 if too small. */
int http_escape(const char *s, char *buf, size_t n);

#endif
