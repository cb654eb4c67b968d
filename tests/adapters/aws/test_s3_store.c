/* test_s3_store.c - the S3 object store against a real S3 API server
 * (s3rver): round trips with awkward keys, paginated listing, prefix
 * semantics, not-found, path-style and virtual-host addressing, conditional
 * PUTs (If-None-Match / If-Match, through a HEAD: s3rver 3.7 ignores
 * both headers). s3rver does
 * not check signatures; test_s3_signed.c covers those with rnr-aws-fake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/s3_store.h"
#include "adapters/store_contract.h" /* tests/ */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *endpoint, *bucket;
static char tmpdir[] = "/tmp/rnr-s3-test-XXXXXX";
static char run[64]; /* unique prefix of this run */

static rnr_store *open_store(const char *sub, const char *query)
{
    char url[512];
    snprintf(url, sizeof url, "s3://%s/%s/%s%s", bucket, run, sub, query ? query : "");
    rnr_store *s = NULL;
    rnr_error err = {0};
    if (s3_store_open(url, &s, &err) != RNR_OK)
        fail_msg("open %s: %s", url, err.msg);
    return s;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

static void expect_object(rnr_store *s, const char *key, const char *data, size_t len)
{
    char path[400];
    rnr_error err = {0};
    snprintf(path, sizeof path, "%s/got.bin", tmpdir);
    if (store_get_file(s, key, path, &err) != RNR_OK)
        fail_msg("get %s: %s", key, err.msg);
    size_t n = 0;
    char *got = read_all(path, &n);
    assert_non_null(got);
    assert_int_equal(n, len);
    assert_memory_equal(got, data, len);
    free(got);
    unlink(path);
}

static void must(int rc, const rnr_error *err)
{
    if (rc != RNR_OK)
        fail_msg("%s", err->msg);
}

static int files_in_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void test_s3_roundtrip(void **state)
{
    (void)state;
    rnr_store *s = open_store("rt", NULL);
    rnr_error err = {0};
    const char *k1 = "a(1).json", *k2 = "dir with space/ünïcode ✓ +&=.txt";
    must(store_put_buf(s, k1, "{\"a\":1}", 7, "application/json", &err), &err);
    must(store_put_buf(s, k2, "hello", 5, NULL, &err), &err);
    /* A file upload of 300 kB of varied bytes. */
    size_t big = 300 * 1024;
    char *data = malloc(big), path[400];
    for (size_t i = 0; i < big; i++)
        data[i] = (char)((i * 2654435761u) >> 13);
    snprintf(path, sizeof path, "%s/up.nc", tmpdir);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, big, f);
    fclose(f);
    must(store_put_file(s, "AMAT2/troute_output_202505060600.nc", path, "application/x-netcdf",
                        &err),
         &err);
    unlink(path);

    expect_object(s, k1, "{\"a\":1}", 7);
    expect_object(s, k2, "hello", 5);
    expect_object(s, "AMAT2/troute_output_202505060600.nc", data, big);
    free(data);

    store_list l;
    must(store_list_prefix(s, "", &l, &err), &err);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0].key, "AMAT2/troute_output_202505060600.nc");
    assert_int_equal(l.items[0].size, (int64_t)big);
    assert_string_equal(l.items[1].key, k1);
    assert_int_equal(l.items[1].size, 7);
    assert_string_equal(l.items[2].key, k2);
    assert_int_equal(l.items[2].size, 5);
    assert_true(l.items[0].mtime > 1700000000);
    store_list_clear(&l);

    must(store_delete(s, k1, &err), &err);
    must(store_delete(s, k2, &err), &err);
    must(store_delete(s, "AMAT2/troute_output_202505060600.nc", &err), &err);
    must(store_list_prefix(s, "", &l, &err), &err);
    assert_int_equal(l.n, 0);
    store_list_clear(&l);
    store_free(s);
}

static void test_s3_not_found(void **state)
{
    (void)state;
    rnr_store *s = open_store("nf", NULL);
    rnr_error err = {0};
    char path[400];
    snprintf(path, sizeof path, "%s/missing.bin", tmpdir);
    assert_int_equal(store_get_file(s, "no/such key.json", path, &err), RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "no such key"));
    assert_non_null(strstr(err.msg, "no/such key.json"));
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(files_in_tmpdir(), 0);
    /* Deleting a missing key succeeds, as on S3. */
    assert_int_equal(store_delete(s, "no/such key.json", &err), RNR_OK);
    store_free(s);
}

static void test_s3_pagination_and_prefixes(void **state)
{
    (void)state;
    rnr_store *s = open_store("pg", "?max_keys=2&path_style=1");
    rnr_error err = {0};
    char key[64];
    for (int i = 4; i >= 0; i--) {
        snprintf(key, sizeof key, "p/k%d", i);
        must(store_put_buf(s, key, key, strlen(key), "text/plain", &err), &err);
    }
    must(store_put_buf(s, "q/other", "x", 1, NULL, &err), &err);
    store_list l;
    must(store_list_prefix(s, "p/", &l, &err), &err);
    assert_int_equal(l.n, 5);
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "p/k%d", i);
        assert_string_equal(l.items[i].key, key);
        assert_int_equal(l.items[i].size, 4);
    }
    store_list_clear(&l);
    must(store_list_prefix(s, "p/k3", &l, &err), &err);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0].key, "p/k3");
    store_list_clear(&l);
    must(store_list_prefix(s, "", &l, &err), &err);
    assert_int_equal(l.n, 6);
    assert_string_equal(l.items[5].key, "q/other");
    store_list_clear(&l);

    /* A sibling prefix that shares the leading characters sees nothing. */
    rnr_store *sib = open_store("p", NULL);
    must(store_list_prefix(sib, "", &l, &err), &err);
    assert_int_equal(l.n, 0);
    store_list_clear(&l);
    store_free(sib);

    /* The bucket root sees the full keys. */
    char url[256], want[128];
    snprintf(url, sizeof url, "s3://%s", bucket);
    rnr_store *root = NULL;
    must(s3_store_open(url, &root, &err), &err);
    snprintf(want, sizeof want, "%s/pg/p/", run);
    must(store_list_prefix(root, want, &l, &err), &err);
    assert_int_equal(l.n, 5);
    snprintf(want, sizeof want, "%s/pg/p/k0", run);
    assert_string_equal(l.items[0].key, want);
    store_list_clear(&l);
    store_free(root);

    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "p/k%d", i);
        must(store_delete(s, key, &err), &err);
    }
    must(store_delete(s, "q/other", &err), &err);
    store_free(s);
}

static void test_s3_virtual_host(void **state)
{
    (void)state;
    /* bucket.s3.amazonaws.com pinned to the local server: no DNS, no network. */
    const char *port = strrchr(endpoint, ':') + 1;
    char ep[128], resolve[256], url[256];
    snprintf(ep, sizeof ep, "http://s3.amazonaws.com:%s", port);
    snprintf(resolve, sizeof resolve, "%s.s3.amazonaws.com:%s:127.0.0.1", bucket, port);
    snprintf(url, sizeof url, "s3://%s/%s/vh", bucket, run);
    s3_store_opts o = S3_STORE_OPTS_INIT;
    o.endpoint = ep;
    o.path_style = 0;
    o.resolve = resolve;
    rnr_store *s = NULL;
    rnr_error err = {0};
    must(s3_store_open_opts(url, &o, &s, &err), &err);
    must(store_put_buf(s, "v/a b.txt", "virtual", 7, NULL, &err), &err);
    expect_object(s, "v/a b.txt", "virtual", 7);
    store_list l;
    must(store_list_prefix(s, "v/", &l, &err), &err);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0].key, "v/a b.txt");
    store_list_clear(&l);
    store_free(s);
    /* The object is the same one a path-style client sees. */
    s = open_store("vh", "?path_style=1");
    expect_object(s, "v/a b.txt", "virtual", 7);
    must(store_delete(s, "v/a b.txt", &err), &err);
    store_free(s);
}

/* head and get_range on a real S3 API: size and ETag, the bytes of a
 * range, the ETag the ranged answer carries, a new ETag after a PUT. */
static void test_s3_head_and_range(void **state)
{
    (void)state;
    rnr_store *s = open_store("range", NULL);
    rnr_error err = {0};
    must(store_put_buf(s, "r/a.bin", "0123456789", 10, NULL, &err), &err);
    store_meta m, g;
    must(store_head(s, "r/a.bin", &m, &err), &err);
    assert_int_equal(m.size, 10);
    assert_true(m.etag[0] == '"');
    char buf[8] = {0};
    must(store_get_range(s, "r/a.bin", 7, 3, buf, &g, &err), &err);
    assert_memory_equal(buf, "789", 3);
    assert_string_equal(g.etag, m.etag);
    assert_int_equal(g.size, 10);
    assert_int_not_equal(store_get_range(s, "r/a.bin", 12, 2, buf, &g, &err), RNR_OK);
    assert_non_null(strstr(err.msg, "r/a.bin"));
    must(store_put_buf(s, "r/a.bin", "abcdefghij", 10, NULL, &err), &err);
    must(store_head(s, "r/a.bin", &g, &err), &err);
    assert_string_not_equal(g.etag, m.etag);
    assert_int_equal(store_head(s, "r/none.bin", &g, &err), RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "r/none.bin: no such key"));
    assert_int_equal(store_get_range(s, "r/none.bin", 0, 1, buf, &g, &err), RNR_ERR_NOTFOUND);
    must(store_delete(s, "r/a.bin", &err), &err);
    store_free(s);
}

static void test_s3_put_file_if(void **state)
{
    (void)state;
    rnr_store *s = open_store("cond", NULL);
    sc_check_put_file_if(s, "c/index.bin", tmpdir);
    store_free(s);
}

/* get_buf: the whole object in memory in one GET (larger than curl's
 * first chunk), its size cap, an empty object, a missing key. */
static void test_s3_get_buf(void **state)
{
    (void)state;
    rnr_store *s = open_store("getbuf", NULL);
    rnr_error err = {0};
    enum { N = 100000 };
    char *big = malloc(N);
    assert_non_null(big);
    for (size_t i = 0; i < N; i++)
        big[i] = (char)('a' + i % 23);
    must(store_put_buf(s, "g/big.bin", big, N, NULL, &err), &err);
    void *data;
    size_t len;
    must(store_get_buf(s, "g/big.bin", N, &data, &len, &err), &err);
    assert_int_equal(len, N);
    assert_memory_equal(data, big, N);
    free(data);
    assert_int_equal(store_get_buf(s, "g/big.bin", N - 1, &data, &len, &err), RNR_ERR_LIMIT);
    assert_null(data);
    assert_non_null(strstr(err.msg, "g/big.bin"));
    must(store_put_buf(s, "g/empty.bin", "", 0, NULL, &err), &err);
    must(store_get_buf(s, "g/empty.bin", 10, &data, &len, &err), &err);
    assert_int_equal(len, 0);
    free(data);
    assert_int_equal(store_get_buf(s, "g/none.bin", 10, &data, &len, &err), RNR_ERR_NOTFOUND);
    must(store_delete(s, "g/big.bin", &err), &err);
    must(store_delete(s, "g/empty.bin", &err), &err);
    free(big);
    store_free(s);
}

int main(void)
{
    endpoint = getenv("RNR_TEST_S3_ENDPOINT");
    bucket = getenv("RNR_TEST_S3_BUCKET");
    if (!endpoint || !*endpoint) {
        printf("skipped: no S3 server (RNR_TEST_S3_ENDPOINT unset)\n");
        return 77;
    }
    if (!bucket || !*bucket)
        bucket = "rnr-test";
    if (!mkdtemp(tmpdir))
        return 1;
    snprintf(run, sizeof run, "rnr-s3-test-%ld-%ld", (long)getpid(), (long)time(NULL));
    tu_s3rver_env();
    setenv("AWS_ENDPOINT_URL_S3", endpoint, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s3_roundtrip),    cmocka_unit_test(test_s3_head_and_range),
        cmocka_unit_test(test_s3_not_found),    cmocka_unit_test(test_s3_pagination_and_prefixes),
        cmocka_unit_test(test_s3_virtual_host), cmocka_unit_test(test_s3_get_buf),
        cmocka_unit_test(test_s3_put_file_if),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(tmpdir);
    return rc;
}
