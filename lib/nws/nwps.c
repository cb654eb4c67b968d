/* nwps.c - reading NWPS gauge records and stageflow series. */
#include "nws/nwps.h"

#include "core/timeutil.h"
#include "nws/jsonutil.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const category_names[NWPS_CAT_COUNT] = {"action", "minor", "moderate", "major"};

const char *nwps_category_name(int idx)
{
    return idx >= 0 && idx < NWPS_CAT_COUNT ? category_names[idx] : "?";
}

static void sub_str(const json_t *o, const char *obj, const char *key, char *buf, size_t n)
{
    nws_json_str(json_is_object(o) ? json_object_get(o, obj) : NULL, key, buf, n);
}

/* reachId is a string of digits in every capture; accept a JSON integer
 * too, since a re-serialising client may have turned it into one. */
static void read_reach(const json_t *root, nwps_gauge *g)
{
    json_t *v = json_object_get(root, "reachId");
    g->reach_status = NWPS_REACH_NONE;
    if (!v || json_is_null(v))
        return;
    if (json_is_integer(v)) {
        if (json_integer_value(v) > 0) {
            g->reach_status = NWPS_REACH_OK;
            g->reach_id = json_integer_value(v);
        } else {
            g->reach_status = NWPS_REACH_INVALID;
            snprintf(g->reach_reason, sizeof g->reach_reason, "reachId %lld is not positive",
                     (long long)json_integer_value(v));
        }
        return;
    }
    if (!json_is_string(v)) {
        g->reach_status = NWPS_REACH_INVALID;
        nws_copy(g->reach_reason, sizeof g->reach_reason, "reachId is not a string");
        return;
    }
    char buf[48];
    nws_copy(buf, sizeof buf, json_string_value(v));
    char *a = buf, *b = buf + strlen(buf);
    while (isspace((unsigned char)*a))
        a++;
    while (b > a && isspace((unsigned char)b[-1]))
        *--b = '\0';
    if (!*a)
        return;
    int digits = strlen(json_string_value(v)) < sizeof buf - 1 && b - a <= 18;
    for (const char *c = a; *c && digits; c++)
        digits = isdigit((unsigned char)*c) != 0;
    long long id = digits ? strtoll(a, NULL, 10) : 0;
    if (id <= 0) {
        g->reach_status = NWPS_REACH_INVALID;
        snprintf(g->reach_reason, sizeof g->reach_reason, "reachId \"%.40s\" is not a number", a);
        return;
    }
    g->reach_status = NWPS_REACH_OK;
    g->reach_id = id;
}

int nwps_gauge_parse(const char *json, size_t len, nwps_gauge *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    json_t *root;
    int rc = nws_json_load(json, len, "NWPS gauge", &root, err);
    if (rc)
        return rc;
    if (!json_is_object(root)) {
        json_decref(root);
        return rnr_error_set(err, RNR_ERR_PARSE, "NWPS gauge: not a JSON object");
    }
    char lid[64];
    nws_json_str(root, "lid", lid, sizeof lid);
    if (!lid[0] || strlen(lid) >= sizeof out->lid) {
        json_decref(root);
        return rnr_error_set(
            err, lid[0] ? RNR_ERR_INVALID : RNR_ERR_PARSE,
            lid[0] ? "NWPS gauge: lid \"%.40s\" is too long" : "NWPS gauge: no \"lid\"%.0s", lid);
    }
    memcpy(out->lid, lid, strlen(lid) + 1);
    read_reach(root, out);
    nws_json_str(root, "name", out->name, sizeof out->name);
    sub_str(root, "state", "abbreviation", out->state, sizeof out->state);
    sub_str(root, "rfc", "abbreviation", out->rfc, sizeof out->rfc);
    sub_str(root, "wfo", "abbreviation", out->wfo, sizeof out->wfo);
    sub_str(root, "pedts", "observed", out->pedts_observed, sizeof out->pedts_observed);
    sub_str(root, "pedts", "forecast", out->pedts_forecast, sizeof out->pedts_forecast);
    nws_json_str(root, "downstreamLid", out->downstream_lid, sizeof out->downstream_lid);
    nws_json_str(root, "ForecastFloodCategory", out->forecast_category,
                 sizeof out->forecast_category);
    nws_json_str(root, "ObservedFloodCategory", out->observed_category,
                 sizeof out->observed_category);
    json_t *flood = json_object_get(root, "flood");
    nws_json_str(flood, "stageUnits", out->stage_units, sizeof out->stage_units);
    nws_json_str(flood, "flowUnits", out->flow_units, sizeof out->flow_units);
    json_t *cats = json_is_object(flood) ? json_object_get(flood, "categories") : NULL;
    for (int i = 0; i < NWPS_CAT_COUNT; i++) {
        json_t *c = json_is_object(cats) ? json_object_get(cats, category_names[i]) : NULL;
        out->stage_threshold[i] = nws_json_value(c, "stage");
        out->flow_threshold[i] = nws_json_value(c, "flow");
    }
    json_decref(root);
    return RNR_OK;
}

void nwps_stageflow_free(nwps_stageflow *s)
{
    if (!s)
        return;
    free(s->rows);
    free(s);
}

static int64_t time_field(const json_t *o, const char *key)
{
    char buf[64];
    int64_t t;
    if (!nws_json_str(o, key, buf, sizeof buf) || !buf[0] || time_parse_iso(buf, &t) != 0)
        return RNR_TIME_MISSING;
    return t;
}

/* One stageflow object (what /stageflow/{product} returns) into *out;
 * what names it in messages. */
static int stageflow_from_json(const json_t *root, const char *what, nwps_stageflow **out,
                               rnr_error *err)
{
    *out = NULL;
    json_t *data = json_is_object(root) ? json_object_get(root, "data") : NULL;
    if (!json_is_object(root) || (data && !json_is_null(data) && !json_is_array(data)))
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: %s", what,
                             json_is_object(root) ? "\"data\" is not an array"
                                                  : "not a JSON object");
    size_t n = json_is_array(data) ? json_array_size(data) : 0;
    nwps_stageflow *s = calloc(1, sizeof *s);
    nwps_row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!s || !rows) {
        free(s);
        free(rows);
        return rnr_error_set(err, RNR_ERR_NOMEM, "%s: out of memory", what);
    }
    nws_json_str(root, "pedts", s->pedts, sizeof s->pedts);
    s->issued_time = time_field(root, "issuedTime");
    nws_json_str(root, "wfo", s->wfo, sizeof s->wfo);
    nws_json_str(root, "timeZone", s->time_zone, sizeof s->time_zone);
    nws_json_str(root, "primaryName", s->primary_name, sizeof s->primary_name);
    nws_json_str(root, "primaryUnits", s->primary_units, sizeof s->primary_units);
    nws_json_str(root, "secondaryName", s->secondary_name, sizeof s->secondary_name);
    nws_json_str(root, "secondaryUnits", s->secondary_units, sizeof s->secondary_units);
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(data, i);
        rows[i].valid_time = time_field(r, "validTime");
        rows[i].generated_time = time_field(r, "generatedTime");
        rows[i].primary = nws_json_value(r, "primary");
        rows[i].secondary = nws_json_value(r, "secondary");
    }
    s->n = n;
    s->rows = rows;
    *out = s;
    return RNR_OK;
}

int nwps_stageflow_parse(const char *json, size_t len, nwps_stageflow **out, rnr_error *err)
{
    *out = NULL;
    json_t *root;
    int rc = nws_json_load(json, len, "NWPS stageflow", &root, err);
    if (rc)
        return rc;
    rc = stageflow_from_json(root, "NWPS stageflow", out, err);
    json_decref(root);
    return rc;
}

int nwps_stageflow_pair_parse(const char *json, size_t len, nwps_stageflow **forecast,
                              nwps_stageflow **observed, rnr_error *err)
{
    *forecast = *observed = NULL;
    json_t *root;
    int rc = nws_json_load(json, len, "NWPS stageflow", &root, err);
    if (rc)
        return rc;
    if (!json_is_object(root)) {
        json_decref(root);
        return rnr_error_set(err, RNR_ERR_PARSE, "NWPS stageflow: not a JSON object");
    }
    static const char *const names[2] = {"forecast", "observed"};
    nwps_stageflow **outs[2] = {forecast, observed};
    for (int i = 0; i < 2 && rc != RNR_ERR_NOMEM; i++) {
        json_t *m = json_object_get(root, names[i]);
        rnr_error ignored = {0};
        /* absent, null or unreadable: the caller asks for that one alone */
        if (json_is_object(m))
            rc = stageflow_from_json(m, "NWPS stageflow", outs[i], &ignored);
        if (rc == RNR_ERR_NOMEM)
            rnr_error_set(err, rc, "NWPS stageflow: out of memory");
    }
    json_decref(root);
    if (rc == RNR_ERR_NOMEM) {
        nwps_stageflow_free(*forecast);
        nwps_stageflow_free(*observed);
        *forecast = *observed = NULL;
        return rc;
    }
    return RNR_OK;
}
