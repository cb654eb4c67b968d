/* test_worker_sites.c - the per-site state machine (worker_sites.h): the
 * ledger entry format, the plan each delivery makes for a site, the
 * delivery limit, the follow-up message format; and the process identity
 * the SQLite queue uses to reclaim a dead worker's lease. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/procid.h"
#include "services/worker_sites.h"

static void test_record_round_trip(void **state)
{
    (void)state;
    const site_record cases[] = {{SITE_ROUTED, 0, 0},   {SITE_SKIPPED, 7, 0}, {SITE_FAILED, 0, 3},
                                 {SITE_DEFERRED, 0, 2}, {SITE_DEAD, 0, 5},    {SITE_SKIPPED, 1, 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        assert_int_equal(site_record_format(&cases[i], buf, sizeof buf), 0);
        site_record r;
        site_record_parse(buf, &r);
        assert_int_equal(r.state, cases[i].state);
        assert_int_equal(r.reason, cases[i].reason);
        assert_int_equal(r.origin, cases[i].origin);
    }
    char small[4];
    assert_int_equal(site_record_format(&cases[0], small, sizeof small), -1);
}

static void test_record_garbage_is_none(void **state)
{
    (void)state;
    const char *bad[] = {NULL,        "",          "routed",       "routed x", "bogus 1",
                         "skipped 3", "routed -1", "skipped -2 0", "none 0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        site_record r = {SITE_ROUTED, 1, 1};
        site_record_parse(bad[i], &r);
        assert_int_equal(r.state, SITE_NONE);
    }
}

static void test_key(void **state)
{
    (void)state;
    char k[64];
    assert_int_equal(site_record_key("p-1", "ABC1", k, sizeof k), 0);
    assert_string_equal(k, "rnr:site:p-1:ABC1");
    assert_int_equal(site_record_key("p-1", "ABC1", k, 8), -1);
}

/* The plan for a ledger entry {state, reason, origin} seen by a delivery
 * of origin `delivery`. */
static site_plan plan(site_state state, int reason, int origin, int delivery, int *attempt)
{
    site_record have = {state, reason, origin};
    return site_plan_for(&have, delivery, attempt);
}

/* A product delivery (origin 0): runs new sites, counts the ones it
 * settled itself before dying, leaves the rest to their owners. */
static void test_plan_product(void **state)
{
    (void)state;
    int attempt = 1;
    assert_int_equal(plan(SITE_NONE, 0, 0, 0, &attempt), SITE_PLAN_RUN);
    /* settled by this delivery (origin 0) */
    assert_int_equal(plan(SITE_ROUTED, 0, 0, 0, &attempt), SITE_PLAN_COUNT);
    assert_int_equal(plan(SITE_SKIPPED, 2, 0, 0, &attempt), SITE_PLAN_COUNT);
    /* owned by follow-ups */
    assert_int_equal(plan(SITE_ROUTED, 0, 2, 0, &attempt), SITE_PLAN_SKIP);
    assert_int_equal(plan(SITE_DEFERRED, 0, 2, 0, &attempt), SITE_PLAN_SKIP);
    assert_int_equal(plan(SITE_DEAD, 0, 3, 0, &attempt), SITE_PLAN_SKIP);
    assert_int_equal(attempt, 1);
}

/* A follow-up delivery of attempt k. */
static void test_plan_followup(void **state)
{
    (void)state;
    int attempt = 3;
    assert_int_equal(plan(SITE_DEFERRED, 0, 3, 3, &attempt), SITE_PLAN_RUN);
    assert_int_equal(plan(SITE_NONE, 0, 0, 3, &attempt), SITE_PLAN_RUN);
    /* settled by this very attempt before its worker died: count, no rerun */
    assert_int_equal(plan(SITE_ROUTED, 0, 3, 3, &attempt), SITE_PLAN_COUNT);
    /* a duplicate follow-up of a site another delivery settled */
    assert_int_equal(plan(SITE_ROUTED, 0, 2, 3, &attempt), SITE_PLAN_SKIP);
    /* settled by the product's delivery */
    assert_int_equal(plan(SITE_FAILED, 0, 0, 3, &attempt), SITE_PLAN_SKIP);
    assert_int_equal(attempt, 3);
    /* its own dead letter, replayed: runs again from attempt 1 */
    assert_int_equal(plan(SITE_DEAD, 0, 3, 3, &attempt), SITE_PLAN_RUN);
    assert_int_equal(attempt, 1);
    attempt = 2;
    assert_int_equal(plan(SITE_DEAD, 0, 3, 2, &attempt), SITE_PLAN_SKIP);
}

static void test_after_failure(void **state)
{
    (void)state;
    int next = 0;
    assert_int_equal(site_after_failure(1, 3, &next), SITE_DEFERRED);
    assert_int_equal(next, 2);
    assert_int_equal(site_after_failure(2, 3, &next), SITE_DEFERRED);
    assert_int_equal(next, 3);
    assert_int_equal(site_after_failure(3, 3, &next), SITE_DEAD);
    assert_int_equal(site_after_failure(9, 3, &next), SITE_DEAD);
    assert_int_equal(site_after_failure(1, 1, &next), SITE_DEAD);
}

/* The whole life of one failing site with a limit of 3, step by step. */
static void test_life_of_a_failing_site(void **state)
{
    (void)state;
    site_record ledger = {SITE_NONE, 0, 0};
    int attempt = 1, next = 0, runs = 0;
    /* the product's delivery */
    assert_int_equal(site_plan_for(&ledger, 0, &attempt), SITE_PLAN_RUN);
    runs++;
    assert_int_equal(site_after_failure(attempt, 3, &next), SITE_DEFERRED);
    ledger = (site_record){SITE_DEFERRED, 0, next};
    /* the product is redelivered meanwhile: it leaves the site alone */
    int a0 = 1;
    assert_int_equal(site_plan_for(&ledger, 0, &a0), SITE_PLAN_SKIP);
    /* follow-ups 2 and 3 */
    for (int k = 2; k <= 3; k++) {
        attempt = k;
        assert_int_equal(site_plan_for(&ledger, k, &attempt), SITE_PLAN_RUN);
        runs++;
        site_state s = site_after_failure(attempt, 3, &next);
        ledger = (site_record){s, 0, s == SITE_DEAD ? k : next};
    }
    assert_int_equal(ledger.state, SITE_DEAD);
    assert_int_equal(runs, 3);
    /* replayed after the fault is gone: runs and is routed */
    attempt = 3;
    assert_int_equal(site_plan_for(&ledger, 3, &attempt), SITE_PLAN_RUN);
    ledger = (site_record){SITE_ROUTED, 0, 3};
    /* a duplicate of the replayed message is counted, never rerun */
    assert_int_equal(site_plan_for(&ledger, 3, &attempt), SITE_PLAN_COUNT);
}

static void test_msg_round_trip(void **state)
{
    (void)state;
    site_msg m = {"p-1", "http://x/products/p-1", "ABC1", 2, "lid ABC1: HTTP 503"};
    char *json = NULL;
    rnr_error e = {0};
    assert_int_equal(site_msg_format(&m, &json, &e), RNR_OK);
    site_msg back;
    assert_int_equal(site_msg_parse(json, strlen(json), &back, &e), RNR_OK);
    assert_string_equal(back.product_id, "p-1");
    assert_string_equal(back.product_url, "http://x/products/p-1");
    assert_string_equal(back.lid, "ABC1");
    assert_int_equal(back.attempt, 2);
    assert_string_equal(back.reason, "lid ABC1: HTTP 503");
    site_msg_clear(&back);
    free(json);
}

static void test_msg_bad(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "[]",
                         "{\"lid\":\"A\",\"attempt\":1}",
                         "{\"id\":\"p\",\"attempt\":1}",
                         "{\"id\":\"p\",\"lid\":\"A\"}",
                         "{\"id\":\"p\",\"lid\":\"A\",\"attempt\":0}",
                         "{\"id\":\"p\",\"lid\":\"\",\"attempt\":1}",
                         "{\"id\":\"p\",\"lid\":\"A\",\"attempt\":\"2\"}",
                         "{\"id\":\"p\",\"lid\":\"A\",\"attempt\":1,\"url\":5}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        site_msg m;
        rnr_error e = {0};
        assert_int_equal(site_msg_parse(bad[i], strlen(bad[i]), &m, &e), RNR_ERR_INVALID);
        assert_non_null(strstr(e.msg, "site message"));
        assert_null(m.lid);
    }
    /* url and reason are optional */
    site_msg m;
    const char *ok = "{\"id\":\"p\",\"lid\":\"A\",\"attempt\":4}";
    assert_int_equal(site_msg_parse(ok, strlen(ok), &m, NULL), RNR_OK);
    assert_string_equal(m.product_url, "");
    site_msg_clear(&m);
}

static void test_proc_identity(void **state)
{
    (void)state;
    proc_identity me;
    assert_int_equal(proc_identity_self(&me), 0);
    assert_int_equal(proc_identity_gone(&me), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    proc_identity c = me;
    c.pid = child;
    c.start_ticks = proc_start_ticks(child);
    /* exited but not reaped (a zombie) already counts as gone */
    int status;
    for (int i = 0; i < 1000 && !proc_identity_gone(&c); i++)
        usleep(1000);
    assert_int_equal(proc_identity_gone(&c), 1);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(proc_identity_gone(&c), 1);
    /* a pid alive with another start time is a reused pid */
    proc_identity reused = me;
    reused.start_ticks = me.start_ticks + 1;
    assert_int_equal(proc_identity_gone(&reused), 1);
    /* another boot or pid namespace: not ours to judge */
    proc_identity other = c;
    strcpy(other.boot_id, "00000000-0000-0000-0000-000000000000");
    assert_int_equal(proc_identity_gone(&other), 0);
    other = c;
    other.pidns++;
    assert_int_equal(proc_identity_gone(&other), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_round_trip),
        cmocka_unit_test(test_record_garbage_is_none),
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_plan_product),
        cmocka_unit_test(test_plan_followup),
        cmocka_unit_test(test_after_failure),
        cmocka_unit_test(test_life_of_a_failing_site),
        cmocka_unit_test(test_msg_round_trip),
        cmocka_unit_test(test_msg_bad),
        cmocka_unit_test(test_proc_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
