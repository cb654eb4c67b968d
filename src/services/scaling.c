/* scaling.c - step scaling with streaks, cooldowns and a hysteresis band. */
#include "services/scaling.h"

#include "core/envutil.h"

#include <stdio.h>
#include <stdlib.h>

void scaling_policy_defaults(scaling_policy *p)
{
    *p = (scaling_policy){.out_threshold = 100,
                          .in_threshold = 50,
                          .out_periods = 2,
                          .in_periods = 2,
                          .period_s = 60,
                          .out_cooldown_s = 60,
                          .in_cooldown_s = 120,
                          .min_workers = 1,
                          .max_workers = 6,
                          .step = 1};
}

int scaling_policy_from_env(scaling_policy *p, char *msg, size_t n)
{
    scaling_policy_defaults(p);
    double v[10] = {p->out_threshold,         p->in_threshold,
                    p->out_periods,           p->in_periods,
                    (double)p->period_s,      (double)p->out_cooldown_s,
                    (double)p->in_cooldown_s, p->step,
                    p->min_workers,           p->max_workers};
    static const struct {
        const char *name;
        double min, max;
    } vars[10] = {{"RNR_SCALE_OUT_BACKLOG", 0, 1e9},
                  {"RNR_SCALE_IN_BACKLOG", 0, 1e9},
                  {"RNR_SCALE_OUT_PERIODS", 1, 1000},
                  {"RNR_SCALE_IN_PERIODS", 1, 1000},
                  {"RNR_SCALE_PERIOD_SECONDS", 1, 86400},
                  {"RNR_SCALE_OUT_COOLDOWN_SECONDS", 0, 86400},
                  {"RNR_SCALE_IN_COOLDOWN_SECONDS", 0, 86400},
                  {"RNR_SCALE_STEP", 1, 1000},
                  {"RNR_MIN_WORKERS", 0, 1000},
                  {"RNR_MAX_WORKERS", 1, 1000}};
    for (int i = 0; i < 10; i++) {
        rnr_error e;
        if (env_number(vars[i].name, v[i], vars[i].min, vars[i].max, &v[i], &e) != RNR_OK) {
            snprintf(msg, n, "%s", e.msg);
            return -1;
        }
    }
    p->out_threshold = v[0];
    p->in_threshold = v[1];
    p->out_periods = (int)v[2];
    p->in_periods = (int)v[3];
    p->period_s = (int64_t)v[4];
    p->out_cooldown_s = (int64_t)v[5];
    p->in_cooldown_s = (int64_t)v[6];
    p->step = (int)v[7];
    p->min_workers = (int)v[8];
    p->max_workers = (int)v[9];
    return scaling_policy_check(p, msg, n);
}

int scaling_policy_check(const scaling_policy *p, char *msg, size_t n)
{
    const char *bad = NULL;
    if (p->min_workers < 0)
        bad = "min workers must be >= 0";
    else if (p->max_workers < p->min_workers || p->max_workers < 1)
        bad = "max workers must be >= min workers and >= 1";
    else if (!(p->in_threshold < p->out_threshold))
        bad = "the scale-in threshold must be below the scale-out threshold";
    else if (p->in_threshold < 0)
        bad = "the scale-in threshold must be >= 0";
    else if (p->out_periods < 1 || p->in_periods < 1)
        bad = "evaluation periods must be >= 1";
    else if (p->step < 1)
        bad = "the step must be >= 1";
    else if (p->period_s < 1 || p->out_cooldown_s < 0 || p->in_cooldown_s < 0)
        bad = "period must be >= 1 s and cooldowns >= 0";
    if (bad) {
        snprintf(msg, n, "%s", bad);
        return -1;
    }
    return 0;
}

double scaling_backlog(int64_t depth, int running)
{
    return (double)(depth < 0 ? 0 : depth) / (double)(running < 1 ? 1 : running);
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void scaling_evaluate(const scaling_policy *p, scaling_state *st, int64_t depth, int running,
                      int64_t now, scaling_decision *out)
{
    double b = scaling_backlog(depth, running);
    out->backlog_per_worker = b;
    out->desired = clamp(running, p->min_workers, p->max_workers);
    out->reason = out->desired > running ? "min" : out->desired < running ? "max" : "steady";

    st->high_streak = b >= p->out_threshold ? st->high_streak + 1 : 0;
    st->low_streak = b < p->in_threshold ? st->low_streak + 1 : 0;
    /* Work waiting with no worker at all is always worth one, at once. */
    if (running == 0 && depth > 0 && p->max_workers > 0 && out->desired < 1) {
        out->desired = 1;
        out->reason = "scale-out";
    } else if (st->high_streak >= p->out_periods && running < p->max_workers) {
        if (st->last_change && now - st->last_change < p->out_cooldown_s) {
            out->reason = "cooldown";
        } else {
            out->desired = clamp(running + p->step, p->min_workers, p->max_workers);
            out->reason = "scale-out";
            st->high_streak = 0;
        }
    } else if (st->low_streak >= p->in_periods && running > p->min_workers) {
        if (st->last_change && now - st->last_change < p->in_cooldown_s) {
            out->reason = "cooldown";
        } else {
            out->desired = clamp(running - p->step, p->min_workers, p->max_workers);
            out->reason = "scale-in";
            st->low_streak = 0;
        }
    }
    out->delta = out->desired - running;
    if (out->delta != 0)
        st->last_change = now;
}
