/* parquet.c - open a Parquet file (magic, footer, flat schema) and decode
 * one column chunk at a time: pages, levels, dictionaries, values.
 * The encodings live in parquet_enc.c, the footer's Thrift in
 * parquet_thrift.c. */
#include "hydrofabric/parquet_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rows one row group may claim: bounds what a hostile footer can make us
 * allocate (the fuzzer builds with a smaller one). */
#ifndef PQ_MAX_ROWS
#define PQ_MAX_ROWS (1ll << 28)
#endif

static int read_fd(void *ctx, uint64_t off, size_t n, uint8_t *buf, rnr_error *err)
{
    pq_file *f = ctx;
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(f->fd, buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return rnr_error_set(err, RNR_ERR_IO, "%s: read failed at byte %llu", f->name,
                                 (unsigned long long)(off + got));
        got += (size_t)r;
    }
    return RNR_OK;
}

static int read_mem(void *ctx, uint64_t off, size_t n, uint8_t *buf, rnr_error *err)
{
    pq_file *f = ctx;
    if (off > f->size || n > f->size - off)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: truncated", f->name);
    memcpy(buf, f->mem + off, n);
    return RNR_OK;
}

/* Leaves of the schema tree in column order; a group's leaves are nested. */
static int walk_schema(pq_file *f, size_t *idx, const char *prefix, int nested, int depth,
                       rnr_error *err)
{
    const pq_meta *m = &f->meta;
    if (*idx >= m->n_schema || depth > PQ_MAX_DEPTH)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt footer (schema tree)", f->name);
    const pq_schema_el *e = &m->schema[(*idx)++];
    const char *nm = e->name ? e->name : "";
    size_t len = strlen(prefix) + strlen(nm) + 2;
    char *path = malloc(len);
    if (!path)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    snprintf(path, len, "%s%s%s", prefix, *prefix ? "." : "", nm);
    int rc = RNR_OK;
    if (e->num_children > 0) {
        for (int i = 0; !rc && i < e->num_children; i++)
            rc = walk_schema(f, idx, path, 1, depth + 1, err);
        free(path);
        return rc;
    }
    if (e->num_children < 0 || e->type < 0 || f->n_leaves >= m->n_schema) {
        free(path);
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt footer (schema element %s)", f->name,
                             nm);
    }
    pq_leaf *l = &f->leaves[f->n_leaves++];
    l->el = e;
    l->name = path;
    l->nested = nested || e->repetition == 2;
    return RNR_OK;
}

static int check_meta(pq_file *f, rnr_error *err)
{
    pq_meta *m = &f->meta;
    f->leaves = calloc(m->n_schema, sizeof *f->leaves);
    if (!f->leaves)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    size_t idx = 1;
    int rc = RNR_OK;
    for (int i = 0; !rc && i < m->schema[0].num_children; i++)
        rc = walk_schema(f, &idx, "", 0, 0, err);
    if (rc)
        return rc;
    if (idx != m->n_schema)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: corrupt footer (schema has %zu stray elements)", f->name,
                             m->n_schema - idx);
    int64_t total = 0;
    for (size_t g = 0; g < m->n_rg; g++) {
        if (m->rgs[g].n_chunks != f->n_leaves)
            return rnr_error_set(err, RNR_ERR_PARSE,
                                 "%s: corrupt footer (row group %zu has %zu columns, schema %zu)",
                                 f->name, g, m->rgs[g].n_chunks, f->n_leaves);
        if (m->rgs[g].num_rows < 0 || m->rgs[g].num_rows > PQ_MAX_ROWS)
            return rnr_error_set(err, RNR_ERR_LIMIT, "%s: row group %zu claims %lld rows", f->name,
                                 g, (long long)m->rgs[g].num_rows);
        total += m->rgs[g].num_rows;
    }
    if (total != m->num_rows)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: corrupt footer (row groups hold %lld rows, file says %lld)",
                             f->name, (long long)total, (long long)m->num_rows);
    return RNR_OK;
}

static int load_footer(pq_file *f, rnr_error *err)
{
    uint8_t tail[8], head[4];
    if (f->size < 12)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: truncated (%llu bytes, not a Parquet file)",
                             f->name, (unsigned long long)f->size);
    int rc = pq_read_at(f, 0, 4, head, err);
    if (!rc)
        rc = pq_read_at(f, f->size - 8, 8, tail, err);
    if (rc)
        return rc;
    if (memcmp(tail + 4, "PAR1", 4) != 0)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: wrong magic at the end (not Parquet, or truncated)", f->name);
    if (memcmp(head, "PAR1", 4) != 0)
        return rnr_error_set(
            err, RNR_ERR_PARSE, "%s: wrong magic at the start (not Parquet%s)", f->name,
            memcmp(head, "PARE", 4) == 0 ? ": encrypted footers are unsupported" : "");
    uint32_t flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
                    (uint32_t)tail[3] << 24;
    if (flen == 0 || flen > f->size - 12 || flen > PQ_MAX_FOOTER)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: truncated or corrupt (footer length %u in %llu bytes)", f->name,
                             flen, (unsigned long long)f->size);
    f->footer = malloc(flen);
    if (!f->footer)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    if ((rc = pq_read_at(f, f->size - 8 - flen, flen, f->footer, err)) ||
        (rc = pq_meta_decode(f->footer, flen, &f->meta, f->name, err)))
        return rc;
    return check_meta(f, err);
}

int pq_open_reader(const char *name, uint64_t size, pq_read_fn read, void *ctx, pq_file **out,
                   rnr_error *err)
{
    *out = NULL;
    pq_file *f = calloc(1, sizeof *f);
    if (!f || !(f->name = strdup(name))) {
        free(f);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    }
    f->fd = -1;
    f->size = size;
    f->read = read;
    f->ctx = ctx;
    int rc = load_footer(f, err);
    if (rc) {
        pq_close(f);
        return rc;
    }
    *out = f;
    return RNR_OK;
}

int pq_open_mem(const char *name, const uint8_t *buf, size_t n, pq_file **out, rnr_error *err)
{
    pq_file *f;
    /* ctx is the pq_file itself: open with a placeholder, then point it. */
    *out = NULL;
    f = calloc(1, sizeof *f);
    if (!f || !(f->name = strdup(name))) {
        free(f);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    }
    f->fd = -1;
    f->size = n;
    f->mem = buf;
    f->read = read_mem;
    f->ctx = f;
    int rc = load_footer(f, err);
    if (rc) {
        pq_close(f);
        return rc;
    }
    *out = f;
    return RNR_OK;
}

int pq_open(const char *path, pq_file **out, rnr_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rnr_error_set(err, errno == ENOENT ? RNR_ERR_NOTFOUND : RNR_ERR_IO, "%s: %s", path,
                             errno == ENOENT ? "missing file" : strerror(errno));
    struct stat st;
    pq_file *f = calloc(1, sizeof *f);
    if (!f || fstat(fd, &st) != 0 || !(f->name = strdup(path))) {
        free(f);
        close(fd);
        return rnr_error_set(err, RNR_ERR_IO, "%s: cannot open", path);
    }
    f->fd = fd;
    f->size = (uint64_t)st.st_size;
    f->read = read_fd;
    f->ctx = f;
    int rc = load_footer(f, err);
    if (rc) {
        pq_close(f);
        return rc;
    }
    *out = f;
    return RNR_OK;
}

void pq_close(pq_file *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    pq_windows_clear(f);
    for (size_t i = 0; i < f->n_leaves; i++)
        free(f->leaves[i].name);
    free(f->leaves);
    pq_meta_free(&f->meta);
    free(f->footer);
    free(f->name);
    free(f);
}

const char *pq_name(const pq_file *f)
{
    return f->name;
}
int64_t pq_num_rows(const pq_file *f)
{
    return f->meta.num_rows;
}
size_t pq_num_row_groups(const pq_file *f)
{
    return f->meta.n_rg;
}
size_t pq_num_columns(const pq_file *f)
{
    return f->n_leaves;
}

int64_t pq_row_group_rows(const pq_file *f, size_t rg)
{
    return rg < f->meta.n_rg ? f->meta.rgs[rg].num_rows : 0;
}

const char *pq_column_name(const pq_file *f, size_t col)
{
    return col < f->n_leaves ? f->leaves[col].name : NULL;
}

int pq_column_type(const pq_file *f, size_t col)
{
    return col < f->n_leaves ? f->leaves[col].el->type : -1;
}

int pq_find_column(const pq_file *f, const char *name, size_t *col, rnr_error *err)
{
    for (size_t i = 0; i < f->n_leaves; i++)
        if (strcmp(f->leaves[i].name, name) == 0) {
            *col = i;
            return RNR_OK;
        }
    return rnr_error_set(err, RNR_ERR_NOTFOUND, "%s: missing column %s", f->name, name);
}

const char *pq_metadata(const pq_file *f, const char *key)
{
    for (size_t i = 0; i < f->meta.n_kv; i++)
        if (f->meta.kv[i].key && strcmp(f->meta.kv[i].key, key) == 0)
            return f->meta.kv[i].value ? f->meta.kv[i].value : "";
    return NULL;
}

static int stat_value(int type, const pq_bin *b, int64_t *iv, double *dv)
{
    uint64_t u = 0;
    if (!b->set)
        return 0;
    if ((type == PQ_INT32 || type == PQ_FLOAT) && b->n != 4)
        return 0;
    if ((type == PQ_INT64 || type == PQ_DOUBLE) && b->n != 8)
        return 0;
    for (size_t i = 0; i < b->n && i < 8; i++)
        u |= (uint64_t)b->p[i] << (8 * i);
    if (type == PQ_INT32) {
        *iv = (int32_t)(uint32_t)u;
    } else if (type == PQ_INT64) {
        *iv = (int64_t)u;
    } else if (type == PQ_FLOAT) {
        float x;
        uint32_t w = (uint32_t)u;
        memcpy(&x, &w, 4);
        *dv = x;
    } else if (type == PQ_DOUBLE) {
        memcpy(dv, &u, 8);
    }
    return 1;
}

int pq_chunk_stats(const pq_file *f, size_t rg, size_t col, pq_stats *s)
{
    memset(s, 0, sizeof *s);
    s->null_count = -1;
    if (rg >= f->meta.n_rg || col >= f->n_leaves)
        return 0;
    const pq_chunk *c = &f->meta.rgs[rg].chunks[col];
    if (!c->has_stats)
        return 0;
    if (c->stats.has_null_count)
        s->null_count = c->stats.null_count;
    int type = f->leaves[col].el->type;
    if (type == PQ_BYTE_ARRAY) {
        /* Only the new min_value/max_value order bytes unsigned. */
        if ((s->has_min = c->stats.min.set == 1))
            s->min_b = c->stats.min.p, s->min_len = c->stats.min.n;
        if ((s->has_max = c->stats.max.set == 1))
            s->max_b = c->stats.max.p, s->max_len = c->stats.max.n;
    } else if (type == PQ_INT32 || type == PQ_INT64 || type == PQ_FLOAT || type == PQ_DOUBLE) {
        s->has_min = stat_value(type, &c->stats.min, &s->min_i, &s->min_d);
        s->has_max = stat_value(type, &c->stats.max, &s->max_i, &s->max_d);
    }
    return s->has_min || s->has_max;
}

int pq_chunk_may_contain_int(const pq_file *f, size_t rg, size_t col, int64_t v)
{
    return pq_chunk_may_overlap_int(f, rg, col, v, v);
}

int pq_chunk_may_overlap_int(const pq_file *f, size_t rg, size_t col, int64_t lo, int64_t hi)
{
    pq_stats s;
    if (!pq_chunk_stats(f, rg, col, &s))
        return 1;
    int type = f->leaves[col].el->type;
    if (type == PQ_INT32 || type == PQ_INT64)
        return !(s.has_min && hi < s.min_i) && !(s.has_max && lo > s.max_i);
    /* NaN bounds compare false: they exclude nothing */
    if (type == PQ_FLOAT || type == PQ_DOUBLE)
        return !(s.has_min && (double)hi < s.min_d) && !(s.has_max && (double)lo > s.max_d);
    return 1;
}

void pq_column_clear(pq_column *c)
{
    if (!c)
        return;
    free(c->valid);
    free(c->i);
    free(c->d);
    free(c->off);
    free(c->data);
    memset(c, 0, sizeof *c);
}
