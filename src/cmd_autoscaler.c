/* cmd_autoscaler.c - `rnr autoscaler`: one evaluation of the scaling
 * policy against the configured queue, metrics backend and fleet.
 *
 * Fleet: ECS (DescribeServices; the CloudWatch alarms on BacklogPerTask do
 * the scaling) when ECS_CLUSTER_NAME and ECS_SERVICE_NAME are set, else a
 * fixed count given by --running N, for an operator asking "what would the
 * policy do". The streaks survive between runs in
 * {state_dir}/autoscaler-state.json (see autoscaler.h). */
#include "command.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ports/backends.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "services/autoscaler.h"
#include "services/config.h"

typedef struct fixed_fleet {
    int running;
} fixed_fleet;

static int fixed_running(void *self, int *running, rnr_error *err)
{
    (void)err;
    *running = ((fixed_fleet *)self)->running;
    return RNR_OK;
}

static void fixed_close(void *self)
{
    (void)self;
}

static const fleet_ops fixed_ops = {fixed_running, NULL, fixed_close};

typedef struct autoscaler_flags {
    int running; /* -1: not given */
    const char *state_dir, *queue;
} autoscaler_flags;

static int autoscaler_parse(int argc, char **argv, autoscaler_flags *f)
{
    memset(f, 0, sizeof *f);
    f->running = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = cmd_flag_name(argv[i]), *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--once"))
            continue;
        if (strcmp(a, "--state-dir") && strcmp(a, "--queue-url") && strcmp(a, "--running"))
            return cmd_usage_error("autoscaler", "unknown argument \"%s\"", argv[i]);
        if (!v || !*v)
            return cmd_usage_error("autoscaler", "%s needs a value", argv[i]);
        i++;
        if (!strcmp(a, "--state-dir")) {
            f->state_dir = v;
        } else if (!strcmp(a, "--queue-url")) {
            f->queue = v;
        } else {
            char *end = NULL;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (errno || *end || n < 0 || n > 10000)
                return cmd_usage_error("autoscaler", "--running needs 0..10000, got \"%s\"", v);
            f->running = (int)n;
        }
    }
    return 0;
}

static int open_metrics(const rnr_config *c, rnr_metrics **m, rnr_error *err)
{
    /* cloudwatch: takes its region from AWS_REGION, as the config does */
    return backend_open_metrics(c->metrics_url ? c->metrics_url : "log:", m, err);
}

static int open_fleet(const rnr_config *c, int running, fixed_fleet *ff, rnr_fleet **out,
                      rnr_error *err)
{
    if (c->ecs_cluster && c->ecs_service)
        return backend_open_fleet(c->ecs_cluster, c->ecs_service, out, err);
    if (running < 0)
        return rnr_error_set(err, RNR_ERR_CONFIG,
                             "no fleet: set ECS_CLUSTER_NAME and "
                             "ECS_SERVICE_NAME, or give --running N");
    ff->running = running;
    *out = malloc(sizeof **out);
    if (!*out)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    (*out)->ops = &fixed_ops;
    (*out)->self = ff;
    return RNR_OK;
}

static int autoscaler_once(const rnr_config *cfg, int running, rnr_error *err)
{
    rnr_queue *q = NULL;
    rnr_metrics *m = NULL;
    rnr_fleet *fl = NULL;
    autoscaler *a = NULL;
    fixed_fleet ff = {0};
    int rc = backend_open_queue(cfg->queue_url, cfg->queue_name, &q, err);
    if (rc == RNR_OK)
        rc = open_metrics(cfg, &m, err);
    if (rc == RNR_OK)
        rc = open_fleet(cfg, running, &ff, &fl, err);
    if (rc == RNR_OK)
        rc = autoscaler_new(q, fl, m, cfg, NULL, &a, err);
    if (rc == RNR_OK) {
        char path[1200];
        snprintf(path, sizeof path, "%s/autoscaler-state.json", cfg->state_dir);
        rc = autoscaler_use_state_file(a, path, err);
    }
    autoscaler_result r;
    if (rc == RNR_OK)
        rc = autoscaler_evaluate(a, time_now(), &r, err);
    if (rc == RNR_OK)
        printf("depth=%lld dead=%lld running=%d backlog_per_task=%.2f desired=%d reason=%s "
               "applied=%d\n",
               (long long)r.depth, (long long)r.dead, r.running, r.decision.backlog_per_worker,
               r.decision.desired, r.decision.reason, r.applied);
    autoscaler_free(a);
    fleet_free(fl);
    metrics_free(m);
    queue_free(q);
    return rc;
}

static int autoscaler_main(int argc, char **argv)
{
    autoscaler_flags f;
    if (autoscaler_parse(argc, argv, &f))
        return 2;
    rnr_config cfg;
    if (cmd_load_config("autoscaler", f.state_dir, &cfg))
        return 1;
    rnr_error err = {0};
    int rc = f.queue ? config_set(&cfg.queue_url, f.queue) : RNR_OK;
    if (rc == RNR_OK)
        rc = autoscaler_once(&cfg, f.running, &err);
    config_clear(&cfg);
    if (rc != RNR_OK) {
        log_fatal("autoscaler", "%s", err.msg);
        return 1;
    }
    return 0;
}

const rnr_command cmd_autoscaler = {
    "autoscaler", "evaluate the worker scaling policy once and publish BacklogPerTask",
    "usage: rnr autoscaler [--once] [--state-dir D] [--queue-url URL] [--running N]\n\n"
    "Reads the queue depth (ready + unacked) and the running workers, publishes\n"
    "BacklogPerTask (and DeadLetterDepth) to RNR_METRICS_URL (log: default,\n"
    "file:///abs/m.jsonl, cloudwatch:) under ECS/Service/RabbitMQ with ClusterName,\n"
    "ServiceName and QueueName, and prints the policy's decision.\n\n"
    "Workers: ECS DescribeServices when ECS_CLUSTER_NAME and ECS_SERVICE_NAME are\n"
    "set (the CloudWatch alarms scale that service), else --running N. Streaks and\n"
    "the last change persist in {state_dir}/autoscaler-state.json between runs.\n"
    "--queue-url is RNR_QUEUE_URL (old name --queue).\n",
    autoscaler_main};
