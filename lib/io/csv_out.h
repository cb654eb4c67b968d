/* csv_out.h - the post-processor's inundation table as CSV and GeoJSON.
 *
 * Rows come from inundation_rows_from_table (one per segment of an output)
 * and, for the merged table, inundation_rows_merge (io/inundation.h).
 * CSV columns are the reference deployment's, in its order:
 *   feature_id,feature_id_str,strm_order,name,state,streamflow_cfs,
 *   inherited_rfc_forecasts,max_status,reference_time,update_time,geom
 * Formats (chosen to match what the reference's pandas writer produces):
 *   feature_id_str   "wb-<feature_id>"
 *   streamflow_cfs   float32(flow_cms) * 35.3147f in float32, shortest text
 *                    that reads back to that float ("29400.03"); empty
 *                    when the flow is not finite
 *   reference_time,
 *   update_time      "YYYY-MM-DD_HH:MM:SS", always UTC (the reference's
 *                    file_reference_time and update stamp format)
 *   geom             WKT, coordinates in EPSG:5070 (CONUS Albers)
 * Quoting is RFC 4180 (fields holding a comma, quote, CR or LF are quoted,
 * quotes doubled); lines end in "\n" as pandas writes them. */
#ifndef RNR_IO_CSV_OUT_H
#define RNR_IO_CSV_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "io/nc_output.h"
#include "io/reproject.h"

#define INUNDATION_CFS_PER_CMS 35.3147f
#define INUNDATION_MILES_PER_KM 0.621371
#define INUNDATION_TEXT_MAX 384

typedef struct inundation_row {
    int64_t feature_id;
    int stream_order;
    const char *name; /* NULL -> empty */
    const char *state;
    float flow_cms;                                    /* written as cfs */
    char inherited_rfc_forecasts[INUNDATION_TEXT_MAX]; /* inundation_inherited_text */
    const char *max_status;
    int64_t reference_time; /* epoch seconds UTC */
    int64_t update_time;
    const char *geom_wkt; /* LINESTRING / MULTILINESTRING, EPSG:5070; NULL/"" -> none */
    float flow_max_cms; /* the segment's own maximum over the forecast (the merged table's flow) */
    char *inherited_joined; /* malloc'd by inundation_rows_merge when several forecasts
                               contribute; written instead of inherited_rfc_forecasts */
    const char *geom_json;  /* optional: geom_wkt already rendered by geojson_geometry_text
                               (borrowed); the GeoJSON writer then copies it as is */
} inundation_row;

/* The reference's inherited_rfc_forecasts text:
 *   "<max_status> issued <YYYY-MM-DD_HH:MM:SS> at <lid> (<rfc_reach_id>
 *    [order <stream_order>]) <miles> miles upstream"
 * on one line; miles is the distance from the forecast point down to the
 * segment, as Python prints a float ("0.0", "1.2427"). Returns 0, or -1
 * when buf is too small. */
int inundation_inherited_text(char *buf, size_t n, const char *max_status, int64_t reference_time,
                              const char *lid, int64_t rfc_reach_id, int stream_order,
                              double miles);

/* One row per segment of t at the file's peak time (nc_table_peak), as the
 * reference post-processor builds them: stream order, name, state, status
 * and reference time from the file's attributes, flow at the peak time
 * (flow_max_cms: the segment's maximum over all times, fill and NaN
 * skipped; NAN when it has no valid value), and
 * the distance below the forecast point = the summed lengths of the segments
 * before this one in file order (upstream to downstream), accumulated as
 * miles in that order. length_km and wkt are [nseg] or NULL (0 km, no
 * geometry). String members point into t and wkt, which must outlive the
 * rows; free *rows with free(). RNR_ERR_NOTFOUND when t has no valid flow. */
int inundation_rows_from_table(const nc_table *t, const double *length_km, const char *const *wkt,
                               int64_t update_time, inundation_row **rows, size_t *n,
                               rnr_error *err);

/* The header line and n rows. RNR_ERR_IO on a write error. */
int csv_inundation_write(FILE *f, const inundation_row *rows, size_t n, rnr_error *err);

/* A GeoJSON FeatureCollection (RFC 7946) with the CSV columns (except
 * geom) as properties and each WKT converted to a LineString /
 * MultiLineString, reprojected with PROJ from src_crs (the hydrofabric's,
 * hf_crs(); NULL or "" -> EPSG:5070) to WGS84 longitude, latitude in
 * degrees, 7 decimals; no "crs" member (RFC 7946 forbids other CRSs). A
 * row without WKT gets "geometry": null. Every geometry is checked before
 * anything is written: malformed WKT -> RNR_ERR_PARSE, an unknown CRS or
 * a point PROJ cannot transform -> RNR_ERR_INVALID, naming the row, and
 * nothing on f. */
int geojson_inundation_write_from(FILE *f, const inundation_row *rows, size_t n,
                                  const char *src_crs, rnr_error *err);
/* One WKT geometry as the GeoJSON writer renders it ("{\"type\":...}"),
 * reprojected through rp (reproj_new of the rows' CRS); malloc'd into
 * *out. A caller that renders each static geometry once and sets
 * geom_json gets the same document for less. RNR_ERR_PARSE on malformed
 * WKT, RNR_ERR_INVALID when a point does not transform. */
int geojson_geometry_text(const char *wkt, reproj *rp, char **out, rnr_error *err) RNR_WARN_UNUSED;

/* The same from EPSG:5070, the CRS the rows' WKT is documented in. */
int geojson_inundation_write(FILE *f, const inundation_row *rows, size_t n, rnr_error *err);

#endif
