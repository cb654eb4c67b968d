/* segment.h - a routable channel segment, as the hydrofabric hands it to
 * the network solver. Parameters are float32 because that is what t-route's
 * kernel receives (doubles from the GeoPackage rounded to nearest). */
#ifndef RNR_HYDRO_SEGMENT_H
#define RNR_HYDRO_SEGMENT_H

#include <stdint.h>

typedef struct hydro_segment {
    int64_t id;    /* numeric part of the flowpath id (wb-N -> N) */
    int64_t to_id; /* numeric id of the downstream segment, 0 at an outlet */
    float dx;      /* Length_m */
    float n;       /* channel Manning n */
    float ncc;     /* floodplain Manning n (nCC) */
    float bw;      /* BtmWdth */
    float tw;      /* TopWdth */
    float twcc;    /* TopWdthCC */
    float cs;      /* ChSlp */
    float s0;      /* So */
} hydro_segment;

#endif
