/* fuzz_nwps.c - NWPS gauge and stageflow JSON, the routing decision, and
 * ProcessedData JSON (read -> write -> read must give the same forecast). */
#include "core/error.h"
#include "core/forecast.h"
#include "nws/decide.h"
#include "nws/nwps.h"
#include "nws/processed.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_request(const rnr_forecast *fc)
{
    rnr_error err = {0};
    if (forecast_validate(fc, &err) != RNR_OK)
        abort();
}

static void roundtrip(const rnr_forecast *f)
{
    char *json = NULL;
    rnr_error err = {0};
    if (nws_processed_write(f, &json, &err) != RNR_OK)
        return; /* text fields that are not UTF-8 cannot be written */
    rnr_forecast *g = NULL;
    if (nws_processed_read(json, strlen(json), &g, &err) != RNR_OK)
        abort();
    if (g->n != f->n || g->reach_id != f->reach_id || strcmp(g->lid, f->lid) != 0 ||
        g->has_observation != f->has_observation)
        abort();
    for (size_t i = 0; i < f->n; i++)
        if (g->times[i] != f->times[i] || g->flows[i] != f->flows[i])
            abort();
    forecast_free(g);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    rnr_error err = {0};
    nwps_gauge g;
    int have_gauge = nwps_gauge_parse(s, size, &g, &err) == RNR_OK;
    int reason;
    if (have_gauge)
        nws_decide_gauge(&g, &reason);
    nwps_stageflow *f = NULL;
    if (nwps_stageflow_parse(s, size, &f, &err) == RNR_OK) {
        /* A qualifying gauge, so every forecast check is reached. */
        nwps_gauge q = {.lid = "FUZZ1", .reach_id = 1, .forecast_category = "minor"};
        rnr_forecast *fc = NULL;
        if (nws_build_request(&q, f, f, &fc, &reason, &err) == RNR_OK) {
            check_request(fc);
            roundtrip(fc);
            forecast_free(fc);
        } else if (reason <= NWS_RUN || reason >= NWS_SKIP_COUNT) {
            abort();
        }
        nwps_stageflow_free(f);
    }
    rnr_forecast *p = NULL;
    if (nws_processed_read(s, size, &p, &err) == RNR_OK) {
        check_request(p);
        roundtrip(p);
        forecast_free(p);
    }
    return 0;
}
