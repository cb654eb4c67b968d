/* bench_hydrofabric.c - what a worker pays to serve RnR cuts from a
 * CONUS-scale hydrofabric: generate a synthetic file (default 1.1 M
 * flowpaths) into a scratch directory, build the sidecar index, then in
 * fresh processes (so VmHWM is the worker's own) measure the time until a
 * cut can be served, peak RSS after open, and cut latency over random
 * reachIds. `--fallback` also measures opening without the index.
 *
 *   bench_hydrofabric [--flowpaths N] [--cuts K] [--dir DIR] [--keep] [--reuse] [--fallback]
 *
 * --keep leaves the files in DIR; --reuse starts from kept files. */
#include "core/timeutil.h"
#include "hydrofabric/hf.h"
#include "hydrofabric/synth.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t k = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, k) == 0)
            v = strtol(line + k + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static long file_mb(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)(st.st_size >> 20) : -1;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Random reachIds: hf_id of random network rows (nexus rows have none). */
static size_t pick_reaches(const char *gpkg, int64_t *out, size_t k)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    size_t n = 0;
    if (sqlite3_open_v2(gpkg, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return 0;
    int64_t max = 0;
    if (sqlite3_prepare_v2(db, "SELECT max(fid) FROM network", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        max = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(
        db, "SELECT CAST(hf_id AS INTEGER) FROM network WHERE fid = ?1 AND hf_id IS NOT NULL", -1,
        &st, NULL);
    uint64_t r = 12345;
    for (size_t tries = 0; n < k && tries < 100 * k && max > 0; tries++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, 1 + (int64_t)((r >> 33) % (uint64_t)max));
        if (sqlite3_step(st) == SQLITE_ROW)
            out[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* hf_flowpath_lookup on random ids 1..flowpaths (the post-processor's join). */
static size_t lookup_latency(hf_db *db, size_t k, double *lat, double *med, double *p99)
{
    hf_info info;
    hf_get_info(db, &info);
    uint64_t r = 777;
    size_t n = 0;
    for (size_t i = 0; i < k && info.flowpaths; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        hf_flowpath fp;
        rnr_error err = {0};
        double a = now_s();
        int rc = hf_flowpath_lookup(db, 1 + (int64_t)((r >> 33) % info.flowpaths), &fp, &err);
        hf_flowpath_clear(&fp);
        if (rc == 0)
            lat[n++] = now_s() - a;
    }
    qsort(lat, n, sizeof *lat, cmp_d);
    *med = n ? lat[n / 2] : 0;
    *p99 = n ? lat[(size_t)(0.99 * (double)(n - 1))] : 0;
    return n;
}

static int serve(const char *gpkg, size_t cuts, const char *label)
{
    double t0 = now_s();
    hf_db *db;
    rnr_error err = {0};
    if (hf_open(gpkg, &db, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }
    double t_open = now_s() - t0;
    long hwm = status_kb("VmHWM:");
    hf_info info;
    hf_get_info(db, &info);
    int64_t *ids = malloc(cuts * sizeof *ids);
    double *lat = malloc(2 * cuts * sizeof *lat);
    size_t n = pick_reaches(gpkg, ids, cuts), fails = 0, segs = 0;
    for (size_t i = 0; i < n; i++) {
        hf_cut *c = NULL;
        double a = now_s();
        int rc = hf_cut_reach(db, ids[i], &c, &err);
        if (!rc)
            segs += c->n;
        hf_cut_free(c);
        lat[i] = now_s() - a;
        fails += rc != 0;
    }
    qsort(lat, n, sizeof *lat, cmp_d);
    double lk_med = 0, lk_p99 = 0;
    size_t nl = lookup_latency(db, cuts, lat + n, &lk_med, &lk_p99);
    printf(
        "%s: open %.1f ms (indexed=%d), VmHWM after open %ld MB, %zu cuts (%zu failed, mean %.1f segments):"
        " median %.3f ms, p99 %.3f ms, max %.3f ms; VmHWM after cuts %ld MB\n",
        label, t_open * 1e3, info.indexed, hwm / 1024, n, fails, n ? (double)segs / (double)n : 0.0,
        n ? lat[n / 2] * 1e3 : 0, n ? lat[(size_t)(0.99 * (double)(n - 1))] * 1e3 : 0,
        n ? lat[n - 1] * 1e3 : 0, status_kb("VmHWM:") / 1024);
    printf("%s: %zu flowpath lookups (with geometry): median %.3f ms, p99 %.3f ms\n", label, nl,
           lk_med * 1e3, lk_p99 * 1e3);
    free(ids);
    free(lat);
    hf_close(db);
    return 0;
}

/* Run fn in a child so its memory does not count against the next phase. */
#define IN_CHILD(expr)                                                                             \
    do {                                                                                           \
        fflush(stdout);                                                                            \
        pid_t pid = fork();                                                                        \
        if (pid == 0) {                                                                            \
            int r_ = (expr);                                                                       \
            fflush(stdout);                                                                        \
            _exit(r_ ? 1 : 0);                                                                     \
        }                                                                                          \
        int status = 1;                                                                            \
        waitpid(pid, &status, 0);                                                                  \
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)                                        \
            return 1;                                                                              \
    } while (0)

static int do_generate(const char *gpkg, size_t n)
{
    synth_options o;
    synth_options_default(&o);
    o.flowpaths = n;
    o.seed = 2024;
    synth_report rep;
    rnr_error err = {0};
    double t0 = now_s();
    if (synth_generate(gpkg, &o, &rep, &err) != 0) {
        fprintf(stderr, "generate: %s\n", err.msg);
        return 1;
    }
    printf(
        "generate: %zu flowpaths, %zu network rows, %zu nexus, %zu lakes in %.1f s, VmHWM %ld MB, file %ld MB\n",
        rep.flowpaths, rep.network_rows, rep.nexus, rep.lakes, now_s() - t0,
        status_kb("VmHWM:") / 1024, file_mb(gpkg));
    return 0;
}

static int do_index(const char *gpkg)
{
    char *ip = hf_index_path(gpkg);
    rnr_error err = {0};
    hf_info info;
    double t0 = now_s();
    int rc = hf_index_build(gpkg, ip, &info, &err);
    if (rc)
        fprintf(stderr, "index: %s\n", err.msg);
    else
        printf("index: %.1f s, VmHWM %ld MB, file %ld MB\n", now_s() - t0,
               status_kb("VmHWM:") / 1024, file_mb(ip));
    free(ip);
    return rc;
}

static int hide_index(const char *gpkg, int hide)
{
    char *ip = hf_index_path(gpkg), alt[4096];
    snprintf(alt, sizeof alt, "%s.hidden", ip);
    int rc = hide ? rename(ip, alt) : rename(alt, ip);
    free(ip);
    return rc;
}

int main(int argc, char **argv)
{
    size_t n = 1100000, cuts = 1000;
    const char *dir = "/tmp";
    int keep = 0, fallback = 0, reuse = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--flowpaths") == 0 && i + 1 < argc)
            n = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--cuts") == 0 && i + 1 < argc)
            cuts = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--keep") == 0)
            keep = 1;
        else if (strcmp(argv[i], "--reuse") == 0)
            reuse = keep = 1;
        else if (strcmp(argv[i], "--fallback") == 0)
            fallback = 1;
        else {
            fprintf(
                stderr,
                "usage: bench_hydrofabric [--flowpaths N] [--cuts K] [--dir DIR] [--keep] [--reuse] [--fallback]\n");
            return 2;
        }
    }
    char gpkg[4096];
    snprintf(gpkg, sizeof gpkg, "%s/rnr_bench_hydrofabric_%zu.gpkg", dir, n);
    char *ip = hf_index_path(gpkg);
    int have = reuse && access(gpkg, R_OK) == 0 && access(ip, R_OK) == 0;
    free(ip);
    if (!have) {
        IN_CHILD(do_generate(gpkg, n));
        IN_CHILD(do_index(gpkg));
    }
    IN_CHILD(serve(gpkg, cuts, "worker (sidecar index)"));
    if (fallback) {
        hide_index(gpkg, 1);
        IN_CHILD(serve(gpkg, cuts, "worker (no index: in-memory build)"));
        hide_index(gpkg, 0);
    }
    if (!keep) {
        char *ip = hf_index_path(gpkg);
        unlink(ip);
        free(ip);
        unlink(gpkg);
    }
    return 0;
}
