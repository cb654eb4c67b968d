/* nc_output.h - t-route's RnR NetCDF output: writer, reader, peak finder.
 *
 * The file layout is t-route's (`troute_output_YYYYMMDDHHMM.nc`, netCDF-4):
 * dimensions feature_id, time; variables time (double, seconds since the
 * reference time), feature_id (int64), type (string, "wb"), flow,
 * velocity, depth, nudge (float [feature_id, time], fill -9999; nudge is all
 * fill as in t-route's RnR output); global TITLE, file_reference_time,
 * code_version plus the RnR attributes the reference worker adds. On top of
 * that, CF: time:calendar and time:axis, flow:standard_name
 * (water_volume_transport_in_river_channel), feature_id:cf_role
 * (timeseries_id), Conventions and featureType = "timeSeries", each
 * appended after t-route's attributes, and trace_id (the trace of the
 * message that made the file) when there is one. t-route's unused type_strlen
 * dimension is left out. The file has no station coordinates (the
 * segments are lines in the hydrofabric, joined by feature_id). */
#ifndef RNR_IO_NC_OUTPUT_H
#define RNR_IO_NC_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define NC_OUTPUT_FILL (-9999.0f)

/* RnR attributes of one output. Strings may be NULL (written as ""). */
typedef struct nc_meta {
    int64_t reference_time; /* epoch seconds, UTC: the forecast's t0 */
    const char *max_status; /* e.g. "major" */
    int stream_order;
    const char *rfc_location; /* gauge lid, e.g. "AMAT2" */
    int64_t rfc_reach_id;
    int64_t hf_id;
    const char *state;
    const char *name;
    const char *code_version; /* NULL -> "" as in t-route's file */
    const char *trace_id;     /* global trace_id: the trace of the message
                                 that made the file; NULL: not written */
} nc_meta;

/* What the hydrograph shows besides the routed flow, carried in extra
 * variables (nc_series.c) on their own dimensions, so t-route's variables
 * and dimensions are untouched: rfc_forecast_time / rfc_forecast_flow (the
 * RFC forecast at the forecast point), observation_time / observed_flow
 * (recent observations), and the flood-category flows as attributes
 * flood_flow_action/minor/moderate/major (m3 s-1) of rfc_forecast_flow. */
typedef struct nc_series {
    size_t n_fcst;
    const int64_t *fcst_times; /* UTC epoch seconds */
    const double *fcst_flows;  /* m3/s */
    size_t n_obs;              /* 0: no observation variables */
    const int64_t *obs_times;
    const double *obs_flows;
    double flood_flow[4]; /* action, minor, moderate, major; NAN: not written */
    int flood_flow_rated; /* some converted from stages through a rating */
} nc_series;

/* Everything a reader needs from one output. Arrays are [nseg * ntime],
 * index seg * ntime + k. Absent string attributes are "", absent integers 0,
 * so t-route's own file (without the RnR attributes) reads too. */
typedef struct nc_table {
    size_t nseg, ntime;
    int64_t *feature_ids; /* [nseg] */
    int64_t *times;       /* [ntime] epoch seconds, decoded from time:units */
    float *flow, *velocity, *depth;
    int64_t reference_time;       /* file_reference_time, else the units' origin */
    char file_reference_time[32]; /* verbatim "YYYY-MM-DD_HH:MM:SS" */
    char title[128];
    char code_version[64];
    char max_status[64];
    int stream_order;
    char rfc_location[64];
    int64_t rfc_reach_id;
    int64_t hf_id;
    char state[64];
    char name[256];
    /* The hydrograph's extras (nc_series); 0 / NULL / NAN in t-route's files. */
    size_t n_fcst, n_obs;
    int64_t *fcst_times, *obs_times;
    float *fcst_flows, *obs_flows;
    double flood_flow[4];
    char trace_id[256]; /* "" when the file has none (or an unreadable one) */
    int read_direct;    /* 1: read straight through HDF5 (io/nc_h5.h), 0: netCDF-C */
} nc_table;

/* "troute_output_YYYYMMDDHHMM.nc"; returns 0, or -1 if buf is too small. */
int nc_output_name(int64_t reference_time, char *buf, size_t n);

/* Write path atomically: into a temporary file in the same directory,
 * renamed over path on success (not fsync'd: see core/durable.h); on
 * failure nothing is left behind. time_s are seconds after meta->reference_time. */
int nc_output_write(const char *path, const int64_t *feature_ids, size_t nseg, const double *time_s,
                    size_t ntime, const float *flow, const float *velocity, const float *depth,
                    const nc_meta *meta, rnr_error *err);

/* nc_output_write plus the hydrograph's extras (series may be NULL). */
int nc_output_write_series(const char *path, const int64_t *feature_ids, size_t nseg,
                           const double *time_s, size_t ntime, const float *flow,
                           const float *velocity, const float *depth, const nc_meta *meta,
                           const nc_series *series, rnr_error *err);

int nc_output_read(const char *path, nc_table **out, rnr_error *err);

/* What nc_output_read_mem reads. */
#define NC_OUTPUT_READ_ALL 0u
/* Only flow, time, feature_id and the global attributes: velocity and
 * depth stay NULL, the hydrograph's extras absent (n_fcst = n_obs = 0,
 * flood_flow NAN). A file in rnr's own layout is then read straight
 * through HDF5 (io/nc_h5.h); any other goes through netCDF-C. */
#define NC_OUTPUT_READ_FLOW 1u
/* Through netCDF-C whatever the layout (to compare the two readers). */
#define NC_OUTPUT_READ_NETCDF 2u

/* nc_output_read of an output held in memory (data, len: the file's
 * bytes, borrowed; name names it in messages). parts: NC_OUTPUT_READ_*. */
int nc_output_read_mem(const char *name, const void *data, size_t len, unsigned parts,
                       nc_table **out, rnr_error *err) RNR_WARN_UNUSED;
void nc_table_free(nc_table *t);

/* Time index of the file's peak flow: the maximum over all segments and
 * times, skipping fill and NaN. Ties go to the first in (segment, time)
 * order, i.e. the earliest time of the first segment reaching the maximum,
 * which is what the reference post-processor's stack/dropna selects.
 * Returns RNR_OK, or RNR_ERR_NOTFOUND when there is no valid flow. */
int nc_table_peak(const nc_table *t, size_t *time_index);

#endif
