/* bench_postprocess.c - the post-process run over a window of NetCDF
 * outputs: cold (empty state: every file is new) and steady (the window
 * holds N files of which only 10 are new), in process. Prints medians;
 * asserts nothing. bench/run_postprocess.sh runs it next to the Python
 * baseline on the same files.
 *
 *   bench_postprocess gen DIR [files]   write DIR/store/... (default 300
 *       outputs: 60 gauges x 5 issuances 4 h apart, each the 22 flowpaths
 *       downstream of the gauge's flowpath in data/sample/domain.gpkg,
 *       96 hourly times, as `rnr route` writes them)
 *   bench_postprocess run DIR [reps] [compat]   time the runs over DIR
 *
 * The steady state restores a snapshot of the state taken after a run
 * that saw every file but the 10 newest, then runs with all of them. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/timeutil.h"
#include "hydrofabric/hf.h"
#include "io/nc_output.h"
#include "adapters/backends.h"
#include "ports/store.h"
#include "services/config.h"
#include "services/postprocess.h"

#define GAUGES 60
#define REACH 22
#define NTIME 96
#define NEW_FILES 10
/* The run's "now": after the last issuance, all of them in the 24 h window. */
#define NOW_ISO "2026-03-15T00:00:00Z"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Up to REACH flowpath ids from start downstream (to_id chain). */
static size_t reach_of(hf_db *hf, int64_t start, int64_t *ids)
{
    size_t n = 0;
    for (int64_t id = start; id && n < REACH;) {
        hf_flowpath fp;
        rnr_error e;
        if (hf_flowpath_lookup(hf, id, &fp, &e) != RNR_OK)
            break;
        ids[n++] = id;
        id = fp.to_id;
        hf_flowpath_clear(&fp);
    }
    return n;
}

/* The flowpaths' numeric ids in file order, at most max. */
static size_t flowpath_ids(const char *gpkg, int64_t *ids, size_t max)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    size_t n = 0;
    if (sqlite3_open_v2(gpkg, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT CAST(substr(id, 4) AS INTEGER) FROM flowpaths ORDER BY fid",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    while (n < max && sqlite3_step(st) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static int gen_one(rnr_store *store, const char *dir, int g, int issue, const int64_t *ids,
                   size_t nseg)
{
    static const char *const status[4] = {"action", "minor", "moderate", "major"};
    int64_t ref = time_from_civil(2026, 3, 14, 3, 0, 0) + (int64_t)issue * 4 * 3600 + g * 60;
    double t[NTIME];
    static float q[REACH * NTIME], v[REACH * NTIME], h[REACH * NTIME];
    for (size_t k = 0; k < NTIME; k++)
        t[k] = 3600.0 * (double)(k + 1);
    for (size_t s = 0; s < nseg; s++)
        for (size_t k = 0; k < NTIME; k++) {
            size_t i = s * NTIME + k;
            q[i] = 80.0f + 3.7f * (float)s +
                   40.0f * (float)(k < 40 ? k : 80 - (k < 80 ? k : 80)) / 40.0f +
                   0.013f * (float)(g * 7 + issue);
            v[i] = 0.9f + 0.001f * (float)k;
            h[i] = 1.5f + 0.01f * (float)k;
        }
    char lid[16], name[64], path[1200], key[256];
    snprintf(lid, sizeof lid, "BNCH%d", g);
    nc_meta m = {ref,    status[g % 4], 3 + g % 3,     lid,     91000000 + g,
                 ids[0], "TX",          "Bench Creek", "bench", NULL};
    nc_output_name(ref, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    rnr_error e;
    if (nc_output_write(path, ids, nseg, t, NTIME, q, v, h, &m, &e) != RNR_OK)
        return fprintf(stderr, "bench_postprocess: %s\n", e.msg), -1;
    snprintf(key, sizeof key, "replace_and_route/%s/%s", lid, name);
    int rc = store_put_file(store, key, path, "application/x-netcdf", &e);
    unlink(path);
    if (rc != RNR_OK)
        fprintf(stderr, "bench_postprocess: %s\n", e.msg);
    return rc;
}

static int open_store(const char *dir, rnr_store **store)
{
    char url[1100];
    rnr_error e;
    snprintf(url, sizeof url, "file://%s/store", dir);
    if (backend_open_store(url, store, &e) != RNR_OK)
        return fprintf(stderr, "bench_postprocess: %s\n", e.msg), -1;
    return 0;
}

static int gen(const char *dir, int files)
{
    static int64_t all[100000];
    size_t nfp = flowpath_ids(RNR_BENCH_HYDROFABRIC, all, sizeof all / sizeof all[0]);
    hf_db *hf;
    rnr_error e;
    rnr_store *store;
    if (nfp == 0 || hf_open(RNR_BENCH_HYDROFABRIC, &hf, &e) != RNR_OK)
        return fprintf(stderr, "bench_postprocess: cannot read %s\n", RNR_BENCH_HYDROFABRIC), 1;
    mkdir(dir, 0755);
    if (open_store(dir, &store))
        return 1;
    int made = 0;
    for (int issue = 0; made < files; issue++)
        for (int g = 0; g < GAUGES && made < files; g++, made++) {
            int64_t ids[REACH];
            size_t n = reach_of(hf, all[(size_t)g * (nfp / GAUGES)], ids);
            if (n == 0 || gen_one(store, dir, g, issue, ids, n))
                return 1;
        }
    store_free(store);
    hf_close(hf);
    printf("wrote %d outputs under %s/store/replace_and_route\n", made, dir);
    return 0;
}

static void config_for(rnr_config *c, const char *state, int compat)
{
    memset(c, 0, sizeof *c);
    c->state_dir = strdup(state);
    c->hydrofabric_path = strdup(RNR_BENCH_HYDROFABRIC);
    c->output_prefix = strdup("replace_and_route");
    c->postprocess_prefix = strdup("rnr_postprocess");
    c->postprocess_window_s = 86400;
    c->postprocess_compat = compat;
}

static void config_free(rnr_config *c)
{
    free(c->state_dir);
    free(c->hydrofabric_path);
    free(c->output_prefix);
    free(c->postprocess_prefix);
}

/* One post-process (set-up included, as a scheduled run does it) in a
 * fresh or restored state dir; returns ms or -1. */
static double one_run(rnr_store *store, const char *state, int compat, int64_t now,
                      postprocess_counts *c)
{
    rnr_config cfg;
    config_for(&cfg, state, compat);
    postprocess *pp = NULL;
    rnr_error e;
    double t0 = now_ms();
    int rc = postprocess_new_store(&cfg, store, &pp, &e);
    if (rc == RNR_OK)
        rc = postprocess_run(pp, now, c, &e);
    postprocess_free(pp);
    double dt = now_ms() - t0;
    config_free(&cfg);
    if (rc != RNR_OK)
        return fprintf(stderr, "bench_postprocess: %s\n", e.msg), -1;
    return dt;
}

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[3000];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    return system(cmd);
}

/* Hide the 10 newest outputs (the last keys in name order) by moving
 * them aside, or bring them back. */
static int hide_newest(const char *dir, int hide)
{
    char aside[1100];
    snprintf(aside, sizeof aside, "%s/aside", dir);
    if (hide)
        return sh(
            "mkdir -p '%s' && cd '%s/store' && find replace_and_route -name 'troute_output_*.nc' -printf '%%f %%p\\n'"
            " | sort | tail -n 10 | cut -d' ' -f2 | xargs -I{} cp --parents {} ../aside/ && "
            "cd ../aside && find . -type f | sed 's|^./||' | xargs -I{} rm ../store/{}",
            aside, dir);
    return sh("cd '%s' && cp -r --preserve=timestamps . '%s/store/' && cd .. && rm -rf aside",
              aside, dir);
}

/* Fold the memory's WAL into its file (the post-processor leaves it
 * beside it), so that a copy of the file alone is the whole memory. */
static int fold_wal(const char *state)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/postprocess.db", state);
    sqlite3 *db;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    /* the pragma, not sqlite3_wal_checkpoint_v2: a connection opens the WAL
     * at its first read, and the pragma reads the schema first */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        fprintf(stderr, "bench_postprocess: %s: %s\n", path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

static int run(const char *dir, int reps, int compat)
{
    rnr_store *store;
    int64_t now;
    if (open_store(dir, &store) || time_parse_iso(NOW_ISO, &now) != 0)
        return 1;
    char state[1100], snap[1100];
    snprintf(state, sizeof state, "%s/state", dir);
    snprintf(snap, sizeof snap, "%s/snapshot.db", dir);
    double *cold = calloc((size_t)reps, sizeof *cold),
           *steady = calloc((size_t)reps, sizeof *steady);
    postprocess_counts c = {0};
    for (int r = 0; r < reps; r++) {
        sh("rm -rf '%s' && mkdir -p '%s'", state, state);
        if ((cold[r] = one_run(store, state, compat, now, &c)) < 0)
            return 1;
    }
    printf("cold:   listed=%d new=%d rows=%d  median %.1f ms over %d runs (%.3f ms per file)\n",
           c.listed, c.new_files, c.rows, median(cold, reps), reps,
           median(cold, reps) / (c.listed ? c.listed : 1));
    /* The snapshot: a state that has seen all but the 10 newest. */
    sh("rm -rf '%s' && mkdir -p '%s'", state, state);
    if (hide_newest(dir, 1) || one_run(store, state, compat, now, &c) < 0 || hide_newest(dir, 0))
        return 1;
    if (fold_wal(state) != 0)
        return 1;
    sh("cp '%s/postprocess.db' '%s'", state, snap);
    for (int r = 0; r < reps; r++) {
        sh("rm -f '%s/postprocess.db-wal' '%s/postprocess.db-shm'", state, state);
        sh("cp '%s' '%s/postprocess.db'", snap, state);
        if ((steady[r] = one_run(store, state, compat, now, &c)) < 0)
            return 1;
    }
    printf("steady: listed=%d new=%d rows=%d  median %.1f ms over %d runs\n", c.listed, c.new_files,
           c.rows, median(steady, reps), reps);
    free(cold);
    free(steady);
    store_free(store);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "gen"))
        return gen(argv[2], argc > 3 ? atoi(argv[3]) : 300);
    if (argc >= 3 && !strcmp(argv[1], "run")) {
        int reps = argc > 3 ? atoi(argv[3]) : 7;
        return run(argv[2], reps > 0 ? reps : 7, argc > 4 && !strcmp(argv[4], "compat"));
    }
    fprintf(stderr, "usage: bench_postprocess gen DIR [files] | run DIR [reps] [compat]\n");
    return 2;
}
