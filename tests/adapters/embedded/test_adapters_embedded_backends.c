/* test_adapters_embedded_backends.c - SQLite cache, env/file secrets,
 * log/file metrics, and choosing backends by URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/backends.h"
#include "adapters/embedded.h"
#include "adapters/sqlite_cache.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "adapters/embedded/embedded_testutil.h" /* tests/ */

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct fix {
    char dir[512];
} fix;

static int setup(void **state)
{
    fix *f = calloc(1, sizeof *f);
    if (!f || testutil_mkdtemp(f->dir, sizeof f->dir) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fix *f = *state;
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_cache_get_set_expiry(void **state)
{
    fix *f = *state;
    char url[700];
    snprintf(url, sizeof url, "sqlite://%s/cache.db", f->dir);
    rnr_cache *c = NULL, *c2 = NULL;
    rnr_error err = {0};
    char *v = (char *)"sentinel";
    assert_int_equal(backend_open_cache(url, &c, &err), RNR_OK);
    assert_int_equal(cache_get(c, "missing", &v, &err), RNR_OK);
    assert_null(v);
    assert_int_equal(cache_set(c, "urn:oid:2.49.0.1.840.0.abc", "{\"id\":1}", 604800, &err),
                     RNR_OK);
    assert_int_equal(cache_set(c, "short", "gone soon", 1, &err), RNR_OK);
    assert_int_equal(cache_set(c, "forever", "kept", 0, &err), RNR_OK);
    assert_int_equal(cache_set(c, "over", "old", 100, &err), RNR_OK);
    assert_int_equal(cache_set(c, "over", "new", 100, &err), RNR_OK);

    /* A second handle (another process in production) sees the same data. */
    assert_int_equal(sqlite_cache_open(url, &c2, &err), RNR_OK);
    assert_int_equal(cache_get(c2, "urn:oid:2.49.0.1.840.0.abc", &v, &err), RNR_OK);
    assert_string_equal(v, "{\"id\":1}");
    free(v);
    assert_int_equal(cache_get(c2, "short", &v, &err), RNR_OK);
    assert_string_equal(v, "gone soon");
    free(v);

    time_sleep_ms(1100);
    assert_int_equal(cache_get(c, "short", &v, &err), RNR_OK);
    assert_null(v);
    const char *keys[] = {"over", "short", "missing", "forever"};
    char *vals[4];
    assert_int_equal(cache_get_many(c2, keys, 4, vals, &err), RNR_OK);
    assert_string_equal(vals[0], "new");
    assert_null(vals[1]);
    assert_null(vals[2]);
    assert_string_equal(vals[3], "kept");
    free(vals[0]);
    free(vals[3]);
    /* An expired key can be set again. */
    assert_int_equal(cache_set(c, "short", "again", 60, &err), RNR_OK);
    assert_int_equal(cache_get(c2, "short", &v, &err), RNR_OK);
    assert_string_equal(v, "again");
    free(v);
    cache_free(c);
    cache_free(c2);
}

/* Run one SQL statement on path's database and return the first column
 * of its first row as an int (-1 on error). */
static int raw_sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
        else if (rc == SQLITE_DONE)
            v = 0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void test_cache_purges_expired_rows(void **state)
{
    fix *f = *state;
    char url[700], path[700];
    snprintf(url, sizeof url, "sqlite://%s/purge.db", f->dir);
    snprintf(path, sizeof path, "%s/purge.db", f->dir);
    rnr_cache *c = NULL, *c2 = NULL;
    rnr_error err = {0};
    assert_int_equal(sqlite_cache_open(url, &c, &err), RNR_OK);
    assert_int_equal(cache_set(c, "stale", "x", 1, &err), RNR_OK);
    time_sleep_ms(1100);
    for (int i = 0; i < 254; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        assert_int_equal(cache_set(c, k, "v", 3600, &err), RNR_OK);
    }
    /* 255 sets so far: the expired row is still stored, just unreadable. */
    assert_int_equal(raw_sql_int(path, "SELECT count(*) FROM rnr_cache"), 255);
    /* Opening a handle purges. */
    assert_int_equal(sqlite_cache_open(url, &c2, &err), RNR_OK);
    assert_int_equal(raw_sql_int(path, "SELECT count(*) FROM rnr_cache"), 254);
    assert_int_equal(raw_sql_int(path, "SELECT count(*) FROM rnr_cache WHERE key = 'stale'"), 0);
    /* So does every 256th set of a handle. */
    assert_int_equal(raw_sql_int(path, "INSERT INTO rnr_cache VALUES('old', 'v', 1)"), 0);
    assert_int_equal(raw_sql_int(path, "SELECT count(*) FROM rnr_cache"), 255);
    assert_int_equal(cache_set(c, "k254", "v", 3600, &err), RNR_OK);
    assert_int_equal(raw_sql_int(path, "SELECT count(*) FROM rnr_cache"), 255);
    assert_int_equal(raw_sql_int(path, "SELECT count(*) FROM rnr_cache WHERE key = 'old'"), 0);
    cache_free(c);
    cache_free(c2);
}

static void test_secrets_env_and_file(void **state)
{
    fix *f = *state;
    rnr_secrets *s = NULL;
    rnr_error err = {0};
    char *v = NULL;
    setenv("RNR_TEST_SECRET_A", "hunter2", 1);
    unsetenv("RNR_TEST_SECRET_MISSING");
    assert_int_equal(backend_open_secrets("env:", &s, &err), RNR_OK);
    assert_int_equal(secrets_get(s, "RNR_TEST_SECRET_A", &v, &err), RNR_OK);
    assert_string_equal(v, "hunter2");
    free(v);
    assert_int_equal(secrets_get(s, "RNR_TEST_SECRET_MISSING", &v, &err), RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "RNR_TEST_SECRET_MISSING"));
    secrets_free(s);
    assert_int_equal(backend_open_secrets("env:RNR_TEST_SECRET_", &s, &err), RNR_OK);
    assert_int_equal(secrets_get(s, "A", &v, &err), RNR_OK);
    assert_string_equal(v, "hunter2");
    free(v);
    secrets_free(s);
    /* Names that are not variable names fall back to a normalised one. */
    setenv("RNR_MQ_CREDS", "{\"password\":\"p\"}", 1);
    assert_int_equal(backend_open_secrets("env:", &s, &err), RNR_OK);
    assert_int_equal(secrets_get(s, "rnr/mq-creds", &v, &err), RNR_OK);
    assert_string_equal(v, "{\"password\":\"p\"}");
    free(v);
    assert_int_equal(secrets_get(s, "rnr/absent.x", &v, &err), RNR_ERR_NOTFOUND);
    assert_string_equal(err.msg, "secret 'rnr/absent.x': neither environment variable "
                                 "rnr/absent.x nor RNR_ABSENT_X is set");
    secrets_free(s);
    unsetenv("RNR_MQ_CREDS");

    char path[700], url[700];
    snprintf(path, sizeof path, "%s/rabbitmq.json", f->dir);
    write_file(path, "{\"username\":\"u\",\"password\":\"p\"}\n");
    assert_int_equal(backend_open_secrets("file:", &s, &err), RNR_OK);
    assert_int_equal(secrets_get(s, path, &v, &err), RNR_OK);
    assert_string_equal(v, "{\"username\":\"u\",\"password\":\"p\"}");
    free(v);
    assert_int_equal(secrets_get(s, "relative.json", &v, &err), RNR_ERR_INVALID);
    secrets_free(s);

    snprintf(url, sizeof url, "file://%s", f->dir);
    assert_int_equal(backend_open_secrets(url, &s, &err), RNR_OK);
    assert_int_equal(secrets_get(s, "rabbitmq.json", &v, &err), RNR_OK);
    assert_string_equal(v, "{\"username\":\"u\",\"password\":\"p\"}");
    free(v);
    assert_int_equal(secrets_get(s, "../etc/passwd", &v, &err), RNR_ERR_INVALID);
    assert_null(v);
    assert_int_equal(secrets_get(s, "absent", &v, &err), RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "absent"));
    secrets_free(s);

    assert_int_equal(backend_open_secrets("vault://x", &s, &err), RNR_ERR_UNSUPPORTED);
    assert_int_equal(backend_open_secrets("file:relative", &s, &err), RNR_ERR_INVALID);
    assert_null(s);
}

static void test_metrics_log_and_file(void **state)
{
    fix *f = *state;
    rnr_metrics *m = NULL;
    rnr_error err = {0};
    int old = log_get_level();
    log_set_level(LOG_WARN); /* keep the test output quiet */
    assert_int_equal(backend_open_metrics("log:", &m, &err), RNR_OK);
    metric_dim dims[] = {{"QueueName", "hml_files"}, {"Broker", "embedded"}};
    assert_int_equal(metrics_put(m, "RnR", "BacklogPerTask", 3, "Count", dims, 2, &err), RNR_OK);
    assert_int_equal(metrics_put(m, "", "x", 1, NULL, NULL, 0, &err), RNR_ERR_INVALID);
    metrics_free(m);

    char url[800], path[700];
    snprintf(path, sizeof path, "%s/metrics.jsonl", f->dir);
    snprintf(url, sizeof url, "file://%s", path);
    assert_int_equal(backend_open_metrics(url, &m, &err), RNR_OK);
    assert_int_equal(metrics_put(m, "RnR", "BacklogPerTask", 2.5, "Count", dims, 2, &err), RNR_OK);
    assert_int_equal(metrics_put(m, "RnR", "Routed", 7, NULL, NULL, 0, &err), RNR_OK);
    metrics_free(m);
    log_set_level(old);

    char *text = testutil_slurp(path);
    assert_non_null(text);
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    *nl = '\0';
    json_error_t je;
    json_t *a = json_loads(text, 0, &je);
    json_t *b = json_loads(nl + 1, JSON_DISABLE_EOF_CHECK, &je);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(a, "namespace")), "RnR");
    assert_string_equal(json_string_value(json_object_get(a, "name")), "BacklogPerTask");
    assert_true(json_real_value(json_object_get(a, "value")) == 2.5);
    assert_string_equal(json_string_value(json_object_get(a, "unit")), "Count");
    json_t *d = json_object_get(a, "dimensions");
    assert_string_equal(json_string_value(json_object_get(d, "QueueName")), "hml_files");
    assert_string_equal(json_string_value(json_object_get(d, "Broker")), "embedded");
    int64_t t;
    assert_int_equal(time_parse_iso(json_string_value(json_object_get(a, "time")), &t), 0);
    assert_true(t >= time_now() - 60 && t <= time_now());
    assert_string_equal(json_string_value(json_object_get(b, "name")), "Routed");
    assert_true(json_real_value(json_object_get(b, "value")) == 7.0);
    assert_string_equal(json_string_value(json_object_get(b, "unit")), "None");
    assert_int_equal(json_object_size(json_object_get(b, "dimensions")), 0);
    json_decref(a);
    json_decref(b);
    free(text);

    /* CloudWatch is a row of the composition root's table too; nothing is
     * sent until a put */
    assert_int_equal(backend_open_metrics("cloudwatch:", &m, &err), RNR_OK);
    metrics_free(m);
    assert_int_equal(backend_open_metrics("statsd://127.0.0.1:8125", &m, &err),
                     RNR_ERR_UNSUPPORTED);
    assert_int_equal(backend_open_metrics("file://rel.jsonl", &m, &err), RNR_ERR_INVALID);
}

static void test_dispatch_local_backends(void **state)
{
    fix *f = *state;
    char url[700];
    rnr_error err = {0};
    rnr_queue *q = NULL;
    rnr_store *s = NULL;
    snprintf(url, sizeof url, "SQLite://localhost%s/q.db?queue=other&lease=60", f->dir);
    assert_int_equal(backend_open_queue(url, NULL, &q, &err), RNR_OK);
    assert_int_equal(queue_publish(q, "x", 1, NULL, &err), RNR_OK);
    queue_depth d;
    assert_int_equal(queue_get_depth(q, &d, &err), RNR_OK);
    assert_int_equal(d.ready, 1);
    queue_free(q);
    snprintf(url, sizeof url, "file://%s/objects", f->dir);
    assert_int_equal(backend_open_store(url, &s, &err), RNR_OK);
    assert_int_equal(store_put_buf(s, "a/b", "c", 1, NULL, &err), RNR_OK);
    store_free(s);
    char path[700];
    struct stat st;
    snprintf(path, sizeof path, "%s/objects/a/b", f->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 1);
}

static void test_dispatch_errors(void **state)
{
    (void)state;
    rnr_error err = {0};
    rnr_queue *q = (rnr_queue *)&err;
    rnr_cache *c = NULL;
    rnr_store *s = NULL;

    assert_int_equal(
        backend_open_queue("kafka://rnr:s3cretPass@b-1.mq.example:5671/%2f", NULL, &q, &err),
        RNR_ERR_UNSUPPORTED);
    assert_null(q);
    assert_string_equal(err.msg, "unsupported queue backend URL scheme 'kafka' in "
                                 "'kafka://rnr:***@b-1.mq.example:5671/%2f'");
    assert_null(strstr(err.msg, "s3cretPass"));
    assert_int_equal(backend_open_queue("nats://guest@localhost/", "hml_files", &q, &err),
                     RNR_ERR_UNSUPPORTED);
    assert_int_equal(backend_open_cache("memcache://:pw@cache.example:6379/0", &c, &err),
                     RNR_ERR_UNSUPPORTED);
    assert_string_equal(err.msg, "unsupported cache backend URL scheme 'memcache' in "
                                 "'memcache://:***@cache.example:6379/0'");
    assert_int_equal(backend_open_store("gs://bucket/prefix", &s, &err), RNR_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "'gs'"));
    /* s3:// reaches the S3 backend (which connects lazily) */
    assert_int_equal(backend_open_store("s3://bucket/prefix", &s, &err), RNR_OK);
    store_free(s);
    s = NULL;
    assert_int_equal(backend_open_store("sqlite:///tmp/x", &s, &err), RNR_ERR_UNSUPPORTED);
    assert_int_equal(backend_open_cache("file:///tmp/x", &c, &err), RNR_ERR_UNSUPPORTED);

    assert_int_equal(backend_open_queue("", NULL, &q, &err), RNR_ERR_CONFIG);
    assert_int_equal(backend_open_queue(NULL, NULL, &q, &err), RNR_ERR_CONFIG);
    assert_int_equal(backend_open_queue("/abs/queue.db", NULL, &q, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no scheme"));
    assert_int_equal(backend_open_queue("sqlite:queue.db", NULL, &q, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'sqlite:queue.db'"));
    assert_int_equal(backend_open_queue("sqlite://queue.db", NULL, &q, &err), RNR_ERR_INVALID);
    assert_string_equal(err.msg, "URL 'sqlite://queue.db' names a host; only local paths are "
                                 "supported (write sqlite:///abs/path)");
    assert_int_equal(backend_open_queue("sqlite://me:pw123@/tmp/q.db", NULL, &q, &err),
                     RNR_ERR_INVALID);
    assert_null(strstr(err.msg, "pw123"));
    assert_int_equal(backend_open_store("file://me:pw123@host/tmp/x", &s, &err), RNR_ERR_INVALID);
    assert_null(strstr(err.msg, "pw123"));
    assert_int_equal(backend_open_queue("sqlite://", NULL, &q, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no path"));
    assert_int_equal(backend_open_queue("sqlite:///", NULL, &q, &err), RNR_ERR_INVALID);
    assert_int_equal(backend_open_queue("sqlite:///tmp/q%zz.db", NULL, &q, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "escape"));
    assert_int_equal(backend_open_cache("sqlite:///tmp/c.db?ttl=3", &c, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "unknown parameter 'ttl'"));
    assert_null(q);
    assert_null(c);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cache_get_set_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_purges_expired_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets_env_and_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_log_and_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_local_backends, setup, teardown),
        cmocka_unit_test(test_dispatch_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
