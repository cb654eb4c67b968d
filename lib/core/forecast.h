/* forecast.h - the routing request: one gauge's RFC flow forecast.
 *
 * This is the reference worker's "ProcessedData" (lid, downstream_lid,
 * reach id, forecast times and flows in m3/s, latest observation) plus the
 * gauge metadata the NetCDF attributes carry. The nws layer fills it from
 * NWPS; `rnr route` reads it from JSON (nws/processed.h); hydro turns it
 * into lateral inflow. Flows are always m3/s here: conversion happens when
 * the forecast is built, and missing values never get this far. */
#ifndef RNR_CORE_FORECAST_H
#define RNR_CORE_FORECAST_H

#include <stddef.h>
#include <stdint.h>

typedef struct rnr_forecast {
    char lid[32];
    char downstream_lid[32];
    int64_t reach_id; /* NWPS reachId = network.hf_id of the origin */
    size_t n;         /* number of forecast rows */
    int64_t *times;   /* UTC epoch seconds, strictly increasing */
    double *flows;    /* m3/s, >= 0 */
    double *stages;   /* primary series (may be NULL) */
    char primary_name[32], primary_unit[16];
    int has_observation;
    double latest_observation; /* m3/s, valid when has_observation */
    int64_t observation_time;
    int64_t issued_time; /* RNR_TIME_MISSING when unknown */
    /* Metadata for the output attributes. */
    char flood_category[32]; /* action, minor, moderate, major */
    char state[16];
    char name[128];
    char rfc[16];
    char wfo[16];
    /* For the hydrograph (not routed): recent observed flows and the
     * flood-category thresholds as flows, both in m3/s. */
    size_t n_obs;
    int64_t *obs_times;   /* [n_obs] UTC epoch seconds, increasing */
    double *obs_flows;    /* [n_obs] m3/s */
    double flood_flow[4]; /* action, minor, moderate, major; NAN when unknown */
    int flood_flow_rated; /* 1 when some come from stages through a rating */
} rnr_forecast;

/* The largest flow accepted anywhere, in m3/s. The largest river flows on
 * Earth are about 3e5 m3/s (the Amazon in flood); 1e6 leaves a factor of
 * three for any real river and still rejects a unit mix-up or a corrupt
 * value (1e35 kcfs) long before float arithmetic overflows to Inf. */
#define RNR_FLOW_MAX_M3S 1.0e6
#define RNR_FLOW_MAX_TEXT "1e6 m3/s"

/* Whether q (m3/s) is a usable flow: finite and in [0, RNR_FLOW_MAX_M3S]. */
int forecast_flow_ok(double q);

/* Allocate a zeroed forecast with room for n rows (times, flows, stages). */
rnr_forecast *forecast_new(size_t n);
void forecast_free(rnr_forecast *f);
/* Room for n observations (obs_times, obs_flows, n_obs = n); replaces any.
 * Returns RNR_OK or RNR_ERR_NOMEM. */
int forecast_alloc_observations(rnr_forecast *f, size_t n);
/* Check times strictly increasing and flows usable (forecast_flow_ok); returns an
 * rnr code and fills err with the first offending row. */
struct rnr_error;
int forecast_validate(const rnr_forecast *f, struct rnr_error *err);

#endif
