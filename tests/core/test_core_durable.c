/* test_core_durable.c - core/durable: a replaced file holds the old or the
 * new content and nothing else is left in its directory, whatever path
 * the writer took (buffer, descriptor, stream, a library writing by name),
 * with the mode asked for; an abandoned or failed write leaves the old file
 * and no temporary; errors name the final path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/durable.h"
#include "testutil.h"

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static void expect_content(const char *path, const char *want)
{
    char *got = tu_read_file(path, NULL);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_write_file_modes_and_sync(void **state)
{
    (void)state;
    char *dir = tu_tempdir("durable");
    char path[512];
    snprintf(path, sizeof path, "%s/out.json", dir);
    rnr_error err = {0, ""};
    assert_int_equal(durable_write_file(path, "one", 3, NULL, &err), RNR_OK);
    expect_content(path, "one");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    durable_opts o = {.mode = 0600, .sync = 1};
    assert_int_equal(durable_write_file(path, "two", 3, &o, &err), RNR_OK);
    expect_content(path, "two");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(entries(dir), 1);
    tu_rmrf(dir);
    free(dir);
}

static void test_stream_fd_and_handoff(void **state)
{
    (void)state;
    char *dir = tu_tempdir("durable");
    char path[512];
    snprintf(path, sizeof path, "%s/plot.svg", dir);
    rnr_error err = {0, ""};
    durable_file *d = NULL;
    durable_opts hidden = {.hidden = 1, .sync = 1};
    assert_int_equal(durable_begin(path, &hidden, &d, &err), RNR_OK);
    assert_true(durable_fd(d) >= 0);
    FILE *f = durable_stream(d);
    assert_non_null(f);
    fputs("<svg/>", f);
    assert_int_equal(durable_commit(d, &err), RNR_OK);
    expect_content(path, "<svg/>");

    /* a library that opens the file by name (netCDF, SQLite) */
    assert_int_equal(durable_begin(path, NULL, &d, &err), RNR_OK);
    const char *tmp = durable_handoff(d);
    assert_int_equal(durable_fd(d), -1);
    assert_non_null(strstr(tmp, "plot.svg.tmp."));
    FILE *lib = fopen(tmp, "w");
    assert_non_null(lib);
    fputs("by name", lib);
    fclose(lib);
    expect_content(path, "<svg/>"); /* readers see the old file until commit */
    assert_int_equal(durable_commit(d, &err), RNR_OK);
    expect_content(path, "by name");
    assert_int_equal(entries(dir), 1);
    tu_rmrf(dir);
    free(dir);
}

static void test_hidden_temporary_name(void **state)
{
    (void)state;
    char *dir = tu_tempdir("durable");
    char path[512];
    snprintf(path, sizeof path, "%s/key", dir);
    rnr_error err = {0, ""};
    durable_file *d = NULL;
    durable_opts o = {.hidden = 1};
    assert_int_equal(durable_begin(path, &o, &d, &err), RNR_OK);
    const char *tmp = durable_handoff(d);
    char want[600];
    snprintf(want, sizeof want, "%s/.rnr-tmp-", dir);
    assert_memory_equal(tmp, want, strlen(want));
    durable_abort(d);
    assert_int_equal(entries(dir), 0);
    tu_rmrf(dir);
    free(dir);
}

static void test_abort_and_failures_keep_the_old_file(void **state)
{
    (void)state;
    char *dir = tu_tempdir("durable");
    char path[512];
    snprintf(path, sizeof path, "%s/state", dir);
    rnr_error err = {0, ""};
    assert_int_equal(durable_write_file(path, "old", 3, NULL, &err), RNR_OK);
    durable_file *d = NULL;
    assert_int_equal(durable_begin(path, NULL, &d, &err), RNR_OK);
    assert_int_equal(durable_write(d, "half", 4, &err), RNR_OK);
    durable_abort(d);
    durable_abort(NULL);
    expect_content(path, "old");
    assert_int_equal(entries(dir), 1);

    /* the rename fails: the target is now a non-empty directory */
    char sub[600], inner[700];
    snprintf(sub, sizeof sub, "%s/adir", dir);
    snprintf(inner, sizeof inner, "%s/x", sub);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(durable_write_file(inner, "x", 1, NULL, &err), RNR_OK);
    assert_int_equal(durable_write_file(sub, "new", 3, NULL, &err), RNR_ERR_IO);
    assert_non_null(strstr(err.msg, sub));
    assert_non_null(strstr(err.msg, "rename"));
    assert_int_equal(entries(dir), 2); /* state and adir, no temporary */

    /* no such directory: the error names the file */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nope/file", dir);
    assert_int_equal(durable_write_file(missing, "x", 1, NULL, &err), RNR_ERR_IO);
    assert_non_null(strstr(err.msg, missing));
    assert_int_equal(durable_begin(missing, NULL, &d, &err), RNR_ERR_IO);
    assert_null(d);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_file_modes_and_sync),
        cmocka_unit_test(test_stream_fd_and_handoff),
        cmocka_unit_test(test_hidden_temporary_name),
        cmocka_unit_test(test_abort_and_failures_keep_the_old_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
