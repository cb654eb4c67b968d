/* nwps.h - NWPS gauge records and stageflow series (api.water.noaa.gov/nwps/v1).
 *
 * GET /gauges/{lid} gives the metadata and flood categories that decide
 * whether RnR runs; GET /gauges/{lid}/stageflow/forecast and
 * /stageflow/observed (not "observation") give the series, and
 * GET /gauges/{lid}/stageflow gives both in one answer. Unknown fields
 * are ignored, whitespace and key order do not matter, numbers <= -999 and
 * Go's zero time mean missing. */
#ifndef RNR_NWS_NWPS_H
#define RNR_NWS_NWPS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum nwps_category_index {
    NWPS_CAT_ACTION,
    NWPS_CAT_MINOR,
    NWPS_CAT_MODERATE,
    NWPS_CAT_MAJOR,
    NWPS_CAT_COUNT
};

enum nwps_reach_status {
    NWPS_REACH_OK = 0, /* reach_id holds the reachId */
    NWPS_REACH_NONE,   /* "" / absent / null */
    NWPS_REACH_INVALID /* present but not a positive integer; see reach_reason */
};

typedef struct nwps_gauge {
    char lid[32];
    int reach_status;
    int64_t reach_id;      /* valid when reach_status == NWPS_REACH_OK */
    char reach_reason[96]; /* why reach_status is INVALID */
    char name[128];
    char state[16]; /* state.abbreviation */
    char rfc[16];   /* rfc.abbreviation */
    char wfo[16];   /* wfo.abbreviation */
    char downstream_lid[32];
    char forecast_category[32];             /* ForecastFloodCategory, as given */
    char observed_category[32];             /* ObservedFloodCategory */
    double stage_threshold[NWPS_CAT_COUNT]; /* NAN when undefined (-9999) */
    double flow_threshold[NWPS_CAT_COUNT];
    char stage_units[16]; /* flood.stageUnits */
    char flow_units[16];  /* flood.flowUnits */
    char pedts_observed[16], pedts_forecast[16];
} nwps_gauge;

/* Parse a gauge record into *out. Not JSON / not an object / no lid ->
 * RNR_ERR_PARSE; a lid that does not fit -> RNR_ERR_INVALID. */
int nwps_gauge_parse(const char *json, size_t len, nwps_gauge *out, rnr_error *err);

typedef struct nwps_row {
    int64_t valid_time;     /* RNR_TIME_MISSING when absent or unparseable */
    int64_t generated_time; /* optional: RNR_TIME_MISSING when absent */
    double primary;         /* NAN when missing */
    double secondary;
} nwps_row;

typedef struct nwps_stageflow {
    char pedts[16];
    int64_t issued_time; /* RNR_TIME_MISSING for "" or Go's zero time */
    char wfo[16];
    char time_zone[64];
    char primary_name[64], primary_units[16];
    char secondary_name[64], secondary_units[16];
    size_t n; /* 0 = "no forecast" / no observations */
    nwps_row *rows;
} nwps_stageflow;

/* Parse /stageflow/forecast or /stageflow/observed. `data` absent or null
 * reads as empty; `data` of another type -> RNR_ERR_PARSE. */
int nwps_stageflow_parse(const char *json, size_t len, nwps_stageflow **out, rnr_error *err);
/* Parse GET /gauges/{lid}/stageflow (no product), which NWPS answers with
 * both series at once: {"observed": {...}, "forecast": {...}}, each shaped
 * as above. A member that is absent, null or unreadable comes back NULL
 * (the caller asks for that product alone); not JSON / not an object ->
 * RNR_ERR_PARSE. */
int nwps_stageflow_pair_parse(const char *json, size_t len, nwps_stageflow **forecast,
                              nwps_stageflow **observed, rnr_error *err);
void nwps_stageflow_free(nwps_stageflow *s);

/* Name of a category index ("action", ...). */
const char *nwps_category_name(int idx);

#endif
