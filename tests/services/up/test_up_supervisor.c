/* test_up_supervisor.c - the worker process pool: start, scale down with
 * SIGTERM, restart after a crash with backoff, SIGKILL after the grace
 * period, stats-file arguments and the rnr_fleet port. The "workers" are
 * small shell loops, so the pool is tested apart from the worker itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/timeutil.h"
#include "services/supervisor.h"
#include "testutil.h"

#include <signal.h>
#include <string.h>

/* Poll until cond(s) holds or 10 s pass; returns whether it held. */
static int poll_until(supervisor *s, int (*cond)(supervisor *))
{
    rnr_error err;
    for (int i = 0; i < 500; i++) {
        assert_int_equal(supervisor_poll(s, &err), RNR_OK);
        if (cond(s))
            return 1;
        time_sleep_ms(20);
    }
    return 0;
}

static const char *const sleeper[] = {"/bin/sh", "-c",
                                      "trap 'exit 0' TERM; while :; do sleep 0.05; done", NULL};

static int two_running(supervisor *s)
{
    return supervisor_running(s) == 2;
}
static int none_stopping(supervisor *s)
{
    return supervisor_stopping(s) == 0;
}

static void test_start_and_scale_down(void **state)
{
    (void)state;
    supervisor_opts o = {.argv = sleeper, .min_workers = 0, .max_workers = 3, .grace_ms = 5000};
    supervisor *s;
    rnr_error err;
    assert_int_equal(supervisor_new(&o, &s, &err), RNR_OK);
    assert_int_equal(supervisor_running(s), 0);
    supervisor_set_desired(s, 2);
    assert_true(poll_until(s, two_running));
    int pids[4];
    assert_int_equal(supervisor_pids(s, pids, 4), 2);
    assert_true(pids[0] > 0 && pids[1] > 0 && pids[0] != pids[1]);

    supervisor_set_desired(s, 1);
    assert_int_equal(supervisor_poll(s, &err), RNR_OK);
    assert_int_equal(supervisor_running(s), 1);
    assert_true(poll_until(s, none_stopping));
    supervisor_counts c;
    supervisor_get_counts(s, &c);
    assert_int_equal(c.started, 2);
    assert_int_equal(c.stopped, 1); /* drained on SIGTERM, not killed */
    assert_int_equal(c.killed, 0);
    assert_int_equal(c.exited, 0);

    supervisor_stop_all(s, 5000);
    assert_int_equal(supervisor_running(s), 0);
    supervisor_get_counts(s, &c);
    assert_int_equal(c.stopped, 2);
    supervisor_free(s);
}

static int restarted_twice(supervisor *s)
{
    supervisor_counts c;
    supervisor_get_counts(s, &c);
    return c.restarts >= 2;
}

static void test_crash_restarts_with_backoff(void **state)
{
    (void)state;
    const char *const crasher[] = {"/bin/sh", "-c", "exit 3", NULL};
    supervisor_opts o = {.argv = crasher,
                         .min_workers = 1,
                         .max_workers = 1,
                         .backoff_initial_ms = 40,
                         .backoff_max_ms = 80,
                         .grace_ms = 1000};
    supervisor *s;
    rnr_error err;
    assert_int_equal(supervisor_new(&o, &s, &err), RNR_OK);
    assert_true(poll_until(s, restarted_twice));
    supervisor_counts c;
    supervisor_get_counts(s, &c);
    /* every start but the first replaced a crash */
    assert_int_equal(c.started, c.restarts + 1);
    assert_true(c.exited >= c.restarts);
    assert_int_equal(c.stopped, 0);
    supervisor_free(s);
}

static int one_running(supervisor *s)
{
    return supervisor_running(s) == 1;
}

static void test_kill9_is_replaced(void **state)
{
    (void)state;
    supervisor_opts o = {.argv = sleeper,
                         .min_workers = 1,
                         .max_workers = 1,
                         .backoff_initial_ms = 10,
                         .grace_ms = 5000};
    supervisor *s;
    rnr_error err;
    assert_int_equal(supervisor_new(&o, &s, &err), RNR_OK);
    assert_true(poll_until(s, one_running));
    int pid;
    assert_int_equal(supervisor_pids(s, &pid, 1), 1);
    assert_int_equal(kill(pid, SIGKILL), 0);
    for (int i = 0; i < 500; i++) {
        supervisor_counts c;
        supervisor_get_counts(s, &c);
        if (c.restarts == 1 && supervisor_running(s) == 1)
            break;
        assert_int_equal(supervisor_poll(s, &err), RNR_OK);
        time_sleep_ms(20);
    }
    supervisor_counts c;
    supervisor_get_counts(s, &c);
    assert_int_equal(c.exited, 1);
    assert_int_equal(c.restarts, 1);
    int pid2;
    assert_int_equal(supervisor_pids(s, &pid2, 1), 1);
    assert_int_not_equal(pid, pid2);
    supervisor_free(s);
}

static int first_stats_file(supervisor *s)
{
    const char *f = supervisor_stats_file(s, 0);
    return f && access(f, F_OK) == 0;
}

static void test_sigkill_after_grace(void **state)
{
    (void)state;
    char *dir = tu_tempdir("up-sv");
    assert_non_null(dir);
    /* ignores SIGTERM, and says so (touches its stats file) once it does */
    const char *const stubborn[] = {
        "/bin/sh", "-c", "trap '' TERM; : > \"$2\"; while :; do sleep 0.05; done", "sh", NULL};
    supervisor_opts o = {
        .argv = stubborn, .stats_dir = dir, .min_workers = 1, .max_workers = 1, .grace_ms = 200};
    supervisor *s;
    rnr_error err;
    assert_int_equal(supervisor_new(&o, &s, &err), RNR_OK);
    assert_true(poll_until(s, first_stats_file));
    supervisor_stop_all(s, 200);
    supervisor_counts c;
    supervisor_get_counts(s, &c);
    assert_int_equal(c.killed, 1);
    assert_int_equal(c.stopped, 0);
    assert_int_equal(supervisor_running(s), 0);
    assert_int_equal(supervisor_stopping(s), 0);
    supervisor_free(s);
    tu_rmrf(dir);
    free(dir);
}

/* A second signal: stop_all SIGKILLs instead of waiting out the grace. */
static void test_second_signal_kills_at_once(void **state)
{
    (void)state;
    char *dir = tu_tempdir("up-sv");
    assert_non_null(dir);
    const char *const stubborn[] = {
        "/bin/sh", "-c", "trap '' TERM; : > \"$2\"; while :; do sleep 0.05; done", "sh", NULL};
    volatile sig_atomic_t signals = 0;
    supervisor_opts o = {.argv = stubborn,
                         .stats_dir = dir,
                         .min_workers = 1,
                         .max_workers = 1,
                         .grace_ms = 120000,
                         .signals = &signals};
    supervisor *s;
    rnr_error err;
    assert_int_equal(supervisor_new(&o, &s, &err), RNR_OK);
    assert_true(poll_until(s, first_stats_file));
    signals = 2;
    int64_t t0 = time_mono_ms();
    supervisor_stop_all(s, 120000);
    /* far below the 120 s grace: it did not wait for the stubborn worker */
    assert_true(time_mono_ms() - t0 < 60000);
    supervisor_counts c;
    supervisor_get_counts(s, &c);
    assert_int_equal(c.killed, 1);
    assert_int_equal(supervisor_stopping(s), 0);
    supervisor_free(s);
    tu_rmrf(dir);
    free(dir);
}

static int stats_written(supervisor *s)
{
    const char *f = supervisor_stats_file(s, 1);
    return f && access(f, F_OK) == 0;
}

static void test_stats_file_argument(void **state)
{
    (void)state;
    char *dir = tu_tempdir("up-sv");
    assert_non_null(dir);
    /* $1 is --stats-file, $2 the path: the worker writes its own path there,
     * whole (by rename), as a real worker writes its stats */
    const char *const writer[] = {
        "/bin/sh", "-c",
        "[ \"$1\" = --stats-file ] && printf %s \"$2\" > \"$2.tmp\" && mv \"$2.tmp\" \"$2\"; "
        "trap 'exit 0' TERM; while :; do sleep 0.05; done",
        "sh", NULL};
    supervisor_opts o = {.argv = writer, .stats_dir = dir, .min_workers = 2, .max_workers = 2};
    supervisor *s;
    rnr_error err;
    assert_int_equal(supervisor_new(&o, &s, &err), RNR_OK);
    assert_true(poll_until(s, stats_written));
    for (int i = 0; i < 2; i++) {
        const char *f = supervisor_stats_file(s, i);
        char want[512];
        snprintf(want, sizeof want, "%s/worker-%d.json", dir, i + 1);
        assert_string_equal(f, want);
        for (int k = 0; k < 250 && access(f, F_OK) != 0; k++)
            time_sleep_ms(20);
        char *text = tu_read_file(f, NULL);
        assert_non_null(text);
        assert_string_equal(text, want);
        free(text);
    }
    assert_null(supervisor_stats_file(s, 2));
    supervisor_free(s);
    tu_rmrf(dir);
    free(dir);
}

static void test_fleet_port_clamps(void **state)
{
    (void)state;
    supervisor_opts o = {.argv = sleeper, .min_workers = 1, .max_workers = 2};
    supervisor *s;
    rnr_fleet *f;
    rnr_error err;
    assert_int_equal(supervisor_new(&o, &s, &err), RNR_OK);
    assert_int_equal(supervisor_fleet_new(s, &f, &err), RNR_OK);
    assert_int_equal(fleet_set_desired(f, 5, &err), RNR_OK);
    assert_int_equal(supervisor_desired(s), 2);
    assert_true(poll_until(s, two_running));
    int running = -1;
    assert_int_equal(fleet_running(f, &running, &err), RNR_OK);
    assert_int_equal(running, 2);
    assert_int_equal(fleet_set_desired(f, 0, &err), RNR_OK);
    assert_int_equal(supervisor_desired(s), 1);
    fleet_free(f); /* borrowed: the pool stays */
    assert_int_equal(supervisor_poll(s, &err), RNR_OK);
    assert_int_equal(supervisor_running(s), 1);
    supervisor_free(s);
}

static void test_bad_options(void **state)
{
    (void)state;
    supervisor *s;
    rnr_error err;
    supervisor_opts o = {.argv = sleeper, .min_workers = 3, .max_workers = 2};
    assert_int_equal(supervisor_new(&o, &s, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "min 3 max 2"));
    const char *const empty[] = {NULL};
    supervisor_opts o2 = {.argv = empty, .min_workers = 1, .max_workers = 1};
    assert_int_equal(supervisor_new(&o2, &s, &err), RNR_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_and_scale_down),
        cmocka_unit_test(test_crash_restarts_with_backoff),
        cmocka_unit_test(test_kill9_is_replaced),
        cmocka_unit_test(test_sigkill_after_grace),
        cmocka_unit_test(test_second_signal_kills_at_once),
        cmocka_unit_test(test_stats_file_argument),
        cmocka_unit_test(test_fleet_port_clamps),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
