/* hf_crs.c - the coordinate reference system of a hydrofabric's flowpath
 * geometries, as its metadata states it (GeoPackage: gpkg_geometry_columns
 * -> gpkg_spatial_ref_sys). Outputs that leave the hydrofabric's CRS
 * (GeoJSON is WGS84 by definition) reproject from this. */
#include "hydrofabric/hf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hf_read_crs_gpkg(hf_db *h, const char *flowpaths_layer)
{
    sqlite3_stmt *st;
    h->crs[0] = '\0';
    if (sqlite3_prepare_v2(
            h->db,
            "SELECT s.organization, s.organization_coordsys_id, s.definition"
            " FROM hf.gpkg_geometry_columns g JOIN hf.gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id"
            " WHERE g.table_name = ?1",
            -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, flowpaths_layer, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *org = sqlite3_column_text(st, 0), *def = sqlite3_column_text(st, 2);
        int code = sqlite3_column_int(st, 1);
        /* "NONE" marks GeoPackage's undefined systems (srs_id -1 and 0). */
        if (org && *org && strcmp((const char *)org, "NONE") != 0 && code > 0)
            snprintf(h->crs, sizeof h->crs, "%s:%d", (const char *)org, code);
        if (def && strcmp((const char *)def, "undefined") != 0)
            h->crs_wkt = strdup((const char *)def);
    }
    sqlite3_finalize(st);
}

const char *hf_crs(const hf_db *db)
{
    return db->crs;
}

const char *hf_crs_wkt(const hf_db *db)
{
    return db->crs_wkt;
}
