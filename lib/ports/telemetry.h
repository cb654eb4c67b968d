/* telemetry.h - the secrets, metrics and worker-fleet ports.
 *
 * secrets: a named secret's string value (environment / file embedded,
 * AWS Secrets Manager in production). metrics: publish one data point
 * (in-process log embedded, CloudWatch PutMetricData in production).
 * fleet: how many workers run and how many are wanted (the in-process
 * supervisor embedded, ECS DescribeServices in production). */
#ifndef RNR_PORTS_TELEMETRY_H
#define RNR_PORTS_TELEMETRY_H

#include <stddef.h>

#include "core/error.h"

typedef struct secrets_ops {
    /* *value = malloc'd secret string. Never log it. */
    int (*get)(void *self, const char *name, char **value, rnr_error *err);
    void (*close)(void *self);
} secrets_ops;

typedef struct rnr_secrets {
    const secrets_ops *ops;
    void *self;
} rnr_secrets;

typedef struct metric_dim {
    const char *name;
    const char *value;
} metric_dim;

typedef struct metrics_ops {
    int (*put)(void *self, const char *ns, const char *name, double value, const char *unit,
               const metric_dim *dims, size_t ndims, rnr_error *err);
    void (*close)(void *self);
} metrics_ops;

typedef struct rnr_metrics {
    const metrics_ops *ops;
    void *self;
} rnr_metrics;

typedef struct fleet_ops {
    int (*running)(void *self, int *running, rnr_error *err);
    /* Ask for n workers; NULL when scaling is done elsewhere (ECS alarms). */
    int (*set_desired)(void *self, int n, rnr_error *err);
    void (*close)(void *self);
} fleet_ops;

typedef struct rnr_fleet {
    const fleet_ops *ops;
    void *self;
} rnr_fleet;

/* Opens the deployment's secrets backend when a secret is first needed
 * (an adapter resolving its own credentials gets one from the composition
 * root, so a deployment without secrets never needs that backend). */
typedef int (*secrets_open_fn)(rnr_secrets **out, rnr_error *err);

int secrets_get(rnr_secrets *s, const char *name, char **value, rnr_error *err);
void secrets_free(rnr_secrets *s);
int metrics_put(rnr_metrics *m, const char *ns, const char *name, double value, const char *unit,
                const metric_dim *dims, size_t ndims, rnr_error *err);
void metrics_free(rnr_metrics *m);
int fleet_running(rnr_fleet *f, int *running, rnr_error *err);
int fleet_set_desired(rnr_fleet *f, int n, rnr_error *err);
void fleet_free(rnr_fleet *f);

#endif
