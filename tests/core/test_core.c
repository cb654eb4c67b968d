/* test_core.c - error records, ISO times, forecast validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/envutil.h"
#include "core/error.h"
#include "core/fileutil.h"
#include "core/forecast.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_time_offsets(void **state)
{
    (void)state;
    int64_t a, b, c, d;
    assert_int_equal(time_parse_iso("2024-08-21T00:41:00+00:00", &a), 0);
    assert_int_equal(time_parse_iso("2024-08-21T00:41:00Z", &b), 0);
    assert_int_equal(time_parse_iso("2024-08-21T00:41:00-00:00", &c), 0);
    assert_int_equal(time_parse_iso("2024-08-21T00:41:00", &d), 0);
    assert_int_equal(a, 1724200860);
    assert_int_equal(a, b);
    assert_int_equal(a, c);
    assert_int_equal(a, d);
    assert_int_equal(time_parse_iso("2024-08-21T02:41:00+02:00", &a), 0);
    assert_int_equal(a, b);
    assert_int_equal(time_parse_iso("2016-08-26T07:54:07.123+00:00", &a), 0);
    assert_int_equal(a % 60, 7);
}

static void test_time_missing_and_bad(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(time_parse_iso("0001-01-01T00:00:00Z", &t), 0);
    assert_true(t == RNR_TIME_MISSING);
    assert_int_equal(time_parse_iso("", &t), -1);
    assert_int_equal(time_parse_iso("2024-13-01T00:00:00Z", &t), -1);
    assert_int_equal(time_parse_iso("2024-01-01T00:00:00+99:00", &t), -1);
    assert_int_equal(time_parse_iso("2024-01-01T00:00:00 junk", &t), -1);
}

static void test_time_format(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(time_format_iso(1746511200, buf, sizeof buf), 0);
    assert_string_equal(buf, "2025-05-06T06:00:00Z");
    assert_int_equal(time_format(1746511200, "%Y%m%d%H%M", buf, sizeof buf), 0);
    assert_string_equal(buf, "202505060600");
}

static void test_error_prefix(void **state)
{
    (void)state;
    rnr_error e;
    assert_int_equal(rnr_error_set(&e, RNR_ERR_INVALID, "flow %d is negative", -3),
                     RNR_ERR_INVALID);
    rnr_error_prefix(&e, "gauge %s", "AMAT2");
    assert_string_equal(e.msg, "gauge AMAT2: flow -3 is negative");
    assert_true(rnr_code_is_transient(RNR_ERR_TIMEOUT));
    assert_false(rnr_code_is_transient(RNR_ERR_INVALID));
    assert_string_equal(rnr_code_name(RNR_ERR_NOTFOUND), "notfound");
}

static void test_forecast_validate(void **state)
{
    (void)state;
    rnr_error e;
    rnr_forecast *f = forecast_new(3);
    strcpy(f->lid, "TEST1");
    for (int i = 0; i < 3; i++) {
        f->times[i] = 1000 + 3600 * i;
        f->flows[i] = 10.0 * i;
    }
    assert_int_equal(forecast_validate(f, &e), RNR_OK);
    f->times[2] = f->times[1];
    assert_int_equal(forecast_validate(f, &e), RNR_ERR_INVALID);
    assert_non_null(strstr(e.msg, "TEST1"));
    f->times[2] = 9000;
    f->flows[1] = -1;
    assert_int_equal(forecast_validate(f, &e), RNR_ERR_INVALID);
    assert_non_null(strstr(e.msg, "negative"));
    forecast_free(f);
}

static void test_env_numbers(void **state)
{
    (void)state;
    rnr_error e;
    long l;
    double d;
    unsetenv("RNR_TEST_NUM");
    assert_int_equal(env_long("RNR_TEST_NUM", 7, 0, 10, &l, &e), RNR_OK);
    assert_int_equal(l, 7);
    setenv("RNR_TEST_NUM", "", 1);
    assert_int_equal(env_long("RNR_TEST_NUM", 7, 0, 10, &l, &e), RNR_OK);
    assert_int_equal(l, 7);
    setenv("RNR_TEST_NUM", "9", 1);
    assert_int_equal(env_long("RNR_TEST_NUM", 7, 0, 10, &l, &e), RNR_OK);
    assert_int_equal(l, 9);
    setenv("RNR_TEST_NUM", "11", 1);
    assert_int_equal(env_long("RNR_TEST_NUM", 7, 0, 10, &l, &e), RNR_ERR_CONFIG);
    assert_string_equal(e.msg, "RNR_TEST_NUM=11: expected an integer in 0..10");
    setenv("RNR_TEST_NUM", "2.5", 1);
    assert_int_equal(env_long("RNR_TEST_NUM", 7, 0, 10, &l, &e), RNR_ERR_CONFIG);
    assert_int_equal(env_number("RNR_TEST_NUM", 1, 0, 10, &d, &e), RNR_OK);
    assert_true(d == 2.5);
    setenv("RNR_TEST_NUM", "ten", 1);
    assert_int_equal(env_number("RNR_TEST_NUM", 1, 0, 10, &d, &e), RNR_ERR_CONFIG);
    assert_true(d == 1);
    assert_non_null(strstr(e.msg, "RNR_TEST_NUM=ten"));
    unsetenv("RNR_TEST_NUM");
}

/* Whole files, with a NUL after the bytes; binary content (embedded NUL,
 * more than one read chunk) comes back intact; errors name the path. */
static void test_file_read_all(void **state)
{
    (void)state;
    char dir[] = "/tmp/rnr-test-core-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f.bin", dir);
    size_t n = 200000;
    unsigned char *want = malloc(n);
    assert_non_null(want);
    for (size_t i = 0; i < n; i++)
        want[i] = (unsigned char)(i * 7 % 251);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(want, 1, n, f), n);
    fclose(f);
    rnr_error e = {0, ""};
    char *got = NULL;
    size_t len = 0;
    assert_int_equal(file_read_all(path, &got, &len, &e), RNR_OK);
    assert_int_equal(len, n);
    assert_memory_equal(got, want, n);
    assert_int_equal(got[n], '\0');
    free(got);
    free(want);

    f = fopen(path, "wb");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(file_read_all(path, &got, &len, &e), RNR_OK);
    assert_int_equal(len, 0);
    assert_string_equal(got, "");
    free(got);
    assert_int_equal(unlink(path), 0);

    assert_int_equal(file_read_all(path, &got, &len, &e), RNR_ERR_IO);
    assert_null(got);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, "No such file"));
    assert_int_equal(file_read_all(dir, &got, &len, &e), RNR_ERR_IO);
    assert_null(got);
    assert_string_equal(e.msg + strlen(dir), ": read error");
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_offsets),      cmocka_unit_test(test_time_missing_and_bad),
        cmocka_unit_test(test_time_format),       cmocka_unit_test(test_error_prefix),
        cmocka_unit_test(test_forecast_validate), cmocka_unit_test(test_env_numbers),
        cmocka_unit_test(test_file_read_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
