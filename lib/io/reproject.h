/* reproject.h - coordinates from a hydrofabric's CRS to WGS84 longitude /
 * latitude, through PROJ (no hand-written projection code, no network: a
 * transformation that would need a grid download falls back to what PROJ
 * has locally, as PROJ itself chooses). */
#ifndef RNR_IO_REPROJECT_H
#define RNR_IO_REPROJECT_H

#include <stddef.h>

#include "core/error.h"

typedef struct reproj reproj;

/* A transformation from src ("EPSG:5070", a WKT or PROJ string) to
 * longitude, latitude in degrees (EPSG:4326 in GIS axis order).
 * RNR_ERR_INVALID naming src when PROJ does not know it. */
int reproj_new(const char *src, reproj **out, rnr_error *err);
/* Transform n points in place (xy[2i], xy[2i+1]); RNR_ERR_INVALID when a
 * point does not transform to finite coordinates. */
int reproj_points(reproj *r, double *xy, size_t n, rnr_error *err);
void reproj_free(reproj *r);

#endif
