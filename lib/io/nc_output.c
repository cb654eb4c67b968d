/* nc_output.c - write and read t-route's RnR NetCDF output (see header).
 *
 * Attribute order and types follow t-route's file so `ncdump -h` of ours
 * matches theirs line for line, with the extra attributes appended. */
#include "io/nc_output.h"

#include "core/durable.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "io/nc_h5.h"
#include "io/nc_series.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netcdf.h>
#include <netcdf_mem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char TYPE_VALUE[] = "wb";

int nc_output_name(int64_t reference_time, char *buf, size_t n)
{
    char stamp[16];
    if (time_format(reference_time, "%Y%m%d%H%M", stamp, sizeof stamp))
        return -1;
    int w = snprintf(buf, n, "troute_output_%s.nc", stamp);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* ---- writer ------------------------------------------------------------ */

typedef struct writer {
    int ncid;
    const char *path; /* for messages */
    rnr_error *err;
} writer;

static int nc_fail(writer *w, int status, const char *what)
{
    return rnr_error_set(w->err, RNR_ERR_IO, "%s: netCDF %s: %s", w->path, what,
                         nc_strerror(status));
}

#define NC_TRY(w, call, what)                                                                      \
    do {                                                                                           \
        int st_ = (call);                                                                          \
        if (st_ != NC_NOERR)                                                                       \
            return nc_fail((w), st_, (what));                                                      \
    } while (0)

static int put_text(writer *w, int var, const char *name, const char *value)
{
    const char *v = value ? value : "";
    NC_TRY(w, nc_put_att_text(w->ncid, var, name, strlen(v), v), name);
    return RNR_OK;
}

static int put_double(writer *w, int var, const char *name, double v)
{
    NC_TRY(w, nc_put_att_double(w->ncid, var, name, NC_DOUBLE, 1, &v), name);
    return RNR_OK;
}

static int put_i64(writer *w, int var, const char *name, long long v)
{
    NC_TRY(w, nc_put_att_longlong(w->ncid, var, name, NC_INT64, 1, &v), name);
    return RNR_OK;
}

/* A float [feature_id, time] variable with t-route's four attributes, then
 * the CF standard_name when CF defines one (NULL: none). */
static int def_field(writer *w, const int dims[2], const char *name, const char *long_name,
                     const char *units, const char *standard_name, int *var)
{
    NC_TRY(w, nc_def_var(w->ncid, name, NC_FLOAT, 2, dims, var), name);
    float fill = NC_OUTPUT_FILL;
    NC_TRY(w, nc_put_att_float(w->ncid, *var, "_FillValue", NC_FLOAT, 1, &fill), name);
    int rc;
    if ((rc = put_text(w, *var, "long_name", long_name)) ||
        (rc = put_text(w, *var, "units", units)) ||
        (rc = put_double(w, *var, "missing_value", -9999.0)))
        return rc;
    if (standard_name && (rc = put_text(w, *var, "standard_name", standard_name)))
        return rc;
    return RNR_OK;
}

typedef struct vars {
    int time, fid, type, flow, velocity, depth, nudge;
    nc_series_vars series;
} vars;

static int define_time(writer *w, int dim, int64_t ref, int *var)
{
    char stamp[32], units[64];
    if (time_format(ref, "%Y-%m-%d %H:%M:%S", stamp, sizeof stamp))
        return rnr_error_set(w->err, RNR_ERR_INVALID, "%s: reference time %lld out of range",
                             w->path, (long long)ref);
    snprintf(units, sizeof units, "seconds since %s", stamp);
    NC_TRY(w, nc_def_var(w->ncid, "time", NC_DOUBLE, 1, &dim, var), "time");
    int rc;
    if ((rc = put_double(w, *var, "_FillValue", -9999.0)) ||
        (rc = put_text(w, *var, "long_name", "valid output time")) ||
        (rc = put_text(w, *var, "standard_name", "time")) ||
        (rc = put_text(w, *var, "units", units)) ||
        (rc = put_double(w, *var, "missing_value", -9999.0)) ||
        (rc = put_text(w, *var, "calendar", "standard")) || (rc = put_text(w, *var, "axis", "T")))
        return rc;
    return RNR_OK;
}

static int define_all(writer *w, size_t nseg, size_t ntime, const nc_meta *m,
                      const nc_series *series, vars *v)
{
    int dseg, dtime, rc;
    NC_TRY(w, nc_def_dim(w->ncid, "feature_id", nseg, &dseg), "feature_id dimension");
    NC_TRY(w, nc_def_dim(w->ncid, "time", ntime, &dtime), "time dimension");
    /* t-route's file also has type_strlen, which xarray leaves behind and
     * no variable uses ("type" is a netCDF-4 string): not written. */
    if ((rc = define_time(w, dtime, m->reference_time, &v->time)))
        return rc;
    NC_TRY(w, nc_def_var(w->ncid, "feature_id", NC_INT64, 1, &dseg, &v->fid), "feature_id");
    /* cf_role makes feature_id the CF timeSeries instance identifier. */
    if ((rc = put_text(w, v->fid, "long_name", "Segment ID")) ||
        (rc = put_text(w, v->fid, "cf_role", "timeseries_id")))
        return rc;
    NC_TRY(w, nc_def_var(w->ncid, "type", NC_STRING, 1, &dseg, &v->type), "type");
    if ((rc = put_text(w, v->type, "long_name", "Type")))
        return rc;
    int dims[2] = {dseg, dtime};
    /* CF names river discharge; it has no name for a channel's mean
     * velocity or flow depth, whose long_names stay t-route's. */
    if ((rc = def_field(w, dims, "flow", "Flow", "m3 s-1",
                        "water_volume_transport_in_river_channel", &v->flow)) ||
        (rc = def_field(w, dims, "velocity", "Velocity", "m/s", NULL, &v->velocity)) ||
        (rc = def_field(w, dims, "depth", "Depth", "m", NULL, &v->depth)) ||
        (rc = def_field(w, dims, "nudge", "Streamflow Nudge Value", "m3 s-1", NULL, &v->nudge)))
        return rc;
    char ref[32];
    time_format(m->reference_time, "%Y-%m-%d_%H:%M:%S", ref, sizeof ref);
    if ((rc = put_text(w, NC_GLOBAL, "TITLE", "OUTPUT FROM T-ROUTE")) ||
        (rc = put_text(w, NC_GLOBAL, "file_reference_time", ref)) ||
        (rc = put_text(w, NC_GLOBAL, "code_version", m->code_version)) ||
        (rc = put_text(w, NC_GLOBAL, "max_status", m->max_status)) ||
        (rc = put_i64(w, NC_GLOBAL, "stream_order", m->stream_order)) ||
        (rc = put_text(w, NC_GLOBAL, "rfc_location", m->rfc_location)) ||
        (rc = put_i64(w, NC_GLOBAL, "rfc_reach_id", m->rfc_reach_id)) ||
        (rc = put_i64(w, NC_GLOBAL, "hf_id", m->hf_id)) ||
        (rc = put_text(w, NC_GLOBAL, "state", m->state)) ||
        (rc = put_text(w, NC_GLOBAL, "name", m->name)) ||
        (rc = put_text(w, NC_GLOBAL, "Conventions", "CF-1.8")) ||
        (rc = put_text(w, NC_GLOBAL, "featureType", "timeSeries")))
        return rc;
    if (m->trace_id && *m->trace_id && (rc = put_text(w, NC_GLOBAL, "trace_id", m->trace_id)))
        return rc;
    char units[64];
    time_format(m->reference_time, "seconds since %Y-%m-%d %H:%M:%S", units, sizeof units);
    if ((rc = nc_series_define(w->ncid, series, units, &v->series, w->path, w->err)))
        return rc;
    NC_TRY(w, nc_enddef(w->ncid), "enddef");
    return RNR_OK;
}

static int write_data(writer *w, const vars *v, const int64_t *fids, size_t nseg,
                      const double *time_s, size_t ntime, const float *flow, const float *velocity,
                      const float *depth)
{
    NC_TRY(w, nc_put_var_double(w->ncid, v->time, time_s), "time data");
    NC_TRY(w, nc_put_var_longlong(w->ncid, v->fid, (const long long *)fids), "feature_id data");
    const char **types = malloc((nseg ? nseg : 1) * sizeof *types);
    float *nudge = malloc((nseg * ntime > 0 ? nseg * ntime : 1) * sizeof *nudge);
    if (!types || !nudge) {
        free(types);
        free(nudge);
        return rnr_error_set(w->err, RNR_ERR_NOMEM, "%s: out of memory", w->path);
    }
    for (size_t i = 0; i < nseg; i++)
        types[i] = TYPE_VALUE;
    for (size_t i = 0; i < nseg * ntime; i++)
        nudge[i] = NC_OUTPUT_FILL;
    int st = nc_put_var_string(w->ncid, v->type, types);
    if (st == NC_NOERR)
        st = nc_put_var_float(w->ncid, v->nudge, nudge);
    free(types);
    free(nudge);
    if (st != NC_NOERR)
        return nc_fail(w, st, "type/nudge data");
    NC_TRY(w, nc_put_var_float(w->ncid, v->flow, flow), "flow data");
    NC_TRY(w, nc_put_var_float(w->ncid, v->velocity, velocity), "velocity data");
    NC_TRY(w, nc_put_var_float(w->ncid, v->depth, depth), "depth data");
    return RNR_OK;
}

static int check_args(const char *path, const int64_t *fids, size_t nseg, const double *time_s,
                      size_t ntime, const float *flow, const float *velocity, const float *depth,
                      const nc_meta *meta, rnr_error *err)
{
    if (!path || !*path || !meta)
        return rnr_error_set(err, RNR_ERR_INVALID, "nc_output_write: missing path or metadata");
    if (nseg == 0 || ntime == 0)
        return rnr_error_set(err, RNR_ERR_INVALID, "%s: no data (%zu segments, %zu times)", path,
                             nseg, ntime);
    if (!fids || !time_s || !flow || !velocity || !depth)
        return rnr_error_set(err, RNR_ERR_INVALID, "%s: missing data array", path);
    if (nseg > SIZE_MAX / ntime / sizeof(float))
        return rnr_error_set(err, RNR_ERR_LIMIT, "%s: %zu x %zu values is too large", path, nseg,
                             ntime);
    for (size_t k = 0; k < ntime; k++)
        if (!isfinite(time_s[k]) || time_s[k] == -9999.0)
            return rnr_error_set(err, RNR_ERR_INVALID, "%s: time[%zu] = %g is not a valid offset",
                                 path, k, time_s[k]);
    /* The last guard before a file others read: whatever went wrong
     * upstream, Inf or NaN never becomes an output. */
    const float *fields[3] = {flow, velocity, depth};
    static const char *const names[3] = {"flow", "velocity", "depth"};
    for (int f = 0; f < 3; f++)
        for (size_t i = 0; i < nseg * ntime; i++)
            if (!isfinite(fields[f][i]))
                return rnr_error_set(
                    err, RNR_ERR_INVALID,
                    "%s: %s of feature %lld at time %zu is %g: refusing to write a non-finite value",
                    path, names[f], (long long)fids[i / ntime], i % ntime, (double)fields[f][i]);
    return RNR_OK;
}

int nc_output_write(const char *path, const int64_t *feature_ids, size_t nseg, const double *time_s,
                    size_t ntime, const float *flow, const float *velocity, const float *depth,
                    const nc_meta *meta, rnr_error *err)
{
    return nc_output_write_series(path, feature_ids, nseg, time_s, ntime, flow, velocity, depth,
                                  meta, NULL, err);
}

int nc_output_write_series(const char *path, const int64_t *feature_ids, size_t nseg,
                           const double *time_s, size_t ntime, const float *flow,
                           const float *velocity, const float *depth, const nc_meta *meta,
                           const nc_series *series, rnr_error *err)
{
    int rc = check_args(path, feature_ids, nseg, time_s, ntime, flow, velocity, depth, meta, err);
    if (rc)
        return rc;
    /* Not fsync'd: the worker uploads this file and deletes it, and the
     * store makes its own copy durable; `rnr route` writes like cp. */
    durable_file *d = NULL;
    rc = durable_begin(path, NULL, &d, err);
    if (rc)
        return rc;
    const char *tmp = durable_handoff(d);
    writer w = {-1, path, err};
    /* Small files are built in memory and written once at close (HDF5's
     * many small writes cost ~15 % of a forecast-sized file); a large one
     * goes straight to disk rather than doubling the routing's memory. */
    int mode = NC_CLOBBER | NC_NETCDF4;
    if ((double)nseg * (double)ntime * 4 * sizeof(float) < 64.0 * 1024 * 1024)
        mode |= NC_DISKLESS | NC_PERSIST;
    int st = nc_create(tmp, mode, &w.ncid);
    if (st != NC_NOERR) {
        rc = nc_fail(&w, st, "create");
        w.ncid = -1;
    } else {
        vars v;
        rc = define_all(&w, nseg, ntime, meta, series, &v);
        if (!rc)
            rc = write_data(&w, &v, feature_ids, nseg, time_s, ntime, flow, velocity, depth);
        if (!rc)
            rc = nc_series_put(w.ncid, series, meta->reference_time, &v.series, path, err);
        st = nc_close(w.ncid);
        if (!rc && st != NC_NOERR)
            rc = nc_fail(&w, st, "close");
    }
    if (rc) {
        durable_abort(d);
        return rc;
    }
    return durable_commit(d, err);
}

/* ---- reader ------------------------------------------------------------ */

/* One read: through netCDF-C (ncid), or straight through HDF5 (h5 set)
 * where every accessor below answers RNR_ERR_UNSUPPORTED for what nc_h5
 * does not recognise, and the whole read starts over through netCDF-C. */
typedef struct reader {
    int ncid;
    nc_h5 *h5;
    const char *path;
    rnr_error *err;
    unsigned parts; /* NC_OUTPUT_READ_* */
} reader;

static int h5_other(reader *r, int rc, const char *what)
{
    if (rc == RNR_ERR_NOMEM)
        return rnr_error_set(r->err, rc, "%s: out of memory", r->path);
    return rnr_error_set(r->err, RNR_ERR_UNSUPPORTED, "%s: %s is not in rnr's own HDF5 layout",
                         r->path, what);
}

static int rd_fail(reader *r, int status, const char *what)
{
    return rnr_error_set(r->err,
                         status == NC_ENOTVAR || status == NC_EBADDIM ? RNR_ERR_PARSE : RNR_ERR_IO,
                         "%s: netCDF %s: %s", r->path, what, nc_strerror(status));
}

/* Copy a text or string attribute of variable var (netCDF id) named
 * vname (NULL for both: global) into buf; absent leaves buf "". */
static int get_text(reader *r, int var, const char *vname, const char *name, char *buf, size_t n)
{
    buf[0] = '\0';
    if (r->h5) {
        int rc = nc_h5_text(r->h5, vname, name, buf, n);
        return rc == RNR_OK || rc == RNR_ERR_NOTFOUND ? RNR_OK : h5_other(r, rc, name);
    }
    nc_type type;
    size_t len;
    if (nc_inq_att(r->ncid, var, name, &type, &len) != NC_NOERR)
        return RNR_OK;
    if (type == NC_CHAR) {
        if (len >= n)
            return rnr_error_set(r->err, RNR_ERR_LIMIT, "%s: attribute %s is %zu bytes (limit %zu)",
                                 r->path, name, len, n - 1);
        int st = nc_get_att_text(r->ncid, var, name, buf);
        if (st != NC_NOERR)
            return rd_fail(r, st, name);
        buf[len] = '\0';
        return RNR_OK;
    }
    if (type == NC_STRING && len == 1) {
        char *s = NULL;
        int st = nc_get_att_string(r->ncid, var, name, &s);
        if (st != NC_NOERR)
            return rd_fail(r, st, name);
        size_t sl = s ? strlen(s) : 0;
        if (sl >= n) {
            nc_free_string(1, &s);
            return rnr_error_set(r->err, RNR_ERR_LIMIT, "%s: attribute %s is %zu bytes (limit %zu)",
                                 r->path, name, sl, n - 1);
        }
        memcpy(buf, s ? s : "", sl + 1);
        nc_free_string(1, &s);
        return RNR_OK;
    }
    return rnr_error_set(r->err, RNR_ERR_PARSE, "%s: attribute %s is not text", r->path, name);
}

static int get_int(reader *r, const char *name, int64_t *out)
{
    *out = 0;
    if (r->h5) {
        int rc = nc_h5_int(r->h5, name, out);
        return rc == RNR_OK || rc == RNR_ERR_NOTFOUND ? RNR_OK : h5_other(r, rc, name);
    }
    nc_type type;
    size_t len;
    if (nc_inq_att(r->ncid, NC_GLOBAL, name, &type, &len) != NC_NOERR)
        return RNR_OK;
    if (type == NC_CHAR || type == NC_STRING || len != 1)
        return rnr_error_set(r->err, RNR_ERR_PARSE, "%s: attribute %s is not a number", r->path,
                             name);
    long long v;
    int st = nc_get_att_longlong(r->ncid, NC_GLOBAL, name, &v);
    if (st != NC_NOERR && st != NC_ERANGE)
        return rd_fail(r, st, name);
    *out = v;
    return RNR_OK;
}

/* "seconds since 2025-05-06 06:00:00" -> scale 1 and origin epoch. */
static int parse_units(reader *r, const char *units, double *scale, int64_t *origin)
{
    static const struct {
        const char *word;
        double scale;
    } words[] = {{"seconds", 1}, {"minutes", 60}, {"hours", 3600}, {"days", 86400}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t wl = strlen(words[i].word);
        if (strncmp(units, words[i].word, wl) == 0 && strncmp(units + wl, " since ", 7) == 0 &&
            time_parse_iso(units + wl + 7, origin) == 0 && *origin != RNR_TIME_MISSING) {
            *scale = words[i].scale;
            return RNR_OK;
        }
    }
    return rnr_error_set(r->err, RNR_ERR_PARSE,
                         "%s: time units \"%s\" are not \"<unit> since <time>\"", r->path, units);
}

static int read_times(reader *r, nc_table *t, int64_t *origin)
{
    int var = -1, st = r->h5 ? NC_NOERR : nc_inq_varid(r->ncid, "time", &var);
    if (st != NC_NOERR)
        return rd_fail(r, st, "time variable");
    char units[128];
    double scale = 1;
    int rc = get_text(r, var, "time", "units", units, sizeof units);
    if (rc || (rc = parse_units(r, units, &scale, origin)))
        return rc;
    double *raw = malloc(t->ntime * sizeof *raw);
    if (!raw)
        return rnr_error_set(r->err, RNR_ERR_NOMEM, "%s: out of memory", r->path);
    if (r->h5 && (rc = nc_h5_read_f64(r->h5, "time", t->ntime, raw)) != RNR_OK) {
        free(raw);
        return h5_other(r, rc, "time");
    }
    st = r->h5 ? NC_NOERR : nc_get_var_double(r->ncid, var, raw);
    for (size_t k = 0; st == NC_NOERR && k < t->ntime; k++) {
        double v = raw[k], s = v * scale;
        if (!isfinite(s) || fabs(s) > 1e15 || v == -9999.0) {
            free(raw);
            return rnr_error_set(r->err, RNR_ERR_PARSE, "%s: time[%zu] = %g is not a valid time",
                                 r->path, k, v);
        }
        t->times[k] = *origin + (int64_t)llround(s);
    }
    free(raw);
    return st == NC_NOERR ? RNR_OK : rd_fail(r, st, "time data");
}

/* A float [feature_id, time] variable, checked for its dimensions. */
static int read_field(reader *r, const nc_table *t, const char *name, int dseg, int dtime,
                      float *out)
{
    if (r->h5) {
        int rc = nc_h5_read_field(r->h5, name, "feature_id", "time", t->nseg, t->ntime, out);
        return rc == RNR_OK ? RNR_OK : h5_other(r, rc, name);
    }
    int var, ndims, dims[NC_MAX_VAR_DIMS];
    int st = nc_inq_varid(r->ncid, name, &var);
    if (st != NC_NOERR)
        return rd_fail(r, st, name);
    if ((st = nc_inq_varndims(r->ncid, var, &ndims)) != NC_NOERR)
        return rd_fail(r, st, name);
    if (ndims != 2)
        return rnr_error_set(r->err, RNR_ERR_PARSE, "%s: variable %s is not [feature_id, time]",
                             r->path, name);
    if ((st = nc_inq_vardimid(r->ncid, var, dims)) != NC_NOERR)
        return rd_fail(r, st, name);
    if (dims[0] != dseg || dims[1] != dtime)
        return rnr_error_set(r->err, RNR_ERR_PARSE, "%s: variable %s is not [feature_id, time]",
                             r->path, name);
    st = nc_get_var_float(r->ncid, var, out);
    return st == NC_NOERR ? RNR_OK : rd_fail(r, st, name);
}

static int read_dims(reader *r, nc_table *t, int *dseg, int *dtime)
{
    int st, rc;
    if (r->h5) {
        *dseg = *dtime = -1;
        if ((rc = nc_h5_dim(r->h5, "feature_id", &t->nseg)) != RNR_OK ||
            (rc = nc_h5_dim(r->h5, "time", &t->ntime)) != RNR_OK)
            return h5_other(r, rc, "a dimension");
    } else if ((st = nc_inq_dimid(r->ncid, "feature_id", dseg)) != NC_NOERR ||
               (st = nc_inq_dimlen(r->ncid, *dseg, &t->nseg)) != NC_NOERR) {
        return rd_fail(r, st, "feature_id dimension");
    } else if ((st = nc_inq_dimid(r->ncid, "time", dtime)) != NC_NOERR ||
               (st = nc_inq_dimlen(r->ncid, *dtime, &t->ntime)) != NC_NOERR) {
        return rd_fail(r, st, "time dimension");
    }
    if (t->nseg == 0 || t->ntime == 0)
        return rnr_error_set(r->err, RNR_ERR_PARSE, "%s: empty output (%zu segments, %zu times)",
                             r->path, t->nseg, t->ntime);
    if (t->nseg > SIZE_MAX / t->ntime / sizeof(float))
        return rnr_error_set(r->err, RNR_ERR_LIMIT, "%s: %zu x %zu values is too large", r->path,
                             t->nseg, t->ntime);
    size_t cells = t->nseg * t->ntime;
    int all = !(r->parts & NC_OUTPUT_READ_FLOW);
    t->feature_ids = malloc(t->nseg * sizeof *t->feature_ids);
    t->times = malloc(t->ntime * sizeof *t->times);
    t->flow = malloc(cells * sizeof(float));
    t->velocity = all ? malloc(cells * sizeof(float)) : NULL;
    t->depth = all ? malloc(cells * sizeof(float)) : NULL;
    if (!t->feature_ids || !t->times || !t->flow || (all && (!t->velocity || !t->depth)))
        return rnr_error_set(r->err, RNR_ERR_NOMEM, "%s: out of memory", r->path);
    return RNR_OK;
}

static int read_attrs(reader *r, nc_table *t, int64_t origin)
{
    int64_t so = 0;
    int rc;
    const int g = NC_GLOBAL;
    if ((rc = get_text(r, g, NULL, "TITLE", t->title, sizeof t->title)) ||
        (rc = get_text(r, g, NULL, "file_reference_time", t->file_reference_time,
                       sizeof t->file_reference_time)) ||
        (rc = get_text(r, g, NULL, "code_version", t->code_version, sizeof t->code_version)) ||
        (rc = get_text(r, g, NULL, "max_status", t->max_status, sizeof t->max_status)) ||
        (rc = get_int(r, "stream_order", &so)) ||
        (rc = get_text(r, g, NULL, "rfc_location", t->rfc_location, sizeof t->rfc_location)) ||
        (rc = get_int(r, "rfc_reach_id", &t->rfc_reach_id)) ||
        (rc = get_int(r, "hf_id", &t->hf_id)) ||
        (rc = get_text(r, g, NULL, "state", t->state, sizeof t->state)) ||
        (rc = get_text(r, g, NULL, "name", t->name, sizeof t->name)))
        return rc;
    /* the trace only names where the file came from: one that cannot be
     * read leaves it "" rather than the file unreadable */
    rnr_error ignored;
    rnr_error *keep = r->err;
    r->err = &ignored;
    if (get_text(r, NC_GLOBAL, NULL, "trace_id", t->trace_id, sizeof t->trace_id) != RNR_OK)
        t->trace_id[0] = '\0';
    r->err = keep;
    if (so < INT32_MIN || so > INT32_MAX)
        return rnr_error_set(r->err, RNR_ERR_PARSE, "%s: stream_order %lld out of range", r->path,
                             (long long)so);
    t->stream_order = (int)so;
    t->reference_time = origin;
    if (t->file_reference_time[0] &&
        time_parse_iso(t->file_reference_time, &t->reference_time) != 0)
        return rnr_error_set(r->err, RNR_ERR_PARSE, "%s: file_reference_time \"%s\" is not a time",
                             r->path, t->file_reference_time);
    return RNR_OK;
}

static int read_all(reader *r, nc_table *t)
{
    int dseg = -1, dtime = -1, var, st, rc; /* -1: no netCDF dimension (the HDF5 path) */
    int64_t origin = 0;
    if ((rc = read_dims(r, t, &dseg, &dtime)) || (rc = read_times(r, t, &origin)))
        return rc;
    if (r->h5) {
        if ((rc = nc_h5_read_i64(r->h5, "feature_id", t->nseg, t->feature_ids)) != RNR_OK)
            return h5_other(r, rc, "feature_id");
    } else if ((st = nc_inq_varid(r->ncid, "feature_id", &var)) != NC_NOERR ||
               (st = nc_get_var_longlong(r->ncid, var, (long long *)t->feature_ids)) != NC_NOERR) {
        return rd_fail(r, st, "feature_id");
    }
    if ((rc = read_field(r, t, "flow", dseg, dtime, t->flow)))
        return rc;
    if (!(r->parts & NC_OUTPUT_READ_FLOW) &&
        ((rc = read_field(r, t, "velocity", dseg, dtime, t->velocity)) ||
         (rc = read_field(r, t, "depth", dseg, dtime, t->depth))))
        return rc;
    if ((rc = read_attrs(r, t, origin)))
        return rc;
    if (r->parts & NC_OUTPUT_READ_FLOW) {
        for (int i = 0; i < 4; i++)
            t->flood_flow[i] = NAN;
        return RNR_OK;
    }
    return nc_series_read(r->ncid, t, origin, r->path, r->err);
}

/* A table read by r (opened by the caller). */
static int read_table(reader *r, nc_table **out)
{
    *out = NULL;
    nc_table *t = calloc(1, sizeof *t);
    int rc =
        t ? read_all(r, t) : rnr_error_set(r->err, RNR_ERR_NOMEM, "%s: out of memory", r->path);
    if (rc) {
        nc_table_free(t);
        return rc;
    }
    t->read_direct = r->h5 != NULL;
    *out = t;
    return RNR_OK;
}

int nc_output_read(const char *path, nc_table **out, rnr_error *err)
{
    *out = NULL;
    reader r = {-1, NULL, path, err, NC_OUTPUT_READ_ALL};
    int st = nc_open(path, NC_NOWRITE | NC_DISKLESS, &r.ncid);
    if (st != NC_NOERR)
        return rnr_error_set(err, st == ENOENT ? RNR_ERR_NOTFOUND : RNR_ERR_IO,
                             "%s: cannot open: %s", path, nc_strerror(st));
    int rc = read_table(&r, out);
    nc_close(r.ncid);
    return rc;
}

/* The direct read: RNR_OK with *out, or anything else to start over. */
static int read_mem_direct(const char *name, const void *data, size_t len, unsigned parts,
                           nc_table **out)
{
    nc_h5 *h;
    int rc = nc_h5_open(data, len, &h);
    if (rc != RNR_OK)
        return rc;
    rnr_error ignored; /* netCDF-C's read gives the message of a bad file */
    reader r = {-1, h, name, &ignored, parts};
    rc = read_table(&r, out);
    nc_h5_close(h);
    return rc;
}

int nc_output_read_mem(const char *name, const void *data, size_t len, unsigned parts,
                       nc_table **out, rnr_error *err)
{
    *out = NULL;
    if ((parts & NC_OUTPUT_READ_FLOW) && !(parts & NC_OUTPUT_READ_NETCDF) &&
        read_mem_direct(name, data, len, parts, out) == RNR_OK)
        return RNR_OK;
    reader r = {-1, NULL, name, err, parts};
    /* NC_NOWRITE: netCDF-C only reads the memory it is lent */
    int st = nc_open_mem(name, NC_NOWRITE, len, (void *)(uintptr_t)data, &r.ncid);
    if (st != NC_NOERR)
        return rnr_error_set(err, RNR_ERR_IO, "%s: cannot open: %s", name, nc_strerror(st));
    int rc = read_table(&r, out);
    nc_close(r.ncid);
    return rc;
}

void nc_table_free(nc_table *t)
{
    if (!t)
        return;
    free(t->feature_ids);
    free(t->times);
    free(t->flow);
    free(t->velocity);
    free(t->depth);
    free(t->fcst_times);
    free(t->fcst_flows);
    free(t->obs_times);
    free(t->obs_flows);
    free(t);
}

int nc_table_peak(const nc_table *t, size_t *time_index)
{
    int found = 0;
    float best = 0;
    for (size_t s = 0; t && s < t->nseg; s++) {
        for (size_t k = 0; k < t->ntime; k++) {
            float q = t->flow[s * t->ntime + k];
            if (isnan(q) || q == NC_OUTPUT_FILL)
                continue;
            if (!found || q > best) {
                best = q;
                *time_index = k;
                found = 1;
            }
        }
    }
    return found ? RNR_OK : RNR_ERR_NOTFOUND;
}
