/* invocations.h - the inbound invocation port of a function runtime: take
 * the next invocation, answer it or report its failure. Backend:
 * lib/adapters/lambda_runtime.c (the AWS Lambda Runtime API), opened by
 * backend_open_invocations (ports/backends.h). */
#ifndef RNR_PORTS_INVOCATIONS_H
#define RNR_PORTS_INVOCATIONS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct lambda_invocation {
    char request_id[128];
    int64_t deadline_ms; /* epoch milliseconds; 0 when not given */
    char function_arn[256];
    char trace_id[512]; /* Lambda-Runtime-Trace-Id, may be empty */
    char *event;        /* the event JSON (NUL-terminated) */
    size_t event_len;
} lambda_invocation;

typedef struct invocations_ops {
    /* Block until the next invocation arrives; RNR_ERR_LIMIT for one the
     * backend already reported as failed (the caller goes on). */
    int (*next)(void *self, lambda_invocation *out, rnr_error *err);
    int (*respond)(void *self, const char *request_id, const char *json, rnr_error *err);
    int (*fail)(void *self, const char *request_id, const char *error_type, const char *message,
                rnr_error *err);
    int (*init_error)(void *self, const char *error_type, const char *message, rnr_error *err);
    void (*close)(void *self);
} invocations_ops;

typedef struct rnr_invocations {
    const invocations_ops *ops;
    void *self;
} rnr_invocations;

int invocations_next(rnr_invocations *v, lambda_invocation *out, rnr_error *err);
int invocations_respond(rnr_invocations *v, const char *request_id, const char *json,
                        rnr_error *err);
/* Report a failed invocation: error_type and message. */
int invocations_fail(rnr_invocations *v, const char *request_id, const char *error_type,
                     const char *message, rnr_error *err);
/* Report that the handler could not start. */
int invocations_init_error(rnr_invocations *v, const char *error_type, const char *message,
                           rnr_error *err);
/* Close the backend and free the handle (NULL is fine). */
void invocations_free(rnr_invocations *v);
/* Free what an invocation owns and zero it. */
void lambda_invocation_clear(lambda_invocation *inv);

#endif
