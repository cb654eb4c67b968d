/* test_nws_reference.c - every real payload in reference/nws (and HPDT2.json)
 * parses to the values a person reads in it. Skips without reference data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/forecast.h"
#include "core/timeutil.h"
#include "nws/decide.h"
#include "nws/hml.h"
#include "nws/nwps.h"
#include "nws/processed.h"
#include "nws/products.h"
#include "nwsref.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *ref(const char *name, size_t *len)
{
    char *s = nwsref_read("nws", name, len);
    if (!s)
        fail_msg("cannot read reference file nws/%s", name);
    return s;
}

static nws_hml_product *hml(const char *name)
{
    size_t len = 0;
    char *text = ref(name, &len);
    nws_hml_product *p = NULL;
    rnr_error err = {0};
    int rc = nws_hml_parse(text, len, NULL, &p, &err);
    free(text);
    if (rc)
        fail_msg("%s: %s", name, err.msg);
    return p;
}

static void test_hmlarx(void **state)
{
    (void)state;
    nws_hml_product *p = hml("product_text_HMLARX_2016-08-26_multisite.txt");
    assert_string_equal(p->wmo_heading, "SRUS56 KARX 260754");
    assert_string_equal(p->awips_id, "HMLARX");
    assert_int_equal(p->n_documents, 37);
    assert_int_equal(p->n_sites, 37);
    assert_int_equal(p->n_failed, 0);
    assert_int_equal(p->n_duplicates, 0);
    assert_string_equal(p->sites[0].lid, "AGRI4");
    assert_string_equal(p->sites[36].lid, "ZUMM5");
    size_t observed = 0, forecast = 0, obs_rows = 0;
    for (size_t i = 0; i < p->n_sites; i++) {
        assert_int_equal(strlen(p->sites[i].lid), 5);
        assert_string_equal(p->sites[i].originator, "ARX");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(p->sites[i].lid, p->sites[j].lid);
        if (p->sites[i].observed) {
            observed++;
            obs_rows += p->sites[i].observed->n;
        }
        if (p->sites[i].forecast)
            forecast++;
    }
    assert_int_equal(observed, 35);
    assert_int_equal(forecast, 2);
    assert_int_equal(obs_rows, 153 - 2 * 28);

    const nws_hml_site *a = nws_hml_find(p, "AGRI4");
    assert_string_equal(a->name, "CEDAR RIVER 2 S St. Ansgar");
    assert_string_equal(a->timezone, "CST6CDT");
    assert_int_equal(a->generated, time_from_civil(2016, 8, 26, 7, 54, 7));
    assert_string_equal(a->observed->pedts, "HGIRP");
    assert_int_equal(a->observed->n, 1);
    assert_int_equal(a->observed->rows[0].valid, time_from_civil(2016, 8, 26, 7, 30, 0));
    assert_double_equal(a->observed->rows[0].primary, 8.59, 0);
    assert_true(isnan(a->observed->rows[0].secondary));

    const nws_hml_site *c = nws_hml_find(p, "CCYI4");
    assert_string_equal(c->name, "Cedar River  AT Charles City");
    assert_int_equal(c->observed->n, 4);
    assert_double_equal(c->observed->rows[3].primary, 9.57, 0);
    assert_double_equal(c->observed->rows[3].secondary, 6.9, 0);

    const nws_hml_site *e = nws_hml_find(p, "EKDI4");
    assert_null(e->observed);
    assert_string_equal(e->forecast->pedts, "HGIFE");
    assert_string_equal(e->forecast->primary_name, "Stage");
    assert_string_equal(e->forecast->secondary_units, "kcfs");
    assert_int_equal(e->forecast->issued, time_from_civil(2016, 8, 26, 7, 46, 0));
    assert_int_equal(e->forecast->n, 28);
    assert_int_equal(e->forecast->rows[0].valid, time_from_civil(2016, 8, 26, 12, 0, 0));
    assert_double_equal(e->forecast->rows[0].primary, 24.3, 0);
    assert_double_equal(e->forecast->rows[0].secondary, 29.8, 0);
    assert_int_equal(e->forecast->rows[27].valid, time_from_civil(2016, 9, 2, 6, 0, 0));
    assert_double_equal(e->forecast->rows[27].primary, 6.8, 0);
    assert_double_equal(e->forecast->rows[27].secondary, 1.05, 0);
    assert_int_equal(nws_hml_find(p, "GRBI4")->forecast->n, 28);
    assert_string_equal(nws_hml_find(p, "NUAI4")->timezone, "GMT0GMT");
    nws_hml_product_free(p);
}

/* The worker's path: api.weather.gov wraps the bulletin (SOH, \r\r\n, ETX
 * and all) as productText in a JSON product. */
static void test_hmlarx_through_product_json(void **state)
{
    (void)state;
    size_t len = 0;
    char *raw = ref("product_text_HMLARX_2016-08-26_multisite.txt", &len);
    json_t *o = json_pack("{s:s, s:s, s:s#}", "id", "hmlarx-test", "productCode", "HML",
                          "productText", raw, (int)len);
    assert_non_null(o);
    char *body = json_dumps(o, JSON_INDENT(4));
    json_decref(o);
    assert_non_null(strstr(body, "\\u0001"));
    char *text;
    size_t tlen;
    rnr_error err = {0};
    assert_int_equal(nws_product_text_parse(body, strlen(body), &text, &tlen, &err), RNR_OK);
    assert_int_equal(tlen, len);
    assert_memory_equal(text, raw, len);
    nws_hml_product *p;
    assert_int_equal(nws_hml_parse(text, tlen, NULL, &p, &err), RNR_OK);
    assert_int_equal(p->n_sites, 37);
    nws_hml_product_free(p);
    free(text);
    free(body);
    free(raw);
}

static void test_hmlmob(void **state)
{
    (void)state;
    nws_hml_product *p = hml("product_text_HMLMOB_2020-09-26_tide_gauge.txt");
    assert_string_equal(p->wmo_heading, "SRUS54 KMOB 261409");
    assert_string_equal(p->awips_id, "HMLMOB");
    assert_int_equal(p->n_sites, 1);
    assert_int_equal(p->n_failed, 0);
    const nws_hml_site *s = &p->sites[0];
    assert_string_equal(s->lid, "EFRA1");
    assert_string_equal(s->name, "FOWL RIVER  AT EAST FOWL RIVER BRIDGE Tide gauge");
    assert_string_equal(s->originator, "MOB");
    assert_null(s->forecast);
    assert_string_equal(s->observed->pedts, "HCIRG");
    assert_string_equal(s->observed->primary_name, "Water Height (MHHW)");
    assert_string_equal(s->observed->primary_units, "ft");
    assert_int_equal(s->observed->n, 2);
    assert_int_equal(s->observed->rows[0].valid, time_from_civil(2020, 9, 26, 13, 36, 0));
    assert_int_equal(s->observed->rows[1].valid, time_from_civil(2020, 9, 26, 13, 42, 0));
    assert_double_equal(s->observed->rows[0].primary, 1.26, 0);
    assert_double_equal(s->observed->rows[1].primary, 1.25, 0);
    assert_true(isnan(s->observed->rows[0].secondary));
    assert_true(isnan(s->observed->rows[1].secondary));
    nws_hml_product_free(p);
}

static void test_afd_list_and_product(void **state)
{
    (void)state;
    size_t len = 0;
    char *s = ref("products_list_NOT_HML_format_reference_AFD_TAE.jsonld", &len);
    nws_product_list *l = NULL;
    rnr_error err = {0};
    assert_int_equal(nws_products_parse(s, len, &l, &err), RNR_OK);
    free(s);
    assert_int_equal(l->n, 10);
    assert_int_equal(l->skipped, 0);
    assert_string_equal(l->items[0].id, "3197c752-b082-4ea6-85d8-98f5689c8ad1");
    assert_int_equal(l->items[0].issued, time_from_civil(2024, 8, 19, 23, 41, 0));
    assert_string_equal(l->items[9].id, "12c9be7e-414e-4fae-a0a1-b02e50ff2070");
    assert_string_equal(l->items[9].url,
                        "https://api.weather.gov/products/12c9be7e-414e-4fae-a0a1-b02e50ff2070");
    assert_string_equal(l->items[9].wmo_collective_id, "FXUS62");
    assert_string_equal(l->items[9].issuing_office, "KTAE");
    assert_string_equal(l->items[9].product_code, "AFD");
    assert_string_equal(l->items[9].product_name, "Area Forecast Discussion");
    for (size_t i = 1; i < l->n; i++)
        assert_true(l->items[i].issued > l->items[i - 1].issued);
    char *msg;
    assert_int_equal(nws_product_to_message(&l->items[9], &msg, &err), RNR_OK);
    nws_product back;
    assert_int_equal(nws_product_from_message(msg, strlen(msg), &back, &err), RNR_OK);
    assert_string_equal(back.issuance_time, "2024-08-21T00:41:00+00:00");
    assert_string_equal(back.url, l->items[9].url);
    nws_product_clear(&back);
    free(msg);
    nws_product_list_free(l);

    s = ref("product_NOT_HML_format_reference_AFD_12c9be7e.json", &len);
    char *text;
    size_t tlen;
    assert_int_equal(nws_product_text_parse(s, len, &text, &tlen, &err), RNR_OK);
    free(s);
    assert_memory_equal(text, "\n000\nFXUS62 KTAE 210041\nAFDTAE\n\n", 31);
    nws_hml_product *p;
    assert_int_equal(nws_hml_parse(text, tlen, NULL, &p, &err), RNR_OK);
    assert_int_equal(p->n_sites, 0);
    assert_string_equal(p->wmo_heading, "FXUS62 KTAE 210041");
    nws_hml_product_free(p);
    free(text);
}

static void gauge(const char *name, nwps_gauge *g)
{
    size_t len = 0;
    char *s = ref(name, &len);
    rnr_error err = {0};
    int rc = nwps_gauge_parse(s, len, g, &err);
    free(s);
    if (rc)
        fail_msg("%s: %s", name, err.msg);
}

static nwps_stageflow *stageflow(const char *name)
{
    size_t len = 0;
    char *s = ref(name, &len);
    nwps_stageflow *f = NULL;
    rnr_error err = {0};
    int rc = nwps_stageflow_parse(s, len, &f, &err);
    free(s);
    if (rc)
        fail_msg("%s: %s", name, err.msg);
    return f;
}

static void test_amat2(void **state)
{
    (void)state;
    nwps_gauge g;
    gauge("nwps_gauge_AMAT2.json", &g);
    assert_string_equal(g.lid, "AMAT2");
    assert_int_equal(g.reach_status, NWPS_REACH_OK);
    assert_int_equal(g.reach_id, 19984864);
    assert_string_equal(g.name, "Canadian River at Amarillo");
    assert_string_equal(g.state, "TX");
    assert_string_equal(g.rfc, "ABRFC");
    assert_string_equal(g.wfo, "AMA");
    assert_string_equal(g.downstream_lid, "MRIT2");
    assert_string_equal(g.forecast_category, "minor");
    assert_string_equal(g.observed_category, "no_flooding");
    assert_double_equal(g.stage_threshold[NWPS_CAT_ACTION], 6, 0);
    assert_double_equal(g.stage_threshold[NWPS_CAT_MINOR], 7, 0);
    assert_double_equal(g.stage_threshold[NWPS_CAT_MODERATE], 10, 0);
    assert_double_equal(g.stage_threshold[NWPS_CAT_MAJOR], 15, 0);
    for (int i = 0; i < NWPS_CAT_COUNT; i++)
        assert_true(isnan(g.flow_threshold[i]));
    assert_string_equal(g.stage_units, "ft");
    assert_string_equal(g.flow_units, "cfs");
    int reason = -1;
    assert_int_equal(nws_decide_gauge(&g, &reason), 1);
    assert_int_equal(reason, NWS_RUN);

    nwps_stageflow *f = stageflow("nwps_stageflow_forecast_AMAT2.json");
    assert_string_equal(f->pedts, "HGIFF");
    assert_string_equal(f->wfo, "AMA");
    assert_string_equal(f->secondary_units, "kcfs");
    assert_int_equal(f->issued_time, time_from_civil(2026, 10, 2, 7, 13, 0));
    assert_int_equal(f->n, 20);
    assert_int_equal(f->rows[0].generated_time, time_from_civil(2026, 10, 2, 7, 24, 5));
    nwps_stageflow *o = stageflow("nwps_stageflow_observed_AMAT2_tail.json");
    assert_string_equal(o->pedts, "HGIRG");
    assert_int_equal(o->n, 237);
    assert_int_equal(o->rows[236].valid_time, time_from_civil(2026, 10, 2, 12, 30, 0));

    rnr_forecast *fc = NULL;
    rnr_error err = {0};
    assert_int_equal(nws_build_request(&g, f, o, &fc, &reason, &err), RNR_OK);
    assert_int_equal(fc->n, 20);
    assert_int_equal(fc->times[0], time_from_civil(2026, 10, 2, 12, 0, 0));
    assert_int_equal(fc->times[19], time_from_civil(2026, 10, 7, 6, 0, 0));
    assert_true(fc->flows[0] == 1.21 * 28.316846592);
    assert_true(fc->flows[3] == 3.59 * 28.316846592);
    assert_true(fc->flows[19] == 0.482 * 28.316846592);
    assert_double_equal(fc->stages[3], 7.5, 0);
    assert_int_equal(fc->has_observation, 1);
    assert_true(fc->latest_observation == 0.939 * 28.316846592);
    assert_int_equal(fc->observation_time, time_from_civil(2026, 10, 2, 12, 30, 0));
    assert_int_equal(fc->reach_id, 19984864);
    assert_string_equal(fc->downstream_lid, "MRIT2");
    assert_string_equal(fc->flood_category, "minor");
    assert_string_equal(fc->rfc, "ABRFC");
    assert_string_equal(fc->wfo, "AMA");
    assert_int_equal(forecast_validate(fc, &err), RNR_OK);
    /* Through ProcessedData and back, nothing changes. */
    char *json;
    assert_int_equal(nws_processed_write(fc, &json, &err), RNR_OK);
    rnr_forecast *back;
    assert_int_equal(nws_processed_read(json, strlen(json), &back, &err), RNR_OK);
    assert_int_equal(back->n, 20);
    assert_true(back->flows[0] == fc->flows[0]);
    assert_true(back->latest_observation == fc->latest_observation);
    assert_int_equal(back->observation_time, fc->observation_time);
    assert_string_equal(back->name, "Canadian River at Amarillo");
    forecast_free(back);
    free(json);
    forecast_free(fc);
    nwps_stageflow_free(f);
    nwps_stageflow_free(o);
}

static void test_hnft2_and_kcmo3(void **state)
{
    (void)state;
    nwps_gauge g;
    int reason;
    gauge("nwps_gauge_HNFT2_observed_only_no_flood_stages.json", &g);
    assert_string_equal(g.lid, "HNFT2");
    assert_int_equal(g.reach_id, 3585678);
    assert_string_equal(g.downstream_lid, "HNTT2");
    assert_string_equal(g.forecast_category, "fcst_not_current");
    assert_string_equal(g.observed_category, "not_defined");
    assert_string_equal(g.pedts_forecast, "");
    for (int i = 0; i < NWPS_CAT_COUNT; i++)
        assert_true(isnan(g.stage_threshold[i]) && isnan(g.flow_threshold[i]));
    assert_int_equal(nws_decide_gauge(&g, &reason), 0);
    assert_int_equal(reason, NWS_SKIP_NOT_FLOODING);
    assert_string_equal(nws_skip_name(reason), "not_flooding");

    nwps_stageflow *f = stageflow("nwps_stageflow_forecast_HNFT2_empty_no_forecast.json");
    assert_int_equal(f->n, 0);
    assert_true(f->issued_time == RNR_TIME_MISSING);
    assert_string_equal(f->wfo, "");
    assert_string_equal(f->secondary_units, "");
    rnr_forecast *fc = NULL;
    rnr_error err = {0};
    assert_int_equal(nws_build_request(&g, f, NULL, &fc, &reason, &err), RNR_ERR_INVALID);
    assert_int_equal(reason, NWS_SKIP_NOT_FLOODING);
    /* Were it flooding, the empty forecast would be "no forecast". */
    strcpy(g.forecast_category, "minor");
    assert_int_equal(nws_build_request(&g, f, NULL, &fc, &reason, &err), RNR_ERR_INVALID);
    assert_int_equal(reason, NWS_SKIP_NO_FORECAST);
    assert_string_equal(nws_skip_name(reason), "no_forecast");
    assert_null(fc);
    nwps_stageflow_free(f);

    gauge("nwps_gauge_KCMO3_pretty_printed_no_usgs_no_downstream.json", &g);
    assert_string_equal(g.lid, "KCMO3");
    assert_int_equal(g.reach_id, 23815512);
    assert_string_equal(g.name, "Kellogg Creek near Milwaukie");
    assert_string_equal(g.state, "OR");
    assert_string_equal(g.rfc, "NWRFC");
    assert_string_equal(g.wfo, "PQR");
    assert_string_equal(g.downstream_lid, "");
    assert_string_equal(g.forecast_category, "fcst_not_current");
    assert_true(isnan(g.stage_threshold[NWPS_CAT_MAJOR]));
    assert_int_equal(nws_decide_gauge(&g, &reason), 0);
    assert_int_equal(reason, NWS_SKIP_NOT_FLOODING);
}

static void test_hpdt2(void **state)
{
    (void)state;
    size_t len = 0;
    char *s = nwsref_read("rnr-hpdt2", "HPDT2.json", &len);
    assert_non_null(s);
    rnr_forecast *f = NULL;
    rnr_error err = {0};
    int rc = nws_processed_read(s, len, &f, &err);
    free(s);
    if (rc)
        fail_msg("HPDT2.json: %s", err.msg);
    assert_string_equal(f->lid, "HPDT2");
    assert_string_equal(f->downstream_lid, "BAWT2");
    assert_int_equal(f->reach_id, 3121538);
    assert_int_equal(f->n, 40);
    assert_true(f->flows[0] == 481.386392064);
    assert_true(f->flows[39] == 569.1686164992);
    assert_int_equal(f->times[0], time_from_civil(2025, 5, 5, 21, 0, 0));
    assert_int_equal(f->times[39], time_from_civil(2025, 5, 10, 18, 0, 0));
    assert_double_equal(f->stages[0], 24.3, 0);
    assert_string_equal(f->primary_name, "Stage");
    assert_string_equal(f->primary_unit, "ft");
    assert_int_equal(f->has_observation, 0);
    /* The first flow is 17.0 kcfs converted. */
    assert_double_equal(f->flows[0], 17.0 * 28.316846592, 1e-9);
    forecast_free(f);
}

int main(void)
{
    if (!nwsref_dir()) {
        fprintf(
            stderr,
            "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmlarx), cmocka_unit_test(test_hmlarx_through_product_json),
        cmocka_unit_test(test_hmlmob), cmocka_unit_test(test_afd_list_and_product),
        cmocka_unit_test(test_amat2),  cmocka_unit_test(test_hnft2_and_kcmo3),
        cmocka_unit_test(test_hpdt2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
