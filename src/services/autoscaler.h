/* autoscaler.h - one autoscaler evaluation against real ports: queue depth
 * (ready + unacked of the one queue), running workers from the fleet, the
 * BacklogPerTask metric published (namespace ECS/Service/RabbitMQ,
 * dimensions ClusterName, ServiceName, QueueName) with DeadLetterDepth,
 * and the policy of scaling.h applied when the fleet can be scaled from
 * here (the local supervisor; on ECS the CloudWatch alarms scale). */
#ifndef RNR_SERVICES_AUTOSCALER_H
#define RNR_SERVICES_AUTOSCALER_H

#include <stdint.h>

#include "core/error.h"
#include "ports/queue.h"
#include "ports/telemetry.h"
#include "services/config.h"
#include "services/scaling.h"

typedef struct autoscaler autoscaler;

typedef struct autoscaler_result {
    int64_t depth; /* ready + unacked */
    int64_t dead;  /* dead letters, -1 unknown */
    int running;
    scaling_decision decision;
    int applied; /* set_desired was called */
} autoscaler_result;

/* Borrows queue, fleet and metrics (caller owns them); policy NULL means
 * the defaults with the environment's overrides (scaling_policy_from_env). */
int autoscaler_new(rnr_queue *q, rnr_fleet *fleet, rnr_metrics *metrics, const rnr_config *cfg,
                   const scaling_policy *policy, autoscaler **out, rnr_error *err);
int autoscaler_evaluate(autoscaler *a, int64_t now, autoscaler_result *out, rnr_error *err);
void autoscaler_free(autoscaler *a);

/* Keep the scaling state (streaks, last change) in a small JSON file at
 * path between processes: each Lambda invocation or `rnr autoscaler --once`
 * is a new process, and without it a streak could never reach two periods.
 * The file is read now (missing = fresh state; unreadable or malformed =
 * fresh state with a warning) and rewritten atomically after every
 * evaluation: {"high_streak":N,"low_streak":N,"last_change":EPOCH_S}. */
int autoscaler_use_state_file(autoscaler *a, const char *path, rnr_error *err);
/* The state the next evaluation starts from. */
void autoscaler_get_state(const autoscaler *a, scaling_state *out);

#endif
