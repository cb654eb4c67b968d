/* test_nws_nwps.c - NWPS gauge/stageflow parsing, units, routing decision (fixtures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "nws/decide.h"
#include "nws/nwps.h"
#include "nws/units.h"
#include "nwsref.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char gauge_json[] =
    "{\n  \"ForecastFloodCategory\":  \"moderate\", \"lid\":  \"TEST1\",\n"
    "  \"reachId\": \"123456\", \"name\": \"Test River\", \"newField\": {\"x\": [1]},\n"
    "  \"state\": {\"abbreviation\": \"TX\", \"name\": \"Texas\"},\n"
    "  \"rfc\": {\"abbreviation\": \"WGRFC\"}, \"wfo\": {\"abbreviation\": \"EWX\"},\n"
    "  \"downstreamLid\": \"DOWN1\", \"ObservedFloodCategory\": \"minor\",\n"
    "  \"pedts\": {\"observed\": \"HGIRG\", \"forecast\": \"HGIFF\"},\n"
    "  \"flood\": {\"stageUnits\": \"ft\", \"flowUnits\": \"cfs\", \"categories\": {\n"
    "    \"action\": {\"stage\": 6, \"flow\": -9999}, \"minor\": {\"stage\": 7.5, \"flow\": 1200},\n"
    "    \"moderate\": {\"stage\": 10}, \"major\": null}}}";

static void parse_gauge(const char *json, nwps_gauge *g)
{
    rnr_error err = {0};
    assert_int_equal(nwps_gauge_parse(json, strlen(json), g, &err), RNR_OK);
}

static void test_gauge_fields(void **state)
{
    (void)state;
    nwps_gauge g;
    parse_gauge(gauge_json, &g);
    assert_string_equal(g.lid, "TEST1");
    assert_int_equal(g.reach_status, NWPS_REACH_OK);
    assert_int_equal(g.reach_id, 123456);
    assert_string_equal(g.name, "Test River");
    assert_string_equal(g.state, "TX");
    assert_string_equal(g.rfc, "WGRFC");
    assert_string_equal(g.wfo, "EWX");
    assert_string_equal(g.downstream_lid, "DOWN1");
    assert_string_equal(g.forecast_category, "moderate");
    assert_string_equal(g.observed_category, "minor");
    assert_string_equal(g.pedts_forecast, "HGIFF");
    assert_string_equal(g.stage_units, "ft");
    assert_string_equal(g.flow_units, "cfs");
    assert_double_equal(g.stage_threshold[NWPS_CAT_ACTION], 6, 0);
    assert_true(isnan(g.flow_threshold[NWPS_CAT_ACTION]));
    assert_double_equal(g.stage_threshold[NWPS_CAT_MINOR], 7.5, 0);
    assert_double_equal(g.flow_threshold[NWPS_CAT_MINOR], 1200, 0);
    assert_double_equal(g.stage_threshold[NWPS_CAT_MODERATE], 10, 0);
    assert_true(isnan(g.flow_threshold[NWPS_CAT_MODERATE]));
    assert_true(isnan(g.stage_threshold[NWPS_CAT_MAJOR]));
    assert_string_equal(nwps_category_name(NWPS_CAT_MAJOR), "major");
    int reason = -1;
    assert_int_equal(nws_decide_gauge(&g, &reason), 1);
    assert_int_equal(reason, NWS_RUN);
}

static void test_gauge_reach_and_errors(void **state)
{
    (void)state;
    nwps_gauge g;
    rnr_error err = {0};
    int reason;
    parse_gauge("{\"lid\": \"A\", \"reachId\": \"\", \"ForecastFloodCategory\": \"major\"}", &g);
    assert_int_equal(g.reach_status, NWPS_REACH_NONE);
    assert_int_equal(nws_decide_gauge(&g, &reason), 0);
    assert_int_equal(reason, NWS_SKIP_NO_REACH_ID);
    parse_gauge("{\"lid\": \"A\", \"reachId\": \"12a4\", \"ForecastFloodCategory\": \"action\"}",
                &g);
    assert_int_equal(g.reach_status, NWPS_REACH_INVALID);
    assert_non_null(strstr(g.reach_reason, "12a4"));
    assert_int_equal(nws_decide_gauge(&g, &reason), 0);
    assert_int_equal(reason, NWS_SKIP_BAD_REACH_ID);
    parse_gauge("{\"lid\": \"A\", \"reachId\": 77, \"ForecastFloodCategory\": \"Minor\"}", &g);
    assert_int_equal(g.reach_id, 77);
    assert_int_equal(nws_decide_gauge(&g, &reason), 0); /* exact lower case only */
    assert_int_equal(reason, NWS_SKIP_NOT_FLOODING);
    parse_gauge("{\"lid\": \"A\", \"reachId\": \" 99 \", \"ForecastFloodCategory\": \"minor\","
                "\"wfo\": {\"abbreviation\": \"HFO\"}}",
                &g);
    assert_int_equal(g.reach_id, 99);
    assert_int_equal(nws_decide_gauge(&g, &reason), 0);
    assert_int_equal(reason, NWS_SKIP_UNSUPPORTED_WFO);
    parse_gauge("{\"lid\": \"A\", \"reachId\": \"99999999999999999999\"}", &g);
    assert_int_equal(g.reach_status, NWPS_REACH_INVALID);
    assert_int_equal(nwps_gauge_parse("{\"name\": \"x\"}", 13, &g, &err), RNR_ERR_PARSE);
    assert_non_null(strstr(err.msg, "lid"));
    assert_int_equal(nwps_gauge_parse("{\"lid\": ", 8, &g, &err), RNR_ERR_PARSE);
    assert_non_null(strstr(err.msg, "malformed JSON"));
    assert_int_equal(nwps_gauge_parse("[]", 2, &g, &err), RNR_ERR_PARSE);
}

static void test_units(void **state)
{
    (void)state;
    double f;
    assert_int_equal(nws_flow_factor("kcfs", &f), 0);
    assert_true(f == 28.316846592);
    assert_int_equal(nws_flow_factor("cfs", &f), 0);
    assert_true(f == 0.028316846592);
    assert_int_equal(nws_flow_factor("m3 s-1", &f), 0);
    assert_true(f == 1.0);
    assert_int_equal(nws_flow_factor("cms", &f), 0);
    assert_int_equal(nws_flow_factor("m3/s", &f), 0);
    assert_int_equal(nws_flow_factor("ft", &f), -1);
    assert_int_equal(nws_flow_factor("", &f), -1);
    assert_int_equal(nws_unit_kind("ft"), NWS_UNIT_STAGE);
    assert_int_equal(nws_unit_kind(""), NWS_UNIT_STAGE);
    assert_int_equal(nws_unit_kind("gallons"), NWS_UNIT_UNKNOWN);
    assert_true(isnan(nws_flow_convert(NAN, 28.316846592)));
    assert_true(nws_flow_convert(17.0, 28.316846592) == 17.0 * 28.316846592);
}

static nwps_stageflow *sf(const char *json)
{
    nwps_stageflow *s = NULL;
    rnr_error err = {0};
    assert_int_equal(nwps_stageflow_parse(json, strlen(json), &s, &err), RNR_OK);
    return s;
}

#define SF_HEAD(units, wfo)                                                                        \
    "{\"pedts\": \"HGIFF\", \"issuedTime\": \"2026-10-02T07:13:00Z\", \"wfo\": \"" wfo "\","       \
    " \"primaryName\": \"Stage\", \"primaryUnits\": \"ft\", \"secondaryName\": \"Flow\","          \
    " \"secondaryUnits\": \"" units "\", \"data\": ["
#define ROW(t, p, s) "{\"validTime\": \"" t "\", \"primary\": " p ", \"secondary\": " s "}"

static void test_build_cfs_and_observation(void **state)
{
    (void)state;
    nwps_gauge g;
    parse_gauge(gauge_json, &g);
    nwps_stageflow *f = sf(SF_HEAD("cfs", "EWX") ROW("2026-10-02T12:00:00Z", "4.5", "1000") "," ROW(
        "2026-10-02T18:00:00Z", "6", "2000.5") "]}");
    nwps_stageflow *o = sf(SF_HEAD("kcfs", "EWX") ROW("2026-10-02T10:00:00Z", "3", "0.5") "," ROW(
        "2026-10-02T10:15:00Z", "3.1", "-999") "," ROW("2026-10-02T10:30:00Z", "-9999",
                                                       "-9999") "]}");
    assert_int_equal(f->n, 2);
    assert_int_equal(f->issued_time, time_from_civil(2026, 10, 2, 7, 13, 0));
    assert_true(f->rows[0].generated_time == RNR_TIME_MISSING);
    rnr_forecast *fc = NULL;
    int reason = -1;
    rnr_error err = {0};
    assert_int_equal(nws_build_request(&g, f, o, &fc, &reason, &err), RNR_OK);
    assert_int_equal(reason, NWS_RUN);
    assert_string_equal(fc->lid, "TEST1");
    assert_string_equal(fc->downstream_lid, "DOWN1");
    assert_int_equal(fc->reach_id, 123456);
    assert_int_equal(fc->n, 2);
    assert_int_equal(fc->times[0], time_from_civil(2026, 10, 2, 12, 0, 0));
    assert_true(fc->flows[0] == 1000 * 0.028316846592);
    assert_true(fc->flows[1] == 2000.5 * 0.028316846592);
    assert_double_equal(fc->stages[1], 6, 0);
    assert_string_equal(fc->primary_name, "Stage");
    assert_string_equal(fc->primary_unit, "ft");
    assert_int_equal(fc->has_observation, 1);
    assert_true(fc->latest_observation == 0.5 * 28.316846592);
    assert_int_equal(fc->observation_time, time_from_civil(2026, 10, 2, 10, 0, 0));
    assert_int_equal(fc->issued_time, f->issued_time);
    assert_string_equal(fc->flood_category, "moderate");
    assert_string_equal(fc->state, "TX");
    assert_string_equal(fc->name, "Test River");
    assert_string_equal(fc->rfc, "WGRFC");
    assert_string_equal(fc->wfo, "EWX");
    assert_int_equal(forecast_validate(fc, &err), RNR_OK);
    forecast_free(fc);
    /* No observations at all. */
    assert_int_equal(nws_build_request(&g, f, NULL, &fc, &reason, &err), RNR_OK);
    assert_int_equal(fc->has_observation, 0);
    forecast_free(fc);
    nwps_stageflow_free(f);
    nwps_stageflow_free(o);
}

/* Observations that give no usable flow leave has_observation at 0. */
static void test_observation_unusable(void **state)
{
    (void)state;
    nwps_gauge g;
    parse_gauge(gauge_json, &g);
    nwps_stageflow *f = sf(SF_HEAD("kcfs", "EWX") ROW("2026-10-02T12:00:00Z", "4.5", "1") "]}");
    const char *obs[] = {
        SF_HEAD("ft", "EWX") ROW("2026-10-02T10:00:00Z", "3", "0.5") "]}",
        SF_HEAD("kcfs", "EWX") ROW("2026-10-02T10:00:00Z", "3",
                                   "-999") "," ROW("2026-10-02T10:15:00Z", "3", "null") "]}",
        SF_HEAD("kcfs", "EWX") ROW("not a time", "3", "0.5") "]}",
        SF_HEAD("kcfs", "EWX") "]}",
    };
    for (size_t i = 0; i < sizeof obs / sizeof obs[0]; i++) {
        nwps_stageflow *o = sf(obs[i]);
        rnr_forecast *fc = NULL;
        int reason;
        rnr_error err = {0};
        assert_int_equal(nws_build_request(&g, f, o, &fc, &reason, &err), RNR_OK);
        assert_int_equal(fc->has_observation, 0);
        assert_true(fc->observation_time == RNR_TIME_MISSING);
        forecast_free(fc);
        nwps_stageflow_free(o);
    }
    nwps_stageflow_free(f);
}

static void expect_skip(const nwps_gauge *g, const char *forecast, int want, const char *msg)
{
    nwps_stageflow *f = sf(forecast);
    rnr_forecast *fc = NULL;
    int reason = -1;
    rnr_error err = {0};
    assert_int_equal(nws_build_request(g, f, NULL, &fc, &reason, &err), RNR_ERR_INVALID);
    assert_null(fc);
    assert_int_equal(reason, want);
    if (!strstr(err.msg, msg))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, msg);
    nwps_stageflow_free(f);
}

static void test_build_skips(void **state)
{
    (void)state;
    nwps_gauge g;
    parse_gauge(gauge_json, &g);
    expect_skip(
        &g,
        SF_HEAD("kcfs", "EWX") ROW("2026-10-02T12:00:00Z", "1", "-999") "," ROW(
            "2026-10-02T18:00:00Z", "1", "2") "," ROW("2026-10-03T00:00:00Z", "1", "null") "]}",
        NWS_SKIP_MISSING_FLOWS, "gauge TEST1: 2 of 3 forecast flows missing");
    expect_skip(&g, SF_HEAD("kcfs", "EWX") ROW("2026-10-02T12:00:00Z", "1", "-9999") "]}",
                NWS_SKIP_MISSING_FLOWS, "1 of 1 forecast flows missing");
    expect_skip(&g, SF_HEAD("ft", "EWX") ROW("2026-10-02T12:00:00Z", "1", "2") "]}",
                NWS_SKIP_STAGE_ONLY, "stage-only");
    expect_skip(&g, SF_HEAD("", "EWX") ROW("2026-10-02T12:00:00Z", "1", "2") "]}",
                NWS_SKIP_STAGE_ONLY, "stage-only");
    expect_skip(&g, SF_HEAD("acre-ft", "EWX") ROW("2026-10-02T12:00:00Z", "1", "2") "]}",
                NWS_SKIP_UNSUPPORTED_UNITS, "acre-ft");
    expect_skip(&g, SF_HEAD("kcfs", "EWX") "]}", NWS_SKIP_NO_FORECAST, "no forecast");
    expect_skip(&g, SF_HEAD("kcfs", "AJK") ROW("2026-10-02T12:00:00Z", "1", "2") "]}",
                NWS_SKIP_UNSUPPORTED_WFO, "AJK");
    expect_skip(&g,
                SF_HEAD("kcfs", "EWX") ROW("2026-10-02T12:00:00Z", "1",
                                           "2") "," ROW("2026-10-02T12:00:00Z", "1", "2") "]}",
                NWS_SKIP_BAD_TIMES, "not increasing at row 1");
    expect_skip(&g, SF_HEAD("kcfs", "EWX") ROW("garbage", "1", "2") "]}", NWS_SKIP_BAD_TIMES,
                "row 0 has no valid time");
    expect_skip(&g, SF_HEAD("kcfs", "EWX") ROW("2026-10-02T12:00:00Z", "1", "-5") "]}",
                NWS_SKIP_INVALID_FLOWS, "negative");
    expect_skip(&g, SF_HEAD("kcfs", "EWX") ROW("2026-10-02T12:00:00Z", "1", "1e308") "]}",
                NWS_SKIP_INVALID_FLOWS, "out of range");
    nwps_gauge quiet;
    parse_gauge("{\"lid\": \"Q1\", \"reachId\": \"5\", \"ForecastFloodCategory\": \"no_flooding\"}",
                &quiet);
    expect_skip(&quiet, SF_HEAD("kcfs", "EWX") "]}", NWS_SKIP_NOT_FLOODING, "no_flooding");
}

static void test_discharge_primary(void **state)
{
    (void)state;
    nwps_gauge g;
    parse_gauge(gauge_json, &g);
    nwps_stageflow *f =
        sf("{\"pedts\": \"QRIFF\", \"primaryName\": \"Flow\", \"primaryUnits\": \"kcfs\","
           " \"secondaryName\": \"Stage\", \"secondaryUnits\": \"ft\", \"data\": [" ROW(
               "2026-10-02T12:00:00Z", "2", "5.5") "]}");
    rnr_forecast *fc = NULL;
    int reason;
    rnr_error err = {0};
    assert_int_equal(nws_build_request(&g, f, NULL, &fc, &reason, &err), RNR_OK);
    assert_true(fc->flows[0] == 2 * 28.316846592);
    assert_double_equal(fc->stages[0], 5.5, 0);
    assert_string_equal(fc->primary_name, "Stage");
    assert_string_equal(fc->wfo, "EWX"); /* forecast wfo absent: the gauge's */
    forecast_free(fc);
    nwps_stageflow_free(f);
}

static void test_stageflow_bad_and_names(void **state)
{
    (void)state;
    nwps_stageflow *s = NULL;
    rnr_error err = {0};
    assert_int_equal(nwps_stageflow_parse("{\"data\": 5}", 11, &s, &err), RNR_ERR_PARSE);
    if (!strstr(err.msg, "\"data\""))
        fail_msg("%s", err.msg);
    assert_int_equal(nwps_stageflow_parse("{\"data\": [", 10, &s, &err), RNR_ERR_PARSE);
    assert_null(s);
    s = sf("{\"issuedTime\": \"0001-01-01T00:00:00Z\"}");
    assert_int_equal(s->n, 0);
    assert_true(s->issued_time == RNR_TIME_MISSING);
    nwps_stageflow_free(s);
    assert_string_equal(nws_skip_name(NWS_SKIP_NOT_FLOODING), "not_flooding");
    assert_string_equal(nws_skip_name(NWS_SKIP_MISSING_FLOWS), "missing_flows");
    assert_string_equal(nws_skip_name(NWS_SKIP_GAUGE_NOT_FOUND), "gauge_not_found");
    assert_string_equal(nws_skip_name(NWS_SKIP_COUNT), "unknown");
    assert_string_equal(nws_skip_name(-1), "unknown");
    for (int i = 0; i < NWS_SKIP_COUNT; i++) {
        assert_non_null(nws_skip_name(i));
        assert_true(strlen(nws_skip_message(i)) > 5);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(nws_skip_name(i), nws_skip_name(j));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gauge_fields),
        cmocka_unit_test(test_gauge_reach_and_errors),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_build_cfs_and_observation),
        cmocka_unit_test(test_build_skips),
        cmocka_unit_test(test_observation_unusable),
        cmocka_unit_test(test_discharge_primary),
        cmocka_unit_test(test_stageflow_bad_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
