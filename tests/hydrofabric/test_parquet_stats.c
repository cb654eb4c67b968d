/* test_parquet_stats.c - row groups skipped by their statistics are not
 * read or decoded: a four-row-group file whose third group has a corrupt
 * page still answers a lookup in the other groups, the reader's counters
 * show one chunk decoded and three groups skipped, and reading the corrupt
 * group directly fails (so a lookup that touched it would have failed).
 * Also: pq_prefetch serves a row group's chunks with one read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hydrofabric/parquet_internal.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { GROUPS = 4, ROWS = 100 };

static uint8_t *file;
static size_t file_n;
static char *tmp;

static int setup(void **state)
{
    (void)state;
    tmp = tu_tempdir("pqstats");
    char path[1100];
    snprintf(path, sizeof path, "%s/ids.parquet", tmp);
    pq_wcol cols[] = {{"hf_id", PQ_INT64, 0}, {"w", PQ_DOUBLE, 0}};
    pq_writer *w;
    rnr_error err = {0};
    if (pq_writer_open(path, cols, 2, 0, &w, &err))
        fail_msg("%s", err.msg);
    for (int g = 0; g < GROUPS; g++) {
        int64_t id[ROWS];
        double x[ROWS];
        for (int r = 0; r < ROWS; r++) {
            id[r] = 1000 * (g + 1) + r; /* group g holds [1000(g+1), 1000(g+1) + 99] */
            x[r] = r * 0.5;
        }
        pq_wdata d[] = {{.i = id}, {.d = x}};
        if (pq_writer_write_group(w, ROWS, d, &err))
            fail_msg("%s", err.msg);
    }
    if (pq_writer_close(w, &err))
        fail_msg("%s", err.msg);
    file = (uint8_t *)tu_read_file(path, &file_n);
    assert_non_null(file);
    /* corrupt the page header of group 2's hf_id chunk */
    pq_file *f;
    assert_int_equal(pq_open_mem("ids.parquet", file, file_n, &f, &err), 0);
    assert_int_equal(pq_num_row_groups(f), GROUPS);
    int64_t at = f->meta.rgs[2].chunks[0].data_page_offset;
    pq_close(f);
    memset(file + at, 0xff, 8);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(file);
    tu_rmrf(tmp);
    free(tmp);
    return 0;
}

static void test_skipped_groups_not_decoded(void **state)
{
    (void)state;
    pq_file *f;
    rnr_error err = {0};
    assert_int_equal(pq_open_mem("ids.parquet", file, file_n, &f, &err), 0);
    pq_io_stats before, after;
    pq_get_io_stats(f, &before);
    int64_t *rows;
    size_t n;
    if (pq_find_rows_int(f, 0, 4005, 4007, &rows, &n, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(n, 3);
    assert_int_equal(rows[0], 3 * ROWS + 5); /* ordinals count every group */
    assert_int_equal(rows[2], 3 * ROWS + 7);
    free(rows);
    pq_get_io_stats(f, &after);
    assert_int_equal(after.chunks_decoded - before.chunks_decoded, 1);
    assert_int_equal(after.groups_skipped - before.groups_skipped, 3);
    assert_int_equal(after.reads - before.reads, 1);
    /* a value no group can hold reads nothing */
    assert_int_equal(pq_find_rows_int(f, 0, 7000, 8000, &rows, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(rows);
    pq_get_io_stats(f, &before);
    assert_int_equal(before.chunks_decoded, after.chunks_decoded);
    /* the lookup that must touch group 2 meets its corrupt page */
    assert_int_not_equal(pq_find_rows_int(f, 0, 3050, 3050, &rows, &n, &err), 0);
    assert_non_null(strstr(err.msg, "ids.parquet: column hf_id (row group 2)"));
    pq_column c;
    assert_int_not_equal(pq_read_column(f, 2, 0, &c, &err), 0);
    /* the w column is not numeric-integral but may still be looked up */
    assert_int_equal(pq_find_rows_int(f, 1, 3, 3, &rows, &n, &err), 0);
    assert_int_equal(n, GROUPS); /* 3.0 at row 6 of each group */
    free(rows);
    pq_close(f);
}

static void test_prefetch_one_read(void **state)
{
    (void)state;
    pq_file *f;
    rnr_error err = {0};
    assert_int_equal(pq_open_mem("ids.parquet", file, file_n, &f, &err), 0);
    size_t cols[] = {1, 0};
    pq_io_stats a, b;
    pq_get_io_stats(f, &a);
    assert_int_equal(pq_prefetch(f, 3, cols, 2, &err), 0);
    pq_column x, y;
    assert_int_equal(pq_read_column(f, 3, 0, &x, &err), 0);
    assert_int_equal(pq_read_column(f, 3, 1, &y, &err), 0);
    pq_get_io_stats(f, &b);
    assert_int_equal(b.reads - a.reads, 1);
    assert_int_equal(x.i[0], 4000);
    assert_true(y.d[3] == 1.5);
    pq_column_clear(&x);
    pq_column_clear(&y);
    /* after clearing, a chunk is read on its own again */
    pq_prefetch_clear(f);
    assert_int_equal(pq_read_column(f, 3, 0, &x, &err), 0);
    pq_get_io_stats(f, &a);
    assert_int_equal(a.reads - b.reads, 1);
    pq_column_clear(&x);
    pq_close(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_skipped_groups_not_decoded),
                                       cmocka_unit_test(test_prefetch_one_read)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
