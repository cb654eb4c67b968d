/* envutil.c - strict parsing of numeric environment variables. */
#include "core/envutil.h"

#include <errno.h>
#include <stdlib.h>

int env_long(const char *name, long def, long min, long max, long *out, rnr_error *err)
{
    const char *v = getenv(name);
    *out = def;
    if (!v || !*v)
        return RNR_OK;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
        return rnr_error_set(err, RNR_ERR_CONFIG, "%s=%s: expected an integer in %ld..%ld", name, v,
                             min, max);
    *out = n;
    return RNR_OK;
}

int env_number(const char *name, double def, double min, double max, double *out, rnr_error *err)
{
    const char *v = getenv(name);
    *out = def;
    if (!v || !*v)
        return RNR_OK;
    char *end = NULL;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= min && x <= max))
        return rnr_error_set(err, RNR_ERR_CONFIG, "%s=%s: expected a number in [%g, %g]", name, v,
                             min, max);
    *out = x;
    return RNR_OK;
}
