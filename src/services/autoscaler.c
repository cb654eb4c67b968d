/* autoscaler.c - one evaluation: queue depth and running workers in,
 * BacklogPerTask out, the scaling policy applied where this process may
 * scale (the local supervisor); on ECS the alarms on the metric scale.
 *
 * A failed metric write does not stop the scaling decision (the local pool
 * must keep following the backlog), but the evaluation then returns the
 * metric's error so the scheduler reports it. */
#include "services/autoscaler.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/durable.h"
#include "core/log.h"

#define AUTOSCALER_NS "ECS/Service/RabbitMQ"

struct autoscaler {
    rnr_queue *queue;
    rnr_fleet *fleet;
    rnr_metrics *metrics;
    const rnr_config *cfg;
    scaling_policy policy;
    scaling_state state;
    char *state_path;
};

int autoscaler_new(rnr_queue *q, rnr_fleet *fleet, rnr_metrics *metrics, const rnr_config *cfg,
                   const scaling_policy *policy, autoscaler **out, rnr_error *err)
{
    *out = NULL;
    scaling_policy pol;
    char msg[160];
    if (policy)
        pol = *policy;
    else if (scaling_policy_from_env(&pol, msg, sizeof msg) != 0)
        return rnr_error_set(err, RNR_ERR_CONFIG, "autoscaler: scaling policy: %s", msg);
    if (scaling_policy_check(&pol, msg, sizeof msg) != 0)
        return rnr_error_set(err, RNR_ERR_CONFIG, "autoscaler: scaling policy: %s", msg);
    autoscaler *a = calloc(1, sizeof *a);
    if (!a)
        return rnr_error_set(err, RNR_ERR_NOMEM, "autoscaler: out of memory");
    *a = (autoscaler){q, fleet, metrics, cfg, pol, {0, 0, 0}, NULL};
    *out = a;
    return RNR_OK;
}

void autoscaler_free(autoscaler *a)
{
    if (!a)
        return;
    free(a->state_path);
    free(a);
}

void autoscaler_get_state(const autoscaler *a, scaling_state *out)
{
    *out = a->state;
}

static void autoscaler_state_load(autoscaler *a)
{
    json_error_t je;
    FILE *f = fopen(a->state_path, "r");
    if (!f)
        return; /* first evaluation */
    json_t *o = json_loadf(f, 0, &je);
    fclose(f);
    json_t *hs = json_object_get(o, "high_streak"), *ls = json_object_get(o, "low_streak"),
           *lc = json_object_get(o, "last_change");
    if (!json_is_integer(hs) || !json_is_integer(ls) || !json_is_integer(lc)) {
        log_warn("autoscaler", "state file %s is malformed; starting from a fresh state",
                 a->state_path);
    } else {
        a->state.high_streak = (int)json_integer_value(hs);
        a->state.low_streak = (int)json_integer_value(ls);
        a->state.last_change = (int64_t)json_integer_value(lc);
    }
    json_decref(o);
}

/* Rewritten every evaluation and harmless to lose (the streaks start
 * again): atomic, not fsync'd. */
static int autoscaler_state_save(const autoscaler *a, rnr_error *err)
{
    char buf[160];
    int n =
        snprintf(buf, sizeof buf, "{\"high_streak\":%d,\"low_streak\":%d,\"last_change\":%lld}\n",
                 a->state.high_streak, a->state.low_streak, (long long)a->state.last_change);
    assert(n > 0 && (size_t)n < sizeof buf);
    int rc = durable_write_file(a->state_path, buf, (size_t)n, NULL, err);
    if (rc != RNR_OK)
        rnr_error_prefix(err, "autoscaler: cannot write state file");
    return rc;
}

int autoscaler_use_state_file(autoscaler *a, const char *path, rnr_error *err)
{
    if (!path || !*path || strlen(path) > 1000)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "autoscaler: state file path is empty or too long");
    char *p = strdup(path);
    if (!p)
        return rnr_error_set(err, RNR_ERR_NOMEM, "autoscaler: out of memory");
    free(a->state_path);
    a->state_path = p;
    autoscaler_state_load(a);
    return RNR_OK;
}

static int autoscaler_publish(autoscaler *a, double backlog, int64_t dead, rnr_error *err)
{
    const rnr_config *c = a->cfg;
    metric_dim dims[3] = {{"ClusterName", c->ecs_cluster ? c->ecs_cluster : "rnr"},
                          {"ServiceName", c->ecs_service ? c->ecs_service : "rnr-worker"},
                          {"QueueName", c->queue_name ? c->queue_name : "hml_files"}};
    int rc =
        metrics_put(a->metrics, AUTOSCALER_NS, "BacklogPerTask", backlog, "Count", dims, 3, err);
    if (rc == RNR_OK && dead >= 0)
        rc = metrics_put(a->metrics, AUTOSCALER_NS, "DeadLetterDepth", (double)dead, "Count", dims,
                         3, err);
    if (rc != RNR_OK)
        rnr_error_prefix(err, "autoscaler: metric");
    return rc;
}

/* Ask the fleet for the decision; an ECS fleet answers UNSUPPORTED
 * because its alarms scale it, which is not a failure. */
static int autoscaler_apply(autoscaler *a, autoscaler_result *r, rnr_error *err)
{
    if (r->decision.delta == 0)
        return RNR_OK;
    rnr_error e;
    int rc = fleet_set_desired(a->fleet, r->decision.desired, &e);
    if (rc == RNR_ERR_UNSUPPORTED) {
        log_info("autoscaler", "%s; wanted %d workers (%s)", e.msg, r->decision.desired,
                 r->decision.reason);
        return RNR_OK;
    }
    if (rc != RNR_OK) {
        if (err)
            *err = e;
        return rnr_error_prefix(err, "autoscaler: set desired %d", r->decision.desired);
    }
    r->applied = 1;
    return RNR_OK;
}

int autoscaler_evaluate(autoscaler *a, int64_t now, autoscaler_result *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    out->dead = -1;
    queue_depth d;
    int rc = queue_get_depth(a->queue, &d, err);
    if (rc != RNR_OK)
        return rnr_error_prefix(err, "autoscaler: queue depth");
    int64_t unacked = d.unacked;
    if (unacked < 0) {
        log_info("autoscaler", "unacked count unknown for this queue; counting ready only");
        unacked = 0;
    }
    out->depth = d.ready + unacked;
    out->dead = d.dead;
    rc = fleet_running(a->fleet, &out->running, err);
    if (rc != RNR_OK)
        return rnr_error_prefix(err, "autoscaler: running workers");
    scaling_evaluate(&a->policy, &a->state, out->depth, out->running, now, &out->decision);
    rnr_error merr;
    int mrc = autoscaler_publish(a, out->decision.backlog_per_worker, out->dead, &merr);
    if (mrc != RNR_OK)
        log_error("autoscaler", "%s", merr.msg);
    rc = autoscaler_apply(a, out, err);
    if (a->state_path) {
        rnr_error serr;
        if (autoscaler_state_save(a, &serr) != RNR_OK)
            log_warn("autoscaler", "%s", serr.msg);
    }
    log_info("autoscaler",
             "depth=%lld dead=%lld running=%d backlog_per_task=%.2f desired=%d "
             "(%s)%s",
             (long long)out->depth, (long long)out->dead, out->running,
             out->decision.backlog_per_worker, out->decision.desired, out->decision.reason,
             out->applied ? " applied" : "");
    if (rc != RNR_OK)
        return rc;
    if (mrc != RNR_OK) {
        if (err)
            *err = merr;
        return mrc;
    }
    return RNR_OK;
}
