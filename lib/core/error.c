/* error.c - the error record: formatting and classification. */
#include "core/error.h"

#include <stdio.h>
#include <string.h>

int rnr_error_vset(rnr_error *e, int code, const char *fmt, va_list ap)
{
    if (e) {
        e->code = code;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    }
    return code;
}

int rnr_error_set(rnr_error *e, int code, const char *fmt, ...)
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
        "ok", "invalid", "nomem", "io", "notfound", "parse", "limit",
        "unsupported", "config", "auth", "timeout", "transient", "cancelled",
        "internal"};
    if (code < 0 || (size_t)code >= sizeof names / sizeof names[0])
        return "unknown";
    return names[code];
}

int rnr_code_is_transient(int code)
{
    return code == RNR_ERR_TIMEOUT || code == RNR_ERR_TRANSIENT;
}
