/* parquet_io.c - how a pq_file reaches its bytes: the reads it makes and
 * counts, the spans read ahead for a row group (so a remote reader makes
 * one request per row group, not one per column), and lookups that use
 * the row-group statistics to leave row groups unread. */
#include "hydrofabric/parquet_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Gaps between wanted chunks up to this size are read through rather
 * than split into another request: small for a row group read into
 * memory, larger for a plan (a cache on disk), where a request costs
 * more than a few MB of transfer (a 2 MiB gap is ~40 ms on s3rver, a
 * request ~20-300 ms on a loaded machine) but a flowpaths geometry chunk
 * (~4.5 MB a row group on CONUS) must still be skipped. */
#define PQ_PREFETCH_GAP (256u << 10)
#define PQ_PLAN_GAP (2u << 20)
#define PQ_TINY_GAP (64u << 10)

int pq_read_at(pq_file *f, uint64_t off, size_t n, uint8_t *buf, rnr_error *err)
{
    for (size_t i = 0; i < f->n_win; i++) {
        const pq_window *w = &f->win[i];
        if (off >= w->off && n <= w->len && off - w->off <= w->len - n) {
            memcpy(buf, w->buf + (off - w->off), n);
            return RNR_OK;
        }
    }
    f->io.reads++;
    f->io.bytes_read += n;
    return f->read(f->ctx, off, n, buf, err);
}

void pq_windows_clear(pq_file *f)
{
    for (size_t i = 0; i < f->n_win; i++)
        free(f->win[i].buf);
    f->n_win = 0;
}

void pq_prefetch_clear(pq_file *f)
{
    pq_windows_clear(f);
}

void pq_get_io_stats(const pq_file *f, pq_io_stats *out)
{
    *out = f->io;
}

/* Where a chunk's bytes are, when the footer places them inside the data
 * part of the file; 0 otherwise (pq_read_column will say why). */
static int chunk_span(const pq_file *f, size_t rg, size_t col, uint64_t *off, uint64_t *len)
{
    const pq_chunk *c = &f->meta.rgs[rg].chunks[col];
    int64_t st = c->data_page_offset;
    if (c->dict_page_offset > 0 && c->dict_page_offset < st)
        st = c->dict_page_offset;
    uint64_t end = f->size - 8;
    if (!c->has_meta || c->external || st < 4 || c->total_compressed <= 0 || (uint64_t)st >= end ||
        (uint64_t)c->total_compressed > end - (uint64_t)st ||
        (uint64_t)c->total_compressed > PQ_MAX_PAGE)
        return 0;
    *off = (uint64_t)st;
    *len = (uint64_t)c->total_compressed;
    return 1;
}

static int cmp_span(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The chunks of cols in row groups [g0, g1), sorted and merged where the
 * gap is small: *k (offset, length) pairs in a malloc'd array. */
static int merged_spans(const pq_file *f, size_t g0, size_t g1, const size_t *cols, size_t n,
                        uint64_t gap, uint64_t (**out)[2], size_t *k, rnr_error *err)
{
    *k = 0;
    if ((g1 - g0) * n > PQ_MAX_LIST) /* a footer no writer makes: plan nothing */
        n = 0;
    uint64_t(*sp)[2] = malloc(((g1 - g0) * n + 1) * sizeof *sp);
    if (!(*out = sp))
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    size_t m = 0;
    for (size_t g = g0; g < g1; g++)
        for (size_t i = 0; i < n; i++)
            if (cols[i] < f->n_leaves && chunk_span(f, g, cols[i], &sp[m][0], &sp[m][1]))
                m++;
    qsort(sp, m, sizeof *sp, cmp_span);
    for (size_t i = 0; i < m;) {
        uint64_t lo = sp[i][0], hi = sp[i][0] + sp[i][1];
        /* read through a gap when it is tiny, or no larger than the cap and
         * than what the span already holds: the bytes read stay within about
         * twice the bytes wanted (a flowpaths geometry chunk between two row
         * groups' wanted columns is skipped however small the file) */
        for (i++; i < m && sp[i][0] <= hi + gap &&
                  (sp[i][0] <= hi + PQ_TINY_GAP || sp[i][0] - hi <= hi - lo) &&
                  sp[i][0] + sp[i][1] - lo <= PQ_MAX_PAGE;
             i++)
            hi = sp[i][0] + sp[i][1] > hi ? sp[i][0] + sp[i][1] : hi;
        sp[*k][0] = lo;
        sp[(*k)++][1] = hi - lo;
    }
    return RNR_OK;
}

void pq_set_plan(pq_file *f, pq_plan_fn plan)
{
    f->plan = plan;
}

int pq_plan_columns(pq_file *f, const size_t *cols, size_t n, rnr_error *err)
{
    if (!f->plan || n == 0 || f->meta.n_rg == 0)
        return RNR_OK;
    uint64_t(*sp)[2];
    size_t k;
    int rc = merged_spans(f, 0, f->meta.n_rg, cols, n, PQ_PLAN_GAP, &sp, &k, err);
    if (!rc && k)
        rc = f->plan(f->ctx, &sp[0][0], k, err);
    free(sp);
    return rc;
}

int pq_prefetch(pq_file *f, size_t rg, const size_t *cols, size_t n, rnr_error *err)
{
    pq_windows_clear(f);
    if (rg >= f->meta.n_rg || n == 0)
        return RNR_OK;
    uint64_t(*sp)[2];
    size_t k;
    int rc = merged_spans(f, rg, rg + 1, cols, n, PQ_PREFETCH_GAP, &sp, &k, err);
    for (size_t i = 0; !rc && i < k && f->n_win < PQ_MAX_WINDOWS; i++) {
        uint64_t lo = sp[i][0], hi = sp[i][0] + sp[i][1];
        pq_window *w = &f->win[f->n_win];
        if (!(w->buf = malloc((size_t)(hi - lo)))) {
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
            break;
        }
        w->off = lo;
        w->len = (size_t)(hi - lo);
        f->io.reads++;
        f->io.bytes_read += w->len;
        if ((rc = f->read(f->ctx, lo, w->len, w->buf, err)))
            free(w->buf);
        else
            f->n_win++;
    }
    free(sp);
    if (rc)
        pq_windows_clear(f);
    return rc;
}

/* Collect the rows of one decoded chunk whose value lies in [lo, hi]. */
static int collect(const pq_column *c, int64_t first, int64_t lo, int64_t hi, int64_t **rows,
                   size_t *n, size_t *cap)
{
    for (size_t r = 0; r < c->n; r++) {
        if (c->valid && !c->valid[r])
            continue;
        int in = c->kind == PQ_KIND_INT
                     ? c->i[r] >= lo && c->i[r] <= hi
                     : c->d[r] == floor(c->d[r]) && c->d[r] >= (double)lo && c->d[r] <= (double)hi;
        if (!in)
            continue;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            int64_t *p = realloc(*rows, nc * sizeof *p);
            if (!p)
                return -1;
            *rows = p;
            *cap = nc;
        }
        (*rows)[(*n)++] = first + (int64_t)r;
    }
    return 0;
}

int pq_find_rows_int(pq_file *f, size_t col, int64_t lo, int64_t hi, int64_t **rows, size_t *n,
                     rnr_error *err)
{
    *rows = NULL;
    *n = 0;
    if (col >= f->n_leaves)
        return rnr_error_set(err, RNR_ERR_INVALID, "%s: no column %zu", f->name, col);
    int type = f->leaves[col].el->type;
    if (type != PQ_INT32 && type != PQ_INT64 && type != PQ_FLOAT && type != PQ_DOUBLE)
        return rnr_error_set(err, RNR_ERR_INVALID, "%s: column %s is not numeric", f->name,
                             f->leaves[col].name);
    size_t cap = 0;
    int64_t first = 0;
    int rc = RNR_OK;
    for (size_t g = 0; !rc && g < f->meta.n_rg; first += f->meta.rgs[g].num_rows, g++) {
        if (!pq_chunk_may_overlap_int(f, g, col, lo, hi)) {
            f->io.groups_skipped++;
            continue;
        }
        pq_column c;
        if ((rc = pq_read_column(f, g, col, &c, err)))
            break;
        if (collect(&c, first, lo, hi, rows, n, &cap))
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        pq_column_clear(&c);
    }
    if (rc) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}
