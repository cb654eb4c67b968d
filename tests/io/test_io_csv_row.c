/* test_io_csv_row.c - in-place splitting of unquoted CSV lines and column
 * lookup by header name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "io/csv_row.h"

#include <string.h>

static void test_split_fields(void **state)
{
    (void)state;
    char line[] = "step,id,qlat\r\n";
    char *f[4];
    assert_int_equal(csv_split_row(line, f, 4), 3);
    assert_string_equal(f[0], "step");
    assert_string_equal(f[1], "id");
    assert_string_equal(f[2], "qlat");
}

static void test_empty_fields(void **state)
{
    (void)state;
    char line[] = ",a,,\n";
    char *f[8];
    assert_int_equal(csv_split_row(line, f, 8), 4);
    assert_string_equal(f[0], "");
    assert_string_equal(f[1], "a");
    assert_string_equal(f[2], "");
    assert_string_equal(f[3], "");

    char blank[] = "\n";
    assert_int_equal(csv_split_row(blank, f, 8), 1);
    assert_string_equal(f[0], "");
}

/* Past max the rest is dropped; the max-th field stays clean, so asking
 * for one more than expected tells a caller there were too many. */
static void test_more_than_max(void **state)
{
    (void)state;
    char line[] = "1,2,3,4,5";
    char *f[4];
    assert_int_equal(csv_split_row(line, f, 4), 4);
    assert_string_equal(f[2], "3");
    assert_string_equal(f[3], "4");

    char two[] = "1,2";
    assert_int_equal(csv_split_row(two, f, 4), 2);
}

static void test_find_col(void **state)
{
    (void)state;
    char line[] = "case_id,dt,qup,status";
    char *f[8];
    int n = csv_split_row(line, f, 8);
    assert_int_equal(csv_find_col(f, n, "case_id"), 0);
    assert_int_equal(csv_find_col(f, n, "status"), 3);
    assert_int_equal(csv_find_col(f, n, "qdc"), -1);
    assert_int_equal(csv_find_col(f, 2, "status"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_fields),
        cmocka_unit_test(test_empty_fields),
        cmocka_unit_test(test_more_than_max),
        cmocka_unit_test(test_find_col),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
