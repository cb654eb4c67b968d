/* test_hydrofabric_cut.c - the RnR segment cut on the real HPDT2 subset
 * (bit-exact float32 parameters against hpdt2_segments.csv), the sidecar
 * index, lakes, duplicates, missing layers and columns, network loading,
 * lookups in one read transaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hydrofabric/hf.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char ref_gpkg[1024], ref_csv[1024], tmpdir[256];

static void copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb"), *o = fopen(dst, "wb");
    assert_non_null(in);
    assert_non_null(o);
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, k, o), k);
    fclose(in);
    fclose(o);
}

/* A private copy of HPDT2.gpkg (the reference is read-only) named name. */
static void copy_ref(const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
    copy_file(ref_gpkg, out);
    char *ip = hf_index_path(out);
    unlink(ip);
    free(ip);
}

static void exec_on(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "sql: %s\n", msg);
    assert_int_equal(rc, SQLITE_OK);
    sqlite3_close(db);
}

typedef struct ref_row {
    char id[32];
    float v[8];
} ref_row;

/* id and the eight *_f32 columns of hpdt2_segments.csv. */
static size_t read_ref(ref_row *rows, size_t cap)
{
    FILE *f = fopen(ref_csv, "r");
    assert_non_null(f);
    char line[2048];
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "dx_f32,n_f32,ncc_f32,bw_f32,tw_f32,twcc_f32,cs_f32,s0_f32"));
    size_t n = 0;
    while (n < cap && fgets(line, sizeof line, f)) {
        char *fields[32];
        int k = 0;
        for (char *p = strtok(line, ",\n"); p && k < 32; p = strtok(NULL, ",\n"))
            fields[k++] = p;
        assert_int_equal(k, 21);
        snprintf(rows[n].id, sizeof rows[n].id, "%s", fields[1]);
        for (int i = 0; i < 8; i++)
            rows[n].v[i] = (float)strtod(fields[13 + i], NULL);
        n++;
    }
    fclose(f);
    return n;
}

static void assert_matches_reference(const hf_cut *c)
{
    ref_row rows[64];
    size_t n = read_ref(rows, 64);
    assert_int_equal(n, 50);
    assert_int_equal(c->n, 50);
    for (size_t i = 0; i < n; i++) {
        const hydro_segment *s = &c->segs[i];
        assert_string_equal(c->fps[i].id, rows[i].id);
        float got[8] = {s->dx, s->n, s->ncc, s->bw, s->tw, s->twcc, s->cs, s->s0};
        assert_memory_equal(got, rows[i].v, sizeof got);
        assert_int_equal(s->id, 2418120 + (int64_t)i);
        assert_int_equal(s->to_id, i + 1 < n ? 2418121 + (int64_t)i : 0);
        assert_int_equal(c->fps[i].order, 6);
        assert_int_equal(c->fps[i].mainstem, 1881330);
        assert_null(c->fps[i].geometry_wkt); /* routing cuts carry no geometry */
    }
    assert_int_equal(c->fps[0].hf_id, 3121538);
    assert_int_equal(c->mainstem, 1881330);
    assert_int_equal(c->order, 6);
    assert_int_equal(c->lake_cut, 0);
}

static int setup(void **state)
{
    (void)state;
    const char *ref = getenv("RNR_REFERENCE_DIR");
    snprintf(ref_gpkg, sizeof ref_gpkg, "%s/rnr-hpdt2/HPDT2.gpkg", ref ? ref : "/nonexistent");
    snprintf(ref_csv, sizeof ref_csv, "%s/muskingum-cunge/hpdt2_segments.csv",
             ref ? ref : "/nonexistent");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rnr_hf_cut_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

#define NEED_REFERENCE()                                                                                    \
    do {                                                                                                    \
        if (access(ref_gpkg, R_OK) != 0 || access(ref_csv, R_OK) != 0) {                                    \
            fail_msg(                                                                                       \
                "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)"); \
        }                                                                                                   \
    } while (0)

/* Whether a writer can take the file's write lock now (not while a reader
 * holds it read-locked). */
static int writable_now(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    int rc = sqlite3_exec(db, "BEGIN EXCLUSIVE; COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc == SQLITE_OK;
}

/* hf_read_begin keeps the GeoPackage read-locked across lookups (one
 * transaction, not one per lookup) and the answers are the same. */
static void test_lookups_in_one_read(void **state)
{
    (void)state;
    NEED_REFERENCE();
    char path[600];
    copy_ref("read.gpkg", path, sizeof path);
    hf_db *db;
    rnr_error err = {0};
    hf_flowpath a, b;
    assert_int_equal(hf_open(path, &db, &err), 0);
    assert_int_equal(hf_flowpath_lookup(db, 2418120, &a, &err), 0);
    assert_true(writable_now(path)); /* a lookup alone leaves no lock behind */

    assert_int_equal(hf_read_begin(db), 0);
    assert_int_not_equal(hf_read_begin(db), 0); /* one at a time */
    assert_int_equal(hf_flowpath_lookup(db, 2418120, &b, &err), 0);
    assert_string_equal(a.geometry_wkt, b.geometry_wkt);
    assert_true(a.lengthkm == b.lengthkm);
    hf_flowpath_clear(&b);
    assert_int_equal(hf_flowpath_lookup(db, 1, &b, &err), RNR_ERR_NOTFOUND);
    assert_false(writable_now(path)); /* held between lookups */
    hf_read_end(db);
    assert_true(writable_now(path));

    assert_int_equal(hf_flowpath_lookup(db, 2418120, &b, &err), 0); /* after: as before */
    assert_string_equal(a.geometry_wkt, b.geometry_wkt);
    hf_flowpath_clear(&a);
    hf_flowpath_clear(&b);
    hf_read_end(db); /* without a begin: nothing */
    hf_close(db);
}

static void test_hpdt2_cut_without_index(void **state)
{
    (void)state;
    NEED_REFERENCE();
    hf_db *db;
    hf_cut *c;
    rnr_error err = {0};
    assert_int_equal(hf_open(ref_gpkg, &db, &err), 0);
    hf_info info;
    hf_get_info(db, &info);
    assert_int_equal(info.indexed, 0);
    assert_string_equal(info.layer_attributes, "flowpath-attributes");
    assert_int_equal(info.flowpaths, 50);
    assert_int_equal(info.duplicate_attributes, 0);
    assert_int_equal(hf_cut_reach(db, 3121538, &c, &err), 0);
    assert_matches_reference(c);
    /* geometry on request, for every flowpath of the cut */
    assert_int_equal(hf_cut_load_geometry(db, c, &err), 0);
    for (size_t i = 0; i < c->n; i++)
        assert_int_equal(strncmp(c->fps[i].geometry_wkt, "LINESTRING (", 12), 0);
    hf_cut_free(c);

    /* a reach in the middle: the cut starts at its flowpath */
    assert_int_equal(hf_cut_reach(db, 3122672, &c, &err), 0);
    assert_int_equal(c->n, 43);
    assert_string_equal(c->fps[0].id, "wb-2418127");
    hf_cut_free(c);

    assert_int_equal(hf_cut_reach(db, 42, &c, &err), RNR_ERR_NOTFOUND);
    assert_null(c);
    assert_string_equal(err.msg,
                        "HPDT2.gpkg: reachId 42 has no network row (hf_id == 42): cannot route");
    hf_close(db);
}

static void test_hpdt2_cut_with_index(void **state)
{
    (void)state;
    NEED_REFERENCE();
    char path[512];
    copy_ref("HPDT2.gpkg", path, sizeof path);
    char *ip = hf_index_path(path);
    rnr_error err = {0};
    hf_info info;
    assert_int_equal(hf_index_build(path, ip, &info, &err), 0);
    assert_int_equal(info.flowpaths, 50);
    assert_int_equal(info.network_rows, 117);
    assert_int_equal(access(ip, R_OK), 0);
    hf_db *db;
    hf_cut *c;
    assert_int_equal(hf_open(path, &db, &err), 0);
    hf_get_info(db, &info);
    assert_int_equal(info.indexed, 1);
    assert_int_equal(hf_cut_reach(db, 3121538, &c, &err), 0);
    assert_matches_reference(c);
    hf_cut_free(c);

    hf_flowpath fp;
    assert_int_equal(hf_flowpath_lookup(db, 2418120, &fp, &err), 0);
    assert_string_equal(fp.id, "wb-2418120");
    assert_true(fp.lengthkm > 3.605405062157 && fp.lengthkm < 3.605405062158);
    assert_int_equal(fp.order, 6);
    assert_int_equal(fp.to_id, 2418121);
    assert_int_equal(fp.hf_id, 3121538);
    size_t commas = 0;
    for (const char *p = fp.geometry_wkt; *p; p++)
        commas += *p == ',';
    assert_int_equal(commas, 13); /* 14 vertices */
    hf_flowpath_clear(&fp);
    assert_int_equal(hf_flowpath_lookup(db, 1, &fp, &err), RNR_ERR_NOTFOUND);
    hf_close(db);

    /* a copied pair (new mtimes, as after a download) still uses the index */
    char path2[600], *ip2;
    snprintf(path2, sizeof path2, "%s/copy.gpkg", tmpdir);
    ip2 = hf_index_path(path2);
    copy_file(ip, ip2);
    sleep(1);
    copy_file(path, path2);
    assert_int_equal(hf_open(path2, &db, &err), 0);
    hf_get_info(db, &info);
    assert_int_equal(info.indexed, 1);
    assert_int_equal(info.flowpaths, 50);
    hf_close(db);
    free(ip2);

    /* a changed file makes the index stale: fall back, same answer */
    exec_on(path, "UPDATE \"flowpath-attributes\" SET n = 0.07 WHERE id = 'wb-2418121'");
    assert_int_equal(hf_open(path, &db, &err), 0);
    hf_get_info(db, &info);
    assert_int_equal(info.indexed, 0);
    assert_int_equal(hf_cut_reach(db, 3121538, &c, &err), 0);
    assert_true(c->segs[1].n == 0.07f);
    hf_cut_free(c);
    hf_close(db);
    unlink(ip);
    free(ip);
}

static void test_hpdt2_lake_and_duplicates(void **state)
{
    (void)state;
    NEED_REFERENCE();
    char path[512];
    copy_ref("lake.gpkg", path, sizeof path);
    /* wb-2418124 carries poi 60578: make it a lake; duplicate one id with other values */
    exec_on(
        path,
        "CREATE TABLE lakes (fid INTEGER PRIMARY KEY, poi_id REAL, hf_id REAL);"
        "INSERT INTO lakes VALUES (1, 60578.0, 3121516.0);"
        /* a second lake further down (wb-2418128): the upstream-most one wins */
        "INSERT INTO lakes VALUES (2, 30178.0, 3122678.0);"
        /* upstream of both, wb-2418122's poi 29319 as a lake whose hf_id is a side
                   * reach on another mainstem (1881880): the reference ignores it */
        "INSERT INTO lakes VALUES (3, 29319.0, 3121548.0);"
        "INSERT INTO \"flowpath-attributes\" (link, Length_m, n, nCC, BtmWdth, TopWdth, TopWdthCC, ChSlp,"
        " So, id) VALUES ('wb-2418120', 1, 0.9, 0.9, 1, 1, 1, 1, 0.5, 'wb-2418120');");
    hf_db *db;
    hf_cut *c;
    rnr_error err = {0};
    assert_int_equal(hf_open(path, &db, &err), 0);
    hf_info info;
    hf_get_info(db, &info);
    assert_int_equal(info.duplicate_attributes, 1);
    assert_string_equal(info.first_duplicate, "wb-2418120");
    assert_int_equal(info.lakes, 3);
    assert_int_equal(hf_cut_reach(db, 3121538, &c, &err), 0);
    assert_int_equal(c->lake_cut, 1);
    assert_int_equal(c->lake_poi_id, 60578);
    assert_int_equal(c->n, 5);
    assert_string_equal(c->fps[4].id, "wb-2418124");
    assert_int_equal(c->segs[4].to_id, 0);
    assert_true(c->segs[0].n == 0.05f); /* the first row of the duplicated id, routed once */
    hf_cut_free(c);
    hf_close(db);
}

static void test_missing_layers_and_columns(void **state)
{
    (void)state;
    NEED_REFERENCE();
    char path[512];
    hf_db *db = NULL;
    rnr_error err = {0};
    copy_ref("HPDT2.gpkg", path, sizeof path);
    exec_on(path, "ALTER TABLE \"flowpath-attributes\" RENAME TO \"fa-old\"");
    assert_int_equal(hf_open(path, &db, &err), RNR_ERR_NOTFOUND);
    assert_null(db);
    /* the -ml layer is still there and must not be taken */
    assert_string_equal(
        err.msg,
        "HPDT2.gpkg: layer flowpath-attributes not found (also tried flowpath_attributes)");
    exec_on(
        path,
        "ALTER TABLE \"fa-old\" RENAME TO flowpath_attributes; ALTER TABLE flowpaths RENAME TO flowlines");
    assert_int_equal(hf_open(path, &db, &err), 0);
    hf_cut *c;
    assert_int_equal(hf_cut_reach(db, 3121538, &c, &err), 0);
    assert_matches_reference(c);
    hf_cut_free(c);
    hf_close(db);
    exec_on(path, "ALTER TABLE network DROP COLUMN hf_mainstem");
    assert_int_equal(hf_open(path, &db, &err), RNR_ERR_NOTFOUND);
    assert_string_equal(err.msg, "HPDT2.gpkg: layer network has no column hf_mainstem");
    char bogus[512];
    snprintf(bogus, sizeof bogus, "%s/not.gpkg", tmpdir);
    FILE *f = fopen(bogus, "w");
    fputs(
        "this is not sqlite, just text long enough to be a header.......................................",
        f);
    fclose(f);
    assert_int_not_equal(hf_open(bogus, &db, &err), 0);
    assert_non_null(strstr(err.msg, "not.gpkg"));
    assert_int_equal(hf_open("/nonexistent/x.gpkg", &db, &err), RNR_ERR_IO);
}

static void test_hpdt2_network(void **state)
{
    (void)state;
    NEED_REFERENCE();
    hf_db *db;
    rnr_error err = {0};
    assert_int_equal(hf_open(ref_gpkg, &db, &err), 0);
    hydro_segment *s;
    size_t n;
    assert_int_equal(hf_load_network(db, 0, &s, &n, &err), 0);
    assert_int_equal(n, 50);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(s[i].id, 2418120 + (int64_t)i);
        assert_int_equal(s[i].to_id, i + 1 < n ? s[i].id + 1 : 0);
    }
    free(s);
    assert_int_equal(hf_load_network(db, 2418130, &s, &n, &err), 0);
    assert_int_equal(n, 11);
    assert_int_equal(s[10].id, 2418130);
    assert_int_equal(s[10].to_id, 0);
    free(s);
    assert_int_equal(hf_load_network(db, 7, &s, &n, &err), RNR_ERR_NOTFOUND);
    hf_close(db);
}

/* Every channel parameter the kernel cannot route is refused when the
 * cut (and the whole-network load) is built, naming the GeoPackage, the
 * flowpath and the column; zero side slope (a rectangle) is fine. */
static void test_invalid_params(void **state)
{
    (void)state;
    NEED_REFERENCE();
    static const struct {
        const char *col, *val;
    } bad[] = {
        {"Length_m", "0"}, {"Length_m", "-5"}, {"Length_m", "1e999"}, {"n", "0"},
        {"n", "-1e999"},   {"nCC", "0"},       {"nCC", "-0.1"},       {"BtmWdth", "0"},
        {"TopWdth", "0"},  {"TopWdth", "-1"},  {"TopWdthCC", "0"},    {"TopWdthCC", "-3"},
        {"ChSlp", "-1"},   {"ChSlp", "1e999"}, {"So", "0"},           {"So", "1e39"},
        {"So", "'abc'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[512], sql[256], want[128];
        copy_ref("bad.gpkg", path, sizeof path);
        snprintf(sql, sizeof sql,
                 "UPDATE \"flowpath-attributes\" SET \"%s\" = %s WHERE id = 'wb-2418125'",
                 bad[i].col, bad[i].val);
        exec_on(path, sql);
        hf_db *db;
        rnr_error err = {0};
        assert_int_equal(hf_open(path, &db, &err), 0);
        hf_cut *c = NULL;
        snprintf(want, sizeof want, "bad.gpkg: flowpath wb-2418125: %s = ", bad[i].col);
        assert_int_equal(hf_cut_reach(db, 3121538, &c, &err), RNR_ERR_INVALID);
        assert_null(c);
        if (!strstr(err.msg, want))
            fail_msg("%s = %s: message '%s' lacks '%s'", bad[i].col, bad[i].val, err.msg, want);
        hydro_segment *s = NULL;
        size_t n = 0;
        assert_int_equal(hf_load_network(db, 0, &s, &n, &err), RNR_ERR_INVALID);
        assert_non_null(strstr(err.msg, want));
        hf_close(db);
    }
    char path[512];
    copy_ref("flat.gpkg", path, sizeof path);
    exec_on(path, "UPDATE \"flowpath-attributes\" SET ChSlp = 0 WHERE id = 'wb-2418125'");
    hf_db *db;
    rnr_error err = {0};
    hf_cut *c = NULL;
    assert_int_equal(hf_open(path, &db, &err), 0);
    assert_int_equal(hf_cut_reach(db, 3121538, &c, &err), 0);
    hf_cut_free(c);
    hf_close(db);
}

int main(void)
{
    /* every test here reads the reference files */
    const char *ref = getenv("RNR_REFERENCE_DIR");
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/rnr-hpdt2/HPDT2.gpkg", ref ? ref : "/nonexistent");
    if (!ref || access(probe, R_OK) != 0) {
        fprintf(
            stderr,
            "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hpdt2_cut_without_index),
        cmocka_unit_test(test_lookups_in_one_read),
        cmocka_unit_test(test_hpdt2_cut_with_index),
        cmocka_unit_test(test_hpdt2_lake_and_duplicates),
        cmocka_unit_test(test_missing_layers_and_columns),
        cmocka_unit_test(test_hpdt2_network),
        cmocka_unit_test(test_invalid_params),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
