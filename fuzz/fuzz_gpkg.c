/* fuzz_gpkg.c - GeoPackage geometry blobs: the binary header and the WKB
 * behind it (Point, LineString, MultiLineString, any byte order and
 * dimension), decoded to WKT. */
#include "core/error.h"
#include "hydrofabric/gpkg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rnr_error err = {0};
    gpkg_geom_header h;
    if (gpkg_header_parse(data, size, &h, &err) == RNR_OK && h.wkb_offset > size)
        abort();
    char *wkt = NULL;
    if (gpkg_geom_to_wkt(data, size, &wkt, &err) == RNR_OK) {
        if (!wkt || !*wkt)
            abort();
        free(wkt);
    } else if (wkt || !err.msg[0]) {
        abort();
    }
    return 0;
}
