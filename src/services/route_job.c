/* route_job.c - one RFC forecast routed through its RnR segment: cut the
 * hydrofabric at the gauge's reachId, force the origin with the forecast,
 * route in t-route's order and write troute_output_YYYYMMDDHHMM.nc (plus an
 * optional SVG hydrograph). `rnr route` and the worker both call this, so a
 * forecast gives the same file whichever path routed it. */
#include "services/route_job.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/timeutil.h"
#include "hydro/forcing.h"
#include "hydro/network.h"
#include "io/nc_output.h"
#include "io/svg_plot.h"

#include <sys/statvfs.h>

/* Lateral inflow only at the origin, one precomputed value per step. */
typedef struct origin_forcing {
    const float *qlat; /* [nts] */
    long origin;       /* routing-order index */
    int nts;
} origin_forcing;

static int origin_qlat(void *ctx, int step, float *qlat)
{
    const origin_forcing *of = ctx;
    if (step >= 1 && step <= of->nts)
        qlat[of->origin] = of->qlat[step - 1];
    return RNR_OK;
}

int route_job_output_every(float dt, int output_every, int *out, rnr_error *err)
{
    if (output_every > 0) {
        *out = output_every;
        return RNR_OK;
    }
    if (!(dt > 0) || dt > 3600.0f || (float)(3600 / (int)dt) * dt != 3600.0f || (int)dt != dt)
        return rnr_error_set(
            err, RNR_ERR_INVALID,
            "time step dt = %g s does not divide an hour: give the output interval in steps",
            (double)dt);
    *out = 3600 / (int)dt;
    return RNR_OK;
}

static void find_peak(const net_result *r, size_t seg, float dt, int64_t t0, float *peak,
                      int64_t *when)
{
    *peak = 0.0f;
    *when = t0;
    for (size_t k = 0; k < r->nout; k++) {
        float v = r->flow[seg * r->nout + k];
        if (k == 0 || v > *peak) {
            *peak = v;
            *when = t0 + (int64_t)((double)r->steps[k] * (double)dt);
        }
    }
}

/* Doubles as the floats the NetCDF holds (malloc'd, NULL on failure). */
static float *to_floats(const double *v, size_t n)
{
    float *out = malloc((n ? n : 1) * sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        out[i] = (float)v[i];
    return out;
}

/* RNR_PLOT_UNITS: m3/s (default) or cfs. */
static int plot_units(int *cfs, rnr_error *err)
{
    const char *v = getenv("RNR_PLOT_UNITS");
    *cfs = svg_units_parse(v && *v ? v : NULL);
    if (*cfs < 0)
        return rnr_error_set(err, RNR_ERR_INVALID, "RNR_PLOT_UNITS=\"%s\": expected m3/s or cfs",
                             v);
    return RNR_OK;
}

/* Plot the result from memory: the table holds what nc_output_read would
 * give back from the file just written (times as t0 + step * dt rounded to
 * the second, the same attributes and forecast series), without reading
 * the file again. */
static int plot_result(const net_result *r, float dt, const nc_meta *meta, const nc_series *ser,
                       const char *svg_path, rnr_error *err)
{
    svg_opts so = {0, 0, 0, NULL, 0};
    int rc = plot_units(&so.units_cfs, err);
    if (rc != RNR_OK)
        return rc;
    nc_table t = {.nseg = r->nseg,
                  .ntime = r->nout,
                  .feature_ids = r->ids,
                  .flow = r->flow,
                  .velocity = r->velocity,
                  .depth = r->depth,
                  .reference_time = meta->reference_time,
                  .stream_order = meta->stream_order,
                  .rfc_reach_id = meta->rfc_reach_id,
                  .hf_id = meta->hf_id,
                  .n_fcst = ser->n_fcst,
                  .n_obs = ser->n_obs,
                  .fcst_times = (int64_t *)ser->fcst_times,
                  .obs_times = (int64_t *)ser->obs_times};
    for (int c = 0; c < 4; c++)
        t.flood_flow[c] = ser->flood_flow[c];
    t.times = malloc((r->nout ? r->nout : 1) * sizeof *t.times);
    t.fcst_flows = to_floats(ser->fcst_flows, ser->n_fcst);
    t.obs_flows = to_floats(ser->obs_flows, ser->n_obs);
    if (!t.times || !t.fcst_flows || !t.obs_flows) {
        free(t.times);
        free(t.fcst_flows);
        free(t.obs_flows);
        return rnr_error_set(err, RNR_ERR_NOMEM, "%s: out of memory", svg_path);
    }
    for (size_t k = 0; k < r->nout; k++)
        t.times[k] = meta->reference_time + (int64_t)llround((double)r->steps[k] * (double)dt);
    snprintf(t.max_status, sizeof t.max_status, "%s", meta->max_status ? meta->max_status : "");
    snprintf(t.rfc_location, sizeof t.rfc_location, "%s",
             meta->rfc_location ? meta->rfc_location : "");
    snprintf(t.state, sizeof t.state, "%s", meta->state ? meta->state : "");
    snprintf(t.name, sizeof t.name, "%s", meta->name ? meta->name : "");
    rc = svg_hydrograph_save(svg_path, &t, &so, err);
    free(t.times);
    free(t.fcst_flows);
    free(t.obs_flows);
    return rc;
}

/* netCDF/HDF5 report a full disk as whatever their last call saw ("HDF
 * error", "Permission denied"): when the directory has no space left, say
 * so, so the operator looks at the disk and not at the permissions. */
static void route_job_explain_full_disk(const char *path, rnr_error *err)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    struct statvfs v;
    /* a NetCDF output needs at least a few blocks of room */
    if (statvfs(dir, &v) != 0 || (uint64_t)v.f_bavail * v.f_frsize >= 65536)
        return;
    char was[sizeof err->msg];
    snprintf(was, sizeof was, "%s", err->msg);
    rnr_error_set(err, RNR_ERR_IO,
                  "%s: disk full: no space left on the device (%llu bytes free; "
                  "the writer said: %.300s)",
                  dir, (unsigned long long)v.f_bavail * v.f_frsize, was);
}

static int write_nc_series(const char *path, const net_result *r, float dt, const nc_meta *meta,
                           const nc_series *ser, rnr_error *err)
{
    double *ts = malloc((r->nout ? r->nout : 1) * sizeof *ts);
    if (!ts)
        return rnr_error_set(err, RNR_ERR_NOMEM, "%s: out of memory", path);
    for (size_t k = 0; k < r->nout; k++)
        ts[k] = (double)r->steps[k] * (double)dt;
    int rc = nc_output_write_series(path, r->ids, r->nseg, ts, r->nout, r->flow, r->velocity,
                                    r->depth, meta, ser, err);
    free(ts);
    if (rc == RNR_ERR_IO)
        route_job_explain_full_disk(path, err);
    return rc;
}

int route_job_write_nc(const char *path, const net_result *r, float dt, const nc_meta *meta,
                       rnr_error *err)
{
    return write_nc_series(path, r, dt, meta, NULL, err);
}

/* What every output format is written from. */
typedef struct route_outcome {
    const net_result *r;
    float dt;
    const nc_meta *meta;
    const nc_series *ser;
} route_outcome;

typedef struct output_format {
    const char *suffix; /* after troute_output_YYYYMMDDHHMM */
    const char *content_type;
    int (*wanted)(const route_job_opts *o);
    int (*write)(const char *path, const route_outcome *c, rnr_error *err);
} output_format;

static int format_always(const route_job_opts *o)
{
    (void)o;
    return 1;
}

static int format_plot_wanted(const route_job_opts *o)
{
    return o->write_plot;
}

static int format_write_nc(const char *path, const route_outcome *c, rnr_error *err)
{
    return write_nc_series(path, c->r, c->dt, c->meta, c->ser, err);
}

static int format_write_svg(const char *path, const route_outcome *c, rnr_error *err)
{
    return plot_result(c->r, c->dt, c->meta, c->ser, path, err);
}

/* The files a route job writes, in this order; the NetCDF comes first
 * (the product). A new format is its writer in lib/io and one row here:
 * the worker stores, and `rnr route` prints, whatever the list holds. */
static const output_format output_formats[] = {
    {".nc", "application/x-netcdf", format_always, format_write_nc},
    {".svg", "image/svg+xml", format_plot_wanted, format_write_svg},
};
#define N_FORMATS (sizeof output_formats / sizeof output_formats[0])
_Static_assert(N_FORMATS <= ROUTE_JOB_OUTPUTS_MAX, "route_job_result.outputs is too short");

void route_job_remove_outputs(route_job_result *res)
{
    for (size_t i = 0; i < res->n_outputs; i++)
        unlink(res->outputs[i].path);
    res->n_outputs = 0;
}

/* Write every wanted format into out_dir; all or none of them. */
static int write_outputs(const route_job_opts *o, const char *out_dir, const route_outcome *c,
                         route_job_result *res, rnr_error *err)
{
    size_t stem = strlen(res->nc_name) - 3; /* without ".nc" */
    for (size_t i = 0; i < N_FORMATS; i++) {
        const output_format *fmt = &output_formats[i];
        if (!fmt->wanted(o))
            continue;
        route_output *out = &res->outputs[res->n_outputs];
        snprintf(out->path, sizeof out->path, "%s/%.*s%s", out_dir, (int)stem, res->nc_name,
                 fmt->suffix);
        int rc = fmt->write(out->path, c, err);
        if (rc != RNR_OK) {
            route_job_remove_outputs(res);
            return rc;
        }
        out->content_type = fmt->content_type;
        res->n_outputs++;
    }
    return RNR_OK;
}

const char *route_job_output(const route_job_result *res, const char *content_type)
{
    for (size_t i = 0; i < res->n_outputs; i++)
        if (strcmp(res->outputs[i].content_type, content_type) == 0)
            return res->outputs[i].path;
    return NULL;
}

static int route_cut(const hf_cut *cut, const rnr_forecast *f, const route_job_opts *o, int nts,
                     int every, net_result **out, rnr_error *err)
{
    hydro_net *net = NULL;
    int rc = net_new(cut->segs, cut->n, &net, err);
    if (rc != RNR_OK)
        return rc;
    float *qlat = malloc((size_t)nts * sizeof *qlat);
    float *q0 = malloc(cut->n * sizeof *q0);
    float *d0 = calloc(cut->n, sizeof *d0);
    if (!qlat || !q0 || !d0) {
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "route %s: out of memory", f->lid);
        goto done;
    }
    rc = forcing_build(f->times, f->flows, f->n, f->times[0], o->dt, nts, o->forcing_mode, qlat,
                       err);
    if (rc != RNR_OK)
        goto done;
    float init = o->initial_set ? o->initial_flow : forcing_initial_flow(f);
    for (size_t i = 0; i < cut->n; i++) {
        q0[i] = init;
        d0[i] = o->initial_set ? o->initial_depth : 0.0f;
    }
    origin_forcing of = {qlat, net_index_of(net, cut->segs[0].id), nts};
    net_run run = {o->dt, nts, every, origin_qlat, &of, q0, d0, 0, 0.0f};
    rc = net_route(net, &run, out, err);
done:
    free(qlat);
    free(q0);
    free(d0);
    net_free(net);
    return rc;
}

static void fill_result(const hf_cut *cut, const net_result *r, const rnr_forecast *f, float dt,
                        route_job_result *res)
{
    res->nseg = r->nseg;
    res->ntime = r->nout;
    res->t0 = f->times[0];
    res->t_end =
        res->t0 + (r->nout ? (int64_t)llround((double)r->steps[r->nout - 1] * (double)dt) : 0);
    res->origin_id = cut->segs[0].id;
    res->outlet_id = cut->segs[cut->n - 1].id;
    res->stream_order = cut->order;
    size_t io = 0, iu = 0;
    for (size_t i = 0; i < r->nseg; i++) {
        if (r->ids[i] == res->origin_id)
            io = i;
        if (r->ids[i] == res->outlet_id)
            iu = i;
    }
    find_peak(r, io, dt, res->t0, &res->peak_origin, &res->peak_origin_time);
    find_peak(r, iu, dt, res->t0, &res->peak_outlet, &res->peak_outlet_time);
}

static int check_opts(const route_job_opts *o, rnr_error *err)
{
    if (!(o->dt > 0))
        return rnr_error_set(err, RNR_ERR_INVALID, "time step dt = %g s must be > 0",
                             (double)o->dt);
    if (o->nts < 0 || o->output_every < 0)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "number of steps and output interval must be >= 0");
    return RNR_OK;
}

/* The run length when none is given: t-route's whole days with its forcing
 * (bit-exact with the oracle), else to the end of the forecast. */
static int default_steps(const rnr_forecast *f, const route_job_opts *o, int every, int *nts,
                         rnr_error *err)
{
    if (o->forcing_mode == FORCING_TROUTE) {
        if (forcing_default_nts(f->times, f->n, o->dt, nts) == RNR_OK)
            return RNR_OK;
        return rnr_error_set(
            err, RNR_ERR_INVALID,
            "forecast %s: cannot derive the number of steps (the forecast spans less than 24 h "
            "or dt = %g s does not divide a day)%s%s",
            f->lid, (double)o->dt, o->nts_hint ? ": " : "", o->nts_hint ? o->nts_hint : "");
    }
    int rc = forcing_horizon_nts(f->times, f->n, o->dt, every, nts);
    if (rc == RNR_OK)
        return RNR_OK;
    long long span = f->n ? (long long)(f->times[f->n - 1] - f->times[0]) : 0;
    if (rc == RNR_ERR_LIMIT)
        return rnr_error_set(err, RNR_ERR_LIMIT,
                             "forecast %s: %lld s at dt = %g s is too many steps", f->lid, span,
                             (double)o->dt);
    return rnr_error_set(
        err, RNR_ERR_INVALID,
        "forecast %s spans %lld s, less than the output interval of %g s: nothing to route%s%s",
        f->lid, span, (double)o->dt * every, o->nts_hint ? ": " : "",
        o->nts_hint ? o->nts_hint : "");
}

int route_job_run(hf_db *hf, const rnr_forecast *f, const route_job_opts *o, const char *out_dir,
                  route_job_result *res, rnr_error *err)
{
    route_job_opts def = {.forcing_mode = FORCING_TIMECORRECT, .dt = 300.0f};
    if (!o)
        o = &def;
    memset(res, 0, sizeof *res);
    int rc = check_opts(o, err);
    if (rc == RNR_OK)
        rc = forecast_validate(f, err);
    int nts = o->nts, every = 0;
    if (rc == RNR_OK)
        rc = route_job_output_every(o->dt, o->output_every, &every, err);
    if (rc == RNR_OK && nts == 0)
        rc = default_steps(f, o, every, &nts, err);
    if (rc != RNR_OK)
        return rc;
    hf_cut *cut = NULL;
    double t = time_mono_s();
    rc = hf_cut_reach(hf, f->reach_id, &cut, err);
    res->cut_s = time_mono_s() - t;
    if (rc != RNR_OK) {
        rnr_error_prefix(err, "forecast %s", f->lid);
        return rc;
    }
    net_result *r = NULL;
    t = time_mono_s();
    rc = route_cut(cut, f, o, nts, every, &r, err);
    res->route_s = time_mono_s() - t;
    if (rc == RNR_OK && r->nout == 0)
        rc = rnr_error_set(err, RNR_ERR_INVALID,
                           "forecast %s: %d steps give no output (every %d steps)", f->lid, nts,
                           every);
    if (rc == RNR_OK) {
        fill_result(cut, r, f, o->dt, res);
        nc_output_name(res->t0, res->nc_name, sizeof res->nc_name);
        nc_meta meta = {res->t0,           f->flood_category, cut->order, f->lid, f->reach_id,
                        cut->fps[0].hf_id, f->state,          f->name,    NULL,   o->trace_id};
        nc_series ser = {f->n,
                         f->times,
                         f->flows,
                         f->n_obs,
                         f->obs_times,
                         f->obs_flows,
                         {f->flood_flow[0], f->flood_flow[1], f->flood_flow[2], f->flood_flow[3]},
                         f->flood_flow_rated};
        route_outcome oc = {r, o->dt, &meta, &ser};
        t = time_mono_s();
        rc = write_outputs(o, out_dir, &oc, res, err);
        res->write_s = time_mono_s() - t;
    }
    net_result_free(r);
    hf_cut_free(cut);
    return rc;
}
