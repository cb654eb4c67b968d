/* hf_internal.h - shared by hf.c and hf_index.c: the compact index schema
 * and the connection setup. Not a public header. */
#ifndef RNR_HYDROFABRIC_HF_INTERNAL_H
#define RNR_HYDROFABRIC_HF_INTERNAL_H

#include <sqlite3.h>

#include "hydrofabric/hf.h"

#define HF_INDEX_VERSION "4"

/* Layer names resolved in the attached GeoPackage (schema "hf"). */
typedef struct hf_layers {
    char flowpaths[32];
    char attributes[32];
    char geom_column[64];
    int has_lakes;
} hf_layers;

struct hf_db {
    sqlite3 *db;
    char *path;
    hf_info info;
    sqlite3_stmt *st_origin, *st_cand, *st_geom, *st_lookup;
    char crs[32];   /* "EPSG:5070": the flowpaths' CRS as AUTHORITY:CODE, "" unknown */
    char *crs_wkt;  /* its definition (malloc'd), NULL unknown */
};

/* Fill h->crs / h->crs_wkt from the GeoPackage's gpkg_geometry_columns and
 * gpkg_spatial_ref_sys for the flowpaths layer; a reader of another format
 * fills the same two fields from its own metadata. Unknown leaves them
 * empty (not an error: routing does not need it). */
void hf_read_crs_gpkg(hf_db *h, const char *flowpaths_layer);

/* Decode the geometry of the flowpaths row with this rowid (NULL when none). */
int hf_load_geometry(hf_db *h, int64_t fid, char **wkt, const char *id, rnr_error *err);

/* The base name of a path, for messages ("HPDT2.gpkg: ..."). */
const char *hf_basename(const char *path);
/* Attach gpkg_path read-only as schema "hf" on db. */
int hf_attach(sqlite3 *db, const char *gpkg_path, rnr_error *err);
/* Find the layers and check every column RnR reads. */
int hf_resolve_layers(sqlite3 *db, const char *gpkg_path, hf_layers *ly, rnr_error *err);
/* Create and fill the compact tables in schema "main" from schema "hf". */
int hf_build_tables(sqlite3 *db, const char *gpkg_path, const hf_layers *ly, hf_info *info, rnr_error *err);
/* The first column of the first row of sql as an integer; dflt when the
 * statement fails or returns no row. */
int64_t hf_query_int(sqlite3 *db, const char *sql, int64_t dflt);
/* "size:header-hash" of a file, for the index's staleness check. */
int hf_file_stamp(const char *path, char *buf, size_t n);

#endif
