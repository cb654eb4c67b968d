/* bench_kernel.c - Muskingum-Cunge kernel throughput on the HPDT2 workload:
 * a 50-segment chain routed for 1152 five-minute steps (57,600 kernel calls
 * per run) through net_route, single thread. Uses the reference segments
 * and forecast of argv[2], else RNR_REFERENCE_DIR, else <build>/reference
 * (unpacked by cmake from tests/data/reference); else, when none holds
 * them, a synthetic chain with similar parameters.
 *
 * usage: bench_kernel [REPEATS [REFERENCE_DIR]] */
#include "core/timeutil.h"
#include "hydro/forcing.h"
#include "hydro/network.h"
#include "io/csv_row.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef RNR_BENCH_REFERENCE_DIR /* cmake passes <build>/reference */
#define RNR_BENCH_REFERENCE_DIR "build/reference"
#endif
#define NSEG 50
#define NTS 1152
/* t-route's Fortran kernel (gfortran 12.2, t-route's default flags) on the
 * same HPDT2 workload, measured side by side with rnr on a 2-core VM of
 * this project's machine kind (2026-12, issue 12): 2.61 M calls/s while
 * rnr did 4.45 M. It is NOT measured by this program, and is printed as
 * such: it needs t-route's source, which this repository does not carry. */
#define TROUTE_CALLS_PER_S_ELSEWHERE 2.61e6

typedef struct workload {
    hydro_segment seg[NSEG];
    float qlat[NTS];
    const char *source;
} workload;

static int64_t id_number(const char *s)
{
    const char *d = strrchr(s, '-');
    return strtoll(d ? d + 1 : s, NULL, 10);
}

static int load_segments(const char *dir, workload *w)
{
    char path[1024], line[4096], *f[64];
    snprintf(path, sizeof path, "%s/muskingum-cunge/hpdt2_segments.csv", dir);
    FILE *fp = fopen(path, "r");
    if (!fp || !fgets(line, sizeof line, fp)) {
        if (fp)
            fclose(fp);
        return -1;
    }
    int nf = csv_split_row(line, f, 64);
    static const char *const names[] = {"id",     "toid",   "dx_f32",   "n_f32",  "ncc_f32",
                                        "bw_f32", "tw_f32", "twcc_f32", "cs_f32", "s0_f32"};
    int k[10], kmax = 0;
    for (int i = 0; i < 10; i++) {
        if ((k[i] = csv_find_col(f, nf, names[i])) < 0) {
            fclose(fp);
            return -1;
        }
        kmax = k[i] > kmax ? k[i] : kmax;
    }
    int r = 0;
    while (r < NSEG && fgets(line, sizeof line, fp)) {
        nf = csv_split_row(line, f, 64);
        if (nf <= kmax) /* short row: f[nf..] still point at the last row's fields */
            continue;
        hydro_segment *s = &w->seg[r++];
        s->id = id_number(f[k[0]]);
        s->to_id = id_number(f[k[1]]);
        float *dst[8] = {&s->dx, &s->n, &s->ncc, &s->bw, &s->tw, &s->twcc, &s->cs, &s->s0};
        for (int i = 0; i < 8; i++)
            *dst[i] = (float)strtod(f[k[i + 2]], NULL);
    }
    fclose(fp);
    return r == NSEG ? 0 : -1;
}

static int load_forcing(const char *dir, workload *w)
{
    char path[1024], line[1024], *f[16];
    snprintf(path, sizeof path, "%s/muskingum-cunge/hpdt2_forecast.csv", dir);
    FILE *fp = fopen(path, "r");
    if (!fp || !fgets(line, sizeof line, fp)) {
        if (fp)
            fclose(fp);
        return -1;
    }
    int nf = csv_split_row(line, f, 16);
    int kt = csv_find_col(f, nf, "valid_time_utc"), kq = csv_find_col(f, nf, "flow_m3s");
    int64_t t[128];
    double q[128];
    size_t n = 0;
    while (kt >= 0 && kq >= 0 && n < 128 && fgets(line, sizeof line, fp)) {
        nf = csv_split_row(line, f, 16);
        if (nf > kt && nf > kq && time_parse_iso(f[kt], &t[n]) == 0)
            q[n++] = strtod(f[kq], NULL);
    }
    fclose(fp);
    if (n < 2)
        return -1;
    return forcing_build(t, q, n, t[0], 300.0f, NTS, FORCING_TROUTE, w->qlat, NULL) == RNR_OK ? 0
                                                                                              : -1;
}

/* Geometry like HPDT2's (wide trapezoids, slopes spanning 1e-6..1e-3) and a
 * flood wave 481 -> 1500 -> 481 m3/s over the four days. */
static void synthetic(workload *w)
{
    for (int i = 0; i < NSEG; i++) {
        hydro_segment *s = &w->seg[i];
        s->id = 2418120 + i;
        s->to_id = i + 1 < NSEG ? s->id + 1 : 0;
        s->dx = 1000.0f + (float)((i * 37) % 80) * 100.0f;
        s->n = 0.05f;
        s->ncc = 0.1f;
        s->bw = 98.8f + 0.01f * (float)i;
        s->tw = 122.2f + 0.01f * (float)i;
        s->twcc = 366.5f;
        s->cs = 3.86f;
        s->s0 = powf(10.0f, -3.0f - 3.0f * (float)((i * 13) % NSEG) / NSEG);
    }
    for (int t = 0; t < NTS; t++) {
        double x = (double)t / NTS;
        w->qlat[t] = (float)(481.386 + 1000.0 * exp(-pow((x - 0.4) / 0.12, 2.0)));
    }
    w->source = "synthetic 50-segment chain";
}

static int qlat_head(void *ctx, int step, float *ql)
{
    ql[0] = ((const workload *)ctx)->qlat[step - 1];
    return RNR_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 21;
    const char *dir = argc > 2 ? argv[2] : getenv("RNR_REFERENCE_DIR");
    if (!dir)
        dir = RNR_BENCH_REFERENCE_DIR;
    if (reps < 1 || reps > 10000) {
        fprintf(stderr, "usage: bench_kernel [REPEATS (1..10000) [REFERENCE_DIR]]\n");
        return 2;
    }
    workload *w = calloc(1, sizeof *w);
    if (!w)
        return 1;
    if (dir && load_segments(dir, w) == 0 && load_forcing(dir, w) == 0)
        w->source = "HPDT2 reference segments + forecast (t-route forcing)";
    else
        synthetic(w);
    hydro_net *net;
    rnr_error err = {0, ""};
    if (net_new(w->seg, NSEG, &net, &err) != RNR_OK) {
        fprintf(stderr, "bench_kernel: %s\n", err.msg);
        return 1;
    }
    float q0[NSEG], d0[NSEG];
    for (int i = 0; i < NSEG; i++) {
        q0[i] = (float)481.386392064;
        d0[i] = 0.0f;
    }
    net_run run = {300.0f, NTS, 12, qlat_head, w, q0, d0, 0, 0.0f};
    double *sec = malloc((size_t)reps * sizeof *sec);
    float check = 0.0f;
    for (int r = 0; r < reps; r++) {
        net_result *res;
        double t0 = now_s();
        if (net_route(net, &run, &res, &err) != RNR_OK) {
            fprintf(stderr, "bench_kernel: %s\n", err.msg);
            return 1;
        }
        sec[r] = now_s() - t0;
        check = res->flow[(NSEG - 1) * res->nout + res->nout - 1];
        net_result_free(res);
    }
    qsort(sec, (size_t)reps, sizeof *sec, cmp_d);
    double calls = (double)NSEG * NTS;
    double best = calls / sec[0], median = calls / sec[reps / 2];
    printf("workload: %s, %d x %d = %.0f kernel calls per run, %d runs, 1 thread\n", w->source,
           NSEG, NTS, calls, reps);
    printf("outlet flow at the last step: %.9g m3/s\n", (double)check);
    printf("best:   %.3f ms/run  %.3f M calls/s\n", sec[0] * 1e3, best / 1e6);
    printf("median: %.3f ms/run  %.3f M calls/s\n", sec[reps / 2] * 1e3, median / 1e6);
    printf(
        "t-route Fortran (NOT measured in this run; measured elsewhere side by side, 2-core VM,\n"
        "  gfortran 12.2 -O3 -funroll-loops): %.2f M calls/s; this run's median / that figure = %.2fx\n",
        TROUTE_CALLS_PER_S_ELSEWHERE / 1e6, median / TROUTE_CALLS_PER_S_ELSEWHERE);
    free(sec);
    net_free(net);
    free(w);
    return 0;
}
