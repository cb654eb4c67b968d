/* error.c - the error record: formatting and classification. */
#include "core/error.h"
#include "core/url.h"

#include <stdio.h>
#include <string.h>

void rnr_text_escape(const char *text, char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (n == 0)
        return;
    for (; text && *text; text++) {
        unsigned char c = (unsigned char)*text;
        char tmp[5];
        size_t k = 0;
        if (c >= 0x20 && c != 0x7f) {
            tmp[k++] = (char)c;
        } else {
            tmp[k++] = '\\';
            if (c == '\n' || c == '\r' || c == '\t') {
                tmp[k++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            } else {
                tmp[k++] = 'x';
                tmp[k++] = hex[c >> 4];
                tmp[k++] = hex[c & 15];
            }
        }
        if (o + k >= n)
            break; /* never cut an escape in half */
        memcpy(out + o, tmp, k);
        o += k;
    }
    out[o] = '\0';
}

/* Keep a message on one line and free of credentials. Cheap when there is
 * nothing to do: one scan for a control character or "://". */
static void error_sanitize(char *msg, size_t cap)
{
    int ctl = 0;
    for (const char *p = msg; *p && !ctl; p++)
        ctl = (unsigned char)*p < 0x20 || *p == 0x7f;
    int url = url_text_has_secret(msg);
    if (!ctl && !url)
        return;
    char tmp[sizeof((rnr_error *)0)->msg];
    if (url) {
        url_mask_text(msg, tmp, sizeof tmp);
        snprintf(msg, cap, "%s", tmp);
    }
    if (ctl) {
        rnr_text_escape(msg, tmp, sizeof tmp);
        snprintf(msg, cap, "%s", tmp);
    }
}

int rnr_error_vset(rnr_error *e, int code, const char *fmt, va_list ap)
{
    if (e) {
        e->code = code;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        error_sanitize(e->msg, sizeof e->msg);
    }
    return code;
}

/* The name in parentheses: error.h makes rnr_error_set a macro for the
 * analyzer, and the definition must not expand it. */
int(rnr_error_set)(rnr_error *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rnr_error_vset(e, code, fmt, ap);
    va_end(ap);
    return code;
}

int rnr_error_prefix(rnr_error *e, const char *fmt, ...)
{
    if (!e)
        return RNR_OK;
    char head[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    /* Shift the old message right and put "head: " in front, truncating
     * the tail when the record is full. */
    size_t hl = strlen(head) + 2, cap = sizeof e->msg;
    size_t ol = strnlen(e->msg, cap - 1);
    if (hl >= cap)
        hl = cap - 1;
    if (ol > cap - 1 - hl)
        ol = cap - 1 - hl;
    memmove(e->msg + hl, e->msg, ol);
    e->msg[hl + ol] = '\0';
    memcpy(e->msg, head, hl - 2);
    e->msg[hl - 2] = ':';
    e->msg[hl - 1] = ' ';
    error_sanitize(e->msg, sizeof e->msg);
    return e->code;
}

void rnr_error_clear(rnr_error *e)
{
    if (e) {
        e->code = RNR_OK;
        e->msg[0] = '\0';
    }
}

const char *rnr_code_name(int code)
{
    static const char *const names[] = {
        "ok",          "invalid", "nomem", "io",      "notfound",  "parse",     "limit",
        "unsupported", "config",  "auth",  "timeout", "transient", "cancelled", "internal"};
    if (code < 0 || (size_t)code >= sizeof names / sizeof names[0])
        return "unknown";
    return names[code];
}

int rnr_code_is_transient(int code)
{
    return code == RNR_ERR_TIMEOUT || code == RNR_ERR_TRANSIENT;
}
