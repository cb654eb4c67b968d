/* hf_index.c - the compact index: the few columns of network, flowpaths,
 * flowpath-attributes, nexus and lakes that the RnR cut and the network
 * loader read, with integer ids and B-tree indexes. Built into a sidecar
 * SQLite file once (hf_index_build) or into memory when there is none. */
#include "hydrofabric/hf_internal.h"

#include "core/durable.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *hf_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

char *hf_index_path(const char *gpkg_path)
{
    size_t n = strlen(gpkg_path);
    while (n > 1 && gpkg_path[n - 1] == '/') /* "dir/" -> "dir.rnrindex", beside the directory */
        n--;
    char *p = malloc(n + 10);
    if (p)
        snprintf(p, n + 10, "%.*s.rnrindex", (int)n, gpkg_path);
    return p;
}

int hf_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t k)
{
    for (size_t i = 0; i < k; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* Size and a hash of the bytes at off (up to 4 KiB) of one file. */
static int stamp_part(const char *path, long off_from_end, uint64_t *h, long *size)
{
    unsigned char buf[4096];
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    long at = off_from_end ? (*size > off_from_end ? *size - off_from_end : 0) : 0;
    fseek(f, at, SEEK_SET);
    size_t k = fread(buf, 1, off_from_end ? (size_t)off_from_end : 100, f);
    fclose(f);
    *h = fnv(*h, buf, k);
    return 0;
}

/* Size plus a hash of the 100-byte SQLite header (change counter, page
 * count, schema cookie): survives a copy or a download, unlike mtime, and
 * changes with every committed write. For a parquet directory: the sizes
 * and the last 4 KiB (the footer's end) of each layer file. */
int hf_file_stamp(const char *path, char *buf, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    long size = 0;
    if (!hf_is_dir(path)) {
        if (stamp_part(path, 0, &h, &size))
            return -1;
        snprintf(buf, n, "%ld:%016llx", size, (unsigned long long)h);
        return 0;
    }
    long total = 0;
    for (const char *const *l = HF_PARQUET_LAYERS; *l; l++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s.parquet", path, *l);
        long sz = 0;
        h = fnv(h, (const unsigned char *)*l, strlen(*l));
        if (stamp_part(p, 4096, &h, &sz) == 0)
            total += sz;
        h = fnv(h, (const unsigned char *)&sz, sizeof sz);
    }
    snprintf(buf, n, "pq%ld:%016llx", total, (unsigned long long)h);
    return 0;
}

int hf_sql_error(sqlite3 *db, const char *what, const char *msg, rnr_error *err)
{
    const char *file = sqlite3_db_filename(db, "main");
    return rnr_error_set(err, RNR_ERR_IO, "%s: %s: %s", file && *file ? file : "index", what,
                         msg ? msg : sqlite3_errmsg(db));
}

static int exec_sql(sqlite3 *db, const char *sql, const char *what, rnr_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = hf_sql_error(db, what, msg, err);
        sqlite3_free(msg);
        return rc;
    }
    return RNR_OK;
}

static void progress(const hf_build_opts *opts, const char *phase, uint64_t done, uint64_t total)
{
    if (opts && opts->progress)
        opts->progress(opts->progress_ctx, phase, done, total);
}

int hf_attach(sqlite3 *db, const char *gpkg_path, rnr_error *err)
{
    if (access(gpkg_path, R_OK) != 0)
        return rnr_error_set(err, RNR_ERR_IO, "%s: cannot read the hydrofabric file", gpkg_path);
    /* A URI lets us ask for read-only; escape what URIs treat specially. */
    size_t n = strlen(gpkg_path);
    char *uri = malloc(3 * n + 32);
    if (!uri)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    char *q = uri + sprintf(uri, "file:");
    for (const char *s = gpkg_path; *s; s++) {
        if (*s == '%' || *s == '?' || *s == '#')
            q += sprintf(q, "%%%02X", (unsigned char)*s);
        else
            *q++ = *s;
    }
    strcpy(q, "?mode=ro");
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS hf", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    free(uri);
    if (rc != SQLITE_DONE)
        return rnr_error_set(err, RNR_ERR_IO, "%s: cannot open as SQLite: %s", gpkg_path,
                             sqlite3_errmsg(db));
    /* A file that is not SQLite only fails on first read. */
    if (sqlite3_exec(db, "SELECT count(*) FROM hf.sqlite_master", NULL, NULL, NULL) != SQLITE_OK)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: not a GeoPackage (%s)", gpkg_path,
                             sqlite3_errmsg(db));
    return RNR_OK;
}

static int table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    int found = 0;
    if (sqlite3_prepare_v2(
            db, "SELECT 1 FROM hf.sqlite_master WHERE type IN ('table','view') AND name = ?1", -1,
            &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* Exact names only: a pattern could match flowpath-attributes-ml. */
static int pick_layer(sqlite3 *db, const char *path, const char *a, const char *b, char *out,
                      size_t n, rnr_error *err)
{
    if (table_exists(db, a))
        snprintf(out, n, "%s", a);
    else if (b && table_exists(db, b))
        snprintf(out, n, "%s", b);
    else if (b)
        return rnr_error_set(err, RNR_ERR_NOTFOUND, "%s: layer %s not found (also tried %s)",
                             hf_basename(path), a, b);
    else
        return rnr_error_set(err, RNR_ERR_NOTFOUND, "%s: layer %s not found", hf_basename(path), a);
    return RNR_OK;
}

static int check_columns(sqlite3 *db, const char *path, const char *layer, const char *const *cols,
                         rnr_error *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info(?1, 'hf')");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return rnr_error_set(err, RNR_ERR_IO, "%s: %s", hf_basename(path), sqlite3_errmsg(db));
    for (const char *const *c = cols; *c; c++) {
        int found = 0;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, layer, -1, SQLITE_STATIC);
        while (!found && sqlite3_step(st) == SQLITE_ROW)
            found = strcmp((const char *)sqlite3_column_text(st, 0), *c) == 0;
        if (!found) {
            sqlite3_finalize(st);
            return rnr_error_set(err, RNR_ERR_NOTFOUND, "%s: layer %s has no column %s",
                                 hf_basename(path), layer, *c);
        }
    }
    sqlite3_finalize(st);
    return RNR_OK;
}

int hf_resolve_layers(sqlite3 *db, const char *path, hf_layers *ly, rnr_error *err)
{
    static const char *const net_cols[] = {"id",    "toid",        "divide_id",   "hydroseq",
                                           "hf_id", "hf_mainstem", "hf_hydroseq", NULL};
    static const char *const fp_cols[] = {"id",     "toid",     "order",    "lengthkm", "divide_id",
                                          "poi_id", "mainstem", "hydroseq", NULL};
    static const char *const at_cols[] = {"id",      "Length_m",  "n",     "nCC", "BtmWdth",
                                          "TopWdth", "TopWdthCC", "ChSlp", "So",  NULL};
    static const char *const nx_cols[] = {"id", "toid", NULL};
    static const char *const lk_cols[] = {"poi_id", "hf_id", NULL};
    memset(ly, 0, sizeof *ly);
    char tmp[32];
    int rc;
    if ((rc = pick_layer(db, path, "network", NULL, tmp, sizeof tmp, err)) ||
        (rc = check_columns(db, path, "network", net_cols, err)) ||
        (rc = pick_layer(db, path, "flowpaths", "flowlines", ly->flowpaths, sizeof ly->flowpaths,
                         err)) ||
        (rc = check_columns(db, path, ly->flowpaths, fp_cols, err)) ||
        (rc = pick_layer(db, path, "flowpath-attributes", "flowpath_attributes", ly->attributes,
                         sizeof ly->attributes, err)) ||
        (rc = check_columns(db, path, ly->attributes, at_cols, err)) ||
        (rc = pick_layer(db, path, "nexus", NULL, tmp, sizeof tmp, err)) ||
        (rc = check_columns(db, path, "nexus", nx_cols, err)))
        return rc;
    ly->has_lakes = table_exists(db, "lakes");
    if (ly->has_lakes && (rc = check_columns(db, path, "lakes", lk_cols, err)))
        return rc;
    snprintf(ly->geom_column, sizeof ly->geom_column, "geom");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT column_name FROM hf.gpkg_geometry_columns WHERE table_name = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, ly->flowpaths, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(ly->geom_column, sizeof ly->geom_column, "%s",
                     (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    /* The layer's CRS as AUTHORITY:CODE, for the outputs' metadata. */
    if (sqlite3_prepare_v2(
            db,
            "SELECT s.organization, s.organization_coordsys_id FROM hf.gpkg_geometry_columns g"
            " JOIN hf.gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id WHERE g.table_name = ?1",
            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, ly->flowpaths, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(ly->crs, sizeof ly->crs, "%s:%lld", (const char *)sqlite3_column_text(st, 0),
                     (long long)sqlite3_column_int64(st, 1));
        sqlite3_finalize(st);
    }
    return RNR_OK;
}

int64_t hf_query_int(sqlite3 *db, const char *sql, int64_t dflt)
{
    sqlite3_stmt *st;
    int64_t v = dflt;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

/* The numeric part of "wb-12", "cat-12", "nex-12"; NULL stays NULL. */
#define NUM(col) "CAST(substr(" col ", instr(" col ", '-') + 1) AS INTEGER)"
/* REAL or TEXT ids compared as integers; '' means none. */
#define INTV(col) "CAST(NULLIF(" col ", '') AS INTEGER)"

static int build_duplicates(sqlite3 *db, hf_info *info, rnr_error *err)
{
    int rc = exec_sql(
        db,
        "CREATE TEMP TABLE dup AS SELECT id, count(*) AS c FROM temp.attr_all GROUP BY id HAVING c > 1",
        "duplicate check", err);
    if (rc)
        return rc;
    info->duplicate_attributes = (size_t)hf_query_int(db, "SELECT count(*) FROM temp.dup", -1);
    sqlite3_stmt *st;
    if (info->duplicate_attributes &&
        sqlite3_prepare_v2(db, "SELECT id, c FROM temp.dup ORDER BY id LIMIT 1", -1, &st, NULL) ==
            SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(info->first_duplicate, sizeof info->first_duplicate, "%s",
                     sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    return exec_sql(db, "DROP TABLE temp.dup", "duplicate check", err);
}

int hf_index_schema(sqlite3 *db, rnr_error *err)
{
    return exec_sql(
        db,
        "PRAGMA temp_store = MEMORY; BEGIN;"
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
        "CREATE TABLE net(hf_id INTEGER, mainstem INTEGER, hydroseq REAL, hf_hydroseq REAL,"
        " divide INTEGER);"
        "CREATE TABLE fp(id INTEGER PRIMARY KEY, divide INTEGER, ord INTEGER, hydroseq REAL,"
        " lengthkm REAL, poi_id INTEGER, mainstem INTEGER, to_fp INTEGER, fid INTEGER,"
        " dx REAL, n REAL, ncc REAL, bw REAL, tw REAL, twcc REAL, cs REAL, s0 REAL);"
        "CREATE TEMP TABLE nex(id TEXT PRIMARY KEY, to_wb INTEGER) WITHOUT ROWID;"
        "CREATE TABLE lakes(poi_id INTEGER, hf_id INTEGER, UNIQUE(poi_id, hf_id));",
        "index schema", err);
}

int hf_index_flowpaths(sqlite3 *db, const char *fp_table, const char *attr_table, hf_info *info,
                       rnr_error *err)
{
    char sql[2048];
    int rc;
    snprintf(
        sql, sizeof sql,
        "CREATE TEMP TABLE attr_all AS SELECT rowid AS rid, id FROM %s;"
        "CREATE TEMP TABLE attr_first AS SELECT id, min(rid) AS rid FROM temp.attr_all GROUP BY id;",
        attr_table);
    if ((rc = exec_sql(db, sql, "index flowpath attributes", err)) ||
        (rc = build_duplicates(db, info, err)))
        return rc;
    snprintf(
        sql, sizeof sql,
        "INSERT OR IGNORE INTO fp SELECT " NUM("f.id") ", " NUM("f.divide_id") ", " INTV("f.\"order\"") ", f.hydroseq, f.lengthkm, " INTV(
            "f.poi_id") ", " INTV("f.mainstem") ", x.to_wb, f.rowid,"
                                                " a.Length_m, a.n, a.nCC, a.BtmWdth, a.TopWdth, a.TopWdthCC, a.ChSlp, a.So"
                                                " FROM %s f LEFT JOIN temp.attr_first af ON af.id = f.id"
                                                " LEFT JOIN %s a ON a.rowid = af.rid LEFT JOIN temp.nex x ON x.id = f.toid WHERE f.id LIKE 'wb-%%' ORDER BY " NUM(
                                                    "f.id") ", f.rowid",
        fp_table, attr_table);
    return exec_sql(db, sql, "index flowpaths", err);
}

/* 32 bits of FNV-1a over a string, never 0 (0 means "not recorded"). */
static uint32_t hash32(const char *s)
{
    uint64_t h = fnv(0xcbf29ce484222325ull, (const unsigned char *)s, strlen(s));
    uint32_t v = (uint32_t)(h ^ h >> 32);
    return v ? v : 1;
}

static uint32_t stamp_check(const char *stamp)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s|%s", HF_INDEX_VERSION, stamp);
    return hash32(buf);
}

/* meta 'origin', and the header's copies: user_version is a hash of the
 * version and stamp, application_id one of the origin (0: none), so that a
 * published index can be judged from its first 100 bytes; then commit. */
static int record_origin(sqlite3 *db, const char *stamp, const hf_build_opts *opts, rnr_error *err)
{
    const char *origin = opts && opts->origin ? opts->origin : NULL;
    char sql[96];
    sqlite3_stmt *st;
    int rc = RNR_OK;
    if (origin) {
        if (sqlite3_prepare_v2(db, "INSERT INTO meta VALUES ('origin', ?1)", -1, &st, NULL) !=
            SQLITE_OK)
            return hf_sql_error(db, "index meta", NULL, err);
        sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = hf_sql_error(db, "index meta", NULL, err);
        sqlite3_finalize(st);
    }
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d; PRAGMA application_id = %d; COMMIT;",
             (int32_t)stamp_check(stamp), origin ? (int32_t)hash32(origin) : 0);
    return rc ? rc : exec_sql(db, sql, "index meta", err);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int hf_index_header_check(const uint8_t *head, size_t n, const char *path, const char *origin)
{
    char stamp[64] = "";
    if (n < 100 || memcmp(head, "SQLite format 3", 16) != 0)
        return 0;
    uint32_t uv = be32(head + 60), app = be32(head + 68);
    if (uv == 0) /* built before these were recorded: only the whole file can tell */
        return 1;
    if (hf_file_stamp(path, stamp, sizeof stamp) != 0 || uv != stamp_check(stamp))
        return 0;
    return !(origin && app && app != hash32(origin));
}

int hf_index_check(const char *index_path, const char *path, const char *origin, char *why,
                   size_t why_n)
{
    sqlite3 *db = NULL;
    char v[16] = "", stamp[64] = "", want[64] = "", *have = NULL;
    snprintf(why, why_n, "cannot be read");
    if (sqlite3_open_v2(index_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return 0;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT key, value FROM meta WHERE key IN"
                           " ('version', 'stamp', 'origin')",
                           -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *k = (const char *)sqlite3_column_text(st, 0);
            const char *x = (const char *)sqlite3_column_text(st, 1);
            if (!k || !x)
                continue;
            if (strcmp(k, "version") == 0)
                snprintf(v, sizeof v, "%s", x);
            else if (strcmp(k, "stamp") == 0)
                snprintf(stamp, sizeof stamp, "%s", x);
            else if (!have)
                have = strdup(x);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    hf_file_stamp(path, want, sizeof want);
    int ok = 0;
    if (!v[0])
        snprintf(why, why_n, "is not an rnr index");
    else if (strcmp(v, HF_INDEX_VERSION) != 0)
        snprintf(why, why_n, "has format version %s, this rnr reads %s", v, HF_INDEX_VERSION);
    else if (strcmp(stamp, want) != 0)
        snprintf(why, why_n, "was built from other layer files (sizes or footers differ)");
    else if (origin && have && strcmp(origin, have) != 0)
        snprintf(why, why_n, "was built from other versions of the layers (ETags differ)");
    else
        ok = 1;
    free(have);
    return ok;
}

int hf_index_finish(sqlite3 *db, const char *path, const hf_layers *ly, const hf_build_opts *opts,
                    hf_info *info, rnr_error *err)
{
    char sql[2048];
    int rc;
    progress(opts, "b-trees", 0, 0);
    if ((rc = exec_sql(db,
                       "DROP TABLE IF EXISTS temp.attr_all; DROP TABLE IF EXISTS temp.attr_first;"
                       " DROP TABLE temp.nex;"
                       /* the parquet build has made net's already */
                       HF_NET_BTREES_SQL "CREATE INDEX fp_div ON fp(divide, ord);",
                       "index b-trees", err)))
        return rc;
    if (!info->flowpaths) /* a build that counted them as it went spares the scan */
        info->flowpaths =
            (size_t)hf_query_int(db, "SELECT count(*) FROM fp WHERE dx IS NOT NULL", -1);
    info->network_rows = (size_t)hf_query_int(db, "SELECT count(*) FROM net", -1);
    info->lakes = (size_t)hf_query_int(db, "SELECT count(DISTINCT poi_id) FROM lakes", -1);
    char stamp[64] = "";
    hf_file_stamp(path, stamp, sizeof stamp);
    snprintf(
        sql, sizeof sql,
        "INSERT INTO meta VALUES ('version', '" HF_INDEX_VERSION "'), ('stamp', '%s'),"
        " ('flowpaths', '%s'), ('attributes', '%s'), ('geom', '%s'), ('duplicates', '%zu'),"
        " ('first_duplicate', '%s'), ('n_flowpaths', '%zu'), ('n_network', '%zu'), ('n_lakes', '%zu'),"
        " ('crs', '%s');",
        stamp, ly->flowpaths, ly->attributes, ly->geom_column, info->duplicate_attributes,
        info->first_duplicate, info->flowpaths, info->network_rows, info->lakes, info->crs);
    if ((rc = exec_sql(db, sql, "index meta", err)) || (rc = record_origin(db, stamp, opts, err)))
        return rc;
    if (info->duplicate_attributes)
        log_warn(
            "hydrofabric",
            "%s: %zu ids appear more than once in %s (first: %s); the first row of each is used",
            hf_basename(path), info->duplicate_attributes, ly->attributes, info->first_duplicate);
    return RNR_OK;
}

int hf_build_tables(sqlite3 *db, const char *path, const hf_layers *ly, const hf_build_opts *opts,
                    hf_info *info, rnr_error *err)
{
    char a[64], f[64];
    int rc;
    memset(info, 0, sizeof *info);
    snprintf(info->layer_flowpaths, sizeof info->layer_flowpaths, "%s", ly->flowpaths);
    snprintf(info->layer_attributes, sizeof info->layer_attributes, "%s", ly->attributes);
    snprintf(info->crs, sizeof info->crs, "%s", ly->crs);
    if ((rc = hf_index_schema(db, err)))
        return rc;
    progress(opts, "network", 0, 0);
    if ((rc = exec_sql(
             db,
             "INSERT INTO net SELECT " INTV("hf_id") ", " INTV("hf_mainstem") ", hydroseq, hf_hydroseq, " NUM(
                 "divide_id") " FROM hf.network WHERE hf_mainstem IS NOT NULL AND id LIKE 'wb-%'",
             "index network", err)))
        return rc;
    if ((rc = exec_sql(
             db,
             "INSERT OR IGNORE INTO temp.nex SELECT id, CASE WHEN toid LIKE 'wb-%' THEN " NUM(
                 "toid") " END FROM hf.nexus WHERE id IS NOT NULL",
             "index nexus", err)))
        return rc;
    progress(opts, "flowpaths", 0, 0);
    snprintf(a, sizeof a, "hf.\"%s\"", ly->attributes);
    snprintf(f, sizeof f, "hf.\"%s\"", ly->flowpaths);
    if ((rc = hf_index_flowpaths(db, f, a, info, err)))
        return rc;
    if (ly->has_lakes &&
        (rc = exec_sql(db,
                       "INSERT OR IGNORE INTO lakes SELECT " INTV("poi_id") ", " INTV(
                           "hf_id") " FROM hf.lakes WHERE " INTV("poi_id") " IS NOT NULL",
                       "index lakes", err)))
        return rc;
    return hf_index_finish(db, path, ly, opts, info, err);
}

int hf_index_build(const char *gpkg_path, const char *index_path, hf_info *info, rnr_error *err)
{
    return hf_index_build_opts(gpkg_path, index_path, NULL, info, err);
}

int hf_index_build_source(const char *gpkg_path, const char *index_path, const hf_source *src,
                          hf_info *info, rnr_error *err)
{
    hf_build_opts o = {.src = src};
    return hf_index_build_opts(gpkg_path, index_path, &o, info, err);
}

int hf_index_build_opts(const char *gpkg_path, const char *index_path, const hf_build_opts *opts,
                        hf_info *info, rnr_error *err)
{
    hf_info local;
    if (!info)
        info = &local;
    /* Built aside and renamed into place only when complete (never a
     * partial index), not fsync'd: a lost index is rebuilt, so the build
     * runs with journal_mode = OFF and synchronous = OFF. */
    durable_file *out = NULL;
    int rc = durable_begin(index_path, NULL, &out, err);
    if (rc)
        return rc;
    const char *tmp = durable_handoff(out);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(tmp, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: cannot create: %s", tmp,
                           db ? sqlite3_errmsg(db) : "no memory");
    hf_layers ly;
    /* Every table is appended in key order and the B-trees are built after,
     * so a modest page cache does; more only raises the peak RSS. */
    if (!rc)
        rc = exec_sql(
            db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;",
            "index pragmas", err);
    int dir = hf_is_dir(gpkg_path);
    if (!rc && dir)
        rc = hf_parquet_build(db, gpkg_path, opts, info, err);
    if (!rc && !dir)
        rc = hf_attach(db, gpkg_path, err);
    if (!rc && !dir)
        rc = hf_resolve_layers(db, gpkg_path, &ly, err);
    if (!rc && !dir)
        rc = hf_build_tables(db, gpkg_path, &ly, opts, info, err);
    if (!rc && !dir)
        rc = exec_sql(db, "DETACH DATABASE hf", "detach", err);
    sqlite3_close(db);
    if (rc) {
        durable_abort(out);
        return rc;
    }
    return durable_commit(out, err);
}
