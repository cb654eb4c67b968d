/* cmd_route.c - `rnr route`: route one RFC forecast (ProcessedData JSON)
 * through its RnR segment, or arbitrary lateral inflows (a qlat CSV)
 * through a whole hydrofabric network, and write t-route's NetCDF. */
#include "command.h"

#include "core/fileutil.h"
#include "core/timeutil.h"
#include "hydro/forcing.h"
#include "hydro/network.h"
#include "hydrofabric/hf.h"
#include "nws/processed.h"
#include "services/route_input.h"
#include "services/route_job.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct route_args {
    const char *hydrofabric, *forecast, *out, *qlat, *initial, *start;
    int forcing_mode, nts, output_every, plot, initial_set, json;
    float dt, initial_flow, initial_depth;
    int64_t outlet;
} route_args;

typedef struct qlat_feed {
    const qlat_row *rows;
    size_t n, cur;
} qlat_feed;

static int parse_args(int argc, char **argv, route_args *a)
{
    memset(a, 0, sizeof *a);
    a->dt = 300.0f;
    a->forcing_mode = FORCING_TIMECORRECT;
    /* The workers' variable sets the default, so one setting switches the
     * whole deployment to t-route's rules; --forcing overrides it. */
    const char *env = getenv("RNR_FORCING");
    if (env && *env && !strcmp(env, "troute"))
        a->forcing_mode = FORCING_TROUTE;
    else if (env && *env && strcmp(env, "timecorrect"))
        return cmd_usage_error("route", "RNR_FORCING must be timecorrect or troute, got '%s'", env);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        double d;
        if (!strcmp(o, "--plot") || !strcmp(o, "--json")) {
            *(o[2] == 'p' ? &a->plot : &a->json) = 1;
            continue;
        }
        if (!v || o[0] != '-')
            return cmd_usage_error("route", "unknown or incomplete option '%s'", o);
        i++;
        if (!strcmp(o, "--hydrofabric"))
            a->hydrofabric = v;
        else if (!strcmp(o, "--forecast"))
            a->forecast = v;
        else if (!strcmp(o, "--out"))
            a->out = v;
        else if (!strcmp(o, "--qlat"))
            a->qlat = v;
        else if (!strcmp(o, "--initial"))
            a->initial = v;
        else if (!strcmp(o, "--start"))
            a->start = v;
        else if (!strcmp(o, "--initial-flow") || !strcmp(o, "--initial-depth")) {
            if (route_input_parse_num(v, &d) || !(d >= 0) ||
                d > (o[10] == 'f' ? RNR_FLOW_MAX_M3S : ROUTE_DEPTH_MAX))
                return cmd_usage_error("route", "%s must be a number in [0, %g], got '%s'", o,
                                       o[10] == 'f' ? RNR_FLOW_MAX_M3S : ROUTE_DEPTH_MAX, v);
            if (o[10] == 'f')
                a->initial_flow = (float)d;
            else
                a->initial_depth = (float)d;
            a->initial_set = 1;
        } else if (!strcmp(o, "--forcing")) {
            if (!strcmp(v, "timecorrect"))
                a->forcing_mode = FORCING_TIMECORRECT;
            else if (!strcmp(v, "troute"))
                a->forcing_mode = FORCING_TROUTE;
            else
                return cmd_usage_error("route", "--forcing must be timecorrect or troute, got '%s'",
                                       v);
        } else if (!strcmp(o, "--dt")) {
            if (route_input_parse_num(v, &d) || !(d > 0) || d > 86400)
                return cmd_usage_error("route", "--dt must be seconds in (0, 86400], got '%s'", v);
            a->dt = (float)d;
        } else if (!strcmp(o, "--nts")) {
            if (route_input_parse_int(v, 1, 100000000, &n))
                return cmd_usage_error("route", "--nts must be a positive step count, got '%s'", v);
            a->nts = (int)n;
        } else if (!strcmp(o, "--output-every")) {
            if (route_input_parse_int(v, 1, 100000000, &n))
                return cmd_usage_error("route",
                                       "--output-every must be a positive step count, got '%s'", v);
            a->output_every = (int)n;
        } else if (!strcmp(o, "--outlet")) {
            if (route_input_parse_id(v, &a->outlet))
                return cmd_usage_error("route",
                                       "--outlet must be a flowpath id (N or wb-N), got '%s'", v);
        } else
            return cmd_usage_error("route", "unknown option '%s'", o);
    }
    if (!a->hydrofabric || !a->out)
        return cmd_usage_error("route", "--hydrofabric and --out are required");
    if (!a->forecast == !a->qlat)
        return cmd_usage_error("route", "give exactly one of --forecast and --qlat");
    if (a->qlat && !a->nts)
        return cmd_usage_error("route", "--qlat needs --nts");
    if (a->forecast && (a->initial || a->start || a->outlet))
        return cmd_usage_error("route",
                               "--initial, --start and --outlet go with --qlat, not --forecast");
    if (a->qlat && a->initial_set)
        return cmd_usage_error(
            "route",
            "--initial-flow/--initial-depth go with --forecast; use --initial with --qlat");
    return 0;
}

/* Make --out if needed; *created tells the caller to take it away again
 * (rmdir, so only while empty) when the run fails. */
static int ensure_dir(const char *dir, int *created)
{
    struct stat st;
    *created = 0;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        fprintf(stderr, "rnr route: --out %s: not a directory\n", dir);
        return -1;
    }
    if (mkdir(dir, 0777) != 0) {
        fprintf(stderr, "rnr route: --out %s: %s\n", dir, strerror(errno));
        return -1;
    }
    *created = 1;
    return 0;
}

static void print_time(const char *label, float q, int64_t t)
{
    char ts[40];
    time_format_iso(t, ts, sizeof ts);
    printf("%-8s peak %.3f m3/s at %s\n", label, (double)q, ts);
}

/* The --json summary of a routed forecast, on one line. */
static int print_forecast_json(const rnr_forecast *f, const route_job_result *res, int mode)
{
    char t0[40], t1[40], po[40], pu[40];
    time_format_iso(res->t0, t0, sizeof t0);
    time_format_iso(res->t_end, t1, sizeof t1);
    time_format_iso(res->peak_origin_time, po, sizeof po);
    time_format_iso(res->peak_outlet_time, pu, sizeof pu);
    json_t *outs = json_array();
    for (size_t i = 0; outs && i < res->n_outputs; i++)
        json_array_append_new(outs, json_pack("{s:s, s:s}", "path", res->outputs[i].path,
                                              "content_type", res->outputs[i].content_type));
    json_t *o = json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:{s:f, s:s}, s:{s:f, s:s}, s:o}", "lid",
        f->lid, "reach_id", (json_int_t)f->reach_id, "segments", (json_int_t)res->nseg, "origin_id",
        (json_int_t)res->origin_id, "outlet_id", (json_int_t)res->outlet_id, "times",
        (json_int_t)res->ntime, "forcing", mode == FORCING_TROUTE ? "troute" : "timecorrect",
        "start", t0, "end", t1, "peak_origin", "flow", (double)res->peak_origin, "time", po,
        "peak_outlet", "flow", (double)res->peak_outlet, "time", pu, "outputs", outs);
    return cmd_print_json("route", o) ? -1 : 0;
}

static int run_forecast(const route_args *a)
{
    size_t len = 0;
    char *json = NULL;
    rnr_error err = {0, ""};
    if (file_read_all(a->forecast, &json, &len, &err) != RNR_OK) {
        fprintf(stderr, "rnr route: %s\n", err.msg); /* names the file */
        return 1;
    }
    rnr_forecast *f = NULL;
    int rc = nws_processed_read(json, len, &f, &err);
    free(json);
    if (rc != RNR_OK) {
        fprintf(stderr, "rnr route: %s: %s\n", a->forecast, err.msg);
        return 1;
    }
    hf_db *hf = NULL;
    if (hf_open(a->hydrofabric, &hf, &err) != RNR_OK) {
        fprintf(stderr, "rnr route: %s\n", err.msg); /* hf_open names the file */
        forecast_free(f);
        return 1;
    }
    route_job_opts o = {
        a->forcing_mode, a->dt,           a->nts,           a->output_every, a->plot,
        a->initial_set,  a->initial_flow, a->initial_depth, "give --nts",    NULL};
    route_job_result res;
    int created = 0;
    rc = ensure_dir(a->out, &created) ? RNR_ERR_IO : route_job_run(hf, f, &o, a->out, &res, &err);
    if (rc != RNR_OK && created)
        rmdir(a->out);
    if (rc == RNR_OK && a->json) {
        rc = print_forecast_json(f, &res, a->forcing_mode) ? RNR_ERR_NOMEM : RNR_OK;
    } else if (rc == RNR_OK) {
        printf("%s: reach %lld, %zu segments (wb-%lld -> wb-%lld), %zu outputs, forcing %s\n",
               f->lid, (long long)f->reach_id, res.nseg, (long long)res.origin_id,
               (long long)res.outlet_id, res.ntime,
               a->forcing_mode == FORCING_TROUTE ? "troute" : "timecorrect");
        char a0[40], a1[40];
        time_format_iso(res.t0, a0, sizeof a0);
        time_format_iso(res.t_end, a1, sizeof a1);
        printf("horizon  %s to %s\n", a0, a1);
        print_time("origin", res.peak_origin, res.peak_origin_time);
        print_time("outlet", res.peak_outlet, res.peak_outlet_time);
        for (size_t i = 0; i < res.n_outputs; i++)
            printf("output   %s\n", res.outputs[i].path);
    } else if (err.msg[0]) {
        fprintf(stderr, "rnr route: %s: %s\n", a->forecast, err.msg);
    }
    hf_close(hf);
    forecast_free(f);
    return rc == RNR_OK ? 0 : 1;
}

/* ---- general mode: --qlat over a whole network ---- */

/* Open path and run one of the route_input readers on it. */
static int read_input(const char *path, const hydro_net *net, int nts, qlat_row **rows,
                      size_t *nrows, float *q0, float *d0)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "rnr route: %s: %s\n", path, strerror(errno));
        return -1;
    }
    rnr_error err = {0, ""};
    int rc = rows ? route_input_read_qlat(f, path, net, nts, rows, nrows, &err)
                  : route_input_read_initial(f, path, net, q0, d0, &err);
    fclose(f);
    if (rc != RNR_OK)
        fprintf(stderr, "rnr route: %s\n", err.msg);
    return rc == RNR_OK ? 0 : -1;
}

/* Rows are sorted by step and net_route asks for steps 1, 2, ... in order,
 * so one cursor walks them once: no nts x nseg matrix. */
static int feed_qlat(void *ctx, int step, float *qlat)
{
    qlat_feed *fd = ctx;
    while (fd->cur < fd->n && fd->rows[fd->cur].step < step)
        fd->cur++;
    while (fd->cur < fd->n && fd->rows[fd->cur].step == step) {
        qlat[fd->rows[fd->cur].idx] += fd->rows[fd->cur].q;
        fd->cur++;
    }
    return RNR_OK;
}

static int start_time(const route_args *a, int64_t *t0)
{
    if (!a->start) {
        int64_t now = time_now();
        *t0 = now - now % 3600;
        return 0;
    }
    if (time_parse_iso(a->start, t0) || *t0 == RNR_TIME_MISSING) {
        fprintf(stderr, "rnr route: --start '%s' is not an ISO 8601 time\n", a->start);
        return -1;
    }
    return 0;
}

static int load_net(const route_args *a, hf_db *hf, hydro_net **net)
{
    rnr_error err = {0, ""};
    hydro_segment *segs = NULL;
    size_t n = 0;
    int rc = hf_load_network(hf, a->outlet, &segs, &n, &err);
    if (rc == RNR_OK && n == 0)
        rc = rnr_error_set(&err, RNR_ERR_NOTFOUND, "no flowpaths to route");
    if (rc == RNR_OK)
        rc = net_new(segs, n, net, &err);
    free(segs);
    if (rc != RNR_OK)
        fprintf(stderr, "rnr route: %s: %s\n", a->hydrofabric, err.msg);
    return rc;
}

static int route_general(const route_args *a, const hydro_net *net, int64_t t0)
{
    size_t nseg = net_size(net), nrows = 0;
    qlat_row *rows = NULL;
    float *q0 = calloc(nseg, sizeof *q0), *d0 = calloc(nseg, sizeof *d0);
    int every = 0, rc = 1;
    rnr_error err = {0, ""};
    net_result *r = NULL;
    if (!q0 || !d0) {
        fprintf(stderr, "rnr route: out of memory\n");
        goto done;
    }
    if (read_input(a->qlat, net, a->nts, &rows, &nrows, NULL, NULL) ||
        (a->initial && read_input(a->initial, net, 0, NULL, NULL, q0, d0)))
        goto done;
    if (route_job_output_every(a->dt, a->output_every, &every, &err) != RNR_OK) {
        fprintf(stderr, "rnr route: %s\n", err.msg);
        goto done;
    }
    qlat_feed fd = {rows, nrows, 0};
    net_run run = {a->dt, a->nts, every, feed_qlat, &fd, q0, d0, 0, 0.0f};
    if (net_route(net, &run, &r, &err) != RNR_OK) {
        fprintf(stderr, "rnr route: %s: %s\n", a->hydrofabric, err.msg);
        goto done;
    }
    if (r->nout == 0) {
        fprintf(stderr,
                "rnr route: --nts %d is less than the output interval %d: nothing to write\n",
                a->nts, every);
        goto done;
    }
    char name[64], path[1100];
    nc_output_name(t0, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", a->out, name);
    nc_meta meta = {t0, NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL};
    int created = 0;
    if (ensure_dir(a->out, &created))
        goto done;
    if (route_job_write_nc(path, r, a->dt, &meta, &err) != RNR_OK) {
        fprintf(stderr, "rnr route: %s: %s\n", path, err.msg);
        if (created)
            rmdir(a->out);
        goto done;
    }
    if (a->json) {
        json_t *o = json_pack("{s:I, s:i, s:f, s:I, s:I, s:[{s:s, s:s}]}", "segments",
                              (json_int_t)nseg, "steps", a->nts, "dt", (double)a->dt, "qlat_rows",
                              (json_int_t)nrows, "times", (json_int_t)r->nout, "outputs", "path",
                              path, "content_type", "application/x-netcdf");
        if (cmd_print_json("route", o) != 0)
            goto done;
    } else {
        printf("network: %zu segments, %d steps of %g s, %zu lateral inflow rows, %zu outputs\n",
               nseg, a->nts, (double)a->dt, nrows, r->nout);
        printf("output   %s\n", path);
    }
    rc = 0;
done:
    net_result_free(r);
    free(rows);
    free(q0);
    free(d0);
    return rc;
}

static int run_qlat(const route_args *a)
{
    int64_t t0;
    if (start_time(a, &t0))
        return 1;
    rnr_error err = {0, ""};
    hf_db *hf = NULL;
    if (hf_open(a->hydrofabric, &hf, &err) != RNR_OK) {
        fprintf(stderr, "rnr route: %s\n", err.msg); /* hf_open names the file */
        return 1;
    }
    hydro_net *net = NULL;
    int rc = load_net(a, hf, &net) == RNR_OK ? route_general(a, net, t0) : 1;
    net_free(net);
    hf_close(hf);
    return rc;
}

static int route_run(int argc, char **argv)
{
    route_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    return a.forecast ? run_forecast(&a) : run_qlat(&a);
}

const rnr_command cmd_route = {
    "route",
    "route an RFC forecast (or lateral inflows) through the hydrofabric and write t-route's NetCDF",
    "usage: rnr route --hydrofabric H.gpkg --forecast F.json --out DIR\n"
    "                 [--forcing timecorrect|troute] [--dt 300] [--nts N] [--output-every STEPS] [--plot]\n"
    "                 [--initial-flow Q --initial-depth D] [--json]\n"
    "       rnr route --hydrofabric H.gpkg --qlat Q.csv --nts N --out DIR\n"
    "                 [--initial I.csv] [--outlet ID] [--start ISO-TIME] [--dt 300] [--output-every STEPS]\n"
    "                 [--json]\n"
    "\n"
    "Forecast mode: F.json is the reference worker's ProcessedData. The hydrofabric\n"
    "is cut at its reach.id (the RnR segment below the gauge); the forecast is the\n"
    "lateral inflow of the first flowpath; every segment starts at the latest\n"
    "observation (else the first forecast value) with depth 0. Writes\n"
    "DIR/troute_output_YYYYMMDDHHMM.nc named from the first forecast time.\n"
    "  --forcing     timecorrect (default, or RNR_FORCING): step averages of the\n"
    "                linear forecast, routed to the end of the forecast (rounded up\n"
    "                to the output interval); troute: t-route's forward hold and\n"
    "                whole days of the forecast (bit-identical to t-route)\n"
    "  --nts         steps (default: as --forcing says)\n"
    "  --plot        also write the hydrograph troute_output_*.svg\n"
    "  --initial-flow, --initial-depth\n"
    "                every segment's initial state instead (m3/s, m; an absent one is 0)\n"
    "\n"
    "General mode: route lateral inflows through every flowpath of H.gpkg, or the\n"
    "ones draining to --outlet ID (inclusive).\n"
    "  --qlat        CSV with header step,id,qlat: m3/s that flowpath id (N or wb-N)\n"
    "                receives on step (1-based); absent rows are 0, rows add up\n"
    "  --initial     CSV with header id,flow,depth; absent segments start at 0\n"
    "  --nts         number of steps (required)\n"
    "  --start       routing start t0 (ISO 8601, UTC; names the file); default: now,\n"
    "                rounded down to the hour\n"
    "\n"
    "Both: --dt seconds per step (300); --output-every steps between outputs\n"
    "(default hourly); outputs are the instantaneous state at those steps.\n"
    "--json prints the summary as one JSON object (segments, times, outputs: [{path,\n"
    "content_type}], and in forecast mode lid, reach_id, start, end, peak_origin and\n"
    "peak_outlet {flow, time}).\n"
    "Exit 1 on bad input (nothing is written), 2 on usage errors.\n",
    route_run};
