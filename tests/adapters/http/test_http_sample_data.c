/* test_http_sample_data.c - data/sample/nws served by rnr-fixture-server and
 * read through the NWS fetchers: the product list, every product by its
 * `@id`, every gauge of data/sample/gauges.csv and the stageflow series the
 * README promises (row counts, units, sentinels, the 96 h span). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/http.h"
#include "adapters/nws_client.h"
#include "core/timeutil.h"
#include "fixture_proc.h"

static char g_dir[256];
static fixture_proc g_fx;
static http_client *g_c;

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("RNR_SOURCE_DIR");
    if (!src)
        return -1;
    char data[512];
    snprintf(data, sizeof data, "%s/data/sample/nws", src);
    snprintf(g_dir, sizeof g_dir, "/tmp/rnr-http-sample-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    if (fixture_start(&g_fx, data, g_dir) != 0)
        return -1;
    http_opts o = {0};
    o.rate = -1;
    o.max_attempts = 1;
    return http_client_new(&o, &g_c, NULL) == RNR_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    http_client_free(g_c);
    int rc = fixture_stop(&g_fx);
    return fixture_rmtree(g_dir) == 0 ? rc : -1;
}

static json_t *parse(char *body, size_t len)
{
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    free(body);
    assert_non_null(j);
    return j;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_products(void **state)
{
    (void)state;
    char *body;
    size_t len;
    rnr_error e;
    assert_int_equal(nws_fetch_products(g_c, g_fx.base, &body, &len, &e), RNR_OK);
    json_t *list = parse(body, len);
    json_t *graph = json_object_get(list, "@graph");
    assert_int_equal(json_array_size(graph), 3);
    static const struct {
        const char *id, *time, *heading;
        size_t docs;
    } want[] = {
        {"7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10", "2026-03-14T09:12:00+00:00", "SRUS54 KRNR 140912",
         5},
        {"e09d5f37-1c6a-4b82-9d4e-6f31b07a2c58", "2026-03-14T10:05:00+00:00", "SRUS54 KRNR 141005",
         4},
        {"31b8a6d2-9e47-4f05-a3c1-d85e2f604b97", "2026-03-14T08:30:00+00:00", "SRUS56 KRNS 140830",
         3},
    };
    for (size_t i = 0; i < 3; i++) {
        json_t *it = json_array_get(graph, i);
        char url[256];
        snprintf(url, sizeof url, "%s/products/%s", g_fx.base, want[i].id);
        assert_string_equal(json_string_value(json_object_get(it, "@id")), url);
        assert_string_equal(json_string_value(json_object_get(it, "id")), want[i].id);
        assert_string_equal(json_string_value(json_object_get(it, "issuanceTime")), want[i].time);
        assert_string_equal(json_string_value(json_object_get(it, "productCode")), "HML");
        assert_int_equal(nws_fetch_product(g_c, url, &body, &len, &e), RNR_OK);
        json_t *p = parse(body, len);
        const char *text = json_string_value(json_object_get(p, "productText"));
        assert_non_null(text);
        assert_non_null(strstr(text, want[i].heading));
        assert_int_equal(count(text, "<?xml version=\"1.0\" standalone=\"yes\"?>"), want[i].docs);
        assert_int_equal(count(text, "</site>"), want[i].docs);
        json_decref(p);
    }
    /* want[] is file order: 09:12, 10:05, 08:30, deliberately unsorted. */
    json_decref(list);
    /* Envelope variants: NOAAPort (SOH, \r\r\n, ETX) in the first. */
    char url[256];
    snprintf(url, sizeof url, "%s/products/%s", g_fx.base, want[0].id);
    assert_int_equal(nws_fetch_product(g_c, url, &body, &len, &e), RNR_OK);
    json_t *p = parse(body, len);
    const char *text = json_string_value(json_object_get(p, "productText"));
    assert_int_equal(text[0], '\x01');
    assert_int_equal(text[strlen(text) - 1], '\x03');
    assert_int_equal(count(text, "\r\r\n"), count(text, "\n"));
    json_decref(p);
}

static json_t *gauge(const char *lid, int want_rc)
{
    char *body = NULL;
    size_t len;
    rnr_error e;
    int rc = nwps_fetch_gauge(g_c, g_fx.nwps, lid, &body, &len, &e);
    assert_int_equal(rc, want_rc);
    return rc == RNR_OK ? parse(body, len) : NULL;
}

static json_t *series(const char *lid, const char *product)
{
    char *body;
    size_t len;
    rnr_error e;
    assert_int_equal(nwps_fetch_stageflow(g_c, g_fx.nwps, lid, product, &body, &len, &e), RNR_OK);
    return parse(body, len);
}

static void test_gauges_match_csv(void **state)
{
    (void)state;
    char path[512], line[512];
    snprintf(path, sizeof path, "%s/data/sample/gauges.csv", getenv("RNR_SOURCE_DIR"));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char *lid = strtok(line, ",");
        char *reach = strtok(NULL, ",");
        char *scenario = strtok(NULL, "\n");
        assert_non_null(scenario);
        json_t *g = gauge(lid, RNR_OK);
        assert_string_equal(json_string_value(json_object_get(g, "lid")), lid);
        assert_string_equal(json_string_value(json_object_get(g, "reachId")), reach);
        const char *cat = json_string_value(json_object_get(g, "ForecastFloodCategory"));
        /* The scenario text starts with the category ("minor flooding; ..."). */
        assert_memory_equal(scenario, cat, strlen(cat));
        json_t *st = json_object_get(json_object_get(g, "status"), "forecast");
        assert_string_equal(json_string_value(json_object_get(st, "floodCategory")), cat);
        json_decref(g);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 6);
    assert_null(gauge("RNRG1", RNR_ERR_NOTFOUND));
    json_t *h = gauge("rnrh1", RNR_OK);
    assert_string_equal(json_string_value(json_object_get(h, "reachId")), "");
    assert_string_equal(json_string_value(json_object_get(h, "ForecastFloodCategory")), "moderate");
    json_decref(h);
}

/* Rows, units, span in hours, and how many flows are sentinels. */
static void check_series(const char *lid, const char *product, size_t rows, const char *units,
                         int64_t span_h, size_t missing)
{
    json_t *s = series(lid, product);
    json_t *data = json_object_get(s, "data");
    assert_int_equal(json_array_size(data), rows);
    assert_string_equal(json_string_value(json_object_get(s, "secondaryUnits")), units);
    if (rows == 0) {
        json_decref(s);
        return;
    }
    int64_t t0, t1;
    assert_int_equal(
        time_parse_iso(json_string_value(json_object_get(json_array_get(data, 0), "validTime")),
                       &t0),
        0);
    assert_int_equal(
        time_parse_iso(
            json_string_value(json_object_get(json_array_get(data, rows - 1), "validTime")), &t1),
        0);
    assert_int_equal((t1 - t0) / 3600, span_h);
    size_t miss = 0;
    for (size_t i = 0; i < rows; i++)
        if (json_number_value(json_object_get(json_array_get(data, i), "secondary")) <= -999)
            miss++;
    assert_int_equal(miss, missing);
    json_decref(s);
}

static void test_stageflow(void **state)
{
    (void)state;
    check_series("RNRA1", "forecast", 17, "kcfs", 96, 0);
    check_series("RNRB1", "forecast", 33, "cfs", 96, 0);
    check_series("RNRC1", "forecast", 17, "kcfs", 96, 0);
    check_series("RNRE1", "forecast", 17, "", 96, 17);
    check_series("RNRF1", "forecast", 17, "kcfs", 96, 17);
    check_series("RNRA1", "observed", 12, "kcfs", 2, 0);
    check_series("RNRB1", "observed", 0, "", 0, 0);
    check_series("RNRC1", "observed", 13, "kcfs", 3, 3);
    /* RNRC1's sentinels are the trailing rows: the latest real one is 08:45Z. */
    json_t *s = series("RNRC1", "observed");
    json_t *row = json_array_get(json_object_get(s, "data"), 9);
    assert_string_equal(json_string_value(json_object_get(row, "validTime")),
                        "2026-03-14T08:45:00Z");
    assert_true(json_number_value(json_object_get(row, "secondary")) > 11.9);
    json_decref(s);
    /* Each flooding hydrograph rises to one crest and falls. */
    s = series("RNRC1", "forecast");
    json_t *data = json_object_get(s, "data");
    size_t peak = 0;
    for (size_t i = 1; i < json_array_size(data); i++)
        if (json_number_value(json_object_get(json_array_get(data, i), "secondary")) >
            json_number_value(json_object_get(json_array_get(data, peak), "secondary")))
            peak = i;
    assert_int_equal(peak, 7);
    assert_true(json_number_value(json_object_get(json_array_get(data, peak), "secondary")) ==
                48.5);
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_products),
        cmocka_unit_test(test_gauges_match_csv),
        cmocka_unit_test(test_stageflow),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
