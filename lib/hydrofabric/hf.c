/* hf.c - open a hydrofabric, a GeoPackage or a directory of parquet
 * layers (through its sidecar index or an in-memory one), and look up one
 * flowpath. */
#include "hydrofabric/hf_internal.h"
#include "hydrofabric/gpkg.h"

#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int prepare(hf_db *h, const char *sql, sqlite3_stmt **st, rnr_error *err)
{
    if (sqlite3_prepare_v2(h->db, sql, -1, st, NULL) != SQLITE_OK)
        return rnr_error_set(err, RNR_ERR_IO, "%s: %s", hf_basename(h->path),
                             sqlite3_errmsg(h->db));
    return RNR_OK;
}

static void meta_text(sqlite3 *db, const char *key, char *buf, size_t n)
{
    sqlite3_stmt *st;
    buf[0] = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM main.meta WHERE key = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* Use the sidecar when it exists, has our version and matches the file's
 * size and header; otherwise say why and return nonzero. */
static int open_sidecar(hf_db *h, const char *ip)
{
    int ok = access(ip, R_OK) == 0 &&
             sqlite3_open_v2(ip, &h->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK;
    if (ok) {
        char v[16], stamp[64], want[64] = "";
        meta_text(h->db, "version", v, sizeof v);
        meta_text(h->db, "stamp", stamp, sizeof stamp);
        hf_file_stamp(h->path, want, sizeof want);
        ok = strcmp(v, HF_INDEX_VERSION) == 0 && strcmp(stamp, want) == 0;
        if (!ok)
            log_warn("hydrofabric",
                     "%s is stale or from another version; building an in-memory index "
                     "(run 'rnr hydrofabric index')",
                     ip);
    }
    if (!ok && h->db) {
        sqlite3_close(h->db);
        h->db = NULL;
    }
    h->info.indexed = ok;
    return ok ? 0 : -1;
}

/* Above this size the in-memory build takes seconds: say how to avoid it. */
#define HF_WARN_UNINDEXED_BYTES (64L << 20)

static int open_memory(hf_db *h, rnr_error *err)
{
    hf_layers ly;
    struct stat st;
    if (stat(h->path, &st) == 0 && st.st_size > HF_WARN_UNINDEXED_BYTES)
        log_warn("hydrofabric",
                 "%s has no index: building one in memory (slow); run 'rnr hydrofabric index %s'",
                 hf_basename(h->path), h->path);
    if (sqlite3_open_v2(":memory:", &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL) !=
        SQLITE_OK)
        return rnr_error_set(err, RNR_ERR_NOMEM, "cannot open an in-memory database");
    if (h->pq) {
        hf_build_opts o = {.src = h->src.open ? &h->src : NULL};
        return hf_parquet_build(h->db, h->path, &o, &h->info, err);
    }
    int rc = hf_attach(h->db, h->path, err);
    if (!rc)
        rc = hf_resolve_layers(h->db, h->path, &ly, err);
    if (!rc)
        rc = hf_build_tables(h->db, h->path, &ly, NULL, &h->info, err);
    return rc;
}

static int prepare_all(hf_db *h, rnr_error *err)
{
    char sql[1024];
    int rc;
    if ((rc = prepare(
             h,
             "SELECT n.mainstem, n.hydroseq, f.ord, f.id FROM net n LEFT JOIN fp f ON f.divide = n.divide"
             " WHERE n.hf_id = ?1 ORDER BY (f.id IS NULL), n.hydroseq DESC, f.id LIMIT 1",
             &h->st_origin, err)) ||
        (rc = prepare(h,
                      "SELECT n.hf_hydroseq, n.hf_id, f.id, f.hydroseq, f.poi_id,"
                      " EXISTS (SELECT 1 FROM main.lakes l WHERE l.poi_id = f.poi_id),"
                      " f.lengthkm, f.mainstem, f.dx, f.n, f.ncc, f.bw, f.tw, f.twcc, f.cs, f.s0"
                      " FROM net n JOIN fp f ON f.divide = n.divide AND f.ord = ?3"
                      " WHERE n.mainstem = ?1 AND n.hydroseq <= ?2",
                      &h->st_cand, err)) ||
        (rc = prepare(
             h,
             "SELECT f.ord, f.lengthkm, f.mainstem, f.fid, f.to_fp,"
             " (SELECT hf_id FROM net WHERE net.divide = f.divide ORDER BY hf_hydroseq DESC LIMIT 1)"
             " FROM fp f WHERE f.id = ?1",
             &h->st_lookup, err)) ||
        (rc = prepare(h, "SELECT hf_id FROM main.lakes WHERE poi_id = ?1 AND hf_id IS NOT NULL",
                      &h->st_lake, err)))
        return rc;
    if (h->pq)
        return RNR_OK; /* geometry comes from flowpaths.parquet */
    hf_layers ly;
    meta_text(h->db, "flowpaths", ly.flowpaths, sizeof ly.flowpaths);
    meta_text(h->db, "geom", ly.geom_column, sizeof ly.geom_column);
    snprintf(sql, sizeof sql, "SELECT \"%s\" FROM hf.\"%s\" WHERE rowid = ?1", ly.geom_column,
             ly.flowpaths);
    return prepare(h, sql, &h->st_geom, err);
}

int hf_open(const char *path, hf_db **out, rnr_error *err)
{
    return hf_open_source(path, NULL, NULL, out, err);
}

int hf_open_index(const char *path, const char *index_path, hf_db **out, rnr_error *err)
{
    return hf_open_source(path, index_path, NULL, out, err);
}

int hf_open_source(const char *path, const char *index_path, const hf_source *src, hf_db **out,
                   rnr_error *err)
{
    *out = NULL;
    hf_db *h = calloc(1, sizeof *h);
    char *ip = index_path ? strdup(index_path) : hf_index_path(path);
    if (!h || !ip || !(h->path = strdup(path)) || (index_path && access(index_path, R_OK) != 0)) {
        int rc = !h || !ip || (h && !h->path)
                     ? rnr_error_set(err, RNR_ERR_NOMEM, "out of memory")
                     : rnr_error_set(err, RNR_ERR_IO, "%s: cannot read the index", index_path);
        if (h)
            free(h->path);
        free(h);
        free(ip);
        if (src && src->close)
            src->close(src->ctx);
        return rc;
    }
    if (src)
        h->src = *src;
    int rc = hf_is_dir(path) ? hf_parquet_open(h, err) : RNR_OK;
    if (!rc)
        rc = open_sidecar(h, ip) == 0 ? (h->pq ? RNR_OK : hf_attach(h->db, path, err))
                                      : open_memory(h, err);
    free(ip);
    if (!rc)
        rc = prepare_all(h, err);
    if (rc) {
        hf_close(h);
        return rc;
    }
    char dup[32];
    meta_text(h->db, "duplicates", dup, sizeof dup);
    meta_text(h->db, "first_duplicate", h->info.first_duplicate, sizeof h->info.first_duplicate);
    h->info.duplicate_attributes = (size_t)strtoull(dup, NULL, 10);
    meta_text(h->db, "flowpaths", h->info.layer_flowpaths, sizeof h->info.layer_flowpaths);
    meta_text(h->db, "attributes", h->info.layer_attributes, sizeof h->info.layer_attributes);
    h->info.flowpaths =
        (size_t)hf_query_int(h->db, "SELECT value FROM main.meta WHERE key = 'n_flowpaths'", 0);
    h->info.network_rows =
        (size_t)hf_query_int(h->db, "SELECT value FROM main.meta WHERE key = 'n_network'", 0);
    h->info.lakes =
        (size_t)hf_query_int(h->db, "SELECT value FROM main.meta WHERE key = 'n_lakes'", 0);
    meta_text(h->db, "crs", h->info.crs, sizeof h->info.crs);
    if (h->pq) /* from the GeoParquet 'geo' metadata, which gives no WKT here */
        snprintf(h->crs, sizeof h->crs, "%s", h->info.crs);
    else
        hf_read_crs_gpkg(h, h->info.layer_flowpaths);
    *out = h;
    return RNR_OK;
}

void hf_close(hf_db *h)
{
    if (!h)
        return;
    sqlite3_finalize(h->st_origin);
    sqlite3_finalize(h->st_cand);
    sqlite3_finalize(h->st_geom);
    sqlite3_finalize(h->st_lookup);
    sqlite3_finalize(h->st_lake);
    sqlite3_close(h->db);
    free(h->crs_wkt);
    hf_parquet_close(h);
    if (h->src.close)
        h->src.close(h->src.ctx);
    free(h->path);
    free(h);
}

void hf_get_info(const hf_db *h, hf_info *out)
{
    *out = h->info;
}

int hf_load_geometry(hf_db *h, int64_t fid, char **wkt, const char *id, rnr_error *err)
{
    *wkt = NULL;
    if (h->pq)
        return hf_parquet_geometry(h, fid, wkt, id, err);
    sqlite3_reset(h->st_geom);
    sqlite3_bind_int64(h->st_geom, 1, fid);
    int rc = RNR_OK;
    if (sqlite3_step(h->st_geom) == SQLITE_ROW &&
        sqlite3_column_type(h->st_geom, 0) == SQLITE_BLOB) {
        const uint8_t *b = sqlite3_column_blob(h->st_geom, 0);
        size_t n = (size_t)sqlite3_column_bytes(h->st_geom, 0);
        rc = gpkg_geom_to_wkt(b, n, wkt, err);
        if (rc)
            rnr_error_prefix(err, "%s: flowpath %s", hf_basename(h->path), id);
    }
    sqlite3_reset(h->st_geom);
    return rc;
}

void hf_flowpath_clear(hf_flowpath *fp)
{
    if (fp) {
        free(fp->geometry_wkt);
        fp->geometry_wkt = NULL;
    }
}

int hf_read_begin(hf_db *h)
{
    if (h->in_read || !sqlite3_get_autocommit(h->db)) /* one is open already */
        return -1;
    h->in_read = sqlite3_exec(h->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    return h->in_read ? 0 : -1;
}

void hf_read_end(hf_db *h)
{
    if (h->in_read && sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        log_warn("hydrofabric", "%s: ending a read: %s", hf_basename(h->path),
                 sqlite3_errmsg(h->db));
    h->in_read = 0;
}

int hf_flowpath_lookup(hf_db *h, int64_t id, hf_flowpath *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = h->st_lookup;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return rnr_error_set(err, RNR_ERR_NOTFOUND, "%s: flowpath wb-%lld not found",
                             hf_basename(h->path), (long long)id);
    }
    out->num = id;
    snprintf(out->id, sizeof out->id, "wb-%lld", (long long)id);
    out->order = sqlite3_column_int(st, 0);
    out->lengthkm = sqlite3_column_double(st, 1);
    out->mainstem = sqlite3_column_int64(st, 2);
    int64_t fid = sqlite3_column_int64(st, 3);
    out->to_id = sqlite3_column_int64(st, 4);
    out->hf_id = sqlite3_column_int64(st, 5);
    sqlite3_reset(st);
    return hf_load_geometry(h, fid, &out->geometry_wkt, out->id, err);
}
