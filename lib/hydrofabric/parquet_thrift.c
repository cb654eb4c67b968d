/* parquet_thrift.c - the Thrift compact protocol, as Parquet uses it for
 * its footer (FileMetaData) and page headers. Decodes the fields the
 * reader needs and skips everything else, so newer writers' additions are
 * harmless. Every read is bounds-checked; nesting is capped. */
#include "hydrofabric/parquet_internal.h"

#include <stdlib.h>
#include <string.h>

/* Compact protocol type nibbles. */
enum {
    CT_STOP = 0,
    CT_TRUE = 1,
    CT_FALSE = 2,
    CT_BYTE = 3,
    CT_I16 = 4,
    CT_I32 = 5,
    CT_I64 = 6,
    CT_DOUBLE = 7,
    CT_BINARY = 8,
    CT_LIST = 9,
    CT_SET = 10,
    CT_MAP = 11,
    CT_STRUCT = 12
};

typedef struct tr {
    const uint8_t *p;
    size_t n, pos;
    int bad; /* set on the first malformed read; everything after fails */
    int depth;
} tr;

typedef struct tfield {
    int16_t last;
    int id, type;
} tfield;

static int tr_byte(tr *t, uint8_t *b)
{
    if (t->bad || t->pos >= t->n)
        return t->bad = 1, -1;
    *b = t->p[t->pos++];
    return 0;
}

static int tr_varint(tr *t, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (tr_byte(t, &b))
            return -1;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return t->bad = 1, -1;
}

static int tr_zigzag(tr *t, int64_t *v)
{
    uint64_t u;
    if (tr_varint(t, &u))
        return -1;
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

static int tr_binary(tr *t, pq_bin *b)
{
    uint64_t len;
    if (tr_varint(t, &len) || len > t->n - t->pos)
        return t->bad = 1, -1;
    b->p = t->p + t->pos;
    b->n = (size_t)len;
    b->set = 1;
    t->pos += (size_t)len;
    return 0;
}

static int tr_string(tr *t, char **s)
{
    pq_bin b;
    if (tr_binary(t, &b))
        return -1;
    free(*s);
    *s = malloc(b.n + 1);
    if (!*s)
        return t->bad = 1, -1;
    memcpy(*s, b.p, b.n);
    (*s)[b.n] = 0;
    return 0;
}

/* Next field header; 0 at STOP, 1 with f->id/f->type set, -1 when bad. */
static int tr_field(tr *t, tfield *f)
{
    uint8_t b;
    if (tr_byte(t, &b))
        return -1;
    if (b == 0)
        return 0;
    f->type = b & 0x0f;
    int delta = b >> 4;
    if (delta) {
        f->id = f->last + delta;
    } else {
        int64_t id;
        if (tr_zigzag(t, &id) || id < INT16_MIN || id > INT16_MAX)
            return t->bad = 1, -1;
        f->id = (int)id;
    }
    f->last = (int16_t)f->id;
    return 1;
}

static int tr_list(tr *t, int *etype, size_t *size)
{
    uint8_t b;
    if (tr_byte(t, &b))
        return -1;
    *etype = b & 0x0f;
    uint64_t sz = b >> 4;
    if (sz == 15 && tr_varint(t, &sz))
        return -1;
    /* Each element takes at least one byte (bools and structs included). */
    if (sz > PQ_MAX_LIST || sz > t->n - t->pos)
        return t->bad = 1, -1;
    *size = (size_t)sz;
    return 0;
}

static int tr_skip(tr *t, int type);

static int tr_skip_struct(tr *t)
{
    if (++t->depth > PQ_MAX_DEPTH)
        return t->bad = 1, -1;
    tfield f = {0};
    int r;
    while ((r = tr_field(t, &f)) == 1)
        if (tr_skip(t, f.type))
            return -1;
    t->depth--;
    return r;
}

static int tr_skip(tr *t, int type)
{
    uint8_t b;
    uint64_t u;
    pq_bin bin;
    switch (type) {
    case CT_TRUE:
    case CT_FALSE:
        return 0;
    case CT_BYTE:
        return tr_byte(t, &b);
    case CT_I16:
    case CT_I32:
    case CT_I64:
        return tr_varint(t, &u);
    case CT_DOUBLE:
        if (t->n - t->pos < 8)
            return t->bad = 1, -1;
        t->pos += 8;
        return 0;
    case CT_BINARY:
        return tr_binary(t, &bin);
    case CT_LIST:
    case CT_SET: {
        int et;
        size_t sz;
        if (tr_list(t, &et, &sz))
            return -1;
        for (size_t i = 0; i < sz; i++) {
            /* booleans inside a list are one byte each */
            if ((et == CT_TRUE || et == CT_FALSE) ? tr_byte(t, &b) : tr_skip(t, et))
                return -1;
        }
        return 0;
    }
    case CT_MAP: {
        if (tr_varint(t, &u))
            return -1;
        if (u == 0)
            return 0;
        if (u > PQ_MAX_LIST || tr_byte(t, &b))
            return t->bad = 1, -1;
        for (uint64_t i = 0; i < u; i++)
            if (tr_skip(t, b >> 4) || tr_skip(t, b & 0x0f))
                return -1;
        return 0;
    }
    case CT_STRUCT:
        return tr_skip_struct(t);
    default:
        return t->bad = 1, -1;
    }
}

/* Read an integer field of any integer wire type into *v. */
static int tr_int(tr *t, const tfield *f, int64_t *v)
{
    if (f->type == CT_BYTE) {
        uint8_t b;
        if (tr_byte(t, &b))
            return -1;
        *v = (int8_t)b;
        return 0;
    }
    if (f->type != CT_I16 && f->type != CT_I32 && f->type != CT_I64)
        return t->bad = 1, -1;
    return tr_zigzag(t, v);
}

static int tr_int32f(tr *t, const tfield *f, int32_t *v)
{
    int64_t x;
    if (tr_int(t, f, &x) || x < INT32_MIN || x > INT32_MAX)
        return t->bad = 1, -1;
    *v = (int32_t)x;
    return 0;
}

static int tr_intf(tr *t, const tfield *f, int *v)
{
    int32_t x;
    if (tr_int32f(t, f, &x))
        return -1;
    *v = x;
    return 0;
}

static int read_stats(tr *t, pq_rawstats *s)
{
    tfield f = {0};
    int r;
    pq_bin legacy_min = {0}, legacy_max = {0};
    while ((r = tr_field(t, &f)) == 1) {
        if (f.id == 1 && f.type == CT_BINARY)
            r = tr_binary(t, &legacy_max);
        else if (f.id == 2 && f.type == CT_BINARY)
            r = tr_binary(t, &legacy_min);
        else if (f.id == 3)
            r = tr_int(t, &f, &s->null_count), s->has_null_count = 1;
        else if (f.id == 5 && f.type == CT_BINARY)
            r = tr_binary(t, &s->max);
        else if (f.id == 6 && f.type == CT_BINARY)
            r = tr_binary(t, &s->min);
        else
            r = tr_skip(t, f.type);
        if (r)
            return -1;
    }
    /* The legacy min/max used a signed byte order for strings: trust them
     * only for numbers, where the caller checks the type (see parquet.c). */
    if (!s->min.set && legacy_min.set)
        s->min = legacy_min, s->min.set = 2;
    if (!s->max.set && legacy_max.set)
        s->max = legacy_max, s->max.set = 2;
    return r;
}

static int read_column_meta(tr *t, pq_chunk *c)
{
    tfield f = {0};
    int r;
    while ((r = tr_field(t, &f)) == 1) {
        int64_t v = 0;
        switch (f.id) {
        case 1:
            r = tr_intf(t, &f, &c->type);
            break;
        case 3: {
            int et;
            size_t sz;
            r = tr_list(t, &et, &sz);
            for (size_t i = 0; !r && i < sz; i++)
                r = tr_skip(t, et);
            c->path_len = (int)sz;
            break;
        }
        case 4:
            r = tr_intf(t, &f, &c->codec);
            break;
        case 5:
            r = tr_int(t, &f, &c->num_values);
            break;
        case 7:
            r = tr_int(t, &f, &c->total_compressed);
            break;
        case 9:
            r = tr_int(t, &f, &c->data_page_offset);
            break;
        case 11:
            r = tr_int(t, &f, &v), c->dict_page_offset = v;
            break;
        case 12:
            if (f.type != CT_STRUCT || ++t->depth > PQ_MAX_DEPTH)
                return t->bad = 1, -1;
            r = read_stats(t, &c->stats);
            t->depth--;
            c->has_stats = 1;
            break;
        default:
            r = tr_skip(t, f.type);
        }
        if (r)
            return -1;
    }
    c->has_meta = 1;
    return r;
}

static int read_chunk(tr *t, pq_chunk *c)
{
    tfield f = {0};
    int r;
    c->dict_page_offset = -1;
    while ((r = tr_field(t, &f)) == 1) {
        if (f.id == 1 && f.type == CT_BINARY) {
            pq_bin b;
            r = tr_binary(t, &b);
            c->external = 1;
        } else if (f.id == 3 && f.type == CT_STRUCT) {
            if (++t->depth > PQ_MAX_DEPTH)
                return t->bad = 1, -1;
            r = read_column_meta(t, c);
            t->depth--;
        } else {
            r = tr_skip(t, f.type);
        }
        if (r)
            return -1;
    }
    return r;
}

static int read_rowgroup(tr *t, pq_rowgroup *g)
{
    tfield f = {0};
    int r;
    while ((r = tr_field(t, &f)) == 1) {
        if (f.id == 1 && f.type == CT_LIST && !g->chunks) {
            int et;
            size_t sz;
            if (tr_list(t, &et, &sz) || et != CT_STRUCT)
                return t->bad = 1, -1;
            g->chunks = calloc(sz ? sz : 1, sizeof *g->chunks);
            if (!g->chunks)
                return t->bad = 1, -1;
            g->n_chunks = sz;
            for (size_t i = 0; i < sz; i++)
                if (read_chunk(t, &g->chunks[i]))
                    return -1;
            r = 0;
        } else if (f.id == 3) {
            r = tr_int(t, &f, &g->num_rows);
        } else {
            r = tr_skip(t, f.type);
        }
        if (r)
            return -1;
    }
    return r;
}

static int read_logical(tr *t, pq_schema_el *e)
{
    tfield f = {0};
    int r;
    while ((r = tr_field(t, &f)) == 1) {
        e->logical = f.id;
        if (f.id == 10 && f.type == CT_STRUCT) { /* IntType */
            tfield g = {0};
            while ((r = tr_field(t, &g)) == 1) {
                int64_t v;
                if (g.id == 1 && !tr_int(t, &g, &v))
                    e->int_bits = (int)v;
                else if (g.id == 2 && (g.type == CT_TRUE || g.type == CT_FALSE))
                    e->int_signed = g.type == CT_TRUE;
                else if (tr_skip(t, g.type))
                    return -1;
            }
            if (r)
                return -1;
        } else if (tr_skip(t, f.type)) {
            return -1;
        }
    }
    return r;
}

static int read_schema_el(tr *t, pq_schema_el *e)
{
    tfield f = {0};
    int r;
    e->type = -1;
    e->converted = -1;
    while ((r = tr_field(t, &f)) == 1) {
        switch (f.id) {
        case 1:
            r = tr_intf(t, &f, &e->type);
            break;
        case 3:
            r = tr_intf(t, &f, &e->repetition);
            break;
        case 4:
            r = f.type == CT_BINARY ? tr_string(t, &e->name) : tr_skip(t, f.type);
            break;
        case 5:
            r = tr_intf(t, &f, &e->num_children);
            break;
        case 6:
            r = tr_intf(t, &f, &e->converted);
            break;
        case 10:
            if (f.type != CT_STRUCT || ++t->depth > PQ_MAX_DEPTH)
                return t->bad = 1, -1;
            r = read_logical(t, e);
            t->depth--;
            break;
        default:
            r = tr_skip(t, f.type);
        }
        if (r)
            return -1;
    }
    return r;
}

static int read_kv(tr *t, pq_kv *kv)
{
    tfield f = {0};
    int r;
    while ((r = tr_field(t, &f)) == 1) {
        if ((f.id == 1 || f.id == 2) && f.type == CT_BINARY)
            r = tr_string(t, f.id == 1 ? &kv->key : &kv->value);
        else
            r = tr_skip(t, f.type);
        if (r)
            return -1;
    }
    return r;
}

/* A list<struct> field into a calloc'd array of n elements of size sz. */
static int read_struct_list(tr *t, void **arr, size_t *n, size_t sz, int (*one)(tr *, void *))
{
    int et;
    size_t k;
    if (*arr || tr_list(t, &et, &k) || et != CT_STRUCT)
        return t->bad = 1, -1;
    *arr = calloc(k ? k : 1, sz);
    if (!*arr)
        return t->bad = 1, -1;
    *n = k;
    for (size_t i = 0; i < k; i++)
        if (one(t, (char *)*arr + i * sz))
            return -1;
    return 0;
}

static int one_schema(tr *t, void *p)
{
    return read_schema_el(t, p);
}
static int one_rowgroup(tr *t, void *p)
{
    return read_rowgroup(t, p);
}
static int one_kv(tr *t, void *p)
{
    return read_kv(t, p);
}

int pq_meta_decode(const uint8_t *buf, size_t n, pq_meta *m, const char *name, rnr_error *err)
{
    memset(m, 0, sizeof *m);
    tr t = {buf, n, 0, 0, 0};
    tfield f = {0};
    int r, seen_schema = 0, seen_rows = 0;
    while ((r = tr_field(&t, &f)) == 1) {
        if (f.id == 2 && f.type == CT_LIST)
            r = read_struct_list(&t, (void **)&m->schema, &m->n_schema, sizeof *m->schema,
                                 one_schema),
            seen_schema = 1;
        else if (f.id == 3)
            r = tr_int(&t, &f, &m->num_rows), seen_rows = 1;
        else if (f.id == 4 && f.type == CT_LIST)
            r = read_struct_list(&t, (void **)&m->rgs, &m->n_rg, sizeof *m->rgs, one_rowgroup);
        else if (f.id == 5 && f.type == CT_LIST)
            r = read_struct_list(&t, (void **)&m->kv, &m->n_kv, sizeof *m->kv, one_kv);
        else
            r = tr_skip(&t, f.type);
        if (r)
            break;
    }
    if (r != 0 || t.bad) {
        pq_meta_free(m);
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: corrupt footer (bad Thrift at byte %zu of %zu)", name, t.pos, n);
    }
    if (!seen_schema || !seen_rows || m->n_schema == 0 || m->num_rows < 0) {
        pq_meta_free(m);
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt footer (no schema or row count)",
                             name);
    }
    return RNR_OK;
}

void pq_meta_free(pq_meta *m)
{
    for (size_t i = 0; i < m->n_schema; i++)
        free(m->schema[i].name);
    free(m->schema);
    for (size_t i = 0; i < m->n_rg; i++)
        free(m->rgs[i].chunks);
    free(m->rgs);
    for (size_t i = 0; i < m->n_kv; i++) {
        free(m->kv[i].key);
        free(m->kv[i].value);
    }
    free(m->kv);
    memset(m, 0, sizeof *m);
}

/* DataPageHeader (kind 5), DictionaryPageHeader (7), DataPageHeaderV2 (8). */
static int read_data_header(tr *t, pq_page_header *ph, int kind)
{
    tfield f = {0};
    int r;
    while ((r = tr_field(t, &f)) == 1) {
        int id = kind == 8 ? f.id + 100 : kind == 7 && f.id > 2 ? 0 : f.id;
        switch (id) {
        case 1:
        case 101:
            r = tr_int32f(t, &f, &ph->num_values);
            break;
        case 2:
        case 104:
            r = tr_intf(t, &f, &ph->encoding);
            break;
        case 3:
            r = tr_intf(t, &f, &ph->def_encoding);
            break;
        case 4:
            r = tr_intf(t, &f, &ph->rep_encoding);
            break;
        case 102:
            r = tr_int32f(t, &f, &ph->num_nulls);
            break;
        case 103:
            r = tr_int32f(t, &f, &ph->num_rows);
            break;
        case 105:
            r = tr_int32f(t, &f, &ph->def_len);
            break;
        case 106:
            r = tr_int32f(t, &f, &ph->rep_len);
            break;
        case 107:
            if (f.type != CT_TRUE && f.type != CT_FALSE)
                return t->bad = 1, -1;
            ph->is_compressed = f.type == CT_TRUE;
            r = 0;
            break;
        default:
            r = tr_skip(t, f.type);
        }
        if (r)
            return -1;
    }
    return r;
}

int pq_page_header_decode(const uint8_t *buf, size_t n, pq_page_header *ph, size_t *used,
                          const char *name, rnr_error *err)
{
    memset(ph, 0, sizeof *ph);
    ph->is_compressed = 1;
    ph->type = -1;
    tr t = {buf, n, 0, 0, 1};
    tfield f = {0};
    int r;
    while ((r = tr_field(&t, &f)) == 1) {
        switch (f.id) {
        case 1:
            r = tr_intf(&t, &f, &ph->type);
            break;
        case 2:
            r = tr_int32f(&t, &f, &ph->uncompressed_size);
            break;
        case 3:
            r = tr_int32f(&t, &f, &ph->compressed_size);
            break;
        case 5:
        case 7:
        case 8:
            if (f.type != CT_STRUCT) {
                r = -1;
                break;
            }
            if (f.id == 5)
                ph->has_data = 1;
            else if (f.id == 7)
                ph->has_dict = 1;
            else
                ph->has_v2 = 1;
            r = read_data_header(&t, ph, f.id);
            break;
        default:
            r = tr_skip(&t, f.type);
        }
        if (r)
            break;
    }
    if (r != 0 || t.bad || ph->compressed_size < 0 || ph->uncompressed_size < 0 ||
        ph->num_values < 0 || ph->def_len < 0 || ph->rep_len < 0)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt page header", name);
    *used = t.pos;
    return RNR_OK;
}
