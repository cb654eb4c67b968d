/* parquet_page.c - decode one column chunk: walk its pages (dictionary,
 * data v1, data v2), decompress them, read the definition levels and the
 * values in their encoding, and lay the result out row by row with nulls
 * where the levels say so. */
#include "hydrofabric/parquet_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The column being filled and the dictionary it may use. */
typedef struct chunk_state {
    const char *what; /* "<file>: column <name> (row group <g>)" */
    int type, codec, optional;
    size_t rows, got;
    pq_column *out;
    pq_bytes bytes; /* BYTE_ARRAY output */
    int has_dict;
    size_t dict_n;
    pq_values dict;
    pq_bytes dict_bytes;
} chunk_state;

/* Non-null values of one page, before they are spread over its rows. */
typedef struct page_vals {
    size_t n;
    pq_values v;
    pq_bytes b;
} page_vals;

static int kind_of(int type)
{
    return type == PQ_BYTE_ARRAY                     ? PQ_KIND_BYTES
           : (type == PQ_FLOAT || type == PQ_DOUBLE) ? PQ_KIND_REAL
                                                     : PQ_KIND_INT;
}

static int vals_alloc(page_vals *pv, int type, size_t n)
{
    memset(pv, 0, sizeof *pv);
    pv->n = n;
    if (kind_of(type) == PQ_KIND_INT)
        return (pv->v.i = malloc((n ? n : 1) * sizeof *pv->v.i)) ? 0 : -1;
    if (kind_of(type) == PQ_KIND_REAL)
        return (pv->v.d = malloc((n ? n : 1) * sizeof *pv->v.d)) ? 0 : -1;
    pv->v.b = &pv->b;
    return 0;
}

static void vals_free(page_vals *pv)
{
    free(pv->v.i);
    free(pv->v.d);
    pq_bytes_free(&pv->b);
}

static int corrupt(chunk_state *s, const char *why, rnr_error *err)
{
    return rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt page (%s)", s->what, why);
}

static int decode_dict_indices(chunk_state *s, const uint8_t *p, size_t len, page_vals *pv,
                               rnr_error *err)
{
    if (!s->has_dict)
        return corrupt(s, "dictionary-encoded page without a dictionary page", err);
    if (pv->n && len < 1)
        return corrupt(s, "no bit width", err);
    uint32_t *idx = malloc((pv->n ? pv->n : 1) * sizeof *idx);
    if (!idx)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    int rc = pv->n ? pq_rle_decode(p + 1, len - 1, p[0], idx, pv->n, s->what, err) : RNR_OK;
    for (size_t k = 0; !rc && k < pv->n; k++) {
        if (idx[k] >= s->dict_n) {
            rc = corrupt(s, "dictionary index out of range", err);
        } else if (pv->v.i) {
            pv->v.i[k] = s->dict.i[idx[k]];
        } else if (pv->v.d) {
            pv->v.d[k] = s->dict.d[idx[k]];
        } else {
            const pq_bytes *d = &s->dict_bytes;
            if (pq_bytes_push(&pv->b, d->data + d->off[idx[k]],
                              d->off[idx[k] + 1] - d->off[idx[k]]))
                rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        }
    }
    free(idx);
    return rc;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int decode_split(chunk_state *s, const uint8_t *p, size_t len, page_vals *pv, rnr_error *err)
{
    size_t w = (s->type == PQ_INT32 || s->type == PQ_FLOAT) ? 4 : 8;
    if (s->type == PQ_BOOLEAN || s->type == PQ_BYTE_ARRAY)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED,
                             "%s: unsupported encoding BYTE_STREAM_SPLIT for this type", s->what);
    if (pv->n > len / w)
        return corrupt(s, "BYTE_STREAM_SPLIT data too short", err);
    for (size_t k = 0; k < pv->n; k++) {
        uint64_t u = 0;
        for (size_t j = 0; j < w; j++)
            u |= (uint64_t)p[j * pv->n + k] << (8 * j);
        if (s->type == PQ_INT32)
            pv->v.i[k] = (int32_t)(uint32_t)u;
        else if (s->type == PQ_INT64)
            pv->v.i[k] = (int64_t)u;
        else if (s->type == PQ_FLOAT) {
            float f;
            uint32_t x = (uint32_t)u;
            memcpy(&f, &x, 4);
            pv->v.d[k] = f;
        } else
            memcpy(&pv->v.d[k], &u, 8);
    }
    return RNR_OK;
}

/* The non-null values of a data page, in encoding enc. */
static int decode_values(chunk_state *s, int enc, const uint8_t *p, size_t len, page_vals *pv,
                         rnr_error *err)
{
    switch (enc) {
    case PQ_PLAIN:
        return pq_decode_plain(s->type, p, len, pv->n, &pv->v, s->what, err);
    case PQ_PLAIN_DICTIONARY:
    case PQ_RLE_DICTIONARY:
        return decode_dict_indices(s, p, len, pv, err);
    case PQ_RLE: {
        if (s->type != PQ_BOOLEAN)
            break;
        if (len < 4 || le32(p) > len - 4)
            return corrupt(s, "RLE boolean length", err);
        uint32_t *b = malloc((pv->n ? pv->n : 1) * sizeof *b);
        if (!b)
            return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        int rc = pq_rle_decode(p + 4, le32(p), 1, b, pv->n, s->what, err);
        for (size_t k = 0; !rc && k < pv->n; k++)
            pv->v.i[k] = b[k];
        free(b);
        return rc;
    }
    case PQ_DELTA_BINARY_PACKED: {
        if (s->type != PQ_INT32 && s->type != PQ_INT64)
            break;
        size_t got = 0, used = 0;
        int rc = pq_delta_decode(p, len, pv->v.i, pv->n, &got, &used, s->what, err);
        if (!rc && got != pv->n)
            rc = corrupt(s, "DELTA_BINARY_PACKED value count", err);
        for (size_t k = 0; !rc && s->type == PQ_INT32 && k < pv->n; k++)
            pv->v.i[k] = (int32_t)(uint32_t)(uint64_t)pv->v.i[k];
        return rc;
    }
    case PQ_DELTA_LENGTH_BYTE_ARRAY:
    case PQ_DELTA_BYTE_ARRAY:
        if (s->type != PQ_BYTE_ARRAY)
            break;
        return pq_decode_delta_bytes(enc, p, len, pv->n, &pv->b, s->what, err);
    case PQ_BYTE_STREAM_SPLIT:
        return decode_split(s, p, len, pv, err);
    default:
        break;
    }
    return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "%s: unsupported encoding %s", s->what,
                         pq_encoding_name(enc));
}

/* Spread a page's non-null values over its rows (def[k] says which). */
static int scatter(chunk_state *s, const uint32_t *def, size_t rows, page_vals *pv, rnr_error *err)
{
    pq_column *o = s->out;
    size_t k = 0;
    for (size_t r = 0; r < rows; r++) {
        size_t at = s->got + r;
        int present = !def || def[r];
        if (o->valid)
            o->valid[at] = (uint8_t)present;
        if (o->i)
            o->i[at] = present ? pv->v.i[k] : 0;
        else if (o->d)
            o->d[at] = present ? pv->v.d[k] : 0;
        else if (pq_bytes_push(&s->bytes, present ? pv->b.data + pv->b.off[k] : NULL,
                               present ? pv->b.off[k + 1] - pv->b.off[k] : 0))
            return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        k += (size_t)present;
    }
    s->got += rows;
    return RNR_OK;
}

/* Levels and values of one data page; lv/vals are already decompressed. */
static int data_page(chunk_state *s, int rle_prefixed, const uint8_t *lv, size_t lv_len,
                     const uint8_t *vals, size_t vals_len, size_t rows, int enc, rnr_error *err)
{
    if (rows > s->rows - s->got)
        return corrupt(s, "more values than the row group has rows", err);
    uint32_t *def = NULL;
    size_t nn = rows;
    int rc = RNR_OK;
    if (s->optional) {
        const uint8_t *d = lv;
        size_t dlen = lv_len;
        if (rle_prefixed) {
            if (lv_len < 4 || le32(lv) > lv_len - 4)
                return corrupt(s, "definition levels overrun the page", err);
            dlen = le32(lv);
            d = lv + 4;
            vals = lv + 4 + dlen;
            vals_len = lv_len - 4 - dlen;
        }
        if (!(def = malloc((rows ? rows : 1) * sizeof *def)))
            return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        rc = pq_rle_decode(d, dlen, 1, def, rows, s->what, err);
        nn = 0;
        for (size_t r = 0; !rc && r < rows; r++) {
            if (def[r] > 1)
                rc = corrupt(s, "definition level above 1", err);
            nn += def[r];
        }
    }
    page_vals pv;
    if (!rc && vals_alloc(&pv, s->type, nn))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    else if (!rc) {
        rc = decode_values(s, enc, vals, vals_len, &pv, err);
        if (!rc)
            rc = scatter(s, def, rows, &pv, err);
        vals_free(&pv);
    }
    free(def);
    return rc;
}

static int dict_page(chunk_state *s, const pq_page_header *ph, const uint8_t *p, size_t len,
                     rnr_error *err)
{
    if (s->has_dict)
        return corrupt(s, "a second dictionary page", err);
    if (ph->encoding != PQ_PLAIN && ph->encoding != PQ_PLAIN_DICTIONARY)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "%s: unsupported dictionary encoding %s",
                             s->what, pq_encoding_name(ph->encoding));
    page_vals pv;
    size_t n = (size_t)ph->num_values;
    if (n / 8 > len) /* PLAIN needs at least a bit per value */
        return corrupt(s, "dictionary longer than its page", err);
    if (vals_alloc(&pv, s->type, n))
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    int rc = pq_decode_plain(s->type, p, len, n, &pv.v, s->what, err);
    if (rc) {
        vals_free(&pv);
        return rc;
    }
    s->has_dict = 1;
    s->dict_n = n;
    s->dict.i = pv.v.i;
    s->dict.d = pv.v.d;
    s->dict_bytes = pv.b;
    return RNR_OK;
}

/* One page at buf (header already decoded): decompress and dispatch. */
static int one_page(chunk_state *s, const pq_page_header *ph, const uint8_t *p, rnr_error *err)
{
    size_t csize = (size_t)ph->compressed_size, usize = (size_t)ph->uncompressed_size;
    if (ph->type != PQ_DICTIONARY_PAGE && ph->type != PQ_DATA_PAGE && ph->type != PQ_DATA_PAGE_V2)
        return RNR_OK; /* index pages and anything newer: not needed */
    if (usize > PQ_MAX_PAGE)
        return rnr_error_set(err, RNR_ERR_LIMIT, "%s: a page of %zu bytes", s->what, usize);
    size_t lv_len = 0;
    if (ph->type == PQ_DATA_PAGE_V2) {
        if (!ph->has_v2 || ph->rep_len || (!s->optional && ph->def_len))
            return ph->rep_len ? rnr_error_set(err, RNR_ERR_UNSUPPORTED,
                                               "%s: repeated values: unsupported", s->what)
                               : corrupt(s, "data page v2 header", err);
        lv_len = (size_t)ph->def_len;
        if (lv_len > csize || lv_len > usize)
            return corrupt(s, "levels overrun the page", err);
    } else if (ph->type == PQ_DATA_PAGE ? !ph->has_data : !ph->has_dict) {
        return corrupt(s, "page header without its sub-header", err);
    }
    int compressed =
        s->codec != PQ_UNCOMPRESSED && (ph->type != PQ_DATA_PAGE_V2 || ph->is_compressed);
    uint8_t *u = NULL;
    const uint8_t *body = p + lv_len;
    size_t body_n = usize - lv_len;
    int rc = RNR_OK;
    if (compressed || csize != usize) {
        if (!(u = malloc(body_n ? body_n : 1)))
            return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        rc = pq_decompress(compressed ? s->codec : PQ_UNCOMPRESSED, p + lv_len, csize - lv_len, u,
                           body_n, s->what, err);
        body = u;
    }
    if (ph->encoding >= 0 && ph->encoding < 32)
        s->out->encodings |= 1u << ph->encoding;
    s->out->dict_pages += ph->type == PQ_DICTIONARY_PAGE;
    s->out->pages_v1 += ph->type == PQ_DATA_PAGE;
    s->out->pages_v2 += ph->type == PQ_DATA_PAGE_V2;
    if (!rc && ph->type == PQ_DICTIONARY_PAGE)
        rc = dict_page(s, ph, body, body_n, err);
    else if (!rc && ph->type == PQ_DATA_PAGE) {
        if (s->optional && ph->def_encoding != PQ_RLE)
            rc = rnr_error_set(err, RNR_ERR_UNSUPPORTED, "%s: unsupported level encoding %s",
                               s->what, pq_encoding_name(ph->def_encoding));
        else
            rc = data_page(s, 1, body, body_n, body, body_n, (size_t)ph->num_values, ph->encoding,
                           err);
    } else if (!rc) {
        if (ph->num_rows != ph->num_values || ph->num_nulls < 0 || ph->num_nulls > ph->num_values)
            rc = corrupt(s, "data page v2 counts", err);
        else
            rc =
                data_page(s, 0, p, lv_len, body, body_n, (size_t)ph->num_values, ph->encoding, err);
    }
    free(u);
    return rc;
}

static int check_chunk(pq_file *f, size_t rg, size_t col, chunk_state *s, uint64_t *start,
                       uint64_t *len, rnr_error *err)
{
    const pq_leaf *l = &f->leaves[col];
    const pq_chunk *c = &f->meta.rgs[rg].chunks[col];
    if (l->nested || c->path_len > 1)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "%s: nested or repeated column: unsupported",
                             s->what);
    if (!c->has_meta || c->external)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "%s: column chunk %s", s->what,
                             c->external ? "in another file: unsupported" : "has no metadata");
    if (s->type == PQ_INT96 || s->type == PQ_FIXED_LEN_BYTE_ARRAY || s->type < 0 ||
        s->type > PQ_FIXED_LEN_BYTE_ARRAY)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "%s: unsupported physical type %s", s->what,
                             s->type == PQ_INT96                  ? "INT96"
                             : s->type == PQ_FIXED_LEN_BYTE_ARRAY ? "FIXED_LEN_BYTE_ARRAY"
                                                                  : "unknown");
    if (c->type != s->type)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: corrupt footer (chunk type differs from the schema)", s->what);
    if (c->num_values != (int64_t)s->rows)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt footer (%lld values in %zu rows)",
                             s->what, (long long)c->num_values, s->rows);
    int64_t st = c->data_page_offset;
    if (c->dict_page_offset > 0 && c->dict_page_offset < st)
        st = c->dict_page_offset;
    uint64_t data_end =
        f->size - 8; /* the footer follows; bounded loosely, a chunk may not pass the tail */
    if (st < 4 || c->total_compressed <= 0 || (uint64_t)st >= data_end ||
        (uint64_t)c->total_compressed > data_end - (uint64_t)st ||
        (uint64_t)c->total_compressed > PQ_MAX_PAGE * 4ull)
        return rnr_error_set(
            err, RNR_ERR_PARSE, "%s: truncated or corrupt (chunk at %lld, %lld bytes, file %llu)",
            s->what, (long long)st, (long long)c->total_compressed, (unsigned long long)f->size);
    s->codec = c->codec;
    if (s->codec != PQ_UNCOMPRESSED && s->codec != PQ_SNAPPY && s->codec != PQ_GZIP &&
        s->codec != PQ_ZSTD)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "%s: unsupported codec %s", s->what,
                             pq_codec_name(s->codec));
    *start = (uint64_t)st;
    *len = (uint64_t)c->total_compressed;
    return RNR_OK;
}

static int alloc_out(chunk_state *s, const pq_schema_el *el, rnr_error *err)
{
    pq_column *o = s->out;
    size_t n = s->rows ? s->rows : 1;
    o->type = s->type;
    o->kind = kind_of(s->type);
    o->is_string = el->converted == 0 || el->converted == 4 || el->converted == 19 ||
                   el->logical == 1 || el->logical == 4 || el->logical == 12;
    if ((s->optional && !(o->valid = malloc(n))) ||
        (o->kind == PQ_KIND_INT && !(o->i = malloc(n * sizeof *o->i))) ||
        (o->kind == PQ_KIND_REAL && !(o->d = malloc(n * sizeof *o->d))))
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    return RNR_OK;
}

static int walk_pages(chunk_state *s, const uint8_t *buf, size_t len, rnr_error *err)
{
    size_t pos = 0;
    int rc = RNR_OK;
    while (!rc && s->got < s->rows) {
        pq_page_header ph;
        size_t used;
        if (pos >= len)
            return rnr_error_set(err, RNR_ERR_PARSE,
                                 "%s: truncated (chunk ends after %zu of %zu values)", s->what,
                                 s->got, s->rows);
        if ((rc = pq_page_header_decode(buf + pos, len - pos, &ph, &used, s->what, err)))
            return rc;
        pos += used;
        if ((size_t)ph.compressed_size > len - pos)
            return rnr_error_set(err, RNR_ERR_PARSE,
                                 "%s: truncated (page of %d bytes overruns the chunk)", s->what,
                                 ph.compressed_size);
        rc = one_page(s, &ph, buf + pos, err);
        pos += (size_t)ph.compressed_size;
    }
    return rc;
}

int pq_read_column(pq_file *f, size_t rg, size_t col, pq_column *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    if (rg >= f->meta.n_rg || col >= f->n_leaves)
        return rnr_error_set(err, RNR_ERR_INVALID, "%s: no row group %zu / column %zu", f->name, rg,
                             col);
    char what[512];
    snprintf(what, sizeof what, "%s: column %s (row group %zu)", f->name, f->leaves[col].name, rg);
    chunk_state s = {.what = what,
                     .type = f->leaves[col].el->type,
                     .out = out,
                     .optional = f->leaves[col].el->repetition == 1,
                     .rows = (size_t)f->meta.rgs[rg].num_rows};
    uint64_t start = 0, len = 0;
    int rc = check_chunk(f, rg, col, &s, &start, &len, err);
    uint8_t *buf = NULL;
    if (!rc)
        rc = alloc_out(&s, f->leaves[col].el, err);
    if (!rc && !(buf = malloc((size_t)len)))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = pq_read_at(f, start, (size_t)len, buf, err);
    if (!rc) {
        f->io.chunks_decoded++;
        rc = walk_pages(&s, buf, (size_t)len, err);
    }
    free(buf);
    free(s.dict.i);
    free(s.dict.d);
    pq_bytes_free(&s.dict_bytes);
    if (!rc && out->kind == PQ_KIND_BYTES) {
        if (s.bytes.n == 0 && pq_bytes_push(&s.bytes, NULL, 0) == 0)
            s.bytes.n = 0; /* an empty column still gets off[0] */
        out->off = s.bytes.off;
        out->data = s.bytes.data;
        s.bytes.off = NULL;
        s.bytes.data = NULL;
        if (!out->off)
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    }
    pq_bytes_free(&s.bytes);
    if (rc) {
        pq_column_clear(out);
        return rc;
    }
    out->n = s.rows;
    return RNR_OK;
}
