/* hf_export.c - write a GeoPackage hydrofabric as the reference's parquet
 * layout (one file per layer, geometry as GeoParquet WKB with 'geo'
 * metadata), with our own writer (parquet_write.c). Tests and benchmarks
 * get parquet at any size from `rnr hydrofabric generate|convert`. */
#include "hydrofabric/hf_internal.h"
#include "hydrofabric/gpkg.h"
#include "hydrofabric/parquet.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EXPORT_MAX_COLS 64

/* One column's row-group buffer. */
typedef struct colbuf {
    pq_wcol c;
    char name[64];
    int geom;
    uint8_t *valid;
    int64_t *i;
    double *d;
    size_t *off;
    uint8_t *data;
    size_t len, cap;
} colbuf;

typedef struct layer_out {
    size_t n;
    colbuf cols[EXPORT_MAX_COLS];
    size_t rows, group;
} layer_out;

static int push_bytes(colbuf *b, size_t r, const void *p, size_t k)
{
    if (b->len + k > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + k)
            cap *= 2;
        uint8_t *q = realloc(b->data, cap);
        if (!q)
            return -1;
        b->data = q;
        b->cap = cap;
    }
    if (k)
        memcpy(b->data + b->len, p, k);
    b->len += k;
    b->off[r + 1] = b->len;
    return 0;
}

/* Put row r of statement column k into its buffer. */
static int take_value(colbuf *b, sqlite3_stmt *st, int k, size_t r)
{
    int null = sqlite3_column_type(st, k) == SQLITE_NULL;
    b->valid[r] = (uint8_t)!null;
    if (b->c.type == PQ_INT64) {
        b->i[r] = null ? 0 : sqlite3_column_int64(st, k);
    } else if (b->c.type == PQ_DOUBLE) {
        b->d[r] = null ? 0 : sqlite3_column_double(st, k);
    } else if (b->geom) {
        const uint8_t *p = sqlite3_column_blob(st, k);
        size_t n = (size_t)sqlite3_column_bytes(st, k);
        gpkg_geom_header h;
        if (null || !p || gpkg_header_parse(p, n, &h, NULL) != RNR_OK || h.empty) {
            b->valid[r] = 0;
            return push_bytes(b, r, NULL, 0);
        }
        return push_bytes(b, r, p + h.wkb_offset, n - h.wkb_offset);
    } else {
        const unsigned char *t = null ? NULL : sqlite3_column_text(st, k);
        return push_bytes(b, r, t, t ? (size_t)sqlite3_column_bytes(st, k) : 0);
    }
    return 0;
}

static int flush_group(pq_writer *w, layer_out *lo, rnr_error *err)
{
    pq_wdata d[EXPORT_MAX_COLS];
    if (lo->rows == 0)
        return RNR_OK;
    for (size_t k = 0; k < lo->n; k++) {
        colbuf *b = &lo->cols[k];
        d[k] = (pq_wdata){b->valid, b->i, b->d, b->off, b->data};
    }
    int rc = pq_writer_write_group(w, lo->rows, d, err);
    for (size_t k = 0; k < lo->n; k++)
        lo->cols[k].len = 0;
    lo->rows = 0;
    return rc;
}

static void free_layer(layer_out *lo)
{
    for (size_t k = 0; k < lo->n; k++) {
        free(lo->cols[k].valid);
        free(lo->cols[k].i);
        free(lo->cols[k].d);
        free(lo->cols[k].off);
        free(lo->cols[k].data);
    }
}

/* Whether a declared SQL type contains w (upper case), ignoring case. */
static int has_word(const char *type, const char *w)
{
    for (const char *p = type; *p; p++) {
        size_t k = 0;
        while (w[k] && p[k] && toupper((unsigned char)p[k]) == w[k])
            k++;
        if (!w[k])
            return 1;
    }
    return 0;
}

/* The layer's columns (fid left out) and their parquet types. */
static int plan_layer(sqlite3 *db, const char *layer, const char *geom, layer_out *lo, char *sel,
                      size_t sel_n, rnr_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT name, type FROM pragma_table_info(?1)", -1, &st, NULL) !=
        SQLITE_OK)
        return rnr_error_set(err, RNR_ERR_IO, "%s: %s", layer, sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, layer, -1, SQLITE_STATIC);
    size_t used = 0;
    sel[0] = 0;
    while (sqlite3_step(st) == SQLITE_ROW && lo->n < EXPORT_MAX_COLS) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *type = (const char *)sqlite3_column_text(st, 1);
        if (!name || strcmp(name, "fid") == 0 || strlen(name) >= 60)
            continue;
        colbuf *b = &lo->cols[lo->n++];
        b->geom = geom && strcmp(name, geom) == 0;
        snprintf(b->name, sizeof b->name, "%s", b->geom ? "geometry" : name);
        b->c.name = b->name;
        type = type ? type : "";
        b->c.type = b->geom                 ? PQ_BYTE_ARRAY
                    : has_word(type, "INT") ? PQ_INT64
                    : (has_word(type, "REAL") || has_word(type, "FLOA") || has_word(type, "DOUB") ||
                       has_word(type, "NUMERIC"))
                        ? PQ_DOUBLE
                        : PQ_BYTE_ARRAY;
        b->c.is_string = b->c.type == PQ_BYTE_ARRAY && !b->geom;
        used += (size_t)snprintf(sel + used, used < sel_n ? sel_n - used : 0, "%s\"%s\"",
                                 lo->n > 1 ? ", " : "", name);
    }
    sqlite3_finalize(st);
    if (used >= sel_n)
        return rnr_error_set(err, RNR_ERR_LIMIT, "%s: too many columns", layer);
    for (size_t k = 0; k < lo->n; k++) {
        colbuf *b = &lo->cols[k];
        if (!(b->valid = malloc(lo->group)) || !(b->i = malloc(lo->group * sizeof *b->i)) ||
            !(b->d = malloc(lo->group * sizeof *b->d)) ||
            !(b->off = calloc(lo->group + 1, sizeof *b->off)))
            return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    }
    return RNR_OK;
}

static int export_rows(sqlite3 *db, const char *layer, const char *sel, pq_writer *w, layer_out *lo,
                       rnr_error *err)
{
    char sql[8192];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, "SELECT %s FROM \"%s\" ORDER BY rowid", sel, layer);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return rnr_error_set(err, RNR_ERR_IO, "%s: %s", layer, sqlite3_errmsg(db));
    int rc = RNR_OK, s;
    while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
        for (size_t k = 0; !rc && k < lo->n; k++)
            if (take_value(&lo->cols[k], st, (int)k, lo->rows))
                rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        if (!rc && ++lo->rows == lo->group)
            rc = flush_group(w, lo, err);
    }
    if (!rc && s != SQLITE_DONE)
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: %s", layer, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc ? rc : flush_group(w, lo, err);
}

/* Geometry column and CRS of a layer; geom[0] == 0 when it has none. */
static void layer_geom(sqlite3 *db, const char *layer, char *geom, size_t gn, char *crs, size_t cn)
{
    sqlite3_stmt *st;
    geom[0] = crs[0] = 0;
    if (sqlite3_prepare_v2(
            db,
            "SELECT g.column_name, s.organization, s.organization_coordsys_id"
            " FROM gpkg_geometry_columns g LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id"
            " WHERE g.table_name = ?1",
            -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, layer, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        snprintf(geom, gn, "%s", (const char *)sqlite3_column_text(st, 0));
        if (sqlite3_column_text(st, 1))
            snprintf(crs, cn, "{\"id\": {\"authority\": \"%s\", \"code\": %lld}}",
                     (const char *)sqlite3_column_text(st, 1),
                     (long long)sqlite3_column_int64(st, 2));
    }
    sqlite3_finalize(st);
}

static int export_layer(sqlite3 *db, const char *layer, const char *dir, size_t group, int zstd,
                        rnr_error *err)
{
    char geom[64], crs[256], path[4096], sel[4096], geo[512];
    layer_geom(db, layer, geom, sizeof geom, crs, sizeof crs);
    layer_out *lo = calloc(1, sizeof *lo);
    if (!lo)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    lo->group = group;
    pq_writer *w = NULL;
    snprintf(path, sizeof path, "%s/%s.parquet", dir, layer);
    int rc = plan_layer(db, layer, geom[0] ? geom : NULL, lo, sel, sizeof sel, err);
    pq_wcol cols[EXPORT_MAX_COLS];
    for (size_t k = 0; k < lo->n; k++)
        cols[k] = lo->cols[k].c;
    if (!rc)
        rc = pq_writer_open(path, cols, lo->n, zstd, &w, err);
    if (!rc && geom[0]) {
        snprintf(geo, sizeof geo,
                 "{\"version\": \"1.1.0\", \"primary_column\": \"geometry\", \"columns\": "
                 "{\"geometry\": {\"encoding\": \"WKB\", \"geometry_types\": []%s%s}}}",
                 crs[0] ? ", \"crs\": " : "", crs);
        if (pq_writer_set_metadata(w, "geo", geo))
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    }
    if (!rc)
        rc = export_rows(db, layer, sel, w, lo, err);
    if (!rc) {
        rc = pq_writer_close(w, err);
        w = NULL;
    }
    pq_writer_abort(w);
    free_layer(lo);
    free(lo);
    return rc;
}

/* An empty lakes.parquet for a file without lakes: the layout needs one. */
static int empty_lakes(const char *dir, rnr_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/lakes.parquet", dir);
    pq_wcol cols[2] = {{"poi_id", PQ_DOUBLE, 0}, {"hf_id", PQ_DOUBLE, 0}};
    pq_writer *w;
    int rc = pq_writer_open(path, cols, 2, 0, &w, err);
    return rc ? rc : pq_writer_close(w, err);
}

int hf_export_parquet(const char *gpkg_path, const char *dir, size_t row_group, int zstd,
                      rnr_error *err)
{
    if (row_group == 0)
        row_group = 65536;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return rnr_error_set(err, RNR_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    sqlite3 *db;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        return rnr_error_set(err, RNR_ERR_NOMEM, "cannot open SQLite");
    int rc = hf_attach(db, gpkg_path, err);
    sqlite3_close(db);
    if (rc)
        return rc;
    if (sqlite3_open_v2(gpkg_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: cannot open", gpkg_path);
        sqlite3_close(db);
        return rc;
    }
    int has_lakes = 0;
    for (const char *const *l = HF_PARQUET_LAYERS; !rc && *l; l++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s'", *l);
        if (hf_query_int(db, sql, 0) == 0)
            continue;
        has_lakes |= strcmp(*l, "lakes") == 0;
        rc = export_layer(db, *l, dir, row_group, zstd, err);
        if (rc)
            rnr_error_prefix(err, "%s", hf_basename(gpkg_path));
    }
    sqlite3_close(db);
    if (!rc && !has_lakes)
        rc = empty_lakes(dir, err);
    return rc;
}
