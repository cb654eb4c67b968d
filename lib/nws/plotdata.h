/* plotdata.h - what a forecaster's hydrograph shows besides the routed
 * flow: the gauge's recent observed flows and its flood-category
 * thresholds as flows.
 *
 * NWPS gives thresholds as stages and, for many gauges, flows (in
 * flood.flowUnits). Where only the stage is given, the RFC's own rating is
 * used: the (stage, flow) pairs of the stageflow series, which the RFC
 * produced through the gauge's rating curve, interpolated linearly inside
 * their range and never extrapolated. */
#ifndef RNR_NWS_PLOTDATA_H
#define RNR_NWS_PLOTDATA_H

#include "core/error.h"
#include "core/forecast.h"
#include "nws/nwps.h"

/* How far back before the first forecast time observations are kept. */
#define NWS_PLOT_OBS_SECONDS (72 * 3600)

/* Fill fc->flood_flow[] (m3/s, NAN when neither a flow nor a rated stage
 * is known) and fc->flood_flow_rated from g and the series (observed may
 * be NULL), and fc->obs_* with the observed flows from NWS_PLOT_OBS_SECONDS
 * before fc's first time up to its last. fc->times must be filled.
 * Returns RNR_OK or RNR_ERR_NOMEM. */
int nws_plot_data(rnr_forecast *fc, const nwps_gauge *g, const nwps_stageflow *forecast,
                  const nwps_stageflow *observed);

/* Flow for stage through the pairs (stage[i], flow[i]), i < n, in any
 * order: linear between the nearest pairs below and above; NAN when stage
 * is outside their range, the pairs are fewer than two, or flow does not
 * rise with stage (not a rating). */
double nws_rating_flow(const double *stage, const double *flow, size_t n, double at);

#endif
