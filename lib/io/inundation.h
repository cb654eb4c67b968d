/* inundation.h - one inundation table from several forecasts: the merge
 * that turns every contributing forecast's rows into one row per segment.
 *
 * The reference post-processor concatenates the rows of every output in
 * its window, so one segment gets a row per issuance and per gauge above
 * it. Forecasters need one answer per segment: the worst the forecasts say.
 * Which forecasts contribute (the latest issuance of each gauge) is the
 * caller's choice; this module only combines their rows. */
#ifndef RNR_IO_INUNDATION_H
#define RNR_IO_INUNDATION_H

#include <stddef.h>

#include "core/error.h"
#include "io/csv_out.h"

/* Severity of a max_status: major 4, moderate 3, minor 2, action 1, any
 * other value (no_flooding, "", NULL, ...) 0. Exact lower-case match. */
int inundation_status_rank(const char *status);

/* One row per feature_id, in the order each feature_id first appears in
 * in[]. Each row's flow is its flow_max_cms (a NAN max loses to any
 * number); where several rows share a feature_id the merged row takes the
 * largest flow, the most severe max_status (the first on a tie), the other
 * columns (order, name, state, reference time, geometry) from the row with
 * the largest flow, and in inherited_joined every contributing row's text
 * in input order joined with "; ". String members point into in[], which
 * must outlive *out. Free *out with inundation_rows_free. */
int inundation_rows_merge(const inundation_row *in, size_t n, inundation_row **out, size_t *nout,
                          rnr_error *err);

/* Free rows made by inundation_rows_merge (their joined texts too). */
void inundation_rows_free(inundation_row *rows, size_t n);

#endif
