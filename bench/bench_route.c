/* bench_route.c - what `rnr route` costs beyond the routing itself, on
 * HPDT2 (50 segments x 1152 steps, troute forcing). Medians of N runs of:
 *   process  fork/exec of `$RNR_BIN route ...` (everything: start-up, JSON,
 *            GeoPackage, routing, NetCDF write), when RNR_BIN is set;
 *   inproc   the same code path in this process (read the JSON, hf_open,
 *            route_job_run, hf_close);
 *   kernel   net_route alone on the already-cut network;
 *   start-up `$RNR_BIN version`, empty programs with rnr's libraries and
 *            with routing's (bench/run_route.sh), /bin/true: the floors
 *            under the process figure.
 * Prints figures and the ratios to the kernel; asserts nothing.
 * usage: bench_route [H.gpkg F.json] [runs]  (default: the reference HPDT2) */
#include "core/fileutil.h"
#include "core/forecast.h"
#include "hydro/forcing.h"
#include "hydro/network.h"
#include "hydrofabric/hf.h"
#include "nws/processed.h"
#include "services/route_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 201
#ifndef RNR_BENCH_REFERENCE_DIR /* cmake passes <build>/reference */
#define RNR_BENCH_REFERENCE_DIR "build/reference"
#endif

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Phase times of the last in-process run (ms). */
typedef struct phases {
    double json, open, job;
} phases;

static int inproc_once(const char *gpkg, const char *json, const char *out, phases *ph)
{
    double t0 = now_ms();
    size_t len;
    char *j = NULL;
    rnr_error e = {0, ""};
    rnr_forecast *f = NULL;
    hf_db *hf = NULL;
    route_job_opts o = {.forcing_mode = FORCING_TROUTE, .dt = 300.0f};
    route_job_result res;
    int rc = file_read_all(json, &j, &len, &e);
    if (!rc)
        rc = nws_processed_read(j, len, &f, &e);
    free(j);
    double t1 = now_ms();
    if (!rc)
        rc = hf_open(gpkg, &hf, &e);
    double t2 = now_ms();
    if (!rc)
        rc = route_job_run(hf, f, &o, out, &res, &e);
    double t3 = now_ms();
    if (rc)
        fprintf(stderr, "inproc: %s\n", e.msg);
    *ph = (phases){t1 - t0, t2 - t1, t3 - t2};
    hf_close(hf);
    forecast_free(f);
    return rc;
}

/* fork/exec argv to exit, stdout to /dev/null: ms, or -1 when it fails. */
static double exec_ms(char *const argv[])
{
    fflush(stdout); /* else the child's freopen writes our pending output again */
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? now_ms() - t0 : -1;
}

static double process_once(const char *bin, const char *gpkg, const char *json, const char *out)
{
    char *argv[] = {(char *)bin,  "route", "--hydrofabric", (char *)gpkg, "--forecast",
                    (char *)json, "--out", (char *)out,     "--forcing",  "troute",
                    NULL};
    return exec_ms(argv);
}

/* Median exec time of argv over runs; -1 when a run fails. */
static double exec_median(char *const argv[], int runs, double *t)
{
    for (int r = 0; r < runs; r++)
        if ((t[r] = exec_ms(argv)) < 0)
            return -1;
    return median(t, runs);
}

/* One start-up floor: the median exec time of argv, printed. */
static void floor_line(const char *label, char *const argv[], int runs, double k, double *t)
{
    double v = exec_median(argv, runs, t);
    printf("  start-up: %-34s %8.3f ms   %.2f x kernel\n", label, v, v / k);
}

/* The start-up floors under the process figure: the binary doing nothing
 * (`rnr version`); empty programs linked with all of rnr's libraries and
 * with only those routing needs (RNR_BENCH_FLOOR_ALL_BIN and
 * RNR_BENCH_FLOOR_BIN, built by bench/run_route.sh); /bin/true. */
static void startup_floors(const char *bin, int runs, double k, double *t)
{
    char *ver[] = {(char *)bin, "version", NULL}, *tru[] = {"/bin/true", NULL};
    char *all[] = {getenv("RNR_BENCH_FLOOR_ALL_BIN"), NULL},
         *route[] = {getenv("RNR_BENCH_FLOOR_BIN"), NULL};
    floor_line("rnr version", ver, runs, k, t);
    if (all[0])
        floor_line("empty program, rnr's libraries", all, runs, k, t);
    if (route[0])
        floor_line("empty program, routing's libraries", route, runs, k, t);
    floor_line("/bin/true", tru, runs, k, t);
}

typedef struct origin_ctx {
    const float *q;
    long origin;
} origin_ctx;

static int origin_qlat(void *c, int step, float *qlat)
{
    const origin_ctx *o = c;
    qlat[o->origin] = o->q[step - 1];
    return 0;
}

/* The kernel-only figure: cut once, then time net_route alone. */
static int kernel_runs(const char *gpkg, const char *json, const char *out, int runs, double *t,
                       double *wt)
{
    size_t len;
    char *j = NULL;
    rnr_error e = {0, ""};
    rnr_forecast *f = NULL;
    hf_db *hf = NULL;
    hf_cut *cut = NULL;
    hydro_net *net = NULL;
    int rc = file_read_all(json, &j, &len, &e), nts = 0;
    if (!rc)
        rc = nws_processed_read(j, len, &f, &e);
    free(j);
    if (!rc)
        rc = hf_open(gpkg, &hf, &e);
    if (!rc)
        rc = hf_cut_reach(hf, f->reach_id, &cut, &e);
    if (!rc)
        rc = net_new(cut->segs, cut->n, &net, &e);
    if (!rc)
        rc = forcing_default_nts(f->times, f->n, 300.0f, &nts);
    float *qlat = rc ? NULL : malloc((size_t)nts * sizeof *qlat),
          *q0 = calloc(cut ? cut->n : 1, sizeof *q0);
    if (!rc && qlat)
        rc = forcing_build(f->times, f->flows, f->n, f->times[0], 300.0f, nts, FORCING_TROUTE, qlat,
                           &e);
    for (int r = 0; !rc && r < runs; r++) {
        /* Same work as route_job: a per-step callback at the origin. */
        for (size_t i = 0; i < cut->n; i++)
            q0[i] = forcing_initial_flow(f);
        double t0 = now_ms();
        net_result *res = NULL;
        origin_ctx ctx = {qlat, net_index_of(net, cut->segs[0].id)};
        net_run run = {300.0f, nts, 12, origin_qlat, &ctx, q0, NULL, 0, 0.0f};
        rc = net_route(net, &run, &res, &e);
        t[r] = now_ms() - t0;
        if (!rc && wt) {
            char path[600];
            snprintf(path, sizeof path, "%s/troute_output_bench.nc", out);
            nc_meta m = {.reference_time = f->times[0],
                         .max_status = "",
                         .stream_order = cut->order,
                         .rfc_location = f->lid,
                         .rfc_reach_id = f->reach_id,
                         .hf_id = cut->fps[0].hf_id,
                         .state = "",
                         .name = ""};
            double w0 = now_ms();
            rc = route_job_write_nc(path, res, 300.0f, &m, &e);
            wt[r] = now_ms() - w0;
        }
        net_result_free(res);
    }
    if (rc)
        fprintf(stderr, "kernel: %s\n", e.msg);
    free(qlat);
    free(q0);
    net_free(net);
    hf_cut_free(cut);
    hf_close(hf);
    forecast_free(f);
    return rc;
}

int main(int argc, char **argv)
{
    const char *refdir =
        getenv("RNR_REFERENCE_DIR") ? getenv("RNR_REFERENCE_DIR") : RNR_BENCH_REFERENCE_DIR;
    char gdef[1024], jdef[1024];
    snprintf(gdef, sizeof gdef, "%s/rnr-hpdt2/HPDT2.gpkg", refdir);
    snprintf(jdef, sizeof jdef, "%s/rnr-hpdt2/HPDT2.json", refdir);
    const char *gpkg = argc > 2 ? argv[1] : gdef, *json = argc > 2 ? argv[2] : jdef;
    int runs = argc == 2 ? atoi(argv[1]) : argc > 3 ? atoi(argv[3]) : 21;
    if (runs < 1 || runs > MAX_RUNS)
        return fprintf(stderr, "usage: bench_route [H.gpkg F.json] [runs 1..%d]\n", MAX_RUNS), 2;
    char dir[] = "/tmp/rnr_bench_route_XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    static double tk[MAX_RUNS], ti[MAX_RUNS], tp[MAX_RUNS], tw[MAX_RUNS];
    if (kernel_runs(gpkg, json, dir, runs, tk, tw))
        return 1;
    static double pj[MAX_RUNS], po[MAX_RUNS], pr[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        phases ph;
        double t0 = now_ms();
        if (inproc_once(gpkg, json, dir, &ph))
            return 1;
        ti[r] = now_ms() - t0;
        pj[r] = ph.json;
        po[r] = ph.open;
        pr[r] = ph.job;
    }
    const char *bin = getenv("RNR_BIN");
    for (int r = 0; bin && r < runs; r++)
        if ((tp[r] = process_once(bin, gpkg, json, dir)) < 0)
            return fprintf(stderr, "%s route failed\n", bin), 1;
    double k = median(tk, runs), i = median(ti, runs);
    printf("HPDT2 50 segments x 1152 steps, %d runs, medians:\n", runs);
    printf("  kernel  (net_route only)       %8.3f ms\n", k);
    printf("  inproc  (JSON+gpkg+route+nc)   %8.3f ms   %.2f x kernel\n", i, i / k);
    printf("  NetCDF write alone (with fsync)  %8.3f ms\n", median(tw, runs));
    printf(
        "    of which: JSON %.3f ms, hf_open %.3f ms, route_job_run (cut+route+NetCDF) %.3f ms\n",
        median(pj, runs), median(po, runs), median(pr, runs));
    if (bin) {
        double p = median(tp, runs);
        printf("  process (rnr route, fork/exec) %8.3f ms   %.2f x kernel\n", p, p / k);
        startup_floors(bin, runs, k, tp);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) ? 1 : 0;
}
