/* mc_kernel.h - t-route's Muskingum-Cunge single-segment, single-timestep
 * kernel, reproduced bit for bit (spec: docs/muskingum-cunge.md §1-§6).
 *
 * Everything is binary32 in the spec's exact operation order; the file is
 * compiled with -ffp-contract=off. The residual t-route carries between
 * calls through an uninitialised stack slot (spec §5) lives in a
 * caller-owned mc_state, so each routing run (or thread) has its own. */
#ifndef RNR_HYDRO_MC_KERNEL_H
#define RNR_HYDRO_MC_KERNEL_H

#include <stdint.h>

#include "core/error.h"

/* The residual carried from one call to the next (t-route's "qj0"). Start a
 * run at 0 and pass the same state to every call in t-route's order. */
typedef struct mc_state {
    float r0;
} mc_state;

typedef struct mc_inputs {
    float dt;  /* s */
    float qup; /* upstream inflow, previous step (m3/s) */
    float quc; /* upstream inflow, current step */
    float qdp; /* this segment's outflow, previous step */
    float ql;  /* lateral inflow over the step (may be negative) */
    float dx;  /* length (m) */
    float bw, tw, twcc;
    float n, ncc, cs, s0;
    float velp;   /* previous velocity: never used (as in t-route) */
    float depthp; /* previous depth */
    float qdc_in; /* read only by the "is there water" test; t-route passes 0 */
    float x_in;   /* returned as X when there is no water; t-route passes 0 */
} mc_inputs;

typedef struct mc_outputs {
    float qdc; /* outflow at the end of the step (may be < 0 with losses) */
    float velc;
    float depthc;
    float ck;       /* kinematic celerity */
    float cn;       /* Courant number */
    float x;        /* Muskingum X */
    int iterations; /* secant iterations over all passes (diagnostic) */
} mc_outputs;

/* Route one segment over one step. Reads and updates st->r0. Returns RNR_OK,
 * or RNR_ERR_INVALID (message names seg_id and the parameter) when the
 * spec's parameter guard fails (n, s0, bw not > 0, side slope cs < 0 or
 * infinite, NaN); then *out and *st are left untouched. */
int mc_route_step(mc_state *st, const mc_inputs *in, mc_outputs *out, int64_t seg_id,
                  rnr_error *err);

#endif
