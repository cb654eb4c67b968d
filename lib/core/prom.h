/* prom.h - in-process counters, gauges and histograms, rendered in the
 * Prometheus text exposition format (version 0.0.4).
 *
 * A family is created on first use by name; its type and help text are
 * fixed by that first use. A sample is one label set of a family, written
 * as Prometheus writes it (`outcome="routed",reason="not_flooding"`; the
 * caller escapes nothing: label values are escaped here). All functions are
 * thread-safe; a registry is shared by every thread of one process. */
#ifndef RNR_CORE_PROM_H
#define RNR_CORE_PROM_H

#include <stddef.h>

#include "core/error.h"

typedef struct prom_registry prom_registry;

/* The duration buckets' upper bounds (seconds), shared by every histogram. */
#define PROM_NBUCKETS 14
extern const double prom_buckets[PROM_NBUCKETS];

/* A duration histogram kept outside a registry: a worker accumulates one
 * per step and writes it to its stats file; the supervisor adds up the
 * workers' and publishes the total with prom_histogram_set. bucket[i]
 * counts observations <= prom_buckets[i] (cumulative, as rendered). */
typedef struct prom_hist {
    unsigned long long bucket[PROM_NBUCKETS];
    unsigned long long count;
    double sum; /* seconds */
} prom_hist;

/* Record one observation (seconds, >= 0; others are ignored). */
void prom_hist_observe(prom_hist *h, double seconds);
/* into += h, bucket by bucket. */
void prom_hist_add(prom_hist *into, const prom_hist *h);

/* One label: name and raw value. */
typedef struct prom_label {
    const char *name;
    const char *value;
} prom_label;

/* A new empty registry; NULL when out of memory. */
prom_registry *prom_new(void);
void prom_free(prom_registry *m);

/* Add v (>= 0) to a counter. Errors only for a bad name, a type clash or
 * out of memory; metrics never stop the pipeline, so callers may ignore
 * them, but tests check them. */
int prom_counter_add(prom_registry *m, const char *name, const char *help, const prom_label *labels,
                     size_t nlabels, double v);
/* Set a counter to an absolute total v (>= 0), for counts kept elsewhere
 * (a worker's stats file) that only this call publishes. */
int prom_counter_set(prom_registry *m, const char *name, const char *help, const prom_label *labels,
                     size_t nlabels, double v);
/* Set a gauge to v. */
int prom_gauge_set(prom_registry *m, const char *name, const char *help, const prom_label *labels,
                   size_t nlabels, double v);
/* Record one observation (seconds) in a histogram with the registry's
 * duration buckets (5 ms to 5 min). */
int prom_observe(prom_registry *m, const char *name, const char *help, const prom_label *labels,
                 size_t nlabels, double seconds);

/* Replace a histogram sample by h (totals kept elsewhere, as
 * prom_counter_set does for counters). */
int prom_histogram_set(prom_registry *m, const char *name, const char *help,
                       const prom_label *labels, size_t nlabels, const prom_hist *h);

/* The current value of a counter or gauge sample (0 when absent), for
 * tests and status lines. */
double prom_value(prom_registry *m, const char *name, const prom_label *labels, size_t nlabels);

/* Render every family as Prometheus text into *out (malloc'd,
 * NUL-terminated). */
int prom_render(prom_registry *m, char **out, size_t *len, rnr_error *err) RNR_WARN_UNUSED;

#endif
