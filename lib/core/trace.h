/* trace.h - trace ids: made at publish time, carried by every message.
 *
 * A new id has the X-Ray header form "Root=1-<8 hex: epoch s>-<24 hex
 * random>", the form Lambda hands over in Lambda-Runtime-Trace-Id, so one
 * query shape finds both. Ids that come from outside (a message header, the
 * Lambda runtime) are checked before they go into logs, headers, columns
 * and NetCDF attributes. */
#ifndef RNR_CORE_TRACE_H
#define RNR_CORE_TRACE_H

#include <stddef.h>

/* Buffer size for any trace id, NUL included. */
#define TRACE_ID_MAX 256
/* Length of the ids trace_id_new makes. */
#define TRACE_ID_NEW_LEN 40

/* A fresh random id into buf (n > TRACE_ID_NEW_LEN bytes). */
void trace_id_new(char *buf, size_t n);

/* 1 when s is usable as a trace id: 1..TRACE_ID_MAX-1 bytes of printable
 * ASCII without spaces; 0 for NULL and anything else. */
int trace_id_valid(const char *s);

/* have when it is valid, else a new id written to buf; never NULL. */
const char *trace_id_or_new(const char *have, char buf[TRACE_ID_MAX]);

/* The trace id of the Lambda invocation this process serves
 * (_X_AMZN_TRACE_ID), or NULL outside Lambda or when it is not valid. */
const char *trace_id_lambda(void);

#endif
