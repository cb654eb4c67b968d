/* test_adapters_embedded_store.c - the local-directory object store:
 * round trips, prefix listings, atomic replacement, hostile keys and the
 * port's conditional PUT over a backend without its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/backends.h"
#include "adapters/file_store.h"
#include "core/timeutil.h"
#include "adapters/embedded/embedded_testutil.h" /* tests/ */
#include "adapters/store_contract.h"             /* tests/ */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct sfix {
    char dir[512];
    char root[600];
    rnr_store *s;
} sfix;

static int setup(void **state)
{
    sfix *f = calloc(1, sizeof *f);
    if (!f || testutil_mkdtemp(f->dir, sizeof f->dir) != 0)
        return -1;
    snprintf(f->root, sizeof f->root, "%s/store", f->dir);
    char url[700];
    snprintf(url, sizeof url, "file://%s/", f->root);
    rnr_error err = {0};
    if (file_store_open(url, &f->s, &err) != RNR_OK) {
        fprintf(stderr, "open %s: %s\n", url, err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    sfix *f = *state;
    store_free(f->s);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

static void put(sfix *f, const char *key, const char *text)
{
    rnr_error err = {0};
    int rc = store_put_buf(f->s, key, text, strlen(text), "text/plain", &err);
    if (rc != RNR_OK)
        fail_msg("put %s: %s", key, err.msg);
}

/* Fetch key into a scratch file and return its content (malloc'd). */
static char *fetch(sfix *f, const char *key, int *rc)
{
    char path[700];
    rnr_error err = {0};
    snprintf(path, sizeof path, "%s/fetched.out", f->dir);
    unlink(path);
    *rc = store_get_file(f->s, key, path, &err);
    return *rc == RNR_OK ? testutil_slurp(path) : NULL;
}

static void test_put_get_del(void **state)
{
    sfix *f = *state;
    rnr_error err = {0};
    int rc;
    const char *key = "output/AMAT2/troute_output_202408210040.nc";
    put(f, key, "netcdf bytes");
    char *got = fetch(f, key, &rc);
    assert_int_equal(rc, RNR_OK);
    assert_string_equal(got, "netcdf bytes");
    free(got);

    /* put_file stores a file's content under a key with ':' in it. */
    char src[700];
    snprintf(src, sizeof src, "%s/src.csv", f->dir);
    FILE *fp = fopen(src, "w");
    assert_non_null(fp);
    fputs("feature_id,streamflow_cfs\n1,2.5\n", fp);
    fclose(fp);
    const char *csv = "post/output_inundation_2024-08-21_00:41:00.csv";
    assert_int_equal(store_put_file(f->s, csv, src, "text/csv", &err), RNR_OK);
    got = fetch(f, csv, &rc);
    assert_string_equal(got, "feature_id,streamflow_cfs\n1,2.5\n");
    free(got);
    snprintf(src, sizeof src, "%s/no-such-file", f->dir);
    assert_int_equal(store_put_file(f->s, "x", src, NULL, &err), RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "no-such-file"));

    assert_null(fetch(f, "output/AMAT2/missing.nc", &rc));
    assert_int_equal(rc, RNR_ERR_NOTFOUND);
    /* A "directory" is not an object. */
    assert_null(fetch(f, "output/AMAT2", &rc));
    assert_int_equal(rc, RNR_ERR_NOTFOUND);
    assert_int_equal(store_delete(f->s, "output/AMAT2", &err), RNR_ERR_NOTFOUND);

    assert_int_equal(store_delete(f->s, key, &err), RNR_OK);
    assert_int_equal(store_delete(f->s, key, &err), RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, key));
    assert_null(fetch(f, key, &rc));
    assert_int_equal(rc, RNR_ERR_NOTFOUND);
    /* Deleting the last object drops the directories it leaves empty. */
    char dir[700];
    struct stat st;
    snprintf(dir, sizeof dir, "%s/output", f->root);
    assert_int_equal(stat(dir, &st), -1);
    assert_int_equal(stat(f->root, &st), 0);
}

static void test_empty_object_and_binary(void **state)
{
    sfix *f = *state;
    rnr_error err = {0};
    int rc;
    assert_int_equal(store_put_buf(f->s, "empty", "", 0, NULL, &err), RNR_OK);
    char *got = fetch(f, "empty", &rc);
    assert_string_equal(got, "");
    free(got);
    store_list l;
    assert_int_equal(store_list_prefix(f->s, "empty", &l, &err), RNR_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.items[0].size, 0);
    store_list_clear(&l);
    /* Bytes, not strings: embedded NULs survive the round trip. */
    assert_int_equal(store_put_buf(f->s, "bin", "a\0b\0", 4, NULL, &err), RNR_OK);
    char dest[700];
    snprintf(dest, sizeof dest, "%s/bin.out", f->dir);
    assert_int_equal(store_get_file(f->s, "bin", dest, &err), RNR_OK);
    FILE *fp = fopen(dest, "rb");
    assert_non_null(fp);
    char buf[8];
    assert_int_equal(fread(buf, 1, sizeof buf, fp), 4);
    fclose(fp);
    assert_memory_equal(buf, "a\0b\0", 4);
}

static void test_list_prefix_semantics(void **state)
{
    sfix *f = *state;
    rnr_error err = {0};
    const char *keys[] = {"out/AMAT2/b.nc", "out/AMAT2/a.nc", "out/AMAX1/c.nc",
                          "out/BRKM2/d.nc", "outside.txt",    "post/x.csv"};
    for (size_t i = 0; i < 6; i++)
        put(f, keys[i], keys[i]);
    /* A stray temporary file (a writer that died) is never listed. */
    char stray[700];
    snprintf(stray, sizeof stray, "%s/out/AMAT2/.rnr-tmp-abc123", f->root);
    FILE *fp = fopen(stray, "w");
    assert_non_null(fp);
    fclose(fp);

    store_list l;
    int64_t now = time_now();
    assert_int_equal(store_list_prefix(f->s, "out/AMA", &l, &err), RNR_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0].key, "out/AMAT2/a.nc");
    assert_string_equal(l.items[1].key, "out/AMAT2/b.nc");
    assert_string_equal(l.items[2].key, "out/AMAX1/c.nc");
    assert_int_equal(l.items[0].size, (int64_t)strlen("out/AMAT2/a.nc"));
    assert_true(l.items[0].mtime >= now - 60 && l.items[0].mtime <= now + 1);
    store_list_clear(&l);

    assert_int_equal(store_list_prefix(f->s, "out", &l, &err), RNR_OK);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.items[4].key, "outside.txt");
    store_list_clear(&l);
    assert_int_equal(store_list_prefix(f->s, "out/", &l, &err), RNR_OK);
    assert_int_equal(l.n, 4);
    store_list_clear(&l);
    assert_int_equal(store_list_prefix(f->s, "", &l, &err), RNR_OK);
    assert_int_equal(l.n, 6);
    for (size_t i = 1; i < l.n; i++)
        assert_true(strcmp(l.items[i - 1].key, l.items[i].key) < 0);
    store_list_clear(&l);
    assert_int_equal(store_list_prefix(f->s, "nothing/here/", &l, &err), RNR_OK);
    assert_int_equal(l.n, 0);
    store_list_clear(&l);
    assert_int_equal(store_list_prefix(f->s, "out/AMAT2/a.nc", &l, &err), RNR_OK);
    assert_int_equal(l.n, 1);
    store_list_clear(&l);
    assert_int_equal(store_list_prefix(f->s, "../", &l, &err), RNR_ERR_INVALID);
    assert_int_equal(store_list_prefix(f->s, "/etc/", &l, &err), RNR_ERR_INVALID);
}

static void test_put_replaces_atomically(void **state)
{
    sfix *f = *state;
    rnr_error err = {0};
    int rc;
    put(f, "k/v.txt", "first version, longer");
    put(f, "k/v.txt", "second");
    char *got = fetch(f, "k/v.txt", &rc);
    assert_string_equal(got, "second");
    free(got);
    /* Only the object itself is in its directory: no temporary left. */
    char dir[700];
    snprintf(dir, sizeof dir, "%s/k", f->root);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int entries = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            entries++;
    closedir(d);
    assert_int_equal(entries, 1);
    store_list l;
    assert_int_equal(store_list_prefix(f->s, "k/", &l, &err), RNR_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.items[0].size, 6);
    store_list_clear(&l);

    /* get_file replaces an existing destination, leaving no temporary. */
    char dest[700];
    snprintf(dest, sizeof dest, "%s/dest.txt", f->dir);
    FILE *fp = fopen(dest, "w");
    assert_non_null(fp);
    fputs("old destination content", fp);
    fclose(fp);
    assert_int_equal(store_get_file(f->s, "k/v.txt", dest, &err), RNR_OK);
    got = testutil_slurp(dest);
    assert_string_equal(got, "second");
    free(got);
}

static void test_malicious_keys_rejected(void **state)
{
    sfix *f = *state;
    static const char *const bad[] = {
        "",
        "../x",
        "/etc/passwd",
        "a/../../b",
        "a//b",
        "a\\b",
        "a/./b",
        ".",
        "..",
        "a/",
        "/",
        "x/..",
        "a\tb",
        "a\nb",
        "line\rbreak",
        "bell\a",
        "del\x7f",
        ".hidden",
        "dir/.rnr-tmp-123",
        "sp ace",
        "semi;colon",
        "quote\"d",
        "star*",
        "caf\xc3\xa9",
        "$(rm -rf)",
        "a|b",
        "<x>",
    };
    rnr_error err = {0};
    store_list l;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        int rc = store_put_buf(f->s, bad[i], "x", 1, NULL, &err);
        if (rc != RNR_ERR_INVALID)
            fail_msg("key #%zu '%s' was accepted by put (rc %d)", i, bad[i], rc);
        assert_true(strncmp(err.msg, "object key", 10) == 0);
        char dest[700];
        snprintf(dest, sizeof dest, "%s/never", f->dir);
        assert_int_equal(store_get_file(f->s, bad[i], dest, &err), RNR_ERR_INVALID);
        assert_int_equal(store_delete(f->s, bad[i], &err), RNR_ERR_INVALID);
    }
    /* Control characters are escaped in the message, the key is named. */
    assert_int_equal(store_put_buf(f->s, "evil/a\nb", "x", 1, NULL, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'evil/a\\x0ab'"));
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(store_put_buf(f->s, "../x", "x", 1, NULL, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'../x'"));

    char longkey[1100], longcomp[300];
    memset(longkey, 'a', sizeof longkey - 1);
    for (size_t i = 100; i < sizeof longkey - 1; i += 100)
        longkey[i] = '/';
    longkey[sizeof longkey - 1] = '\0';
    assert_int_equal(store_put_buf(f->s, longkey, "x", 1, NULL, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "1024"));
    memset(longcomp, 'b', sizeof longcomp - 1);
    longcomp[sizeof longcomp - 1] = '\0';
    assert_int_equal(store_put_buf(f->s, longcomp, "x", 1, NULL, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "255"));

    /* Nothing escaped the root, and nothing was written inside it. */
    struct stat st;
    char outside[700];
    snprintf(outside, sizeof outside, "%s/x", f->dir);
    assert_int_equal(stat(outside, &st), -1);
    assert_int_equal(store_list_prefix(f->s, "", &l, &err), RNR_OK);
    assert_int_equal(l.n, 0);
    store_list_clear(&l);

    static const char *const good[] = {"a-b_c.d:e+f@g=h", "x/y/z", "2024-08-21T00:41:00Z",
                                       "a,b~c%20(d)!", "trailing.dots.."};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(file_store_check_key(good[i], &err), RNR_OK);
}

/* head and get_range: size and a version tag that changes when the object
 * is replaced; exactly the bytes asked for, or an error naming the key. */
static void test_head_and_range(void **state)
{
    sfix *f = *state;
    rnr_error err = {0};
    assert_int_equal(store_put_buf(f->s, "hf/a.parquet", "0123456789", 10, NULL, &err), RNR_OK);
    store_meta m, g;
    assert_int_equal(store_head(f->s, "hf/a.parquet", &m, &err), RNR_OK);
    assert_int_equal(m.size, 10);
    assert_true(m.etag[0] != 0);
    char buf[8] = {0};
    assert_int_equal(store_get_range(f->s, "hf/a.parquet", 2, 3, buf, &g, &err), RNR_OK);
    assert_memory_equal(buf, "234", 3);
    assert_string_equal(g.etag, m.etag);
    assert_int_equal(store_get_range(f->s, "hf/a.parquet", 8, 5, buf, &g, &err), RNR_ERR_PARSE);
    assert_non_null(strstr(err.msg, "hf/a.parquet"));
    assert_int_equal(store_put_buf(f->s, "hf/a.parquet", "abcdefghij", 10, NULL, &err), RNR_OK);
    assert_int_equal(store_head(f->s, "hf/a.parquet", &g, &err), RNR_OK);
    assert_string_not_equal(g.etag, m.etag);
    assert_int_equal(store_head(f->s, "hf/none.parquet", &g, &err), RNR_ERR_NOTFOUND);
    assert_int_equal(store_get_range(f->s, "hf/none.parquet", 0, 1, buf, &g, &err),
                     RNR_ERR_NOTFOUND);
    assert_int_equal(store_head(f->s, "../x", &g, &err), RNR_ERR_INVALID);
}

static void test_put_file_if(void **state)
{
    sfix *f = *state;
    sc_check_put_file_if(f->s, "hf/rnr.rnrindex", f->dir);
}

/* get_buf: the file read in place, its size cap, a missing key. */
static void test_get_buf(void **state)
{
    sfix *f = *state;
    rnr_error err = {0};
    assert_int_equal(store_put_buf(f->s, "o/a.nc", "0123456789", 10, NULL, &err), RNR_OK);
    void *data;
    size_t len;
    assert_int_equal(store_get_buf(f->s, "o/a.nc", 10, &data, &len, &err), RNR_OK);
    assert_int_equal(len, 10);
    assert_memory_equal(data, "0123456789", 11); /* NUL-terminated past len */
    free(data);
    assert_int_equal(store_get_buf(f->s, "o/a.nc", 9, &data, &len, &err), RNR_ERR_LIMIT);
    assert_null(data);
    assert_non_null(strstr(err.msg, "o/a.nc"));
    assert_int_equal(store_get_buf(f->s, "o/a.nc", 0, &data, &len, &err), RNR_OK);
    free(data);
    assert_int_equal(store_get_buf(f->s, "o/none.nc", 0, &data, &len, &err), RNR_ERR_NOTFOUND);
    assert_int_equal(store_get_buf(f->s, "../x", 0, &data, &len, &err), RNR_ERR_INVALID);
}

static void test_store_urls(void **state)
{
    sfix *f = *state;
    rnr_store *s = NULL;
    rnr_error err = {0};
    assert_int_equal(file_store_open("file://relative/dir", &s, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "file://relative/dir"));
    assert_int_equal(file_store_open("file:relative", &s, &err), RNR_ERR_INVALID);
    assert_int_equal(file_store_open("file://", &s, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no path"));
    char url[800];
    snprintf(url, sizeof url, "file://%s/afile", f->dir);
    put(f, "marker", "m");
    char path[700];
    snprintf(path, sizeof path, "%s/afile", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(file_store_open(url, &s, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "not a directory"));
    assert_null(s);
    /* A percent-escaped path and a nested root that does not exist yet. */
    snprintf(url, sizeof url, "file://%s/new%%20root/deeper?", f->dir);
    assert_int_equal(file_store_open(url, &s, &err), RNR_OK);
    assert_int_equal(store_put_buf(s, "k", "v", 1, NULL, &err), RNR_OK);
    snprintf(path, sizeof path, "%s/new root/deeper/k", f->dir);
    char *got = testutil_slurp(path);
    assert_string_equal(got, "v");
    free(got);
    store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_del, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_file_if, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_object_and_binary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_prefix_semantics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_replaces_atomically, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malicious_keys_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_and_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_buf, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
