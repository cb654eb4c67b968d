/* test_adapters_nws_source.c - the NWS source port over HTTP
 * (lib/adapters/nws_client.c) against rnr-fixture-server serving
 * data/sample/nws: what each call returns, how errors are told apart, and
 * how many requests a gauge's two series take (one with NWPS's combined
 * /stageflow, falling back to the per-product endpoints when that answer
 * fails or lacks a series), counted in the fixture's request log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/http/fixture_proc.h"
#include "ports/backends.h"

static char g_dir[256], g_data[512];

/* One fixture per case (with its fault rule, may be NULL) and a source on
 * it; the HTTP client neither rate-limits nor retries. */
typedef struct fx {
    fixture_proc fp;
    rnr_nws *src;
} fx;

static void fx_start(fx *f, const char *fault)
{
    assert_int_equal(fixture_start_fault(&f->fp, g_data, g_dir, fault), 0);
    setenv("RNR_HTTP_RATE", "0", 1);
    setenv("RNR_HTTP_ATTEMPTS", "1", 1);
    nws_source_opts o = {.nws_url = f->fp.base, .nwps_url = f->fp.nwps};
    rnr_error e = {0};
    assert_int_equal(backend_open_nws(&o, &f->src, &e), RNR_OK);
}

static void fx_stop(fx *f)
{
    nws_source_free(f->src);
    assert_int_equal(fixture_stop(&f->fp), 0);
}

/* Requests in the fixture's log whose line contains needle. */
static int requests(const fx *f, const char *needle)
{
    char *log = tu_read_file(f->fp.log, NULL);
    int n = log ? tu_count(log, needle) : 0;
    free(log);
    return n;
}

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("RNR_SOURCE_DIR");
    if (!src)
        return -1;
    snprintf(g_data, sizeof g_data, "%s/data/sample/nws", src);
    snprintf(g_dir, sizeof g_dir, "/tmp/rnr-nws-source-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_rmtree(g_dir);
}

static int reset(void **state)
{
    (void)state;
    unsetenv("RNR_NWPS_STAGEFLOW");
    return 0;
}

static void test_products_product_gauge(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    rnr_error e = {0};
    nws_product_list *l = NULL;
    assert_int_equal(nws_source_products(f.src, &l, &e), RNR_OK);
    assert_int_equal(l->n, 3);
    assert_string_equal(l->items[0].id, "31b8a6d2-9e47-4f05-a3c1-d85e2f604b97"); /* oldest */
    nws_hml_product *h = NULL;
    assert_int_equal(nws_source_product(f.src, l->items[0].url, &h, &e), RNR_OK);
    assert_int_equal(h->n_documents, 3);
    assert_int_equal(h->n_sites, 2); /* RNRG1, RNRH1 (twice) */
    assert_string_equal(h->sites[1].lid, "RNRH1");
    nws_hml_product_free(h);
    nws_product_list_free(l);
    assert_string_equal(nws_source_products_base(f.src), f.fp.base);

    nwps_gauge g;
    assert_int_equal(nws_source_gauge(f.src, "RNRA1", &g, &e), RNR_OK);
    assert_string_equal(g.lid, "RNRA1");
    assert_int_equal(g.reach_id, 91000001);
    assert_int_equal(nws_source_gauge(f.src, "NOPE1", &g, &e), RNR_ERR_NOTFOUND);
    assert_non_null(strstr(e.msg, "NOPE1"));
    char url[200];
    snprintf(url, sizeof url, "%s/products/no-such-product", f.fp.base);
    assert_int_equal(nws_source_product(f.src, url, &h, &e), RNR_ERR_NOTFOUND);
    assert_null(h);
    fx_stop(&f);
}

/* A broken answer is PARSE, whatever its parser called it. */
static void test_unreadable_answers_are_parse(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, "{\"path\": \"/nwps/v1/gauges/*\", \"status\": 200, "
                 "\"content_type\": \"application/json\", \"body\": \"[1, 2\"}");
    rnr_error e = {0};
    nwps_gauge g;
    assert_int_equal(nws_source_gauge(f.src, "RNRA1", &g, &e), RNR_ERR_PARSE);
    assert_int_equal(e.code, RNR_ERR_PARSE);
    nws_series s;
    assert_int_equal(nws_source_series(f.src, "RNRA1", &s, &e), RNR_OK);
    assert_int_equal(s.forecast.rc, RNR_ERR_PARSE);
    assert_null(s.forecast.s);
    assert_int_equal(s.observed.rc, RNR_ERR_NOTFOUND); /* not asked: no forecast */
    assert_int_equal(s.requests, 2);                   /* /stageflow, then /forecast */
    nws_series_clear(&s);
    fx_stop(&f);
}

static void test_series_in_one_request(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, NULL);
    rnr_error e = {0};
    nws_series s;
    assert_int_equal(nws_source_series(f.src, "RNRA1", &s, &e), RNR_OK);
    assert_int_equal(s.forecast.rc, RNR_OK);
    assert_int_equal(s.observed.rc, RNR_OK);
    assert_true(s.forecast.s->n > 0);
    assert_true(s.observed.s->n > 0);
    assert_string_equal(s.forecast.s->secondary_units, "kcfs");
    assert_int_equal(s.requests, 1);
    nws_series_clear(&s);
    /* no observations file: NWPS's empty series, still one request */
    assert_int_equal(nws_source_series(f.src, "rnrb1", &s, &e), RNR_OK);
    assert_int_equal(s.observed.rc, RNR_OK);
    assert_int_equal(s.observed.s->n, 0);
    assert_int_equal(s.requests, 1);
    nws_series_clear(&s);
    assert_int_equal(requests(&f, "/stageflow "), 2);
    assert_int_equal(requests(&f, "/stageflow/"), 0);
    /* an unknown gauge: /stageflow and /stageflow/forecast say 404 */
    assert_int_equal(nws_source_series(f.src, "NOPE1", &s, &e), RNR_OK);
    assert_int_equal(s.forecast.rc, RNR_ERR_NOTFOUND);
    assert_int_equal(s.observed.rc, RNR_ERR_NOTFOUND);
    assert_int_equal(s.requests, 2);
    nws_series_clear(&s);
    assert_int_equal(nws_source_series(f.src, "A/../B", &s, &e), RNR_ERR_INVALID);
    fx_stop(&f);
}

/* The answer lacks the observations: they are asked for alone. */
static void test_series_lacking_one_falls_back(void **state)
{
    (void)state;
    char path[700];
    snprintf(path, sizeof path, "%s/nwps/gauges/RNRA1.forecast.json", g_data);
    char *fc = tu_read_file(path, NULL);
    assert_non_null(fc);
    json_t *body = json_pack("{s:o}", "forecast", json_loads(fc, 0, NULL));
    free(fc);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    json_t *rule = json_pack("{s:s, s:i, s:s, s:s}", "path", "/nwps/v1/gauges/RNRA1/stageflow",
                             "status", 200, "content_type", "application/json", "body", text);
    free(text);
    char *rule_text = json_dumps(rule, JSON_COMPACT);
    json_decref(rule);
    fx f;
    fx_start(&f, rule_text);
    free(rule_text);
    rnr_error e = {0};
    nws_series s;
    assert_int_equal(nws_source_series(f.src, "RNRA1", &s, &e), RNR_OK);
    assert_int_equal(s.forecast.rc, RNR_OK);
    assert_int_equal(s.observed.rc, RNR_OK);
    assert_true(s.observed.s->n > 0);
    assert_int_equal(s.requests, 2);
    assert_int_equal(requests(&f, "/stageflow/forecast "), 0);
    assert_int_equal(requests(&f, "/stageflow/observed 200"), 1);
    nws_series_clear(&s);
    fx_stop(&f);
}

/* A 5xx on /stageflow: the per-product endpoints answer this time, and
 * the next gauge tries /stageflow again. */
static void test_series_failure_falls_back(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, "{\"path\": \"/nwps/v1/gauges/RNRA1/stageflow\", \"times\": 1, \"status\": 503}");
    rnr_error e = {0};
    nws_series s;
    assert_int_equal(nws_source_series(f.src, "RNRA1", &s, &e), RNR_OK);
    assert_int_equal(s.forecast.rc, RNR_OK);
    assert_int_equal(s.observed.rc, RNR_OK);
    assert_int_equal(s.requests, 3);
    nws_series_clear(&s);
    assert_int_equal(nws_source_series(f.src, "RNRC1", &s, &e), RNR_OK);
    assert_int_equal(s.requests, 1);
    nws_series_clear(&s);
    assert_int_equal(requests(&f, "RNRC1/stageflow 200"), 1);
    fx_stop(&f);
}

/* An NWPS without the combined endpoint (404 where the gauge has a
 * forecast): the source stops asking for it. */
static void test_series_without_combined_endpoint(void **state)
{
    (void)state;
    fx f;
    fx_start(&f, "[{\"path\": \"/nwps/v1/gauges/RNRA1/stageflow\", \"status\": 404},"
                 " {\"path\": \"/nwps/v1/gauges/RNRC1/stageflow\", \"status\": 404}]");
    rnr_error e = {0};
    nws_series s;
    assert_int_equal(nws_source_series(f.src, "RNRA1", &s, &e), RNR_OK);
    assert_int_equal(s.forecast.rc, RNR_OK);
    assert_int_equal(s.requests, 3);
    nws_series_clear(&s);
    assert_int_equal(nws_source_series(f.src, "RNRC1", &s, &e), RNR_OK);
    assert_int_equal(s.forecast.rc, RNR_OK);
    assert_int_equal(s.observed.rc, RNR_OK);
    assert_int_equal(s.requests, 2);
    nws_series_clear(&s);
    assert_int_equal(requests(&f, "RNRC1/stageflow "), 0);
    fx_stop(&f);
}

static void test_separate_mode(void **state)
{
    (void)state;
    setenv("RNR_NWPS_STAGEFLOW", "separate", 1);
    fx f;
    fx_start(&f, NULL);
    rnr_error e = {0};
    nws_series s;
    assert_int_equal(nws_source_series(f.src, "RNRA1", &s, &e), RNR_OK);
    assert_int_equal(s.forecast.rc, RNR_OK);
    assert_int_equal(s.observed.rc, RNR_OK);
    assert_int_equal(s.requests, 2);
    nws_series_clear(&s);
    assert_int_equal(requests(&f, "/stageflow "), 0);
    fx_stop(&f);

    setenv("RNR_NWPS_STAGEFLOW", "both", 1);
    rnr_nws *src = NULL;
    assert_int_equal(backend_open_nws(NULL, &src, &e), RNR_ERR_CONFIG);
    assert_null(src);
    assert_string_equal(e.msg, "RNR_NWPS_STAGEFLOW=\"both\": expected combined or separate");
}

static void test_open_checks_urls(void **state)
{
    (void)state;
    rnr_error e = {0};
    rnr_nws *src = NULL;
    nws_source_opts o = {.nws_url = "ftp://x"};
    assert_int_equal(backend_open_nws(&o, &src, &e), RNR_ERR_CONFIG);
    assert_string_equal(e.msg, "NWS_API_URL: 'ftp://x' is not an http(s) URL");
    setenv("NWPS_API_URL", "http://127.0.0.1:9/nwps/v1/", 1);
    assert_int_equal(backend_open_nws(NULL, &src, &e), RNR_OK);
    unsetenv("NWPS_API_URL");
    nws_source_free(src);
    nws_source_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_products_product_gauge, reset),
        cmocka_unit_test_setup(test_unreadable_answers_are_parse, reset),
        cmocka_unit_test_setup(test_series_in_one_request, reset),
        cmocka_unit_test_setup(test_series_lacking_one_falls_back, reset),
        cmocka_unit_test_setup(test_series_failure_falls_back, reset),
        cmocka_unit_test_setup(test_series_without_combined_endpoint, reset),
        cmocka_unit_test_setup(test_separate_mode, reset),
        cmocka_unit_test_setup(test_open_checks_urls, reset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
