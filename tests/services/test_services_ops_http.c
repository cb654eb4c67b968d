/* test_services_ops_http.c - /healthz follows the heartbeat (fresh -> 200,
 * stale -> 503, fresh again -> 200), /readyz follows the ready flag,
 * /metrics serves the registry as Prometheus text, anything else is 404
 * JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "services/ops_api.h"
#include "services/ops_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct body {
    char buf[8192];
    size_t n;
} body;

static size_t sink(char *p, size_t sz, size_t nm, void *ud)
{
    body *b = ud;
    size_t n = sz * nm;
    if (b->n + n >= sizeof b->buf)
        n = sizeof b->buf - b->n - 1;
    memcpy(b->buf + b->n, p, n);
    b->n += n;
    b->buf[b->n] = '\0';
    return sz * nm;
}

static long get(int port, const char *path, body *b, char **ctype)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    memset(b, 0, sizeof *b);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (ctype) {
        char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        *ctype = ct ? strdup(ct) : NULL;
    }
    curl_easy_cleanup(c);
    return code;
}

static void test_endpoints(void **state)
{
    (void)state;
    prom_registry *m = prom_new();
    prom_label l[] = {{"outcome", "routed"}};
    assert_int_equal(prom_counter_add(m, "rnr_sites_total", "Sites by outcome", l, 1, 3), 0);
    ops_http *o;
    assert_int_equal(
        ops_http_start(&(ops_http_opts){.listen = "127.0.0.1:0", .metrics = m, .max_age_s = 1}, &o,
                       NULL),
        0);
    int port = ops_http_port(o);
    body b;
    char *ct;

    assert_int_equal(get(port, "/healthz", &b, NULL), 200);
    assert_non_null(strstr(b.buf, "\"status\":\"ok\""));
    assert_int_equal(get(port, "/readyz", &b, NULL), 503);
    ops_http_set_ready(o, 1);
    assert_int_equal(get(port, "/readyz", &b, NULL), 200);

    assert_int_equal(get(port, "/metrics", &b, &ct), 200);
    assert_string_equal(ct, "text/plain; version=0.0.4; charset=utf-8");
    free(ct);
    assert_non_null(strstr(b.buf, "rnr_sites_total{outcome=\"routed\"} 3\n"));

    assert_int_equal(get(port, "/nope", &b, &ct), 404);
    assert_string_equal(ct, "application/json");
    free(ct);
    assert_string_equal(b.buf, "{\"error\":\"not found\"}");

    /* No heartbeat for longer than max_age: stale (polled, bounded). */
    long code = 200;
    for (int i = 0; i < 100 && code == 200; i++) {
        usleep(50000);
        code = get(port, "/healthz", &b, NULL);
    }
    assert_int_equal(code, 503);
    assert_non_null(strstr(b.buf, "\"status\":\"stale\""));
    ops_http_beat(o);
    assert_int_equal(get(port, "/healthz", &b, NULL), 200);
    ops_http_stop(o);
    prom_free(m);
}

/* RNR_MAP_TILES reaches the page through /api/config only when it is an
 * http(s) template with each placeholder once; anything else is refused
 * with a message naming the variable. */
static void test_map_tiles(void **state)
{
    (void)state;
    ops_api *a;
    assert_int_equal(ops_api_new(NULL, "out", "pp", "/tmp", &a, NULL), RNR_OK);
    http_reply r = {0};
    assert_int_equal(ops_api_handle(a, "/api/config", &r), 1);
    assert_string_equal(r.body, "{\"map_tiles\":null}");
    free(r.body);
    const char *bad[] = {"javascript:{z}{x}{y}",
                         "https://t.example/{z}/{x}.png",
                         "https://t.example/{z}/{x}/{y}/{y}",
                         "https://t.example/{z}/{x}/{y}\"onload=",
                         "https://t.example/ {z}/{x}/{y}",
                         "ftp://t.example/{z}/{x}/{y}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rnr_error err = {0};
        assert_int_equal(ops_api_set_map_tiles(a, bad[i], &err), RNR_ERR_CONFIG);
        assert_non_null(strstr(err.msg, "RNR_MAP_TILES"));
    }
    assert_int_equal(ops_api_set_map_tiles(a, "", NULL), RNR_OK);
    assert_int_equal(ops_api_set_map_tiles(a, "https://tile.example.org/{z}/{x}/{y}.png?k=1", NULL),
                     RNR_OK);
    memset(&r, 0, sizeof r);
    assert_int_equal(ops_api_handle(a, "/api/config", &r), 1);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"map_tiles\":\"https://tile.example.org/{z}/{x}/{y}.png?k=1\"}");
    free(r.body);
    ops_api_free(a);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_endpoints),
                                       cmocka_unit_test(test_map_tiles)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
