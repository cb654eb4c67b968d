/* scaling.h - the autoscaling policy: backlog per worker -> desired workers.
 *
 * The reference's step scaling (CloudWatch alarms on BacklogPerTask): +1
 * when the backlog per worker stays >= the scale-out threshold for N
 * evaluation periods, cooldown 60 s; -1 when it stays below, cooldown
 * 120 s; min 1, max 6. Unlike the reference, scale-in needs the backlog to
 * fall below a lower threshold (a hysteresis band), so a backlog hovering
 * at the scale-out threshold cannot make the pool flap. Pure logic: the
 * caller feeds observations and applies the decision. */
#ifndef RNR_SERVICES_SCALING_H
#define RNR_SERVICES_SCALING_H

#include <stddef.h>
#include <stdint.h>

typedef struct scaling_policy {
    double out_threshold;   /* backlog per worker that asks for one more (100) */
    double in_threshold;    /* backlog per worker below which one goes (50) */
    int out_periods;        /* consecutive periods at/above out_threshold (2) */
    int in_periods;         /* consecutive periods below in_threshold (2) */
    int64_t period_s;       /* evaluation period (60) */
    int64_t out_cooldown_s; /* after a scale-out (60) */
    int64_t in_cooldown_s;  /* after a scale-in (120) */
    int min_workers;        /* 1 */
    int max_workers;        /* 6 */
    int step;               /* workers added or removed per decision (1) */
} scaling_policy;

typedef struct scaling_state {
    int high_streak;
    int low_streak;
    int64_t last_change; /* epoch seconds of the last scaling action, 0 = never */
} scaling_state;

typedef struct scaling_decision {
    double backlog_per_worker;
    int desired;        /* workers wanted after this evaluation */
    int delta;          /* desired - running */
    const char *reason; /* "scale-out", "scale-in", "cooldown", "steady", "min", "max" */
} scaling_decision;

void scaling_policy_defaults(scaling_policy *p);
/* Defaults overridden by RNR_SCALE_OUT_BACKLOG, RNR_SCALE_IN_BACKLOG,
 * RNR_SCALE_OUT_PERIODS, RNR_SCALE_IN_PERIODS, RNR_SCALE_PERIOD_SECONDS,
 * RNR_SCALE_OUT_COOLDOWN_SECONDS, RNR_SCALE_IN_COOLDOWN_SECONDS,
 * RNR_SCALE_STEP, RNR_MIN_WORKERS and RNR_MAX_WORKERS, then checked.
 * 0, or -1 with msg naming the variable or the incoherence. */
int scaling_policy_from_env(scaling_policy *p, char *msg, size_t n);
/* Check the policy is coherent (in < out, min <= max, ...); 0 or -1 with msg. */
int scaling_policy_check(const scaling_policy *p, char *msg, size_t n);
/* Backlog per worker as the reference computes it (running 0 counts as 1). */
double scaling_backlog(int64_t depth, int running);
/* One evaluation at time `now`. */
void scaling_evaluate(const scaling_policy *p, scaling_state *st, int64_t depth, int running,
                      int64_t now, scaling_decision *out);

#endif
