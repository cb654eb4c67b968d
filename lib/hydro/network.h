/* network.h - Muskingum-Cunge routing over a tree of segments in t-route's
 * exact call order (spec docs/muskingum-cunge.md §7, §7.2).
 *
 * net_new() validates the segments and fixes the routing order: reaches in
 * the order a depth-first walk from the outlets closes them (outlets and
 * upstream neighbours visited in ascending id), segments within a reach
 * upstream to downstream. net_route() runs the time loop with one carried
 * residual through every kernel call, keeping only the previous and the
 * current step in memory besides the requested output. */
#ifndef RNR_HYDRO_NETWORK_H
#define RNR_HYDRO_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "hydro/segment.h"

typedef struct hydro_net hydro_net;

/* Copy and validate n segments: ids unique and non-zero, every to_id either
 * 0 / an id outside the set (the segment is an outlet) or a member, no
 * cycles. Kernel parameters are not checked here: the kernel's guard
 * rejects them on the first call with the segment id. */
int net_new(const hydro_segment *segs, size_t n, hydro_net **out, rnr_error *err);
void net_free(hydro_net *net);
size_t net_size(const hydro_net *net);
/* The i-th segment in routing order (i < net_size). */
const hydro_segment *net_segment(const hydro_net *net, size_t i);
/* Routing-order index of a segment id, or -1. */
long net_index_of(const hydro_net *net, int64_t id);
/* Number of upstream segments of routing-order index i, and the k-th of
 * them (ascending id) as a routing-order index. */
size_t net_upstream_count(const hydro_net *net, size_t i);
size_t net_upstream(const hydro_net *net, size_t i, size_t k);

/* Fill qlat (net_size values, routing order, zeroed by the caller) with the
 * lateral inflow of step `step` (1-based). Return RNR_OK or an rnr code,
 * which aborts the run. */
typedef int (*net_qlat_fn)(void *ctx, int step, float *qlat);

typedef struct net_run {
    float dt;         /* s, > 0 */
    int nts;          /* steps, > 0 */
    int output_every; /* steps between outputs; 0 = 12 (hourly at 300 s) */
    net_qlat_fn qlat; /* NULL = no lateral inflow */
    void *qlat_ctx;
    const float *q0;    /* initial flow per segment, routing order; NULL = 0 */
    const float *d0;    /* initial depth per segment, routing order; NULL = 0 */
    int reset_residual; /* 1 = zero the residual before every call (order-
                         * independent, NOT t-route's results) */
    float r0;           /* carried residual at the start (t-route: 0) */
} net_run;

/* Instantaneous state at steps output_every, 2*output_every, ... <= nts
 * (only multiples of output_every are written, as t-route does). */
typedef struct net_result {
    size_t nseg, nout;
    int64_t *ids;                   /* [nseg], routing order */
    int *steps;                     /* [nout], 1-based step numbers */
    float *flow, *velocity, *depth; /* [nseg * nout], index seg*nout + k */
} net_result;

int net_route(const hydro_net *net, const net_run *run, net_result **out, rnr_error *err);
void net_result_free(net_result *r);

#endif
