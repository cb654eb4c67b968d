/* test_worker_process.c - `rnr worker` as a process: SIGTERM while a
 * message is slow (finish within the grace period, or release it), and
 * kill -9 in the middle of a message (a second worker takes it over after
 * the lease). The store must never hold a partial output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/nc_output.h"
#include "test_worker_env.h"
#include "testutil.h"

#define ID_ROUTES "7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10"
#define SLOW_RNRB1 "{\"path\": \"/nwps/v1/gauges/RNRB1/stageflow\", \"latency_ms\": 2500}"

static wt_env g;
static nws_product_list *g_products;
static char g_bin[600];

static int setup(void **state)
{
    (void)state;
    const char *bin = getenv("RNR_BIN");
    if (!bin || wt_setup(&g, "worker-proc") != 0)
        return -1;
    snprintf(g_bin, sizeof g_bin, "%s", bin);
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

static int reset(void **state)
{
    (void)state;
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir '%s' && : > '%s'", g.state, g.state, g.fx.log);
    if (system(cmd) != 0 || wt_fault(&g, NULL) != 0)
        return -1;
    unsetenv("RNR_GRACE_SECONDS");
    return 0;
}

static void publish_routing_product(void)
{
    rnr_queue *q = wt_queue(&g, NULL);
    assert_non_null(q);
    assert_int_equal(wt_publish(q, g_products, wt_product_index(g_products, ID_ROUTES)), 1);
    queue_free(q);
}

static pid_t spawn_worker(const char *queue_query, const char *idle, int once, const char *logf)
{
    char qurl[600], log[600];
    snprintf(qurl, sizeof qurl, "%s%s", g.queue_url, queue_query ? queue_query : "");
    snprintf(log, sizeof log, "%s/%s", g.dir, logf);
    char *argv[12];
    int n = 0;
    argv[n++] = g_bin;
    argv[n++] = "worker";
    argv[n++] = "--queue";
    argv[n++] = qurl;
    argv[n++] = "--idle-exit";
    argv[n++] = (char *)idle;
    if (once)
        argv[n++] = "--once";
    argv[n] = NULL;
    return tu_spawn(argv, log);
}

/* Wait (bounded, 30 s) until the fixture log holds needle. */
static int wait_for_request(const char *needle)
{
    for (int i = 0; i < 600; i++) {
        char *log = tu_read_file(g.fx.log, NULL);
        int found = log && strstr(log, needle);
        free(log);
        if (found)
            return 0;
        usleep(50000);
    }
    return -1;
}

static int wait_exit(pid_t pid)
{
    int st = 0;
    for (int i = 0; i < 1200; i++) { /* 60 s */
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

/* Every file under the store directory (temporaries included). */
static int count_store_files(void)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "find '%s/store' -type f 2>/dev/null | wc -l", g.state);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

/* Work directories left in the state directory. */
static int count_workdirs(void)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "find '%s' -maxdepth 1 -name 'work-*' | wc -l", g.state);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

/* Exactly one complete output per routed gauge, nothing else. */
static void assert_complete_outputs(void)
{
    static const char *lids[] = {"RNRA1", "RNRB1", "RNRC1"};
    store_list all;
    assert_int_equal(wt_list(&g, "", &all), 0);
    assert_int_equal(all.n, 3);
    for (size_t i = 0; i < 3; i++) {
        char want[128];
        snprintf(want, sizeof want, "replace_and_route/%s/troute_output_202603141200.nc", lids[i]);
        assert_string_equal(all.items[i].key, want);
        char path[800];
        snprintf(path, sizeof path, "%s/store/%s", g.state, want);
        nc_table *t = NULL;
        assert_int_equal(nc_output_read(path, &t, NULL), RNR_OK);
        assert_string_equal(t->rfc_location, lids[i]);
        assert_true(t->ntime >= 96);
        nc_table_free(t);
    }
    store_list_clear(&all);
    assert_int_equal(count_store_files(), 3);
}

static void assert_depth(int64_t ready, int64_t dead)
{
    rnr_queue *q = wt_queue(&g, NULL);
    assert_non_null(q);
    queue_depth d;
    assert_int_equal(queue_get_depth(q, &d, NULL), RNR_OK);
    assert_int_equal(d.ready, ready);
    assert_int_equal(d.unacked, 0);
    assert_int_equal(d.dead, dead);
    queue_free(q);
}

static void test_sigterm_finishes_within_grace(void **state)
{
    (void)state;
    setenv("RNR_GRACE_SECONDS", "30", 1);
    setenv("RNR_LOG_LEVEL", "info", 1);
    assert_int_equal(wt_fault(&g, SLOW_RNRB1), 0);
    publish_routing_product();
    pid_t pid = spawn_worker(NULL, "60", 0, "term.log");
    setenv("RNR_LOG_LEVEL", "warn", 1);
    assert_true(pid > 0);
    assert_int_equal(wait_for_request("GET /nwps/v1/gauges/RNRB1 200"), 0);
    usleep(300000); /* inside the slow forecast request */
    kill(pid, SIGTERM);
    assert_int_equal(wait_exit(pid), 0);
    assert_complete_outputs();
    assert_depth(0, 0);
    assert_int_equal(count_workdirs(), 0);
    /* the message's trace id is on the lines logged while processing it */
    char path[600];
    snprintf(path, sizeof path, "%s/term.log", g.dir);
    char *log = tu_read_file(path, NULL);
    assert_non_null(log);
    assert_int_equal(tu_count(log, "[worker] routed lid="), 3);
    assert_non_null(strstr(log, "[worker] starting state_dir="));
    int traced = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strstr(line, "[worker] ") || strstr(line, "[worker] starting") ||
            strstr(line, "[worker] stopped"))
            continue;
        assert_non_null(strstr(line, " trace_id=Root=1-test-trace"));
        traced++;
    }
    assert_true(traced >= 8); /* message, product, 3 x (stored, routed) */
    free(log);
}

static void test_sigterm_releases_after_grace(void **state)
{
    (void)state;
    setenv("RNR_GRACE_SECONDS", "0", 1);
    assert_int_equal(wt_fault(&g, SLOW_RNRB1), 0);
    publish_routing_product();
    pid_t pid = spawn_worker(NULL, "60", 0, "release.log");
    assert_true(pid > 0);
    assert_int_equal(wait_for_request("GET /nwps/v1/gauges/RNRB1 200"), 0);
    usleep(300000);
    kill(pid, SIGTERM);
    assert_int_equal(wait_exit(pid), 0);
    /* released, not lost: back in the queue; what was stored is whole */
    assert_depth(1, 0);
    int before = count_store_files();
    assert_true(before <= 1); /* at most RNRA1, routed before the slow gauge */
    char *log = tu_read_file(g.fx.log, NULL);
    /* RNRA1 was routed; RNRB1's slow request was abandoned in flight (the
     * fixture may not log it); RNRC1 was never asked for */
    assert_int_equal(tu_count(log, "RNRA1/stageflow 200"), 1);
    assert_int_equal(tu_count(log, "RNRC1/stageflow"), 0);
    free(log);
    assert_int_equal(wt_fault(&g, NULL), 0);
    pid = spawn_worker(NULL, "2", 1, "release2.log");
    assert_int_equal(wait_exit(pid), 0);
    assert_complete_outputs();
    assert_depth(0, 0);
}

static void test_kill9_then_lease_expires(void **state)
{
    (void)state;
    assert_int_equal(wt_fault(&g, SLOW_RNRB1), 0);
    publish_routing_product();
    pid_t a = spawn_worker("?lease=2", "60", 0, "killed.log");
    assert_true(a > 0);
    assert_int_equal(wait_for_request("GET /nwps/v1/gauges/RNRB1 200"), 0);
    usleep(300000);
    kill(a, SIGKILL);
    waitpid(a, NULL, 0);
    assert_int_equal(count_workdirs(), 1); /* the killed worker's */
    assert_int_equal(wt_fault(&g, NULL), 0);
    pid_t b = spawn_worker("?lease=2", "10", 1, "second.log");
    assert_int_equal(wait_exit(b), 0);
    assert_complete_outputs();
    assert_depth(0, 0);
    char *log = tu_read_file(g.fx.log, NULL);
    assert_int_equal(count_workdirs(), 0); /* swept by the second worker */
    /* the product was fetched by both workers */
    assert_int_equal(tu_count(log, "GET /products/" ID_ROUTES " 200"), 2);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sigterm_finishes_within_grace, reset),
        cmocka_unit_test_setup(test_sigterm_releases_after_grace, reset),
        cmocka_unit_test_setup(test_kill9_then_lease_expires, reset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
