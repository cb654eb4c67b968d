/* hf_pqsink.h - the writing half of the parquet index build: rows handed
 * over by the reading half (hf_pqbuild.c) are inserted into the index by a
 * thread of their own, so decoding and joining the layers runs beside
 * SQLite's inserts and B-tree builds on a second core. Not a public
 * header. */
#ifndef RNR_HYDROFABRIC_HF_PQSINK_H
#define RNR_HYDROFABRIC_HF_PQSINK_H

#include <sqlite3.h>
#include <stdint.h>

#include "core/error.h"
#include "hydrofabric/hf.h"

#define HF_PQ_NULL INT64_MIN /* a NULL integer in a row */

/* One net row; hs_null/hhs_null mark NULL reals. */
typedef struct hf_net_row {
    int64_t hf_id, ms, divide;
    double hs, hhs;
    uint8_t hs_null, hhs_null;
} hf_net_row;

/* One fp row with its parameters (pnull bit k: p[k] is NULL). */
typedef struct hf_fp_row {
    int64_t num, divide, ord, poi, ms, to_fp, fid;
    double hs, len;
    double p[HF_PARAM_COUNT];
    uint8_t hs_null, len_null, pnull;
} hf_fp_row;

typedef struct hf_pqsink hf_pqsink;

/* Start the writer thread on db (tables from hf_index_schema). Until
 * hf_pqsink_finish returns, db belongs to that thread alone. */
RNR_WARN_UNUSED int hf_pqsink_new(sqlite3 *db, hf_pqsink **out, rnr_error *err);
/* Queue a row (blocks while the writer is far behind). Fails, with the
 * writer's error, once the writer has failed: the reader stops there. */
RNR_WARN_UNUSED int hf_pqsink_net(hf_pqsink *s, const hf_net_row *r, rnr_error *err);
RNR_WARN_UNUSED int hf_pqsink_fp(hf_pqsink *s, const hf_fp_row *r, rnr_error *err);
RNR_WARN_UNUSED int hf_pqsink_lake(hf_pqsink *s, int64_t poi, int64_t hf_id, rnr_error *err);
/* Every net row is queued: the writer builds net's B-trees next, while
 * the reader goes on with the other layers. */
RNR_WARN_UNUSED int hf_pqsink_net_done(hf_pqsink *s, rnr_error *err);
/* Wait for the writer to insert everything queued (or, when reader_rc is
 * not RNR_OK, to stop), and free s. Returns reader_rc when set, else the
 * writer's result (its error in err). *flowpaths (may be NULL) gets the
 * fp rows inserted with a length (dx), as hf_index_finish counts them. */
RNR_WARN_UNUSED int hf_pqsink_finish(hf_pqsink *s, int reader_rc, size_t *flowpaths,
                                     rnr_error *err);

#endif
