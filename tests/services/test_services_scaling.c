/* test_services_scaling.c - the autoscaling policy: streaks, cooldowns,
 * bounds and the hysteresis band. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "services/scaling.h"

#include <stdlib.h>
#include <string.h>

static void test_scale_out_needs_two_periods(void **state)
{
    (void)state;
    scaling_policy p;
    scaling_policy_defaults(&p);
    scaling_state st = {0};
    scaling_decision d;
    scaling_evaluate(&p, &st, 250, 2, 1000, &d); /* 125 per worker */
    assert_int_equal(d.desired, 2);
    assert_true(d.backlog_per_worker == 125.0);
    scaling_evaluate(&p, &st, 250, 2, 1060, &d);
    assert_int_equal(d.desired, 3);
    assert_string_equal(d.reason, "scale-out");
    /* still high but inside the 60 s cooldown after the change */
    scaling_evaluate(&p, &st, 400, 3, 1090, &d);
    scaling_evaluate(&p, &st, 400, 3, 1110, &d);
    assert_int_equal(d.desired, 3);
    assert_string_equal(d.reason, "cooldown");
    scaling_evaluate(&p, &st, 400, 3, 1180, &d);
    assert_int_equal(d.desired, 4);
}

static void test_max_and_min(void **state)
{
    (void)state;
    scaling_policy p;
    scaling_policy_defaults(&p);
    scaling_state st = {0};
    scaling_decision d;
    for (int i = 0; i < 5; i++)
        scaling_evaluate(&p, &st, 100000, 6, 1000 + 600 * i, &d);
    assert_int_equal(d.desired, 6);
    st = (scaling_state){0};
    for (int i = 0; i < 5; i++)
        scaling_evaluate(&p, &st, 0, 1, 1000 + 600 * i, &d);
    assert_int_equal(d.desired, 1);
    /* running above max is brought back */
    scaling_evaluate(&p, &st, 0, 9, 5000, &d);
    assert_int_equal(d.desired, 6);
    assert_int_equal(d.delta, -3);
}

static void test_hysteresis_no_flap(void **state)
{
    (void)state;
    scaling_policy p;
    scaling_policy_defaults(&p);
    scaling_state st = {0};
    scaling_decision d;
    int running = 2, changes = 0;
    /* backlog hovering between the two thresholds never scales either way */
    for (int i = 0; i < 50; i++) {
        int64_t depth = running * (i % 2 ? 95 : 55);
        scaling_evaluate(&p, &st, depth, running, 1000 + 60 * i, &d);
        changes += d.delta != 0;
        running = d.desired;
    }
    assert_int_equal(changes, 0);
    assert_int_equal(running, 2);
}

static void test_scale_in_after_cooldown(void **state)
{
    (void)state;
    scaling_policy p;
    scaling_policy_defaults(&p);
    scaling_state st = {.last_change = 1000};
    scaling_decision d;
    scaling_evaluate(&p, &st, 10, 4, 1060, &d);
    scaling_evaluate(&p, &st, 10, 4, 1100, &d);
    assert_string_equal(d.reason, "cooldown");
    assert_int_equal(d.desired, 4);
    scaling_evaluate(&p, &st, 10, 4, 1130, &d);
    assert_int_equal(d.desired, 3);
    assert_string_equal(d.reason, "scale-in");
}

static void test_zero_workers_with_work(void **state)
{
    (void)state;
    scaling_policy p;
    scaling_policy_defaults(&p);
    p.min_workers = 0;
    scaling_state st = {0};
    scaling_decision d;
    scaling_evaluate(&p, &st, 3, 0, 1000, &d);
    assert_int_equal(d.desired, 1);
}

static void test_policy_check(void **state)
{
    (void)state;
    scaling_policy p;
    char msg[128];
    scaling_policy_defaults(&p);
    assert_int_equal(scaling_policy_check(&p, msg, sizeof msg), 0);
    p.in_threshold = 100;
    assert_int_equal(scaling_policy_check(&p, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "below"));
    scaling_policy_defaults(&p);
    p.max_workers = 0;
    assert_int_equal(scaling_policy_check(&p, msg, sizeof msg), -1);
}

static void test_policy_from_env(void **state)
{
    (void)state;
    scaling_policy p;
    char msg[160];
    setenv("RNR_SCALE_OUT_BACKLOG", "40", 1);
    setenv("RNR_SCALE_IN_BACKLOG", "10", 1);
    setenv("RNR_MAX_WORKERS", "3", 1);
    setenv("RNR_SCALE_IN_COOLDOWN_SECONDS", "300", 1);
    assert_int_equal(scaling_policy_from_env(&p, msg, sizeof msg), 0);
    assert_true(p.out_threshold == 40 && p.in_threshold == 10);
    assert_int_equal(p.max_workers, 3);
    assert_int_equal(p.in_cooldown_s, 300);
    assert_int_equal(p.out_periods, 2);      /* untouched: the default */
    setenv("RNR_SCALE_IN_BACKLOG", "60", 1); /* above scale-out: no band */
    assert_int_equal(scaling_policy_from_env(&p, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "below"));
    setenv("RNR_SCALE_IN_BACKLOG", "ten", 1);
    assert_int_equal(scaling_policy_from_env(&p, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "RNR_SCALE_IN_BACKLOG=ten"));
    unsetenv("RNR_SCALE_OUT_BACKLOG");
    unsetenv("RNR_SCALE_IN_BACKLOG");
    unsetenv("RNR_MAX_WORKERS");
    unsetenv("RNR_SCALE_IN_COOLDOWN_SECONDS");
    assert_int_equal(scaling_policy_from_env(&p, msg, sizeof msg), 0);
    assert_true(p.out_threshold == 100 && p.in_threshold == 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale_out_needs_two_periods),
        cmocka_unit_test(test_max_and_min),
        cmocka_unit_test(test_hysteresis_no_flap),
        cmocka_unit_test(test_scale_in_after_cooldown),
        cmocka_unit_test(test_zero_workers_with_work),
        cmocka_unit_test(test_policy_check),
        cmocka_unit_test(test_policy_from_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
