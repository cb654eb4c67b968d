/* test_autoscaler_eval.c - autoscaler evaluations on a SQLite queue, a
 * recording fake fleet and a metrics file: the decision sequence, the
 * metric and its dimensions, ECS-style fleets, the persisted state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/backends.h"
#include "services/producer/producer_testutil.h"
#include "services/autoscaler.h"

typedef struct fake_fleet {
    int running;
    int calls;
    int last_desired;
} fake_fleet;

static int ff_running(void *self, int *running, rnr_error *err)
{
    (void)err;
    *running = ((fake_fleet *)self)->running;
    return RNR_OK;
}

static int ff_set_desired(void *self, int n, rnr_error *err)
{
    (void)err;
    fake_fleet *f = self;
    f->calls++;
    f->last_desired = n;
    f->running = n; /* the supervisor starts/stops them at once */
    return RNR_OK;
}

static const fleet_ops ff_ops = {ff_running, ff_set_desired, NULL};
static const fleet_ops ecs_like_ops = {ff_running, NULL, NULL};

typedef struct fx {
    char *dir;
    rnr_config cfg;
    rnr_queue *q;
    rnr_metrics *m;
    char mpath[600];
} fx;

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_tempdir("autoscaler");
    pt_config(&f->cfg, f->dir);
    rnr_error e;
    if (backend_open_queue(f->cfg.queue_url, "hml_files", &f->q, &e) != RNR_OK)
        return -1;
    snprintf(f->mpath, sizeof f->mpath, "%s/m.jsonl", f->dir);
    char url[700];
    snprintf(url, sizeof url, "file://%s", f->mpath);
    if (backend_open_metrics(url, &f->m, &e) != RNR_OK)
        return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    queue_free(f->q);
    metrics_free(f->m);
    pt_config_clear(&f->cfg);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void fill(rnr_queue *q, int n)
{
    rnr_error e;
    for (int i = 0; i < n; i++) {
        char body[64];
        int len = snprintf(body, sizeof body, "{\"id\":\"m%d\"}", i);
        assert_int_equal(queue_publish(q, body, (size_t)len, NULL, &e), RNR_OK);
    }
}

static void drain(rnr_queue *q, int n)
{
    rnr_error e;
    for (int i = 0; i < n; i++) {
        queue_message m;
        assert_int_equal(queue_get(q, 0, &m, &e), RNR_OK);
        assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
        queue_message_clear(&m);
    }
}

typedef struct step {
    int64_t t;
    int drain; /* messages consumed before this evaluation */
    const char *reason;
    int desired;
} step;

static void test_decision_sequence(void **state)
{
    fx *f = *state;
    fake_fleet fl = {1, 0, 0};
    rnr_fleet fleet = {&ff_ops, &fl};
    autoscaler *a;
    rnr_error e;
    assert_int_equal(autoscaler_new(f->q, &fleet, f->m, &f->cfg, NULL, &a, &e), RNR_OK);
    fill(f->q, 250);
    const step seq[] = {
        {1000, 0, "steady", 1},    {1060, 0, "scale-out", 2}, {1120, 0, "steady", 2},
        {1180, 0, "scale-out", 3}, {1240, 0, "steady", 3},    {1250, 0, "steady", 3},
        {1260, 240, "steady", 3}, /* 10/3 = 3.3: first low period */
        {1270, 0, "cooldown", 3}, /* second low period, 90 s < 120 s after the change */
        {1300, 0, "scale-in", 2}, /* 120 s after the change */
        {1360, 0, "steady", 2},   /* streak restarted */
        {1400, 0, "cooldown", 2}, /* 100 s < 120 s */
        {1420, 0, "scale-in", 1},  {1480, 0, "steady", 1},    {1540, 0, "steady", 1}, /* min */
    };
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        if (seq[i].drain)
            drain(f->q, seq[i].drain);
        autoscaler_result r;
        assert_int_equal(autoscaler_evaluate(a, seq[i].t, &r, &e), RNR_OK);
        assert_string_equal(r.decision.reason, seq[i].reason);
        assert_int_equal(r.decision.desired, seq[i].desired);
        assert_int_equal(r.applied, strcmp(seq[i].reason, "scale-out") == 0 ||
                                        strcmp(seq[i].reason, "scale-in") == 0);
        assert_int_equal(fl.running, seq[i].desired);
    }
    assert_int_equal(fl.calls, 4);
    autoscaler_free(a);

    /* the metric file: BacklogPerTask with the three dimensions per evaluation */
    char *text = tu_read_file(f->mpath, NULL);
    assert_non_null(text);
    int backlog = 0, dead = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        assert_non_null(o);
        assert_string_equal(json_string_value(json_object_get(o, "namespace")),
                            "ECS/Service/RabbitMQ");
        assert_string_equal(json_string_value(json_object_get(o, "unit")), "Count");
        json_t *d = json_object_get(o, "dimensions");
        assert_string_equal(json_string_value(json_object_get(d, "ClusterName")), "rnr-cluster");
        assert_string_equal(json_string_value(json_object_get(d, "ServiceName")), "rnr-worker");
        assert_string_equal(json_string_value(json_object_get(d, "QueueName")), "hml_files");
        const char *name = json_string_value(json_object_get(o, "name"));
        double v = json_number_value(json_object_get(o, "value"));
        if (strcmp(name, "BacklogPerTask") == 0) {
            if (backlog == 0)
                assert_float_equal(v, 250.0, 1e-9);
            if (backlog == 2)
                assert_float_equal(v, 125.0, 1e-9);
            backlog++;
        } else {
            assert_string_equal(name, "DeadLetterDepth");
            assert_float_equal(v, 0.0, 1e-9);
            dead++;
        }
        json_decref(o);
    }
    assert_int_equal(backlog, (int)(sizeof seq / sizeof seq[0]));
    assert_int_equal(dead, backlog);
    free(text);
}

static void test_ecs_fleet_is_not_scaled_here(void **state)
{
    fx *f = *state;
    fake_fleet fl = {2, 0, 0};
    rnr_fleet fleet = {&ecs_like_ops, &fl};
    autoscaler *a;
    rnr_error e;
    assert_int_equal(autoscaler_new(f->q, &fleet, f->m, &f->cfg, NULL, &a, &e), RNR_OK);
    fill(f->q, 500);
    autoscaler_result r;
    assert_int_equal(autoscaler_evaluate(a, 100, &r, &e), RNR_OK);
    assert_int_equal(autoscaler_evaluate(a, 160, &r, &e), RNR_OK);
    assert_int_equal(r.depth, 500);
    assert_int_equal(r.running, 2);
    assert_float_equal(r.decision.backlog_per_worker, 250.0, 1e-9);
    assert_string_equal(r.decision.reason, "scale-out");
    assert_int_equal(r.decision.desired, 3);
    assert_int_equal(r.applied, 0);
    assert_int_equal(fl.running, 2);
    autoscaler_free(a);
}

static void test_state_survives_processes(void **state)
{
    fx *f = *state;
    fake_fleet fl = {1, 0, 0};
    rnr_fleet fleet = {&ff_ops, &fl};
    char path[700];
    snprintf(path, sizeof path, "%s/autoscaler-state.json", f->dir);
    fill(f->q, 150);
    rnr_error e;
    autoscaler_result r;
    autoscaler *a;
    assert_int_equal(autoscaler_new(f->q, &fleet, f->m, &f->cfg, NULL, &a, &e), RNR_OK);
    assert_int_equal(autoscaler_use_state_file(a, path, &e), RNR_OK);
    assert_int_equal(autoscaler_evaluate(a, 5000, &r, &e), RNR_OK);
    assert_string_equal(r.decision.reason, "steady");
    autoscaler_free(a);
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    assert_string_equal(text, "{\"high_streak\":1,\"low_streak\":0,\"last_change\":0}\n");
    free(text);

    /* a new process (Lambda invocation) continues the streak */
    assert_int_equal(autoscaler_new(f->q, &fleet, f->m, &f->cfg, NULL, &a, &e), RNR_OK);
    assert_int_equal(autoscaler_use_state_file(a, path, &e), RNR_OK);
    assert_int_equal(autoscaler_evaluate(a, 5060, &r, &e), RNR_OK);
    assert_string_equal(r.decision.reason, "scale-out");
    assert_int_equal(r.applied, 1);
    assert_int_equal(fl.running, 2);
    scaling_state st;
    autoscaler_get_state(a, &st);
    assert_int_equal(st.last_change, 5060);
    autoscaler_free(a);

    /* a malformed file is a fresh start, not an error */
    assert_int_equal(tu_write_file(path, "{not json"), 0);
    assert_int_equal(autoscaler_new(f->q, &fleet, f->m, &f->cfg, NULL, &a, &e), RNR_OK);
    assert_int_equal(autoscaler_use_state_file(a, path, &e), RNR_OK);
    autoscaler_get_state(a, &st);
    assert_int_equal(st.high_streak, 0);
    assert_int_equal(st.last_change, 0);
    autoscaler_free(a);
}

/* A queue that cannot count unacked deliveries. */
static int blind_depth(void *self, queue_depth *out, rnr_error *err)
{
    (void)self;
    (void)err;
    *out = (queue_depth){120, -1, -1};
    return RNR_OK;
}

static void test_unknown_unacked_counts_as_zero(void **state)
{
    fx *f = *state;
    static const queue_ops ops = {.depth = blind_depth};
    rnr_queue q = {&ops, NULL};
    fake_fleet fl = {1, 0, 0};
    rnr_fleet fleet = {&ff_ops, &fl};
    autoscaler *a;
    rnr_error e;
    assert_int_equal(autoscaler_new(&q, &fleet, f->m, &f->cfg, NULL, &a, &e), RNR_OK);
    autoscaler_result r;
    assert_int_equal(autoscaler_evaluate(a, 10, &r, &e), RNR_OK);
    assert_int_equal(r.depth, 120);
    assert_int_equal(r.dead, -1);
    autoscaler_free(a);
    /* dead unknown: only BacklogPerTask was written */
    char *text = tu_read_file(f->mpath, NULL);
    assert_int_equal(tu_count(text, "BacklogPerTask"), 1);
    assert_int_equal(tu_count(text, "DeadLetterDepth"), 0);
    free(text);
}

static void test_bad_policy_is_refused(void **state)
{
    fx *f = *state;
    scaling_policy p;
    scaling_policy_defaults(&p);
    p.in_threshold = 200;
    fake_fleet fl = {1, 0, 0};
    rnr_fleet fleet = {&ff_ops, &fl};
    autoscaler *a;
    rnr_error e;
    assert_int_equal(autoscaler_new(f->q, &fleet, f->m, &f->cfg, &p, &a, &e), RNR_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "scale-in threshold"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_decision_sequence, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ecs_fleet_is_not_scaled_here, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_state_survives_processes, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_unacked_counts_as_zero, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_policy_is_refused, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
