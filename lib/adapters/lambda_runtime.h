/* lambda_runtime.h - client of the AWS Lambda Runtime API (custom runtime).
 *
 * GET  /2018-06-01/runtime/invocation/next          (no client timeout: the
 *      sandbox is frozen between invocations)
 * POST /2018-06-01/runtime/invocation/{id}/response
 * POST /2018-06-01/runtime/invocation/{id}/error    (+ Lambda-Runtime-Function-Error-Type)
 * POST /2018-06-01/runtime/init/error
 * The host:port comes from AWS_LAMBDA_RUNTIME_API. */
#ifndef RNR_ADAPTERS_LAMBDA_RUNTIME_H
#define RNR_ADAPTERS_LAMBDA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "ports/invocations.h"

typedef struct lambda_runtime lambda_runtime;

int lambda_runtime_new(const char *api_host_port, lambda_runtime **out, rnr_error *err);
void lambda_runtime_free(lambda_runtime *rt);
/* Block until the next invocation arrives. An event over Lambda's 6 MiB
 * payload limit is reported as that invocation's error (errorType
 * rnr.limit) and gives RNR_ERR_LIMIT: the caller goes on to the next. */
int lambda_runtime_next(lambda_runtime *rt, lambda_invocation *out, rnr_error *err);
int lambda_runtime_respond(lambda_runtime *rt, const char *request_id, const char *json,
                           rnr_error *err);
/* Report a failed invocation: errorType/errorMessage (+ empty stackTrace). */
int lambda_runtime_fail(lambda_runtime *rt, const char *request_id, const char *error_type,
                        const char *message, rnr_error *err);
int lambda_runtime_init_error(lambda_runtime *rt, const char *error_type, const char *message,
                              rnr_error *err);
/* Take one /next response header line (request id, function ARN, trace id,
 * deadline) into inv; other lines are ignored. Pure (fuzzed). */
void lambda_invocation_take_header(lambda_invocation *inv, const char *line, size_t len);
/* RNR_ERR_INVALID unless id has only the characters AWS request ids use
 * (it goes into URL paths). */
int lambda_request_id_check(const char *id, rnr_error *err);

/* The runtime as the invocation port (ports/invocations.h). */
int lambda_runtime_open(const char *api_host_port, rnr_invocations **out, rnr_error *err);

#endif
