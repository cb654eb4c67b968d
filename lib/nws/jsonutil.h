/* jsonutil.h - small jansson helpers shared by the nws parsers (internal).
 *
 * NWS and NWPS documents drift: fields go missing, turn null, or change
 * from string to number. These helpers read a field leniently into a
 * caller's buffer so each parser states only what it needs. */
#ifndef RNR_NWS_JSONUTIL_H
#define RNR_NWS_JSONUTIL_H

#include <jansson.h>
#include <stddef.h>

#include "core/error.h"

/* Largest JSON document the nws layer accepts (the AMAT2 observed series
 * for 30 days is ~430 kB; leave generous head room). */
#define NWS_JSON_MAX (64u * 1024 * 1024)

/* Parse len bytes as one JSON value; `what` names the input in errors. */
int nws_json_load(const char *buf, size_t len, const char *what, json_t **out, rnr_error *err);
/* Copy obj[key] into buf when it is a string (truncating to n-1 bytes);
 * "" when absent, null or not a string. Returns 1 when it was a string. */
int nws_json_str(const json_t *obj, const char *key, char *buf, size_t n);
/* obj[key] as a number; NAN when absent, null, not a number, or a
 * sentinel <= -999. */
double nws_json_value(const json_t *obj, const char *key);
/* Copy s (possibly NULL) into buf, truncating. */
void nws_copy(char *buf, size_t n, const char *s);
/* A decimal value from NWS text: NAN when empty, not a number, not finite
 * or a sentinel <= -999. */
double nws_value_from_text(const char *s);

#endif
