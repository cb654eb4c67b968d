/* test_services_state_dir.c - where config_load puts the state directory
 * when RNR_STATE_DIR is unset: ./rnr-state normally, but under the Lambda
 * runtime (AWS_LAMBDA_RUNTIME_API set) a directory under /tmp ($TMPDIR
 * when set), because the task directory, also the cwd there, is read-only.
 * Each case runs in a scratch cwd and says which of the variables it sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/config.h"
#include "testutil.h"

static char g_dir[256];
static char g_real[PATH_MAX];

static const char *const vars[] = {"RNR_STATE_DIR", "AWS_LAMBDA_RUNTIME_API", "TMPDIR", NULL};

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/rnr-test-state-dir-XXXXXX");
    if (!mkdtemp(g_dir) || !realpath(g_dir, g_real))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (chdir("/") != 0)
        return -1;
    tu_rmrf(g_dir);
    return 0;
}

/* A fresh, empty cwd (g_dir/NAME) and none of the variables set. */
static void enter(const char *name)
{
    for (size_t i = 0; vars[i]; i++)
        unsetenv(vars[i]);
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s/%s", g_dir, name);
    assert_int_equal(mkdir(d, 0755), 0);
    assert_int_equal(chdir(d), 0);
}

static int dir_entries(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void test_default_outside_lambda(void **state)
{
    (void)state;
    enter("plain");
    rnr_config c;
    rnr_error err = {0};
    assert_int_equal(config_load(&c, &err), RNR_OK);
    char want[PATH_MAX + 32];
    snprintf(want, sizeof want, "%s/plain/rnr-state", g_real);
    assert_string_equal(c.state_dir, want);
    config_clear(&c);
}

/* Under Lambda: $TMPDIR/rnr-state, nothing created in the cwd, and the
 * embedded backends' defaults live there too. */
static void test_lambda_uses_tmpdir(void **state)
{
    (void)state;
    enter("task");
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s/lambda-tmp", g_real);
    assert_int_equal(mkdir(tmp, 0755), 0);
    setenv("TMPDIR", tmp, 1);
    setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001", 1);
    rnr_config c;
    rnr_error err = {0};
    assert_int_equal(config_load(&c, &err), RNR_OK);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "%s/rnr-state", tmp);
    assert_string_equal(c.state_dir, want);
    struct stat sb;
    assert_int_equal(stat(want, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    snprintf(want, sizeof want, "sqlite://%s/rnr-state/queue.db", tmp);
    assert_string_equal(c.queue_url, want);
    assert_int_equal(dir_entries("."), 0);
    config_clear(&c);
}

/* Under Lambda without a usable TMPDIR (AWS sets none): /tmp/rnr-state,
 * nothing in the cwd. A relative TMPDIR would be the cwd again: ignored. */
static void test_lambda_default_is_tmp(void **state)
{
    (void)state;
    enter("ro-task");
    setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001", 1);
    setenv("TMPDIR", "relative", 1);
    rnr_config c;
    rnr_error err = {0};
    assert_int_equal(config_load(&c, &err), RNR_OK);
    assert_string_equal(c.state_dir, "/tmp/rnr-state");
    struct stat sb;
    assert_int_equal(stat("/tmp/rnr-state", &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(dir_entries("."), 0);
    config_clear(&c);
}

/* RNR_STATE_DIR still wins under Lambda. */
static void test_lambda_explicit_state_dir(void **state)
{
    (void)state;
    enter("explicit");
    setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001", 1);
    char sd[PATH_MAX + 16];
    snprintf(sd, sizeof sd, "%s/explicit/mine", g_real);
    setenv("RNR_STATE_DIR", sd, 1);
    rnr_config c;
    rnr_error err = {0};
    assert_int_equal(config_load(&c, &err), RNR_OK);
    assert_string_equal(c.state_dir, sd);
    config_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_outside_lambda),
        cmocka_unit_test(test_lambda_uses_tmpdir),
        cmocka_unit_test(test_lambda_default_is_tmp),
        cmocka_unit_test(test_lambda_explicit_state_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
