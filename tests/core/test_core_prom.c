/* test_core_prom.c - the Prometheus registry: counters, gauges,
 * histograms, label escaping, type clashes, and the exact text format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/prom.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void test_counter_gauge_text(void **state)
{
    (void)state;
    prom_registry *m = prom_new();
    assert_non_null(m);
    prom_label routed[] = {{"outcome", "routed"}};
    prom_label skipped[] = {{"outcome", "skipped"}, {"reason", "not_flooding"}};
    assert_int_equal(prom_counter_add(m, "rnr_sites_total", "Sites decided", routed, 1, 2), 0);
    assert_int_equal(prom_counter_add(m, "rnr_sites_total", "ignored later help", routed, 1, 1), 0);
    assert_int_equal(prom_counter_add(m, "rnr_sites_total", NULL, skipped, 2, 1), 0);
    assert_int_equal(prom_gauge_set(m, "rnr_queue_ready", "Messages ready", NULL, 0, 7), 0);
    assert_int_equal(prom_gauge_set(m, "rnr_queue_ready", NULL, NULL, 0, 4), 0);
    assert_true(prom_value(m, "rnr_sites_total", routed, 1) == 3.0);
    assert_true(prom_value(m, "rnr_queue_ready", NULL, 0) == 4.0);
    char *txt;
    size_t len;
    assert_int_equal(prom_render(m, &txt, &len, NULL), 0);
    assert_int_equal(strlen(txt), len);
    assert_string_equal(txt, "# HELP rnr_sites_total Sites decided\n"
                             "# TYPE rnr_sites_total counter\n"
                             "rnr_sites_total{outcome=\"routed\"} 3\n"
                             "rnr_sites_total{outcome=\"skipped\",reason=\"not_flooding\"} 1\n"
                             "# HELP rnr_queue_ready Messages ready\n"
                             "# TYPE rnr_queue_ready gauge\n"
                             "rnr_queue_ready 4\n");
    free(txt);
    prom_free(m);
}

static void test_histogram(void **state)
{
    (void)state;
    prom_registry *m = prom_new();
    prom_label l[] = {{"stage", "route"}};
    assert_int_equal(prom_observe(m, "rnr_stage_seconds", "Stage time", l, 1, 0.003), 0);
    assert_int_equal(prom_observe(m, "rnr_stage_seconds", "Stage time", l, 1, 0.2), 0);
    assert_int_equal(prom_observe(m, "rnr_stage_seconds", "Stage time", l, 1, 1000), 0);
    char *txt;
    size_t len;
    assert_int_equal(prom_render(m, &txt, &len, NULL), 0);
    assert_non_null(strstr(txt, "# TYPE rnr_stage_seconds histogram\n"));
    assert_non_null(strstr(txt, "rnr_stage_seconds_bucket{stage=\"route\",le=\"0.005\"} 1\n"));
    assert_non_null(strstr(txt, "rnr_stage_seconds_bucket{stage=\"route\",le=\"0.25\"} 2\n"));
    assert_non_null(strstr(txt, "rnr_stage_seconds_bucket{stage=\"route\",le=\"300\"} 2\n"));
    assert_non_null(strstr(txt, "rnr_stage_seconds_bucket{stage=\"route\",le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(txt, "rnr_stage_seconds_count{stage=\"route\"} 3\n"));
    assert_non_null(strstr(txt, "rnr_stage_seconds_sum{stage=\"route\"} 1000.203"));
    free(txt);
    prom_free(m);
}

/* A histogram kept outside the registry (a worker's), added up across
 * processes and published whole: the same text as observing directly. */
static void test_histogram_set(void **state)
{
    (void)state;
    prom_hist a = {0}, b = {0};
    prom_hist_observe(&a, 0.003);
    prom_hist_observe(&a, 0.2);
    prom_hist_observe(&b, 1000);
    prom_hist_observe(&b, -1);        /* ignored */
    prom_hist_observe(&b, 0.0 / 0.0); /* ignored */
    prom_hist_add(&a, &b);
    assert_int_equal(a.count, 3);
    prom_registry *m = prom_new();
    prom_label l[] = {{"step", "route"}};
    assert_int_equal(prom_histogram_set(m, "rnr_step_seconds", "Step time", l, 1, &a), 0);
    /* set again: replaced, not added */
    assert_int_equal(prom_histogram_set(m, "rnr_step_seconds", "Step time", l, 1, &a), 0);
    char *txt;
    size_t len;
    assert_int_equal(prom_render(m, &txt, &len, NULL), 0);
    assert_non_null(strstr(txt, "rnr_step_seconds_bucket{step=\"route\",le=\"0.005\"} 1\n"));
    assert_non_null(strstr(txt, "rnr_step_seconds_bucket{step=\"route\",le=\"0.25\"} 2\n"));
    assert_non_null(strstr(txt, "rnr_step_seconds_bucket{step=\"route\",le=\"300\"} 2\n"));
    assert_non_null(strstr(txt, "rnr_step_seconds_bucket{step=\"route\",le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(txt, "rnr_step_seconds_count{step=\"route\"} 3\n"));
    assert_non_null(strstr(txt, "rnr_step_seconds_sum{step=\"route\"} 1000.203"));
    free(txt);
    assert_float_equal(prom_value(m, "rnr_step_seconds", l, 1), 3, 0);
    /* a bad sum, or a name that is a counter already, is refused */
    prom_hist bad = {.count = 1, .sum = -1};
    assert_int_not_equal(prom_histogram_set(m, "rnr_step_seconds", "Step time", l, 1, &bad), 0);
    assert_int_equal(prom_counter_add(m, "rnr_c_total", "c", NULL, 0, 1), 0);
    assert_int_not_equal(prom_histogram_set(m, "rnr_c_total", "c", NULL, 0, &a), 0);
    assert_int_not_equal(prom_histogram_set(m, "rnr_x", "x", NULL, 0, NULL), 0);
    prom_free(m);
}

static void test_escaping_and_errors(void **state)
{
    (void)state;
    prom_registry *m = prom_new();
    prom_label evil[] = {{"lid", "A\"B\\C\nD"}};
    assert_int_equal(prom_counter_add(m, "rnr_x_total", "help with \\ and\nnewline", evil, 1, 1),
                     0);
    char *txt;
    size_t len;
    assert_int_equal(prom_render(m, &txt, &len, NULL), 0);
    assert_non_null(strstr(txt, "rnr_x_total{lid=\"A\\\"B\\\\C\\nD\"} 1\n"));
    assert_non_null(strstr(txt, "# HELP rnr_x_total help with \\\\ and\\nnewline\n"));
    free(txt);
    /* A type clash, a bad metric name, a bad label name and a negative
     * counter increment are refused and change nothing. */
    assert_int_equal(prom_gauge_set(m, "rnr_x_total", NULL, evil, 1, 5), RNR_ERR_INVALID);
    assert_int_equal(prom_counter_add(m, "9bad", NULL, NULL, 0, 1), RNR_ERR_INVALID);
    prom_label badl[] = {{"a-b", "x"}};
    assert_int_equal(prom_counter_add(m, "rnr_y_total", NULL, badl, 1, 1), RNR_ERR_INVALID);
    assert_int_equal(prom_counter_add(m, "rnr_x_total", NULL, evil, 1, -1), RNR_ERR_INVALID);
    assert_true(prom_value(m, "rnr_x_total", evil, 1) == 1.0);
    prom_free(m);
}

static void *bump(void *arg)
{
    prom_registry *m = arg;
    for (int i = 0; i < 10000; i++)
        (void)prom_counter_add(m, "rnr_n_total", "n", NULL, 0, 1);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    prom_registry *m = prom_new();
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, bump, m), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_true(prom_value(m, "rnr_n_total", NULL, 0) == 40000.0);
    prom_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_gauge_text),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_histogram_set),
        cmocka_unit_test(test_escaping_and_errors),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
