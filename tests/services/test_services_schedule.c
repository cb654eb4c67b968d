/* test_services_schedule.c - EventBridge rate/cron/at parsing and next times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/timeutil.h"
#include "services/schedule.h"

#include <string.h>

static int64_t next_of(const char *expr, const char *after_iso)
{
    schedule *s;
    rnr_error err;
    int64_t after, next;
    assert_int_equal(schedule_parse(expr, &s, &err), RNR_OK);
    assert_int_equal(time_parse_iso(after_iso, &after), 0);
    assert_int_equal(schedule_next(s, after, after, &next, &err), RNR_OK);
    schedule_free(s);
    return next;
}

static void expect_next(const char *expr, const char *after, const char *want)
{
    char buf[32];
    time_format_iso(next_of(expr, after), buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void expect_invalid(const char *expr, const char *msg_part)
{
    schedule *s = NULL;
    rnr_error err;
    assert_int_equal(schedule_parse(expr, &s, &err), RNR_ERR_INVALID);
    assert_null(s);
    if (msg_part && !strstr(err.msg, msg_part))
        fail_msg("'%s': message '%s' lacks '%s'", expr, err.msg, msg_part);
}

static void test_rate(void **state)
{
    (void)state;
    schedule *s;
    rnr_error err;
    assert_int_equal(schedule_parse("rate(5 minutes)", &s, &err), RNR_OK);
    assert_int_equal(schedule_period(s), 300);
    int64_t next;
    assert_int_equal(schedule_next(s, 1000, 1000, &next, &err), RNR_OK);
    assert_int_equal(next, 1300);
    assert_int_equal(schedule_next(s, 1000, 1299, &next, &err), RNR_OK);
    assert_int_equal(next, 1300);
    schedule_free(s);
    assert_int_equal(schedule_parse("rate(1 minute)", &s, &err), RNR_OK);
    assert_int_equal(schedule_period(s), 60);
    schedule_free(s);
    assert_int_equal(schedule_parse("rate(2 hours)", &s, &err), RNR_OK);
    assert_int_equal(schedule_period(s), 7200);
    schedule_free(s);
    expect_invalid("rate(2 minute)", "minutes");
    expect_invalid("rate(1 minutes)", "minute");
    expect_invalid("rate(0 minutes)", NULL);
    expect_invalid("rate(5 weeks)", "unit");
    expect_invalid("rate(five minutes)", NULL);
    /* overflowed v * 60 before (fuzz/corpus/schedule/rate_overflow.txt) */
    expect_invalid("rate(9223372036854775807 minutes)", "at most 366 days");
    expect_invalid("rate(153722867280912931 minutes)", "at most 366 days");
    expect_invalid("rate(3651 days)", "at most 366 days");
    expect_invalid("rate(3650 days)", "at most 366 days");
}

static void test_cron_basic(void **state)
{
    (void)state;
    expect_next("cron(0/10 * * * ? *)", "2025-05-06T06:03:00Z", "2025-05-06T06:10:00Z");
    expect_next("cron(0/10 * * * ? *)", "2025-05-06T06:50:00Z", "2025-05-06T07:00:00Z");
    expect_next("cron(15 10 * * ? *)", "2025-05-06T10:15:00Z", "2025-05-07T10:15:00Z");
    expect_next("cron(0 18 ? * MON-FRI *)", "2025-05-09T19:00:00Z", "2025-05-12T18:00:00Z");
    expect_next("cron(0 8 1 * ? *)", "2025-05-06T00:00:00Z", "2025-06-01T08:00:00Z");
    expect_next("cron(0 0 L * ? *)", "2024-02-01T00:00:00Z", "2024-02-29T00:00:00Z");
    expect_next("cron(0 0 ? * 6#3 *)", "2025-05-01T00:00:00Z", "2025-05-16T00:00:00Z");
    expect_next("cron(0 0 ? * 2L *)", "2025-05-01T00:00:00Z", "2025-05-26T00:00:00Z");
    expect_next("cron(0 0 1W * ? *)", "2025-05-31T00:00:00Z", "2025-06-02T00:00:00Z");
    expect_next("cron(0 12 * JAN,JUL ? 2026)", "2025-05-06T00:00:00Z", "2026-01-01T12:00:00Z");
}

static void test_cron_invalid(void **state)
{
    (void)state;
    expect_invalid("cron(0/10 * * * *)", "6 fields");
    expect_invalid("cron(0 0 * * * *)", "'?'");
    expect_invalid("cron(0 0 ? * ? *)", "'?'");
    expect_invalid("cron(60 0 * * ? *)", "minutes");
    expect_invalid("cron(0 24 * * ? *)", "hours");
    expect_invalid("cron(0 0 32 * ? *)", "day-of-month");
    expect_invalid("cron(0 0 ? * 8 *)", "day-of-week");
    expect_invalid("cron(0 0 ? * 2#6 *)", NULL);
    expect_invalid("cron(? 0 * * ? *)", "minutes");
    expect_invalid("every 5 minutes", "expected");
    expect_invalid("rate 5 minutes", "expected");
}

/* Absurd but well-formed expressions: an overflowing rate and a cron that
 * names no real date are rejected at parse time, not left to fire wrongly
 * or never. */
static void test_absurd(void **state)
{
    (void)state;
    expect_invalid("rate(9223372036854775807 minutes)", "at most 366 days");
    expect_invalid("rate(99999999999999999999999 days)", "at most 366 days");
    expect_invalid("rate(527041 minutes)", "at most 366 days");
    expect_invalid("rate(367 days)", "at most 366 days");
    expect_invalid("rate(-5 minutes)", "positive integer");
    schedule *s;
    rnr_error err;
    assert_int_equal(schedule_parse("rate(366 days)", &s, &err), RNR_OK);
    assert_int_equal(schedule_period(s), 366LL * 86400);
    schedule_free(s);
    assert_int_equal(schedule_parse("rate(527040 minutes)", &s, &err), RNR_OK);
    schedule_free(s);
    expect_invalid("cron(0 0 31 2 ? *)", "never fires");
    expect_invalid("cron(0 0 30 2 ? *)", "never fires");
    expect_invalid("cron(0 0 31 APR,JUN,SEP,NOV ? *)", "never fires");
    expect_invalid("cron(0 0 29 2 ? 2025-2027)", "never fires");
    /* Rare but real dates still parse and fire: 29 February, and a fifth
     * Monday of February (only when 29 February is a Monday: 2044). */
    expect_next("cron(0 0 29 2 ? *)", "2025-05-06T00:00:00Z", "2028-02-29T00:00:00Z");
    expect_next("cron(0 0 ? 2 2#5 *)", "2025-05-06T00:00:00Z", "2044-02-29T00:00:00Z");
}

static void test_at(void **state)
{
    (void)state;
    expect_next("at(2030-01-02T03:04:05)", "2025-05-06T00:00:00Z", "2030-01-02T03:04:05Z");
    schedule *s;
    rnr_error err;
    int64_t next;
    assert_int_equal(schedule_parse("at(2020-01-02T03:04:05)", &s, &err), RNR_OK);
    assert_int_equal(schedule_next(s, 0, time_now(), &next, &err), RNR_ERR_NOTFOUND);
    schedule_free(s);
    expect_invalid("at(2020-01-02)", "at(");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate),         cmocka_unit_test(test_cron_basic),
        cmocka_unit_test(test_cron_invalid), cmocka_unit_test(test_at),
        cmocka_unit_test(test_absurd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
