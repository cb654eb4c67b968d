/* forcing.c - forecast -> per-step lateral inflow, t-route's way or
 * time-correct, and RnR's initial-state rule. */
#include "hydro/forcing.h"

#include <math.h>

static int check_forecast(const int64_t *times, const double *flows, size_t n, rnr_error *err)
{
    if (n < 1 || !times || !flows)
        return rnr_error_set(err, RNR_ERR_INVALID, "forcing: the forecast has no values");
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && times[i] <= times[i - 1])
            return rnr_error_set(err, RNR_ERR_INVALID,
                                 "forcing: forecast time %zu (%lld) is not after time %zu (%lld)",
                                 i, (long long)times[i], i - 1, (long long)times[i - 1]);
        if (!(flows[i] >= 0.0) || isinf(flows[i]))
            return rnr_error_set(err, RNR_ERR_INVALID,
                                 "forcing: forecast flow %zu = %g must be finite and >= 0", i,
                                 flows[i]);
    }
    return RNR_OK;
}

int forcing_default_nts(const int64_t *times, size_t n, float dt, int *nts)
{
    *nts = 0;
    if (n < 1 || !times || !(dt > 0.0f) || isinf(dt))
        return RNR_ERR_INVALID;
    double per_day = 86400.0 / (double)dt;
    if (per_day != floor(per_day))
        return RNR_ERR_INVALID;
    int64_t span = times[n - 1] - times[0];
    if (span < 0)
        return RNR_ERR_INVALID;
    int64_t days = span / 86400; /* floor(hours/24) for a non-negative span */
    if (days < 1)
        return RNR_ERR_INVALID;
    double total = per_day * (double)days;
    if (total > 2147483647.0)
        return RNR_ERR_LIMIT;
    *nts = (int)total;
    return RNR_OK;
}

int forcing_horizon_nts(const int64_t *times, size_t n, float dt, int every, int *nts)
{
    *nts = 0;
    if (n < 1 || !times || !(dt > 0.0f) || isinf(dt) || every < 1)
        return RNR_ERR_INVALID;
    double span = (double)(times[n - 1] - times[0]);
    double interval = (double)dt * (double)every;
    if (!(span >= interval))
        return RNR_ERR_INVALID;
    double total = ceil(span / interval) * (double)every;
    if (total > 2147483647.0)
        return RNR_ERR_LIMIT;
    *nts = (int)total;
    return RNR_OK;
}

static void build_timecorrect(const int64_t *times, const double *flows, size_t n, int64_t t0,
                              float dt, int nts, float *qlat)
{
    size_t j = 0; /* segment [times[j], times[j+1]] holding the midpoint */
    for (int t = 1; t <= nts; t++) {
        double tm = (double)t0 + ((double)t - 0.5) * (double)dt;
        double v;
        if (tm <= (double)times[0]) {
            v = flows[0];
        } else if (tm >= (double)times[n - 1]) {
            v = flows[n - 1];
        } else {
            while (j + 1 < n - 1 && tm > (double)times[j + 1])
                j++;
            double xa = (double)times[j], xb = (double)times[j + 1];
            double slope = (flows[j + 1] - flows[j]) / (xb - xa);
            v = slope * (tm - xa) + flows[j];
        }
        qlat[t - 1] = (float)v;
    }
}

static int build_troute(const int64_t *times, const double *flows, size_t n, float dt, int nts,
                        float *qlat, rnr_error *err)
{
    long qts = 1;
    if (n > 1) {
        double q = (double)(times[1] - times[0]) / (double)dt;
        if (!(q >= 1.0) || q != floor(q) || q > 2147483647.0)
            return rnr_error_set(
                err, RNR_ERR_INVALID,
                "forcing: forecast spacing %lld s is not a positive multiple of dt = %g s "
                "(t-route needs an integer qts)",
                (long long)(times[1] - times[0]), (double)dt);
        qts = (long)q;
    }
    for (int t = 1; t <= nts; t++) {
        size_t k = n > 1 ? (size_t)((t - 1) / qts) : 0;
        if (k > n - 1)
            k = n - 1;
        qlat[t - 1] = (float)flows[k];
    }
    return RNR_OK;
}

int forcing_build(const int64_t *times, const double *flows, size_t n, int64_t t0, float dt,
                  int nts, int mode, float *qlat, rnr_error *err)
{
    int rc = check_forecast(times, flows, n, err);
    if (rc != RNR_OK)
        return rc;
    if (!(dt > 0.0f) || isinf(dt))
        return rnr_error_set(err, RNR_ERR_INVALID, "forcing: time step dt = %g s must be > 0",
                             (double)dt);
    if (nts < 1)
        return rnr_error_set(err, RNR_ERR_INVALID, "forcing: number of steps %d must be > 0", nts);
    if (mode == FORCING_TIMECORRECT) {
        build_timecorrect(times, flows, n, t0, dt, nts, qlat);
        return RNR_OK;
    }
    if (mode == FORCING_TROUTE)
        return build_troute(times, flows, n, dt, nts, qlat, err);
    return rnr_error_set(err, RNR_ERR_INVALID, "forcing: unknown mode %d", mode);
}

float forcing_initial_flow(const rnr_forecast *f)
{
    if (f->has_observation)
        return (float)f->latest_observation;
    return f->n > 0 ? (float)f->flows[0] : 0.0f;
}
