/* nc_series.c - the RFC forecast, observations and flood-category flows
 * carried for the hydrograph in extra NetCDF variables (see nc_output.h).
 * They sit on their own dimensions so a reader of t-route's variables sees
 * the same file. */
#include "io/nc_series.h"

#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CATS[4] = {"action", "minor", "moderate", "major"};

static int fail(const char *path, int st, const char *what, rnr_error *err)
{
    return rnr_error_set(err, RNR_ERR_IO, "%s: netCDF %s: %s", path, what, nc_strerror(st));
}

static int text_att(int ncid, int var, const char *name, const char *v)
{
    return nc_put_att_text(ncid, var, name, strlen(v), v);
}

/* One time coordinate and its flow variable. */
static int define_pair(int ncid, const char *tname, const char *qname, size_t n,
                       const char *time_units, const char *long_name, int *tv, int *qv)
{
    int dim, st;
    float fill = NC_OUTPUT_FILL;
    if ((st = nc_def_dim(ncid, tname, n, &dim)) ||
        (st = nc_def_var(ncid, tname, NC_DOUBLE, 1, &dim, tv)) ||
        (st = text_att(ncid, *tv, "standard_name", "time")) ||
        (st = text_att(ncid, *tv, "units", time_units)) ||
        (st = text_att(ncid, *tv, "calendar", "standard")) ||
        (st = nc_def_var(ncid, qname, NC_FLOAT, 1, &dim, qv)) ||
        (st = nc_put_att_float(ncid, *qv, "_FillValue", NC_FLOAT, 1, &fill)) ||
        (st = text_att(ncid, *qv, "long_name", long_name)) ||
        (st = text_att(ncid, *qv, "standard_name", "water_volume_transport_in_river_channel")) ||
        (st = text_att(ncid, *qv, "units", "m3 s-1")) ||
        (st = text_att(ncid, *qv, "coordinates", tname)))
        return st;
    return NC_NOERR;
}

int nc_series_define(int ncid, const nc_series *s, const char *time_units, nc_series_vars *v,
                     const char *path, rnr_error *err)
{
    *v = (nc_series_vars){-1, -1, -1, -1};
    if (!s || s->n_fcst == 0)
        return RNR_OK;
    int st = define_pair(ncid, "rfc_forecast_time", "rfc_forecast_flow", s->n_fcst, time_units,
                         "RFC forecast flow at the forecast point", &v->fcst_time, &v->fcst_flow);
    for (int i = 0; st == NC_NOERR && i < 4; i++) {
        if (!isfinite(s->flood_flow[i]))
            continue;
        char name[40];
        float q = (float)s->flood_flow[i];
        snprintf(name, sizeof name, "flood_flow_%s", CATS[i]);
        st = nc_put_att_float(ncid, v->fcst_flow, name, NC_FLOAT, 1, &q);
    }
    if (st == NC_NOERR && s->flood_flow_rated)
        st = text_att(ncid, v->fcst_flow, "flood_flow_comment",
                      "flows of stage-only thresholds read from the RFC's stage-flow pairs");
    if (st == NC_NOERR && s->n_obs > 0)
        st = define_pair(ncid, "observation_time", "observed_flow", s->n_obs, time_units,
                         "observed flow at the forecast point", &v->obs_time, &v->obs_flow);
    return st == NC_NOERR ? RNR_OK : fail(path, st, "forecast/observation variables", err);
}

static int put_pair(int ncid, int tv, int qv, size_t n, const int64_t *t, const double *q,
                    int64_t ref)
{
    double *tt = malloc((n ? n : 1) * sizeof *tt);
    float *qq = malloc((n ? n : 1) * sizeof *qq);
    int st = NC_ENOMEM;
    if (tt && qq) {
        for (size_t i = 0; i < n; i++) {
            tt[i] = (double)(t[i] - ref);
            qq[i] = isfinite(q[i]) ? (float)q[i] : NC_OUTPUT_FILL;
        }
        st = nc_put_var_double(ncid, tv, tt);
        if (st == NC_NOERR)
            st = nc_put_var_float(ncid, qv, qq);
    }
    free(tt);
    free(qq);
    return st;
}

int nc_series_put(int ncid, const nc_series *s, int64_t reference_time, const nc_series_vars *v,
                  const char *path, rnr_error *err)
{
    int st = NC_NOERR;
    if (v->fcst_flow >= 0)
        st = put_pair(ncid, v->fcst_time, v->fcst_flow, s->n_fcst, s->fcst_times, s->fcst_flows,
                      reference_time);
    if (st == NC_NOERR && v->obs_flow >= 0)
        st = put_pair(ncid, v->obs_time, v->obs_flow, s->n_obs, s->obs_times, s->obs_flows,
                      reference_time);
    return st == NC_NOERR ? RNR_OK : fail(path, st, "forecast/observation data", err);
}

/* A pair written by put_pair; *n stays 0 when tname is absent. */
static int read_pair(int ncid, const char *tname, const char *qname, int64_t origin, size_t *n,
                     int64_t **t, float **q)
{
    int dim, tv, qv, st;
    size_t len;
    if (nc_inq_dimid(ncid, tname, &dim) != NC_NOERR || nc_inq_varid(ncid, tname, &tv) != NC_NOERR ||
        nc_inq_varid(ncid, qname, &qv) != NC_NOERR)
        return NC_NOERR;
    if ((st = nc_inq_dimlen(ncid, dim, &len)) != NC_NOERR || len == 0)
        return st;
    double *tt = malloc(len * sizeof *tt);
    *t = malloc(len * sizeof **t);
    *q = malloc(len * sizeof **q);
    if (!tt || !*t || !*q) {
        free(tt);
        return NC_ENOMEM;
    }
    st = nc_get_var_double(ncid, tv, tt);
    if (st == NC_NOERR)
        st = nc_get_var_float(ncid, qv, *q);
    for (size_t i = 0; st == NC_NOERR && i < len; i++) {
        if (!isfinite(tt[i]) || fabs(tt[i]) > 1e12)
            st = NC_ERANGE;
        else
            (*t)[i] = origin + (int64_t)llround(tt[i]);
    }
    free(tt);
    if (st == NC_NOERR)
        *n = len;
    return st;
}

int nc_series_read(int ncid, nc_table *t, int64_t origin, const char *path, rnr_error *err)
{
    for (int i = 0; i < 4; i++)
        t->flood_flow[i] = NAN;
    int st = read_pair(ncid, "rfc_forecast_time", "rfc_forecast_flow", origin, &t->n_fcst,
                       &t->fcst_times, &t->fcst_flows);
    if (st == NC_NOERR)
        st = read_pair(ncid, "observation_time", "observed_flow", origin, &t->n_obs, &t->obs_times,
                       &t->obs_flows);
    int qv;
    for (int i = 0;
         st == NC_NOERR && i < 4 && nc_inq_varid(ncid, "rfc_forecast_flow", &qv) == NC_NOERR; i++) {
        char name[40];
        float q;
        size_t len;
        nc_type type;
        snprintf(name, sizeof name, "flood_flow_%s", CATS[i]);
        if (nc_inq_att(ncid, qv, name, &type, &len) == NC_NOERR && len == 1 && type != NC_CHAR &&
            type != NC_STRING && nc_get_att_float(ncid, qv, name, &q) == NC_NOERR && isfinite(q))
            t->flood_flow[i] = q;
    }
    return st == NC_NOERR ? RNR_OK : fail(path, st, "forecast/observation variables", err);
}
