/* nc_series.h - the hydrograph's extra variables in an RnR NetCDF output
 * (the layout is described with nc_series in io/nc_output.h). Used by
 * nc_output.c inside its define / data / read phases. */
#ifndef RNR_IO_NC_SERIES_H
#define RNR_IO_NC_SERIES_H

#include <stdint.h>

#include "core/error.h"
#include "io/nc_output.h"

typedef struct nc_series_vars {
    int fcst_time, fcst_flow, obs_time, obs_flow; /* -1 when not defined */
} nc_series_vars;

/* Define dimensions, variables and attributes (define mode). Times are
 * seconds since time_units' origin (the file's "seconds since ..."). */
int nc_series_define(int ncid, const nc_series *s, const char *time_units, nc_series_vars *v,
                     const char *path, rnr_error *err);
/* Write the values (data mode), times relative to reference_time. */
int nc_series_put(int ncid, const nc_series *s, int64_t reference_time, const nc_series_vars *v,
                  const char *path, rnr_error *err);
/* Read them into t when present (t->reference_time-relative times are
 * decoded with origin); absent variables leave t's extras empty. */
int nc_series_read(int ncid, nc_table *t, int64_t origin, const char *path, rnr_error *err);

#endif
