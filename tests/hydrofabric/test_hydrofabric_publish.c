/* test_hydrofabric_publish.c - the index a worker builds from a parquet
 * prefix on S3 (s3rver, through the request-logging proxy) is published as
 * "<prefix>/rnr.rnrindex" for the next workers:
 *
 * - with publishing turned off (RNR_HYDROFABRIC_PUBLISH=0) nothing is put;
 * - the first worker builds and publishes it, with a conditional PUT;
 * - a worker with an empty state directory takes the published index and
 *   builds nothing (it reads no column chunk of flowpath-attributes);
 * - after a layer is replaced, a new worker reads only the published
 *   index's 100-byte header, builds its own and replaces the stale one
 *   with a PUT conditional on its ETag (If-Match); the next worker on an
 *   empty disk takes the replacement and builds nothing, and so does a
 *   worker holding a copy of the stale one.
 *
 * "Built nothing" is asserted from the bytes the range cache holds and the
 * requests the proxy logged, never from timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/s3_store.h"
#include "hydrofabric/hf.h"
#include "services/config.h"
#include "hf_testutil.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *bucket;
static char *tmp;
static char gpkg[1024], pqdir[1024], pqdir2[1024], run_prefix[128];
static char proxy_url[128], proxy_log[1100];
static pid_t proxy_pid;
static int64_t reach;

static void run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("failed (%d): %s", rc, cmd);
}

static rnr_store *open_store(void)
{
    char url[512];
    setenv("AWS_ENDPOINT_URL_S3", proxy_url, 1);
    snprintf(url, sizeof url, "s3://%s/%s/", bucket, run_prefix);
    rnr_store *s = NULL;
    rnr_error err = {0};
    if (s3_store_open(url, &s, &err) != RNR_OK)
        fail_msg("open %s: %s", url, err.msg);
    return s;
}

static void put_layer(rnr_store *s, const char *dir, const char *name)
{
    char src[1200], key[256];
    rnr_error err = {0};
    snprintf(src, sizeof src, "%s/%s.parquet", dir, name);
    snprintf(key, sizeof key, "hf/p/%s.parquet", name);
    if (store_put_file(s, key, src, NULL, &err))
        fail_msg("%s", err.msg);
}

/* Requests the proxy logged from line `from` on with this method for the
 * object key (under the run's prefix); *ranged counts those with a Range,
 * *conditional those with If-None-Match: * or an If-Match. Returns the
 * count; *lines gets the log's length. */
static size_t count_log(size_t from, const char *method, const char *key, size_t *ranged,
                        size_t *conditional, size_t *lines)
{
    char *text = tu_read_file(proxy_log, NULL);
    char want_m[64], want_p[512];
    snprintf(want_m, sizeof want_m, "\"method\":\"%s\"", method);
    snprintf(want_p, sizeof want_p, "\"path\":\"/%s/%s/%s\"", bucket, run_prefix, key);
    size_t n = 0, k = 0, r = 0, c = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"), k++) {
        if (k < from || !strstr(line, want_m) || !strstr(line, want_p) ||
            !strstr(line, "\"query\":\"\""))
            continue;
        n++;
        r += strstr(line, "\"range\":\"\"") == NULL;
        c += strstr(line, "\"ifNoneMatch\":\"*\"") != NULL || !strstr(line, "\"ifMatch\":\"\"");
    }
    if (ranged)
        *ranged = r;
    if (conditional)
        *conditional = c;
    if (lines)
        *lines = k;
    free(text);
    return n;
}

static size_t log_lines(void)
{
    size_t lines;
    count_log(0, "GET", "-", NULL, NULL, &lines);
    return lines;
}

/* Whether a request from line `from` on carried If-Match with etag's
 * value (the proxy logs it JSON-escaped: quotes as \"). */
static int if_match_logged(size_t from, const char *etag)
{
    char inner[160], want[200];
    snprintf(inner, sizeof inner, "%s", etag[0] == '"' ? etag + 1 : etag);
    inner[strcspn(inner, "\"")] = 0;
    snprintf(want, sizeof want, "\"ifMatch\":\"\\\"%s\\\"\"", inner);
    char *text = tu_read_file(proxy_log, NULL);
    size_t k = 0;
    int found = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line && !found;
         line = strtok(NULL, "\n"), k++)
        found = k >= from && strstr(line, want) != NULL;
    free(text);
    return found;
}

/* Bytes the sparse cached copy of a layer really holds. */
static long long cached_bytes(const char *sd, const char *layer)
{
    char p[2048];
    struct stat st;
    snprintf(p, sizeof p, "%s/hf-hf_p/%s.parquet", sd, layer);
    assert_int_equal(stat(p, &st), 0);
    return (long long)st.st_blocks * 512;
}

/* Open the prefix as a worker with state directory tmp/name does, check
 * its cut against the GeoPackage's, close it. */
static void worker(const char *name, int no_publish, char *sd, size_t sd_n)
{
    rnr_config c;
    memset(&c, 0, sizeof c);
    snprintf(sd, sd_n, "%s/%s", tmp, name);
    mkdir(sd, 0755);
    c.state_dir = sd;
    c.hydrofabric_key = "hf/p";
    c.hydrofabric_no_publish = no_publish;
    rnr_store *s = open_store();
    hf_db *p, *g;
    rnr_error err = {0};
    if (config_open_hydrofabric(&c, s, &p, &err))
        fail_msg("%s: %s", name, err.msg);
    assert_int_equal(hf_open(gpkg, &g, &err), 0);
    hf_cut *x, *y;
    assert_int_equal(hf_cut_reach(g, reach, &x, &err), 0);
    if (hf_cut_reach(p, reach, &y, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(x->n, y->n);
    assert_memory_equal(x->segs, y->segs, x->n * sizeof *x->segs);
    hf_cut_free(x);
    hf_cut_free(y);
    hf_close(g);
    hf_close(p);
    store_free(s);
}

/* The published index's ETag; "" when there is none. */
static void published_etag(char *etag, size_t n)
{
    rnr_store *s = open_store();
    store_meta m;
    rnr_error err = {0};
    int rc = store_head(s, "hf/p/rnr.rnrindex", &m, &err);
    if (rc && rc != RNR_ERR_NOTFOUND)
        fail_msg("%s", err.msg);
    snprintf(etag, n, "%s", rc ? "" : m.etag);
    store_free(s);
}

static void assert_same_file(const char *a_path, const char *b_path)
{
    size_t na = 0, nb = 0;
    char *a = tu_read_file(a_path, &na), *b = tu_read_file(b_path, &nb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
}

/* Column chunks of flowpath-attributes are read only to build the index:
 * a worker that builds nothing holds its footer (the last 64 KiB) only. */
#define TAIL_ONLY (80LL << 10)

/* Worker `name` takes the published index (a copy of pub) and builds
 * nothing; returns the proxy log's length before it ran. */
static size_t takes_published(const char *name, char *sd, size_t sd_n, char *ip, size_t ip_n,
                              const char *pub)
{
    size_t from = log_lines();
    worker(name, 0, sd, sd_n);
    assert_int_equal(count_log(from, "PUT", "hf/p/rnr.rnrindex", NULL, NULL, NULL), 0);
    assert_true(cached_bytes(sd, "flowpath-attributes") <= TAIL_ONLY);
    snprintf(ip, ip_n, "%s/hf-hf_p.rnrindex", sd);
    assert_same_file(ip, pub);
    return from;
}

static void test_publish(void **state)
{
    (void)state;
    rnr_store *s = open_store();
    static const char *const names[] = {"network", "flowpaths", "flowpath-attributes", "lakes",
                                        "nexus"};
    for (size_t i = 0; i < 5; i++)
        put_layer(s, pqdir, names[i]);
    char sd[1100], etag[160], etag2[160], ip[1200], pub[1200];
    rnr_error err = {0};

    /* publishing off: built, not published */
    size_t from = log_lines();
    worker("off", 1, sd, sizeof sd);
    published_etag(etag, sizeof etag);
    assert_string_equal(etag, "");
    assert_int_equal(count_log(from, "PUT", "hf/p/rnr.rnrindex", NULL, NULL, NULL), 0);

    /* the first worker builds and publishes, conditionally */
    from = log_lines();
    size_t cond;
    worker("first", 0, sd, sizeof sd);
    assert_int_equal(count_log(from, "PUT", "hf/p/rnr.rnrindex", NULL, &cond, NULL), 1);
    assert_int_equal(cond, 1);
    assert_true(cached_bytes(sd, "flowpath-attributes") > TAIL_ONLY); /* it built */
    published_etag(etag, sizeof etag);
    assert_true(etag[0] != 0);
    snprintf(ip, sizeof ip, "%s/hf-hf_p.rnrindex", sd);
    snprintf(pub, sizeof pub, "%s/published.rnrindex", tmp);
    assert_int_equal(store_get_file(s, "hf/p/rnr.rnrindex", pub, &err), 0);
    assert_same_file(ip, pub);

    /* the next worker, on an empty disk, takes it and builds nothing */
    from = takes_published("next", sd, sizeof sd, ip, sizeof ip, pub);
    assert_int_equal(count_log(from, "GET", "hf/p/rnr.rnrindex", NULL, NULL, NULL), 2);

    /* a layer replaced (same rows, other bytes): the published index is
     * judged by its header alone, the worker builds its own and replaces
     * the stale one, on the condition that it is still that version */
    put_layer(s, pqdir2, "flowpath-attributes");
    from = log_lines();
    size_t ranged;
    worker("after", 0, sd, sizeof sd);
    assert_int_equal(count_log(from, "GET", "hf/p/rnr.rnrindex", &ranged, NULL, NULL), 1);
    assert_int_equal(ranged, 1); /* the header, not the whole file */
    assert_int_equal(count_log(from, "PUT", "hf/p/rnr.rnrindex", NULL, &cond, NULL), 1);
    assert_int_equal(cond, 1);
    assert_true(if_match_logged(from, etag)); /* conditional on the stale version */
    assert_true(cached_bytes(sd, "flowpath-attributes") > TAIL_ONLY); /* it built its own */
    published_etag(etag2, sizeof etag2);
    assert_true(etag2[0] != 0 && strcmp(etag, etag2) != 0);
    snprintf(ip, sizeof ip, "%s/hf-hf_p.rnrindex", sd);
    assert_int_equal(store_get_file(s, "hf/p/rnr.rnrindex", pub, &err), 0);
    assert_same_file(ip, pub);

    /* the next worker on an empty disk takes the replacement, and so does
     * the worker holding a copy of the stale one */
    takes_published("fresh", sd, sizeof sd, ip, sizeof ip, pub);
    takes_published("next", sd, sizeof sd, ip, sizeof ip, pub);
    char tag[1300], *t = NULL;
    snprintf(tag, sizeof tag, "%s.etag", ip);
    assert_non_null(t = tu_read_file(tag, NULL));
    assert_non_null(strstr(t, etag2)); /* taken for the published copy it now is */
    free(t);
    store_free(s);
}

static int setup(void **state)
{
    (void)state;
    bucket = getenv("RNR_TEST_S3_BUCKET");
    if (!bucket || !*bucket)
        bucket = "rnr-test";
    tmp = tu_tempdir("hfpub");
    snprintf(gpkg, sizeof gpkg, "%s/d.gpkg", tmp);
    snprintf(pqdir, sizeof pqdir, "%s/pq", tmp);
    snprintf(pqdir2, sizeof pqdir2, "%s/pq2", tmp);
    char cmd[6144];
    const char *bin = getenv("RNR_BIN");
    snprintf(cmd, sizeof cmd,
             "'%s' hydrofabric generate --flowpaths 3000 --seed 11 '%s' > /dev/null &&"
             " '%s' hydrofabric convert '%s' '%s' --zstd --row-group 1000 > /dev/null &&"
             " '%s' hydrofabric convert '%s' '%s' --zstd --row-group 700 > /dev/null",
             bin, gpkg, bin, gpkg, pqdir, bin, gpkg, pqdir2);
    run(cmd);
    /* a reach whose cut has several flowpaths */
    reach = hf_test_reach_with_cut(gpkg, 2);
    assert_true(reach != 0);
    snprintf(run_prefix, sizeof run_prefix, "hfpub-%ld-%ld", (long)getpid(), (long)time(NULL));
    char script[1024], pf[1100];
    snprintf(script, sizeof script, "%s/tests/hydrofabric/s3_count_proxy.mjs",
             getenv("RNR_SOURCE_DIR"));
    snprintf(pf, sizeof pf, "%s/proxy.port", tmp);
    snprintf(proxy_log, sizeof proxy_log, "%s/proxy.log", tmp);
    char *argv[] = {
        "/usr/bin/env", "node", script,  "--upstream", (char *)getenv("RNR_TEST_S3_ENDPOINT"),
        "--port-file",  pf,     "--log", proxy_log,    NULL};
    char out[1100];
    snprintf(out, sizeof out, "%s/proxy.out", tmp);
    proxy_pid = tu_spawn(argv, out);
    int port = tu_wait_port_file(pf, 30000);
    if (!port)
        return -1;
    snprintf(proxy_url, sizeof proxy_url, "http://127.0.0.1:%d", port);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_stop(proxy_pid);
    tu_rmrf(tmp);
    free(tmp);
    return 0;
}

int main(void)
{
    const char *endpoint = getenv("RNR_TEST_S3_ENDPOINT");
    if (!endpoint || !*endpoint) {
        printf("skipped: no S3 server (RNR_TEST_S3_ENDPOINT unset)\n");
        return 77;
    }
    tu_s3rver_env();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_publish)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
