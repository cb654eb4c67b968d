/* forcing.h - an RFC flow forecast as lateral inflow at the origin segment
 * (spec docs/muskingum-cunge.md §7.1), and the initial state RnR writes.
 *
 * Two modes: FORCING_TROUTE reproduces t-route's forward hold of the
 * forecast with qts re-derived from the spacing of the first two forecast
 * times; FORCING_TIMECORRECT is the exact step average of the piecewise
 * linear forecast (linear interpolation at each step's midpoint). */
#ifndef RNR_HYDRO_FORCING_H
#define RNR_HYDRO_FORCING_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/forecast.h"

enum forcing_mode { FORCING_TIMECORRECT, FORCING_TROUTE };

/* t-route's run length: (86400/dt) * floor(hours/24), hours = last - first
 * forecast time (288 * days at dt = 300 s). Errors when 86400 is not a
 * multiple of dt or the forecast spans less than 24 h (no step to route). */
int forcing_default_nts(const int64_t *times, size_t n, float dt, int *nts);

/* The run to the end of the forecast: the span last - first rounded up to
 * whole output intervals of `every` steps, so the last forecast time is
 * output (held only inside the final interval when it falls between
 * outputs). RNR_ERR_INVALID when the span is shorter than one interval
 * (nothing to output) or the arguments are not positive; RNR_ERR_LIMIT when
 * the step count overflows an int. */
int forcing_horizon_nts(const int64_t *times, size_t n, float dt, int every, int *nts);

/* Fill qlat[0..nts-1] (step t = 1..nts is qlat[t-1]) from the forecast
 * (times: UTC epoch seconds, strictly increasing; flows: m3/s, >= 0).
 * TIMECORRECT: the forecast linearly interpolated in double at
 *   t0 + (t - 0.5)*dt, cast to float; before the first / after the last
 *   forecast time the end value is held.
 * TROUTE: qts = (times[1] - times[0]) / dt must be a positive integer; step
 *   t gets float(flows[floor((t-1)/qts)]), counted from the first forecast
 *   time whatever t0 is (t-route names its forcing files from the forecast
 *   times). Where t-route would need a file beyond the last forecast value
 *   (it would abort), the last value is held. A single forecast value is
 *   held for the whole run. */
int forcing_build(const int64_t *times, const double *flows, size_t n, int64_t t0, float dt,
                  int nts, int mode, float *qlat, rnr_error *err);

/* RnR's initial flow for every segment: the latest observation when the
 * forecast has one, else the first forecast value (0 when neither exists),
 * cast to float. The initial depth is 0. */
float forcing_initial_flow(const rnr_forecast *f);

#endif
