/* hf_pqbuild.c - the compact index built from a directory of parquet
 * layers. The tables and their meaning are the GeoPackage path's
 * (hf_index.c), and so is every rule of that path's SQL (which row wins, how
 * "wb-12" becomes 12, which rows are kept); here the joins run in C over
 * hash tables while the layers stream past, so SQLite only appends rows:
 *
 *   nexus (or the network's nexus rows)  -> id -> downstream flowpath
 *   flowpath-attributes                  -> id -> first row's parameters,
 *                                           and the duplicate count
 *   network                              -> net, one INSERT per kept row
 *   flowpaths, joined with both maps     -> fp, one INSERT per row
 *
 * No temporary tables, no SQL expression per row, and fp is appended in
 * id order (then its pages are full): straight away while the file lists
 * rising ids, sorted at the end from the first one out of order. This file
 * is the reading half; the rows go to a writer thread (hf_pqsink.c) that
 * owns the index's connection, so decoding runs beside the inserts.
 *
 * Ids typed otherwise than in the GeoPackage (hf_id as DOUBLE, ids as
 * integers) are normalised; a value that is not an integer is an error
 * naming the file, column and row. */
#include "hydrofabric/hf_internal.h"
#include "hydrofabric/hf_idmap.h"
#include "hydrofabric/hf_pqsink.h"
#include "hydrofabric/parquet.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One build: the writer the rows go to, the helpers for the rare values C
 * does not convert itself (on a connection of their own, as the index's
 * belongs to the writer thread), the maps, progress. */
typedef struct pqb {
    hf_pqsink *sink;
    sqlite3 *db;           /* in memory: for the two conversions below */
    sqlite3_stmt *st_num;  /* NUM() of an unusual id, exactly as the SQL */
    sqlite3_stmt *st_text; /* a REAL as SQLite writes it as TEXT */
    hf_idmap nex, attr;
    double *params; /* HF_PARAM_COUNT per attributes id, in first-seen order */
    uint8_t *pnull; /* bit k set: parameter k is NULL */
    size_t nparams, capparams;
    int null_attr_ids; /* NULL attribute ids seen (they group together in SQL) */
    const hf_build_opts *opts;
} pqb;

static void progress(pqb *b, const char *phase, uint64_t done, uint64_t total)
{
    if (b->opts && b->opts->progress)
        b->opts->progress(b->opts->progress_ctx, phase, done, total);
}

/* A layer being read: its columns, one row group of them decoded. */
typedef struct pqb_layer {
    pq_file *f;
    const char *const *names;
    size_t nc;
    size_t idx[10];
    pq_column cv[10];
    size_t g, rows; /* row group decoded and its rows */
    int64_t first;  /* ordinal of its first row */
} pqb_layer;

static int layer_begin(pqb_layer *l, pq_file *f, const char *const *names, size_t nc,
                       rnr_error *err)
{
    assert(nc <= 10);
    memset(l, 0, sizeof *l);
    l->f = f;
    l->names = names;
    l->nc = nc;
    for (size_t k = 0; k < nc; k++) {
        int rc = pq_find_column(f, names[k], &l->idx[k], err);
        if (rc)
            return rc;
    }
    l->g = (size_t)-1;
    /* a remote layer fetches every wanted chunk now, in a few requests */
    return pq_plan_columns(f, l->idx, nc, err);
}

static void layer_clear(pqb_layer *l)
{
    for (size_t k = 0; k < l->nc; k++)
        pq_column_clear(&l->cv[k]);
}

/* Decode row group g of every column (one read per row group). */
static int layer_read(pqb_layer *l, size_t g, rnr_error *err)
{
    layer_clear(l);
    l->first += l->g == (size_t)-1 ? 0 : (int64_t)l->rows;
    l->g = g;
    l->rows = (size_t)pq_row_group_rows(l->f, g);
    int rc = pq_prefetch(l->f, g, l->idx, l->nc, err);
    for (size_t k = 0; !rc && k < l->nc; k++) {
        rc = pq_read_column(l->f, g, l->idx[k], &l->cv[k], err);
        if (!rc && l->cv[k].n != l->rows)
            rc =
                rnr_error_set(err, RNR_ERR_PARSE, "%s: column %s has %zu values, row group %zu %zu",
                              pq_name(l->f), l->names[k], l->cv[k].n, g, l->rows);
    }
    pq_prefetch_clear(l->f);
    return rc;
}

static int value_error(const pqb_layer *l, size_t k, size_t r, const char *why, rnr_error *err)
{
    const pq_column *c = &l->cv[k];
    char v[64] = "";
    if (c->kind == PQ_KIND_REAL)
        snprintf(v, sizeof v, "%.17g", c->d[r]);
    else if (c->kind == PQ_KIND_BYTES)
        snprintf(v, sizeof v, "\"%.*s\"",
                 (int)(c->off[r + 1] - c->off[r] > 40 ? 40 : c->off[r + 1] - c->off[r]),
                 (const char *)c->data + c->off[r]);
    return rnr_error_set(err, RNR_ERR_INVALID, "%s: column %s, row %lld: %s %s", pq_name(l->f),
                         l->names[k], (long long)(l->first + (int64_t)r), v, why);
}

static int is_null(const pq_column *c, size_t r)
{
    return c->valid && !c->valid[r];
}

/* Whole-string integer, allowing "12.0" (pandas writes ints as floats). */
static int parse_int(const char *s, size_t n, int64_t *v)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    long long x = strtoll(buf, &end, 10);
    if (!errno && *end == 0) {
        *v = x;
        return 0;
    }
    double d = strtod(buf, &end);
    if (*end || !isfinite(d) || d != floor(d) || fabs(d) >= 9.2e18)
        return -1;
    *v = (int64_t)d;
    return 0;
}

/* Column k of row r as an integer however stored; HF_PQ_NULL for a null or
 * an empty string ('' means none, as in the GeoPackage path). */
static int get_int(const pqb_layer *l, size_t k, size_t r, int64_t *v, rnr_error *err)
{
    const pq_column *c = &l->cv[k];
    *v = HF_PQ_NULL;
    if (is_null(c, r))
        return RNR_OK;
    if (c->kind == PQ_KIND_INT) {
        *v = c->i[r];
    } else if (c->kind == PQ_KIND_REAL) {
        double d = c->d[r];
        if (!isfinite(d) || d != floor(d) || fabs(d) >= 9.2e18)
            return value_error(l, k, r, "is not an integer", err);
        *v = (int64_t)d;
    } else {
        size_t n = c->off[r + 1] - c->off[r];
        if (n && parse_int((const char *)c->data + c->off[r], n, v))
            return value_error(l, k, r, "is not an integer", err);
    }
    return RNR_OK;
}

/* Column k of row r as a number; *isnull set for a null. */
static int get_real(const pqb_layer *l, size_t k, size_t r, double *v, int *isnull, rnr_error *err)
{
    const pq_column *c = &l->cv[k];
    *isnull = is_null(c, r);
    *v = 0;
    if (*isnull)
        return RNR_OK;
    if (c->kind == PQ_KIND_INT) {
        *v = (double)c->i[r];
    } else if (c->kind == PQ_KIND_REAL) {
        *v = c->d[r];
    } else {
        size_t n = c->off[r + 1] - c->off[r];
        char buf[64], *end;
        if (n == 0 || n >= sizeof buf)
            return value_error(l, k, r, "is not a number", err);
        memcpy(buf, c->data + c->off[r], n);
        buf[n] = 0;
        *v = strtod(buf, &end);
        if (*end)
            return value_error(l, k, r, "is not a number", err);
    }
    return RNR_OK;
}

/* Column k of row r as TEXT, as SQLite would store it in a TEXT column
 * (integers in decimal, reals as SQLite prints them): *s NULL for a null.
 * buf (64 bytes) holds a converted value. */
static int get_text(pqb *b, const pqb_layer *l, size_t k, size_t r, char *buf, const char **s,
                    size_t *n, rnr_error *err)
{
    const pq_column *c = &l->cv[k];
    *s = NULL;
    *n = 0;
    if (is_null(c, r))
        return RNR_OK;
    if (c->kind == PQ_KIND_BYTES) {
        *s = (const char *)c->data + c->off[r];
        *n = c->off[r + 1] - c->off[r];
        return RNR_OK;
    }
    if (c->kind == PQ_KIND_INT) {
        *n = (size_t)snprintf(buf, 64, "%lld", (long long)c->i[r]);
        *s = buf;
        return RNR_OK;
    }
    sqlite3_reset(b->st_text);
    sqlite3_bind_double(b->st_text, 1, c->d[r]);
    if (sqlite3_step(b->st_text) != SQLITE_ROW)
        return rnr_error_set(err, RNR_ERR_INTERNAL, "%s: %s", pq_name(l->f), sqlite3_errmsg(b->db));
    *n = (size_t)snprintf(buf, 64, "%s", (const char *)sqlite3_column_text(b->st_text, 0));
    *s = buf;
    sqlite3_reset(b->st_text);
    return RNR_OK;
}

/* The SQL's "id LIKE 'wb-%'": ASCII case-insensitive prefix. */
static int is_wb(const char *s, size_t n)
{
    return s && n >= 3 && strncasecmp(s, "wb-", 3) == 0;
}

/* The SQL's CAST(substr(x, instr(x, '-') + 1) AS INTEGER) ("wb-12" -> 12):
 * digits after the first '-' are read here, anything else by SQLite. */
static int num_of(pqb *b, const char *s, size_t n, int64_t *v, rnr_error *err)
{
    *v = HF_PQ_NULL;
    if (!s)
        return RNR_OK;
    const char *dash = memchr(s, '-', n);
    const char *p = dash ? dash + 1 : s;
    size_t k = n - (size_t)(p - s);
    int plain = k >= 1 && k <= 18 && memchr(s, 0, n) == NULL;
    for (const char *q = s; plain && q < p; q++) /* ASCII: characters are bytes */
        plain = (unsigned char)*q < 0x80;
    if (plain) {
        int64_t x = 0;
        size_t i = 0;
        while (i < k && p[i] >= '0' && p[i] <= '9')
            x = x * 10 + (p[i++] - '0');
        if (i == k) {
            *v = x;
            return RNR_OK;
        }
    }
    sqlite3_reset(b->st_num);
    sqlite3_bind_text(b->st_num, 1, s, (int)n, SQLITE_STATIC);
    if (sqlite3_step(b->st_num) != SQLITE_ROW)
        return rnr_error_set(err, RNR_ERR_INTERNAL, "id conversion: %s", sqlite3_errmsg(b->db));
    if (sqlite3_column_type(b->st_num, 0) != SQLITE_NULL)
        *v = sqlite3_column_int64(b->st_num, 0);
    sqlite3_reset(b->st_num);
    return RNR_OK;
}

/* A layer's row count as a size hint: the footer is untrusted, so a
 * hint only (the arrays still grow), and bounded. */
static size_t rows_hint(const pq_file *f)
{
    int64_t n = pq_num_rows(f);
    return n < 0 ? 0 : n > (1 << 26) ? (size_t)1 << 26 : (size_t)n;
}

/* Run fn on every row of the layer, row group by row group. */
typedef int (*row_fn)(pqb *b, pqb_layer *l, size_t r, void *ctx, rnr_error *err);

static int layer_each(pqb *b, pqb_layer *l, const char *phase, row_fn fn, void *ctx, rnr_error *err)
{
    int rc = RNR_OK;
    uint64_t total = (uint64_t)pq_num_rows(l->f);
    for (size_t g = 0; !rc && g < pq_num_row_groups(l->f); g++) {
        rc = layer_read(l, g, err);
        for (size_t r = 0; !rc && r < l->rows; r++)
            rc = fn(b, l, r, ctx, err);
        progress(b, phase, (uint64_t)l->first + l->rows, total);
    }
    layer_clear(l);
    return rc;
}

/* nexus (id, toid), or the network's nexus rows (id, toid) when
 * from_network: id -> numeric downstream flowpath, the first row wins. */
static int row_nexus(pqb *b, pqb_layer *l, size_t r, void *ctx, rnr_error *err)
{
    int from_network = *(const int *)ctx;
    char ib[64], tb[64];
    const char *id, *to;
    size_t in, tn;
    int64_t v = HF_PQ_NULL;
    int rc = get_text(b, l, 0, r, ib, &id, &in, err);
    if (!rc)
        rc = get_text(b, l, 1, r, tb, &to, &tn, err);
    if (rc || !id || (from_network && is_wb(id, in)))
        return rc;
    if (is_wb(to, tn) && (rc = num_of(b, to, tn, &v, err)))
        return rc;
    hf_idslot *s;
    return hf_idmap_put(&b->nex, id, in, v, &s) ? rnr_error_set(err, RNR_ERR_NOMEM, "out of memory")
                                                : RNR_OK;
}

static int load_nexus(pqb *b, pq_file *f, int from_network, rnr_error *err)
{
    static const char *const cols[] = {"id", "toid"};
    pqb_layer l;
    int rc = layer_begin(&l, f, cols, 2, err);
    if (!rc && hf_idmap_reserve(&b->nex, rows_hint(f)))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    return rc ? rc : layer_each(b, &l, "nexus", row_nexus, &from_network, err);
}

/* network: the flowpath rows on a mainstem become net rows. */
static int row_network(pqb *b, pqb_layer *l, size_t r, void *ctx, rnr_error *err)
{
    (void)ctx;
    hf_net_row n = {0};
    int hs_null, hhs_null;
    char db[64], ib[64];
    const char *dv, *id;
    size_t dn, in;
    int rc;
    if ((rc = get_int(l, 0, r, &n.hf_id, err)) || (rc = get_int(l, 1, r, &n.ms, err)) ||
        (rc = get_real(l, 2, r, &n.hs, &hs_null, err)) ||
        (rc = get_real(l, 3, r, &n.hhs, &hhs_null, err)) ||
        (rc = get_text(b, l, 4, r, db, &dv, &dn, err)) ||
        (rc = get_text(b, l, 5, r, ib, &id, &in, err)))
        return rc;
    if (n.ms == HF_PQ_NULL || !is_wb(id, in))
        return RNR_OK;
    if ((rc = num_of(b, dv, dn, &n.divide, err)))
        return rc;
    n.hs_null = (uint8_t)hs_null;
    n.hhs_null = (uint8_t)hhs_null;
    return hf_pqsink_net(b->sink, &n, err);
}

static int load_network(pqb *b, pq_file *f, rnr_error *err)
{
    static const char *const cols[] = {"hf_id",       "hf_mainstem", "hydroseq",
                                       "hf_hydroseq", "divide_id",   "id"};
    pqb_layer l;
    int rc = layer_begin(&l, f, cols, 6, err);
    if (!rc)
        rc = layer_each(b, &l, "network", row_network, NULL, err);
    return rc ? rc : hf_pqsink_net_done(b->sink, err);
}

/* flowpath-attributes: the first row of each id keeps its parameters. */
static int row_attr(pqb *b, pqb_layer *l, size_t r, void *ctx, rnr_error *err)
{
    (void)ctx;
    double p[HF_PARAM_COUNT];
    uint8_t nulls = 0;
    char ib[64];
    const char *id;
    size_t in;
    int rc = get_text(b, l, 0, r, ib, &id, &in, err);
    for (size_t k = 0; !rc && k < HF_PARAM_COUNT; k++) {
        int isnull;
        rc = get_real(l, k + 1, r, &p[k], &isnull, err);
        nulls |= (uint8_t)(isnull << k);
    }
    if (rc)
        return rc;
    if (!id) { /* never joined; counted, as GROUP BY puts NULLs together */
        b->null_attr_ids++;
        return RNR_OK;
    }
    hf_idslot *s;
    if (hf_idmap_put(&b->attr, id, in, (int64_t)b->nparams, &s))
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    if (s->count > 1)
        return RNR_OK;
    if (b->nparams == b->capparams) {
        size_t cap = b->capparams ? b->capparams * 2 : 4096;
        double *np = realloc(b->params, cap * HF_PARAM_COUNT * sizeof *np);
        if (np)
            b->params = np;
        uint8_t *nn = np ? realloc(b->pnull, cap) : NULL;
        if (!nn)
            return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        b->pnull = nn;
        b->capparams = cap;
    }
    memcpy(b->params + b->nparams * HF_PARAM_COUNT, p, sizeof p);
    b->pnull[b->nparams++] = nulls;
    return RNR_OK;
}

static int load_attributes(pqb *b, pq_file *f, rnr_error *err)
{
    static const char *const cols[] = {"id",      "Length_m",  "n",     "nCC", "BtmWdth",
                                       "TopWdth", "TopWdthCC", "ChSlp", "So"};
    pqb_layer l;
    int rc = layer_begin(&l, f, cols, 9, err);
    size_t n = rows_hint(f);
    if (!rc && (hf_idmap_reserve(&b->attr, n) ||
                !(b->params = malloc((n ? n : 1) * HF_PARAM_COUNT * sizeof *b->params)) ||
                !(b->pnull = malloc(n ? n : 1))))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    b->capparams = n ? n : 1;
    return rc ? rc : layer_each(b, &l, "flowpath-attributes", row_attr, NULL, err);
}

/* The ids seen more than once (NULL ids as one), and the least of them in
 * SQLite's BINARY order (NULL first, which leaves first_duplicate empty). */
static void count_duplicates(const pqb *b, hf_info *info)
{
    const hf_idslot *least = NULL;
    info->duplicate_attributes = b->null_attr_ids > 1;
    for (size_t i = 0; i < b->attr.cap; i++) {
        const hf_idslot *s = &b->attr.slot[i];
        if (!s->hash || s->count < 2)
            continue;
        info->duplicate_attributes++;
        if (!least) {
            least = s;
            continue;
        }
        char xb[64], yb[64];
        size_t xn, yn;
        const char *x = hf_idmap_key_text(&b->attr, s, xb, &xn),
                   *y = hf_idmap_key_text(&b->attr, least, yb, &yn);
        int c = memcmp(x, y, xn < yn ? xn : yn);
        if (c < 0 || (c == 0 && xn < yn))
            least = s;
    }
    if (least && b->null_attr_ids < 2) {
        char lb[64];
        size_t ln;
        const char *l = hf_idmap_key_text(&b->attr, least, lb, &ln);
        snprintf(info->first_duplicate, sizeof info->first_duplicate, "%.*s", (int)ln, l);
    }
}

/* One flowpaths row joined with its nexus and attributes. */
typedef struct pqb_fp {
    int64_t num, divide, ord, poi, ms, to_fp, fid;
    double hs, len;
    int64_t attr; /* index into params, -1 none */
    uint8_t hs_null, len_null;
} pqb_fp;

/* Rows go to the writer as they come while their ids rise (fp is then
 * appended in id order, its pages full); from the first row out of order
 * on, they are kept and sorted at the end instead. */
typedef struct pqb_fps {
    pqb_fp *v; /* the kept rows */
    size_t n, cap;
    int sorted;   /* every row so far came in rising id order */
    int64_t last; /* the id of the last row sent; HF_PQ_NULL (below all) before */
} pqb_fps;

/* Send one row with its parameters to the writer. */
static int send_fp(pqb *b, const pqb_fp *f, rnr_error *err)
{
    hf_fp_row r = {.num = f->num,
                   .divide = f->divide,
                   .ord = f->ord,
                   .poi = f->poi,
                   .ms = f->ms,
                   .to_fp = f->to_fp,
                   .fid = f->fid,
                   .hs = f->hs,
                   .len = f->len,
                   .hs_null = f->hs_null,
                   .len_null = f->len_null,
                   .pnull = (uint8_t)((1u << HF_PARAM_COUNT) - 1)};
    if (f->attr >= 0) {
        memcpy(r.p, b->params + (size_t)f->attr * HF_PARAM_COUNT, sizeof r.p);
        r.pnull = b->pnull[f->attr];
    }
    return hf_pqsink_fp(b->sink, &r, err);
}

static int keep_fp(pqb_fps *fps, const pqb_fp *f, rnr_error *err)
{
    if (fps->n == fps->cap) {
        size_t cap = fps->cap ? fps->cap * 2 : 4096;
        pqb_fp *v = realloc(fps->v, cap * sizeof *v);
        if (!v)
            return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        fps->v = v;
        fps->cap = cap;
    }
    fps->v[fps->n++] = *f;
    return RNR_OK;
}

/* flowpaths: every "wb-" row, joined as the SQL's LEFT JOINs do. */
static int row_flowpath(pqb *b, pqb_layer *l, size_t r, void *ctx, rnr_error *err)
{
    pqb_fps *fps = ctx;
    char ib[64], tb[64], db[64];
    const char *id, *to, *dv;
    size_t in, tn, dn;
    pqb_fp f = {.to_fp = HF_PQ_NULL, .attr = -1, .fid = l->first + (int64_t)r};
    int hs_null, len_null, rc;
    if ((rc = get_text(b, l, 0, r, ib, &id, &in, err)) ||
        (rc = get_text(b, l, 1, r, tb, &to, &tn, err)) || (rc = get_int(l, 2, r, &f.ord, err)) ||
        (rc = get_real(l, 3, r, &f.hs, &hs_null, err)) ||
        (rc = get_real(l, 4, r, &f.len, &len_null, err)) ||
        (rc = get_text(b, l, 5, r, db, &dv, &dn, err)) || (rc = get_int(l, 6, r, &f.poi, err)) ||
        (rc = get_int(l, 7, r, &f.ms, err)))
        return rc;
    if (!is_wb(id, in))
        return RNR_OK;
    if ((rc = num_of(b, id, in, &f.num, err)) || (rc = num_of(b, dv, dn, &f.divide, err)))
        return rc;
    f.hs_null = (uint8_t)hs_null;
    f.len_null = (uint8_t)len_null;
    const hf_idslot *x = to ? hf_idmap_get(&b->nex, to, tn) : NULL;
    if (x)
        f.to_fp = x->val;
    const hf_idslot *a = hf_idmap_get(&b->attr, id, in);
    if (a)
        f.attr = a->val;
    if (fps->sorted && f.num > fps->last) {
        fps->last = f.num;
        return send_fp(b, &f, err);
    }
    fps->sorted = 0;
    return keep_fp(fps, &f, err);
}

static int fp_order(const void *a, const void *b)
{
    const pqb_fp *x = a, *y = b;
    if (x->num != y->num)
        return x->num < y->num ? -1 : 1;
    return x->fid < y->fid ? -1 : x->fid > y->fid;
}

/* Send the kept rows by id, the first row (least fid) of each id only; a
 * row sent before them always has a lesser fid, and the writer's OR
 * IGNORE keeps it. */
static int send_kept(pqb *b, pqb_fps *fps, rnr_error *err)
{
    qsort(fps->v, fps->n, sizeof *fps->v, fp_order);
    int rc = RNR_OK;
    for (size_t i = 0; !rc && i < fps->n; i++)
        if (!i || fps->v[i].num != fps->v[i - 1].num)
            rc = send_fp(b, &fps->v[i], err);
    return rc;
}

static int load_flowpaths(pqb *b, pq_file *f, rnr_error *err)
{
    static const char *const cols[] = {"id",       "toid",      "order",  "hydroseq",
                                       "lengthkm", "divide_id", "poi_id", "mainstem"};
    pqb_layer l;
    pqb_fps fps = {.sorted = 1, .last = HF_PQ_NULL};
    int rc = layer_begin(&l, f, cols, 8, err);
    if (!rc)
        rc = layer_each(b, &l, "flowpaths", row_flowpath, &fps, err);
    hf_idmap_free(&b->nex); /* joined: no longer needed */
    if (!rc && fps.n) {
        progress(b, "flowpaths: insert", 0, 0);
        rc = send_kept(b, &fps, err);
    }
    free(fps.v);
    return rc;
}

static int row_lake(pqb *b, pqb_layer *l, size_t r, void *ctx, rnr_error *err)
{
    (void)ctx;
    int64_t poi, hf_id;
    int rc;
    if ((rc = get_int(l, 0, r, &poi, err)) || (rc = get_int(l, 1, r, &hf_id, err)) ||
        poi == HF_PQ_NULL)
        return rc;
    return hf_pqsink_lake(b->sink, poi, hf_id, err);
}

static int load_lakes(pqb *b, pq_file *f, rnr_error *err)
{
    static const char *const cols[] = {"poi_id", "hf_id"};
    pqb_layer l;
    int rc = layer_begin(&l, f, cols, 2, err);
    return rc ? rc : layer_each(b, &l, "lakes", row_lake, NULL, err);
}

int hf_parquet_fill(sqlite3 *db, const hf_pq_layers *in, const hf_build_opts *opts, hf_info *info,
                    rnr_error *err)
{
    pqb b;
    memset(&b, 0, sizeof b);
    b.opts = opts;
    int rc = RNR_OK;
    if (sqlite3_open_v2(":memory:", &b.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(b.db, "SELECT CAST(substr(?1, instr(?1, '-') + 1) AS INTEGER)", -1,
                           &b.st_num, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(b.db, "SELECT CAST(?1 AS TEXT)", -1, &b.st_text, NULL) != SQLITE_OK)
        rc = rnr_error_set(err, RNR_ERR_INTERNAL, "index build: %s",
                           b.db ? sqlite3_errmsg(b.db) : "out of memory");
    if (!rc)
        rc = hf_pqsink_new(db, &b.sink, err);
    /* The layers in the order the SQL path reads them, so that of two bad
     * layers the same one is named. */
    if (!rc)
        rc = load_network(&b, in->network, err);
    if (!rc)
        rc = load_nexus(&b, in->nexus ? in->nexus : in->network, in->nexus == NULL, err);
    if (!rc)
        rc = load_attributes(&b, in->attributes, err);
    if (!rc)
        count_duplicates(&b, info);
    if (!rc)
        rc = load_flowpaths(&b, in->flowpaths, err);
    if (!rc)
        rc = load_lakes(&b, in->lakes, err);
    if (b.sink)
        rc = hf_pqsink_finish(b.sink, rc, &info->flowpaths, err);
    sqlite3_finalize(b.st_num);
    sqlite3_finalize(b.st_text);
    sqlite3_close(b.db);
    hf_idmap_free(&b.nex);
    hf_idmap_free(&b.attr);
    free(b.params);
    free(b.pnull);
    return rc;
}
