/* decide.c - the RnR trigger rules and the routing request built from NWPS. */
#include "nws/decide.h"
#include "nws/plotdata.h"

#include "core/timeutil.h"
#include "nws/jsonutil.h"
#include "nws/units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name, *message;
} skips[NWS_SKIP_COUNT] = {
    [NWS_RUN] = {"run", "gauge qualifies for routing"},
    [NWS_SKIP_NOT_FLOODING] = {"not_flooding", "forecast flood category is not action or above"},
    [NWS_SKIP_NO_REACH_ID] = {"no_reach_id", "gauge has no reachId"},
    [NWS_SKIP_BAD_REACH_ID] = {"bad_reach_id", "gauge reachId is not a number"},
    [NWS_SKIP_UNSUPPORTED_WFO] = {"unsupported_wfo",
                                  "WFO is outside the routing domain (AK, GU, HI, PR)"},
    [NWS_SKIP_GAUGE_NOT_FOUND] = {"gauge_not_found", "gauge is unknown to NWPS (404)"},
    [NWS_SKIP_BAD_GAUGE] = {"bad_gauge_record", "gauge record could not be read"},
    [NWS_SKIP_BAD_STAGEFLOW] = {"bad_stageflow", "stageflow document could not be read"},
    [NWS_SKIP_NO_FORECAST] = {"no_forecast", "gauge has no flow forecast"},
    [NWS_SKIP_STAGE_ONLY] = {"stage_only", "forecast has stage but no flow"},
    [NWS_SKIP_UNSUPPORTED_UNITS] = {"unsupported_flow_units",
                                    "forecast flow units are not supported"},
    [NWS_SKIP_MISSING_FLOWS] = {"missing_flows", "forecast flows are missing"},
    [NWS_SKIP_INVALID_FLOWS] = {"invalid_flows", "forecast flows are negative or out of range"},
    [NWS_SKIP_BAD_TIMES] = {"bad_times", "forecast times are missing or not increasing"},
    [NWS_SKIP_BAD_LID] = {"bad_lid", "site id is not a location id (letters and digits)"},
    [NWS_SKIP_LID_MISMATCH] = {"lid_mismatch", "gauge record is for another location id"},
};

const char *nws_skip_name(int reason)
{
    return reason >= 0 && reason < NWS_SKIP_COUNT ? skips[reason].name : "unknown";
}

const char *nws_skip_message(int reason)
{
    return reason >= 0 && reason < NWS_SKIP_COUNT ? skips[reason].message : "unknown skip reason";
}

int nws_lid_valid(const char *lid)
{
    size_t n = 0;
    for (; lid && lid[n]; n++) {
        unsigned char c = (unsigned char)lid[n];
        if (n >= NWS_LID_MAX ||
            !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return 0;
    }
    return n > 0;
}

int nws_gauge_lid_matches(const char *lid, nwps_gauge *g, int *reason, rnr_error *err)
{
    if (strcasecmp(lid, g->lid) != 0) {
        if (reason)
            *reason = NWS_SKIP_LID_MISMATCH;
        rnr_error_set(err, RNR_ERR_INVALID, "gauge %s: NWPS answered with the record of '%s'", lid,
                      g->lid);
        return 0;
    }
    nws_copy(g->lid, sizeof g->lid, lid);
    if (reason)
        *reason = NWS_RUN;
    return 1;
}

int nws_category_qualifies(const char *c)
{
    static const char *const run[] = {"action", "minor", "moderate", "major"};
    for (size_t i = 0; c && i < sizeof run / sizeof run[0]; i++)
        if (strcmp(c, run[i]) == 0)
            return 1;
    return 0;
}

int nws_wfo_unsupported(const char *wfo)
{
    static const char *const out[] = {"AFC", "AFG", "AJK", "GUM", "HFO", "SJU"};
    for (size_t i = 0; wfo && i < sizeof out / sizeof out[0]; i++)
        if (strcmp(wfo, out[i]) == 0)
            return 1;
    return 0;
}

int nws_decide_gauge(const nwps_gauge *g, int *reason)
{
    int r = NWS_RUN;
    if (!nws_category_qualifies(g->forecast_category))
        r = NWS_SKIP_NOT_FLOODING;
    else if (g->reach_status == NWPS_REACH_NONE)
        r = NWS_SKIP_NO_REACH_ID;
    else if (g->reach_status != NWPS_REACH_OK)
        r = NWS_SKIP_BAD_REACH_ID;
    else if (nws_wfo_unsupported(g->wfo))
        r = NWS_SKIP_UNSUPPORTED_WFO;
    if (reason)
        *reason = r;
    return r == NWS_RUN;
}

/* Which column of a stageflow carries flow: the secondary normally, the
 * primary for a discharge (Q*) series. Returns NWS_RUN or a skip. */
static int flow_column(const nwps_stageflow *s, int *secondary, double *factor)
{
    if (nws_flow_factor(s->secondary_units, factor) == 0) {
        *secondary = 1;
        return NWS_RUN;
    }
    if (nws_flow_factor(s->primary_units, factor) == 0) {
        *secondary = 0;
        return NWS_RUN;
    }
    return nws_unit_kind(s->secondary_units) == NWS_UNIT_STAGE ? NWS_SKIP_STAGE_ONLY
                                                               : NWS_SKIP_UNSUPPORTED_UNITS;
}

static double col(const nwps_row *r, int secondary)
{
    return secondary ? r->secondary : r->primary;
}

static int skip(int *reason, int r, rnr_error *err, const char *lid, const char *detail)
{
    *reason = r;
    return rnr_error_set(err, RNR_ERR_INVALID, "gauge %s: %s", lid, detail);
}

/* Check the forecast rows; returns NWS_RUN or a skip with detail filled. */
static int check_rows(const nwps_stageflow *f, int sec, double factor, char *detail, size_t n)
{
    size_t missing = 0, negative = 0, first_neg = 0;
    for (size_t i = 0; i < f->n; i++) {
        double v = col(&f->rows[i], sec);
        if (isnan(v))
            missing++;
        else if (!forecast_flow_ok(v * factor) && negative++ == 0)
            first_neg = i;
    }
    if (missing) {
        snprintf(detail, n, "%zu of %zu forecast flows missing", missing, f->n);
        return NWS_SKIP_MISSING_FLOWS;
    }
    if (negative) {
        snprintf(detail, n,
                 "%zu of %zu forecast flows negative or out of range (above " RNR_FLOW_MAX_TEXT
                 ", first at row %zu: %g)",
                 negative, f->n, first_neg, col(&f->rows[first_neg], sec));
        return NWS_SKIP_INVALID_FLOWS;
    }
    for (size_t i = 0; i < f->n; i++) {
        if (f->rows[i].valid_time == RNR_TIME_MISSING) {
            snprintf(detail, n, "forecast row %zu has no valid time", i);
            return NWS_SKIP_BAD_TIMES;
        }
        if (i > 0 && f->rows[i].valid_time <= f->rows[i - 1].valid_time) {
            snprintf(detail, n, "forecast times are not increasing at row %zu", i);
            return NWS_SKIP_BAD_TIMES;
        }
    }
    return NWS_RUN;
}

/* Latest observation: the last row with a time and a usable flow. */
static void set_observation(rnr_forecast *fc, const nwps_stageflow *obs)
{
    int sec;
    double factor;
    if (!obs || flow_column(obs, &sec, &factor) != NWS_RUN)
        return;
    for (size_t i = obs->n; i-- > 0;) {
        double v = col(&obs->rows[i], sec);
        if (!forecast_flow_ok(v * factor) || obs->rows[i].valid_time == RNR_TIME_MISSING)
            continue;
        fc->has_observation = 1;
        fc->latest_observation = nws_flow_convert(v, factor);
        fc->observation_time = obs->rows[i].valid_time;
        return;
    }
}

static void fill_metadata(rnr_forecast *fc, const nwps_gauge *g, const nwps_stageflow *f, int sec)
{
    nws_copy(fc->lid, sizeof fc->lid, g->lid);
    nws_copy(fc->downstream_lid, sizeof fc->downstream_lid, g->downstream_lid);
    fc->reach_id = g->reach_id;
    nws_copy(fc->primary_name, sizeof fc->primary_name, sec ? f->primary_name : f->secondary_name);
    nws_copy(fc->primary_unit, sizeof fc->primary_unit,
             sec ? f->primary_units : f->secondary_units);
    fc->issued_time = f->issued_time;
    nws_copy(fc->flood_category, sizeof fc->flood_category, g->forecast_category);
    nws_copy(fc->state, sizeof fc->state, g->state);
    nws_copy(fc->name, sizeof fc->name, g->name);
    nws_copy(fc->rfc, sizeof fc->rfc, g->rfc);
    nws_copy(fc->wfo, sizeof fc->wfo, f->wfo[0] ? f->wfo : g->wfo);
}

int nws_build_request(const nwps_gauge *g, const nwps_stageflow *f, const nwps_stageflow *obs,
                      rnr_forecast **out, int *reason, rnr_error *err)
{
    int r;
    char detail[160];
    *out = NULL;
    *reason = NWS_RUN;
    if (!nws_decide_gauge(g, &r)) {
        if (r == NWS_SKIP_NOT_FLOODING)
            snprintf(detail, sizeof detail, "forecast flood category \"%s\" does not qualify",
                     g->forecast_category);
        else if (r == NWS_SKIP_BAD_REACH_ID)
            snprintf(detail, sizeof detail, "%s", g->reach_reason);
        else if (r == NWS_SKIP_UNSUPPORTED_WFO)
            snprintf(detail, sizeof detail, "WFO %s is outside the routing domain", g->wfo);
        else
            snprintf(detail, sizeof detail, "%s", nws_skip_message(r));
        return skip(reason, r, err, g->lid, detail);
    }
    if (!f)
        return skip(reason, NWS_SKIP_NO_FORECAST, err, g->lid, "no forecast document");
    if (nws_wfo_unsupported(f->wfo)) {
        snprintf(detail, sizeof detail, "WFO %s is outside the routing domain", f->wfo);
        return skip(reason, NWS_SKIP_UNSUPPORTED_WFO, err, g->lid, detail);
    }
    if (f->n == 0)
        return skip(reason, NWS_SKIP_NO_FORECAST, err, g->lid, "no forecast (empty data)");
    int sec;
    double factor;
    if ((r = flow_column(f, &sec, &factor)) != NWS_RUN) {
        snprintf(detail, sizeof detail, "%s (units \"%s\" / \"%s\")",
                 r == NWS_SKIP_STAGE_ONLY ? "stage-only forecast, no flow"
                                          : "unsupported flow units",
                 f->primary_units, f->secondary_units);
        return skip(reason, r, err, g->lid, detail);
    }
    if ((r = check_rows(f, sec, factor, detail, sizeof detail)) != NWS_RUN)
        return skip(reason, r, err, g->lid, detail);
    rnr_forecast *fc = forecast_new(f->n);
    if (!fc)
        return rnr_error_set(err, RNR_ERR_NOMEM, "gauge %s: out of memory", g->lid);
    for (size_t i = 0; i < f->n; i++) {
        fc->times[i] = f->rows[i].valid_time;
        fc->flows[i] = nws_flow_convert(col(&f->rows[i], sec), factor);
        fc->stages[i] = col(&f->rows[i], !sec);
    }
    fill_metadata(fc, g, f, sec);
    set_observation(fc, obs);
    if (nws_plot_data(fc, g, f, obs) != RNR_OK) {
        forecast_free(fc);
        return rnr_error_set(err, RNR_ERR_NOMEM, "gauge %s: out of memory", g->lid);
    }
    *out = fc;
    return RNR_OK;
}
