/* pp_state.h - the post-processor's memory port: which outputs it has
 * read, the inundation rows each gave, and whether a table holding them
 * has been uploaded.
 *
 * An output is known by key + size + mtime, so a rewritten object counts
 * as new. The memory is a cache of work already done: losing it costs
 * reading the outputs again, never data, so a backend need not make each
 * record durable on its own. Backend: SQLite (adapters/sqlite_pp_state),
 * opened with backend_open_pp_state (ports/backends.h). */
#ifndef RNR_PORTS_PP_STATE_H
#define RNR_PORTS_PP_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "io/csv_out.h"
#include "ports/store.h"

/* Rows loaded from the memory; their strings (name, state, max_status,
 * geom_wkt) are malloc'd and owned here. */
typedef struct pp_rows {
    inundation_row *r;
    size_t n, cap;
} pp_rows;

typedef struct pp_state_ops {
    /* *known: 0 never recorded, 1 recorded but in no uploaded table yet,
     * 2 uploaded; lid gets the recorded rfc_location ("" when none). */
    int (*lookup)(void *self, const store_object *o, int *known, char *lid, size_t lidn,
                  rnr_error *err);
    /* Record o (file_time: its name's time stamp) with its rows, or with
     * none and a note when it could not be read; all or nothing. */
    int (*record)(void *self, const store_object *o, int64_t file_time, const char *lid,
                  const inundation_row *rows, size_t n, const char *note, rnr_error *err);
    /* Append o's rows in recorded order; update_time is left 0. */
    int (*load)(void *self, const store_object *o, pp_rows *out, rnr_error *err);
    /* Every recorded output is now in an uploaded table. */
    int (*mark_written)(void *self, rnr_error *err);
    /* Forget outputs whose file_time is before cutoff (best effort). */
    void (*prune)(void *self, int64_t cutoff);
    void (*close)(void *self);
    /* Group the records that follow until batch_end into one commit
     * (each record stays all or nothing); a failure before batch_end may
     * lose the group's records, which only costs reading those outputs
     * again. Optional: NULL commits each record on its own. */
    int (*batch_begin)(void *self, rnr_error *err);
    int (*batch_end)(void *self, rnr_error *err);
} pp_state_ops;

typedef struct rnr_pp_state {
    const pp_state_ops *ops;
    void *self;
} rnr_pp_state;

int pp_state_lookup(rnr_pp_state *s, const store_object *o, int *known, char *lid, size_t lidn,
                    rnr_error *err) RNR_WARN_UNUSED;
int pp_state_record(rnr_pp_state *s, const store_object *o, int64_t file_time, const char *lid,
                    const inundation_row *rows, size_t n, const char *note,
                    rnr_error *err) RNR_WARN_UNUSED;
int pp_state_load(rnr_pp_state *s, const store_object *o, pp_rows *out,
                  rnr_error *err) RNR_WARN_UNUSED;
int pp_state_mark_written(rnr_pp_state *s, rnr_error *err) RNR_WARN_UNUSED;
void pp_state_prune(rnr_pp_state *s, int64_t cutoff);
/* batch_begin / batch_end through the port; RNR_OK doing nothing for a
 * backend without them. */
int pp_state_batch_begin(rnr_pp_state *s, rnr_error *err) RNR_WARN_UNUSED;
int pp_state_batch_end(rnr_pp_state *s, rnr_error *err) RNR_WARN_UNUSED;
void pp_state_free(rnr_pp_state *s);

/* Room for one more row at out->r[out->n] (zeroed); RNR_ERR_NOMEM. */
int pp_rows_push(pp_rows *out, inundation_row **row) RNR_WARN_UNUSED;
/* Free the rows and their strings; *rs is empty after. */
void pp_rows_clear(pp_rows *rs);

#endif
