/* log.c - text or JSON-lines log records on stderr, with fields (log.h). */
#include "core/log.h"

#include "core/error.h"
#include "core/trace.h"
#include "core/url.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum log_style { STYLE_TEXT, STYLE_JSON, STYLE_LAMBDA_JSON };

/* Written once by log_init() from main before threads exist; read-only after. */
static struct {
    int level;
    int style;
    int color;
} log_cfg = {LOG_INFO, STYLE_TEXT, 0};

typedef struct ctx_field {
    char key[32];
    char value[TRACE_ID_MAX];
} ctx_field;

static _Thread_local char log_trace[TRACE_ID_MAX];
static _Thread_local ctx_field log_ctx[LOG_CONTEXT_MAX];

/* Longest message and longest field value kept; longer ones are cut. */
#define MSG_MAX 2048
#define VALUE_MAX 1024

int log_parse_level(const char *s, int *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i <= LOG_OFF; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = LOG_WARN;
        return 0;
    }
    return -1;
}

/* Lambda's application log levels: TRACE..FATAL onto ours. */
static int lambda_parse_level(const char *s, int *out)
{
    if (strcasecmp(s, "trace") == 0) {
        *out = LOG_DEBUG;
        return 0;
    }
    if (strcasecmp(s, "fatal") == 0) {
        *out = LOG_ERROR;
        return 0;
    }
    return log_parse_level(s, out);
}

void log_init(void)
{
    const char *fmt = getenv("RNR_LOG_FORMAT");
    const char *lvl = getenv("RNR_LOG_LEVEL");
    const char *lfmt = getenv("AWS_LAMBDA_LOG_FORMAT");
    const char *llvl = getenv("AWS_LAMBDA_LOG_LEVEL");
    /* Lambda's JSON setting wins: its level filter needs its key names. */
    log_cfg.style = lfmt && strcasecmp(lfmt, "json") == 0 ? STYLE_LAMBDA_JSON
                    : fmt && strcasecmp(fmt, "json") == 0 ? STYLE_JSON
                                                          : STYLE_TEXT;
    log_cfg.color = log_cfg.style == STYLE_TEXT && isatty(STDERR_FILENO) && !getenv("NO_COLOR");
    int bad_rnr = lvl && *lvl && log_parse_level(lvl, &log_cfg.level) != 0;
    /* the function's configuration in Lambda is the operator's latest word */
    int bad_lambda = llvl && *llvl && lambda_parse_level(llvl, &log_cfg.level) != 0;
    if (bad_rnr)
        log_warn("rnr", "RNR_LOG_LEVEL=%s is not one of debug, info, warn, error, off; ignored",
                 lvl);
    if (bad_lambda)
        log_warn("rnr",
                 "AWS_LAMBDA_LOG_LEVEL=%s is not one of TRACE, DEBUG, INFO, WARN, ERROR, "
                 "FATAL; ignored",
                 llvl);
}

void log_set_level(int level)
{
    log_cfg.level = level;
}
int log_get_level(void)
{
    return log_cfg.level;
}

void log_set_trace_id(const char *trace_id)
{
    if (!trace_id)
        log_trace[0] = '\0';
    else
        snprintf(log_trace, sizeof log_trace, "%s", trace_id);
}

const char *log_get_trace_id(void)
{
    return log_trace[0] ? log_trace : NULL;
}

void log_context_set(const char *key, const char *value)
{
    ctx_field *slot = NULL;
    for (int i = 0; i < LOG_CONTEXT_MAX; i++) {
        if (log_ctx[i].key[0] && strcmp(log_ctx[i].key, key) == 0)
            slot = &log_ctx[i];
        else if (!slot && !log_ctx[i].key[0] && value)
            slot = &log_ctx[i];
    }
    assert(slot || !value); /* more context keys than LOG_CONTEXT_MAX */
    if (!slot)
        return;
    if (!value) {
        slot->key[0] = '\0';
        return;
    }
    snprintf(slot->key, sizeof slot->key, "%s", key);
    snprintf(slot->value, sizeof slot->value, "%s", value);
}

void log_context_clear(void)
{
    memset(log_ctx, 0, sizeof log_ctx);
}

/* ---- rendering ------------------------------------------------------------ */

/* JSON string escaping for the message, keys and values. */
static void json_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

static void json_member(FILE *f, const char *key, const char *value)
{
    fputs(",\"", f);
    json_escape(f, key);
    fputs("\":\"", f);
    json_escape(f, value);
    fputc('"', f);
}

/* A field's value as text, URLs masked; NULL for a left-out field. */
static const char *field_text(const log_field *f, char *buf, size_t n)
{
    switch (f->kind) {
    case LOG_FIELD_STR:
        if (!f->s)
            return NULL;
        url_mask_text(f->s, buf, n);
        return buf;
    case LOG_FIELD_INT:
        snprintf(buf, n, "%lld", f->i);
        return buf;
    case LOG_FIELD_NUM:
        snprintf(buf, n, "%.6g", f->d);
        return buf;
    }
    return NULL;
}

static int field_index(const log_field *f, size_t n, const char *key, size_t klen)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(f[i].key) == klen && strncmp(f[i].key, key, klen) == 0)
            return (int)i;
    return -1;
}

/* tmpl with each "{key}" of a field replaced by its value; *shown gets
 * bit i for each field i the message shows. */
static void render_template(const char *tmpl, const log_field *f, size_t n, char *out, size_t cap,
                            unsigned long long *shown)
{
    size_t o = 0;
    for (const char *p = tmpl; *p && o + 1 < cap;) {
        const char *end = *p == '{' ? strchr(p + 1, '}') : NULL;
        int i = end ? field_index(f, n, p + 1, (size_t)(end - p - 1)) : -1;
        if (i < 0) {
            out[o++] = *p++;
            continue;
        }
        char v[VALUE_MAX];
        const char *t = field_text(&f[i], v, sizeof v);
        size_t len = t ? strlen(t) : 0;
        if (len > cap - 1 - o)
            len = cap - 1 - o;
        memcpy(out + o, t ? t : "", len);
        o += len;
        *shown |= 1ULL << i;
        p = end + 1;
    }
    out[o] = '\0';
}

/* Hand a whole record to stderr in one write(2) (retried only for the
 * rest of a short write, which a pipe does not do below PIPE_BUF). */
static void log_write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        buf += w;
        len -= (size_t)w;
    }
}

/* What a record is made of, after the message is formatted. */
typedef struct record {
    int level;
    const char *component, *event;
    const char *msg; /* URLs masked */
    const log_field *f;
    size_t n;
    unsigned long long shown; /* fields the message shows (text lines skip them) */
    const char *trace;        /* the record's trace id, or "" */
} record;

/* 1 when a context key is given as a field of the record (the field wins). */
static int ctx_overridden(const record *r, const char *key)
{
    return field_index(r->f, r->n, key, strlen(key)) >= 0;
}

static void emit_json(FILE *out, const record *r, const char *ts)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    fprintf(out, "{\"%s\":\"%s\",\"level\":\"%s\",\"pid\":%ld,\"component\":\"",
            log_cfg.style == STYLE_LAMBDA_JSON ? "timestamp" : "ts", ts, names[r->level],
            (long)getpid());
    json_escape(out, r->component);
    fputc('"', out);
    if (r->event)
        json_member(out, "event", r->event);
    json_member(out, "msg", r->msg);
    char v[VALUE_MAX];
    for (size_t i = 0; i < r->n; i++) {
        const char *t = field_text(&r->f[i], v, sizeof v);
        if (!t || strcmp(r->f[i].key, "trace_id") == 0)
            continue;
        if (r->f[i].kind == LOG_FIELD_STR) {
            json_member(out, r->f[i].key, t);
            continue;
        }
        fputs(",\"", out);
        json_escape(out, r->f[i].key);
        int finite = r->f[i].kind == LOG_FIELD_INT || isfinite(r->f[i].d);
        fprintf(out, "\":%s", finite ? t : "null");
    }
    for (int i = 0; i < LOG_CONTEXT_MAX; i++)
        if (log_ctx[i].key[0] && !ctx_overridden(r, log_ctx[i].key))
            json_member(out, log_ctx[i].key, log_ctx[i].value);
    if (r->trace[0])
        json_member(out, "trace_id", r->trace);
    fputs("}\n", out);
}

/* " key=value", the value escaped, and quoted when it has a space, a
 * quote or an equals sign so the line still splits into pairs. */
static void text_pair(FILE *out, const char *key, const char *value)
{
    char esc[4 * VALUE_MAX];
    rnr_text_escape(value, esc, sizeof esc);
    if (esc[0] && !strpbrk(esc, " \"=")) {
        fprintf(out, " %s=%s", key, esc);
        return;
    }
    fprintf(out, " %s=\"", key);
    for (const char *p = esc; *p; p++)
        fprintf(out, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
    fputc('"', out);
}

/* Text lines escape control characters: a message id with a newline or
 * ESC in it must not forge a record or drive the terminal. */
static void emit_text(FILE *out, const record *r, const char *ts)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    static const char *const colors[] = {"\033[2m", "", "\033[33m", "\033[31m"};
    char m[4 * MSG_MAX], c[128];
    rnr_text_escape(r->msg, m, sizeof m);
    rnr_text_escape(r->component, c, sizeof c);
    fprintf(out, "%s%s %-5s [%s] %s", log_cfg.color ? colors[r->level] : "", ts, names[r->level], c,
            m);
    char v[VALUE_MAX];
    for (size_t i = 0; i < r->n; i++) {
        const char *t = field_text(&r->f[i], v, sizeof v);
        if (t && !(r->shown & (1ULL << i)) && strcmp(r->f[i].key, "trace_id") != 0)
            text_pair(out, r->f[i].key, t);
    }
    for (int i = 0; i < LOG_CONTEXT_MAX; i++)
        if (log_ctx[i].key[0] && !ctx_overridden(r, log_ctx[i].key))
            text_pair(out, log_ctx[i].key, log_ctx[i].value);
    if (r->trace[0]) {
        char t[4 * TRACE_ID_MAX];
        rnr_text_escape(r->trace, t, sizeof t);
        fprintf(out, " trace_id=%s", t);
    }
    fprintf(out, "%s\n", log_cfg.color ? "\033[0m" : "");
}

/* One record, its message already formatted: masked here, the last place
 * every line passes through. The record is built in memory and leaves in
 * one write(2): stderr is unbuffered, so printing it piecewise let
 * concurrent workers (separate processes sharing one stderr) splice their
 * lines together. */
static void log_emit(record *r, const char *raw)
{
    char msg[MSG_MAX];
    url_mask_text(raw, msg, sizeof msg);
    r->msg = msg;
    if (!r->component)
        r->component = "rnr";
    r->trace = log_trace;
    int ti = field_index(r->f, r->n, "trace_id", 8);
    if (ti >= 0 && r->f[ti].kind == LOG_FIELD_STR && r->f[ti].s)
        r->trace = r->f[ti].s;

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[40];
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03ldZ", (long)(tv.tv_usec / 1000));

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f) {
        if (log_cfg.style == STYLE_TEXT)
            emit_text(f, r, ts);
        else
            emit_json(f, r, ts);
        if (fclose(f) == 0)
            log_write_all(buf, len);
        free(buf);
    }
    r->msg = NULL; /* msg is this frame's: the caller's record must not keep it */
}

void log_fields(int level, const char *component, const char *event, const char *tmpl,
                const log_field *fields, size_t n)
{
    if (level < log_cfg.level || level >= LOG_OFF)
        return;
    assert(n <= 64);
    if (n > 64)
        n = 64;
    record r = {.level = level, .component = component, .event = event, .f = fields, .n = n};
    char msg[MSG_MAX];
    render_template(tmpl, fields, n, msg, sizeof msg, &r.shown);
    log_emit(&r, msg);
}

void log_msg(int level, const char *component, const char *fmt, ...)
{
    if (level < log_cfg.level || level >= LOG_OFF)
        return;
    char msg[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    record r = {.level = level, .component = component};
    log_emit(&r, msg);
}

void log_fatal(const char *command, const char *fmt, ...)
{
    char msg[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (log_cfg.style != STYLE_TEXT) {
        char comp[64];
        snprintf(comp, sizeof comp, "%s", command ? command : "rnr");
        record r = {.level = LOG_ERROR, .component = comp, .event = "fatal"};
        log_emit(&r, msg);
        return;
    }
    char masked[MSG_MAX], line[4 * sizeof masked];
    url_mask_text(msg, masked, sizeof masked);
    rnr_text_escape(masked, line, sizeof line);
    char out[sizeof line + 80];
    int n = snprintf(out, sizeof out, "rnr%s%s: %s\n", command ? " " : "", command ? command : "",
                     line);
    if (n > 0)
        log_write_all(out, (size_t)n < sizeof out ? (size_t)n : sizeof out - 1);
}
