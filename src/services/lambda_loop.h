/* lambda_loop.h - run rnr's services as AWS Lambda custom-runtime handlers.
 *
 * One process serves one handler (chosen by _HANDLER): init once (a failure
 * is reported to /runtime/init/error and ends the process), then for each
 * invocation: take the trace id into the logs and _X_AMZN_TRACE_ID, run the
 * handler, post its JSON result or an error report. */
#ifndef RNR_SERVICES_LAMBDA_LOOP_H
#define RNR_SERVICES_LAMBDA_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "ports/invocations.h"

typedef struct lambda_handler {
    const char *name;
    /* Build what every invocation reuses (connections, config); may be NULL. */
    int (*init)(void **ctx, rnr_error *err);
    /* *result = malloc'd JSON object text, e.g. {"status": "..."}. Stop
     * starting new work when lambda_remaining_ms() drops below a margin. */
    int (*invoke)(void *ctx, const lambda_invocation *inv, char **result, rnr_error *err);
    void (*fini)(void *ctx);
} lambda_handler;

typedef struct lambda_loop_opts {
    const char *api;          /* AWS_LAMBDA_RUNTIME_API (host:port) */
    const char *handler;      /* _HANDLER */
    int max_invocations;      /* 0 = forever (tests and drains set a bound) */
    int64_t process_start_ms; /* monotonic ms at process start, for the init figure */
} lambda_loop_opts;

typedef struct lambda_loop_stats {
    int64_t init_ms; /* process start -> first /next request */
    int invocations;
    int failures;
    double overhead_ms; /* mean per invocation: loop time minus handler time */
} lambda_loop_stats;

/* Returns RNR_OK after max_invocations, or the error that ended the loop
 * (init failure, runtime API gone). */
int lambda_loop_run(const lambda_handler *handlers, size_t n, const lambda_loop_opts *o,
                    lambda_loop_stats *stats, rnr_error *err);
/* Milliseconds left before the invocation's deadline (large when none). */
int64_t lambda_remaining_ms(const lambda_invocation *inv);

#endif
