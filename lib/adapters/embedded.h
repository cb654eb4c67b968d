/* embedded.h - secrets and metrics backends for one machine.
 *
 * Secrets URLs:
 *   env:          secret NAME = environment variable NAME
 *   env:PREFIX    secret NAME = environment variable PREFIXNAME
 *                 (for either: when that variable is unset, NAME upper-cased
 *                 with other non-alphanumerics as '_': "rnr/mq-creds" ->
 *                 RNR_MQ_CREDS)
 *   file:         secret NAME is an absolute file path; value = its content
 *   file:///dir   secret NAME is a key under dir (same rules as store keys)
 * File values lose one trailing newline; at most 64 KiB.
 *
 * Metrics URLs:
 *   log:                     "metric ns/name=value unit dim=v ..." at info
 *   file:///abs/metrics.jsonl  the same log line, plus one JSON object per
 *                            point appended to the file:
 *   {"time":"...Z","namespace":..,"name":..,"value":..,"unit":..,"dimensions":{..}} */
#ifndef RNR_ADAPTERS_EMBEDDED_H
#define RNR_ADAPTERS_EMBEDDED_H

#include "core/error.h"
#include "ports/telemetry.h"

int embedded_secrets_open(const char *url, rnr_secrets **out, rnr_error *err);
int embedded_metrics_open(const char *url, rnr_metrics **out, rnr_error *err);

#endif
