/* forecast.c - allocation and validation of routing requests. */
#include "core/error.h"
#include "core/forecast.h"
#include "core/timeutil.h"

#include <math.h>
#include <stdlib.h>

rnr_forecast *forecast_new(size_t n)
{
    rnr_forecast *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->n = n;
    f->issued_time = RNR_TIME_MISSING;
    f->observation_time = RNR_TIME_MISSING;
    for (int i = 0; i < 4; i++)
        f->flood_flow[i] = NAN;
    if (n) {
        f->times = calloc(n, sizeof *f->times);
        f->flows = calloc(n, sizeof *f->flows);
        f->stages = calloc(n, sizeof *f->stages);
        if (!f->times || !f->flows || !f->stages) {
            forecast_free(f);
            return NULL;
        }
    }
    return f;
}

void forecast_free(rnr_forecast *f)
{
    if (!f)
        return;
    free(f->times);
    free(f->flows);
    free(f->stages);
    free(f->obs_times);
    free(f->obs_flows);
    free(f);
}

int forecast_alloc_observations(rnr_forecast *f, size_t n)
{
    free(f->obs_times);
    free(f->obs_flows);
    f->n_obs = 0;
    f->obs_times = calloc(n ? n : 1, sizeof *f->obs_times);
    f->obs_flows = calloc(n ? n : 1, sizeof *f->obs_flows);
    if (!f->obs_times || !f->obs_flows)
        return RNR_ERR_NOMEM;
    f->n_obs = n;
    return RNR_OK;
}

int forecast_flow_ok(double q)
{
    return isfinite(q) && q >= 0 && q <= RNR_FLOW_MAX_M3S;
}

int forecast_validate(const rnr_forecast *f, rnr_error *err)
{
    const char *lid = f->lid[0] ? f->lid : "(no lid)";
    if (f->n == 0)
        return rnr_error_set(err, RNR_ERR_INVALID, "forecast %s: no forecast times", lid);
    for (size_t i = 0; i < f->n; i++) {
        if (f->times[i] == RNR_TIME_MISSING)
            return rnr_error_set(err, RNR_ERR_INVALID, "forecast %s: time %zu is missing", lid, i);
        if (i > 0 && f->times[i] <= f->times[i - 1])
            return rnr_error_set(err, RNR_ERR_INVALID,
                                 "forecast %s: times are not increasing at row %zu", lid, i);
        if (!forecast_flow_ok(f->flows[i]))
            return rnr_error_set(
                err, RNR_ERR_INVALID,
                "forecast %s: flow %g m3/s at row %zu is missing, negative or above %g m3/s", lid,
                f->flows[i], i, RNR_FLOW_MAX_M3S);
    }
    if (f->has_observation && !forecast_flow_ok(f->latest_observation))
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "forecast %s: latest observation %g m3/s is negative or above %g m3/s",
                             lid, f->latest_observation, RNR_FLOW_MAX_M3S);
    return RNR_OK;
}
