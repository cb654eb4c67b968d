/* fuzz_parquet.c - the Parquet reader: footer, schema, every column chunk
 * of every row group. Built with small row and page caps, so the limits are
 * reached too. Checks that a decoded column is consistent. */
#include "core/error.h"
#include "hydrofabric/parquet.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pq_file *f = NULL;
    rnr_error err = {0};
    if (pq_open_mem("fuzz.parquet", data, size, &f, &err) != RNR_OK)
        return 0;
    size_t cols[4] = {0, 1, 2, 3};
    size_t nc = pq_num_columns(f) < 4 ? pq_num_columns(f) : 4;
    for (size_t g = 0; g < pq_num_row_groups(f); g++) {
        /* chunks read ahead, then decoded from memory */
        if (pq_prefetch(f, g, cols, nc, &err) == RNR_OK)
            for (size_t c = 0; c < nc; c++) {
                pq_column col;
                if (pq_read_column(f, g, c, &col, &err) == RNR_OK)
                    pq_column_clear(&col);
            }
        pq_prefetch_clear(f);
    }
    for (size_t c = 0; c < nc; c++) {
        int64_t *rows = NULL;
        size_t n = 0;
        if (pq_find_rows_int(f, c, 0, 100, &rows, &n, &err) == RNR_OK) {
            for (size_t k = 1; k < n; k++)
                if (rows[k] <= rows[k - 1] || rows[k] >= pq_num_rows(f))
                    abort();
            free(rows);
        }
    }
    for (size_t g = 0; g < pq_num_row_groups(f); g++)
        for (size_t c = 0; c < pq_num_columns(f); c++) {
            pq_column col;
            pq_stats st;
            (void)pq_chunk_stats(f, g, c, &st);
            (void)pq_chunk_may_contain_int(f, g, c, 42);
            if (pq_read_column(f, g, c, &col, &err) != RNR_OK)
                continue;
            if (col.n != (size_t)pq_row_group_rows(f, g))
                abort();
            if (col.kind == PQ_KIND_BYTES && col.off[col.n] < col.off[0])
                abort();
            pq_column_clear(&col);
        }
    (void)pq_metadata(f, "geo");
    pq_close(f);
    return 0;
}
