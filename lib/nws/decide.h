/* decide.h - whether a gauge is routed, and the routing request it gives.
 *
 * The worker asks twice: nws_decide_gauge() right after GET /gauges/{lid}
 * (flood category, reachId, WFO) so that quiet gauges cost one request, then
 * nws_build_request() with the stageflow forecast (and observations, if
 * any) to get an rnr_forecast in m3/s or a skip reason. Skip reasons have
 * stable snake_case names for counters and logs. */
#ifndef RNR_NWS_DECIDE_H
#define RNR_NWS_DECIDE_H

#include "core/error.h"
#include "core/forecast.h"
#include "nws/nwps.h"

enum nws_skip {
    NWS_RUN = 0,                /* not skipped */
    NWS_SKIP_NOT_FLOODING,      /* ForecastFloodCategory not action/minor/moderate/major */
    NWS_SKIP_NO_REACH_ID,       /* reachId "" or absent */
    NWS_SKIP_BAD_REACH_ID,      /* reachId present but not a number */
    NWS_SKIP_UNSUPPORTED_WFO,   /* AFC, AFG, AJK, GUM, HFO, SJU */
    NWS_SKIP_GAUGE_NOT_FOUND,   /* NWPS answered 404 (the caller knows) */
    NWS_SKIP_BAD_GAUGE,         /* gauge record unreadable (caller) */
    NWS_SKIP_BAD_STAGEFLOW,     /* stageflow document unreadable (caller) */
    NWS_SKIP_NO_FORECAST,       /* forecast data is empty */
    NWS_SKIP_STAGE_ONLY,        /* no flow series: flow slot units ft or "" */
    NWS_SKIP_UNSUPPORTED_UNITS, /* flow units we cannot convert */
    NWS_SKIP_MISSING_FLOWS,     /* some or all forecast flows missing */
    NWS_SKIP_INVALID_FLOWS,     /* a forecast flow below zero or overflowing */
    NWS_SKIP_BAD_TIMES,         /* a valid time missing, or times not increasing */
    NWS_SKIP_BAD_LID,           /* the product names a site id that is not a lid */
    NWS_SKIP_LID_MISMATCH,      /* the gauge record is for another lid than asked */
    NWS_SKIP_COUNT
};

/* Stable names ("not_flooding", ...) and one-line human messages; both
 * return "unknown" texts for out-of-range values, never NULL. */
const char *nws_skip_name(int reason);
const char *nws_skip_message(int reason);

/* Longest location id accepted: NWSLI lids have 3 to 5 characters; NWPS
 * also answers to USGS site numbers (8 to 15 digits). */
#define NWS_LID_MAX 15

/* Is lid a location id: 1..NWS_LID_MAX ASCII letters and digits, nothing
 * else (no '.', '/', '%', space or control character can reach a URL path
 * or a storage key through it). */
int nws_lid_valid(const char *lid);

/* After GET /gauges/{lid}: 1 when the record is for lid (case-insensitive,
 * as NWPS ids are), and then its lid is set to the asked one so that keys
 * always use the product's spelling; else 0 with *reason =
 * NWS_SKIP_LID_MISMATCH and a one-line err naming both ids. */
int nws_gauge_lid_matches(const char *lid, nwps_gauge *g, int *reason, rnr_error *err);

/* Is the category one that triggers RnR? (exact lower-case) */
int nws_category_qualifies(const char *category);
/* Is the WFO outside the routing domain (Alaska, Guam, Hawaii, PR)? */
int nws_wfo_unsupported(const char *wfo);

/* Before fetching forecasts: returns 1 when the gauge qualifies (*reason =
 * NWS_RUN), else 0 with *reason set (category first, then reachId, WFO). */
int nws_decide_gauge(const nwps_gauge *g, int *reason);

/* Build the routing request. observed may be NULL. On success returns
 * RNR_OK with *out (free with forecast_free) and *reason = NWS_RUN. A skip
 * returns RNR_ERR_INVALID with *reason set and a one-line err naming the
 * gauge and the cause (e.g. "gauge X: 3 of 20 forecast flows missing");
 * RNR_ERR_NOMEM leaves *reason = NWS_RUN. */
int nws_build_request(const nwps_gauge *g, const nwps_stageflow *forecast,
                      const nwps_stageflow *observed, rnr_forecast **out, int *reason,
                      rnr_error *err);

#endif
