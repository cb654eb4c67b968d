/* hf.h - the NextGen hydrofabric (v2.2 GeoPackage) as RnR reads it: open,
 * cut the RnR segment for a gauge's reachId, load a whole network, look up
 * one flowpath.
 *
 * hf_open reads a compact sidecar index (`<path>.rnrindex`, built once by
 * hf_index_build / `rnr hydrofabric index`) when it is present and matches
 * the file (size and SQLite header, so a copied pair still matches);
 * otherwise it builds the same tables in memory (slow on CONUS, instant on
 * a subset). A hf_db is not thread-safe: one per thread. */
#ifndef RNR_HYDROFABRIC_HF_H
#define RNR_HYDROFABRIC_HF_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "hydro/segment.h"
#include "hydrofabric/parquet.h"

typedef struct hf_db hf_db;

/* One flowpath's metadata (the post-processor's join, the NetCDF attributes). */
typedef struct hf_flowpath {
    char id[32];   /* "wb-N" */
    int64_t num;   /* N */
    int64_t to_id; /* numeric id of the downstream flowpath, 0 at an outlet */
    double lengthkm;
    int order;     /* stream order */
    int64_t hf_id; /* reference-fabric id (COMID); see hf_cut */
    int64_t mainstem;
    char *geometry_wkt; /* malloc'd; NULL when the row has no geometry */
} hf_flowpath;

/* An RnR segment: the flowpaths to route, upstream to downstream. */
typedef struct hf_cut {
    int64_t reach_id;    /* the gauge's reachId (network.hf_id of the origin) */
    int64_t mainstem;    /* hf_mainstem followed */
    int order;           /* stream order kept */
    int lake_cut;        /* 1 when the cut stops at a lake */
    int64_t lake_poi_id; /* that lake's poi_id */
    size_t n;
    hydro_segment *segs; /* routing order, origin first; to_id chains them, 0 last */
    hf_flowpath *fps;    /* same order; fps[0].hf_id == reach_id, the others
                             carry their upstream-most reference-fabric piece */
} hf_cut;

typedef struct hf_info {
    int indexed;      /* opened through a sidecar index */
    size_t flowpaths; /* flowpaths with attributes */
    size_t network_rows;
    size_t lakes;
    size_t duplicate_attributes; /* flowpath-attributes ids seen more than once (first kept) */
    char first_duplicate[32];
    char layer_flowpaths[32];
    char layer_attributes[32];
    char crs[32]; /* the flowpaths' CRS, "EPSG:5070"; empty when unknown */
} hf_info;

/* The channel parameters of one flowpath as the attribute table holds
 * them (doubles), in this order: Length_m, n, nCC, BtmWdth, TopWdth,
 * TopWdthCC, ChSlp, So. */
enum { HF_PARAM_COUNT = 8 };

/* Check one flowpath's parameters before they become a hydro_segment;
 * every reader of a hydrofabric (GeoPackage, Parquet) calls this, so the
 * rules live in one place. All must be finite and fit a float; ChSlp >= 0
 * (0 is a rectangular channel) and every other one > 0. This is stricter
 * than the kernel's own guard (n, So, BtmWdth, side slope), which lets a
 * zero length or top width through into a division by zero. Errors are
 * RNR_ERR_INVALID naming the file's base name, the flowpath and the
 * column: "HPDT2.gpkg: flowpath wb-12: Length_m = -1 must be > 0". */
int hf_params_check(const char *path, int64_t id, const double p[HF_PARAM_COUNT],
                    rnr_error *err) RNR_WARN_UNUSED;
/* Fill a segment's parameters from checked values (rounded to float). */
void hf_params_to_segment(const double p[HF_PARAM_COUNT], hydro_segment *s);

/* The sidecar index path for a GeoPackage: "<path>.rnrindex" (malloc'd). */
char *hf_index_path(const char *gpkg_path);
/* Build the sidecar index (written atomically). info (may be NULL) gets the
 * counts, including duplicate flowpath-attributes ids. */
int hf_index_build(const char *gpkg_path, const char *index_path, hf_info *info, rnr_error *err);

/* Write a GeoPackage hydrofabric's layers (those of the reference's eight
 * it has; an empty lakes.parquet when it has no lakes) as parquet files in
 * dir, created if needed: all columns but fid, geometry as GeoParquet WKB
 * with 'geo' metadata, row groups of row_group rows (0: 65536), zstd or
 * uncompressed. Each file is written aside and renamed into place. */
int hf_export_parquet(const char *gpkg_path, const char *dir, size_t row_group, int zstd,
                      rnr_error *err);

int hf_open(const char *path, hf_db **out, rnr_error *err);

/* Where a parquet hydrofabric's layers are read from when they are not
 * plain files (an object store behind a local cache of byte ranges):
 * open gives one layer file ("flowpaths.parquet") as a pq_file, or
 * RNR_ERR_NOTFOUND when there is none. The directory must still hold a
 * file per layer of the object's size with its last 4 KiB (the index's
 * staleness stamp reads them). close(ctx) runs when the hf_db is closed. */
typedef struct hf_source {
    int (*open)(void *ctx, const char *file, pq_file **out, rnr_error *err);
    void (*close)(void *ctx);
    void *ctx;
} hf_source;
/* hf_open_index on a parquet directory whose layers come from src. The
 * hf_db takes src over: src->close runs at hf_close, or before this
 * returns an error. */
int hf_open_source(const char *dir, const char *index_path, const hf_source *src, hf_db **out,
                   rnr_error *err);
/* hf_index_build with the layers read from src (NULL: files in dir). */
int hf_index_build_source(const char *dir, const char *index_path, const hf_source *src,
                          hf_info *info, rnr_error *err);

/* Told as an index build goes: rows of a layer read so far (done of
 * total), or the start of a phase with no count (done = total = 0). */
typedef void (*hf_progress_fn)(void *ctx, const char *phase, uint64_t done, uint64_t total);

/* How to build an index; every member may be zero. */
typedef struct hf_build_opts {
    const hf_source *src; /* where a parquet directory's layers come from; NULL: files */
    hf_progress_fn progress;
    void *progress_ctx;
    /* What the layers were read from ("network.parquet <ETag> <size>" a
     * line per layer): recorded in the index, so that an index published
     * beside the layers can be told apart from one built from other
     * versions of them (hf_index_check). NULL: local files, none. */
    const char *origin;
} hf_build_opts;
/* hf_index_build with options (opts may be NULL). */
int hf_index_build_opts(const char *path, const char *index_path, const hf_build_opts *opts,
                        hf_info *info, rnr_error *err);

/* Whether the index at index_path was built from the hydrofabric at path
 * as it is now: its format version, the layers' stamp and, when both are
 * known, the origin (the one passed to hf_index_build_opts) must match.
 * 1 when it does; 0 with why (a phrase) filled when not. */
int hf_index_check(const char *index_path, const char *path, const char *origin, char *why,
                   size_t why_n);
/* The same judged from the index file's first 100 bytes (its SQLite
 * header, where the build leaves a hash of the version and stamp and one of
 * the origin), before downloading the rest: 0 when it is surely another
 * build's, 1 when hf_index_check must decide. */
int hf_index_header_check(const uint8_t *head, size_t n, const char *path, const char *origin);
/* Same with the index somewhere else (a read-only hydrofabric directory);
 * index_path NULL means hf_index_path(path). */
int hf_open_index(const char *path, const char *index_path, hf_db **out, rnr_error *err);
void hf_close(hf_db *db);
void hf_get_info(const hf_db *db, hf_info *out);

/* The RnR segment cut for a reachId (docs/hydrofabric.md). RNR_ERR_NOTFOUND
 * when no network row has hf_id == reach_id or the origin has no segment. */
int hf_cut_reach(hf_db *db, int64_t reach_id, hf_cut **out, rnr_error *err);
/* Routing needs no geometry, so a cut comes without it (geometry_wkt
 * NULL); this decodes every flowpath's WKT into the cut when wanted. */
int hf_cut_load_geometry(hf_db *db, hf_cut *cut, rnr_error *err);
void hf_cut_free(hf_cut *cut);

/* Every flowpath (outlet_id 0) or the ones draining to flowpath outlet_id
 * (inclusive), in topological order (each before the one it drains to);
 * to_id follows flowpath -> nexus -> flowpath, 0 at a terminal nexus or
 * where the downstream flowpath is outside the set. *segs is malloc'd. */
int hf_load_network(hf_db *db, int64_t outlet_id, hydro_segment **segs, size_t *n, rnr_error *err);

/* The CRS of the flowpath geometries as "AUTHORITY:CODE" ("EPSG:5070" for
 * the NextGen hydrofabric), from the file's own metadata; "" when the file
 * does not say. hf_crs_wkt gives its definition, or NULL. Both live as
 * long as db. */
const char *hf_crs(const hf_db *db);
const char *hf_crs_wkt(const hf_db *db);

/* One flowpath by numeric id (wb-N -> N). out->geometry_wkt is malloc'd:
 * release with hf_flowpath_clear. */
int hf_flowpath_lookup(hf_db *db, int64_t id, hf_flowpath *out, rnr_error *err);
void hf_flowpath_clear(hf_flowpath *fp);

/* Many lookups in one read transaction, until hf_read_end: the files stay
 * read-locked in between, where each lookup alone would lock, check for a
 * journal and a WAL, and unlock. Nonzero when no transaction was opened
 * (lookups then go on one by one, as without it). */
int hf_read_begin(hf_db *db);
void hf_read_end(hf_db *db);

#endif
