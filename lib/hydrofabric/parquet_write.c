/* parquet_write.c - a minimal Parquet writer, so `rnr hydrofabric
 * generate|convert` can make the reference's parquet layout at any size:
 * flat schemas of optional INT64, DOUBLE and BYTE_ARRAY (string or binary)
 * columns; one PLAIN data page v1 per column chunk with RLE definition
 * levels; UNCOMPRESSED or ZSTD; min/max statistics for numbers; key-value
 * metadata. Written to a temporary sibling and renamed on close
 * (core/durable), so a reader never sees half a file. */
#include "hydrofabric/parquet_internal.h"

#include "core/durable.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* A growing byte buffer; oom sticks until checked. */
typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} wbuf;

static void wb_put(wbuf *b, const void *src, size_t k)
{
    if (b->oom)
        return;
    if (b->n + k > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + k)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, k);
    b->n += k;
}

static void wb_byte(wbuf *b, uint8_t v)
{
    wb_put(b, &v, 1);
}

static void wb_varint(wbuf *b, uint64_t v)
{
    while (v >= 0x80) {
        wb_byte(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    wb_byte(b, (uint8_t)v);
}

static void wb_le(wbuf *b, uint64_t v, int k)
{
    for (int i = 0; i < k; i++)
        wb_byte(b, (uint8_t)(v >> (8 * i)));
}

/* Thrift compact protocol: a field header, with the last id per struct. */
typedef struct tw {
    wbuf *b;
    int16_t last[PQ_MAX_DEPTH];
    int depth;
} tw;

enum { T_TRUE = 1, T_FALSE = 2, T_I32 = 5, T_I64 = 6, T_BINARY = 8, T_LIST = 9, T_STRUCT = 12 };

static void tw_field(tw *t, int id, int type)
{
    int d = id - t->last[t->depth];
    if (d > 0 && d <= 15) {
        wb_byte(t->b, (uint8_t)(d << 4 | type));
    } else {
        wb_byte(t->b, (uint8_t)type);
        wb_varint(t->b, ((uint64_t)id << 1) ^ (uint64_t)(id >> 15));
    }
    t->last[t->depth] = (int16_t)id;
}

static void tw_int(tw *t, int id, int type, int64_t v)
{
    tw_field(t, id, type);
    wb_varint(t->b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void tw_bin(tw *t, int id, const void *p, size_t n)
{
    tw_field(t, id, T_BINARY);
    wb_varint(t->b, n);
    wb_put(t->b, p, n);
}

static void tw_begin(tw *t, int id)
{
    if (id)
        tw_field(t, id, T_STRUCT);
    assert(t->depth + 1 < PQ_MAX_DEPTH);
    t->last[++t->depth] = 0;
}

static void tw_end(tw *t)
{
    wb_byte(t->b, 0);
    t->depth--;
}

static void tw_list(tw *t, int id, int etype, size_t n)
{
    tw_field(t, id, T_LIST);
    if (n < 15) {
        wb_byte(t->b, (uint8_t)(n << 4 | etype));
    } else {
        wb_byte(t->b, (uint8_t)(0xf0 | etype));
        wb_varint(t->b, n);
    }
}

typedef struct wchunk {
    int64_t offset, num_values, usize, csize;
    int64_t nulls;
    int has_stats;
    uint8_t min[8], max[8];
} wchunk;

struct pq_writer {
    char *path;
    durable_file *out;
    FILE *f; /* out's stream */
    int codec;
    size_t ncols;
    pq_wcol *cols;
    int64_t offset, rows;
    size_t n_rg;
    wchunk *chunks; /* n_rg * ncols */
    int64_t *rg_rows;
    size_t n_kv;
    char **kv; /* key, value pairs */
};

int pq_writer_open(const char *path, const pq_wcol *cols, size_t ncols, int zstd, pq_writer **out,
                   rnr_error *err)
{
    *out = NULL;
    pq_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path)) || !(w->cols = calloc(ncols, sizeof *w->cols))) {
        pq_writer_abort(w);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    }
    int rc = durable_begin(path, NULL, &w->out, err);
    if (rc != RNR_OK) {
        pq_writer_abort(w);
        return rc;
    }
    memcpy(w->cols, cols, ncols * sizeof *cols);
    w->ncols = ncols;
    w->codec = zstd ? PQ_ZSTD : PQ_UNCOMPRESSED;
    if (!(w->f = durable_stream(w->out))) {
        pq_writer_abort(w);
        return rnr_error_set(err, RNR_ERR_IO, "%s: cannot create", path);
    }
    fwrite("PAR1", 1, 4, w->f);
    w->offset = 4;
    *out = w;
    return RNR_OK;
}

int pq_writer_set_metadata(pq_writer *w, const char *key, const char *value)
{
    char **kv = realloc(w->kv, (2 * w->n_kv + 2) * sizeof *kv);
    if (!kv)
        return -1;
    w->kv = kv;
    kv[2 * w->n_kv] = strdup(key);
    kv[2 * w->n_kv + 1] = strdup(value);
    w->n_kv++;
    return kv[2 * w->n_kv - 2] && kv[2 * w->n_kv - 1] ? 0 : -1;
}

/* Definition levels (1 present, 0 null) as one bit-packed run, length-prefixed. */
static void put_levels(wbuf *b, const uint8_t *valid, size_t n)
{
    size_t groups = (n + 7) / 8;
    wbuf run = {0};
    wb_varint(&run, (uint64_t)groups << 1 | 1);
    for (size_t g = 0; g < groups; g++) {
        uint8_t v = 0;
        for (size_t i = 0; i < 8 && g * 8 + i < n; i++)
            v |= (uint8_t)((valid ? valid[g * 8 + i] != 0 : 1) << i);
        wb_byte(&run, v);
    }
    wb_le(b, run.n, 4);
    wb_put(b, run.p, run.n);
    b->oom |= run.oom;
    free(run.p);
}

static uint64_t le_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void le_set(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_values(wbuf *b, const pq_wcol *c, const pq_wdata *d, size_t n, wchunk *ch)
{
    int first = 1;
    for (size_t r = 0; r < n; r++) {
        if (d->valid && !d->valid[r]) {
            ch->nulls++;
            continue;
        }
        if (c->type == PQ_INT64) {
            wb_le(b, (uint64_t)d->i[r], 8);
            if (first || d->i[r] < (int64_t)le_get(ch->min))
                le_set(ch->min, (uint64_t)d->i[r]);
            if (first || d->i[r] > (int64_t)le_get(ch->max))
                le_set(ch->max, (uint64_t)d->i[r]);
            ch->has_stats = 1;
        } else if (c->type == PQ_DOUBLE) {
            uint64_t u;
            memcpy(&u, &d->d[r], 8);
            wb_le(b, u, 8);
            double lo, hi;
            memcpy(&lo, ch->min, 8);
            memcpy(&hi, ch->max, 8);
            if (d->d[r] == d->d[r]) { /* NaN stays out of the statistics */
                if (!ch->has_stats || d->d[r] < lo)
                    memcpy(ch->min, &d->d[r], 8);
                if (!ch->has_stats || d->d[r] > hi)
                    memcpy(ch->max, &d->d[r], 8);
                ch->has_stats = 1;
            }
        } else {
            size_t k = d->off[r + 1] - d->off[r];
            wb_le(b, k, 4);
            wb_put(b, d->data + d->off[r], k);
        }
        first = 0;
    }
}

/* One column chunk: a page header and a PLAIN data page, maybe zstd'd. */
static int write_chunk(pq_writer *w, const pq_wcol *c, const pq_wdata *d, size_t n, wchunk *ch,
                       rnr_error *err)
{
    wbuf page = {0}, hdr = {0}, z = {0};
    put_levels(&page, d->valid, n);
    put_values(&page, c, d, n, ch);
    const uint8_t *body = page.p;
    size_t body_n = page.n;
    if (!page.oom && w->codec == PQ_ZSTD) {
        size_t cap = ZSTD_compressBound(page.n);
        if ((z.p = malloc(cap ? cap : 1))) {
            size_t r = ZSTD_compress(z.p, cap, page.p, page.n, 3);
            z.oom = ZSTD_isError(r);
            body = z.p;
            body_n = r;
        } else {
            z.oom = 1;
        }
    }
    tw t = {.b = &hdr};
    tw_begin(&t, 0);
    tw_int(&t, 1, T_I32, PQ_DATA_PAGE);
    tw_int(&t, 2, T_I32, (int64_t)page.n);
    tw_int(&t, 3, T_I32, (int64_t)body_n);
    tw_begin(&t, 5);
    tw_int(&t, 1, T_I32, (int64_t)n);
    tw_int(&t, 2, T_I32, PQ_PLAIN);
    tw_int(&t, 3, T_I32, PQ_RLE);
    tw_int(&t, 4, T_I32, PQ_RLE);
    tw_end(&t);
    tw_end(&t);
    int rc = RNR_OK;
    if (page.oom || hdr.oom || z.oom || page.n > INT32_MAX)
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "%s: column %s: cannot encode a page", w->path,
                           c->name);
    else if (fwrite(hdr.p, 1, hdr.n, w->f) != hdr.n || fwrite(body, 1, body_n, w->f) != body_n)
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: write failed", w->path);
    ch->offset = w->offset;
    ch->num_values = (int64_t)n;
    ch->usize = (int64_t)(hdr.n + page.n);
    ch->csize = (int64_t)(hdr.n + body_n);
    w->offset += ch->csize;
    free(page.p);
    free(hdr.p);
    free(z.p);
    return rc;
}

int pq_writer_write_group(pq_writer *w, size_t nrows, const pq_wdata *cols, rnr_error *err)
{
    wchunk *ch = realloc(w->chunks, (w->n_rg + 1) * w->ncols * sizeof *ch);
    int64_t *rr = ch ? realloc(w->rg_rows, (w->n_rg + 1) * sizeof *rr) : NULL;
    if (ch)
        w->chunks = ch;
    if (rr)
        w->rg_rows = rr;
    if (!ch || !rr)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    wchunk *row = &w->chunks[w->n_rg * w->ncols];
    memset(row, 0, w->ncols * sizeof *row);
    for (size_t k = 0; k < w->ncols; k++) {
        int rc = write_chunk(w, &w->cols[k], &cols[k], nrows, &row[k], err);
        if (rc)
            return rc;
    }
    w->rg_rows[w->n_rg++] = (int64_t)nrows;
    w->rows += (int64_t)nrows;
    return RNR_OK;
}

static void footer_schema(tw *t, const pq_writer *w)
{
    tw_list(t, 2, T_STRUCT, w->ncols + 1);
    tw_begin(t, 0);
    tw_bin(t, 4, "schema", 6);
    tw_int(t, 5, T_I32, (int64_t)w->ncols);
    tw_end(t);
    for (size_t k = 0; k < w->ncols; k++) {
        const pq_wcol *c = &w->cols[k];
        tw_begin(t, 0);
        tw_int(t, 1, T_I32, c->type);
        tw_int(t, 3, T_I32, 1); /* OPTIONAL */
        tw_bin(t, 4, c->name, strlen(c->name));
        if (c->is_string) {
            tw_int(t, 6, T_I32, 0); /* UTF8 */
            tw_begin(t, 10);        /* LogicalType STRING */
            tw_begin(t, 1);
            tw_end(t);
            tw_end(t);
        }
        tw_end(t);
    }
}

static void footer_chunk(tw *t, const pq_writer *w, size_t k, const wchunk *ch)
{
    const pq_wcol *c = &w->cols[k];
    tw_begin(t, 0);
    tw_int(t, 2, T_I64, ch->offset);
    tw_begin(t, 3);
    tw_int(t, 1, T_I32, c->type);
    tw_list(t, 2, T_I32, 2);
    wb_varint(t->b, PQ_PLAIN << 1);
    wb_varint(t->b, PQ_RLE << 1);
    tw_list(t, 3, T_BINARY, 1);
    wb_varint(t->b, strlen(c->name));
    wb_put(t->b, c->name, strlen(c->name));
    tw_int(t, 4, T_I32, w->codec);
    tw_int(t, 5, T_I64, ch->num_values);
    tw_int(t, 6, T_I64, ch->usize);
    tw_int(t, 7, T_I64, ch->csize);
    tw_int(t, 9, T_I64, ch->offset);
    tw_begin(t, 12);
    tw_int(t, 3, T_I64, ch->nulls);
    if (ch->has_stats) {
        tw_bin(t, 5, ch->max, 8);
        tw_bin(t, 6, ch->min, 8);
    }
    tw_end(t);
    tw_end(t);
    tw_end(t);
}

static int write_footer(pq_writer *w, rnr_error *err)
{
    wbuf b = {0};
    tw t = {.b = &b};
    tw_begin(&t, 0);
    tw_int(&t, 1, T_I32, 1);
    footer_schema(&t, w);
    tw_int(&t, 3, T_I64, w->rows);
    tw_list(&t, 4, T_STRUCT, w->n_rg);
    for (size_t g = 0; g < w->n_rg; g++) {
        int64_t bytes = 0;
        tw_begin(&t, 0);
        tw_list(&t, 1, T_STRUCT, w->ncols);
        for (size_t k = 0; k < w->ncols; k++) {
            footer_chunk(&t, w, k, &w->chunks[g * w->ncols + k]);
            bytes += w->chunks[g * w->ncols + k].usize;
        }
        tw_int(&t, 2, T_I64, bytes);
        tw_int(&t, 3, T_I64, w->rg_rows[g]);
        tw_end(&t);
    }
    if (w->n_kv) {
        tw_list(&t, 5, T_STRUCT, w->n_kv);
        for (size_t i = 0; i < w->n_kv; i++) {
            tw_begin(&t, 0);
            tw_bin(&t, 1, w->kv[2 * i], strlen(w->kv[2 * i]));
            tw_bin(&t, 2, w->kv[2 * i + 1], strlen(w->kv[2 * i + 1]));
            tw_end(&t);
        }
    }
    tw_bin(&t, 6, "rnr", 3);
    tw_end(&t);
    wb_le(&b, b.n, 4);
    wb_put(&b, "PAR1", 4);
    int rc = RNR_OK;
    if (b.oom)
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    else if (fwrite(b.p, 1, b.n, w->f) != b.n)
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: write failed", w->path);
    free(b.p);
    return rc;
}

int pq_writer_close(pq_writer *w, rnr_error *err)
{
    int rc = write_footer(w, err);
    if (!rc) {
        durable_file *d = w->out;
        w->out = NULL; /* commit closes the stream */
        w->f = NULL;
        rc = durable_commit(d, err);
    }
    pq_writer_abort(w);
    return rc;
}

void pq_writer_abort(pq_writer *w)
{
    if (!w)
        return;
    durable_abort(w->out);
    for (size_t i = 0; i < 2 * w->n_kv; i++)
        free(w->kv[i]);
    free(w->kv);
    free(w->chunks);
    free(w->rg_rows);
    free(w->cols);
    free(w->path);
    free(w);
}
