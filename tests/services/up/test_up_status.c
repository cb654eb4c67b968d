/* test_up_status.c - the status line's text and the --once verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "services/up.h"
#include "services/up_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_status_line(void **state)
{
    (void)state;
    char buf[256];
    up_status_view v = {
        .ready = 3, .unacked = 1, .dead = 0, .running = 2, .desired = 3, .outputs = 5, .errors = 1};
    up_status_format(&v, buf, sizeof buf);
    assert_string_equal(buf,
                        "queue 3 ready, 1 in flight, 0 dead | workers 2/3 | outputs 5 | errors 1");
    up_status_view u = {.ready = 7,
                        .unacked = -1,
                        .dead = -1,
                        .running = 1,
                        .desired = 1,
                        .outputs = -1,
                        .errors = 0};
    up_status_format(&u, buf, sizeof buf);
    assert_string_equal(buf,
                        "queue 7 ready, ? in flight, ? dead | workers 1/1 | outputs ? | errors 0");
}

static void ok_summary(up_summary *s)
{
    memset(s, 0, sizeof *s);
    s->once = 1;
    s->producer_ok = s->postprocess_ok = 1;
    s->dead_before = 2;
    s->dead_after = 2;
}

static void test_summary_verdict(void **state)
{
    (void)state;
    up_summary s;
    ok_summary(&s);
    assert_true(up_summary_ok(&s)); /* old dead letters do not fail a new cycle */
    s.dead_after = 3;
    assert_false(up_summary_ok(&s));
    ok_summary(&s);
    s.products.failed = 1;
    assert_false(up_summary_ok(&s));
    ok_summary(&s);
    s.timed_out = 1;
    assert_false(up_summary_ok(&s));
    ok_summary(&s);
    s.interrupted = 1;
    assert_false(up_summary_ok(&s));
    s.once = 0; /* the long-running loop always ends by a signal */
    assert_true(up_summary_ok(&s));
    ok_summary(&s);
    s.postprocess_ok = 0;
    assert_false(up_summary_ok(&s));
}

static void test_summary_table(void **state)
{
    (void)state;
    up_summary s;
    ok_summary(&s);
    s.products.seen = 3;
    s.work.routed = 3;
    s.work.skipped[NWS_SKIP_STAGE_ONLY] = 2;
    s.work.skipped[NWS_SKIP_NOT_FLOODING] = 1;
    snprintf(s.post.csv_key, sizeof s.post.csv_key, "rnr_postprocess/x.csv");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    up_summary_print(&s, NULL, f);
    fclose(f);
    assert_non_null(strstr(text, "  products seen                3\n"));
    assert_non_null(strstr(text, "  sites routed                 3\n"));
    assert_non_null(strstr(text, "  sites skipped                3\n"));
    assert_non_null(strstr(text, "    skipped: stage_only        2\n"));
    assert_non_null(strstr(text, "    skipped: not_flooding      1\n"));
    assert_null(strstr(text, "missing_flows")); /* reasons with no site are left out */
    assert_non_null(strstr(text, "  dead letters (this run)      0\n"));
    assert_non_null(strstr(text, "  csv written                  rnr_postprocess/x.csv\n"));
    assert_non_null(strstr(text, "result: ok\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_line),
        cmocka_unit_test(test_summary_verdict),
        cmocka_unit_test(test_summary_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
