/* synth_internal.h - the GeoPackage writer behind synth.c (not public). */
#ifndef RNR_HYDROFABRIC_SYNTH_INTERNAL_H
#define RNR_HYDROFABRIC_SYNTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct synth_writer synth_writer;

/* One flowpath with everything the five layers need from it. */
typedef struct synth_fp {
    int64_t id;    /* wb-id, divide cat-id */
    int64_t to_id; /* downstream flowpath (its nexus is nex-to_id), 0 at an outlet */
    int64_t mainstem, hydroseq, poi_id, lake_id;
    int order, has_junction; /* has_junction: a nexus nex-id drains into it */
    double lengthkm, areasqkm, tot_areasqkm;
    double xy[8]; /* 4 vertices, upstream to downstream */
    double n, ncc, bw, tw, twcc, cs, so, y, alt;
    const char *vpuid;
} synth_fp;

int synth_writer_open(const char *path, synth_writer **out, rnr_error *err);
int synth_write_flowpath(synth_writer *w, const synth_fp *f, rnr_error *err);
/* One network row of flowpath f (a reference-fabric piece). */
int synth_write_network(synth_writer *w, const synth_fp *f, int64_t hf_id, int64_t hf_hydroseq,
                        double hf_lengthkm, rnr_error *err);
int synth_write_lake(synth_writer *w, const synth_fp *f, int64_t hf_id, double area_km2,
                     rnr_error *err);
/* Finish (feature counts, commit) and rename into place; frees w. */
int synth_writer_finish(synth_writer *w, size_t counts[5], rnr_error *err);
/* Drop the partial file; frees w. */
void synth_writer_abort(synth_writer *w);

#endif
