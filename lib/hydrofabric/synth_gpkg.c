/* synth_gpkg.c - writes the synthetic hydrofabric as a GeoPackage 1.2
 * (application_id 'GPKG', user_version 10200, the three required SRS rows
 * plus EPSG:5070) with the v2.2 layer schemas. */
#include "hydrofabric/synth_internal.h"
#include "hydrofabric/gpkg.h"
#include "core/durable.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SRS 5070
/* Fixed so equal seeds give byte-identical files. */
#define STAMP "2025-01-01T00:00:00.000Z"

struct synth_writer {
    sqlite3 *db;
    char *path;
    const char *tmp; /* the temporary the database is built in (owned by out) */
    durable_file *out;
    sqlite3_stmt *fp, *attr, *net, *nex, *lake;
    double bbox[4];
};

static const char SCHEMA[] =
    "PRAGMA application_id = 1196444487; PRAGMA user_version = 10200;"
    "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;"
    "PRAGMA cache_size = -131072; BEGIN;"
    "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,"
    " organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,"
    " description TEXT);"
    "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,"
    " identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT"
    " (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,"
    " srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));"
    "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,"
    " geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,"
    " CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),"
    " CONSTRAINT uk_gc_table_name UNIQUE (table_name),"
    " CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),"
    " CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));"
    "CREATE TABLE gpkg_ogr_contents (table_name TEXT NOT NULL PRIMARY KEY, feature_count INTEGER DEFAULT NULL);"
    "INSERT INTO gpkg_spatial_ref_sys VALUES"
    " ('Undefined Cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined Cartesian coordinate reference system'),"
    " ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),"
    " ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,"
    "298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,"
    "AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],"
    "AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],AUTHORITY[\"EPSG\",\"4326\"]]', 'WGS 84'),"
    " ('NAD83 / Conus Albers', 5070, 'EPSG', 5070, 'PROJCS[\"NAD83 / Conus Albers\",GEOGCS[\"NAD83\","
    "DATUM[\"North_American_Datum_1983\",SPHEROID[\"GRS 1980\",6378137,298.257222101,AUTHORITY[\"EPSG\",\"7019\"]],"
    "AUTHORITY[\"EPSG\",\"6269\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\","
    "0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4269\"]],"
    "PROJECTION[\"Albers_Conic_Equal_Area\"],PARAMETER[\"latitude_of_center\",23],"
    "PARAMETER[\"longitude_of_center\",-96],PARAMETER[\"standard_parallel_1\",29.5],"
    "PARAMETER[\"standard_parallel_2\",45.5],PARAMETER[\"false_easting\",0],PARAMETER[\"false_northing\",0],"
    "UNIT[\"metre\",1,AUTHORITY[\"EPSG\",\"9001\"]],AXIS[\"Easting\",EAST],AXIS[\"Northing\",NORTH],"
    "AUTHORITY[\"EPSG\",\"5070\"]]', 'NAD83 / Conus Albers');"
    "CREATE TABLE \"flowpaths\" (\"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"geom\" LINESTRING,"
    " \"id\" TEXT, \"toid\" TEXT, \"mainstem\" REAL, \"order\" REAL, \"hydroseq\" MEDIUMINT, \"lengthkm\" REAL,"
    " \"areasqkm\" REAL, \"tot_drainage_areasqkm\" REAL, \"has_divide\" BOOLEAN, \"divide_id\" TEXT,"
    " \"poi_id\" TEXT, \"vpuid\" TEXT);"
    "CREATE TABLE \"flowpath-attributes\" (\"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"link\" TEXT,"
    " \"to\" TEXT, \"Length_m\" REAL, \"Y\" REAL, \"n\" REAL, \"nCC\" REAL, \"BtmWdth\" REAL, \"TopWdth\" REAL,"
    " \"TopWdthCC\" REAL, \"ChSlp\" REAL, \"alt\" REAL, \"So\" REAL, \"MusX\" REAL, \"MusK\" REAL, \"gage\" TEXT,"
    " \"gage_nex_id\" TEXT, \"WaterbodyID\" TEXT, \"waterbody_nex_id\" TEXT, \"id\" TEXT, \"toid\" TEXT,"
    " \"vpuid\" TEXT);"
    "CREATE TABLE \"network\" (\"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"id\" TEXT, \"toid\" TEXT,"
    " \"divide_id\" TEXT, \"ds_id\" REAL, \"mainstem\" REAL, \"hydroseq\" REAL, \"hf_source\" TEXT, \"hf_id\" REAL,"
    " \"lengthkm\" REAL, \"areasqkm\" REAL, \"tot_drainage_areasqkm\" REAL, \"type\" TEXT, \"vpuid\" TEXT,"
    " \"hf_hydroseq\" REAL, \"hf_lengthkm\" REAL, \"hf_mainstem\" REAL, \"topo\" TEXT, \"poi_id\" REAL,"
    " \"hl_uri\" TEXT);"
    "CREATE TABLE \"nexus\" (\"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"geom\" POINT, \"id\" TEXT,"
    " \"toid\" TEXT, \"type\" TEXT, \"vpuid\" TEXT, \"poi_id\" REAL);"
    "CREATE TABLE \"lakes\" (\"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"lake_id\" REAL, \"toid\" TEXT,"
    " \"poi_id\" REAL, \"hf_id\" REAL, \"Dam_Length\" REAL, \"ifd\" REAL, \"LkArea\" REAL, \"LkMxE\" REAL,"
    " \"OrificeA\" REAL, \"OrificeC\" REAL, \"OrificeE\" REAL, \"time\" REAL, \"WeirC\" REAL, \"WeirE\" REAL,"
    " \"WeirL\" REAL, \"vpuid\" TEXT);";

static const char *const LAYERS[5][2] = {{"flowpaths", "features"},
                                         {"flowpath-attributes", "attributes"},
                                         {"network", "attributes"},
                                         {"nexus", "features"},
                                         {"lakes", "attributes"}};

static int fail(synth_writer *w, rnr_error *err, const char *what)
{
    return rnr_error_set(err, RNR_ERR_IO, "%s: %s: %s", w->path, what, sqlite3_errmsg(w->db));
}

int synth_writer_open(const char *path, synth_writer **out, rnr_error *err)
{
    *out = NULL;
    synth_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        synth_writer_abort(w);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    }
    int rc = durable_begin(path, NULL, &w->out, err);
    if (rc != RNR_OK) {
        synth_writer_abort(w);
        return rc;
    }
    w->tmp = durable_handoff(w->out);
    w->bbox[0] = w->bbox[1] = INFINITY;
    w->bbox[2] = w->bbox[3] = -INFINITY;
    if (sqlite3_open_v2(w->tmp, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: cannot create: %s", w->tmp,
                           w->db ? sqlite3_errmsg(w->db) : "");
    else if (sqlite3_exec(w->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
        rc = fail(w, err, "schema");
    else if (
        sqlite3_prepare_v2(w->db,
                           "INSERT INTO \"flowpaths\" VALUES (NULL,?,?,?,?,?,?,?,?,?,1,?,?,?)", -1,
                           &w->fp, NULL) ||
        sqlite3_prepare_v2(
            w->db,
            "INSERT INTO \"flowpath-attributes\" VALUES (NULL,?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,"
            "?12,0.2,3600.0,NULL,NULL,?13,?14,?1,?2,?15)",
            -1, &w->attr, NULL) ||
        sqlite3_prepare_v2(
            w->db,
            "INSERT INTO \"network\" VALUES (NULL,?,?,?,NULL,?,?,'NOAA Reference Fabric',?,?,?,?,"
            "?,?,?,?,?,'fl-nex',?,?)",
            -1, &w->net, NULL) ||
        sqlite3_prepare_v2(w->db, "INSERT INTO \"nexus\" VALUES (NULL,?,?,?,?,?,?)", -1, &w->nex,
                           NULL) ||
        sqlite3_prepare_v2(
            w->db,
            "INSERT INTO \"lakes\" VALUES (NULL,?1,?2,?3,?4,?5,0.9,?6,?7,?8,0.6,?9,0.0,0.6,?10,?11,?12)",
            -1, &w->lake, NULL))
        rc = fail(w, err, "prepare");
    if (rc) {
        synth_writer_abort(w);
        return rc;
    }
    *out = w;
    return RNR_OK;
}

static int step(synth_writer *w, sqlite3_stmt *st, rnr_error *err, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? RNR_OK : fail(w, err, what);
}

static void bind_id(sqlite3_stmt *st, int col, const char *prefix, int64_t id)
{
    char buf[40];
    int k = snprintf(buf, sizeof buf, "%s-%lld", prefix, (long long)id);
    sqlite3_bind_text(st, col, buf, k, SQLITE_TRANSIENT);
}

static void bind_toid(sqlite3_stmt *st, int col, const synth_fp *f)
{
    if (f->to_id)
        bind_id(st, col, "nex", f->to_id);
    else
        bind_id(st, col, "tnx", 1000000000LL + f->id);
}

static int write_nexus(synth_writer *w, const synth_fp *f, rnr_error *err)
{
    uint8_t blob[64];
    sqlite3_stmt *st = w->nex;
    /* nex-id sits at the top of flowpath id (where junction inflows meet);
     * an outlet also gets its terminal nexus at its downstream end. */
    if (f->has_junction) {
        size_t n = gpkg_blob_point(SRS, f->xy[0], f->xy[1], blob, sizeof blob);
        sqlite3_bind_blob(st, 1, blob, (int)n, SQLITE_TRANSIENT);
        bind_id(st, 2, "nex", f->id);
        bind_id(st, 3, "wb", f->id);
        sqlite3_bind_text(st, 4, "nexus", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, f->vpuid, -1, SQLITE_STATIC);
        sqlite3_bind_null(st, 6);
        int rc = step(w, st, err, "nexus");
        if (rc)
            return rc;
    }
    if (f->to_id)
        return RNR_OK;
    size_t n = gpkg_blob_point(SRS, f->xy[6], f->xy[7], blob, sizeof blob);
    sqlite3_bind_blob(st, 1, blob, (int)n, SQLITE_TRANSIENT);
    bind_toid(st, 2, f);
    sqlite3_bind_null(st, 3);
    sqlite3_bind_text(st, 4, "terminal", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, f->vpuid, -1, SQLITE_STATIC);
    sqlite3_bind_null(st, 6);
    return step(w, st, err, "nexus");
}

static int write_attributes(synth_writer *w, const synth_fp *f, rnr_error *err)
{
    sqlite3_stmt *st = w->attr;
    bind_id(st, 1, "wb", f->id);
    bind_toid(st, 2, f);
    double v[10] = {
        f->lengthkm * 1000.0, f->y, f->n, f->ncc, f->bw, f->tw, f->twcc, f->cs, f->alt, f->so};
    for (int i = 0; i < 10; i++)
        sqlite3_bind_double(st, 3 + i, v[i]);
    if (f->lake_id) {
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", (long long)f->lake_id);
        sqlite3_bind_text(st, 13, buf, -1, SQLITE_TRANSIENT);
        bind_toid(st, 14, f);
    } else {
        sqlite3_bind_null(st, 13);
        sqlite3_bind_null(st, 14);
    }
    sqlite3_bind_text(st, 15, f->vpuid, -1, SQLITE_STATIC);
    return step(w, st, err, "flowpath-attributes");
}

int synth_write_flowpath(synth_writer *w, const synth_fp *f, rnr_error *err)
{
    uint8_t blob[128];
    sqlite3_stmt *st = w->fp;
    for (int i = 0; i < 4; i++) {
        w->bbox[0] = fmin(w->bbox[0], f->xy[2 * i]);
        w->bbox[1] = fmin(w->bbox[1], f->xy[2 * i + 1]);
        w->bbox[2] = fmax(w->bbox[2], f->xy[2 * i]);
        w->bbox[3] = fmax(w->bbox[3], f->xy[2 * i + 1]);
    }
    size_t n = gpkg_blob_linestring(SRS, f->xy, 4, blob, sizeof blob);
    sqlite3_bind_blob(st, 1, blob, (int)n, SQLITE_TRANSIENT);
    bind_id(st, 2, "wb", f->id);
    bind_toid(st, 3, f);
    sqlite3_bind_double(st, 4, (double)f->mainstem);
    sqlite3_bind_double(st, 5, (double)f->order);
    sqlite3_bind_int64(st, 6, f->hydroseq);
    sqlite3_bind_double(st, 7, f->lengthkm);
    sqlite3_bind_double(st, 8, f->areasqkm);
    sqlite3_bind_double(st, 9, f->tot_areasqkm);
    bind_id(st, 10, "cat", f->id);
    if (f->poi_id) {
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", (long long)f->poi_id);
        sqlite3_bind_text(st, 11, buf, -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(st, 11);
    }
    sqlite3_bind_text(st, 12, f->vpuid, -1, SQLITE_STATIC);
    int rc = step(w, st, err, "flowpaths");
    if (!rc)
        rc = write_attributes(w, f, err);
    if (!rc)
        rc = write_nexus(w, f, err);
    if (!rc && f->has_junction) { /* the nexus's own network row */
        st = w->net;
        sqlite3_clear_bindings(st);
        bind_id(st, 1, "nex", f->id);
        bind_id(st, 2, "wb", f->id);
        sqlite3_bind_text(st, 10, "nexus", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 11, f->vpuid, -1, SQLITE_STATIC);
        rc = step(w, st, err, "network");
    }
    return rc;
}

int synth_write_network(synth_writer *w, const synth_fp *f, int64_t hf_id, int64_t hf_hydroseq,
                        double hf_lengthkm, rnr_error *err)
{
    sqlite3_stmt *st = w->net;
    bind_id(st, 1, "wb", f->id);
    bind_toid(st, 2, f);
    bind_id(st, 3, "cat", f->id);
    sqlite3_bind_double(st, 4, (double)f->mainstem);
    sqlite3_bind_double(st, 5, (double)f->hydroseq);
    sqlite3_bind_double(st, 6, (double)hf_id);
    sqlite3_bind_double(st, 7, f->lengthkm);
    sqlite3_bind_double(st, 8, f->areasqkm);
    sqlite3_bind_double(st, 9, f->tot_areasqkm);
    sqlite3_bind_text(st, 10, f->to_id ? "nexus" : "terminal", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, f->vpuid, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 12, (double)hf_hydroseq);
    sqlite3_bind_double(st, 13, hf_lengthkm);
    sqlite3_bind_double(st, 14, (double)f->mainstem);
    if (f->poi_id)
        sqlite3_bind_double(st, 15, (double)f->poi_id);
    else
        sqlite3_bind_null(st, 15);
    sqlite3_bind_null(st, 16);
    return step(w, st, err, "network");
}

int synth_write_lake(synth_writer *w, const synth_fp *f, int64_t hf_id, double area_km2,
                     rnr_error *err)
{
    sqlite3_stmt *st = w->lake;
    double elev = f->alt + 5.0;
    sqlite3_bind_double(st, 1, (double)f->lake_id);
    bind_toid(st, 2, f);
    double v[10] = {(double)f->poi_id,
                    (double)hf_id,
                    20.0 + 60.0 * sqrt(area_km2),
                    area_km2,
                    elev + 3.0,
                    1.0 + area_km2,
                    elev - 6.0,
                    elev,
                    10.0 + 40.0 * sqrt(area_km2),
                    0};
    for (int i = 0; i < 9;
         i++) /* poi_id hf_id Dam_Length LkArea LkMxE OrificeA OrificeE WeirE WeirL */
        sqlite3_bind_double(st, 3 + i, v[i]);
    sqlite3_bind_text(st, 12, f->vpuid, -1, SQLITE_STATIC);
    return step(w, st, err, "lakes");
}

static void finalize_all(synth_writer *w)
{
    sqlite3_finalize(w->fp);
    sqlite3_finalize(w->attr);
    sqlite3_finalize(w->net);
    sqlite3_finalize(w->nex);
    sqlite3_finalize(w->lake);
    w->fp = w->attr = w->net = w->nex = w->lake = NULL;
}

int synth_writer_finish(synth_writer *w, size_t counts[5], rnr_error *err)
{
    finalize_all(w);
    char sql[1024];
    int rc = RNR_OK;
    for (int i = 0; i < 5 && !rc; i++) {
        int feat = strcmp(LAYERS[i][1], "features") == 0;
        if (feat)
            snprintf(sql, sizeof sql,
                     "INSERT INTO gpkg_contents VALUES ('%s','features','%s','','" STAMP
                     "',%.17g,%.17g,%.17g,%.17g,"
                     "%d); INSERT INTO gpkg_geometry_columns VALUES ('%s','geom','%s',%d,0,0);",
                     LAYERS[i][0], LAYERS[i][0], w->bbox[0], w->bbox[1], w->bbox[2], w->bbox[3],
                     SRS, LAYERS[i][0], i == 0 ? "LINESTRING" : "POINT", SRS);
        else
            snprintf(sql, sizeof sql,
                     "INSERT INTO gpkg_contents VALUES ('%s','attributes','%s','','" STAMP
                     "',NULL,NULL,NULL,NULL,0);",
                     LAYERS[i][0], LAYERS[i][0]);
        size_t k = strlen(sql);
        snprintf(sql + k, sizeof sql - k, "INSERT INTO gpkg_ogr_contents VALUES ('%s', %zu);",
                 LAYERS[i][0], counts[i]);
        if (sqlite3_exec(w->db, sql, NULL, NULL, NULL) != SQLITE_OK)
            rc = fail(w, err, "gpkg_contents");
    }
    if (!rc && sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = fail(w, err, "commit");
    if (sqlite3_close(w->db) != SQLITE_OK && !rc)
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: close failed", w->tmp);
    w->db = NULL;
    if (!rc) {
        durable_file *d = w->out;
        w->out = NULL;
        rc = durable_commit(d, err);
    }
    synth_writer_abort(w);
    return rc;
}

void synth_writer_abort(synth_writer *w)
{
    if (!w)
        return;
    finalize_all(w);
    if (w->db) {
        sqlite3_close(w->db);
        w->db = NULL;
    }
    durable_abort(w->out);
    free(w->path);
    free(w);
}
