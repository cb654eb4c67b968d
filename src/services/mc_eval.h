/* mc_eval.h - check the Muskingum-Cunge kernel against an oracle table
 * (`rnr mc eval`), from a stream so the reader is fuzzable. */
#ifndef RNR_SERVICES_MC_EVAL_H
#define RNR_SERVICES_MC_EVAL_H

#include <stdio.h>

#include "core/error.h"

/* Run every row of the CSV on fp (columns found by name in its header)
 * through the kernel; count passed and failed rows and print the first 10
 * mismatches to report. RNR_ERR_PARSE naming path on a missing header or
 * column or an over-long line; a bad row is a failed row, not an error. */
int mc_eval_stream(FILE *fp, const char *path, FILE *report, long *passed, long *failed,
                   rnr_error *err);

#endif
