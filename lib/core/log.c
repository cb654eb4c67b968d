/* log.c - text or JSON-lines log records on stderr. */
#include "core/log.h"

#include "core/error.h"
#include "core/url.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Written once by log_init() from main before threads exist; read-only after. */
static struct {
    int level;
    int json;
    int color;
} log_cfg = {LOG_INFO, 0, 0};

static _Thread_local char log_trace[128];

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

void log_init(void)
{
    const char *fmt = getenv("RNR_LOG_FORMAT");
    const char *lvl = getenv("RNR_LOG_LEVEL");
    log_cfg.json = fmt && strcasecmp(fmt, "json") == 0;
    if (lvl && *lvl && log_parse_level(lvl, &log_cfg.level) != 0)
        fprintf(stderr, "rnr: RNR_LOG_LEVEL=%s is not one of debug, info, warn, error, off; using info\n", lvl);
    log_cfg.color = !log_cfg.json && isatty(STDERR_FILENO) && !getenv("NO_COLOR");
}

void log_set_level(int level) { log_cfg.level = level; }
int log_get_level(void) { return log_cfg.level; }

void log_set_trace_id(const char *trace_id)
{
    if (!trace_id)
        log_trace[0] = '\0';
    else
        snprintf(log_trace, sizeof log_trace, "%s", trace_id);
}

const char *log_get_trace_id(void) { return log_trace[0] ? log_trace : NULL; }

/* JSON string escaping for the message and component. */
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

/* One record, already formatted: the message has its URLs masked here,
 * the last place every line passes through. */
static void log_write(int level, const char *component, const char *raw)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    static const char *const colors[] = {"\033[2m", "", "\033[33m", "\033[31m"};
    char msg[2048];
    url_mask_text(raw, msg, sizeof msg);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[40];
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
    if (!component)
        component = "rnr";

    /* The record is built in memory and leaves in one write(2): stderr is
     * unbuffered, so printing it piecewise let concurrent workers (separate
     * processes sharing one stderr) splice their lines together. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    if (log_cfg.json) {
        fprintf(f, "{\"ts\":\"%s\",\"level\":\"%s\",\"pid\":%ld,\"component\":\"", ts, names[level],
                (long)getpid());
        json_escape(f, component);
        fputs("\",\"msg\":\"", f);
        json_escape(f, msg);
        fputc('"', f);
        if (log_trace[0]) {
            fputs(",\"trace_id\":\"", f);
            json_escape(f, log_trace);
            fputc('"', f);
        }
        fputs("}\n", f);
    } else {
        /* Text lines escape control characters: a message id with a
         * newline or ESC in it must not forge a record or drive the
         * terminal. */
        char m[4 * sizeof msg], c[128], t[4 * sizeof log_trace];
        rnr_text_escape(msg, m, sizeof m);
        rnr_text_escape(component, c, sizeof c);
        rnr_text_escape(log_trace, t, sizeof t);
        fprintf(f, "%s%s %-5s [%s] %s%s%s%s\n", log_cfg.color ? colors[level] : "", ts, names[level], c, m,
                t[0] ? " trace_id=" : "", t, log_cfg.color ? "\033[0m" : "");
    }
    if (fclose(f) == 0)
        log_write_all(buf, len);
    free(buf);
}

void log_msg(int level, const char *component, const char *fmt, ...)
{
    if (level < log_cfg.level || level >= LOG_OFF)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_write(level, component, msg);
}

void log_fatal(const char *command, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (log_cfg.json) {
        char comp[64];
        snprintf(comp, sizeof comp, "%s", command ? command : "rnr");
        log_write(LOG_ERROR, comp, msg);
        return;
    }
    char masked[2048], line[4 * sizeof masked];
    url_mask_text(msg, masked, sizeof masked);
    rnr_text_escape(masked, line, sizeof line);
    char out[sizeof line + 80];
    int n = snprintf(out, sizeof out, "rnr%s%s: %s\n", command ? " " : "", command ? command : "", line);
    if (n > 0)
        log_write_all(out, (size_t)n < sizeof out ? (size_t)n : sizeof out - 1);
}
