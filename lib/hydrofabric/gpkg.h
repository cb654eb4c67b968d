/* gpkg.h - GeoPackage geometry blobs: decode (header + WKB) to WKT, and
 * encode the LineString and Point blobs the synthetic generator writes.
 *
 * Blobs come from files we did not write, so the decoder treats them as
 * untrusted: every length and count is checked against the bytes left before
 * anything is read, and a malformed blob is an RNR_ERR_PARSE, never a read
 * past the end. */
#ifndef RNR_HYDROFABRIC_GPKG_H
#define RNR_HYDROFABRIC_GPKG_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* The parsed GeoPackage binary header ("GP", version, flags, srs_id, envelope). */
typedef struct gpkg_geom_header {
    int version;
    int little_endian; /* byte order of srs_id and the envelope */
    int envelope_code; /* 0 none, 1 xy, 2 xyz, 3 xym, 4 xyzm */
    int empty;
    int32_t srs_id;
    double envelope[8]; /* minx maxx miny maxy [minz maxz] [minm maxm] */
    size_t wkb_offset;  /* where the WKB starts in the blob */
} gpkg_geom_header;

/* Parse the header of blob[0..n). */
int gpkg_header_parse(const uint8_t *blob, size_t n, gpkg_geom_header *out, rnr_error *err);

/* Decode a whole blob (header + WKB: Point, LineString, MultiLineString;
 * either byte order; 2D, Z, M, ZM in ISO or EWKB flag form) to WKT with
 * round-trip precision ("LINESTRING (x y, ...)"). *wkt is malloc'd; the
 * caller frees it. */
int gpkg_geom_to_wkt(const uint8_t *blob, size_t n, char **wkt, rnr_error *err);

/* The same for bare WKB (GeoParquet's geometry encoding), same WKT. */
int gpkg_wkb_to_wkt(const uint8_t *wkb, size_t n, char **wkt, rnr_error *err);

/* Encode a 2D LineString (xy holds n_points x,y pairs) with an xy envelope,
 * little endian. Returns the blob size, or 0 when cap is too small. */
size_t gpkg_blob_linestring(int32_t srs_id, const double *xy, size_t n_points, uint8_t *out,
                            size_t cap);
/* Encode a 2D Point without envelope. Returns the size, or 0 when cap is too small. */
size_t gpkg_blob_point(int32_t srs_id, double x, double y, uint8_t *out, size_t cap);

#endif
