/* test_services_pp_guard.c - the post-process's read guard: an output is
 * taken as unreadable after two runs in a row died reading it (one death
 * could be a kill from outside) or after one run hung on it past the
 * deadline; a finished run leaves an empty marker; another object, or the
 * same key rewritten, starts the count over; a damaged marker counts for
 * nothing. Deaths are real: a forked child that exits or is killed in the
 * middle of a read, and one the watchdog ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "services/pp_guard.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *dir;

static store_object obj(const char *key, int64_t size, int64_t mtime)
{
    return (store_object){(char *)key, size, mtime};
}

/* A run in a child that dies while reading o: by SIGKILL, or (deadline >
 * 0) stuck until the watchdog ends it. Returns the child's wait status. */
static int die_reading(store_object o, unsigned deadline_s)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        pp_guard *g;
        rnr_error err;
        if (pp_guard_open(dir, deadline_s, &g, &err) != RNR_OK)
            _exit(100);
        pp_guard_enter(g, &o);
        if (deadline_s == 0)
            raise(SIGKILL);
        for (int i = 0; i < 60; i++) /* bounded: the watchdog ends it long before */
            sleep(1);
        _exit(101);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

/* Open, ask what is poisoned, close (a run that reads nothing). */
static int poisoned(store_object *o, char *why, size_t n)
{
    pp_guard *g;
    rnr_error err;
    assert_int_equal(pp_guard_open(dir, 0, &g, &err), RNR_OK);
    static char key[256];
    int p = pp_guard_poisoned(g, o, why, n);
    if (p) {
        snprintf(key, sizeof key, "%s", o->key);
        o->key = key; /* g's copy goes with it */
    }
    pp_guard_close(g);
    return p;
}

static void marker_text(char *buf, size_t n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/postprocess.reading", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t k = fread(buf, 1, n - 1, f);
    buf[k] = '\0';
    fclose(f);
}

static void test_two_deaths_then_unreadable(void **state)
{
    (void)state;
    store_object a = obj("replace_and_route/A/troute_output_202603141800.nc", 45914, 1700000000);
    store_object got;
    char why[128];
    int st = die_reading(a, 0);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    char text[4096];
    marker_text(text, sizeof text);
    assert_non_null(strstr(text, a.key)); /* a death leaves the marker */

    /* one death: not yet (it may have been a kill from outside) */
    pp_guard *g;
    rnr_error err;
    assert_int_equal(pp_guard_open(dir, 0, &g, &err), RNR_OK);
    assert_int_equal(pp_guard_poisoned(g, &got, why, sizeof why), 0);
    pp_guard_close(g); /* the run ends without reading a: the marker is emptied */
    marker_text(text, sizeof text);
    assert_int_equal(text[0], '\0');

    /* two deaths in a row on the same output: unreadable */
    assert_true(WIFSIGNALED(die_reading(a, 0)));
    assert_true(WIFSIGNALED(die_reading(a, 0)));
    assert_int_equal(poisoned(&got, why, sizeof why), 1);
    assert_string_equal(got.key, a.key);
    assert_int_equal(got.size, a.size);
    assert_int_equal(got.mtime, a.mtime);
    assert_non_null(strstr(why, "two runs"));
}

static void test_count_starts_over(void **state)
{
    (void)state;
    store_object a = obj("replace_and_route/A/troute_output_202603141800.nc", 100, 1700000000);
    store_object b = obj("replace_and_route/B/troute_output_202603141800.nc", 100, 1700000000);
    store_object a2 = obj(a.key, 101, 1700000100); /* a rewritten */
    store_object got;
    char why[128];
    assert_true(WIFSIGNALED(die_reading(a, 0)));
    assert_true(WIFSIGNALED(die_reading(b, 0))); /* another output: one strike each */
    assert_int_equal(poisoned(&got, why, sizeof why), 0);
    assert_true(WIFSIGNALED(die_reading(b, 0)));
    assert_true(WIFSIGNALED(die_reading(b, 0)));
    assert_true(WIFSIGNALED(die_reading(a2, 0))); /* same key, new object */
    assert_int_equal(poisoned(&got, why, sizeof why), 0);

    /* a run that reads a2 to the end clears it */
    pp_guard *g;
    rnr_error err;
    assert_int_equal(pp_guard_open(dir, 0, &g, &err), RNR_OK);
    pp_guard_enter(g, &a2);
    pp_guard_leave(g);
    pp_guard_close(g);
    assert_true(WIFSIGNALED(die_reading(a2, 0)));
    assert_int_equal(poisoned(&got, why, sizeof why), 0);
}

static void test_watchdog_ends_a_hung_read(void **state)
{
    (void)state;
    store_object h = obj("replace_and_route/H/troute_output_202603141800.nc", 7, 1700000000);
    store_object got;
    char why[128];
    time_t t0 = time(NULL);
    int st = die_reading(h, 1);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
    assert_true(time(NULL) - t0 < 30);
    /* one hang is enough: the watchdog saw this read, not something else */
    assert_int_equal(poisoned(&got, why, sizeof why), 1);
    assert_string_equal(got.key, h.key);
    assert_non_null(strstr(why, "hung"));
}

static void test_damaged_marker_and_long_key(void **state)
{
    (void)state;
    char path[600], why[128];
    snprintf(path, sizeof path, "%s/postprocess.reading", dir);
    assert_int_equal(tu_write_file(path, "rnr-pp-reading 1 9 1 12 34 999999\nshort"), 0);
    store_object got;
    assert_int_equal(poisoned(&got, why, sizeof why), 0); /* the key length lies */
    assert_int_equal(tu_write_file(path, "garbage\n"), 0);
    assert_int_equal(poisoned(&got, why, sizeof why), 0);

    /* a key too long for the marker is read unguarded, not cut short */
    char *longkey = malloc(5000);
    assert_non_null(longkey);
    memset(longkey, 'k', 4999);
    longkey[4999] = '\0';
    store_object l = obj(longkey, 1, 1);
    assert_true(WIFSIGNALED(die_reading(l, 0)));
    assert_true(WIFSIGNALED(die_reading(l, 0)));
    assert_int_equal(poisoned(&got, why, sizeof why), 0);
    free(longkey);

    /* an unwritable state directory: an error naming the marker */
    pp_guard *g;
    rnr_error err = {0};
    assert_int_not_equal(pp_guard_open("/proc/self/nonexistent", 0, &g, &err), RNR_OK);
    assert_null(g);
    assert_non_null(strstr(err.msg, "postprocess.reading"));
    pp_guard_close(NULL);
}

static int setup(void **state)
{
    (void)state;
    dir = tu_tempdir("ppguard");
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmrf(dir);
    free(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_deaths_then_unreadable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_starts_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watchdog_ends_a_hung_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_marker_and_long_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
