/* synth.h - a synthetic NextGen hydrofabric v2.2 GeoPackage: the layers,
 * columns and column types of the real file (network, flowpaths,
 * flowpath-attributes, nexus, lakes; EPSG:5070), tree-shaped river basins
 * with mainstems, Strahler orders, hydroseq, many-to-many network rows,
 * lakes, and realistic channel parameters. Deterministic for a seed. */
#ifndef RNR_HYDROFABRIC_SYNTH_H
#define RNR_HYDROFABRIC_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define SYNTH_MAX_FLOWPATHS 1500000
#define SYNTH_MAX_GAUGES 100000
/* A gauge's cut is a lake-free chain of at least this many flowpaths. */
#define SYNTH_GAUGE_MIN_CHAIN 8

typedef struct synth_options {
    size_t flowpaths;
    uint64_t seed;
    size_t lakes; /* used when lakes_set; else flowpaths / 400 */
    int lakes_set;
    const char *gauges_csv; /* NULL: no gauges */
    const int64_t *gauges;  /* or reach ids given directly (when gauges_csv is NULL) */
    size_t n_gauges;
    /* Called as the work goes (NULL: not at all): phase "flowpaths" with
     * flowpaths written of the total, then "commit" (0 of 0) while the
     * file is finished and put in place. Output is the caller's business. */
    void (*progress)(void *ctx, const char *phase, size_t done, size_t total);
    void *progress_ctx;
} synth_options;

typedef struct synth_report {
    size_t flowpaths;
    size_t network_rows;
    size_t nexus;
    size_t lakes;
    size_t gauges; /* gauges placed (all of them, or the call fails) */
} synth_report;

void synth_options_default(synth_options *o);
/* Write the GeoPackage to path (replaced atomically). */
int synth_generate(const char *path, const synth_options *o, synth_report *rep, rnr_error *err);
/* Read reach_id values from a CSV with header `lid,reach_id[,...]`.
 * *ids is malloc'd. */
int synth_read_gauges(const char *csv_path, int64_t **ids, size_t *n, rnr_error *err);

#endif
