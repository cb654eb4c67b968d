/* processed.h - the reference worker's "ProcessedData" JSON <-> rnr_forecast.
 *
 * Shape (t-route RnR's mock data, e.g. HPDT2.json):
 *   {"lid", "downstream_lid", "reach": {"id", "times" (naive UTC
 *    "YYYY-MM-DDTHH:MM:SS"), "primary_name", "primary_forecast",
 *    "primary_unit", "latest_observation", "latest_obs_units",
 *    "secondary_name", "secondary_forecast", "secondary_unit"}}
 * plus optional top-level metadata this port adds: "flood_category",
 * "state", "name", "rfc", "wfo", "issued_time", "observation_time".
 * This is what `rnr route --forecast F.json` reads. */
#ifndef RNR_NWS_PROCESSED_H
#define RNR_NWS_PROCESSED_H

#include <stddef.h>

#include "core/error.h"
#include "core/forecast.h"

/* Read ProcessedData. Flows are converted from secondary_unit (kcfs, cfs,
 * m3/s, "m3 s-1", cms) to m3/s; missing (null, <= -999) or negative flows,
 * empty or non-increasing times, mismatched lengths and unknown units are
 * RNR_ERR_INVALID with a one-line message naming the field. */
int nws_processed_read(const char *json, size_t len, rnr_forecast **out, rnr_error *err);
/* Write f as ProcessedData (flows in "m3 s-1", 4-space indent, keys in the
 * reference order, metadata keys after "reach"). *out is malloc'd. */
int nws_processed_write(const rnr_forecast *f, char **out, rnr_error *err);

#endif
