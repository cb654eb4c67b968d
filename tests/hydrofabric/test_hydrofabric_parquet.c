/* test_hydrofabric_parquet.c - the hydrofabric as a directory of parquet
 * layers written by independent writers (DuckDB in several variants,
 * parquetjs-lite with data page v2; tests/hydrofabric/hpdt2_parquet.mjs)
 * from HPDT2.gpkg: cuts, geometry, networks and counts equal the
 * GeoPackage path's; the sidecar index; the lake rule on both paths; bad
 * input named file by file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/backends.h"
#include "hydrofabric/hf.h"
#include "services/config.h"
#include "testutil.h"

#include <sys/stat.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *tmp;
static char gpkg[1024], gpkg_lakes[1024], gpkg_side[1024], h[1024];

static void run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "failed (%d): %s\n", rc, cmd);
    assert_int_equal(rc, 0);
}

static void exec_on(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static int setup(void **state)
{
    (void)state;
    tmp = tu_tempdir("hfpq");
    snprintf(gpkg, sizeof gpkg, "%s/rnr-hpdt2/HPDT2.gpkg", tu_ref_dir());
    char cmd[4096], csv[1100];
    snprintf(csv, sizeof csv, "%s/lakes.csv", tmp);
    /* an off-mainstem lake (its hf_id 3121548 is a side reach of wb-2418122,
     * on mainstem 1881880) and lakes on the mainstem at wb-2418124 and
     * wb-2418128 */
    tu_write_file(csv, "poi_id,hf_id\n29319,3121548\n60578,3121516\n30178,3122678\n");
    snprintf(h, sizeof h, "%s/h", tmp);
    snprintf(cmd, sizeof cmd, "node '%s/tests/hydrofabric/hpdt2_parquet.mjs' write '%s' '%s' '%s'",
             getenv("RNR_SOURCE_DIR"), gpkg, h, csv);
    run(cmd);
    snprintf(gpkg_lakes, sizeof gpkg_lakes, "%s/lakes.gpkg", tmp);
    snprintf(gpkg_side, sizeof gpkg_side, "%s/side.gpkg", tmp);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && cp '%s' '%s'", gpkg, gpkg_lakes, gpkg, gpkg_side);
    run(cmd);
    exec_on(gpkg_lakes, "CREATE TABLE lakes (fid INTEGER PRIMARY KEY, poi_id REAL, hf_id REAL);"
                        "INSERT INTO lakes VALUES (1, 29319.0, 3121548.0), (2, 60578.0, 3121516.0),"
                        " (3, 30178.0, 3122678.0);");
    exec_on(gpkg_side, "CREATE TABLE lakes (fid INTEGER PRIMARY KEY, poi_id REAL, hf_id REAL);"
                       "INSERT INTO lakes VALUES (1, 29319.0, 3121548.0);");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmrf(tmp);
    free(tmp);
    return 0;
}

/* Two cuts are the same segment, bit for bit, geometry included. */
static void assert_same_cut(hf_db *a, hf_db *b, int64_t reach)
{
    hf_cut *x, *y;
    rnr_error err = {0};
    assert_int_equal(hf_cut_reach(a, reach, &x, &err), 0);
    if (hf_cut_reach(b, reach, &y, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(x->n, y->n);
    assert_int_equal(x->lake_cut, y->lake_cut);
    assert_int_equal(x->lake_poi_id, y->lake_poi_id);
    assert_int_equal(x->mainstem, y->mainstem);
    assert_memory_equal(x->segs, y->segs, x->n * sizeof *x->segs);
    assert_int_equal(hf_cut_load_geometry(a, x, &err), 0);
    if (hf_cut_load_geometry(b, y, &err))
        fail_msg("%s", err.msg);
    for (size_t i = 0; i < x->n; i++) {
        assert_string_equal(x->fps[i].id, y->fps[i].id);
        assert_int_equal(x->fps[i].to_id, y->fps[i].to_id);
        assert_int_equal(x->fps[i].hf_id, y->fps[i].hf_id);
        assert_int_equal(x->fps[i].mainstem, y->fps[i].mainstem);
        assert_int_equal(x->fps[i].order, y->fps[i].order);
        assert_memory_equal(&x->fps[i].lengthkm, &y->fps[i].lengthkm, sizeof(double));
        assert_non_null(y->fps[i].geometry_wkt);
        assert_string_equal(x->fps[i].geometry_wkt, y->fps[i].geometry_wkt);
    }
    hf_cut_free(x);
    hf_cut_free(y);
}

static void assert_same_network(hf_db *a, hf_db *b)
{
    hydro_segment *x, *y;
    size_t nx, ny;
    rnr_error err = {0};
    assert_int_equal(hf_load_network(a, 0, &x, &nx, &err), 0);
    assert_int_equal(hf_load_network(b, 0, &y, &ny, &err), 0);
    assert_int_equal(nx, ny);
    assert_memory_equal(x, y, nx * sizeof *x);
    free(x);
    free(y);
}

static void test_variants_equal_gpkg(void **state)
{
    (void)state;
    /* "mixed": flowpaths partly out of id order, with ids repeated later
     * (the index build's two ways of appending fp, and first row wins) */
    static const char *const variants[] = {"zstd",  "snappy", "uncompressed", "gzip",   "rowgroups",
                                           "v2enc", "ints",   "strings",      "pagev2", "mixed"};
    hf_db *g;
    rnr_error err = {0};
    assert_int_equal(hf_open(gpkg, &g, &err), 0);
    hf_info gi;
    hf_get_info(g, &gi);
    assert_string_equal(gi.crs, "EPSG:5070");
    for (size_t k = 0; k < sizeof variants / sizeof *variants; k++) {
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/%s", h, variants[k]);
        hf_db *p;
        if (hf_open(dir, &p, &err))
            fail_msg("%s: %s", variants[k], err.msg);
        hf_info pi;
        hf_get_info(p, &pi);
        assert_int_equal(pi.indexed, 0);
        assert_int_equal(pi.flowpaths, gi.flowpaths);
        assert_int_equal(pi.network_rows, gi.network_rows);
        assert_int_equal(pi.lakes, 0);
        assert_int_equal(pi.duplicate_attributes, gi.duplicate_attributes);
        assert_string_equal(pi.crs, "EPSG:5070");
        assert_same_cut(g, p, 3121538);
        assert_same_network(g, p);
        hf_close(p);
    }
    hf_close(g);
}

/* The rows of one index table as text, every column but those left out. */
static char *table_text(const char *index, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(index, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    size_t n = 0, cap = 1 << 16;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int k = 0; k < sqlite3_column_count(st); k++) {
            char cell[64];
            if (sqlite3_column_type(st, k) == SQLITE_FLOAT)
                snprintf(cell, sizeof cell, "%.17g|", sqlite3_column_double(st, k));
            else
                snprintf(cell, sizeof cell, "%s|", (const char *)sqlite3_column_text(st, k));
            size_t m = strlen(cell);
            if (n + m + 2 > cap)
                assert_non_null(out = realloc(out, cap *= 2));
            memcpy(out + n, cell, m + 1);
            n += m;
        }
        out[n++] = '\n';
        out[n] = 0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

/* Flowpaths out of id order after their first rows, and ids again after
 * their first row with other values: the index's fp holds the same rows
 * (the first of each id) as from the file in id order; only where the row
 * sits in the file (fid) differs. */
static void test_flowpath_order_first_row_wins(void **state)
{
    (void)state;
    char a[1100], b[1100], ia[1200], ib[1200];
    snprintf(a, sizeof a, "%s/zstd", h);
    snprintf(b, sizeof b, "%s/mixed", h);
    snprintf(ia, sizeof ia, "%s/order-a.rnrindex", tmp);
    snprintf(ib, sizeof ib, "%s/order-b.rnrindex", tmp);
    rnr_error err = {0};
    hf_info x, y;
    assert_int_equal(hf_index_build(a, ia, &x, &err), 0);
    if (hf_index_build(b, ib, &y, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(x.flowpaths, 50);
    assert_int_equal(y.flowpaths, x.flowpaths);
    const char *cols = "SELECT id, divide, ord, hydroseq, lengthkm, poi_id, mainstem, to_fp, dx,"
                       " n, ncc, bw, tw, twcc, cs, s0 FROM fp ORDER BY id";
    char *ta = table_text(ia, cols), *tb = table_text(ib, cols);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
    /* the repeated rows sit after the first rows in the file */
    ta = table_text(ib, "SELECT count(*) FROM fp WHERE fid >= 50");
    assert_string_equal(ta, "0|\n");
    free(ta);
    ta = table_text(ia, "SELECT * FROM net ORDER BY rowid");
    tb = table_text(ib, "SELECT * FROM net ORDER BY rowid");
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
}

static void test_sidecar_index(void **state)
{
    (void)state;
    char dir[1100], cmd[4096];
    snprintf(dir, sizeof dir, "%s/indexed", tmp);
    snprintf(cmd, sizeof cmd, "cp -r '%s/rowgroups' '%s'", h, dir);
    run(cmd);
    char *ip = hf_index_path(dir);
    char slash[1200];
    snprintf(slash, sizeof slash, "%s/", dir);
    char *ip2 = hf_index_path(slash);
    assert_string_equal(ip, ip2); /* "dir/" and "dir" share one index beside the directory */
    rnr_error err = {0};
    hf_info info;
    assert_int_equal(hf_index_build(dir, ip, &info, &err), 0);
    hf_db *p, *g;
    assert_int_equal(hf_open(dir, &p, &err), 0);
    hf_get_info(p, &info);
    assert_int_equal(info.indexed, 1);
    assert_string_equal(info.crs, "EPSG:5070");
    assert_int_equal(hf_open(gpkg, &g, &err), 0);
    assert_same_cut(g, p, 3121538);
    hf_close(p);
    /* the origin (the layers' ETags) recorded by the build is checked
     * against the one given, in the file and in its 100-byte header */
    const char *origin = "network.parquet \"e1\" 10\n";
    hf_build_opts o = {.origin = origin};
    char why[128], oip[1200];
    snprintf(oip, sizeof oip, "%s.origin.rnrindex", dir);
    assert_int_equal(hf_index_build_opts(dir, oip, &o, &info, &err), 0);
    assert_int_equal(hf_index_check(oip, dir, origin, why, sizeof why), 1);
    assert_int_equal(hf_index_check(oip, dir, NULL, why, sizeof why), 1);
    assert_int_equal(hf_index_check(oip, dir, "network.parquet \"e2\" 10\n", why, sizeof why), 0);
    assert_non_null(strstr(why, "ETags differ"));
    assert_int_equal(hf_index_check(ip, dir, origin, why, sizeof why), 1); /* none recorded */
    size_t hn = 0;
    uint8_t *head = (uint8_t *)tu_read_file(oip, &hn);
    assert_true(head && hn > 100);
    assert_int_equal(hf_index_header_check(head, 100, dir, origin), 1);
    assert_int_equal(hf_index_header_check(head, 100, dir, "network.parquet \"e2\" 10\n"), 0);
    assert_int_equal(hf_index_header_check(head, 99, dir, origin), 0);
    free(head);
    /* a changed layer makes the index stale: rebuilt in memory, same answer */
    snprintf(cmd, sizeof cmd, "cp '%s/zstd/flowpaths.parquet' '%s/flowpaths.parquet'", h, dir);
    run(cmd);
    assert_int_equal(hf_open(dir, &p, &err), 0);
    hf_get_info(p, &info);
    assert_int_equal(info.indexed, 0);
    assert_same_cut(g, p, 3121538);
    hf_close(p);
    assert_int_equal(hf_index_check(oip, dir, origin, why, sizeof why), 0);
    assert_non_null(strstr(why, "other layer files"));
    head = (uint8_t *)tu_read_file(oip, &hn);
    assert_int_equal(hf_index_header_check(head, 100, dir, origin), 0);
    free(head);
    hf_close(g);
    free(ip);
    free(ip2);
}

/* The reference's lake rule: the off-mainstem lake at wb-2418122 is
 * ignored; the cut stops at the upstream-most lake on the mainstem. */
static void test_lake_rule_both_paths(void **state)
{
    (void)state;
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/lakes", h);
    hf_db *g, *p;
    hf_cut *c;
    rnr_error err = {0};
    assert_int_equal(hf_open(gpkg_lakes, &g, &err), 0);
    assert_int_equal(hf_open(dir, &p, &err), 0);
    assert_int_equal(hf_cut_reach(p, 3121538, &c, &err), 0);
    assert_int_equal(c->lake_cut, 1);
    assert_int_equal(c->lake_poi_id, 60578);
    assert_int_equal(c->n, 5);
    assert_string_equal(c->fps[4].id, "wb-2418124");
    hf_cut_free(c);
    assert_same_cut(g, p, 3121538);
    hf_close(g);
    hf_close(p);
    /* only the off-mainstem lake: no lake cut, the whole 50-flowpath chain */
    assert_int_equal(hf_open(gpkg_side, &g, &err), 0);
    assert_int_equal(hf_cut_reach(g, 3121538, &c, &err), 0);
    assert_int_equal(c->lake_cut, 0);
    assert_int_equal(c->n, 50);
    hf_cut_free(c);
    hf_close(g);
}

static void expect_open_error(const char *dir, const char *file, const char *what)
{
    hf_db *p = NULL;
    rnr_error err = {0};
    assert_int_not_equal(hf_open(dir, &p, &err), 0);
    assert_null(p);
    if (!strstr(err.msg, file) || !strstr(err.msg, what))
        fail_msg("'%s' does not name %s and '%s'", err.msg, file, what);
    assert_null(strchr(err.msg, '\n'));
}

static void test_bad_inputs(void **state)
{
    (void)state;
    char dir[1100], cmd[4096];
    snprintf(dir, sizeof dir, "%s/lz4", h);
    expect_open_error(dir, "network.parquet", "unsupported codec LZ4_RAW");
    snprintf(dir, sizeof dir, "%s/badint", h);
    expect_open_error(dir, "network.parquet", "column hf_id, row 3: 3125212.5 is not an integer");
    snprintf(dir, sizeof dir, "%s/nocol", h);
    expect_open_error(dir, "network.parquet", "missing column hf_hydroseq");
    snprintf(dir, sizeof dir, "%s/broken", tmp);
    snprintf(cmd, sizeof cmd, "cp -r '%s/uncompressed' '%s' && rm '%s/lakes.parquet'", h, dir, dir);
    run(cmd);
    expect_open_error(dir, "lakes.parquet", "missing file");
    snprintf(cmd, sizeof cmd,
             "cp '%s/uncompressed/lakes.parquet' '%s/' && truncate -s 300 '%s/network.parquet'", h,
             dir, dir);
    run(cmd);
    expect_open_error(dir, "network.parquet", "wrong magic at the end");
    snprintf(
        cmd, sizeof cmd,
        "cp '%s/uncompressed/network.parquet' '%s/' && printf 'XXXX' | dd of='%s/network.parquet'"
        " conv=notrunc status=none",
        h, dir, dir);
    run(cmd);
    expect_open_error(dir, "network.parquet", "wrong magic at the start");
    /* a column chunk that points past the data: the footer is intact */
    snprintf(cmd, sizeof cmd,
             "cp '%s/uncompressed/network.parquet' '%s/' && truncate -s 0 '%s/flowpaths.parquet'",
             h, dir, dir);
    run(cmd);
    expect_open_error(dir, "flowpaths.parquet", "truncated");
    /* a GeoPackage path still works beside all this */
    hf_db *g;
    rnr_error err = {0};
    assert_int_equal(hf_open(gpkg, &g, &err), 0);
    hf_close(g);
}

/* HYDROFABRIC_S3_KEY as the reference means it: a prefix of parquet layers,
 * downloaded once into the state directory and indexed there. */
static void test_store_prefix(void **state)
{
    (void)state;
    char url[1100], root[1100], cmd[4096];
    snprintf(root, sizeof root, "%s/store", tmp);
    snprintf(url, sizeof url, "file://%s", root);
    rnr_store *s;
    rnr_error err = {0};
    assert_int_equal(backend_open_store(url, &s, &err), RNR_OK);
    static const char *const names[] = {"network", "flowpaths", "flowpath-attributes", "lakes",
                                        "nexus"};
    for (size_t i = 0; i < 5; i++) {
        char src[1200], key[100];
        snprintf(src, sizeof src, "%s/zstd/%s.parquet", h, names[i]);
        snprintf(key, sizeof key, "hydrofabric/v2.2/%s.parquet", names[i]);
        assert_int_equal(store_put_file(s, key, src, NULL, &err), RNR_OK);
    }
    rnr_config c;
    memset(&c, 0, sizeof c);
    char sd[1100];
    snprintf(sd, sizeof sd, "%s/state", tmp);
    mkdir(sd, 0755);
    c.state_dir = sd;
    c.hydrofabric_key = "hydrofabric/v2.2/";
    hf_db *p, *g;
    if (config_open_hydrofabric(&c, s, &p, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(hf_open(gpkg, &g, &err), 0);
    assert_same_cut(g, p, 3121538);
    hf_info info;
    hf_get_info(p, &info);
    assert_int_equal(info.indexed, 1); /* built once into the state directory */
    hf_close(p);
    char local[1300];
    snprintf(local, sizeof local, "%s/hf-hydrofabric_v2_2/network.parquet", sd);
    struct stat a, b;
    assert_int_equal(stat(local, &a), 0);
    /* a restart finds the copies and downloads nothing */
    snprintf(cmd, sizeof cmd, "touch -d '2000-01-01' '%s'", local);
    run(cmd);
    assert_int_equal(stat(local, &a), 0);
    assert_int_equal(config_open_hydrofabric(&c, s, &p, &err), 0);
    assert_int_equal(stat(local, &b), 0);
    assert_int_equal(a.st_mtime, b.st_mtime);
    hf_close(p);
    hf_close(g);
    /* a prefix without lakes.parquet names the missing file */
    assert_int_equal(store_delete(s, "hydrofabric/v2.2/lakes.parquet", &err), RNR_OK);
    c.hydrofabric_key = "hydrofabric/v2.2";
    assert_int_not_equal(config_open_hydrofabric(&c, s, &p, &err), 0);
    assert_non_null(strstr(err.msg, "hydrofabric/v2.2/lakes.parquet: missing file"));
    store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_variants_equal_gpkg),
                                       cmocka_unit_test(test_flowpath_order_first_row_wins),
                                       cmocka_unit_test(test_sidecar_index),
                                       cmocka_unit_test(test_lake_rule_both_paths),
                                       cmocka_unit_test(test_bad_inputs),
                                       cmocka_unit_test(test_store_prefix)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
