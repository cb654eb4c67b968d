/* envutil.h - numbers from the environment, parsed strictly.
 *
 * An unset or empty variable gives the default; anything that is not a
 * number in range is a configuration error naming the variable and its
 * value, never a silent default. */
#ifndef RNR_CORE_ENVUTIL_H
#define RNR_CORE_ENVUTIL_H

#include "core/error.h"

/* An integer in [min, max]. */
int env_long(const char *name, long def, long min, long max, long *out, rnr_error *err);
/* A decimal number in [min, max]. */
int env_number(const char *name, double def, double min, double max, double *out, rnr_error *err);

#endif
