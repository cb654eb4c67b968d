/* hf_internal.h - shared by hf.c and hf_index.c: the compact index schema
 * and the connection setup. Not a public header. */
#ifndef RNR_HYDROFABRIC_HF_INTERNAL_H
#define RNR_HYDROFABRIC_HF_INTERNAL_H

#include <sqlite3.h>

#include "hydrofabric/hf.h"

#define HF_INDEX_VERSION "5"

/* net's B-trees; IF NOT EXISTS, so that a build may make them early. */
#define HF_NET_BTREES_SQL                                                                          \
    "CREATE INDEX IF NOT EXISTS net_hf ON net(hf_id);"                                             \
    "CREATE INDEX IF NOT EXISTS net_ms ON net(mainstem, hydroseq, divide, hf_hydroseq, hf_id);"    \
    "CREATE INDEX IF NOT EXISTS net_div ON net(divide, hf_hydroseq);"

/* Layer names resolved in the attached GeoPackage (schema "hf"). */
typedef struct hf_layers {
    char flowpaths[32];
    char attributes[32];
    char geom_column[64];
    char crs[32]; /* "EPSG:5070"; empty when unknown */
    int has_lakes;
} hf_layers;

struct hf_pq; /* a parquet hydrofabric's geometry source (hf_parquet.c) */

struct hf_db {
    sqlite3 *db;
    char *path;
    hf_info info;
    sqlite3_stmt *st_origin, *st_cand, *st_geom, *st_lookup, *st_lake;
    char crs[32];     /* "EPSG:5070": the flowpaths' CRS as AUTHORITY:CODE, "" unknown */
    char *crs_wkt;    /* its definition (malloc'd), NULL unknown */
    struct hf_pq *pq; /* set when path is a directory of parquet layers */
    hf_source src;    /* where those layers are read from; open NULL: files */
    int in_read;      /* hf_read_begin opened the transaction hf_read_end ends */
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
int hf_build_tables(sqlite3 *db, const char *gpkg_path, const hf_layers *ly,
                    const hf_build_opts *opts, hf_info *info, rnr_error *err);
/* Set err to a failed statement on the index db is building, naming that
 * file (the temporary beside the index: a full disk is the usual cause)
 * and what failed; msg NULL: SQLite's own. Returns RNR_ERR_IO. */
int hf_sql_error(sqlite3 *db, const char *what, const char *msg, rnr_error *err);
/* The first column of the first row of sql as an integer; dflt when the
 * statement fails or returns no row. */
int64_t hf_query_int(sqlite3 *db, const char *sql, int64_t dflt);
/* Create the compact tables (and temp.nex) in a transaction. */
int hf_index_schema(sqlite3 *db, rnr_error *err);
/* Fill fp from a flowpaths table and an attributes table (both with rowid,
 * id TEXT and the GeoPackage's column names) and temp.nex; count duplicates. */
int hf_index_flowpaths(sqlite3 *db, const char *fp_table, const char *attr_table, hf_info *info,
                       rnr_error *err);
/* Drop the temp tables, add the B-trees and meta (opts->origin too),
 * commit. */
int hf_index_finish(sqlite3 *db, const char *path, const hf_layers *ly, const hf_build_opts *opts,
                    hf_info *info, rnr_error *err);

/* The layer files a parquet hydrofabric may hold (NULL-terminated). */
extern const char *const HF_PARQUET_LAYERS[];

/* Whether path is a directory (a parquet hydrofabric). */
int hf_is_dir(const char *path);
/* Fill the compact tables of db from the parquet layers in dir (or
 * opts->src), in one transaction. */
int hf_parquet_build(sqlite3 *db, const char *dir, const hf_build_opts *opts, hf_info *info,
                     rnr_error *err);
/* The opened layers of a parquet hydrofabric; nexus may be NULL. */
typedef struct hf_pq_layers {
    pq_file *network, *flowpaths, *attributes, *lakes, *nexus;
} hf_pq_layers;
/* Fill net, fp and lakes (created by hf_index_schema) from the layers;
 * info gets the duplicate attribute ids (hf_pqbuild.c). */
int hf_parquet_fill(sqlite3 *db, const hf_pq_layers *in, const hf_build_opts *opts, hf_info *info,
                    rnr_error *err);
/* Open dir's flowpaths.parquet for geometry; hf_load_geometry uses it. */
int hf_parquet_open(hf_db *h, rnr_error *err);
void hf_parquet_close(hf_db *h);
int hf_parquet_geometry(hf_db *h, int64_t fid, char **wkt, const char *id, rnr_error *err);

/* "size:header-hash" of a file (for a directory, of its parquet layers'
 * sizes and footers), for the index's staleness check. */
int hf_file_stamp(const char *path, char *buf, size_t n);

#endif
