/* test_adapters_sqlite_pp_state.c - the post-processor's memory in SQLite
 * (ports/pp_state.h): a recorded output and its rows come back as they
 * went in (NAN maximum included), the written mark, a rewritten object
 * counting as new, pruning, and a database from before the merged table
 * (no flow_max, no lid) brought up to date; records grouped in a batch
 * seen at once, kept after it by another connection, and a batch left
 * open (a run that died) losing only its own records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/backends.h"
#include "adapters/sqlite_pp_state.h"
#include "testutil.h"

static inundation_row row(int64_t fid, float flow, float max, const char *wkt)
{
    inundation_row r;
    memset(&r, 0, sizeof r);
    r.feature_id = fid;
    r.stream_order = 3;
    r.name = "Bench Creek, \"North\"";
    r.state = "TX";
    r.flow_cms = flow;
    r.flow_max_cms = max;
    snprintf(r.inherited_rfc_forecasts, sizeof r.inherited_rfc_forecasts,
             "minor issued at X (%lld)", (long long)fid);
    r.max_status = "minor";
    r.reference_time = 1773457200;
    r.geom_wkt = wkt;
    return r;
}

static void test_record_lookup_load(void **state)
{
    (void)state;
    char *dir = tu_tempdir("pp-state");
    rnr_pp_state *s;
    rnr_error e;
    assert_int_equal(backend_open_pp_state(dir, &s, &e), RNR_OK);
    store_object o = {"replace_and_route/A/troute_output_202603140300.nc", 4000, 1773457300};
    int known = -1;
    char lid[64];
    assert_int_equal(pp_state_lookup(s, &o, &known, lid, sizeof lid, &e), RNR_OK);
    assert_int_equal(known, 0);
    inundation_row in[2] = {row(53, 10.5f, 12.25f, "LINESTRING (1 2, 3 4)"),
                            row(52, 1.0f, NAN, NULL)};
    assert_int_equal(pp_state_record(s, &o, 1773457200, "BNCH1", in, 2, NULL, &e), RNR_OK);
    assert_int_equal(pp_state_lookup(s, &o, &known, lid, sizeof lid, &e), RNR_OK);
    assert_int_equal(known, 1);
    assert_string_equal(lid, "BNCH1");
    pp_rows rs = {0};
    assert_int_equal(pp_state_load(s, &o, &rs, &e), RNR_OK);
    assert_int_equal(rs.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(rs.r[i].feature_id, in[i].feature_id);
        assert_string_equal(rs.r[i].name, in[i].name);
        assert_string_equal(rs.r[i].inherited_rfc_forecasts, in[i].inherited_rfc_forecasts);
        assert_true(rs.r[i].flow_cms == in[i].flow_cms);
        assert_int_equal(rs.r[i].reference_time, in[i].reference_time);
    }
    assert_string_equal(rs.r[0].geom_wkt, "LINESTRING (1 2, 3 4)");
    assert_null(rs.r[1].geom_wkt);
    assert_true(rs.r[0].flow_max_cms == 12.25f);
    assert_true(isnan(rs.r[1].flow_max_cms));
    pp_rows_clear(&rs);
    assert_int_equal(pp_state_mark_written(s, &e), RNR_OK);
    assert_int_equal(pp_state_lookup(s, &o, &known, lid, sizeof lid, &e), RNR_OK);
    assert_int_equal(known, 2);
    store_object rewritten = o;
    rewritten.mtime++;
    assert_int_equal(pp_state_lookup(s, &rewritten, &known, lid, sizeof lid, &e), RNR_OK);
    assert_int_equal(known, 0);
    assert_string_equal(lid, "");
    /* An unreadable output is remembered with its note and no rows. */
    store_object bad = {"replace_and_route/B/troute_output_202603140400.nc", 10, 1773460000};
    assert_int_equal(pp_state_record(s, &bad, 1773460800, NULL, NULL, 0, "not NetCDF", &e), RNR_OK);
    assert_int_equal(pp_state_load(s, &bad, &rs, &e), RNR_OK);
    assert_int_equal(rs.n, 0);
    pp_state_prune(s, 1773460000); /* drops o (file_time before), keeps bad */
    assert_int_equal(pp_state_lookup(s, &o, &known, lid, sizeof lid, &e), RNR_OK);
    assert_int_equal(known, 0);
    assert_int_equal(pp_state_load(s, &o, &rs, &e), RNR_OK);
    assert_int_equal(rs.n, 0);
    assert_int_equal(pp_state_lookup(s, &bad, &known, lid, sizeof lid, &e), RNR_OK);
    assert_int_equal(known, 1);
    pp_rows_clear(&rs);
    pp_state_free(s);
    tu_rmrf(dir);
    free(dir);
}

static void test_batch(void **state)
{
    (void)state;
    char *dir = tu_tempdir("pp-state");
    rnr_pp_state *s, *other;
    rnr_error e;
    assert_int_equal(backend_open_pp_state(dir, &s, &e), RNR_OK);
    store_object a = {"r/A/troute_output_202603140300.nc", 10, 1}, b = {"r/B/x.nc", 20, 2},
                 c = {"r/C/x.nc", 30, 3};
    inundation_row in[1] = {row(7, 1.5f, 2.5f, "LINESTRING (0 0, 1 1)")};
    int known;
    char lid[64];
    assert_int_equal(pp_state_batch_begin(s, &e), RNR_OK);
    assert_int_equal(pp_state_record(s, &a, 1773457200, "A1", in, 1, NULL, &e), RNR_OK);
    assert_int_equal(pp_state_record(s, &b, 1773457200, "B1", NULL, 0, "unreadable", &e), RNR_OK);
    assert_int_equal(pp_state_lookup(s, &b, &known, lid, sizeof lid, &e), RNR_OK);
    assert_int_equal(known, 1);
    assert_int_equal(pp_state_batch_end(s, &e), RNR_OK);
    /* outside a batch a record commits alone, as before */
    assert_int_equal(pp_state_record(s, &c, 1773457200, "C1", in, 1, NULL, &e), RNR_OK);
    assert_int_equal(backend_open_pp_state(dir, &other, &e), RNR_OK);
    const store_object *all[3] = {&a, &b, &c};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pp_state_lookup(other, all[i], &known, lid, sizeof lid, &e), RNR_OK);
        assert_int_equal(known, 1);
    }
    pp_rows rs = {0};
    assert_int_equal(pp_state_load(other, &a, &rs, &e), RNR_OK);
    assert_int_equal(rs.n, 1);
    assert_string_equal(rs.r[0].geom_wkt, "LINESTRING (0 0, 1 1)");
    pp_rows_clear(&rs);
    pp_state_free(other);
    /* a batch never ended (the process died): its records are not kept */
    store_object d = {"r/D/x.nc", 40, 4};
    assert_int_equal(pp_state_batch_begin(s, &e), RNR_OK);
    assert_int_equal(pp_state_record(s, &d, 1773457200, "D1", in, 1, NULL, &e), RNR_OK);
    pp_state_free(s);
    assert_int_equal(backend_open_pp_state(dir, &s, &e), RNR_OK);
    assert_int_equal(pp_state_lookup(s, &d, &known, lid, sizeof lid, &e), RNR_OK);
    assert_int_equal(known, 0);
    assert_int_equal(pp_state_lookup(s, &a, &known, lid, sizeof lid, &e), RNR_OK);
    assert_int_equal(known, 1);
    pp_state_free(s);
    /* closing does not fold the WAL into the file (a checkpoint and two
     * fsyncs per run); the records above were read back through it */
    char wal[1200];
    snprintf(wal, sizeof wal, "%s/postprocess.db-wal", dir);
    struct stat st;
    assert_int_equal(stat(wal, &st), 0);
    assert_true(st.st_size > 0);
    tu_rmrf(dir);
    free(dir);
}

static void test_old_schema_migrated(void **state)
{
    (void)state;
    char *dir = tu_tempdir("pp-state-old");
    char path[1100];
    snprintf(path, sizeof path, "%s/postprocess.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(
            db,
            "CREATE TABLE files(key TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,"
            " file_time INTEGER NOT NULL, nrows INTEGER NOT NULL, note TEXT, written INTEGER NOT NULL DEFAULT 0,"
            " PRIMARY KEY(key, size, mtime));"
            "CREATE TABLE rows(key TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL, seq INTEGER NOT NULL,"
            " feature_id INTEGER, stream_order INTEGER, name TEXT, state TEXT, flow REAL, inherited TEXT,"
            " max_status TEXT, reference_time INTEGER, geom TEXT, PRIMARY KEY(key, size, mtime, seq));"
            "INSERT INTO files VALUES('k', 1, 2, 100, 1, NULL, 1);"
            "INSERT INTO rows VALUES('k', 1, 2, 0, 7, 2, 'n', 'TX', 4.5, 'txt', 'minor', 100, NULL);",
            NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    rnr_pp_state *s;
    rnr_error e;
    assert_int_equal(sqlite_pp_state_open(path, &s, &e), RNR_OK);
    store_object o = {"k", 1, 2};
    int known;
    char lid[64] = "x";
    assert_int_equal(pp_state_lookup(s, &o, &known, lid, sizeof lid, &e), RNR_OK);
    assert_int_equal(known, 2);
    assert_string_equal(lid, "");
    pp_rows rs = {0};
    assert_int_equal(pp_state_load(s, &o, &rs, &e), RNR_OK);
    assert_int_equal(rs.n, 1);
    assert_true(rs.r[0].flow_max_cms == 4.5f); /* the peak-time flow it had */
    pp_rows_clear(&rs);
    pp_state_free(s);
    /* A path that cannot be a database is a clear error, not a crash. */
    assert_int_not_equal(sqlite_pp_state_open(dir, &s, &e), RNR_OK);
    assert_null(s);
    assert_non_null(strstr(e.msg, dir));
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_lookup_load),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_old_schema_migrated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
