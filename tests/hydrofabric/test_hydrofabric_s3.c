/* test_hydrofabric_s3.c - HYDROFABRIC_S3_KEY as a prefix of parquet layers
 * on a real S3 server (s3rver), through a proxy that logs every request
 * (s3_count_proxy.mjs): ranged GETs of only what the index needs, a
 * restart that GETs no data (HEADs only), geometry fetched on demand, and
 * bad input over S3 (missing and truncated objects, an ETag that changes
 * between requests, a server that ignores Range) as one-line errors that
 * name the key. The layers are a synthetic domain written by rnr's own
 * converter with small row groups, so flowpaths.parquet is mostly
 * geometry in many chunks. */
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

static const char *endpoint, *bucket;
static char *tmp;
static char gpkg[1024], pqdir[1024], run_prefix[128];
static char proxy_url[2][128], proxy_log[2][1100];
static pid_t proxy_pid[2];
static int64_t reach;

enum { PLAIN = 0, NO_RANGE = 1 };

static void run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("failed (%d): %s", rc, cmd);
}

static rnr_store *open_store(int proxy)
{
    char url[512];
    setenv("AWS_ENDPOINT_URL_S3", proxy_url[proxy], 1);
    snprintf(url, sizeof url, "s3://%s/%s/", bucket, run_prefix);
    rnr_store *s = NULL;
    rnr_error err = {0};
    if (s3_store_open(url, &s, &err) != RNR_OK)
        fail_msg("open %s: %s", url, err.msg);
    return s;
}

static void upload(rnr_store *s, const char *prefix)
{
    static const char *const names[] = {"network", "flowpaths", "flowpath-attributes", "lakes",
                                        "nexus"};
    rnr_error err = {0};
    for (size_t i = 0; i < 5; i++) {
        char src[1200], key[256];
        snprintf(src, sizeof src, "%s/%s.parquet", pqdir, names[i]);
        snprintf(key, sizeof key, "%s/%s.parquet", prefix, names[i]);
        if (store_put_file(s, key, src, NULL, &err))
            fail_msg("%s", err.msg);
    }
}

/* Requests logged by a proxy from line `from` on: GETs of objects under
 * prefix (listings excluded), how many of them without Range, and HEADs. */
static size_t count_log(int proxy, size_t from, const char *prefix, size_t *no_range, size_t *heads,
                        size_t *lines)
{
    char *text = tu_read_file(proxy_log[proxy], NULL);
    char want[256];
    snprintf(want, sizeof want, "\"path\":\"/%s/%s/%s/", bucket, run_prefix, prefix);
    size_t gets = 0, k = 0;
    *no_range = *heads = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"), k++) {
        if (k < from || !strstr(line, want))
            continue;
        if (strstr(line, "\"method\":\"HEAD\""))
            (*heads)++;
        if (strstr(line, "\"method\":\"GET\"") && strstr(line, "\"query\":\"\"")) {
            gets++;
            *no_range += strstr(line, "\"range\":\"\"") != NULL;
        }
    }
    *lines = k;
    free(text);
    return gets;
}

static void state_dir(rnr_config *c, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", tmp, name);
    mkdir(buf, 0755);
    memset(c, 0, sizeof *c);
    c->state_dir = buf;
}

static void assert_same_cut(hf_db *a, hf_db *b)
{
    hf_cut *x, *y;
    rnr_error err = {0};
    assert_int_equal(hf_cut_reach(a, reach, &x, &err), 0);
    if (hf_cut_reach(b, reach, &y, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(x->n, y->n);
    assert_memory_equal(x->segs, y->segs, x->n * sizeof *x->segs);
    assert_int_equal(hf_cut_load_geometry(a, x, &err), 0);
    if (hf_cut_load_geometry(b, y, &err))
        fail_msg("%s", err.msg);
    for (size_t i = 0; i < x->n; i++)
        assert_string_equal(x->fps[i].geometry_wkt, y->fps[i].geometry_wkt);
    hf_cut_free(x);
    hf_cut_free(y);
}

/* Bytes the sparse cached copy really holds (its allocated blocks). */
static long long cached_bytes(const char *sd, const char *prefix_dir, const char *layer)
{
    char p[2048];
    struct stat st;
    snprintf(p, sizeof p, "%s/hf-%s/%s.parquet", sd, prefix_dir, layer);
    assert_int_equal(stat(p, &st), 0);
    return (long long)st.st_blocks * 512;
}

/* First start: ranged GETs only, and not all of flowpaths.parquet (the
 * geometry is left until asked for); the cut equals the GeoPackage's.
 * Second start: no GET of any layer or index, only HEADs. */
static void test_ranged_then_restart(void **state)
{
    (void)state;
    rnr_store *s = open_store(PLAIN);
    upload(s, "hf/a");
    rnr_config c;
    char sd[1100];
    state_dir(&c, "sa", sd, sizeof sd);
    c.hydrofabric_key = "hf/a";
    size_t nr, heads, lines, from;
    count_log(PLAIN, 0, "hf/a", &nr, &heads, &from);
    hf_db *p, *g;
    rnr_error err = {0};
    if (config_open_hydrofabric(&c, s, &p, &err))
        fail_msg("%s", err.msg);
    size_t gets = count_log(PLAIN, from, "hf/a", &nr, &heads, &lines);
    assert_true(gets > 0);
    assert_int_equal(nr, 0); /* every data GET was ranged */
    struct stat st;
    char full[1200];
    snprintf(full, sizeof full, "%s/flowpaths.parquet", pqdir);
    assert_int_equal(stat(full, &st), 0);
    long long held = cached_bytes(sd, "hf_a", "flowpaths");
    assert_true(held < st.st_size / 2); /* ready to cut without the geometry */
    assert_int_equal(hf_open(gpkg, &g, &err), 0);
    assert_same_cut(g, p); /* geometry now fetched for the cut's flowpaths */
    assert_true(cached_bytes(sd, "hf_a", "flowpaths") > held);
    hf_close(p);
    /* restart: the cache answers everything */
    count_log(PLAIN, 0, "hf/a", &nr, &heads, &from);
    if (config_open_hydrofabric(&c, s, &p, &err))
        fail_msg("%s", err.msg);
    assert_same_cut(g, p);
    hf_close(p);
    gets = count_log(PLAIN, from, "hf/a", &nr, &heads, &lines);
    if (gets != 0)
        fail_msg("%zu GETs on restart: %s", gets, tu_read_file(proxy_log[PLAIN], NULL));
    assert_true(heads >= 5);
    /* whole-file downloads (RNR_HYDROFABRIC_FETCH=whole) give the same cut */
    state_dir(&c, "sw", sd, sizeof sd);
    c.hydrofabric_key = "hf/a";
    c.hydrofabric_whole = 1;
    if (config_open_hydrofabric(&c, s, &p, &err))
        fail_msg("%s", err.msg);
    assert_same_cut(g, p);
    hf_close(p);
    hf_close(g);
    store_free(s);
}

static void expect_error(rnr_store *s, const char *sdname, const char *key, const char *key_named,
                         const char *what)
{
    rnr_config c;
    char sd[1100];
    state_dir(&c, sdname, sd, sizeof sd);
    c.hydrofabric_key = (char *)key;
    hf_db *p = NULL;
    rnr_error err = {0};
    assert_int_not_equal(config_open_hydrofabric(&c, s, &p, &err), 0);
    assert_null(p);
    if (!strstr(err.msg, key_named) || !strstr(err.msg, what) || strchr(err.msg, '\n'))
        fail_msg("expected '%s' and '%s' in one line: %s", key_named, what, err.msg);
}

/* Objects missing or truncated: one line naming the key. */
static void test_bad_objects(void **state)
{
    (void)state;
    rnr_store *s = open_store(PLAIN);
    upload(s, "hf/b");
    rnr_error err = {0};
    assert_int_equal(store_delete(s, "hf/b/lakes.parquet", &err), 0);
    expect_error(s, "sb1", "hf/b", "HYDROFABRIC_S3_KEY: hf/b/lakes.parquet", "missing file");
    expect_error(s, "sb1", "hf/nothing/", "hf/nothing/network.parquet", "missing file");
    /* network.parquet cut short: its footer is gone */
    char cut[1200], cmd[4096];
    snprintf(cut, sizeof cut, "%s/short.parquet", tmp);
    snprintf(cmd, sizeof cmd, "head -c 100000 '%s/network.parquet' > '%s'", pqdir, cut);
    run(cmd);
    upload(s, "hf/c");
    assert_int_equal(store_put_file(s, "hf/c/network.parquet", cut, NULL, &err), 0);
    expect_error(s, "sb2", "hf/c", "hf/c/network.parquet", "truncated");
    store_free(s);
}

/* An object replaced while a worker has it open: the next ranged GET sees
 * another ETag and says so, naming the key. */
static void test_etag_changes(void **state)
{
    (void)state;
    rnr_store *s = open_store(PLAIN);
    upload(s, "hf/d");
    rnr_config c;
    char sd[1100], other[1200];
    state_dir(&c, "sd", sd, sizeof sd);
    c.hydrofabric_key = "hf/d";
    hf_db *p;
    rnr_error err = {0};
    if (config_open_hydrofabric(&c, s, &p, &err))
        fail_msg("%s", err.msg);
    snprintf(other, sizeof other, "%s/network.parquet", pqdir);
    assert_int_equal(store_put_file(s, "hf/d/flowpaths.parquet", other, NULL, &err), 0);
    hf_cut *x;
    assert_int_equal(hf_cut_reach(p, reach, &x, &err), 0); /* the index needs no layer */
    assert_int_not_equal(hf_cut_load_geometry(p, x, &err), 0);
    if (!strstr(err.msg, "hf/d/flowpaths.parquet") || !strstr(err.msg, "changed while being read"))
        fail_msg("%s", err.msg);
    hf_cut_free(x);
    hf_close(p);
    store_free(s);
}

/* A server that answers a Range with the whole object: each layer is
 * downloaded whole instead, and the cut is the same. */
static void test_range_ignored(void **state)
{
    (void)state;
    rnr_store *s = open_store(NO_RANGE);
    upload(s, "hf/e");
    rnr_config c;
    char sd[1100];
    state_dir(&c, "se", sd, sizeof sd);
    c.hydrofabric_key = "hf/e";
    size_t nr, heads, from, lines;
    count_log(NO_RANGE, 0, "hf/e", &nr, &heads, &from);
    hf_db *p, *g;
    rnr_error err = {0};
    if (config_open_hydrofabric(&c, s, &p, &err))
        fail_msg("%s", err.msg);
    size_t gets = count_log(NO_RANGE, from, "hf/e", &nr, &heads, &lines);
    assert_true(nr >= 4 && gets >= 2 * nr); /* a refused range, then the whole object */
    assert_int_equal(hf_open(gpkg, &g, &err), 0);
    assert_same_cut(g, p);
    hf_close(g);
    hf_close(p);
    store_free(s);
}

/* The index in state directory sd for prefix_dir matches the one
 * published as key, its ETag is remembered beside it and no temporary is
 * left behind. */
static void assert_index_fetched(const char *sd, const char *prefix_dir, const char *published)
{
    char ip[1200], tag[1300], part[1300];
    snprintf(ip, sizeof ip, "%s/hf-%s.rnrindex", sd, prefix_dir);
    snprintf(tag, sizeof tag, "%s.etag", ip);
    snprintf(part, sizeof part, "%s.part", ip);
    size_t na = 0, nb = 0;
    char *a = tu_read_file(published, &na), *b = tu_read_file(ip, &nb),
         *t = tu_read_file(tag, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    if (!t || t[0] != '"' || !strchr(t, '\n') || strchr(t, '\n')[1])
        fail_msg("%s: not one quoted ETag line: %s", tag, t ? t : "(missing)");
    assert_int_not_equal(access(part, F_OK), 0);
    free(a);
    free(b);
    free(t);
}

/* A published "<prefix>/rnr.rnrindex" is downloaded instead of built, in
 * both fetch modes, and a restart GETs nothing (its ETag is unchanged). */
static void test_published_index(void **state)
{
    (void)state;
    rnr_store *s = open_store(PLAIN);
    upload(s, "hf/f");
    rnr_config c;
    char sd[1100], built[1200];
    state_dir(&c, "sp0", sd, sizeof sd);
    c.hydrofabric_key = "hf/f";
    hf_db *p, *g;
    rnr_error err = {0};
    if (config_open_hydrofabric(&c, s, &p, &err)) /* builds one to publish */
        fail_msg("%s", err.msg);
    hf_close(p);
    snprintf(built, sizeof built, "%s/hf-hf_f.rnrindex", sd);
    assert_int_equal(store_put_file(s, "hf/f/rnr.rnrindex", built, NULL, &err), 0);
    assert_int_equal(hf_open(gpkg, &g, &err), 0);
    for (int whole = 0; whole < 2; whole++) {
        state_dir(&c, whole ? "sp2" : "sp1", sd, sizeof sd);
        c.hydrofabric_key = "hf/f";
        c.hydrofabric_whole = whole;
        if (config_open_hydrofabric(&c, s, &p, &err))
            fail_msg("%s", err.msg);
        assert_index_fetched(sd, "hf_f", built);
        assert_same_cut(g, p);
        hf_close(p);
        size_t nr, heads, from, lines;
        count_log(PLAIN, 0, "hf/f", &nr, &heads, &from);
        if (config_open_hydrofabric(&c, s, &p, &err))
            fail_msg("%s", err.msg);
        hf_close(p);
        size_t gets = count_log(PLAIN, from, "hf/f", &nr, &heads, &lines);
        if (gets != 0)
            fail_msg("whole=%d: %zu GETs on restart", whole, gets);
        assert_index_fetched(sd, "hf_f", built);
    }
    hf_close(g);
    store_free(s);
}

static pid_t start_proxy(int i, int drop_range)
{
    char pf[1100], up[256], script[1024];
    snprintf(pf, sizeof pf, "%s/proxy%d.port", tmp, i);
    snprintf(proxy_log[i], sizeof proxy_log[i], "%s/proxy%d.log", tmp, i);
    snprintf(up, sizeof up, "%s", endpoint);
    snprintf(script, sizeof script, "%s/tests/hydrofabric/s3_count_proxy.mjs",
             getenv("RNR_SOURCE_DIR"));
    char *argv[] = {"/usr/bin/env",
                    "node",
                    script,
                    "--upstream",
                    up,
                    "--port-file",
                    pf,
                    "--log",
                    proxy_log[i],
                    drop_range ? "--drop-range" : NULL,
                    NULL};
    char out[1100];
    snprintf(out, sizeof out, "%s/proxy%d.out", tmp, i);
    pid_t pid = tu_spawn(argv, out);
    int port = tu_wait_port_file(pf, 30000);
    if (!port)
        return -1;
    snprintf(proxy_url[i], sizeof proxy_url[i], "http://127.0.0.1:%d", port);
    return pid;
}

static int setup(void **state)
{
    (void)state;
    tmp = tu_tempdir("hfs3");
    snprintf(gpkg, sizeof gpkg, "%s/d.gpkg", tmp);
    snprintf(pqdir, sizeof pqdir, "%s/pq", tmp);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "'%s' hydrofabric generate --flowpaths 12000 --seed 7 '%s' > /dev/null &&"
             " '%s' hydrofabric convert '%s' '%s' --zstd --row-group 3000 > /dev/null",
             getenv("RNR_BIN"), gpkg, getenv("RNR_BIN"), gpkg, pqdir);
    run(cmd);
    /* a reach with a cut of several flowpaths */
    reach = hf_test_reach_with_cut(gpkg, 3);
    assert_true(reach != 0);
    snprintf(run_prefix, sizeof run_prefix, "hfs3-%ld-%ld", (long)getpid(), (long)time(NULL));
    proxy_pid[PLAIN] = start_proxy(PLAIN, 0);
    proxy_pid[NO_RANGE] = start_proxy(NO_RANGE, 1);
    return proxy_pid[PLAIN] > 0 && proxy_pid[NO_RANGE] > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tu_stop(proxy_pid[PLAIN]);
    tu_stop(proxy_pid[NO_RANGE]);
    tu_rmrf(tmp);
    free(tmp);
    return 0;
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
    tu_s3rver_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranged_then_restart), cmocka_unit_test(test_bad_objects),
        cmocka_unit_test(test_etag_changes), cmocka_unit_test(test_range_ignored),
        cmocka_unit_test(test_published_index)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
