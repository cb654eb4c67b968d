/* route_job.h - route one RFC forecast through the RnR segment below its
 * gauge and write the t-route NetCDF (and optionally an SVG hydrograph).
 * Shared by `rnr route` and the worker so both produce identical files. */
#ifndef RNR_SERVICES_ROUTE_JOB_H
#define RNR_SERVICES_ROUTE_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/forecast.h"
#include "hydro/network.h"
#include "hydrofabric/hf.h"
#include "io/nc_output.h"

typedef struct route_job_opts {
    int forcing_mode;     /* FORCING_TIMECORRECT (default) or FORCING_TROUTE */
    float dt;             /* seconds per step, default 300 */
    int nts;              /* 0 = to the end of the forecast, rounded up to the output
                           interval; with FORCING_TROUTE t-route's 288 * floor(hours / 24) */
    int output_every;     /* steps between outputs, 0 = hourly (3600 / dt) */
    int write_plot;       /* also write troute_output_*.svg next to the .nc */
    int initial_set;      /* override the reference's initial state: */
    float initial_flow;   /*   every segment starts at this flow (m3/s) */
    float initial_depth;  /*   and this depth (m) */
    const char *nts_hint; /* how the caller sets nts, added to the errors when
                             nts cannot be derived ("give --nts");
                             NULL for callers without such a knob (the worker) */
    const char *trace_id; /* the NetCDF's trace_id attribute; NULL: none */
} route_job_opts;

/* One file a route job wrote: where, and what it is (the store's content
 * type). */
typedef struct route_output {
    char path[1024];
    const char *content_type; /* a static string */
} route_output;

/* At most one file per registered format (route_job.c's table). */
#define ROUTE_JOB_OUTPUTS_MAX 4

typedef struct route_job_result {
    size_t nseg;
    size_t ntime;
    int64_t t0;    /* first forecast time = routing start */
    int64_t t_end; /* time of the last output */
    int64_t origin_id, outlet_id;
    float peak_origin; /* m3/s */
    int64_t peak_origin_time;
    float peak_outlet;
    int64_t peak_outlet_time;
    int stream_order;
    char nc_name[64];                            /* troute_output_YYYYMMDDHHMM.nc */
    size_t n_outputs;                            /* the files written, in registration order: */
    route_output outputs[ROUTE_JOB_OUTPUTS_MAX]; /* [0] the NetCDF (out_dir/nc_name),
                                                    then each optional format asked for */
    double cut_s, route_s, write_s; /* step durations (seconds; write = every output format) */
} route_job_result;

/* Validate f, cut hf at f->reach_id, route, write into out_dir (atomic).
 * Bad input (no origin for the reach, invalid forecast) -> RNR_ERR_INVALID
 * or RNR_ERR_NOTFOUND with a one-line message; nothing is written then. */
int route_job_run(hf_db *hf, const rnr_forecast *f, const route_job_opts *o, const char *out_dir,
                  route_job_result *res, rnr_error *err);

/* Delete the files res lists and empty the list (a job given up). */
void route_job_remove_outputs(route_job_result *res);

/* The path of the output of content_type in res, NULL when none was
 * written (e.g. "image/svg+xml" without write_plot). */
const char *route_job_output(const route_job_result *res, const char *content_type);

/* The output interval in steps: output_every when > 0, else hourly
 * (3600 / dt, which must be a whole number of steps). */
int route_job_output_every(float dt, int output_every, int *out, rnr_error *err);

/* Write a routing result as t-route's NetCDF at path (atomic): feature_id in
 * the result's order, times = step * dt seconds after meta->reference_time. */
int route_job_write_nc(const char *path, const net_result *r, float dt, const nc_meta *meta,
                       rnr_error *err);

#endif
