/* backends.h - the composition root's header for adapters and tests: the
 * service-facing half (open a backend by URL, the environment's backend
 * URLs) is ports/backends.h, included here; this adds the URL helpers the
 * adapters share (local sqlite:// and file:// paths, query parameters).
 *
 * Every scheme ports/backends.h lists is implemented: sqlite, amqp, amqps,
 * redis, rediss, file, s3, env, aws, log, cloudwatch. */
#ifndef RNR_ADAPTERS_BACKENDS_H
#define RNR_ADAPTERS_BACKENDS_H

#include <stddef.h>

#include "core/error.h"
#include "ports/backends.h"

/* A local URL split into parts: scheme "sqlite" or "file", an absolute,
 * percent-decoded path, and the raw query (without '?', "" when none). */
typedef struct backend_local_url {
    char *path;
    char *query;
} backend_local_url;

/* Parse "<scheme>:///abs/path[?query]" (host empty or "localhost").
 * RNR_ERR_INVALID naming the URL when it is relative or has no path. */
int backend_local_url_parse(const char *url, const char *scheme, backend_local_url *out,
                            rnr_error *err);
void backend_local_url_clear(backend_local_url *u);

/* Check that every key=value pair of query names one of the allowed
 * parameters (NULL-terminated list); RNR_ERR_INVALID otherwise. */
int backend_query_check(const char *url, const char *query, const char *const *allowed,
                        rnr_error *err);
/* Copy the value of parameter name into buf. Returns 1 when present, 0
 * when absent, -1 when the value does not fit. */
int backend_query_get(const char *query, const char *name, char *buf, size_t n);
/* Integer parameter in [min, max]; *out keeps its default when absent. */
int backend_query_int(const char *url, const char *query, const char *name, long min, long max,
                      long *out, rnr_error *err);

#endif
