/* test_hf_pqsink.c - the writer thread of the parquet index build: rows
 * come out in the order they were put, net's B-trees are built at the
 * marker, a writer that fails (here a trigger that aborts one insert, as
 * a full disk would) stops the reader's next puts with its error even
 * when the reader was waiting for room in the queue, and a reader that
 * fails makes the writer stop without inserting the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hydrofabric/hf_internal.h"
#include "hydrofabric/hf_pqsink.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static sqlite3 *open_schema(void)
{
    sqlite3 *db;
    rnr_error err = {0};
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(hf_index_schema(db, &err), RNR_OK);
    return db;
}

static long long query(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static hf_fp_row fp_row(int64_t num, int64_t fid, double dx)
{
    hf_fp_row r = {.num = num,
                   .divide = num,
                   .ord = 1,
                   .poi = HF_PQ_NULL,
                   .ms = 7,
                   .to_fp = HF_PQ_NULL,
                   .fid = fid,
                   .hs = 1.5,
                   .len = 0.25};
    for (int k = 0; k < HF_PARAM_COUNT; k++)
        r.p[k] = dx + k;
    return r;
}

static void test_rows_in_order(void **state)
{
    (void)state;
    sqlite3 *db = open_schema();
    hf_pqsink *s;
    rnr_error err = {0};
    assert_int_equal(hf_pqsink_new(db, &s, &err), RNR_OK);
    enum { N = 20000 }; /* several batches */
    for (int64_t i = 0; i < N; i++) {
        hf_net_row n = {.hf_id = i, .ms = i % 3, .divide = i, .hs = (double)i, .hhs_null = 1};
        assert_int_equal(hf_pqsink_net(s, &n, &err), RNR_OK);
    }
    assert_int_equal(hf_pqsink_net_done(s, &err), RNR_OK);
    for (int64_t i = 0; i < N; i++) {
        hf_fp_row r = fp_row(i + 1, i, 10.0);
        if (i % 2) /* every other row without parameters: not counted */
            r.pnull = (uint8_t)((1u << HF_PARAM_COUNT) - 1);
        assert_int_equal(hf_pqsink_fp(s, &r, &err), RNR_OK);
    }
    /* an id again, later in the file: the first row stays */
    hf_fp_row again = fp_row(5, N + 1, 99.0);
    assert_int_equal(hf_pqsink_fp(s, &again, &err), RNR_OK);
    assert_int_equal(hf_pqsink_lake(s, 11, 22, &err), RNR_OK);
    assert_int_equal(hf_pqsink_lake(s, 11, 22, &err), RNR_OK);
    size_t flowpaths = 0;
    assert_int_equal(hf_pqsink_finish(s, RNR_OK, &flowpaths, &err), RNR_OK);
    assert_int_equal(flowpaths, N / 2);
    assert_int_equal(query(db, "SELECT count(*) FROM net"), N);
    assert_int_equal(query(db, "SELECT count(*) FROM net WHERE rowid - 1 != hf_id"), 0);
    assert_int_equal(query(db, "SELECT count(*) FROM net WHERE hf_hydroseq IS NOT NULL"), 0);
    assert_int_equal(query(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'net_%'"), 3);
    assert_int_equal(query(db, "SELECT count(*) FROM fp"), N);
    assert_int_equal(query(db, "SELECT fid FROM fp WHERE id = 5"), 4);
    assert_int_equal(query(db, "SELECT count(*) FROM fp WHERE dx IS NOT NULL"), N / 2);
    assert_int_equal(query(db, "SELECT count(*) FROM fp WHERE poi_id IS NULL"), N);
    assert_int_equal(query(db, "SELECT count(*) FROM lakes"), 1);
    sqlite3_close(db);
}

/* The writer fails at one net row; the reader keeps putting (far more rows
 * than the queue holds) until a put fails with the writer's error. */
static void test_writer_fails(void **state)
{
    (void)state;
    sqlite3 *db = open_schema();
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TRIGGER net_full BEFORE INSERT ON net WHEN NEW.hf_id = 4242"
                     " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    hf_pqsink *s;
    rnr_error err = {0};
    assert_int_equal(hf_pqsink_new(db, &s, &err), RNR_OK);
    int rc = RNR_OK;
    int64_t i = 0;
    for (; !rc && i < 5000000; i++) {
        hf_net_row n = {.hf_id = i, .ms = 1, .divide = i};
        rc = hf_pqsink_net(s, &n, &err);
    }
    assert_int_equal(rc, RNR_ERR_IO);
    assert_true(i < 5000000);
    assert_non_null(strstr(err.msg, "insert into net: database or disk is full"));
    rnr_error err2 = {0};
    assert_int_equal(hf_pqsink_finish(s, RNR_OK, NULL, &err2), RNR_ERR_IO);
    assert_non_null(strstr(err2.msg, "database or disk is full"));
    sqlite3_close(db);
}

/* The reader fails: the rows still queued are not inserted, and its
 * error is the one returned. */
static void test_reader_fails(void **state)
{
    (void)state;
    sqlite3 *db = open_schema();
    hf_pqsink *s;
    rnr_error err = {0};
    assert_int_equal(hf_pqsink_new(db, &s, &err), RNR_OK);
    for (int64_t i = 0; i < 100; i++) {
        hf_net_row n = {.hf_id = i, .ms = 1, .divide = i};
        assert_int_equal(hf_pqsink_net(s, &n, &err), RNR_OK);
    }
    size_t flowpaths = 1;
    assert_int_equal(hf_pqsink_finish(s, RNR_ERR_INVALID, &flowpaths, &err), RNR_ERR_INVALID);
    assert_int_equal(flowpaths, 0);
    /* the 100 rows were still in the reader's open batch: never queued */
    assert_int_equal(query(db, "SELECT count(*) FROM net"), 0);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rows_in_order),
                                       cmocka_unit_test(test_writer_fails),
                                       cmocka_unit_test(test_reader_fails)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
