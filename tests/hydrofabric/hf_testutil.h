/* hf_testutil.h - helpers shared by the hydrofabric tests that need a real
 * reach of a GeoPackage. Header-only, like testutil.h. */
#ifndef RNR_HF_TESTUTIL_H
#define RNR_HF_TESTUTIL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "hydrofabric/hf.h"

/* The first hf_id of gpkg, by descending hydroseq (upstream first), whose
 * cut holds at least min_n flowpaths; 0 when none does or gpkg cannot be
 * read. */
static inline int64_t hf_test_reach_with_cut(const char *gpkg, size_t min_n)
{
    int64_t reach = 0;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    hf_db *g = NULL;
    rnr_error err = {0};
    if (hf_open(gpkg, &g, &err) != RNR_OK)
        return 0;
    if (sqlite3_open_v2(gpkg, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db,
                           "SELECT hf_id FROM network WHERE id LIKE 'wb-%' AND hf_id IS NOT NULL"
                           " ORDER BY hydroseq DESC",
                           -1, &st, NULL) == SQLITE_OK) {
        while (!reach && sqlite3_step(st) == SQLITE_ROW) {
            hf_cut *x;
            int64_t r = sqlite3_column_int64(st, 0);
            if (hf_cut_reach(g, r, &x, &err) == RNR_OK) {
                if (x->n >= min_n)
                    reach = r;
                hf_cut_free(x);
            }
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    hf_close(g);
    return reach;
}

#endif
