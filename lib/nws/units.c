/* units.c - flow unit names and conversion factors. */
#include "nws/units.h"

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    int kind;
} unit_names[] = {
    {"", NWS_UNIT_STAGE},    {"ft", NWS_UNIT_STAGE},  {"feet", NWS_UNIT_STAGE},
    {"m", NWS_UNIT_STAGE},   {"kcfs", NWS_UNIT_KCFS}, {"cfs", NWS_UNIT_CFS},
    {"ft3/s", NWS_UNIT_CFS}, {"m3/s", NWS_UNIT_M3S},  {"m3 s-1", NWS_UNIT_M3S},
    {"m^3/s", NWS_UNIT_M3S}, {"cms", NWS_UNIT_M3S},
};

int nws_unit_kind(const char *units)
{
    if (!units)
        return NWS_UNIT_STAGE;
    while (isspace((unsigned char)*units))
        units++;
    size_t n = strlen(units);
    while (n > 0 && isspace((unsigned char)units[n - 1]))
        n--;
    for (size_t i = 0; i < sizeof unit_names / sizeof unit_names[0]; i++)
        if (strlen(unit_names[i].name) == n && strncasecmp(units, unit_names[i].name, n) == 0)
            return unit_names[i].kind;
    return NWS_UNIT_UNKNOWN;
}

int nws_flow_factor(const char *units, double *factor)
{
    switch (nws_unit_kind(units)) {
    case NWS_UNIT_KCFS:
        *factor = NWS_M3S_PER_KCFS;
        return 0;
    case NWS_UNIT_CFS:
        *factor = NWS_M3_PER_FT3;
        return 0;
    case NWS_UNIT_M3S:
        *factor = 1.0;
        return 0;
    default:
        return -1;
    }
}

double nws_flow_convert(double v, double factor)
{
    if (isnan(v))
        return NAN;
    return v * factor;
}
