/* test_s3_signed.c - the S3 store's requests as a signature-checking
 * server sees them (rnr-aws-fake verifies SigV4, x-amz-content-sha256 and
 * Content-MD5), retries on SlowDown, key checks, URL parsing and
 * s3_url_from_env. Always runs: needs no external server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/s3_store.h"
#include "adapters/aws/aws_fake_proc.h"

#include <pthread.h>
#include <string.h>

static char home[] = "/tmp/rnr-s3-signed-XXXXXX";

static rnr_store *open_fake(const fake_proc *f, const char *url, aws_creds *cr, int attempts)
{
    s3_store_opts o = S3_STORE_OPTS_INIT;
    o.endpoint = f->url;
    o.creds = cr;
    o.max_attempts = attempts;
    rnr_store *s = NULL;
    rnr_error err = {0};
    if (s3_store_open_opts(url, &o, &s, &err) != RNR_OK)
        fail_msg("open %s: %s", url, err.msg);
    return s;
}

static void must(int rc, const rnr_error *err)
{
    if (rc != RNR_OK)
        fail_msg("%s", err->msg);
}

/* A small file of the test's own to upload (path filled), so nothing
 * depends on what the machine has in /etc. */
static void upload_file(char *path, size_t n)
{
    snprintf(path, n, "%s/upload.bin", home);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_true(fputs("rnr s3 upload body\n", fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

static void test_s3_signed_roundtrip(void **state)
{
    (void)state;
    fake_proc f;
    assert_int_equal(fake_start(&f, NULL), 0);
    aws_creds *cr = NULL;
    assert_int_equal(aws_creds_new_static(FAKE_AK, FAKE_SK, NULL, &cr, NULL), RNR_OK);
    rnr_store *s = open_fake(&f, "s3://rnr-bucket/out put/run?max_keys=2", cr, 0);
    rnr_error err = {0};
    const char *keys[] = {"a(1).json", "b/ünï cöde ✓.txt", "c/x+y=z&w;v,u:t@s!$'*~.nc",
                          "d/[brackets] {braces} #hash %25.json", "e/e"};
    for (size_t i = 0; i < 5; i++)
        must(store_put_buf(s, keys[i], keys[i], strlen(keys[i]), "application/json", &err), &err);
    char path[400];
    snprintf(path, sizeof path, "%s/obj", home);
    char up[400];
    upload_file(up, sizeof up);
    must(store_put_file(s, "f/from-file.bin", up, NULL, &err), &err);
    must(store_get_file(s, keys[2], path, &err), &err);
    FILE *fp = fopen(path, "rb");
    char buf[128] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    assert_int_equal(n, strlen(keys[2]));
    assert_string_equal(buf, keys[2]);
    unlink(path);

    store_list l;
    must(store_list_prefix(s, "", &l, &err), &err);
    assert_int_equal(l.n, 6);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(l.items[i].key, keys[i]);
        assert_int_equal(l.items[i].size, (int64_t)strlen(keys[i]));
    }
    assert_string_equal(l.items[5].key, "f/from-file.bin");
    store_list_clear(&l);
    must(store_delete(s, keys[1], &err), &err);
    assert_int_equal(store_get_file(s, keys[1], path, &err), RNR_ERR_NOTFOUND);
    assert_int_equal(access(path, F_OK), -1);

    /* Every request passed the fake's signature check; 6 objects in pages of 2. */
    json_t *all = fake_log(&f), *j;
    size_t i, lists = 0, puts = 0;
    json_array_foreach(all, i, j)
    {
        assert_string_equal(json_string_value(json_object_get(j, "sig")), "ok");
        const char *q = json_string_value(json_object_get(j, "query"));
        lists += strstr(q, "list-type=2") != NULL;
        if (strcmp(json_string_value(json_object_get(j, "method")), "PUT") == 0) {
            puts++;
            assert_non_null(json_string_value(json_object_get(j, "content_md5")));
            assert_string_equal(json_string_value(json_object_get(j, "bucket")), "rnr-bucket");
        }
    }
    assert_int_equal(lists, 3);
    assert_int_equal(puts, 6);
    json_decref(all);
    json_t *last = fake_log_last(&f);
    assert_string_equal(json_string_value(json_object_get(last, "key")),
                        "out put/run/b/ünï cöde ✓.txt");
    assert_int_equal(json_integer_value(json_object_get(last, "status")), 404);
    json_decref(last);
    store_free(s);
    aws_creds_free(cr);
    fake_stop(&f);
}

static void test_s3_signed_auth(void **state)
{
    (void)state;
    fake_proc f;
    const char *args[] = {"--session-token", "FwoGZXIvYXdzEFAKE/+=", NULL};
    assert_int_equal(fake_start(&f, args), 0);
    aws_creds *cr = NULL;
    rnr_error err = {0};
    assert_int_equal(aws_creds_new_static(FAKE_AK, FAKE_SK, "FwoGZXIvYXdzEFAKE/+=", &cr, NULL),
                     RNR_OK);
    rnr_store *s = open_fake(&f, "s3://rnr-bucket", cr, 0);
    must(store_put_buf(s, "k", "v", 1, NULL, &err), &err);
    json_t *last = fake_log_last(&f);
    assert_true(json_is_true(json_object_get(last, "security_token")));
    assert_string_equal(json_string_value(json_object_get(last, "sig")), "ok");
    json_decref(last);
    store_free(s);
    aws_creds_free(cr);

    const char *wrong = "NotTheRightSecretKeyAtAll0123456789abcd";
    assert_int_equal(aws_creds_new_static(FAKE_AK, wrong, "FwoGZXIvYXdzEFAKE/+=", &cr, NULL),
                     RNR_OK);
    s = open_fake(&f, "s3://rnr-bucket", cr, 0);
    assert_int_equal(store_put_buf(s, "k", "v", 1, NULL, &err), RNR_ERR_AUTH);
    assert_non_null(strstr(err.msg, "HTTP 403 SignatureDoesNotMatch"));
    assert_non_null(strstr(err.msg, "s3://rnr-bucket/k"));
    assert_null(strstr(err.msg, wrong));
    assert_null(strstr(err.msg, "FwoGZXIvYXdzEFAKE"));
    store_list l;
    assert_int_equal(store_list_prefix(s, "", &l, &err), RNR_ERR_AUTH);
    assert_int_equal(l.n, 0);
    store_free(s);
    aws_creds_free(cr);
    assert_int_equal(fake_log_count(&f, "sig", "signature mismatch"), 2);
    fake_stop(&f);
}

static void test_s3_slowdown_retry(void **state)
{
    (void)state;
    fake_proc f;
    const char *args[] = {"--fail", "2", NULL};
    assert_int_equal(fake_start(&f, args), 0);
    aws_creds *cr = NULL;
    rnr_error err = {0};
    assert_int_equal(aws_creds_new_static(FAKE_AK, FAKE_SK, NULL, &cr, NULL), RNR_OK);
    rnr_store *s = open_fake(&f, "s3://rnr-bucket/p", cr, 4);
    char up[400];
    upload_file(up, sizeof up);
    must(store_put_file(s, "retried.bin", up, NULL, &err), &err);
    json_t *all = fake_log(&f);
    assert_int_equal(json_array_size(all), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(all, 0), "status")), 503);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(all, 2), "status")), 200);
    json_decref(all);
    /* The file body was sent again in full on the last attempt. */
    char path[400];
    snprintf(path, sizeof path, "%s/retried", home);
    must(store_get_file(s, "retried.bin", path, &err), &err);
    FILE *a = fopen(path, "rb"), *b = fopen(up, "rb");
    char x[256] = {0}, y[256] = {0};
    size_t nx = fread(x, 1, sizeof x, a), ny = fread(y, 1, sizeof y, b);
    fclose(a);
    fclose(b);
    assert_int_equal(nx, ny);
    assert_memory_equal(x, y, nx);
    unlink(path);
    store_free(s);
    aws_creds_free(cr);
    fake_stop(&f);
}

static void test_s3_endpoint_env(void **state)
{
    (void)state;
    fake_proc f;
    assert_int_equal(fake_start(&f, NULL), 0);
    rnr_error err = {0};
    setenv("AWS_ACCESS_KEY_ID", FAKE_AK, 1);
    setenv("AWS_SECRET_ACCESS_KEY", FAKE_SK, 1);
    /* S3_ENDPOINT_URL alone; then AWS_ENDPOINT_URL_S3 wins over it. */
    setenv("S3_ENDPOINT_URL", f.url, 1);
    rnr_store *s = NULL;
    must(s3_store_open("s3://rnr-bucket/env", &s, &err), &err);
    must(store_put_buf(s, "one", "1", 1, NULL, &err), &err);
    store_free(s);
    setenv("S3_ENDPOINT_URL", "http://127.0.0.1:1", 1);
    setenv("AWS_ENDPOINT_URL_S3", f.url, 1);
    must(s3_store_open("s3://rnr-bucket/env?max_keys=1", &s, &err), &err);
    store_list l;
    must(store_list_prefix(s, "", &l, &err), &err);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0].key, "one");
    store_list_clear(&l);
    store_free(s);
    assert_int_equal(fake_log_count(&f, "sig", "ok"), 2);
    unsetenv("S3_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    fake_stop(&f);
}

typedef struct worker {
    rnr_store *s;
    int id, ok;
} worker;

static void *worker_run(void *arg)
{
    worker *w = arg;
    char key[64], path[400], buf[64];
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "t%d/obj %d", w->id, i);
        snprintf(path, sizeof path, "%s/t%d", home, w->id);
        if (store_put_buf(w->s, key, key, strlen(key), NULL, NULL) != RNR_OK ||
            store_get_file(w->s, key, path, NULL) != RNR_OK)
            continue;
        FILE *f = fopen(path, "rb");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        w->ok += strcmp(buf, key) == 0;
        unlink(path);
    }
    return NULL;
}

static void test_s3_threads(void **state)
{
    (void)state;
    fake_proc f;
    assert_int_equal(fake_start(&f, NULL), 0);
    aws_creds *cr = NULL;
    assert_int_equal(aws_creds_new_static(FAKE_AK, FAKE_SK, NULL, &cr, NULL), RNR_OK);
    rnr_store *s = open_fake(&f, "s3://rnr-bucket/threads", cr, 0);
    worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){s, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ok, 5);
    }
    store_list l;
    rnr_error err = {0};
    must(store_list_prefix(s, "", &l, &err), &err);
    assert_int_equal(l.n, 20);
    store_list_clear(&l);
    assert_int_equal(fake_log_count(&f, "sig", "ok"), 41);
    store_free(s);
    aws_creds_free(cr);
    fake_stop(&f);
}

static void test_s3_key_and_url_checks(void **state)
{
    (void)state;
    rnr_error err = {0};
    assert_int_equal(s3_key_check("ok/key (1).json", &err), RNR_OK);
    assert_int_equal(s3_key_check("bad\nkey", &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "control character 0x0a"));
    assert_int_equal(s3_key_check("tab\tkey", &err), RNR_ERR_INVALID);
    assert_int_equal(s3_key_check("del\x7fkey", &err), RNR_ERR_INVALID);
    assert_int_equal(s3_key_check("../escape", &err), RNR_ERR_INVALID);
    assert_int_equal(s3_key_check("a/./b", &err), RNR_ERR_INVALID);
    assert_int_equal(s3_key_check("/abs", &err), RNR_ERR_INVALID);
    assert_int_equal(s3_key_check("bad\xc3(utf8", &err), RNR_ERR_INVALID);
    assert_int_equal(s3_key_check("", &err), RNR_ERR_INVALID);
    char longkey[1100];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    assert_int_equal(s3_key_check(longkey, &err), RNR_ERR_INVALID);

    rnr_store *s = NULL;
    assert_int_equal(s3_store_open("file:///tmp/x", &s, &err), RNR_ERR_CONFIG);
    assert_int_equal(s3_store_open("s3://", &s, &err), RNR_ERR_CONFIG);
    assert_int_equal(s3_store_open("s3://Bad_Bucket/x", &s, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "Bad_Bucket"));
    assert_int_equal(s3_store_open("s3://bucket/x?colour=blue", &s, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "colour"));
    assert_int_equal(s3_store_open("s3://bucket/x?max_keys=0", &s, &err), RNR_ERR_CONFIG);
    assert_int_equal(s3_store_open("s3://bucket/../x", &s, &err), RNR_ERR_CONFIG);

    /* Keys are checked before any request: no server is needed here. */
    aws_creds *cr = NULL;
    assert_int_equal(aws_creds_new_static(FAKE_AK, FAKE_SK, NULL, &cr, NULL), RNR_OK);
    s3_store_opts o = S3_STORE_OPTS_INIT;
    o.endpoint = "http://127.0.0.1:1";
    o.creds = cr;
    o.max_attempts = 2;
    assert_int_equal(
        s3_store_open_opts("s3://bucket/p?path_style=1&region=eu-west-1", &o, &s, &err), RNR_OK);
    assert_int_equal(store_put_buf(s, "x\r\ny", "v", 1, NULL, &err), RNR_ERR_INVALID);
    assert_int_equal(store_get_file(s, "../etc/passwd", "/tmp/never", &err), RNR_ERR_INVALID);
    assert_int_equal(store_delete(s, "a\x01", &err), RNR_ERR_INVALID);
    store_list l;
    assert_int_equal(store_list_prefix(s, "bad\x1b", &l, &err), RNR_ERR_INVALID);
    /* Local file problems name the file; nothing listening is transient. */
    assert_int_equal(store_put_file(s, "k", "/nonexistent/in.nc", NULL, &err), RNR_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/in.nc"));
    assert_int_equal(store_get_file(s, "k", "/nonexistent/dir/out.nc", &err), RNR_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/out.nc"));
    assert_int_equal(store_put_buf(s, "k", "v", 1, NULL, &err), RNR_ERR_TRANSIENT);
    assert_non_null(strstr(err.msg, "s3 PUT s3://bucket/p/k"));
    store_free(s);
    aws_creds_free(cr);
}

static void test_s3_url_from_env(void **state)
{
    (void)state;
    rnr_error err = {0};
    char *url = NULL;
    unsetenv("APP_BUCKET_NAME");
    assert_int_equal(s3_url_from_env("APP_OUTPUT_S3_KEY", &url, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "APP_BUCKET_NAME"));
    setenv("APP_BUCKET_NAME", "rnr-prod-bucket", 1);
    setenv("APP_OUTPUT_S3_KEY", "replace_and_route/outputs", 1);
    assert_int_equal(s3_url_from_env("APP_OUTPUT_S3_KEY", &url, &err), RNR_OK);
    assert_string_equal(url, "s3://rnr-prod-bucket/replace_and_route/outputs");
    free(url);
    setenv("APP_OUTPUT_S3_KEY", "/leading/", 1);
    assert_int_equal(s3_url_from_env("APP_OUTPUT_S3_KEY", &url, &err), RNR_OK);
    assert_string_equal(url, "s3://rnr-prod-bucket/leading/");
    free(url);
    unsetenv("APP_OUTPUT_S3_KEY");
    assert_int_equal(s3_url_from_env("APP_OUTPUT_S3_KEY", &url, &err), RNR_OK);
    assert_string_equal(url, "s3://rnr-prod-bucket/");
    free(url);
    assert_int_equal(s3_url_from_env(NULL, &url, &err), RNR_OK);
    assert_string_equal(url, "s3://rnr-prod-bucket/");
    free(url);
    setenv("APP_OUTPUT_S3_KEY", "what?", 1);
    assert_int_equal(s3_url_from_env("APP_OUTPUT_S3_KEY", &url, &err), RNR_ERR_CONFIG);
    setenv("APP_BUCKET_NAME", "UPPER", 1);
    assert_int_equal(s3_url_from_env(NULL, &url, &err), RNR_ERR_CONFIG);
    unsetenv("APP_BUCKET_NAME");
    unsetenv("APP_OUTPUT_S3_KEY");
}

int main(void)
{
    if (!mkdtemp(home))
        return 1;
    fake_clean_env(home);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s3_signed_roundtrip), cmocka_unit_test(test_s3_signed_auth),
        cmocka_unit_test(test_s3_slowdown_retry),   cmocka_unit_test(test_s3_endpoint_env),
        cmocka_unit_test(test_s3_threads),          cmocka_unit_test(test_s3_key_and_url_checks),
        cmocka_unit_test(test_s3_url_from_env),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(home);
    return rc;
}
