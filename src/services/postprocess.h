/* postprocess.h - one post-process run: the recent outputs as the
 * inundation-mapping CSV (and GeoJSON).
 *
 * Lists {output_prefix}/ for files whose time stamp lies in the window
 * (default 24 h), joins the flowpaths (lengthkm, geometry) and writes
 * {postprocess_prefix}/output_inundation_{YYYY-MM-DD_HH:MM:SS}.csv and
 * .geojson (times UTC). By default the table is merged: only the latest
 * issuance of each gauge (rfc_location, else the key's directory) counts,
 * and inundation_rows_merge makes one row per segment from each segment's
 * own maximum. cfg->postprocess_compat keeps the reference's table: every
 * file's rows, each segment's flow at the file's time of peak flow. Per-file results are remembered (state_dir), so a file already
 * read is not read again; nothing new -> nothing written. */
#ifndef RNR_SERVICES_POSTPROCESS_H
#define RNR_SERVICES_POSTPROCESS_H

#include <stdint.h>

#include "core/error.h"
#include "ports/store.h"
#include "services/config.h"

typedef struct postprocess postprocess;

typedef struct postprocess_counts {
    int listed;        /* outputs in the window */
    int new_files;     /* read this run */
    int rows;          /* CSV rows written */
    char csv_key[256]; /* "" when nothing was written */
    char geojson_key[256];
} postprocess_counts;

int postprocess_new(const rnr_config *cfg, postprocess **out, rnr_error *err);
int postprocess_run(postprocess *pp, int64_t now, postprocess_counts *out, rnr_error *err);
void postprocess_free(postprocess *pp);

/* Same as postprocess_new reading and writing through store (borrowed,
 * must outlive pp; NULL opens cfg->store_url). cfg is borrowed by both.
 * The per-file memory is {state_dir}/postprocess.db; a hydrofabric named
 * by key is downloaded once to {state_dir}/hf-<basename> (the worker's
 * name for it, so one copy serves both). */
int postprocess_new_store(const rnr_config *cfg, rnr_store *store, postprocess **out,
                          rnr_error *err);

#endif
