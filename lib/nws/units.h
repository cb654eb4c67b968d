/* units.h - NWS/NWPS flow units and their conversion to m3/s.
 *
 * 1 ft3 = 0.028316846592 m3 exactly, so kcfs x 28.316846592 and
 * cfs x 0.028316846592. A missing value (NAN) is never converted: it stays
 * NAN, so a sentinel can never turn into a large negative flow. */
#ifndef RNR_NWS_UNITS_H
#define RNR_NWS_UNITS_H

#define NWS_M3_PER_FT3 0.028316846592
#define NWS_M3S_PER_KCFS 28.316846592

enum nws_unit_kind {
    NWS_UNIT_UNKNOWN = 0, /* a unit we cannot interpret */
    NWS_UNIT_STAGE,       /* ft, m or "": a height, not a flow */
    NWS_UNIT_KCFS,
    NWS_UNIT_CFS,
    NWS_UNIT_M3S /* m3/s, "m3 s-1", "cms" */
};

/* Classify a unit string (case-insensitive, surrounding blanks ignored). */
int nws_unit_kind(const char *units);
/* Factor from units to m3/s; returns 0, or -1 when units is not a flow. */
int nws_flow_factor(const char *units, double *factor);
/* v x factor, or NAN when v is missing. */
double nws_flow_convert(double v, double factor);

#endif
