/* test_redis_url.c - the Redis URL from REDIS_HOST/REDIS_PORT/REDIS_TLS,
 * when a secret is wanted (no password in the URL nor REDIS_PASSWORD), and
 * how a secret's token (plain or JSON) lands percent-encoded in the URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/redis_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *from_env(const char *host, const char *port, const char *tls, int want_rc)
{
    setenv("REDIS_HOST", host, 1);
    if (port)
        setenv("REDIS_PORT", port, 1);
    else
        unsetenv("REDIS_PORT");
    if (tls)
        setenv("REDIS_TLS", tls, 1);
    else
        unsetenv("REDIS_TLS");
    char *u = NULL;
    rnr_error e = {0};
    assert_int_equal(redis_url_from_env(&u, &e), want_rc);
    if (want_rc)
        assert_non_null(strstr(e.msg, "REDIS_"));
    return u;
}

static void test_tls_from_env(void **state)
{
    (void)state;
    char *u = from_env("master.rnr.abc.use1.cache.amazonaws.com", NULL, "true", RNR_OK);
    assert_string_equal(u, "rediss://master.rnr.abc.use1.cache.amazonaws.com:6379/0");
    free(u);
    u = from_env("h", "6380", "false", RNR_OK);
    assert_string_equal(u, "redis://h:6380/0");
    free(u);
    u = from_env("::1", "6380", "1", RNR_OK);
    assert_string_equal(u, "rediss://[::1]:6380/0");
    free(u);
    u = from_env("h", NULL, NULL, RNR_OK);
    assert_string_equal(u, "redis://h:6379/0");
    free(u);
    assert_null(from_env("h", NULL, "maybe", RNR_ERR_CONFIG));
    unsetenv("REDIS_HOST");
    unsetenv("REDIS_TLS");
}

static void test_wants_secret(void **state)
{
    (void)state;
    unsetenv("REDIS_PASSWORD");
    assert_true(redis_url_wants_secret("rediss://h:6379/0"));
    assert_true(redis_url_wants_secret("redis://user@h/0"));
    assert_true(redis_url_wants_secret("redis://user:@h/0"));
    assert_false(redis_url_wants_secret("rediss://:pw@h:6379/0"));
    assert_false(redis_url_wants_secret("redis://u:pw@h/0"));
    assert_false(redis_url_wants_secret("sqlite:///tmp/cache.db"));
    setenv("REDIS_PASSWORD", "from-env", 1);
    assert_false(redis_url_wants_secret("rediss://h:6379/0"));
    unsetenv("REDIS_PASSWORD");
}

static void expect_added(const char *url, const char *secret, const char *want)
{
    char *out = NULL;
    rnr_error e = {0};
    int rc = redis_url_add_secret(url, secret, &out, &e);
    if (rc)
        fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, RNR_OK);
    assert_string_equal(out, want);
    free(out);
}

static void test_add_secret(void **state)
{
    (void)state;
    expect_added("rediss://h:6379/0", "tok/en:with@chars%\n",
                 "rediss://:tok%2Fen%3Awith%40chars%25@h:6379/0");
    expect_added("redis://h", "{\"password\":\"p w\"}", "redis://:p%20w@h");
    expect_added("rediss://h/1?timeout=5", "{\"username\":\"rnr\",\"password\":\"x\"}",
                 "rediss://rnr:x@h/1?timeout=5");
    expect_added("rediss://app@h/0", "tok", "rediss://app:tok@h/0");
    char *out = NULL;
    rnr_error e = {0};
    assert_int_equal(redis_url_add_secret("rediss://h", "  \n", &out, &e), RNR_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "empty"));
    assert_int_equal(redis_url_add_secret("rediss://h", "{\"pass\":1}", &out, &e), RNR_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "\"password\""));
    assert_int_equal(redis_url_add_secret("rediss://h", "{bad", &out, &e), RNR_ERR_CONFIG);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_from_env),
        cmocka_unit_test(test_wants_secret),
        cmocka_unit_test(test_add_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
