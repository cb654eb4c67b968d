/* svg_plot.h - a hydrograph of one NetCDF output as a standalone SVG.
 *
 * Flow (m3/s, or cfs) over time (UTC, dates with the year) for a few
 * segments: the forecast point (the file's first segment, t-route writes
 * them upstream to downstream), evenly spaced ones between, and the outlet
 * (the last). When the table carries them (nc_series), the RFC forecast
 * points and the observed flows are drawn as markers next to the routed
 * flow, and the flood-category flows as dashed horizontal lines: those up
 * to the peak and the next one above it, so the plot says how far the next
 * category is without squashing the hydrograph. The y axis leaves headroom
 * above the highest value. Plain text output, no graphics library. */
#ifndef RNR_IO_SVG_PLOT_H
#define RNR_IO_SVG_PLOT_H

#include <stddef.h>
#include <stdio.h>

#include "core/error.h"
#include "io/nc_output.h"

#define SVG_MAX_SERIES 12

typedef struct svg_opts {
    int width, height; /* pixels; 0 -> 960 x 540 */
    size_t segments;   /* how many to plot, 0 -> 4; capped at SVG_MAX_SERIES and nseg */
    const char *title; /* NULL -> "<rfc_location> <name>" from the file */
    int units_cfs;     /* 1: flows in ft3/s (cfs) instead of m3/s */
} svg_opts;

/* The units a name asks for: "m3/s" (also "cms", "m3 s-1") -> 0, "cfs" ->
 * 1; -1 for anything else. For RNR_PLOT_UNITS. */
int svg_units_parse(const char *name);

/* The segment indices plotted for nseg segments and `want` series:
 * round(i * (nseg - 1) / (want - 1)), duplicates dropped. Returns the count
 * written to idx (at most SVG_MAX_SERIES). */
size_t svg_pick_segments(size_t nseg, size_t want, size_t *idx);

/* Write the SVG. opts may be NULL. RNR_ERR_INVALID when the table has no
 * valid flow to plot, RNR_ERR_IO on a write error. */
int svg_hydrograph_write(FILE *f, const nc_table *t, const svg_opts *opts, rnr_error *err);

/* Write the SVG to path atomically: into a sibling temporary file (mode
 * 0644, like the NetCDF outputs) renamed over path; on failure nothing is
 * left behind. Errors name path. */
int svg_hydrograph_save(const char *path, const nc_table *t, const svg_opts *opts, rnr_error *err);

#endif
