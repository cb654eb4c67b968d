/* test_nws_processed.c - ProcessedData JSON read/write (fixtures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/forecast.h"
#include "core/timeutil.h"
#include "nws/processed.h"
#include "nwsref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char kcfs_doc[] =
    "{\"lid\": \"ABCD1\", \"downstream_lid\": null, \"reach\": {\"id\": \"42\","
    " \"times\": [\"2025-05-05T21:00:00\", \"2025-05-06T00:00:00Z\", \"2025-05-06T03:00:00+00:00\"],"
    " \"primary_name\": \"Stage\", \"primary_forecast\": [1.5, null, 2.5], \"primary_unit\": \"ft\","
    " \"latest_observation\": 1000, \"latest_obs_units\": \"cfs\", \"secondary_name\": \"Flow\","
    " \"secondary_forecast\": [17, 17.5, 0], \"secondary_unit\": \"kcfs\"},"
    " \"flood_category\": \"major\", \"state\": \"TX\", \"name\": \"A river\", \"rfc\": \"WGRFC\","
    " \"wfo\": \"EWX\", \"issued_time\": \"2025-05-05T18:00:00Z\", \"unknown\": 1}";

static rnr_forecast *read_ok(const char *json)
{
    rnr_forecast *f = NULL;
    rnr_error err = {0};
    int rc = nws_processed_read(json, strlen(json), &f, &err);
    if (rc)
        fail_msg("read failed: %s", err.msg);
    return f;
}

static void test_read_converts(void **state)
{
    (void)state;
    rnr_forecast *f = read_ok(kcfs_doc);
    assert_string_equal(f->lid, "ABCD1");
    assert_string_equal(f->downstream_lid, "");
    assert_int_equal(f->reach_id, 42);
    assert_int_equal(f->n, 3);
    assert_int_equal(f->times[0], time_from_civil(2025, 5, 5, 21, 0, 0));
    assert_int_equal(f->times[2], time_from_civil(2025, 5, 6, 3, 0, 0));
    assert_true(f->flows[0] == 17 * 28.316846592);
    assert_true(f->flows[1] == 17.5 * 28.316846592);
    assert_true(f->flows[2] == 0);
    assert_double_equal(f->stages[0], 1.5, 0);
    assert_true(isnan(f->stages[1]));
    assert_int_equal(f->has_observation, 1);
    assert_true(f->latest_observation == 1000 * 0.028316846592);
    assert_string_equal(f->flood_category, "major");
    assert_string_equal(f->state, "TX");
    assert_string_equal(f->name, "A river");
    assert_string_equal(f->rfc, "WGRFC");
    assert_string_equal(f->wfo, "EWX");
    assert_int_equal(f->issued_time, time_from_civil(2025, 5, 5, 18, 0, 0));
    forecast_free(f);
}

static void test_roundtrip(void **state)
{
    (void)state;
    rnr_forecast *f = read_ok(kcfs_doc);
    char *json = NULL;
    rnr_error err = {0};
    assert_int_equal(nws_processed_write(f, &json, &err), RNR_OK);
    assert_non_null(strstr(json, "\"times\": [\n            \"2025-05-05T21:00:00\""));
    assert_non_null(strstr(json, "\"secondary_unit\": \"m3 s-1\""));
    assert_non_null(strstr(json, "\"latest_obs_units\": \"m3 s-1\""));
    assert_non_null(strstr(json, "\"issued_time\": \"2025-05-05T18:00:00Z\""));
    /* Key order: lid, downstream_lid, reach, then metadata. */
    assert_true(strstr(json, "\"lid\"") < strstr(json, "\"downstream_lid\""));
    assert_true(strstr(json, "\"reach\"") < strstr(json, "\"flood_category\""));
    rnr_forecast *g = read_ok(json);
    assert_int_equal(g->n, f->n);
    for (size_t i = 0; i < f->n; i++) {
        assert_int_equal(g->times[i], f->times[i]);
        assert_true(g->flows[i] == f->flows[i]);
    }
    assert_true(isnan(g->stages[1]));
    assert_true(g->latest_observation == f->latest_observation);
    assert_int_equal(g->reach_id, 42);
    assert_string_equal(g->name, "A river");
    assert_int_equal(g->issued_time, f->issued_time);
    free(json);
    forecast_free(g);
    forecast_free(f);
}

static void expect_bad(const char *json, const char *needle)
{
    rnr_forecast *f = NULL;
    rnr_error err = {0};
    int rc = nws_processed_read(json, strlen(json), &f, &err);
    assert_true(rc == RNR_ERR_INVALID || rc == RNR_ERR_PARSE);
    assert_null(f);
    if (!strstr(err.msg, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

#define DOC(times, flows, unit)                                                                    \
    "{\"lid\": \"X1\", \"reach\": {\"id\": 5, \"times\": " times                                   \
    ", \"secondary_forecast\": " flows ", \"secondary_unit\": " unit "}}"

static void test_read_rejects(void **state)
{
    (void)state;
    expect_bad("{\"lid\": ", "malformed JSON");
    expect_bad("[]", "not a JSON object");
    expect_bad("{\"reach\": {}}", "\"lid\"");
    expect_bad("{\"lid\": \"X1\"}", "\"reach\"");
    expect_bad(DOC("[]", "[]", "\"m3 s-1\""), "reach.times is missing or empty");
    expect_bad(DOC("[\"2025-01-01T00:00:00\"]", "[null]", "\"m3 s-1\""),
               "reach.secondary_forecast[0] is missing");
    expect_bad(DOC("[\"2025-01-01T00:00:00\"]", "[-999]", "\"m3 s-1\""),
               "reach.secondary_forecast[0] is missing");
    expect_bad(DOC("[\"2025-01-01T00:00:00\", \"2025-01-01T01:00:00\"]", "[1, -2]", "\"kcfs\""),
               "reach.secondary_forecast[1] is negative");
    expect_bad(DOC("[\"2025-01-01T01:00:00\", \"2025-01-01T01:00:00\"]", "[1, 2]", "\"cfs\""),
               "reach.times[1] is not after");
    expect_bad(DOC("[\"2025-01-01T01:00:00\", \"soon\"]", "[1, 2]", "\"cfs\""),
               "reach.times[1] is not a time");
    expect_bad(DOC("[\"2025-01-01T01:00:00\"]", "[1, 2]", "\"cfs\""),
               "reach.secondary_forecast has 2 values for 1 times");
    expect_bad(DOC("[\"2025-01-01T01:00:00\"]", "[1]", "\"ft\""), "reach.secondary_unit \"ft\"");
    expect_bad(DOC("[\"2025-01-01T01:00:00\"]", "[1]", "null"), "reach.secondary_unit \"\"");
    expect_bad(DOC("[\"2025-01-01T01:00:00\"]", "[1]", "7"), "\"secondary_unit\" is not a string");
    expect_bad(
        "{\"lid\": \"X1\", \"reach\": {\"id\": \"abc\", \"times\": [\"2025-01-01T01:00:00\"]}}",
        "reach.id");
    /* m3/s spellings all read unchanged. */
    rnr_forecast *f = read_ok(DOC("[\"2025-01-01T01:00:00\"]", "[3.25]", "\"cms\""));
    assert_true(f->flows[0] == 3.25);
    assert_int_equal(f->has_observation, 0);
    forecast_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_converts),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_read_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
