/* wkt.h - a strict reader of 2-D WKT LINESTRING and MULTILINESTRING.
 *
 * Flowpath geometries arrive as WKT; the GeoJSON writer needs their
 * coordinates. Only what flowpaths are is accepted: no Z/M, no EMPTY,
 * at least two points per line, finite numbers, nothing after the end. */
#ifndef RNR_IO_WKT_H
#define RNR_IO_WKT_H

#include <stddef.h>

#include "core/error.h"

typedef struct wkt_lines {
    int multi;        /* 1 for MULTILINESTRING */
    size_t nparts;    /* lines; 1 for LINESTRING */
    size_t *part_end; /* [nparts] index one past each line's last point */
    size_t npoints;
    double *xy; /* [2 * npoints] x, y */
} wkt_lines;

int wkt_lines_parse(const char *text, wkt_lines **out, rnr_error *err);
void wkt_lines_free(wkt_lines *g);

#endif
