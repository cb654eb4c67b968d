/* test_worker_config.c - config_load's mapping of the environment (the
 * reference deployment's names and the RNR_* ones), strict parsing,
 * config_describe's masking, the worker's hydrofabric choices and the
 * stats file. Each case sets exactly the variables it needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/backends.h"
#include "adapters/aws/aws_fake_proc.h"
#include "hydro/forcing.h"
#include "services/config.h"
#include "services/worker.h"
#include "services/worker_internal.h"
#include "testutil.h"

static char g_dir[256];
static char g_real[PATH_MAX];

static const char *const all_vars[] = {"RNR_STATE_DIR",
                                       "RNR_QUEUE_URL",
                                       "RABBITMQ_ENDPOINT",
                                       "RABBITMQ_SECRET_ARN",
                                       "RABBITMQ_USERNAME",
                                       "RABBITMQ_PASSWORD",
                                       "MQ_QUEUE_NAME",
                                       "RNR_CACHE_URL",
                                       "REDIS_HOST",
                                       "REDIS_PORT",
                                       "RNR_STORE_URL",
                                       "APP_BUCKET_NAME",
                                       "APP_OUTPUT_S3_KEY",
                                       "POSTPROCESS_OUTPUT_S3_KEY",
                                       "RNR_HYDROFABRIC",
                                       "HYDROFABRIC_S3_KEY",
                                       "NWS_API_URL",
                                       "NWPS_API_URL",
                                       "NWS_USER_AGENT",
                                       "RNR_METRICS_URL",
                                       "ECS_CLUSTER_NAME",
                                       "ECS_SERVICE_NAME",
                                       "MQ_BROKER_NAME",
                                       "AWS_REGION",
                                       "RNR_HEALTH_FILE",
                                       "RNR_DEDUP_TTL",
                                       "RNR_GRACE_SECONDS",
                                       "RNR_FORCING",
                                       "RNR_PLOTS",
                                       "RNR_POSTPROCESS_WINDOW",
                                       "RNR_MAX_DELIVERIES",
                                       "RNR_RETRY_BACKOFF_MS",
                                       "RNR_POSTPROCESS_COMPAT",
                                       NULL};

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/rnr-test-worker-cfg-XXXXXX");
    if (!mkdtemp(g_dir) || !realpath(g_dir, g_real))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmrf(g_dir);
    return 0;
}

/* Every case starts from an empty environment in the scratch directory. */
static int clean(void **state)
{
    (void)state;
    for (size_t i = 0; all_vars[i]; i++)
        unsetenv(all_vars[i]);
    return chdir(g_dir);
}

static void test_defaults(void **state)
{
    (void)state;
    setenv("RNR_STATE_DIR", "rel/state", 1); /* relative: made absolute, created */
    rnr_config c;
    rnr_error err = {0};
    assert_int_equal(config_load(&c, &err), RNR_OK);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "%s/rel/state", g_real);
    assert_string_equal(c.state_dir, want);
    struct stat sb;
    assert_int_equal(stat(want, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    snprintf(want, sizeof want, "sqlite://%s/rel/state/queue.db", g_real);
    assert_string_equal(c.queue_url, want);
    snprintf(want, sizeof want, "sqlite://%s/rel/state/cache.db", g_real);
    assert_string_equal(c.cache_url, want);
    snprintf(want, sizeof want, "file://%s/rel/state/store", g_real);
    assert_string_equal(c.store_url, want);
    assert_string_equal(c.queue_name, "hml_files");
    assert_string_equal(c.output_prefix, "replace_and_route");
    assert_string_equal(c.postprocess_prefix, "rnr_postprocess");
    assert_string_equal(c.nws_url, "https://api.weather.gov");
    assert_string_equal(c.nwps_url, "https://api.water.noaa.gov/nwps/v1");
    assert_string_equal(c.metrics_url, "log:");
    assert_null(c.hydrofabric_path);
    assert_null(c.hydrofabric_key);
    assert_null(c.user_agent);
    assert_null(c.health_file);
    assert_int_equal(c.dedup_ttl_s, 604800);
    assert_int_equal(c.grace_s, 30);
    assert_int_equal(c.postprocess_window_s, 86400);
    assert_int_equal(c.forcing_mode, FORCING_TIMECORRECT);
    assert_int_equal(c.postprocess_compat, 0);
    assert_int_equal(c.write_plots, 0);
    /* the embedded URLs open */
    rnr_queue *q = NULL;
    assert_int_equal(backend_open_queue(c.queue_url, c.queue_name, &q, &err), RNR_OK);
    queue_free(q);
    config_clear(&c);
    assert_null(c.state_dir);
}

static void test_reference_names(void **state)
{
    (void)state;
    setenv("RNR_STATE_DIR", g_dir, 1);
    setenv("RABBITMQ_ENDPOINT", "amqps://b-1234.mq.us-east-1.amazonaws.com:5671", 1);
    setenv("RABBITMQ_USERNAME", "rnr", 1);
    setenv("RABBITMQ_PASSWORD", "s3cr3t-pw", 1);
    setenv("MQ_QUEUE_NAME", "hml_test", 1);
    setenv("REDIS_HOST", "cache.example", 1);
    setenv("REDIS_PORT", "6380", 1);
    setenv("APP_BUCKET_NAME", "rnr-bucket", 1);
    setenv("APP_OUTPUT_S3_KEY", "outputs/rnr", 1);
    setenv("POSTPROCESS_OUTPUT_S3_KEY", "pp", 1);
    setenv("HYDROFABRIC_S3_KEY", "hf/conus.gpkg", 1);
    setenv("ECS_CLUSTER_NAME", "cl", 1);
    setenv("ECS_SERVICE_NAME", "svc", 1);
    setenv("MQ_BROKER_NAME", "broker", 1);
    setenv("AWS_REGION", "us-east-2", 1);
    setenv("NWS_USER_AGENT", "(test, a@b.c)", 1);
    setenv("RNR_HEALTH_FILE", "/tmp/h", 1);
    rnr_config c;
    rnr_error err = {0};
    assert_int_equal(config_load(&c, &err), RNR_OK);
    assert_string_equal(c.queue_url,
                        "amqps://rnr:s3cr3t-pw@b-1234.mq.us-east-1.amazonaws.com:5671");
    assert_string_equal(c.queue_name, "hml_test");
    assert_string_equal(c.cache_url, "redis://cache.example:6380/0");
    assert_string_equal(c.store_url, "s3://rnr-bucket/");
    assert_string_equal(c.output_prefix, "outputs/rnr");
    assert_string_equal(c.postprocess_prefix, "pp");
    assert_string_equal(c.hydrofabric_key, "hf/conus.gpkg");
    assert_string_equal(c.ecs_cluster, "cl");
    assert_string_equal(c.ecs_service, "svc");
    assert_string_equal(c.mq_broker_name, "broker");
    assert_string_equal(c.region, "us-east-2");
    assert_string_equal(c.user_agent, "(test, a@b.c)");
    assert_string_equal(c.health_file, "/tmp/h");
    char d[2048];
    config_describe(&c, d, sizeof d);
    assert_null(strstr(d, "s3cr3t-pw"));
    assert_non_null(strstr(d, "amqps://rnr:***@b-1234"));
    assert_non_null(strstr(d, "s3://rnr-bucket"));
    config_clear(&c);
}

static void test_rnr_overrides(void **state)
{
    (void)state;
    setenv("RNR_STATE_DIR", g_dir, 1);
    setenv("RABBITMQ_ENDPOINT", "amqp://broker:5672", 1);
    setenv("RNR_QUEUE_URL", "sqlite:///tmp/x/q.db?lease=2", 1);
    setenv("REDIS_HOST", "cache.example", 1);
    setenv("RNR_CACHE_URL", "redis://:pw@127.0.0.1:1/0", 1);
    setenv("APP_BUCKET_NAME", "rnr-bucket", 1);
    setenv("RNR_STORE_URL", "file:///tmp/x/store", 1);
    setenv("RNR_HYDROFABRIC", "/data/hf.gpkg", 1);
    setenv("NWS_API_URL", "http://127.0.0.1:9", 1);
    setenv("NWPS_API_URL", "http://127.0.0.1:9/nwps/v1", 1);
    setenv("RNR_FORCING", "troute", 1);
    setenv("RNR_PLOTS", "1", 1);
    setenv("RNR_GRACE_SECONDS", "0", 1);
    setenv("RNR_DEDUP_TTL", "60", 1);
    setenv("RNR_POSTPROCESS_WINDOW", "3600", 1);
    setenv("RNR_POSTPROCESS_COMPAT", "reference", 1);
    setenv("RNR_METRICS_URL", "file:///tmp/x/m.jsonl", 1);
    rnr_config c;
    assert_int_equal(config_load(&c, NULL), RNR_OK);
    assert_string_equal(c.queue_url, "sqlite:///tmp/x/q.db?lease=2");
    assert_string_equal(c.cache_url, "redis://:pw@127.0.0.1:1/0");
    assert_string_equal(c.store_url, "file:///tmp/x/store");
    assert_string_equal(c.hydrofabric_path, "/data/hf.gpkg");
    assert_string_equal(c.nws_url, "http://127.0.0.1:9");
    assert_string_equal(c.nwps_url, "http://127.0.0.1:9/nwps/v1");
    assert_string_equal(c.metrics_url, "file:///tmp/x/m.jsonl");
    assert_int_equal(c.forcing_mode, FORCING_TROUTE);
    assert_int_equal(c.write_plots, 1);
    assert_int_equal(c.grace_s, 0);
    assert_int_equal(c.dedup_ttl_s, 60);
    assert_int_equal(c.postprocess_window_s, 3600);
    assert_int_equal(c.postprocess_compat, 1);
    char d[2048];
    config_describe(&c, d, sizeof d);
    assert_null(strstr(d, ":pw@"));
    assert_non_null(strstr(d, "forcing=troute"));
    /* flags override */
    assert_int_equal(config_set(&c.queue_url, "sqlite:///tmp/y.db"), RNR_OK);
    assert_string_equal(c.queue_url, "sqlite:///tmp/y.db");
    config_clear(&c);
}

static void expect_bad(const char *name, const char *value)
{
    setenv("RNR_STATE_DIR", g_dir, 1);
    setenv(name, value, 1);
    rnr_config c;
    rnr_error err = {0};
    assert_int_equal(config_load(&c, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, name));
    assert_null(c.state_dir); /* cleared on failure */
    unsetenv(name);
}

static void test_strict_values(void **state)
{
    (void)state;
    expect_bad("RNR_GRACE_SECONDS", "abc");
    expect_bad("RNR_GRACE_SECONDS", "10s");
    expect_bad("RNR_GRACE_SECONDS", "-1");
    expect_bad("RNR_DEDUP_TTL", "0");
    expect_bad("RNR_DEDUP_TTL", "7d");
    expect_bad("RNR_POSTPROCESS_WINDOW", "1.5");
    expect_bad("RNR_FORCING", "exact");
    expect_bad("RNR_POSTPROCESS_COMPAT", "ref");
    expect_bad("RNR_PLOTS", "2");
    expect_bad("RNR_PLOTS", "on");
    expect_bad("RNR_STATE_DIR", "/proc/no/such/dir");
    setenv("REDIS_HOST", "cache.example", 1);
    expect_bad("REDIS_PORT", "http");
    unsetenv("REDIS_HOST");
}

/* A key prefix that the store would refuse is a configuration error at
 * load time, naming the variable, not a failure after routing. */
static void test_bad_key_prefix(void **state)
{
    (void)state;
    static const char *const bad[] = {"a/../b", "/abs", "x//y", "sp ace", "t/"};
    const char *vars[] = {"APP_OUTPUT_S3_KEY", "POSTPROCESS_OUTPUT_S3_KEY"};
    for (size_t v = 0; v < 2; v++) {
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            setenv(vars[v], bad[i], 1);
            rnr_config c;
            rnr_error err;
            assert_int_equal(config_load(&c, &err), RNR_ERR_CONFIG);
            assert_true(strncmp(err.msg, vars[v], strlen(vars[v])) == 0);
            assert_non_null(strstr(err.msg, "is not allowed"));
        }
        unsetenv(vars[v]);
    }
    setenv("APP_OUTPUT_S3_KEY", "replace_and_route/v2", 1);
    rnr_config c;
    rnr_error err;
    assert_int_equal(config_load(&c, &err), RNR_OK);
    config_clear(&c);
}

static void test_secret_arn(void **state)
{
    (void)state;
    fake_clean_env(g_dir);
    const char *args[] = {"--secret",
                          "rnr/mq="
                          "{\"username\":\"mq user\",\"password\":\"p@ss/w:rd\"}",
                          NULL};
    fake_proc f;
    memset(&f, 0, sizeof f);
    assert_int_equal(fake_start(&f, args), 0);
    setenv("AWS_ACCESS_KEY_ID", FAKE_AK, 1);
    setenv("AWS_SECRET_ACCESS_KEY", FAKE_SK, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", f.url, 1);
    setenv("RNR_STATE_DIR", g_dir, 1);
    setenv("RABBITMQ_ENDPOINT", "amqps://b-1.mq.us-east-1.amazonaws.com:5671", 1);
    setenv("RABBITMQ_SECRET_ARN", "rnr/mq", 1);
    rnr_config c;
    rnr_error err = {0};
    int rc = config_load(&c, &err);
    if (rc)
        fprintf(stderr, "config_load: %s\n", err.msg);
    assert_int_equal(rc, RNR_OK);
    assert_string_equal(c.queue_url,
                        "amqps://mq%20user:p%40ss%2Fw%3Ard@b-1.mq.us-east-1.amazonaws.com:5671");
    char d[2048];
    config_describe(&c, d, sizeof d);
    assert_null(strstr(d, "p%40ss"));
    config_clear(&c);
    /* an unknown secret names the variable */
    setenv("RABBITMQ_SECRET_ARN", "rnr/none", 1);
    assert_int_not_equal(config_load(&c, &err), RNR_OK);
    assert_non_null(strstr(err.msg, "RABBITMQ_SECRET_ARN"));
    fake_stop(&f);
    unsetenv("AWS_ENDPOINT_URL_SECRETS_MANAGER");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
}

static void test_worker_hydrofabric(void **state)
{
    (void)state;
    char sd[400];
    snprintf(sd, sizeof sd, "%s/hfstate", g_dir);
    setenv("RNR_STATE_DIR", sd, 1);
    rnr_config c;
    rnr_error err = {0};
    assert_int_equal(config_load(&c, &err), RNR_OK);
    worker *w = NULL;
    assert_int_equal(worker_new(&c, &w, &err), RNR_ERR_CONFIG);
    assert_null(w);
    assert_non_null(strstr(err.msg, "RNR_HYDROFABRIC"));
    /* from the store by key, downloaded once into the state directory */
    rnr_store *s = NULL;
    assert_int_equal(backend_open_store(c.store_url, &s, &err), RNR_OK);
    char gpkg[600];
    snprintf(gpkg, sizeof gpkg, "%s/data/sample/domain.gpkg", getenv("RNR_SOURCE_DIR"));
    assert_int_equal(store_put_file(s, "hydrofabric/domain.gpkg", gpkg, NULL, &err), RNR_OK);
    store_free(s);
    assert_int_equal(config_set(&c.hydrofabric_key, "hydrofabric/domain.gpkg"), RNR_OK);
    assert_int_equal(worker_new(&c, &w, &err), RNR_OK);
    worker_free(w);
    char local[600];
    snprintf(local, sizeof local, "%s/hf-domain.gpkg", c.state_dir);
    assert_int_equal(access(local, R_OK), 0);
    /* a missing key fails with the variable named */
    assert_int_equal(config_set(&c.hydrofabric_key, "hydrofabric/none.gpkg"), RNR_OK);
    assert_int_equal(worker_new(&c, &w, &err), RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "HYDROFABRIC_S3_KEY"));
    /* a bad retry limit */
    setenv("RNR_MAX_DELIVERIES", "0", 1);
    assert_int_equal(worker_new(&c, &w, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "RNR_MAX_DELIVERIES"));
    config_clear(&c);
}

static void test_stats_file(void **state)
{
    (void)state;
    worker_stats st = {0}, back;
    st.messages = 7;
    st.acked = 5;
    st.retried = 1;
    st.dead = 1;
    st.sites = 20;
    st.routed = 4;
    st.skipped[NWS_SKIP_NOT_FLOODING] = 12;
    st.skipped[NWS_SKIP_BAD_TIMES] = 2;
    st.failed_sites = 2;
    st.outputs = 4;
    prom_hist_observe(&st.steps[WORKER_STEP_ROUTE], 0.25);
    prom_hist_observe(&st.steps[WORKER_STEP_ROUTE], 2);
    prom_hist_observe(&st.steps[WORKER_STEP_FETCH], 0.0625);
    char path[400];
    snprintf(path, sizeof path, "%s/stats.json", g_dir);
    assert_int_equal(worker_stats_write(&st, path, NULL), RNR_OK);
    assert_int_equal(worker_stats_read(path, &back, NULL), RNR_OK);
    assert_memory_equal(&st, &back, sizeof st);
    char *text = tu_read_file(path, NULL);
    assert_non_null(strstr(text, "\"not_flooding\": 12"));
    assert_non_null(strstr(text, "\"route\": {"));
    assert_null(strstr(text, "\"cut\"")); /* never run: left out */
    free(text);
    /* two workers' files add up, histograms included */
    worker_stats sum = {0};
    worker_stats_add(&sum, &st);
    worker_stats_add(&sum, &back);
    assert_int_equal(sum.messages, 14);
    assert_int_equal(sum.skipped[NWS_SKIP_NOT_FLOODING], 24);
    assert_int_equal(sum.steps[WORKER_STEP_ROUTE].count, 4);
    assert_float_equal(sum.steps[WORKER_STEP_ROUTE].sum, 4.5, 0);
    assert_int_equal(sum.steps[WORKER_STEP_ROUTE].bucket[PROM_NBUCKETS - 1], 4);
    rnr_error err = {0};
    tu_write_file(
        path,
        "{\"messages\": 1, \"steps\": {\"route\": {\"count\": 1, \"sum\": 0.5, \"buckets\": [1]}}}");
    assert_int_equal(worker_stats_read(path, &back, &err), RNR_ERR_PARSE);
    assert_non_null(strstr(err.msg, "route"));
    tu_write_file(path, "{\"messages\": 1, \"steps\": []}");
    assert_int_equal(worker_stats_read(path, &back, &err), RNR_ERR_PARSE);
    assert_non_null(strstr(err.msg, "steps"));
    tu_write_file(path, "{\"messages\": \"x\"}");
    assert_int_equal(worker_stats_read(path, &back, &err), RNR_ERR_PARSE);
    assert_non_null(strstr(err.msg, "messages"));
    tu_write_file(path, "not json");
    assert_int_equal(worker_stats_read(path, &back, &err), RNR_ERR_PARSE);
    snprintf(path, sizeof path, "%s/none.json", g_dir);
    assert_int_equal(worker_stats_read(path, &back, &err), RNR_ERR_NOTFOUND);
}

/* A classic RabbitMQ queue reports delivery_count 0 on redeliveries: the
 * worker counts failures of the same body itself. */
static void test_attempts_without_delivery_count(void **state)
{
    (void)state;
    worker_attempts a;
    memset(&a, 0, sizeof a);
    assert_int_equal(worker_attempts_fail(&a, "m1", 2, 1), 1);
    assert_int_equal(worker_attempts_fail(&a, "m1", 2, 0), 2);
    assert_int_equal(worker_attempts_fail(&a, "m1", 2, 0), 3);
    assert_int_equal(worker_attempts_fail(&a, "m2", 2, 0), 1);
    assert_int_equal(worker_attempts_fail(&a, "m1", 2, 7), 7); /* the backend's count wins */
    worker_attempts_forget(&a, "m1", 2);
    assert_int_equal(worker_attempts_fail(&a, "m1", 2, 0), 1);
    /* bounded: 64 newer bodies evict m2 */
    for (int i = 0; i < WORKER_ATTEMPTS_SLOTS; i++) {
        char b[16];
        snprintf(b, sizeof b, "x%d", i);
        assert_int_equal(worker_attempts_fail(&a, b, strlen(b), 0), 1);
    }
    assert_int_equal(worker_attempts_fail(&a, "m2", 2, 0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clean),
        cmocka_unit_test_setup(test_reference_names, clean),
        cmocka_unit_test_setup(test_rnr_overrides, clean),
        cmocka_unit_test_setup(test_strict_values, clean),
        cmocka_unit_test_setup(test_secret_arn, clean),
        cmocka_unit_test_setup(test_bad_key_prefix, clean),
        cmocka_unit_test_setup(test_worker_hydrofabric, clean),
        cmocka_unit_test_setup(test_stats_file, clean),
        cmocka_unit_test(test_attempts_without_delivery_count),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
