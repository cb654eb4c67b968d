/* backends.h - choose a backend for each port by URL, and the small URL
 * helpers the embedded backends share.
 *
 * Schemes: sqlite:// (queue, cache), amqp:// and amqps:// (queue),
 * redis:// and rediss:// (cache), file:// and s3:// (store; file:// also
 * for the metrics file and a secrets directory), env: (secrets), log:
 * (metrics). An unknown scheme fails with RNR_ERR_UNSUPPORTED. Error
 * messages never show a password from a URL. */
#ifndef RNR_ADAPTERS_BACKENDS_H
#define RNR_ADAPTERS_BACKENDS_H

#include <stddef.h>

#include "core/error.h"
#include "ports/cache.h"
#include "ports/queue.h"
#include "ports/store.h"
#include "ports/telemetry.h"

/* queue_name, when non-NULL, wins over the URL's ?queue= parameter. */
int backend_open_queue(const char *url, const char *queue_name, rnr_queue **out, rnr_error *err);
int backend_open_cache(const char *url, rnr_cache **out, rnr_error *err);
int backend_open_store(const char *url, rnr_store **out, rnr_error *err);
/* "env:", "env:PREFIX", "file:" or "file:///abs/dir" (see embedded.h). */
int backend_open_secrets(const char *url, rnr_secrets **out, rnr_error *err);
/* "log:" or "file:///abs/metrics.jsonl" (see embedded.h). */
int backend_open_metrics(const char *url, rnr_metrics **out, rnr_error *err);

/* Copy url into buf with any password in its userinfo replaced by "***"
 * (always NUL-terminates; truncates to n). */
void backend_url_mask(const char *url, char *buf, size_t n);

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
