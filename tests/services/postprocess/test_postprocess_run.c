/* test_postprocess_run.c - post-process runs over a file store holding
 * NetCDF outputs of the sample domain's flowpaths: the CSV and GeoJSON, the
 * window, nothing new -> nothing written, and each file downloaded once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/backends.h"
#include "hydrofabric/hf.h"
#include "io/csv_out.h"
#include "io/nc_output.h"
#include "io/numfmt.h"
#include "services/producer/producer_testutil.h"
#include "services/postprocess.h"

#define HEADER                                                                                     \
    "feature_id,feature_id_str,strm_order,name,state,streamflow_cfs,"                              \
    "inherited_rfc_forecasts,max_status,reference_time,update_time,geom"

/* A store that forwards to the file store and counts downloads: through
 * get_file only (cs_ops: the post-process's fallback for a store that
 * cannot read into memory) or get_buf as well (cs_mem_ops). */
typedef struct counting_store {
    rnr_store *real;
    int gets;
    int fail_puts; /* the next N uploads fail */
} counting_store;

static int cs_put_file(void *self, const char *key, const char *path, const char *ct,
                       rnr_error *err)
{
    counting_store *cs = self;
    if (cs->fail_puts > 0) {
        cs->fail_puts--;
        return rnr_error_set(err, RNR_ERR_TRANSIENT, "503 SlowDown");
    }
    return store_put_file(cs->real, key, path, ct, err);
}

static int cs_get_file(void *self, const char *key, const char *path, rnr_error *err)
{
    counting_store *cs = self;
    cs->gets++;
    return store_get_file(cs->real, key, path, err);
}

static int cs_list(void *self, const char *prefix, store_list *out, rnr_error *err)
{
    return store_list_prefix(((counting_store *)self)->real, prefix, out, err);
}

static int cs_get_buf(void *self, const char *key, size_t max, void **data, size_t *len,
                      rnr_error *err)
{
    counting_store *cs = self;
    cs->gets++;
    return store_get_buf(cs->real, key, max, data, len, err);
}

static const store_ops cs_ops = {.put_file = cs_put_file, .get_file = cs_get_file, .list = cs_list};
static const store_ops cs_mem_ops = {
    .put_file = cs_put_file, .get_file = cs_get_file, .list = cs_list, .get_buf = cs_get_buf};

typedef struct fx {
    char *dir;
    rnr_config cfg;
    counting_store cs;
    rnr_store store;
    int64_t now;
} fx;

static int fx_setup_ops(void **state, const store_ops *ops)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_tempdir("postprocess");
    pt_config(&f->cfg, f->dir);
    char hf[1024];
    snprintf(hf, sizeof hf, "%s/data/sample/domain.gpkg", getenv("RNR_SOURCE_DIR"));
    f->cfg.hydrofabric_path = strdup(hf);
    rnr_error e;
    if (backend_open_store(f->cfg.store_url, &f->cs.real, &e) != RNR_OK)
        return -1;
    f->store = (rnr_store){ops, &f->cs};
    f->now = time_from_civil(2026, 3, 14, 14, 0, 0);
    *state = f;
    return 0;
}

static int fx_setup(void **state)
{
    return fx_setup_ops(state, &cs_ops);
}

static int fx_setup_mem(void **state)
{
    return fx_setup_ops(state, &cs_mem_ops);
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    store_free(f->cs.real);
    pt_config_clear(&f->cfg);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* flow[s][k] = (s + 1) * 10 + k, except time peak_k: + 100 (the peak). */
static void put_output(fx *f, const char *lid, int64_t ref, const int64_t *fids, size_t nseg,
                       size_t peak_k)
{
    enum { NT = 4 };
    double t[NT] = {0, 3600, 7200, 10800};
    float q[16], v[16], h[16];
    for (size_t s = 0; s < nseg; s++)
        for (size_t k = 0; k < NT; k++) {
            q[s * NT + k] = (float)((s + 1) * 10 + k + (k == peak_k ? 100 : 0));
            v[s * NT + k] = 1.0f;
            h[s * NT + k] = 2.0f;
        }
    nc_meta m = {ref, "minor", 2, lid, 91000001, fids[0], "TX", "Test Creek", NULL, NULL};
    char name[64], path[700], key[256];
    assert_int_equal(nc_output_name(ref, name, sizeof name), 0);
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    rnr_error e;
    assert_int_equal(nc_output_write(path, fids, nseg, t, NT, q, v, h, &m, &e), RNR_OK);
    snprintf(key, sizeof key, "replace_and_route/%s/%s", lid, name);
    assert_int_equal(store_put_file(f->cs.real, key, path, "application/x-netcdf", &e), RNR_OK);
    unlink(path);
}

static char *get_object(fx *f, const char *key)
{
    char path[700];
    snprintf(path, sizeof path, "%s/got", f->dir);
    rnr_error e;
    assert_int_equal(store_get_file(f->cs.real, key, path, &e), RNR_OK);
    char *s = tu_read_file(path, NULL);
    unlink(path);
    return s;
}

/* The CSV line of feature fid, or NULL. */
static const char *line_of(const char *csv, int64_t fid)
{
    char head[40];
    snprintf(head, sizeof head, "\n%lld,wb-%lld,", (long long)fid, (long long)fid);
    const char *p = strstr(csv, head);
    return p ? p + 1 : NULL;
}

/* Field i (0-based, i < 10: before geom) of a CSV line into buf. */
static void field(const char *line, int i, char *buf, size_t n)
{
    for (int k = 0; k < i; k++)
        line = strchr(line, ',') + 1;
    size_t len = strcspn(line, ",\n");
    assert_true(len < n);
    memcpy(buf, line, len);
    buf[len] = '\0';
}

static void check_row(const char *csv, hf_db *hf, int64_t fid, float flow_cms, const char *updated)
{
    const char *line = line_of(csv, fid);
    assert_non_null(line);
    char b[400], want[40];
    field(line, 2, b, sizeof b);
    assert_string_equal(b, "2");
    field(line, 3, b, sizeof b);
    assert_string_equal(b, "Test Creek");
    field(line, 5, b, sizeof b);
    assert_int_equal(numfmt_float(flow_cms * 35.3147f, want, sizeof want), 0);
    assert_string_equal(b, want);
    field(line, 7, b, sizeof b);
    assert_string_equal(b, "minor");
    field(line, 9, b, sizeof b);
    assert_string_equal(b, updated);
    hf_flowpath fp;
    rnr_error e;
    assert_int_equal(hf_flowpath_lookup(hf, fid, &fp, &e), RNR_OK);
    assert_non_null(fp.geometry_wkt);
    size_t eol = strcspn(line, "\n");
    char *geom = strstr(line, fp.geometry_wkt);
    assert_non_null(geom);
    assert_true(geom < line + eol);
    hf_flowpath_clear(&fp);
}

static int count_lines(const char *s)
{
    return tu_count(s, "\n");
}

static void test_runs(void **state)
{
    fx *f = *state;
    const int64_t a_ids[3] = {10, 11, 12}, b_ids[2] = {20, 21}, c_ids[1] = {30},
                  d_ids[2] = {40, 41};
    put_output(f, "RNRA1", f->now - 3 * 3600, a_ids, 3, 2);
    put_output(f, "RNRB1", f->now - 3600, b_ids, 2, 1);
    put_output(f, "RNRC1", f->now - 2 * 86400, c_ids, 1, 0); /* outside the window */
    rnr_error e;
    assert_int_equal(
        store_put_buf(f->cs.real, "replace_and_route/RNRA1/notes.txt", "x", 1, "text/plain", &e),
        RNR_OK);

    postprocess *pp;
    assert_int_equal(postprocess_new_store(&f->cfg, &f->store, &pp, &e), RNR_OK);
    postprocess_counts c;
    assert_int_equal(postprocess_run(pp, f->now, &c, &e), RNR_OK);
    assert_int_equal(c.listed, 2);
    assert_int_equal(c.new_files, 2);
    assert_int_equal(c.rows, 5);
    assert_int_equal(f->cs.gets, 2);
    assert_string_equal(c.csv_key, "rnr_postprocess/output_inundation_2026-03-14_14:00:00.csv");
    assert_string_equal(c.geojson_key,
                        "rnr_postprocess/output_inundation_2026-03-14_14:00:00.geojson");

    hf_db *hf;
    assert_int_equal(hf_open(f->cfg.hydrofabric_path, &hf, &e), RNR_OK);
    char *csv = get_object(f, c.csv_key);
    assert_non_null(csv);
    assert_memory_equal(csv, HEADER "\n", strlen(HEADER) + 1);
    assert_int_equal(count_lines(csv), 6);
    /* peak of A at time 2: flows 112, 122, 132; of B at time 1: 111, 121 */
    check_row(csv, hf, 10, 112.0f, "2026-03-14_14:00:00");
    check_row(csv, hf, 12, 132.0f, "2026-03-14_14:00:00");
    check_row(csv, hf, 20, 111.0f, "2026-03-14_14:00:00");
    check_row(csv, hf, 21, 121.0f, "2026-03-14_14:00:00");
    assert_null(line_of(csv, 30));
    char b[64];
    field(line_of(csv, 11), 8, b, sizeof b);
    assert_string_equal(b, "2026-03-14_11:00:00"); /* reference_time */
    free(csv);

    char *geo = get_object(f, c.geojson_key);
    json_error_t je;
    json_t *g = json_loads(geo, 0, &je);
    assert_non_null(g);
    assert_string_equal(json_string_value(json_object_get(g, "type")), "FeatureCollection");
    json_t *feats = json_object_get(g, "features");
    assert_int_equal(json_array_size(feats), 5);
    json_t *g0 = json_object_get(json_array_get(feats, 0), "geometry");
    const char *gt = json_string_value(json_object_get(g0, "type"));
    assert_true(strcmp(gt, "LineString") == 0 || strcmp(gt, "MultiLineString") == 0);
    json_decref(g);
    free(geo);

    /* nothing new: nothing written, nothing downloaded */
    assert_int_equal(postprocess_run(pp, f->now + 600, &c, &e), RNR_OK);
    assert_int_equal(c.listed, 2);
    assert_int_equal(c.new_files, 0);
    assert_string_equal(c.csv_key, "");
    assert_int_equal(f->cs.gets, 2);
    store_list l;
    assert_int_equal(store_list_prefix(f->cs.real, "rnr_postprocess/", &l, &e), RNR_OK);
    assert_int_equal(l.n, 2);
    store_list_clear(&l);
    postprocess_free(pp);

    /* a third file, in a new process: only it is downloaded, all rows listed */
    put_output(f, "RNRD1", f->now - 1800, d_ids, 2, 3);
    assert_int_equal(postprocess_new_store(&f->cfg, &f->store, &pp, &e), RNR_OK);
    assert_int_equal(postprocess_run(pp, f->now + 1200, &c, &e), RNR_OK);
    assert_int_equal(c.listed, 3);
    assert_int_equal(c.new_files, 1);
    assert_int_equal(c.rows, 7);
    assert_int_equal(f->cs.gets, 3);
    assert_string_equal(c.csv_key, "rnr_postprocess/output_inundation_2026-03-14_14:20:00.csv");
    csv = get_object(f, c.csv_key);
    assert_int_equal(count_lines(csv), 8);
    check_row(csv, hf, 11, 122.0f, "2026-03-14_14:20:00");
    check_row(csv, hf, 21, 121.0f, "2026-03-14_14:20:00");
    check_row(csv, hf, 40, 113.0f, "2026-03-14_14:20:00");
    check_row(csv, hf, 41, 123.0f, "2026-03-14_14:20:00");
    free(csv);
    postprocess_free(pp);
    hf_close(hf);
}

static void test_missing_hydrofabric_is_config_error(void **state)
{
    fx *f = *state;
    free(f->cfg.hydrofabric_path);
    f->cfg.hydrofabric_path = NULL;
    postprocess *pp;
    rnr_error e;
    assert_int_equal(postprocess_new_store(&f->cfg, &f->store, &pp, &e), RNR_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "HYDROFABRIC_S3_KEY"));

    /* by key: downloaded once into the state directory */
    char src[1024];
    snprintf(src, sizeof src, "%s/data/sample/domain.gpkg", getenv("RNR_SOURCE_DIR"));
    assert_int_equal(store_put_file(f->cs.real, "hf/domain.gpkg", src, NULL, &e), RNR_OK);
    f->cfg.hydrofabric_key = strdup("hf/domain.gpkg");
    assert_int_equal(postprocess_new_store(&f->cfg, &f->store, &pp, &e), RNR_OK);
    postprocess_free(pp);
    assert_int_equal(postprocess_new_store(&f->cfg, &f->store, &pp, &e), RNR_OK);
    postprocess_free(pp);
    assert_int_equal(f->cs.gets, 1);
    char local[700];
    snprintf(local, sizeof local, "%s/hf-domain.gpkg", f->dir);
    assert_int_equal(access(local, R_OK), 0);
}

static void test_unreadable_output_is_skipped_once(void **state)
{
    fx *f = *state;
    rnr_error e;
    assert_int_equal(store_put_buf(f->cs.real,
                                   "replace_and_route/RNRX1/troute_output_202603141300.nc",
                                   "not netcdf", 10, NULL, &e),
                     RNR_OK);
    const int64_t ids[1] = {10};
    put_output(f, "RNRA1", f->now - 600, ids, 1, 0);
    postprocess *pp;
    assert_int_equal(postprocess_new_store(&f->cfg, &f->store, &pp, &e), RNR_OK);
    postprocess_counts c;
    assert_int_equal(postprocess_run(pp, f->now, &c, &e), RNR_OK);
    assert_int_equal(c.listed, 2);
    assert_int_equal(c.new_files, 2);
    assert_int_equal(c.rows, 1);
    assert_int_equal(postprocess_run(pp, f->now + 60, &c, &e), RNR_OK);
    assert_int_equal(c.new_files, 0);
    assert_int_equal(f->cs.gets, 2);
    postprocess_free(pp);
}

static void test_failed_upload_is_redone(void **state)
{
    fx *f = *state;
    rnr_error e;
    const int64_t ids[2] = {10, 11};
    put_output(f, "RNRA1", f->now - 600, ids, 2, 1);
    postprocess *pp;
    assert_int_equal(postprocess_new_store(&f->cfg, &f->store, &pp, &e), RNR_OK);
    postprocess_counts c;
    f->cs.fail_puts = 1;
    assert_int_equal(postprocess_run(pp, f->now, &c, &e), RNR_ERR_TRANSIENT);
    assert_non_null(strstr(e.msg, "503 SlowDown"));
    assert_int_equal(f->cs.gets, 1);
    /* nothing new, but the last table never went out: written now */
    assert_int_equal(postprocess_run(pp, f->now + 600, &c, &e), RNR_OK);
    assert_int_equal(c.new_files, 0);
    assert_int_equal(c.rows, 2);
    assert_string_equal(c.csv_key, "rnr_postprocess/output_inundation_2026-03-14_14:10:00.csv");
    assert_int_equal(f->cs.gets, 1);
    assert_int_equal(postprocess_run(pp, f->now + 1200, &c, &e), RNR_OK);
    assert_string_equal(c.csv_key, "");
    postprocess_free(pp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_runs, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_runs, fx_setup_mem, fx_teardown),
        cmocka_unit_test_setup_teardown(test_missing_hydrofabric_is_config_error, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_output_is_skipped_once, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_output_is_skipped_once, fx_setup_mem,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_failed_upload_is_redone, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
