/* jsonutil.c - lenient field access for NWS/NWPS JSON documents. */
#include "nws/jsonutil.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int nws_json_load(const char *buf, size_t len, const char *what, json_t **out, rnr_error *err)
{
    *out = NULL;
    if (!buf)
        return rnr_error_set(err, RNR_ERR_INVALID, "%s: no document", what);
    if (len > NWS_JSON_MAX)
        return rnr_error_set(err, RNR_ERR_LIMIT,
                             "%s: document of %zu bytes exceeds the %u byte cap", what, len,
                             NWS_JSON_MAX);
    json_error_t je;
    /* JSON_REJECT_DUPLICATES would refuse what Python's json accepts; keep
     * jansson's last-wins default. JSON_ALLOW_NUL keeps lengths honest. */
    json_t *root = json_loadb(buf, len, JSON_ALLOW_NUL, &je);
    if (!root)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: malformed JSON at line %d column %d: %s",
                             what, je.line, je.column, je.text);
    *out = root;
    return RNR_OK;
}

void nws_copy(char *buf, size_t n, const char *s)
{
    if (n == 0)
        return;
    if (!s)
        s = "";
    size_t l = strnlen(s, n - 1);
    memcpy(buf, s, l);
    buf[l] = '\0';
}

int nws_json_str(const json_t *obj, const char *key, char *buf, size_t n)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (json_is_string(v)) {
        nws_copy(buf, n, json_string_value(v));
        return 1;
    }
    nws_copy(buf, n, "");
    return 0;
}

static double sentinel(double v)
{
    if (!isfinite(v) || v <= -999.0)
        return NAN;
    return v;
}

double nws_json_value(const json_t *obj, const char *key)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!json_is_number(v))
        return NAN;
    return sentinel(json_number_value(v));
}

double nws_value_from_text(const char *s)
{
    if (!s)
        return NAN;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return NAN;
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return NAN;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return NAN;
    return sentinel(v);
}
