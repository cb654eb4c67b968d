/* hf_parquet.c - the hydrofabric as the reference keeps it: a directory of
 * parquet layers (network, flowpaths, flowpath-attributes, lakes required;
 * nexus optional). Fills the same compact index tables as the GeoPackage
 * path (hf_index.c), through the same SQL for the joins, so the cut and the
 * network loader cannot tell the two apart; and serves flowpath geometry
 * from flowpaths.parquet's GeoParquet WKB column.
 *
 * Only the columns RnR needs are decoded. Ids typed otherwise than in the
 * GeoPackage (hf_id as DOUBLE, ids as strings) are normalised; a value that
 * is not an integer is an error naming the file, column and row. */
#include "hydrofabric/hf_internal.h"
#include "hydrofabric/gpkg.h"
#include "hydrofabric/parquet.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const HF_PARQUET_LAYERS[] = {"network", "flowpaths",      "flowpath-attributes",
                                         "lakes",   "divides",        "nexus",
                                         "pois",    "hydrolocations", NULL};

/* How a column's values are bound into the index build's statements. */
enum col_as {
    AS_TEXT, /* ids such as "wb-12": bound as they are, SQL takes the number */
    AS_INT,  /* integers however stored (DOUBLE, string): normalised, checked */
    AS_REAL
};

typedef struct col_spec {
    const char *name;
    int as;
    int param; /* statement parameter (1-based) */
} col_spec;

struct hf_pq {
    pq_file *fp;
    int has_geom;
    size_t geom_col;
    int64_t *rg_start; /* first row of each row group, plus the total */
    size_t cached_rg;
    int cached;
    pq_column geom;
};

/* Open dir/<name>.parquet, or the source's file of that name. */
static int open_file(const char *dir, const hf_source *src, const char *name, pq_file **out,
                     rnr_error *err)
{
    char p[4096];
    if (src) {
        snprintf(p, sizeof p, "%s.parquet", name);
        return src->open(src->ctx, p, out, err);
    }
    snprintf(p, sizeof p, "%s/%s.parquet", dir, name);
    return pq_open(p, out, err);
}

static int open_layer(const char *dir, const hf_source *src, const char *a, const char *b,
                      int required, pq_file **out, char *used, size_t used_n, rnr_error *err)
{
    *out = NULL;
    rnr_error e2 = {0};
    int rc = open_file(dir, src, a, out, err);
    if (rc == RNR_ERR_NOTFOUND && b) {
        if (open_file(dir, src, b, out, &e2) == RNR_OK) {
            a = b;
            rc = RNR_OK;
        }
    }
    if (rc == RNR_ERR_NOTFOUND && !required) {
        rnr_error_clear(err);
        return RNR_OK;
    }
    if (!rc && used)
        snprintf(used, used_n, "%s", a);
    return rc;
}

static int value_error(pq_file *f, const char *col, int64_t row, const pq_column *c, size_t r,
                       const char *why, rnr_error *err)
{
    char v[64] = "";
    if (c->kind == PQ_KIND_REAL)
        snprintf(v, sizeof v, "%.17g", c->d[r]);
    else if (c->kind == PQ_KIND_BYTES)
        snprintf(v, sizeof v, "\"%.*s\"",
                 (int)(c->off[r + 1] - c->off[r] > 40 ? 40 : c->off[r + 1] - c->off[r]),
                 (const char *)c->data + c->off[r]);
    return rnr_error_set(err, RNR_ERR_INVALID, "%s: column %s, row %lld: %s %s", pq_name(f), col,
                         (long long)row, v, why);
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

static int bind_value(sqlite3_stmt *st, pq_file *f, const col_spec *cs, const pq_column *c,
                      size_t r, int64_t row, rnr_error *err)
{
    if (c->valid && !c->valid[r])
        return sqlite3_bind_null(st, cs->param), RNR_OK;
    const char *s = c->kind == PQ_KIND_BYTES ? (const char *)c->data + c->off[r] : NULL;
    size_t sn = s ? c->off[r + 1] - c->off[r] : 0;
    if (cs->as == AS_TEXT) {
        if (s)
            sqlite3_bind_text(st, cs->param, s, (int)sn, SQLITE_TRANSIENT);
        else if (c->kind == PQ_KIND_INT)
            sqlite3_bind_int64(st, cs->param, c->i[r]);
        else
            sqlite3_bind_double(st, cs->param, c->d[r]);
    } else if (cs->as == AS_INT) {
        int64_t v = 0;
        if (c->kind == PQ_KIND_INT) {
            v = c->i[r];
        } else if (c->kind == PQ_KIND_REAL) {
            double d = c->d[r];
            if (!isfinite(d) || d != floor(d) || fabs(d) >= 9.2e18)
                return value_error(f, cs->name, row, c, r, "is not an integer", err);
            v = (int64_t)d;
        } else if (sn == 0) { /* '' means none, as in the GeoPackage path */
            return sqlite3_bind_null(st, cs->param), RNR_OK;
        } else if (parse_int(s, sn, &v)) {
            return value_error(f, cs->name, row, c, r, "is not an integer", err);
        }
        sqlite3_bind_int64(st, cs->param, v);
    } else {
        double d;
        if (c->kind == PQ_KIND_INT) {
            d = (double)c->i[r];
        } else if (c->kind == PQ_KIND_REAL) {
            d = c->d[r];
        } else {
            char buf[64], *end;
            if (sn == 0 || sn >= sizeof buf)
                return value_error(f, cs->name, row, c, r, "is not a number", err);
            memcpy(buf, s, sn);
            buf[sn] = 0;
            d = strtod(buf, &end);
            if (*end)
                return value_error(f, cs->name, row, c, r, "is not a number", err);
        }
        sqlite3_bind_double(st, cs->param, d);
    }
    return RNR_OK;
}

/* Stream a layer's columns through stmt, one row group at a time. rowid
 * (when > 0) is the parameter that gets the row's ordinal. */
static int load_layer(sqlite3 *db, pq_file *f, const col_spec *cols, size_t nc, const char *sql,
                      int rowid_param, rnr_error *err)
{
    size_t idx[16];
    pq_column cv[16];
    assert(nc <= 16);
    for (size_t k = 0; k < nc; k++) {
        int rc = pq_find_column(f, cols[k].name, &idx[k], err);
        if (rc)
            return rc;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return rnr_error_set(err, RNR_ERR_INTERNAL, "%s: %s", pq_name(f), sqlite3_errmsg(db));
    memset(cv, 0, sizeof cv);
    int64_t row = 0;
    /* a remote layer fetches every wanted chunk now, in a few requests */
    int rc = pq_plan_columns(f, idx, nc, err);
    for (size_t g = 0; !rc && g < pq_num_row_groups(f); g++) {
        /* one read for the row group's wanted chunks (one GET from S3) */
        rc = pq_prefetch(f, g, idx, nc, err);
        for (size_t k = 0; !rc && k < nc; k++)
            rc = pq_read_column(f, g, idx[k], &cv[k], err);
        pq_prefetch_clear(f);
        size_t rows = (size_t)pq_row_group_rows(f, g);
        for (size_t r = 0; !rc && r < rows; r++, row++) {
            for (size_t k = 0; !rc && k < nc; k++)
                rc = bind_value(st, f, &cols[k], &cv[k], r, row, err);
            if (!rc && rowid_param)
                sqlite3_bind_int64(st, rowid_param, row);
            if (!rc && sqlite3_step(st) != SQLITE_DONE)
                rc = rnr_error_set(err, RNR_ERR_IO, "%s: %s", pq_name(f), sqlite3_errmsg(db));
            sqlite3_reset(st);
        }
        for (size_t k = 0; k < nc; k++)
            pq_column_clear(&cv[k]);
    }
    sqlite3_finalize(st);
    return rc;
}

#define NUMP(p) "CAST(substr(" p ", instr(" p ", '-') + 1) AS INTEGER)"

static int load_network(sqlite3 *db, pq_file *f, int nexus_from_network, rnr_error *err)
{
    static const col_spec cols[] = {{"hf_id", AS_INT, 1},      {"hf_mainstem", AS_INT, 2},
                                    {"hydroseq", AS_REAL, 3},  {"hf_hydroseq", AS_REAL, 4},
                                    {"divide_id", AS_TEXT, 5}, {"id", AS_TEXT, 6},
                                    {"toid", AS_TEXT, 7}};
    int rc = load_layer(db, f, cols, 6,
                        "INSERT INTO net SELECT ?1, ?2, ?3, ?4, " NUMP(
                            "?5") " WHERE ?2 IS NOT NULL AND ?6 LIKE 'wb-%'",
                        0, err);
    if (rc || !nexus_from_network)
        return rc;
    /* No nexus layer: the network's own nexus rows say where each drains. */
    static const col_spec nx[] = {{"id", AS_TEXT, 1}, {"toid", AS_TEXT, 2}};
    return load_layer(
        db, f, nx, 2,
        "INSERT OR IGNORE INTO temp.nex SELECT ?1, CASE WHEN ?2 LIKE 'wb-%' THEN " NUMP(
            "?2") " END WHERE ?1 IS NOT NULL AND ?1 NOT LIKE 'wb-%'",
        0, err);
}

static int load_rest(sqlite3 *db, pq_file *fp, pq_file *at, pq_file *nx, pq_file *lk,
                     rnr_error *err)
{
    static const col_spec nxc[] = {{"id", AS_TEXT, 1}, {"toid", AS_TEXT, 2}};
    static const col_spec atc[] = {
        {"id", AS_TEXT, 2},        {"Length_m", AS_REAL, 3}, {"n", AS_REAL, 4},
        {"nCC", AS_REAL, 5},       {"BtmWdth", AS_REAL, 6},  {"TopWdth", AS_REAL, 7},
        {"TopWdthCC", AS_REAL, 8}, {"ChSlp", AS_REAL, 9},    {"So", AS_REAL, 10}};
    static const col_spec fpc[] = {{"id", AS_TEXT, 2},       {"toid", AS_TEXT, 3},
                                   {"order", AS_INT, 4},     {"hydroseq", AS_REAL, 5},
                                   {"lengthkm", AS_REAL, 6}, {"divide_id", AS_TEXT, 7},
                                   {"poi_id", AS_INT, 8},    {"mainstem", AS_INT, 9}};
    static const col_spec lkc[] = {{"poi_id", AS_INT, 1}, {"hf_id", AS_INT, 2}};
    int rc = RNR_OK;
    if (nx)
        rc = load_layer(
            db, nx, nxc, 2,
            "INSERT OR IGNORE INTO temp.nex SELECT ?1, CASE WHEN ?2 LIKE 'wb-%' THEN " NUMP(
                "?2") " END WHERE ?1 IS NOT NULL",
            0, err);
    if (!rc)
        rc = load_layer(db, at, atc, 9,
                        "INSERT INTO temp.pq_attr VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)", 1, err);
    if (!rc)
        rc = load_layer(db, fp, fpc, 8,
                        "INSERT INTO temp.pq_fp VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)", 1, err);
    if (!rc)
        rc = load_layer(db, lk, lkc, 2,
                        "INSERT OR IGNORE INTO lakes SELECT ?1, ?2 WHERE ?1 IS NOT NULL", 0, err);
    return rc;
}

/* GeoParquet's "geo" metadata: the primary geometry column and its CRS as
 * AUTHORITY:CODE (PROJJSON id). No crs member means OGC:CRS84. */
static void read_geo(pq_file *f, char *col, size_t col_n, char *crs, size_t crs_n)
{
    const char *geo = pq_metadata(f, "geo");
    json_t *j = geo ? json_loads(geo, 0, NULL) : NULL;
    const char *pc = j ? json_string_value(json_object_get(j, "primary_column")) : NULL;
    if (pc)
        snprintf(col, col_n, "%s", pc);
    json_t *c =
        pc ? json_object_get(json_object_get(json_object_get(j, "columns"), pc), "crs") : NULL;
    if (pc && !json_object_get(json_object_get(json_object_get(j, "columns"), pc), "crs")) {
        snprintf(crs, crs_n, "OGC:CRS84");
    } else if (json_is_object(c)) {
        json_t *id = json_object_get(c, "id");
        const char *auth = json_string_value(json_object_get(id, "authority"));
        json_t *code = json_object_get(id, "code");
        if (auth && json_is_integer(code))
            snprintf(crs, crs_n, "%s:%lld", auth, (long long)json_integer_value(code));
        else if (auth && json_is_string(code))
            snprintf(crs, crs_n, "%s:%s", auth, json_string_value(code));
    } else if (json_is_string(c)) {
        snprintf(crs, crs_n, "%s", json_string_value(c));
    }
    json_decref(j);
}

int hf_parquet_build(sqlite3 *db, const char *dir, const hf_source *src, hf_info *info,
                     rnr_error *err)
{
    pq_file *net = NULL, *fp = NULL, *at = NULL, *lk = NULL, *nx = NULL;
    hf_layers ly;
    memset(&ly, 0, sizeof ly);
    memset(info, 0, sizeof *info);
    snprintf(ly.geom_column, sizeof ly.geom_column, "geometry");
    int rc;
    if ((rc = open_layer(dir, src, "network", NULL, 1, &net, NULL, 0, err)) ||
        (rc = open_layer(dir, src, "flowpaths", "flowlines", 1, &fp, ly.flowpaths,
                         sizeof ly.flowpaths, err)) ||
        (rc = open_layer(dir, src, "flowpath-attributes", "flowpath_attributes", 1, &at,
                         ly.attributes, sizeof ly.attributes, err)) ||
        (rc = open_layer(dir, src, "lakes", NULL, 1, &lk, NULL, 0, err)) ||
        (rc = open_layer(dir, src, "nexus", NULL, 0, &nx, NULL, 0, err)))
        goto done;
    read_geo(fp, ly.geom_column, sizeof ly.geom_column, ly.crs, sizeof ly.crs);
    snprintf(info->layer_flowpaths, sizeof info->layer_flowpaths, "%s", ly.flowpaths);
    snprintf(info->layer_attributes, sizeof info->layer_attributes, "%s", ly.attributes);
    snprintf(info->crs, sizeof info->crs, "%s", ly.crs);
    char *msg = NULL;
    if ((rc = hf_index_schema(db, err)))
        goto done;
    if (sqlite3_exec(
            db,
            "CREATE TEMP TABLE pq_attr(rid INTEGER PRIMARY KEY, id TEXT, Length_m REAL, n REAL, nCC REAL,"
            " BtmWdth REAL, TopWdth REAL, TopWdthCC REAL, ChSlp REAL, So REAL);"
            "CREATE TEMP TABLE pq_fp(rid INTEGER PRIMARY KEY, id TEXT, toid TEXT, \"order\" INTEGER,"
            " hydroseq REAL, lengthkm REAL, divide_id TEXT, poi_id INTEGER, mainstem INTEGER);",
            NULL, NULL, &msg) != SQLITE_OK) {
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: %s", dir, msg ? msg : "cannot create temp tables");
        sqlite3_free(msg);
        goto done;
    }
    if ((rc = load_network(db, net, nx == NULL, err)) ||
        (rc = load_rest(db, fp, at, nx, lk, err)) ||
        (rc = hf_index_flowpaths(db, "temp.pq_fp", "temp.pq_attr", info, err)))
        goto done;
    if (sqlite3_exec(db, "DROP TABLE temp.pq_fp; DROP TABLE temp.pq_attr;", NULL, NULL, NULL) !=
        SQLITE_OK) {
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: %s", dir, sqlite3_errmsg(db));
        goto done;
    }
    rc = hf_index_finish(db, dir, &ly, info, err);
done:
    if (rc) /* never leave a half-filled index behind */
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    pq_close(net);
    pq_close(fp);
    pq_close(at);
    pq_close(lk);
    pq_close(nx);
    return rc;
}

int hf_parquet_open(hf_db *h, rnr_error *err)
{
    struct hf_pq *q = calloc(1, sizeof *q);
    if (!q)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    h->pq = q;
    char col[64] = "geometry", crs[32] = "";
    int rc = open_layer(h->path, h->src.open ? &h->src : NULL, "flowpaths", "flowlines", 1, &q->fp,
                        NULL, 0, err);
    if (rc)
        return rc;
    read_geo(q->fp, col, sizeof col, crs, sizeof crs);
    rnr_error ignore = {0};
    q->has_geom = pq_find_column(q->fp, col, &q->geom_col, &ignore) == RNR_OK ||
                  pq_find_column(q->fp, "geom", &q->geom_col, &ignore) == RNR_OK;
    size_t ng = pq_num_row_groups(q->fp);
    if (!(q->rg_start = malloc((ng + 1) * sizeof *q->rg_start)))
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    q->rg_start[0] = 0;
    for (size_t g = 0; g < ng; g++)
        q->rg_start[g + 1] = q->rg_start[g] + pq_row_group_rows(q->fp, g);
    return RNR_OK;
}

void hf_parquet_close(hf_db *h)
{
    if (!h->pq)
        return;
    pq_column_clear(&h->pq->geom);
    pq_close(h->pq->fp);
    free(h->pq->rg_start);
    free(h->pq);
    h->pq = NULL;
}

/* Geometry of the flowpaths row with ordinal fid: decodes that row's row
 * group of the geometry column (kept for the next lookup, as a cut's
 * flowpaths are usually neighbours). */
int hf_parquet_geometry(hf_db *h, int64_t fid, char **wkt, const char *id, rnr_error *err)
{
    struct hf_pq *q = h->pq;
    *wkt = NULL;
    size_t ng = pq_num_row_groups(q->fp);
    if (!q->has_geom || fid < 0 || fid >= q->rg_start[ng])
        return RNR_OK;
    size_t lo = 0, hi = ng;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (q->rg_start[mid] <= fid)
            lo = mid;
        else
            hi = mid;
    }
    if (!q->cached || q->cached_rg != lo) {
        pq_column_clear(&q->geom);
        q->cached = 0;
        int rc = pq_read_column(q->fp, lo, q->geom_col, &q->geom, err);
        if (rc)
            return rc;
        if (q->geom.kind != PQ_KIND_BYTES)
            return rnr_error_set(err, RNR_ERR_PARSE, "%s: geometry column is not WKB",
                                 pq_name(q->fp));
        q->cached = 1;
        q->cached_rg = lo;
    }
    size_t r = (size_t)(fid - q->rg_start[lo]);
    if (q->geom.valid && !q->geom.valid[r])
        return RNR_OK;
    int rc = gpkg_wkb_to_wkt(q->geom.data + q->geom.off[r], q->geom.off[r + 1] - q->geom.off[r],
                             wkt, err);
    if (rc)
        rnr_error_prefix(err, "%s: flowpath %s", pq_name(q->fp), id);
    return rc;
}
