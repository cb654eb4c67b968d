/* processed.c - reading and writing ProcessedData forecast JSON. */
#include "nws/processed.h"

#include "core/timeutil.h"
#include "nws/jsonutil.h"
#include "nws/units.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WHAT "forecast JSON"

static int bad(rnr_error *err, const char *fmt, const char *field, size_t i)
{
    char f[160];
    snprintf(f, sizeof f, fmt, field, i);
    return rnr_error_set(err, RNR_ERR_INVALID, WHAT ": %s", f);
}

/* Optional string: absent or null -> "", another type -> error. */
static int opt_str(const json_t *o, const char *key, char *buf, size_t n, rnr_error *err)
{
    json_t *v = json_object_get(o, key);
    buf[0] = '\0';
    if (!v || json_is_null(v))
        return RNR_OK;
    if (!json_is_string(v))
        return rnr_error_set(err, RNR_ERR_INVALID, WHAT ": \"%s\" is not a string", key);
    nws_copy(buf, n, json_string_value(v));
    return RNR_OK;
}

static int opt_time(const json_t *o, const char *key, int64_t *t, rnr_error *err)
{
    char buf[64];
    *t = RNR_TIME_MISSING;
    int rc = opt_str(o, key, buf, sizeof buf, err);
    if (rc || !buf[0])
        return rc;
    if (time_parse_iso(buf, t))
        return rnr_error_set(err, RNR_ERR_INVALID, WHAT ": \"%s\" \"%s\" is not a time", key, buf);
    return RNR_OK;
}

static int read_reach_id(const json_t *reach, int64_t *id, rnr_error *err)
{
    json_t *v = json_object_get(reach, "id");
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *id = json_integer_value(v);
        return RNR_OK;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t l = strlen(s);
        int ok = l > 0 && l <= 18;
        for (size_t i = 0; ok && i < l; i++)
            ok = isdigit((unsigned char)s[i]) != 0;
        if (ok && (*id = strtoll(s, NULL, 10)) > 0)
            return RNR_OK;
    }
    return rnr_error_set(err, RNR_ERR_INVALID,
                         WHAT ": reach.id is missing or not a positive integer");
}

static int read_times(const json_t *arr, rnr_forecast *f, rnr_error *err)
{
    for (size_t i = 0; i < f->n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || time_parse_iso(json_string_value(v), &f->times[i]) ||
            f->times[i] == RNR_TIME_MISSING)
            return bad(err, "%s[%zu] is not a time", "reach.times", i);
        if (i > 0 && f->times[i] <= f->times[i - 1])
            return bad(err, "%s[%zu] is not after the previous time", "reach.times", i);
    }
    return RNR_OK;
}

static int read_flows(const json_t *reach, rnr_forecast *f, rnr_error *err)
{
    json_t *arr = json_object_get(reach, "secondary_forecast");
    if (!json_is_array(arr))
        return rnr_error_set(err, RNR_ERR_INVALID,
                             WHAT ": reach.secondary_forecast is not an array");
    if (json_array_size(arr) != f->n)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             WHAT ": reach.secondary_forecast has %zu values for %zu times",
                             json_array_size(arr), f->n);
    char unit[32];
    double factor;
    if (opt_str(reach, "secondary_unit", unit, sizeof unit, err))
        return err ? err->code : RNR_ERR_INVALID;
    if (nws_flow_factor(unit, &factor))
        return rnr_error_set(
            err, RNR_ERR_INVALID,
            WHAT ": reach.secondary_unit \"%s\" is not a flow unit (kcfs, cfs, m3 s-1)", unit);
    for (size_t i = 0; i < f->n; i++) {
        json_t *v = json_array_get(arr, i);
        double x = json_is_number(v) ? json_number_value(v) : NAN;
        if (isnan(x) || x <= -999)
            return bad(err, "%s[%zu] is missing", "reach.secondary_forecast", i);
        x *= factor;
        if (!forecast_flow_ok(x))
            return bad(err,
                       "%s[%zu] is negative or above the physical limit (" RNR_FLOW_MAX_TEXT ")",
                       "reach.secondary_forecast", i);
        f->flows[i] = x;
    }
    return RNR_OK;
}

static int read_stages(const json_t *reach, rnr_forecast *f, rnr_error *err)
{
    json_t *arr = json_object_get(reach, "primary_forecast");
    for (size_t i = 0; i < f->n; i++)
        f->stages[i] = NAN;
    if (!arr || json_is_null(arr))
        return RNR_OK;
    if (!json_is_array(arr) || json_array_size(arr) != f->n)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             WHAT ": reach.primary_forecast is not an array of %zu values", f->n);
    for (size_t i = 0; i < f->n; i++) {
        json_t *v = json_array_get(arr, i);
        if (json_is_number(v) && json_number_value(v) > -999)
            f->stages[i] = json_number_value(v);
        else if (!json_is_null(v) && !json_is_number(v))
            return bad(err, "%s[%zu] is not a number", "reach.primary_forecast", i);
    }
    return RNR_OK;
}

static int read_observation(const json_t *root, const json_t *reach, rnr_forecast *f,
                            rnr_error *err)
{
    json_t *v = json_object_get(reach, "latest_observation");
    if (!v || json_is_null(v))
        return RNR_OK;
    if (!json_is_number(v))
        return rnr_error_set(err, RNR_ERR_INVALID,
                             WHAT ": reach.latest_observation is not a number");
    double x = json_number_value(v), factor;
    if (x <= -999)
        return RNR_OK;
    char unit[32];
    if (opt_str(reach, "latest_obs_units", unit, sizeof unit, err))
        return err ? err->code : RNR_ERR_INVALID;
    if (!unit[0] && opt_str(reach, "secondary_unit", unit, sizeof unit, err))
        return err ? err->code : RNR_ERR_INVALID;
    if (nws_flow_factor(unit, &factor))
        return rnr_error_set(err, RNR_ERR_INVALID,
                             WHAT ": reach.latest_obs_units \"%s\" is not a flow unit", unit);
    x *= factor;
    if (!forecast_flow_ok(x))
        return rnr_error_set(
            err, RNR_ERR_INVALID,
            WHAT
            ": reach.latest_observation is negative or above the physical limit (" RNR_FLOW_MAX_TEXT
            ")");
    f->has_observation = 1;
    f->latest_observation = x;
    return opt_time(root, "observation_time", &f->observation_time, err);
}

static int read_body(const json_t *root, rnr_forecast **out, rnr_error *err)
{
    char lid[64];
    json_t *reach = json_object_get(root, "reach");
    if (opt_str(root, "lid", lid, sizeof lid, err))
        return err ? err->code : RNR_ERR_INVALID;
    if (!lid[0] || strlen(lid) >= sizeof((rnr_forecast *)0)->lid)
        return rnr_error_set(err, RNR_ERR_INVALID, WHAT ": \"lid\" is missing or too long");
    if (!json_is_object(reach))
        return rnr_error_set(err, RNR_ERR_INVALID, WHAT ": \"reach\" is missing or not an object");
    json_t *times = json_object_get(reach, "times");
    if (!json_is_array(times) || json_array_size(times) == 0)
        return rnr_error_set(err, RNR_ERR_INVALID, WHAT ": reach.times is missing or empty");
    rnr_forecast *f = forecast_new(json_array_size(times));
    if (!f)
        return rnr_error_set(err, RNR_ERR_NOMEM, WHAT ": out of memory");
    nws_copy(f->lid, sizeof f->lid, lid);
    int rc;
    if ((rc = opt_str(root, "downstream_lid", f->downstream_lid, sizeof f->downstream_lid, err)) ||
        (rc = read_reach_id(reach, &f->reach_id, err)) || (rc = read_times(times, f, err)) ||
        (rc = read_flows(reach, f, err)) || (rc = read_stages(reach, f, err)) ||
        (rc = opt_str(reach, "primary_name", f->primary_name, sizeof f->primary_name, err)) ||
        (rc = opt_str(reach, "primary_unit", f->primary_unit, sizeof f->primary_unit, err)) ||
        (rc = read_observation(root, reach, f, err)) ||
        (rc = opt_str(root, "flood_category", f->flood_category, sizeof f->flood_category, err)) ||
        (rc = opt_str(root, "state", f->state, sizeof f->state, err)) ||
        (rc = opt_str(root, "name", f->name, sizeof f->name, err)) ||
        (rc = opt_str(root, "rfc", f->rfc, sizeof f->rfc, err)) ||
        (rc = opt_str(root, "wfo", f->wfo, sizeof f->wfo, err)) ||
        (rc = opt_time(root, "issued_time", &f->issued_time, err)) ||
        (rc = forecast_validate(f, err))) {
        forecast_free(f);
        return rc;
    }
    *out = f;
    return RNR_OK;
}

int nws_processed_read(const char *json, size_t len, rnr_forecast **out, rnr_error *err)
{
    *out = NULL;
    json_t *root;
    int rc = nws_json_load(json, len, WHAT, &root, err);
    if (rc)
        return rc;
    if (!json_is_object(root))
        rc = rnr_error_set(err, RNR_ERR_INVALID, WHAT ": not a JSON object");
    else
        rc = read_body(root, out, err);
    json_decref(root);
    return rc;
}

/* Times are written with a 4-digit year (strftime's %Y does not pad), so
 * what is written always reads back; other years cannot be written. */
static json_t *time_value(int64_t t, int zulu)
{
    char buf[40];
    time_t tt = (time_t)t;
    struct tm tm;
    if (t == RNR_TIME_MISSING || !gmtime_r(&tt, &tm) || tm.tm_year + 1900 < 1 ||
        tm.tm_year + 1900 > 9999)
        return NULL;
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%s", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, zulu ? "Z" : "");
    return json_string(buf);
}

static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* json_object_set_new tolerates a NULL value (returns -1); count failures. */
static void put(json_t *o, const char *key, json_t *v, int *fail)
{
    if (!v || json_object_set_new(o, key, v))
        (*fail)++;
}

static json_t *build_reach(const rnr_forecast *f, int *fail)
{
    json_t *r = json_object(), *times = json_array(),
           *stages = f->stages ? json_array() : json_null(), *flows = json_array();
    if (!r || !times || !stages || !flows) {
        (*fail)++;
        json_decref(times);
        json_decref(stages);
        json_decref(flows);
        return r;
    }
    for (size_t i = 0; i < f->n; i++) {
        json_t *t = time_value(f->times[i], 0);
        *fail += !t || json_array_append_new(times, t) != 0;
        if (f->stages)
            *fail += json_array_append_new(stages, real_or_null(f->stages[i])) != 0;
        *fail += json_array_append_new(flows, real_or_null(f->flows[i])) != 0;
    }
    put(r, "id", json_integer(f->reach_id), fail);
    put(r, "times", times, fail);
    put(r, "primary_name", json_string(f->primary_name), fail);
    put(r, "primary_forecast", stages, fail);
    put(r, "primary_unit", json_string(f->primary_unit), fail);
    put(r, "latest_observation",
        f->has_observation ? real_or_null(f->latest_observation) : json_null(), fail);
    put(r, "latest_obs_units", f->has_observation ? json_string("m3 s-1") : json_null(), fail);
    put(r, "secondary_name", json_string("Flow"), fail);
    put(r, "secondary_forecast", flows, fail);
    put(r, "secondary_unit", json_string("m3 s-1"), fail);
    return r;
}

int nws_processed_write(const rnr_forecast *f, char **out, rnr_error *err)
{
    *out = NULL;
    if (!f || !f->lid[0] || f->n == 0)
        return rnr_error_set(err, RNR_ERR_INVALID, WHAT ": nothing to write (no lid or no rows)");
    int fail = 0;
    json_t *o = json_object();
    if (!o)
        return rnr_error_set(err, RNR_ERR_NOMEM, WHAT ": out of memory");
    put(o, "lid", json_string(f->lid), &fail);
    put(o, "downstream_lid", json_string(f->downstream_lid), &fail);
    put(o, "reach", build_reach(f, &fail), &fail);
    const struct {
        const char *key, *val;
    } meta[] = {{"flood_category", f->flood_category},
                {"state", f->state},
                {"name", f->name},
                {"rfc", f->rfc},
                {"wfo", f->wfo}};
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
        if (meta[i].val[0])
            put(o, meta[i].key, json_string(meta[i].val), &fail);
    /* Optional metadata times: left out when they cannot be written. */
    json_t *t = time_value(f->issued_time, 1);
    if (t)
        put(o, "issued_time", t, &fail);
    t = f->has_observation ? time_value(f->observation_time, 1) : NULL;
    if (t)
        put(o, "observation_time", t, &fail);
    char *s = fail ? NULL : json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        return rnr_error_set(
            err, fail ? RNR_ERR_INVALID : RNR_ERR_NOMEM,
            WHAT
            ": cannot serialise forecast %s (text not UTF-8, a year outside 1..9999, or no memory)",
            f->lid);
    *out = s;
    return RNR_OK;
}
