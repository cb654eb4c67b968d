/* test_postprocess_merge.c - the merged inundation table on real data: two
 * issuances each of two overlapping gauges on the HPDT2 river (HPDT2 at
 * reach 3121538, 50 segments, and a gauge 12 segments lower at reach
 * 3122684, 38 segments), routed by route_job_run and post-processed.
 * Asserted row by row: one row per feature_id, only the latest issuances,
 * each segment's maximum, the most severe status and every contributing
 * forecast's text (as the reference table words it) joined by "; ". The
 * reference-compatible table of the same outputs keeps every row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/backends.h"
#include "hydro/forcing.h"
#include "io/nc_output.h"
#include "io/numfmt.h"
#include "nws/processed.h"
#include "services/producer/producer_testutil.h"
#include "services/postprocess.h"
#include "services/route_job.h"

#define NFIELD 10     /* the columns before geom */
#define T0 1746478800 /* 2025-05-05T21:00:00Z, the HPDT2 forecast's first time */

typedef struct table {
    size_t n;
    char *(*f)[NFIELD]; /* [row][column], malloc'd strings */
} table;

/* Split a table's lines into their first NFIELD fields (none of them is
 * quoted here: only geom holds commas). */
static table parse_csv(const char *csv)
{
    table t = {0, NULL};
    const char *p = strchr(csv, '\n') + 1;
    size_t lines = (size_t)tu_count(p, "\n");
    t.f = calloc(lines + 1, sizeof *t.f);
    for (; *p; p = strchr(p, '\n') + 1) {
        for (int i = 0; i < NFIELD; i++) {
            size_t len = strcspn(p, ",\n");
            t.f[t.n][i] = strndup(p, len);
            p += len + (p[len] == ',');
        }
        t.n++;
    }
    return t;
}

static void table_free(table *t)
{
    for (size_t r = 0; r < t->n; r++)
        for (int i = 0; i < NFIELD; i++)
            free(t->f[r][i]);
    free(t->f);
}

/* The row of feature fid with this reference time ("" = any), or -1. */
static long find_row(const table *t, int64_t fid, const char *ref)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)fid);
    for (size_t r = 0; r < t->n; r++)
        if (!strcmp(t->f[r][0], id) && (!*ref || !strcmp(t->f[r][8], ref)))
            return (long)r;
    return -1;
}

typedef struct issuance {
    const char *lid, *name, *category;
    int64_t reach, shift; /* seconds added to every forecast time */
    double scale;         /* forecast flows times this */
    nc_table *nc;         /* the routed output */
    char ref[32];         /* its reference time as the table writes it */
} issuance;

static rnr_forecast *variant(const rnr_forecast *f, const issuance *is)
{
    rnr_forecast *v = forecast_new(f->n);
    assert_non_null(v);
    v->n = f->n;
    for (size_t i = 0; i < f->n; i++) {
        v->times[i] = f->times[i] + is->shift;
        v->flows[i] = f->flows[i] * is->scale;
        v->stages[i] = f->stages ? f->stages[i] : 0;
    }
    snprintf(v->lid, sizeof v->lid, "%s", is->lid);
    snprintf(v->name, sizeof v->name, "%s", is->name);
    snprintf(v->state, sizeof v->state, "TX");
    snprintf(v->flood_category, sizeof v->flood_category, "%s", is->category);
    v->reach_id = is->reach;
    v->issued_time = RNR_TIME_MISSING;
    return v;
}

/* Route one issuance, keep its output in memory and put it in the store. */
static void route_put(hf_db *hf, const rnr_forecast *f, issuance *is, rnr_store *store,
                      const char *tmp)
{
    rnr_forecast *v = variant(f, is);
    route_job_opts o = {.forcing_mode = FORCING_TIMECORRECT, .dt = 300.0f};
    route_job_result res;
    rnr_error e = {0, ""};
    assert_int_equal(route_job_run(hf, v, &o, tmp, &res, &e), RNR_OK);
    assert_int_equal(nc_output_read(res.outputs[0].path, &is->nc, &e), RNR_OK);
    char key[256];
    snprintf(key, sizeof key, "replace_and_route/%s/%s", is->lid, res.nc_name);
    assert_int_equal(store_put_file(store, key, res.outputs[0].path, "application/x-netcdf", &e),
                     RNR_OK);
    unlink(res.outputs[0].path);
    time_format(res.t0, "%Y-%m-%d_%H:%M:%S", is->ref, sizeof is->ref);
    forecast_free(v);
}

static float seg_max(const nc_table *t, int64_t fid, int *found)
{
    *found = 0;
    float best = NAN;
    for (size_t s = 0; s < t->nseg; s++)
        if (t->feature_ids[s] == fid) {
            *found = 1;
            for (size_t k = 0; k < t->ntime; k++)
                if (isnan(best) || t->flow[s * t->ntime + k] > best)
                    best = t->flow[s * t->ntime + k];
        }
    return best;
}

/* The GeoJSON as ogrinfo (GDAL) reads it: WGS84, lon/lat extent around
 * the HPDT2 reach in Texas, one feature per row. */
static void check_geojson_ogr(const char *path, size_t rows)
{
    char cmd[1400], line[512];
    snprintf(cmd, sizeof cmd, "ogrinfo -ro -al -so '%s' 2>&1", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    int extent = 0, wgs84 = 0;
    long count = -1;
    while (fgets(line, sizeof line, p)) {
        extent |= sscanf(line, "Extent: (%lf, %lf) - (%lf, %lf)", &x0, &y0, &x1, &y1) == 4;
        wgs84 |= strstr(line, "WGS 84") != NULL || strstr(line, "WGS84") != NULL;
        sscanf(line, "Feature Count: %ld", &count);
    }
    assert_int_equal(pclose(p), 0);
    printf("ogrinfo: extent (%.5f, %.5f) - (%.5f, %.5f), %ld features\n", x0, y0, x1, y1, count);
    assert_true(extent && wgs84);
    assert_int_equal(count, (long)rows);
    assert_true(x0 >= -180 && x1 <= 180 && y0 >= -90 && y1 <= 90);
    assert_true(x0 > -107 && x1 < -93 && y0 > 25.8 && y1 < 36.6); /* Texas */
    char *g = tu_read_file(path, NULL);
    assert_null(strstr(g, "\"crs\""));
    free(g);
}

/* One post-process run over store as of now; the CSV parsed. */
static table run_pp(const char *dir, const char *store_dir, const char *gpkg, int compat,
                    int64_t now)
{
    rnr_config cfg;
    pt_config(&cfg, dir);
    free(cfg.store_url);
    cfg.store_url = pt_dup_printf("file://%s", store_dir);
    cfg.hydrofabric_path = strdup(gpkg);
    cfg.postprocess_compat = compat;
    postprocess *pp = NULL;
    postprocess_counts c;
    rnr_error e = {0, ""};
    assert_int_equal(postprocess_new(&cfg, &pp, &e), RNR_OK);
    assert_int_equal(postprocess_run(pp, now, &c, &e), RNR_OK);
    assert_int_equal(c.listed, 4);
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", store_dir, c.csv_key);
    char *csv = tu_read_file(path, NULL);
    assert_non_null(csv);
    table t = parse_csv(csv);
    assert_int_equal(t.n, (size_t)c.rows);
    /* The CSV keeps EPSG:5070 metres (HPDT2 lies ~750 km north of the
     * projection's origin); the GeoJSON is lon/lat. */
    double gx = 0, gy = 0;
    const char *wkt = strstr(csv, "\"LINESTRING (");
    assert_non_null(wkt);
    assert_int_equal(sscanf(wkt, "\"LINESTRING (%lf %lf", &gx, &gy), 2);
    assert_true(gy > 700000 && gy < 800000);
    free(csv);
    snprintf(path, sizeof path, "%s/%s", store_dir, c.geojson_key);
    check_geojson_ogr(path, t.n);
    postprocess_free(pp);
    pt_config_clear(&cfg);
    return t;
}

/* The merged row of fid against the two latest issuances and the
 * reference-compatible table's per-forecast texts. */
static void check_merged_row(const table *m, const table *ref, const issuance *a, const issuance *b,
                             int64_t fid)
{
    int in_a, in_b;
    float qa = seg_max(a->nc, fid, &in_a), qb = seg_max(b->nc, fid, &in_b);
    long r = find_row(m, fid, "");
    assert_true(r >= 0);
    const issuance *top = in_a && (!in_b || qa >= qb) ? a : b;
    float q = top == a ? qa : qb;
    char want[512];
    assert_int_equal(numfmt_float(q * 35.3147f, want, sizeof want), 0);
    assert_string_equal(m->f[r][5], want);
    assert_string_equal(m->f[r][3], top->name);
    assert_string_equal(m->f[r][8], top->ref);
    /* a is major, b minor: a's status wins wherever a reaches. */
    assert_string_equal(m->f[r][7], in_a ? "major" : "minor");
    long ra = in_a ? find_row(ref, fid, a->ref) : -1, rb = in_b ? find_row(ref, fid, b->ref) : -1;
    assert_true((!in_a || ra >= 0) && (!in_b || rb >= 0));
    /* Input order: gauges sorted by lid, so HPDB2 (b) before HPDT2 (a). */
    snprintf(want, sizeof want, "%s%s%s", in_b ? ref->f[rb][6] : "", in_a && in_b ? "; " : "",
             in_a ? ref->f[ra][6] : "");
    assert_string_equal(m->f[r][6], want);
}

static void test_two_gauges_two_issuances(void **state)
{
    (void)state;
    const char *refd = getenv("RNR_REFERENCE_DIR");
    if (!refd)
        fail_msg(
            "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)");
    char gpkg[1024], json[1024], store_dir[700], d1[700], d2[700];
    snprintf(gpkg, sizeof gpkg, "%s/rnr-hpdt2/HPDT2.gpkg", refd);
    snprintf(json, sizeof json, "%s/rnr-hpdt2/HPDT2.json", refd);
    char *tmp = tu_tempdir("ppmerge");
    snprintf(store_dir, sizeof store_dir, "%s/store", tmp);
    snprintf(d1, sizeof d1, "%s/merged", tmp);
    snprintf(d2, sizeof d2, "%s/reference", tmp);
    assert_int_equal(mkdir(store_dir, 0755) | mkdir(d1, 0755) | mkdir(d2, 0755), 0);
    size_t len = 0;
    char *js = tu_read_file(json, &len);
    rnr_forecast *f = NULL;
    rnr_error e = {0, ""};
    assert_int_equal(nws_processed_read(js, len, &f, &e), RNR_OK);
    free(js);
    hf_db *hf = NULL;
    assert_int_equal(hf_open(gpkg, &hf, &e), RNR_OK);
    assert_string_equal(hf_crs(hf), "EPSG:5070");
    assert_non_null(strstr(hf_crs_wkt(hf), "Albers"));
    rnr_store *store = NULL;
    char url[800];
    snprintf(url, sizeof url, "file://%s", store_dir);
    assert_int_equal(backend_open_store(url, &store, &e), RNR_OK);
    /* Older issuances first; the newer ones are 3 and 6 hours later. The
     * lower gauge's newer forecast is 1.3 times HPDT2's, so it carries the
     * larger flow where they overlap, while HPDT2 is the more severe. */
    issuance is[4] = {{"HPDT2", "Gauge A", "moderate", 3121538, 0, 0.5, NULL, ""},
                      {"HPDB2", "Gauge B", "major", 3122684, 0, 2.0, NULL, ""},
                      {"HPDT2", "Gauge A", "major", 3121538, 6 * 3600, 1.0, NULL, ""},
                      {"HPDB2", "Gauge B", "minor", 3122684, 3 * 3600, 1.3, NULL, ""}};
    for (int i = 0; i < 4; i++)
        route_put(hf, f, &is[i], store, tmp);
    const int64_t now = T0 + 9 * 3600;
    table m = run_pp(d1, store_dir, gpkg, 0, now);
    table ref = run_pp(d2, store_dir, gpkg, 1, now);
    /* Reference table: every row of every output, duplicates and all. */
    assert_int_equal(ref.n, 50 + 38 + 50 + 38);
    assert_true(find_row(&ref, 2418150, "2025-05-05_21:00:00") >= 0);
    /* Merged: the 50 segments of the union once each, older issuances gone. */
    assert_int_equal(m.n, 50);
    size_t overlap = 0, b_wins = 0;
    for (int64_t fid = 2418120; fid <= 2418169; fid++) {
        long r = find_row(&m, fid, "");
        assert_true(r >= 0);
        for (size_t k = (size_t)r + 1; k < m.n; k++)
            assert_true(atoll(m.f[k][0]) != fid);
        check_merged_row(&m, &ref, &is[2], &is[3], fid);
        int in_a, in_b;
        float qb = seg_max(is[3].nc, fid, &in_b), qa = seg_max(is[2].nc, fid, &in_a);
        overlap += in_b;
        b_wins += in_b && qb > qa;
    }
    for (size_t r = 0; r < m.n; r++) {
        assert_null(strstr(m.f[r][6], "2025-05-05_21:00:00"));
        assert_string_not_equal(m.f[r][8], "2025-05-05_21:00:00");
    }
    printf("merged rows %zu, overlapping %zu, lower gauge's flow larger on %zu\n", m.n, overlap,
           b_wins);
    assert_int_equal(overlap, 38);
    assert_true(b_wins > 0);
    table_free(&m);
    table_free(&ref);
    for (int i = 0; i < 4; i++)
        nc_table_free(is[i].nc);
    store_free(store);
    hf_close(hf);
    forecast_free(f);
    tu_rmrf(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_two_gauges_two_issuances)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
