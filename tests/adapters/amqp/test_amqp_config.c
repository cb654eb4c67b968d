/* test_amqp_config.c - AMQP and Redis configuration without a server:
 * URL options, credentials from the environment and from a secret's JSON,
 * URL building, redaction, and the clear errors for bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/amqp_internal.h"
#include "adapters/amqp_queue.h"
#include "adapters/redis_cache.h"
#include "adapters/redis_url.h"

#include <stdlib.h>
#include <string.h>

static void test_url_defaults_and_options(void **state)
{
    (void)state;
    unsetenv("RABBITMQ_USERNAME");
    unsetenv("RABBITMQ_PASSWORD");
    unsetenv("RNR_AMQP_MGMT_URL");
    amqp_config c;
    rnr_error e = {0};
    assert_int_equal(amqp_config_parse("amqp://u:p%40ss@mq.example:5673/prod", NULL, &c, &e),
                     RNR_OK);
    assert_string_equal(c.host, "mq.example");
    assert_int_equal(c.port, 5673);
    assert_string_equal(c.user, "u");
    assert_string_equal(c.password, "p@ss");
    assert_string_equal(c.vhost, "prod");
    assert_string_equal(c.queue, "hml_files");
    assert_string_equal(c.dlq, "hml_files.dead");
    assert_int_equal(c.heartbeat_s, 60);
    assert_int_equal(c.prefetch, 1);
    assert_int_equal(c.quorum, 0);
    assert_null(c.mgmt_url);
    amqp_config_clear(&c);

    assert_int_equal(amqp_config_parse("amqp://h/%2f?heartbeat=5&prefetch=10&queue_type=quorum"
                                       "&delivery_limit=3&dlq=dead&mgmt=http%3A%2F%2Fh%3A15672",
                                       "jobs", &c, &e),
                     RNR_OK);
    assert_int_equal(c.port, 5672);
    assert_string_equal(c.vhost, "/");
    assert_string_equal(c.user, "guest");
    assert_int_equal(c.heartbeat_s, 5);
    assert_int_equal(c.prefetch, 10);
    assert_int_equal(c.quorum, 1);
    assert_int_equal(c.delivery_limit, 3);
    assert_string_equal(c.dlq, "dead");
    assert_string_equal(c.queue, "jobs");
    assert_string_equal(c.mgmt_url, "http://h:15672");
    amqp_config_clear(&c);
}

static void test_url_credentials_from_env(void **state)
{
    (void)state;
    setenv("RABBITMQ_USERNAME", "envuser", 1);
    setenv("RABBITMQ_PASSWORD", "envpass", 1);
    amqp_config c;
    rnr_error e = {0};
    assert_int_equal(amqp_config_parse("amqp://broker", "q", &c, &e), RNR_OK);
    assert_string_equal(c.user, "envuser");
    assert_string_equal(c.password, "envpass");
    assert_string_equal(c.vhost, "/");
    amqp_config_clear(&c);
    /* Credentials in the URL win. */
    assert_int_equal(amqp_config_parse("amqp://a:b@broker", "q", &c, &e), RNR_OK);
    assert_string_equal(c.user, "a");
    assert_string_equal(c.password, "b");
    amqp_config_clear(&c);
    unsetenv("RABBITMQ_USERNAME");
    unsetenv("RABBITMQ_PASSWORD");
}

static void test_amqps(void **state)
{
    (void)state;
    setenv("RNR_AMQP_CACERT", "/nonexistent/ca.pem", 1);
    amqp_config c;
    rnr_error e = {0};
    assert_int_equal(amqp_config_parse("amqps://b-1.mq.us-east-1.amazonaws.com", "q", &c, &e),
                     RNR_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "RNR_AMQP_CACERT"));
    setenv("RNR_AMQP_CACERT", __FILE__, 1); /* any readable file: only checked for access */
    assert_int_equal(amqp_config_parse("amqps://b-1.mq.us-east-1.amazonaws.com", "q", &c, &e),
                     RNR_OK);
    assert_int_equal(c.tls, 1);
    assert_int_equal(c.port, 5671);
    assert_string_equal(c.cacert, __FILE__);
    amqp_config_clear(&c);
    unsetenv("RNR_AMQP_CACERT");
}

static void test_bad_urls(void **state)
{
    (void)state;
    amqp_config c;
    rnr_error e = {0};
    assert_int_equal(amqp_config_parse("http://x", "q", &c, &e), RNR_ERR_INVALID);
    assert_int_equal(amqp_config_parse("amqp://u:secret@h?prefetch=0", "q", &c, &e),
                     RNR_ERR_INVALID);
    assert_non_null(strstr(e.msg, "prefetch"));
    assert_int_equal(amqp_config_parse("amqp://h?bogus=1", "q", &c, &e), RNR_ERR_INVALID);
    assert_non_null(strstr(e.msg, "bogus"));
    assert_int_equal(amqp_config_parse("amqp://h?queue_type=stream", "q", &c, &e), RNR_ERR_INVALID);
    assert_int_equal(amqp_config_parse("amqp://h?heartbeat", "q", &c, &e), RNR_ERR_INVALID);
    assert_int_equal(amqp_config_parse("amqp://h?dlq=q", "q", &c, &e), RNR_ERR_INVALID);
    assert_int_equal(amqp_config_parse("amqp://u:topsecret@h:notaport", "q", &c, &e),
                     RNR_ERR_INVALID);
    assert_null(strstr(e.msg, "topsecret"));
    assert_int_equal(amqp_config_parse("", "q", &c, &e), RNR_ERR_CONFIG);
    rnr_queue *q = (rnr_queue *)&c;
    assert_int_equal(amqp_queue_open("amqp://h?prefetch=x", "q", &q, &e), RNR_ERR_INVALID);
    assert_null(q);
}

static void test_url_build_and_env(void **state)
{
    (void)state;
    char *u = NULL;
    rnr_error e = {0};
    amqp_credentials cr;
    assert_int_equal(
        amqp_credentials_from_json("{\"username\":\"rnr\",\"password\":\"p@ss:/w rd\"}", &cr, &e),
        RNR_OK);
    assert_string_equal(cr.username, "rnr");
    assert_int_equal(amqp_url_build("amqps://b-1.mq.us-east-1.amazonaws.com:5671", &cr, &u, &e),
                     RNR_OK);
    assert_string_equal(u, "amqps://rnr:p%40ss%3A%2Fw%20rd@b-1.mq.us-east-1.amazonaws.com:5671");
    amqp_config c;
    setenv("RNR_AMQP_CACERT", __FILE__, 1);
    assert_int_equal(amqp_config_parse(u, "q", &c, &e), RNR_OK);
    unsetenv("RNR_AMQP_CACERT");
    assert_string_equal(c.user, "rnr");
    assert_string_equal(c.password, "p@ss:/w rd");
    amqp_config_clear(&c);
    char *red = amqp_url_redact(u);
    assert_string_equal(red, "amqps://rnr:***@b-1.mq.us-east-1.amazonaws.com:5671");
    free(red);
    free(u);
    amqp_credentials_clear(&cr);
    assert_null(cr.password);

    assert_int_equal(amqp_credentials_from_json("{\"username\":\"x\"}", &cr, &e), RNR_ERR_CONFIG);
    assert_int_equal(amqp_credentials_from_json("not json", &cr, &e), RNR_ERR_PARSE);
    assert_int_equal(amqp_url_build("https://x", NULL, &u, &e), RNR_ERR_CONFIG);

    unsetenv("RABBITMQ_ENDPOINT");
    assert_int_equal(amqp_url_from_env(&u, &e), RNR_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "RABBITMQ_ENDPOINT"));
    setenv("RABBITMQ_ENDPOINT", "amqps://b-2.mq.example:5671", 1);
    setenv("RABBITMQ_USERNAME", "svc", 1);
    setenv("RABBITMQ_PASSWORD", "s3cr3t", 1);
    assert_int_equal(amqp_url_from_env(&u, &e), RNR_OK);
    assert_string_equal(u, "amqps://svc:s3cr3t@b-2.mq.example:5671");
    free(u);
    unsetenv("RABBITMQ_USERNAME");
    unsetenv("RABBITMQ_PASSWORD");
    assert_int_equal(amqp_url_from_env(&u, &e), RNR_OK);
    assert_string_equal(u, "amqps://b-2.mq.example:5671");
    free(u);
    unsetenv("RABBITMQ_ENDPOINT");
}

static void test_redis_config(void **state)
{
    (void)state;
    char *u = NULL;
    rnr_error e = {0};
    unsetenv("REDIS_HOST");
    unsetenv("REDIS_PORT");
    assert_int_equal(redis_url_from_env(&u, &e), RNR_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "REDIS_HOST"));
    setenv("REDIS_HOST", "cache.abc.use1.cache.amazonaws.com", 1);
    assert_int_equal(redis_url_from_env(&u, &e), RNR_OK);
    assert_string_equal(u, "redis://cache.abc.use1.cache.amazonaws.com:6379/0");
    free(u);
    setenv("REDIS_PORT", "6380", 1);
    assert_int_equal(redis_url_from_env(&u, &e), RNR_OK);
    assert_string_equal(u, "redis://cache.abc.use1.cache.amazonaws.com:6380/0");
    free(u);
    setenv("REDIS_PORT", "http", 1);
    assert_int_equal(redis_url_from_env(&u, &e), RNR_ERR_CONFIG);
    unsetenv("REDIS_HOST");
    unsetenv("REDIS_PORT");
    rnr_cache *c = NULL;
    assert_int_equal(redis_cache_open("rediss://h:99999/0", &c, &e), RNR_ERR_INVALID);
    assert_int_equal(redis_cache_open("rediss://:bad%zzescape@h/0", &c, &e), RNR_ERR_INVALID);
    assert_int_equal(redis_cache_open("memcached://h", &c, &e), RNR_ERR_INVALID);
    assert_int_equal(redis_cache_open("redis://h:99999/0", &c, &e), RNR_ERR_INVALID);
    assert_int_equal(redis_cache_open("redis://h/zero", &c, &e), RNR_ERR_INVALID);
    assert_int_equal(redis_cache_open("redis://h/0?ttl=5", &c, &e), RNR_ERR_INVALID);
    /* A bad option's message shows the URL with its password masked. */
    assert_int_equal(redis_cache_open("redis://:sekret@h/0?timeout=0", &c, &e), RNR_ERR_INVALID);
    assert_non_null(strstr(e.msg, "timeout"));
    assert_null(strstr(e.msg, "sekret"));
    assert_null(c);
}

/* Nothing listens on port 1: the error says "refused" (not the
 * EINPROGRESS left over from the non-blocking connect) and masks the
 * password of the URL. */
static void test_refused_is_reported_as_refused(void **state)
{
    (void)state;
    rnr_queue *q = NULL;
    rnr_error e = {0};
    int rc = amqp_queue_open("amqp://rnr:hunter2@127.0.0.1:1/?connect_timeout=2000", "hml_files",
                             &q, &e);
    assert_int_equal(rc, RNR_ERR_TRANSIENT);
    assert_null(q);
    assert_non_null(strstr(e.msg, "127.0.0.1:1 is unreachable: Connection refused"));
    assert_null(strstr(e.msg, "in progress"));
    assert_null(strstr(e.msg, "hunter2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_defaults_and_options),
        cmocka_unit_test(test_refused_is_reported_as_refused),
        cmocka_unit_test(test_url_credentials_from_env),
        cmocka_unit_test(test_amqps),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_url_build_and_env),
        cmocka_unit_test(test_redis_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
