/* test_http_client.c - the HTTP client and NWS fetchers against
 * rnr-fixture-server on an ephemeral 127.0.0.1 port.
 *
 * The server runs from a temporary directory the group setup fills with a
 * tiny data set; each test resets the fault table and installs its own
 * faults through POST /_fault. Timing checks are loose lower bounds only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/http.h"
#include "adapters/nws_client.h"
#include "core/timeutil.h"
#include "fixture_proc.h"

static char g_dir[256];
static fixture_proc g_fx;
static const char *g_log = g_fx.log;
static const char *g_base = g_fx.base;
static const char *g_nwps = g_fx.nwps; /* the NWPS root of the fixture */

static const char GAUGE_JSON[] =
    "{\"lid\": \"TST1\", \"reachId\": \"123\", \"ForecastFloodCategory\": \"minor\"}\n";

static void write_file(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int start_server(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/rnr-http-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/products", g_dir);
    mkdir(sub, 0700);
    snprintf(sub, sizeof sub, "%s/nwps", g_dir);
    mkdir(sub, 0700);
    snprintf(sub, sizeof sub, "%s/nwps/gauges", g_dir);
    mkdir(sub, 0700);
    write_file("products.json",
               "{\"@graph\": [{\"@id\": \"{{BASE}}/products/p-1\", \"id\": \"p-1\"}]}\n");
    write_file("products/p-1.json", "{\"id\": \"p-1\", \"productText\": \"HMLTST\"}\n");
    write_file("nwps/gauges/TST1.json", GAUGE_JSON);
    write_file("nwps/gauges/TST1.forecast.json", "{\"secondaryUnits\": \"kcfs\", \"data\": []}\n");
    return fixture_start(&g_fx, g_dir, g_dir);
}

static int stop_server(void **state)
{
    (void)state;
    /* The server must shut down cleanly on SIGTERM. */
    int rc = fixture_stop(&g_fx);
    if (fixture_rmtree(g_dir) != 0)
        return -1;
    return rc;
}

/* POST (json != NULL) or DELETE /_fault with plain libcurl. */
static void control(const char *json)
{
    char url[128];
    snprintf(url, sizeof url, "%s/_fault", g_base);
    CURL *h = curl_easy_init();
    assert_non_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (json)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    else
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    long st = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
    assert_int_equal(st, 200);
    fclose(sink);
    curl_easy_cleanup(h);
}

static int reset(void **state)
{
    (void)state;
    control(NULL);
    return 0;
}

/* Requests for path (exact, no query) in the server log. */
static int log_count(const char *method_path)
{
    FILE *f = fopen(g_log, "r");
    assert_non_null(f);
    char line[1024];
    int n = 0;
    size_t k = strlen(method_path);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, method_path, k) == 0 && (line[k] == ' ' || line[k] == '?'))
            n++;
    fclose(f);
    return n;
}

static http_client *client(long timeout_ms, int attempts, double rate)
{
    http_opts o = {0};
    o.backoff_base_ms = 20;
    o.backoff_max_ms = 100;
    o.timeout_ms = timeout_ms;
    o.max_attempts = attempts;
    o.rate = rate;
    http_client *c = NULL;
    rnr_error e;
    assert_int_equal(http_client_new(&o, &c, &e), RNR_OK);
    return c;
}

static void url_of(char *buf, size_t n, const char *path)
{
    snprintf(buf, n, "%s%s", g_base, path);
}

static void test_get_ok(void **state)
{
    (void)state;
    http_client *c = client(0, 0, -1);
    char url[256], want[256];
    url_of(url, sizeof url, "/products?type=HML");
    http_response r;
    rnr_error e;
    assert_int_equal(http_get(c, url, "application/ld+json", &r, &e), RNR_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.content_type, "application/ld+json");
    snprintf(want, sizeof want, "{\"@graph\": [{\"@id\": \"%s/products/p-1\", \"id\": \"p-1\"}]}\n",
             g_base);
    assert_string_equal(r.body, want);
    assert_int_equal(r.len, strlen(want));
    http_response_free(&r);
    /* Later requests reuse the connection through the share handle. */
    url_of(url, sizeof url, "/products/p-1");
    for (int i = 0; i < 4; i++) {
        assert_int_equal(http_get(c, url, "application/ld+json", &r, &e), RNR_OK);
        assert_int_equal(r.status, 200);
        http_response_free(&r);
    }
    http_stats st;
    http_client_stats(c, &st);
    assert_int_equal(st.requests, 5);
    assert_int_equal(st.attempts, 5);
    assert_int_equal(st.connects, 1);
    http_client_free(c);
}

static void test_gzip(void **state)
{
    (void)state;
    http_client *c = client(0, 0, -1);
    char url[256];
    url_of(url, sizeof url, "/nwps/v1/gauges/TST1");
    http_response r;
    rnr_error e;
    assert_int_equal(http_get(c, url, "application/json", &r, &e), RNR_OK);
    assert_string_equal(r.body, GAUGE_JSON);
    http_response_free(&r);
    http_client_free(c);
    /* The server compressed it: the client offered gzip and decoded it. */
    FILE *f = fopen(g_log, "r");
    char line[1024], last[1024] = "";
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "GET /nwps/v1/gauges/TST1 ", 25) == 0)
            snprintf(last, sizeof last, "%s", line);
    fclose(f);
    assert_non_null(strstr(last, " gzip\n"));
}

static void test_404_no_retry(void **state)
{
    (void)state;
    http_client *c = client(0, 4, -1);
    char url[256];
    url_of(url, sizeof url, "/products/nope");
    int before = log_count("GET /products/nope");
    http_response r;
    rnr_error e;
    assert_int_equal(http_get(c, url, "application/ld+json", &r, &e), RNR_OK);
    assert_int_equal(r.status, 404);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.content_type, "application/problem+json");
    assert_non_null(strstr(r.body, "\"status\": 404"));
    http_response_free(&r);
    assert_int_equal(log_count("GET /products/nope") - before, 1);

    char *body = (char *)1;
    size_t len = 7;
    assert_int_equal(nwps_fetch_gauge(c, g_nwps, "NOPE1", &body, &len, &e), RNR_ERR_NOTFOUND);
    assert_string_equal(e.msg, "gauge NOPE1 not found");
    assert_null(body);
    url_of(url, sizeof url, "/products/nope");
    assert_int_equal(nws_fetch_product(c, url, &body, &len, &e), RNR_ERR_NOTFOUND);
    http_stats st;
    http_client_stats(c, &st);
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.retries, 0);
    http_client_free(c);
}

static void test_500_then_200(void **state)
{
    (void)state;
    control("{\"path\": \"/products/p-1\", \"status\": 500, \"times\": 1}");
    http_client *c = client(0, 4, -1);
    char url[256];
    url_of(url, sizeof url, "/products/p-1");
    int before = log_count("GET /products/p-1");
    http_response r;
    rnr_error e;
    assert_int_equal(http_get(c, url, "application/ld+json", &r, &e), RNR_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 2);
    assert_string_equal(r.body, "{\"id\": \"p-1\", \"productText\": \"HMLTST\"}\n");
    http_response_free(&r);
    assert_int_equal(log_count("GET /products/p-1") - before, 2);
    http_stats st;
    http_client_stats(c, &st);
    assert_int_equal(st.requests, 1);
    assert_int_equal(st.attempts, 2);
    assert_int_equal(st.retries, 1);
    http_client_free(c);
}

static void test_5xx_exhausted(void **state)
{
    (void)state;
    control("{\"path\": \"/nwps/v1/gauges/*\", \"status\": 503}");
    http_client *c = client(0, 3, -1);
    char *body = NULL;
    size_t len = 0;
    rnr_error e;
    assert_int_equal(nwps_fetch_gauge(c, g_nwps, "TST1", &body, &len, &e), RNR_ERR_TRANSIENT);
    assert_null(body);
    char want[256];
    snprintf(want, sizeof want, "GET %s/nwps/v1/gauges/TST1: failed after 3 attempts: HTTP 503",
             g_base);
    assert_string_equal(e.msg, want);
    http_client_free(c);
}

static void test_429_retry_after(void **state)
{
    (void)state;
    control("{\"path\": \"/products\", \"status\": 429, \"retry_after\": 1, \"times\": 1}");
    http_client *c = client(0, 4, -1);
    char *body = NULL;
    size_t len = 0;
    rnr_error e;
    int64_t t0 = time_mono_ms();
    assert_int_equal(nws_fetch_products(c, g_base, &body, &len, &e), RNR_OK);
    int64_t took = time_mono_ms() - t0;
    assert_non_null(strstr(body, "/products/p-1"));
    free(body);
    http_stats st;
    http_client_stats(c, &st);
    assert_int_equal(st.attempts, 2);
    /* Retry-After: 1 replaces the 20 ms backoff. */
    assert_int_equal(st.backoff_ms, 1000);
    assert_true(took >= 900);
    http_client_free(c);
}

static void test_timeout(void **state)
{
    (void)state;
    control("{\"path\": \"/products/p-1\", \"latency_ms\": 1500}");
    http_client *c = client(300, 2, -1);
    char url[256], want[300];
    url_of(url, sizeof url, "/products/p-1");
    http_response r;
    rnr_error e;
    assert_int_equal(http_get(c, url, NULL, &r, &e), RNR_ERR_TIMEOUT);
    assert_null(r.body);
    assert_int_equal(r.attempts, 2);
    snprintf(want, sizeof want, "GET %s: failed after 2 attempts: ", url);
    assert_memory_equal(e.msg, want, strlen(want));
    assert_non_null(strstr(e.msg, "imed out"));
    http_client_free(c);
}

static void test_drop(void **state)
{
    (void)state;
    control("{\"path\": \"/products/p-1\", \"drop\": true, \"times\": 1}");
    http_client *c = client(0, 4, -1);
    char url[256];
    url_of(url, sizeof url, "/products/p-1");
    http_response r;
    rnr_error e;
    assert_int_equal(http_get(c, url, NULL, &r, &e), RNR_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 2);
    http_response_free(&r);
    reset(NULL);
    control("{\"path\": \"/products/p-1\", \"drop\": true}");
    assert_int_equal(http_get(c, url, NULL, &r, &e), RNR_ERR_TRANSIENT);
    assert_int_equal(r.attempts, 4);
    assert_non_null(strstr(e.msg, "failed after 4 attempts"));
    http_client_free(c);
}

static void test_truncated(void **state)
{
    (void)state;
    control("{\"path\": \"/nwps/v1/gauges/TST1\", \"truncate\": true, \"times\": 1}");
    http_client *c = client(0, 3, -1);
    char *body = NULL;
    size_t len = 0;
    rnr_error e;
    assert_int_equal(nwps_fetch_gauge(c, g_nwps, "TST1", &body, &len, &e), RNR_OK);
    assert_string_equal(body, GAUGE_JSON);
    assert_int_equal(len, strlen(GAUGE_JSON));
    free(body);
    http_stats st;
    http_client_stats(c, &st);
    assert_int_equal(st.attempts, 2);
    reset(NULL);
    control("{\"path\": \"/nwps/v1/gauges/TST1\", \"truncate\": true}");
    assert_int_equal(nwps_fetch_gauge(c, g_nwps, "TST1", &body, &len, &e), RNR_ERR_TRANSIENT);
    assert_null(body);
    assert_non_null(strstr(e.msg, "failed after 3 attempts"));
    http_client_free(c);
}

static void test_size_cap(void **state)
{
    (void)state;
    http_client *c = client(0, 4, -1);
    char url[256], want[300];
    url_of(url, sizeof url, "/_bytes/17000000");
    http_response r;
    rnr_error e;
    assert_int_equal(http_get(c, url, NULL, &r, &e), RNR_ERR_LIMIT);
    snprintf(want, sizeof want, "GET %s: response larger than 16 MiB", url);
    assert_string_equal(e.msg, want);
    assert_null(r.body);
    assert_int_equal(r.attempts, 1);
    http_client_free(c);

    http_opts o = {0};
    o.max_body = 1 << 20;
    o.rate = -1;
    assert_int_equal(http_client_new(&o, &c, &e), RNR_OK);
    url_of(url, sizeof url, "/_bytes/1048576");
    assert_int_equal(http_get(c, url, NULL, &r, &e), RNR_OK);
    assert_int_equal(r.len, 1048576);
    http_response_free(&r);
    url_of(url, sizeof url, "/_bytes/1048577");
    assert_int_equal(http_get(c, url, NULL, &r, &e), RNR_ERR_LIMIT);
    snprintf(want, sizeof want, "GET %s: response larger than 1 MiB", url);
    assert_string_equal(e.msg, want);
    http_client_free(c);
    /* Gzip does not hide a large body: the cap applies to decoded bytes. */
    o.max_body = 1000;
    assert_int_equal(http_client_new(&o, &c, &e), RNR_OK);
    url_of(url, sizeof url, "/_bytes/5000");
    assert_int_equal(http_get(c, url, NULL, &r, &e), RNR_ERR_LIMIT);
    snprintf(want, sizeof want, "GET %s: response larger than 1000 bytes", url);
    assert_string_equal(e.msg, want);
    http_client_free(c);
}

static void test_rate_limit(void **state)
{
    (void)state;
    http_client *c = client(0, 1, 20);
    char url[256];
    url_of(url, sizeof url, "/_echo");
    int64_t t0 = time_mono_ms();
    for (int i = 0; i < 30; i++) {
        http_response r;
        rnr_error e;
        assert_int_equal(http_get(c, url, NULL, &r, &e), RNR_OK);
        assert_int_equal(r.status, 200);
        http_response_free(&r);
    }
    int64_t took = time_mono_ms() - t0;
    /* 30 requests at 20/s with a burst of 1: at least 29 intervals of
     * 50 ms, however fast or slow the requests themselves are. How much of
     * that the limiter had to wait depends on the requests' own duration
     * (on a loaded machine they may take the whole interval), so its
     * counter is only bounded by the elapsed time. */
    assert_true(took >= 29 * 50);
    http_stats st;
    http_client_stats(c, &st);
    assert_int_equal(st.requests, 30);
    assert_true((int64_t)st.rate_wait_ms <= took);
    http_client_free(c);
}

typedef struct thread_arg {
    http_client *c;
    int ok;
} thread_arg;

static void *thread_main(void *p)
{
    thread_arg *a = p;
    char url[256];
    url_of(url, sizeof url, "/nwps/v1/gauges/TST1/stageflow/forecast");
    for (int i = 0; i < 5; i++) {
        http_response r;
        rnr_error e;
        if (http_get(a->c, url, "application/json", &r, &e) == RNR_OK && r.status == 200 &&
            strstr(r.body, "kcfs"))
            a->ok++;
        http_response_free(&r);
    }
    return NULL;
}

static void test_threads_share_limit(void **state)
{
    (void)state;
    http_client *c = client(0, 2, 40);
    pthread_t th[4];
    thread_arg args[4];
    int64_t t0 = time_mono_ms();
    for (int i = 0; i < 4; i++) {
        args[i].c = c;
        args[i].ok = 0;
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    int64_t took = time_mono_ms() - t0;
    for (int i = 0; i < 4; i++)
        assert_int_equal(args[i].ok, 5);
    http_stats st;
    http_client_stats(c, &st);
    assert_int_equal(st.requests, 20);
    /* One bucket for all threads: 19 intervals of 25 ms. */
    assert_true(took >= 400);
    http_client_free(c);
}

static void test_headers(void **state)
{
    (void)state;
    http_opts o = {0};
    o.user_agent = "(rnr-test, ops@example.org)";
    o.rate = -1;
    http_client *c;
    rnr_error e;
    assert_int_equal(http_client_new(&o, &c, &e), RNR_OK);
    char url[256];
    url_of(url, sizeof url, "/_echo");
    http_response r;
    assert_int_equal(http_get(c, url, "application/ld+json", &r, &e), RNR_OK);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "user_agent")),
                        "(rnr-test, ops@example.org)");
    assert_string_equal(json_string_value(json_object_get(j, "accept")), "application/ld+json");
    assert_non_null(strstr(json_string_value(json_object_get(j, "accept_encoding")), "gzip"));
    json_decref(j);
    http_response_free(&r);
    /* The fetchers send the same User-Agent to NWPS, with JSON Accept. */
    char *body;
    size_t len;
    assert_int_equal(nwps_fetch_stageflow(c, g_nwps, "TST1", "forecast", &body, &len, &e), RNR_OK);
    free(body);
    FILE *f = fopen(g_log, "r");
    char line[1024];
    int seen = 0;
    while (fgets(line, sizeof line, f))
        if (strcmp(line,
                   "GET /nwps/v1/gauges/TST1/stageflow/forecast 200 "
                   "ua=\"(rnr-test, ops@example.org)\" accept=\"application/json\" gzip\n") == 0)
            seen++;
    fclose(f);
    assert_int_equal(seen, 1);
    http_client_free(c);

    c = client(0, 1, -1);
    assert_int_equal(http_get(c, url, NULL, &r, &e), RNR_OK);
    assert_non_null(strstr(r.body, "\"user_agent\": \"" HTTP_DEFAULT_USER_AGENT "\""));
    http_response_free(&r);
    http_client_free(c);
}

static void test_403_cdn_block(void **state)
{
    (void)state;
    control("{\"path\": \"/products\", \"status\": 403, \"times\": 1, \"content_type\": "
            "\"text/html\", \"body\": \"<html><body>Access Denied</body></html>\"}");
    http_client *c = client(0, 4, -1);
    char *body;
    size_t len;
    rnr_error e;
    assert_int_equal(nws_fetch_products(c, g_base, &body, &len, &e), RNR_OK);
    free(body);
    http_stats st;
    http_client_stats(c, &st);
    assert_int_equal(st.attempts, 2);
    /* A 403 the API itself answers (JSON) is final. */
    control("{\"path\": \"/products/p-1\", \"status\": 403, \"times\": 1}");
    char url[256];
    url_of(url, sizeof url, "/products/p-1");
    http_response r;
    assert_int_equal(http_get(c, url, NULL, &r, &e), RNR_OK);
    assert_int_equal(r.status, 403);
    assert_int_equal(r.attempts, 1);
    http_response_free(&r);
    assert_int_equal(nws_fetch_product(c, url, &body, &len, &e), RNR_OK);
    free(body);
    http_client_free(c);
}

static void test_nws_fetchers(void **state)
{
    (void)state;
    http_client *c = client(0, 2, -1);
    char *body;
    size_t len;
    rnr_error e;
    assert_int_equal(nwps_fetch_gauge(c, g_nwps, "tst1", &body, &len, &e), RNR_OK);
    assert_string_equal(body, GAUGE_JSON);
    free(body);
    assert_int_equal(nwps_fetch_stageflow(c, g_nwps, "TST1", "observed", &body, &len, &e), RNR_OK);
    assert_non_null(strstr(body, "\"data\": []"));
    free(body);
    assert_int_equal(nwps_fetch_stageflow(c, g_nwps, "TST1", "observation", &body, &len, &e),
                     RNR_ERR_INVALID);
    /* A lid is letters and digits: path tricks never reach the server. */
    assert_int_equal(nwps_fetch_gauge(c, g_nwps, "A B/..", &body, &len, &e), RNR_ERR_INVALID);
    assert_non_null(strstr(e.msg, "not a location id"));
    assert_int_equal(nwps_fetch_gauge(c, g_nwps, "..", &body, &len, &e), RNR_ERR_INVALID);
    assert_int_equal(nwps_fetch_stageflow(c, g_nwps, "A%2F", "forecast", &body, &len, &e),
                     RNR_ERR_INVALID);
    assert_int_equal(log_count("GET /nwps/v1/gauges/A B/.."), 0);
    assert_int_equal(log_count("GET /nwps/v1/gauges/.."), 0);
    assert_int_equal(log_count("GET /nwps/v1/gauges/A%/stageflow/forecast"), 0);
    assert_int_equal(nwps_fetch_gauge(c, g_nwps, "", &body, &len, &e), RNR_ERR_INVALID);
    http_client_free(c);
}

static void test_fetchers_base_layout(void **state)
{
    (void)state;
    /* NWPS_API_URL = server + /nwps/v1 is how the fixture is addressed. */
    char nwps[128];
    snprintf(nwps, sizeof nwps, "%s/nwps/v1/", g_base);
    setenv("NWS_API_URL", g_base, 1);
    setenv("NWPS_API_URL", nwps, 1);
    nws_endpoints ep;
    rnr_error e;
    assert_int_equal(nws_endpoints_from_env(&ep, &e), RNR_OK);
    assert_string_equal(ep.nws, g_base);
    nwps[strlen(nwps) - 1] = '\0';
    assert_string_equal(ep.nwps, nwps);
    http_client *c = client(0, 1, -1);
    char *body;
    size_t len;
    assert_int_equal(nwps_fetch_gauge(c, ep.nwps, "TST1", &body, &len, &e), RNR_OK);
    free(body);
    assert_int_equal(nws_fetch_products(c, ep.nws, &body, &len, &e), RNR_OK);
    free(body);
    http_client_free(c);
    setenv("NWPS_API_URL", "ftp://x", 1);
    assert_int_equal(nws_endpoints_from_env(&ep, &e), RNR_ERR_CONFIG);
    assert_string_equal(e.msg, "NWPS_API_URL: 'ftp://x' is not an http(s) URL");
    unsetenv("NWS_API_URL");
    unsetenv("NWPS_API_URL");
    assert_int_equal(nws_endpoints_from_env(&ep, &e), RNR_OK);
    assert_string_equal(ep.nws, "https://api.weather.gov");
    assert_string_equal(ep.nwps, "https://api.water.noaa.gov/nwps/v1");
}

static void test_escape(void **state)
{
    (void)state;
    char buf[256];
    assert_int_equal(http_escape("a b/c~", buf, sizeof buf), 0);
    assert_string_equal(buf, "a%20b%2Fc~");
    assert_int_equal(http_escape("abcdef", buf, 4), -1);
}

static void test_bad_url(void **state)
{
    (void)state;
    http_client *c = client(0, 4, -1);
    http_response r;
    rnr_error e;
    assert_int_equal(http_get(c, "gopher://127.0.0.1:1/x", NULL, &r, &e), RNR_ERR_INVALID);
    assert_int_equal(r.attempts, 1);
    /* Nothing listens on port 1: connection refused is retried. */
    assert_int_equal(http_get(c, "http://127.0.0.1:1/x", NULL, &r, &e), RNR_ERR_TRANSIENT);
    assert_int_equal(r.attempts, 4);
    assert_non_null(strstr(e.msg, "GET http://127.0.0.1:1/x: failed after 4 attempts: "));
    http_client_free(c);
}

static void test_stop_flag(void **state)
{
    (void)state;
    static volatile sig_atomic_t stop = 1;
    control("{\"path\": \"/products/p-1\", \"status\": 503}");
    http_opts o = {0};
    o.rate = -1;
    o.backoff_base_ms = 60000;
    o.stop = &stop;
    http_client *c;
    rnr_error e;
    assert_int_equal(http_client_new(&o, &c, &e), RNR_OK);
    char url[256];
    url_of(url, sizeof url, "/products/p-1");
    http_response r;
    assert_int_equal(http_get(c, url, NULL, &r, &e), RNR_ERR_CANCELLED);
    assert_int_equal(r.attempts, 1);
    http_client_free(c);
}

static volatile sig_atomic_t inflight_stop;

static void *raise_stop_later(void *arg)
{
    (void)arg;
    usleep(300 * 1000);
    inflight_stop = 1;
    return NULL;
}

/* A stop raised while a response is still on its way ends that transfer:
 * the 5 s response is abandoned well before it would arrive. */
static void test_stop_flag_in_flight(void **state)
{
    (void)state;
    inflight_stop = 0;
    control("{\"path\": \"/products/p-1\", \"latency_ms\": 5000}");
    http_opts o = {0};
    o.rate = -1;
    o.stop = &inflight_stop;
    http_client *c;
    rnr_error e;
    assert_int_equal(http_client_new(&o, &c, &e), RNR_OK);
    char url[256];
    url_of(url, sizeof url, "/products/p-1");
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, raise_stop_later, NULL), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    http_response r;
    assert_int_equal(http_get(c, url, NULL, &r, &e), RNR_ERR_CANCELLED);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(t, NULL);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(e.msg, "cancelled during attempt 1"));
    assert_true(t1.tv_sec - t0.tv_sec < 4); /* not the 5 s the server takes */
    http_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_get_ok, reset),
        cmocka_unit_test_setup(test_gzip, reset),
        cmocka_unit_test_setup(test_404_no_retry, reset),
        cmocka_unit_test_setup(test_500_then_200, reset),
        cmocka_unit_test_setup(test_5xx_exhausted, reset),
        cmocka_unit_test_setup(test_429_retry_after, reset),
        cmocka_unit_test_setup(test_timeout, reset),
        cmocka_unit_test_setup(test_drop, reset),
        cmocka_unit_test_setup(test_truncated, reset),
        cmocka_unit_test_setup(test_size_cap, reset),
        cmocka_unit_test_setup(test_rate_limit, reset),
        cmocka_unit_test_setup(test_threads_share_limit, reset),
        cmocka_unit_test_setup(test_headers, reset),
        cmocka_unit_test_setup(test_403_cdn_block, reset),
        cmocka_unit_test_setup(test_nws_fetchers, reset),
        cmocka_unit_test_setup(test_fetchers_base_layout, reset),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_bad_url),
        cmocka_unit_test_setup(test_stop_flag, reset),
        cmocka_unit_test_setup(test_stop_flag_in_flight, reset),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, start_server, stop_server);
    curl_global_cleanup();
    return rc;
}
