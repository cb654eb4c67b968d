/* test_redis_cache.c - the Redis dedup cache against a real server: get and
 * set with expiry (as the reference: key = product id, EX 604800),
 * pipelined get_many and set_many, unreachable -> RNR_ERR_TRANSIENT, and a
 * Redis restart after which the next call reconnects.
 * rnr-test: serial (it restarts the shared Redis) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/redis_cache.h"
#include "services_lock.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *redis_url(void)
{
    return getenv("RNR_TEST_REDIS_URL");
}

static int lock_fd = -1;

static int redis_port(void)
{
    const char *p = strrchr(redis_url(), ':');
    return p ? atoi(p + 1) : 6379;
}

static rnr_cache *open_c(void)
{
    rnr_cache *c = NULL;
    rnr_error e = {0};
    int rc = redis_cache_open(redis_url(), &c, &e);
    if (rc)
        fprintf(stderr, "open: %s\n", e.msg);
    assert_int_equal(rc, RNR_OK);
    return c;
}

static void key(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "rnrt:%ld:%s", (long)getpid(), name);
}

/* TTL of key as Redis itself reports it. */
static long long raw_ttl(const char *k)
{
    redisContext *r = redisConnect("127.0.0.1", redis_port());
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    redisReply *rep = redisCommand(r, "TTL %s", k);
    assert_non_null(rep);
    long long t = rep->integer;
    freeReplyObject(rep);
    redisFree(r);
    return t;
}

static void test_get_set_expiry(void **state)
{
    (void)state;
    rnr_cache *c = open_c();
    rnr_error e = {0};
    char k[128], k2[128];
    key(k, sizeof k, "urn:oid:2.49.0.1.840.0.abc");
    key(k2, sizeof k2, "short");
    char *v = (char *)"sentinel";
    assert_int_equal(cache_get(c, k, &v, &e), RNR_OK);
    assert_null(v);
    const char *json = "{\"id\":\"abc\",\"rdf\":\"https://api.weather.gov/products/abc\"}";
    assert_int_equal(cache_set(c, k, json, 604800, &e), RNR_OK);
    assert_int_equal(cache_get(c, k, &v, &e), RNR_OK);
    assert_string_equal(v, json);
    free(v);
    long long t = raw_ttl(k);
    assert_true(t > 604790 && t <= 604800);
    assert_int_equal(cache_set(c, k2, "x", 1, &e), RNR_OK);
    assert_int_equal(cache_get(c, k2, &v, &e), RNR_OK);
    assert_string_equal(v, "x");
    free(v);
    usleep(2200000);
    assert_int_equal(cache_get(c, k2, &v, &e), RNR_OK);
    assert_null(v);
    cache_free(c);
}

static void test_get_many(void **state)
{
    (void)state;
    rnr_cache *c = open_c();
    rnr_error e = {0};
    enum { N = 2000 };
    static char keys[N][64], vals[N][64];
    const char *kp[N], *vp[N / 2];
    char *out[N];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "rnrt:%ld:many:%d", (long)getpid(), i);
        snprintf(vals[i], sizeof vals[i], "{\"id\":\"%d\"}", i);
        kp[i] = keys[i];
    }
    for (int i = 0; i < N / 2; i++)
        vp[i] = vals[2 * i];
    /* Only the even keys are set, in one pipelined batch. */
    const char *even[N / 2];
    for (int i = 0; i < N / 2; i++)
        even[i] = keys[2 * i];
    assert_int_equal(cache_set_many(c, even, vp, N / 2, 600, &e), RNR_OK);
    assert_int_equal(cache_get_many(c, kp, N, out, &e), RNR_OK);
    for (int i = 0; i < N; i++) {
        if (i % 2)
            assert_null(out[i]);
        else
            assert_string_equal(out[i], vals[i]);
        free(out[i]);
    }
    assert_true(raw_ttl(keys[0]) > 590);
    assert_int_equal(cache_get_many(c, kp, 0, out, &e), RNR_OK);
    cache_free(c);
}

static void test_unreachable(void **state)
{
    (void)state;
    rnr_cache *c = NULL;
    rnr_error e = {0};
    assert_int_equal(redis_cache_open("redis://127.0.0.1:1/0", &c, &e), RNR_ERR_TRANSIENT);
    assert_null(c);
    assert_non_null(strstr(e.msg, "unreachable"));
    assert_non_null(strstr(e.msg, "127.0.0.1:1"));
}

/* A peer that accepts TCP connections (the kernel does, from the backlog)
 * but never answers: open's PING (which is there to catch a server that
 * wants AUTH at open) must end at the command timeout. */
static void test_command_timeout(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s, 16), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    char url[128];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0?connect_timeout=500&timeout=300",
             ntohs(a.sin_port));
    rnr_cache *c = NULL;
    rnr_error e = {0};
    int rc = redis_cache_open(url, &c, &e);
    fprintf(stderr, "expected error: %s\n", e.msg);
    assert_true(rnr_code_is_transient(rc));
    assert_null(c);
    assert_non_null(strstr(e.msg, "PING: no reply within 300 ms"));
    close(s);
}

static int services(const char *verb)
{
    char cmd[2048], port[16];
    snprintf(port, sizeof port, "%d", redis_port());
    setenv("RNR_REDIS_PORT", port, 1);
    snprintf(cmd, sizeof cmd, "bash '%s' %s '%s' >/dev/null 2>&1",
             getenv("RNR_TEST_SERVICES_SCRIPT"), verb, getenv("RNR_TEST_SERVICES_DIR"));
    return system(cmd);
}

static void test_restart_reconnects(void **state)
{
    (void)state;
    if (!getenv("RNR_TEST_SERVICES_SCRIPT") || !getenv("RNR_TEST_SERVICES_DIR")) {
        printf("skipped: cannot restart Redis (RNR_TEST_SERVICES_SCRIPT/DIR unset)\n");
        skip();
    }
    services_relock(lock_fd, 1);
    rnr_cache *c = open_c();
    rnr_error e = {0};
    char k[128];
    key(k, sizeof k, "restart");
    char *v = NULL;
    assert_int_equal(cache_set(c, k, "before", 60, &e), RNR_OK);
    assert_int_equal(services("stop-redis"), 0);
    usleep(300000);
    /* Down: an error, never a pretended miss. */
    v = (char *)"sentinel";
    assert_int_equal(cache_get(c, k, &v, &e), RNR_ERR_TRANSIENT);
    assert_non_null(strstr(e.msg, "unreachable"));
    assert_int_equal(cache_set(c, k, "during", 60, &e), RNR_ERR_TRANSIENT);
    const char *ks[2] = {k, k};
    char *vs[2];
    assert_int_equal(cache_get_many(c, ks, 2, vs, &e), RNR_ERR_TRANSIENT);
    assert_int_equal(services("start-redis"), 0);
    /* Back: the next call reconnects. The key survives only if Redis had
     * snapshotted it; the failed SET never reached it. */
    assert_int_equal(cache_get(c, k, &v, &e), RNR_OK);
    assert_true(v == NULL || !strcmp(v, "before"));
    free(v);
    assert_int_equal(cache_set(c, k, "after", 60, &e), RNR_OK);
    assert_int_equal(cache_get(c, k, &v, &e), RNR_OK);
    assert_string_equal(v, "after");
    free(v);
    cache_free(c);
    services_relock(lock_fd, 0);
}

int main(void)
{
    if (!redis_url() || !*redis_url()) {
        printf("skipped: no Redis (RNR_TEST_REDIS_URL unset)\n");
        return 77;
    }
    lock_fd = services_lock("redis", 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_set_expiry),     cmocka_unit_test(test_get_many),
        cmocka_unit_test(test_unreachable),        cmocka_unit_test(test_command_timeout),
        cmocka_unit_test(test_restart_reconnects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
