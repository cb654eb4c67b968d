/* test_worker_pipeline.c - the worker in-process on the embedded backends,
 * the demo hydrofabric and the sample NWS data set: the expected outputs
 * and skips, malformed messages, a product that always fails, an NWPS
 * outage the HTTP client rides out, and the stats file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/nc_output.h"
#include "services/worker.h"
#include "test_worker_env.h"
#include "testutil.h"

#define ID_ROUTES "7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10"
#define ID_QUIET "e09d5f37-1c6a-4b82-9d4e-6f31b07a2c58"
#define ID_MISSING "31b8a6d2-9e47-4f05-a3c1-d85e2f604b97"

static wt_env g;
static nws_product_list *g_products;

static int setup(void **state)
{
    (void)state;
    if (wt_setup(&g, "worker-pipe") != 0)
        return -1;
    g_products = wt_products(&g);
    return g_products && g_products->n == 3 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    nws_product_list_free(g_products);
    wt_teardown(&g);
    return 0;
}

/* A fresh state directory and fault list for each case. */
static int reset(void **state)
{
    (void)state;
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir '%s'", g.state, g.state);
    if (system(cmd) != 0 || wt_fault(&g, NULL) != 0)
        return -1;
    unsetenv("RNR_MAX_DELIVERIES");
    return 0;
}

/* Run a worker until the queue stayed empty for 300 ms (or max messages). */
static int run_worker_max(worker_stats *st, const char *stats_file, int max_messages)
{
    rnr_config cfg;
    rnr_error err = {0};
    int rc = config_load(&cfg, &err);
    if (rc) {
        fprintf(stderr, "config: %s\n", err.msg);
        return rc;
    }
    worker *w = NULL;
    rc = worker_new(&cfg, &w, &err);
    if (!rc) {
        volatile sig_atomic_t stop = 0;
        worker_run_opts o = {&stop, max_messages, 300, stats_file};
        rc = worker_run(w, &o, st, &err);
    }
    if (rc)
        fprintf(stderr, "worker: %s\n", err.msg);
    worker_free(w);
    config_clear(&cfg);
    return rc;
}

static int run_worker(worker_stats *st, const char *stats_file)
{
    return run_worker_max(st, stats_file, 0);
}

static void assert_output(const char *lid, const char *status, int64_t reach)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "replace_and_route/%s/", lid);
    store_list l;
    assert_int_equal(wt_list(&g, prefix, &l), 0);
    assert_int_equal(l.n, 1);
    /* the forecasts start 2026-03-14T12:00Z */
    char want[256];
    snprintf(want, sizeof want, "%stroute_output_202603141200.nc", prefix);
    assert_string_equal(l.items[0].key, want);
    char path[700];
    snprintf(path, sizeof path, "%s/store/%s", g.state, l.items[0].key);
    store_list_clear(&l);
    nc_table *t = NULL;
    rnr_error err = {0};
    assert_int_equal(nc_output_read(path, &t, &err), RNR_OK);
    assert_string_equal(t->max_status, status);
    assert_string_equal(t->rfc_location, lid);
    assert_int_equal(t->rfc_reach_id, reach);
    assert_true(t->state[0] != '\0');
    assert_true(t->name[0] != '\0');
    assert_true(t->nseg >= 1);
    assert_true(t->ntime >= 96);
    nc_table_free(t);
}

static void assert_queue_empty(int64_t dead)
{
    rnr_queue *q = wt_queue(&g, NULL);
    assert_non_null(q);
    queue_depth d;
    assert_int_equal(queue_get_depth(q, &d, NULL), RNR_OK);
    assert_int_equal(d.ready, 0);
    assert_int_equal(d.unacked, 0);
    assert_int_equal(d.dead, dead);
    queue_free(q);
}

static void test_sample_products(void **state)
{
    (void)state;
    rnr_queue *q = wt_queue(&g, NULL);
    assert_non_null(q);
    assert_int_equal(wt_publish(q, g_products, -1), 3);
    queue_free(q);
    char stats[600];
    snprintf(stats, sizeof stats, "%s/stats.json", g.dir);
    worker_stats st;
    assert_int_equal(run_worker(&st, stats), RNR_OK);
    assert_int_equal(st.messages, 3);
    assert_int_equal(st.acked, 3);
    assert_int_equal(st.dead, 0);
    assert_int_equal(st.retried, 0);
    assert_int_equal(st.sites, 8);
    assert_int_equal(st.routed, 3);
    assert_int_equal(st.outputs, 3);
    assert_int_equal(st.failed_sites, 0);
    assert_int_equal(st.skipped[NWS_SKIP_NOT_FLOODING], 1);    /* RNRD1 */
    assert_int_equal(st.skipped[NWS_SKIP_STAGE_ONLY], 1);      /* RNRE1 */
    assert_int_equal(st.skipped[NWS_SKIP_MISSING_FLOWS], 1);   /* RNRF1 */
    assert_int_equal(st.skipped[NWS_SKIP_GAUGE_NOT_FOUND], 1); /* RNRG1 */
    assert_int_equal(st.skipped[NWS_SKIP_NO_REACH_ID], 1);     /* RNRH1 */
    int total = 0;
    for (int r = 0; r < NWS_SKIP_COUNT; r++)
        total += st.skipped[r];
    assert_int_equal(total, 5);

    assert_output("RNRA1", "minor", 91000001);
    assert_output("RNRB1", "moderate", 91000002);
    assert_output("RNRC1", "major", 91000003);
    store_list all;
    assert_int_equal(wt_list(&g, "", &all), 0);
    assert_int_equal(all.n, 3);
    store_list_clear(&all);
    assert_queue_empty(0);

    worker_stats back;
    assert_int_equal(worker_stats_read(stats, &back, NULL), RNR_OK);
    assert_memory_equal(&back, &st, sizeof st);
}

static void test_malformed_messages(void **state)
{
    (void)state;
    rnr_queue *q = wt_queue(&g, NULL);
    assert_non_null(q);
    assert_int_equal(queue_publish(q, "not json", 8, NULL, NULL), RNR_OK);
    const char *no_rdf = "{\"id\":\"abc\",\"product_code\":\"HML\"}";
    assert_int_equal(queue_publish(q, no_rdf, strlen(no_rdf), NULL, NULL), RNR_OK);
    assert_int_equal(wt_publish(q, g_products, wt_product_index(g_products, ID_ROUTES)), 1);
    queue_free(q);
    worker_stats st;
    assert_int_equal(run_worker(&st, NULL), RNR_OK);
    assert_int_equal(st.messages, 3);
    assert_int_equal(st.dead, 2);
    assert_int_equal(st.acked, 1);
    assert_int_equal(st.outputs, 3);
    assert_queue_empty(2);

    q = wt_queue(&g, NULL);
    queue_dead_list dl;
    assert_int_equal(queue_list_dead(q, 0, &dl, NULL), RNR_OK);
    assert_int_equal(dl.n, 2);
    assert_string_equal(dl.items[0].body, "not json");
    assert_non_null(strstr(dl.items[0].reason, "malformed message"));
    assert_string_equal(dl.items[1].body, no_rdf);
    assert_non_null(strstr(dl.items[1].reason, "malformed message"));
    assert_non_null(strstr(dl.items[1].reason, "rdf"));
    queue_dead_list_clear(&dl);
    queue_free(q);
}

static void test_product_always_500(void **state)
{
    (void)state;
    setenv("RNR_MAX_DELIVERIES", "3", 1);
    assert_int_equal(wt_fault(&g, "{\"path\": \"/products/" ID_QUIET "\", \"status\": 500}"), 0);
    rnr_queue *q = wt_queue(&g, NULL);
    assert_non_null(q);
    assert_int_equal(wt_publish(q, g_products, wt_product_index(g_products, ID_QUIET)), 1);
    assert_int_equal(wt_publish(q, g_products, wt_product_index(g_products, ID_MISSING)), 1);
    queue_free(q);
    worker_stats st;
    assert_int_equal(run_worker(&st, NULL), RNR_OK);
    assert_int_equal(st.messages, 4); /* 3 deliveries of the failing one + the other */
    assert_int_equal(st.retried, 2);
    assert_int_equal(st.dead, 1);
    assert_int_equal(st.acked, 1);
    assert_int_equal(st.outputs, 0);
    assert_queue_empty(1);
    q = wt_queue(&g, NULL);
    queue_dead_list dl;
    assert_int_equal(queue_list_dead(q, 0, &dl, NULL), RNR_OK);
    assert_int_equal(dl.n, 1);
    assert_int_equal(dl.items[0].delivery_count, 3);
    assert_non_null(strstr(dl.items[0].body, ID_QUIET));
    assert_true(strncmp(dl.items[0].reason, "failed 3 times: ", 16) == 0);
    assert_non_null(strstr(dl.items[0].reason, "500"));
    queue_dead_list_clear(&dl);
    queue_free(q);
}

static void test_nwps_503_twice(void **state)
{
    (void)state;
    assert_int_equal(
        wt_fault(&g, "{\"path\": \"/nwps/v1/gauges/RNRA1\", \"status\": 503, \"times\": 2}"), 0);
    rnr_queue *q = wt_queue(&g, NULL);
    assert_non_null(q);
    assert_int_equal(wt_publish(q, g_products, wt_product_index(g_products, ID_ROUTES)), 1);
    queue_free(q);
    worker_stats st;
    assert_int_equal(run_worker(&st, NULL), RNR_OK);
    assert_int_equal(st.dead, 0);
    assert_int_equal(st.outputs, 3);
    assert_int_equal(st.routed, 3);
    assert_output("RNRA1", "minor", 91000001);
    assert_queue_empty(0);
    /* the gauge was asked three times: two 503s, then the record */
    char *log = tu_read_file(g.fx.log, NULL);
    assert_non_null(log);
    assert_int_equal(tu_count(log, "GET /nwps/v1/gauges/RNRA1 503"), 2);
    assert_true(tu_count(log, "GET /nwps/v1/gauges/RNRA1 200") >= 1);
    free(log);
}

static void test_plots_and_gone_product(void **state)
{
    (void)state;
    setenv("RNR_PLOTS", "1", 1);
    rnr_queue *q = wt_queue(&g, NULL);
    assert_non_null(q);
    char gone[512];
    snprintf(gone, sizeof gone,
             "{\"rdf\":\"%s/products/0000-gone\",\"id\":\"0000-gone\",\"product_code\":\"HML\"}",
             g.fx.base);
    assert_int_equal(queue_publish(q, gone, strlen(gone), NULL, NULL), RNR_OK);
    assert_int_equal(wt_publish(q, g_products, wt_product_index(g_products, ID_ROUTES)), 1);
    queue_free(q);
    worker_stats st;
    int rc = run_worker(&st, NULL);
    unsetenv("RNR_PLOTS");
    assert_int_equal(rc, RNR_OK);
    /* a product that is gone (404) is acked once, not retried */
    assert_int_equal(st.messages, 2);
    assert_int_equal(st.acked, 2);
    assert_int_equal(st.retried, 0);
    assert_int_equal(st.dead, 0);
    assert_int_equal(st.outputs, 3);
    assert_queue_empty(0);
    store_list l;
    assert_int_equal(wt_list(&g, "replace_and_route/RNRC1/", &l), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0].key, "replace_and_route/RNRC1/troute_output_202603141200.nc");
    assert_string_equal(l.items[1].key, "replace_and_route/RNRC1/troute_output_202603141200.svg");
    char path[700];
    snprintf(path, sizeof path, "%s/store/%s", g.state, l.items[1].key);
    store_list_clear(&l);
    char *svg = tu_read_file(path, NULL);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "<svg"));
    free(svg);
    assert_int_equal(wt_list(&g, "", &l), 0);
    assert_int_equal(l.n, 6);
    store_list_clear(&l);
    char *log = tu_read_file(g.fx.log, NULL);
    assert_int_equal(tu_count(log, "GET /products/0000-gone 404"), 1);
    free(log);
}

static void test_max_messages(void **state)
{
    (void)state;
    rnr_queue *q = wt_queue(&g, NULL);
    assert_non_null(q);
    assert_int_equal(wt_publish(q, g_products, wt_product_index(g_products, ID_MISSING)), 1);
    assert_int_equal(wt_publish(q, g_products, wt_product_index(g_products, ID_QUIET)), 1);
    queue_free(q);
    worker_stats st;
    assert_int_equal(run_worker_max(&st, NULL, 1), RNR_OK);
    assert_int_equal(st.messages, 1);
    assert_int_equal(st.acked, 1);
    assert_int_equal(st.sites, 2); /* RNRG1, RNRH1 */
    assert_int_equal(st.skipped[NWS_SKIP_GAUGE_NOT_FOUND], 1);
    assert_int_equal(st.skipped[NWS_SKIP_NO_REACH_ID], 1);
    q = wt_queue(&g, NULL);
    queue_depth d;
    assert_int_equal(queue_get_depth(q, &d, NULL), RNR_OK);
    assert_int_equal(d.ready, 1);
    queue_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sample_products, reset),
        cmocka_unit_test_setup(test_malformed_messages, reset),
        cmocka_unit_test_setup(test_product_always_500, reset),
        cmocka_unit_test_setup(test_nwps_503_twice, reset),
        cmocka_unit_test_setup(test_plots_and_gone_product, reset),
        cmocka_unit_test_setup(test_max_messages, reset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
