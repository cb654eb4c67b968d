/* route_input.h - the CSV inputs of `rnr route --qlat`: lateral inflows
 * (step,id,qlat) and initial conditions (id,flow,depth) over a network.
 *
 * Kept apart from the command so the readers are pure functions of a
 * stream (the fuzzer feeds them through fmemopen). Every error names the
 * input and the line. */
#ifndef RNR_SERVICES_ROUTE_INPUT_H
#define RNR_SERVICES_ROUTE_INPUT_H

#include <stddef.h>
#include <stdio.h>

#include "core/error.h"
#include "hydro/network.h"

/* Deepest initial depth accepted, m (the deepest rivers are ~220 m deep). */
#define ROUTE_DEPTH_MAX 1000.0

/* One lateral inflow: flowpath (routing-order index) gets q on step. */
typedef struct qlat_row {
    int step;
    long idx;
    float q;
    long line;
} qlat_row;

/* Read "step,id,qlat" rows (steps 1..nts, ids in net, qlat within
 * +-RNR_FLOW_MAX_M3S) from f, after an optional UTF-8 byte-order mark,
 * sorted by step then line. *rows is malloc'd (NULL when there are none).
 * name is the input's name for messages. */
int route_input_read_qlat(FILE *f, const char *name, const hydro_net *net, int nts, qlat_row **rows,
                          size_t *nrows, rnr_error *err);
/* Read "id,flow,depth" rows (flow in [0, RNR_FLOW_MAX_M3S], depth in
 * [0, ROUTE_DEPTH_MAX]) from f into q0/d0, indexed like net. */
int route_input_read_initial(FILE *f, const char *name, const hydro_net *net, float *q0, float *d0,
                             rnr_error *err);
/* "2418120" or "wb-2418120" -> 2418120; -1 unless a positive integer. */
int route_input_parse_id(const char *s, int64_t *out);
/* A whole decimal integer in [lo, hi]; 0, or -1 when it is not one. */
int route_input_parse_int(const char *s, long lo, long hi, long *out);
/* A whole finite decimal number; 0, or -1 when it is not one. */
int route_input_parse_num(const char *s, double *out);

#endif
