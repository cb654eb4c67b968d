/* test_redis_tls.c - the Redis cache over TLS with AUTH, against a real
 * redis-server started here with --tls-port/--port 0/--requirepass and a
 * CA made with the openssl CLI (tests/adapters/redis/redis_tls_server.sh):
 * set/get/expiry/dedup through the cache port, AUTH from the URL, from
 * REDIS_PASSWORD and from a Secrets Manager secret (REDIS_SECRET_ARN via
 * the AWS fake), a reconnect after the server drops the connection; and
 * one-line errors for a wrong password, no password, a wrong CA, the
 * system store, a wrong host name and a server that never answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/backends.h"
#include "adapters/redis_cache.h"
#include "adapters/redis_conn.h"
#include "adapters/aws/aws_fake_proc.h"
#include "services/config.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static char *g_dir;
static int g_port;
static char g_pw[64];
static char g_ca[400], g_other_ca[400];

static int server_ctl(const char *cmd)
{
    const char *src = getenv("RNR_SOURCE_DIR");
    char line[1024];
    snprintf(line, sizeof line, "bash %s/tests/adapters/redis/redis_tls_server.sh %s %s",
             src ? src : ".", cmd, g_dir);
    return system(line);
}

static int setup(void **state)
{
    (void)state;
    g_dir = tu_tempdir("redis-tls");
    if (!g_dir || server_ctl("start") != 0)
        return -1;
    char path[400];
    snprintf(path, sizeof path, "%s/port", g_dir);
    char *port = tu_read_file(path, NULL);
    snprintf(path, sizeof path, "%s/password", g_dir);
    char *pw = tu_read_file(path, NULL);
    if (!port || !pw)
        return -1;
    g_port = atoi(port);
    snprintf(g_pw, sizeof g_pw, "%s", pw);
    free(port);
    free(pw);
    snprintf(g_ca, sizeof g_ca, "%s/ca.pem", g_dir);
    snprintf(g_other_ca, sizeof g_other_ca, "%s/other-ca.pem", g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    server_ctl("stop");
    tu_rmrf(g_dir);
    free(g_dir);
    return 0;
}

static int clean_env(void **state)
{
    (void)state;
    setenv("RNR_REDIS_CACERT", g_ca, 1);
    unsetenv("REDIS_PASSWORD");
    unsetenv("REDIS_USERNAME");
    return 0;
}

/* rediss://:<password, percent-encoded>@host:port/0 */
static void url_for(char *buf, size_t n, const char *host, const char *pw)
{
    char enc[200];
    size_t j = 0;
    for (const char *p = pw; *p && j + 4 < sizeof enc; p++)
        j += (size_t)(strchr("/:@%", *p) ? snprintf(enc + j, 4, "%%%02X", (unsigned char)*p)
                                         : snprintf(enc + j, 2, "%c", *p));
    enc[j] = '\0';
    /* Generous deadlines: under ASan on a loaded machine, loading the
     * system CA store and the handshake took over the 2 s default, and a
     * timeout would hide the error each test is about. */
    snprintf(buf, n, "rediss://%s%s%s%s:%d/0?connect_timeout=30000&timeout=30000", *pw ? ":" : "",
             enc, *pw ? "@" : "", host, g_port);
}

static rnr_cache *open_ok(const char *url)
{
    rnr_cache *c = NULL;
    rnr_error e = {0};
    int rc = redis_cache_open(url, &c, &e);
    if (rc)
        fprintf(stderr, "open: %s\n", e.msg);
    assert_int_equal(rc, RNR_OK);
    return c;
}

/* open must fail with code, one line naming the server, containing want,
 * never showing the password. */
static void open_fails(const char *url, int code, const char *want)
{
    rnr_cache *c = NULL;
    rnr_error e = {0};
    assert_int_equal(redis_cache_open(url, &c, &e), code);
    assert_null(c);
    fprintf(stderr, "expected error: %s\n", e.msg);
    assert_non_null(strstr(e.msg, want));
    assert_null(strchr(e.msg, '\n'));
    assert_null(strstr(e.msg, g_pw));
    assert_null(strstr(e.msg, "s3cret"));
}

/* One command on a raw TLS connection, authenticated; the reply. */
static redisReply *raw(int argc, const char **argv)
{
    redis_conn_opts o = {.host = "localhost",
                         .port = g_port,
                         .tls = 1,
                         .cacert = g_ca,
                         .connect_timeout_ms = 5000,
                         .timeout_ms = 5000};
    redis_conn *c = NULL;
    rnr_error e = {0};
    assert_int_equal(redis_conn_open(&o, &c, &e), RNR_OK);
    const char *auth[] = {"AUTH", g_pw};
    redisReply *r = NULL;
    assert_int_equal(redis_conn_append(c, 2, auth, &e), RNR_OK);
    assert_int_equal(redis_conn_append(c, argc, argv, &e), RNR_OK);
    assert_int_equal(redis_conn_read(c, &r, &e), RNR_OK);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    assert_int_equal(redis_conn_read(c, &r, &e), RNR_OK);
    redis_conn_free(c);
    return r;
}

static long long raw_int(const char *cmd, const char *key)
{
    const char *av[] = {cmd, key};
    redisReply *r = raw(2, av);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static void test_tls_get_set_expiry(void **state)
{
    (void)state;
    char url[300];
    url_for(url, sizeof url, "localhost", g_pw);
    rnr_cache *c = open_ok(url);
    rnr_error e = {0};
    const char *k = "urn:oid:2.49.0.1.840.0.tls", *json = "{\"id\":\"tls\"}";
    char *v = (char *)"sentinel";
    assert_int_equal(cache_get(c, k, &v, &e), RNR_OK);
    assert_null(v);
    assert_int_equal(cache_set(c, k, json, 604800, &e), RNR_OK);
    assert_int_equal(cache_get(c, k, &v, &e), RNR_OK);
    assert_string_equal(v, json);
    free(v);
    long long ttl = raw_int("TTL", k);
    assert_true(ttl > 604000 && ttl <= 604800);
    /* expiry is Redis's: shorten it to 1 ms and wait (bounded) for the miss */
    const char *pexp[] = {"PEXPIRE", k, "1"};
    freeReplyObject(raw(3, pexp));
    for (int i = 0; i < 200; i++) {
        assert_int_equal(cache_get(c, k, &v, &e), RNR_OK);
        if (!v)
            break;
        free(v);
        usleep(10000);
    }
    assert_null(v);
    cache_free(c);
}

/* The producer's dedup: one pipelined lookup of many ids, half known; big
 * enough that requests and replies span many TLS records. */
static void test_tls_dedup_many(void **state)
{
    (void)state;
    char url[300];
    url_for(url, sizeof url, "localhost", g_pw);
    rnr_cache *c = open_ok(url);
    rnr_error e = {0};
    enum { N = 3000 };
    static char keys[N][48], vals[N][160];
    const char *kp[N], *even[N / 2], *vp[N / 2];
    char *out[N];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "rnrt:tls:%d", i);
        snprintf(vals[i], sizeof vals[i], "{\"id\":\"%d\",\"pad\":\"%0120d\"}", i, i);
        kp[i] = keys[i];
    }
    for (int i = 0; i < N / 2; i++)
        even[i] = keys[2 * i], vp[i] = vals[2 * i];
    assert_int_equal(cache_set_many(c, even, vp, N / 2, 600, &e), RNR_OK);
    assert_int_equal(cache_get_many(c, kp, N, out, &e), RNR_OK);
    for (int i = 0; i < N; i++) {
        if (i % 2)
            assert_null(out[i]);
        else
            assert_string_equal(out[i], vals[i]);
        free(out[i]);
    }
    cache_free(c);
}

/* The server drops every client: the next call reconnects (TLS + AUTH). */
static void test_tls_reconnect(void **state)
{
    (void)state;
    char url[300];
    url_for(url, sizeof url, "localhost", g_pw);
    rnr_cache *c = open_ok(url);
    rnr_error e = {0};
    assert_int_equal(cache_set(c, "rnrt:tls:re", "1", 60, &e), RNR_OK);
    const char *kill[] = {"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"};
    redisReply *r = raw(6, kill);
    assert_true(r->type == REDIS_REPLY_INTEGER && r->integer >= 1);
    freeReplyObject(r);
    char *v = NULL;
    int rc = cache_get(c, "rnrt:tls:re", &v, &e);
    if (rc)
        fprintf(stderr, "after CLIENT KILL: %s\n", e.msg);
    assert_int_equal(rc, RNR_OK);
    assert_string_equal(v, "1");
    free(v);
    cache_free(c);
}

static void test_tls_password_from_env(void **state)
{
    (void)state;
    char url[300];
    url_for(url, sizeof url, "localhost", "");
    open_fails(url, RNR_ERR_AUTH, "NOAUTH");
    setenv("REDIS_PASSWORD", g_pw, 1);
    cache_free(open_ok(url));
    /* the URL's password wins over REDIS_PASSWORD */
    url_for(url, sizeof url, "localhost", "not-it");
    open_fails(url, RNR_ERR_AUTH, "WRONGPASS");
}

static void test_tls_wrong_password(void **state)
{
    (void)state;
    char url[300];
    url_for(url, sizeof url, "localhost", "tls-s3cret-wrong");
    open_fails(url, RNR_ERR_AUTH, "AUTH: WRONGPASS");
    open_fails(url, RNR_ERR_AUTH, "rediss://localhost:");
}

static void test_tls_wrong_ca(void **state)
{
    (void)state;
    char url[300];
    url_for(url, sizeof url, "localhost", g_pw);
    setenv("RNR_REDIS_CACERT", g_other_ca, 1);
    open_fails(url, RNR_ERR_CONFIG, "certificate verify failed");
    open_fails(url, RNR_ERR_CONFIG, "RNR_REDIS_CACERT=");
    /* the system store does not know the test CA either */
    unsetenv("RNR_REDIS_CACERT");
    open_fails(url, RNR_ERR_CONFIG, "(CA: the system store; set RNR_REDIS_CACERT");
    setenv("RNR_REDIS_CACERT", "/nonexistent/ca.pem", 1);
    open_fails(url, RNR_ERR_CONFIG, "RNR_REDIS_CACERT=/nonexistent/ca.pem is not readable");
}

static void test_tls_wrong_hostname(void **state)
{
    (void)state;
    char url[300];
    /* the certificate names DNS:localhost only */
    url_for(url, sizeof url, "127.0.0.1", g_pw);
    open_fails(url, RNR_ERR_CONFIG, "certificate verify failed: IP address mismatch");
}

/* A peer that accepts TCP but never speaks: the handshake times out. */
static void test_tls_handshake_timeout(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s, 4), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    char url[200];
    snprintf(url, sizeof url, "rediss://localhost:%d/0?connect_timeout=300&timeout=300",
             ntohs(a.sin_port));
    open_fails(url, RNR_ERR_TIMEOUT, "TLS handshake timed out after 300 ms");
    close(s);
}

/* REDIS_HOST/REDIS_PORT/REDIS_TLS and the AUTH token from REDIS_SECRET_ARN
 * (Secrets Manager, here the AWS fake) -> a working cache. */
static void test_tls_config_secret(void **state)
{
    (void)state;
    fake_clean_env(g_dir);
    char secret[200];
    snprintf(secret, sizeof secret, "rnr/redis=%s", g_pw);
    const char *args[] = {"--secret", secret, "--secret", "rnr/redis-json={\"password\":\"x\"}",
                          NULL};
    fake_proc f;
    memset(&f, 0, sizeof f);
    assert_int_equal(fake_start(&f, args), 0);
    setenv("AWS_ACCESS_KEY_ID", FAKE_AK, 1);
    setenv("AWS_SECRET_ACCESS_KEY", FAKE_SK, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", f.url, 1);
    setenv("RNR_STATE_DIR", g_dir, 1);
    char port[16];
    snprintf(port, sizeof port, "%d", g_port);
    setenv("REDIS_HOST", "localhost", 1);
    setenv("REDIS_PORT", port, 1);
    setenv("REDIS_TLS", "true", 1);
    setenv("REDIS_SECRET_ARN", "rnr/redis", 1);
    rnr_config c;
    rnr_error e = {0};
    int rc = config_load(&c, &e);
    if (rc)
        fprintf(stderr, "config_load: %s\n", e.msg);
    assert_int_equal(rc, RNR_OK);
    assert_int_equal(strncmp(c.cache_url, "rediss://:", 10), 0);
    char d[4096];
    config_describe(&c, d, sizeof d);
    assert_null(strstr(d, "s3cret"));
    rnr_cache *cache = NULL;
    rc = backend_open_cache(c.cache_url, &cache, &e);
    if (rc)
        fprintf(stderr, "open: %s\n", e.msg);
    assert_int_equal(rc, RNR_OK);
    cache_free(cache);
    config_clear(&c);
    /* a JSON secret with the wrong password: config is fine, AUTH is not */
    setenv("REDIS_SECRET_ARN", "rnr/redis-json", 1);
    assert_int_equal(config_load(&c, &e), RNR_OK);
    assert_int_equal(backend_open_cache(c.cache_url, &cache, &e), RNR_ERR_AUTH);
    config_clear(&c);
    /* an unknown secret names the variable */
    setenv("REDIS_SECRET_ARN", "rnr/none", 1);
    assert_int_not_equal(config_load(&c, &e), RNR_OK);
    assert_non_null(strstr(e.msg, "REDIS_SECRET_ARN"));
    fake_stop(&f);
    const char *vars[] = {"AWS_ENDPOINT_URL_SECRETS_MANAGER",
                          "AWS_ACCESS_KEY_ID",
                          "AWS_SECRET_ACCESS_KEY",
                          "REDIS_HOST",
                          "REDIS_PORT",
                          "REDIS_TLS",
                          "REDIS_SECRET_ARN",
                          "RNR_STATE_DIR"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_tls_get_set_expiry, clean_env),
        cmocka_unit_test_setup(test_tls_dedup_many, clean_env),
        cmocka_unit_test_setup(test_tls_reconnect, clean_env),
        cmocka_unit_test_setup(test_tls_password_from_env, clean_env),
        cmocka_unit_test_setup(test_tls_wrong_password, clean_env),
        cmocka_unit_test_setup(test_tls_wrong_ca, clean_env),
        cmocka_unit_test_setup(test_tls_wrong_hostname, clean_env),
        cmocka_unit_test_setup(test_tls_handshake_timeout, clean_env),
        cmocka_unit_test_setup(test_tls_config_secret, clean_env),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
