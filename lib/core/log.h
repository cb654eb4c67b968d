/* log.h - structured logging to stderr.
 *
 * A record is a level, a component ("worker"), optionally an event name
 * ("ack", "dead_letter") and fields (lid, product, delivery, duration_ms,
 * error, ...), and a human message. Text lines for terminals:
 *
 *   2026-12-05T15:16:45.123Z info  [worker] stored lid=RNRA1 key=k product=P trace_id=Root=1-...
 *
 * JSON lines when RNR_LOG_FORMAT=json, one object per record with the
 * fields as members ({"ts","level","pid","component","event","msg",
 * fields..., "trace_id"}). Under Lambda, AWS_LAMBDA_LOG_FORMAT=JSON selects
 * JSON too, with "timestamp" for "ts" so Lambda's log-level filtering
 * reads it, and AWS_LAMBDA_LOG_LEVEL sets the level. The level otherwise
 * comes from RNR_LOG_LEVEL (debug, info, warn, error).
 *
 * Every record leaves in one write(2). The configuration is read once by
 * log_init() in main before any thread starts; the trace id and the
 * context fields are per thread, so concurrent invocations never mix. */
#ifndef RNR_CORE_LOG_H
#define RNR_CORE_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* Read RNR_LOG_FORMAT, RNR_LOG_LEVEL, AWS_LAMBDA_LOG_FORMAT and
 * AWS_LAMBDA_LOG_LEVEL. Safe to call more than once. */
void log_init(void);
void log_set_level(int level);
int log_get_level(void);
int log_parse_level(const char *s, int *out);
/* Trace id carried into every line of this thread (NULL clears). */
void log_set_trace_id(const char *trace_id);
const char *log_get_trace_id(void);

/* A context field carried into every line of this thread until it is
 * removed (value NULL) or log_context_clear(): the product a worker is
 * on, the Lambda request id. At most LOG_CONTEXT_MAX keys; a field given
 * to a record with the same key wins over the context. */
#define LOG_CONTEXT_MAX 4
void log_context_set(const char *key, const char *value);
void log_context_clear(void);

typedef enum log_field_kind { LOG_FIELD_STR, LOG_FIELD_INT, LOG_FIELD_NUM } log_field_kind;

/* One field of a record. A string field whose value is NULL is left out.
 * Keys are snake_case; ts, level, pid, component, event and msg are the
 * record's own; a "trace_id" field replaces the thread's trace id on that
 * record (the post-process names the trace of each output it reads). */
typedef struct log_field {
    const char *key;
    log_field_kind kind;
    const char *s;
    long long i;
    double d;
} log_field;

#define LOG_STR(k, v) ((log_field){(k), LOG_FIELD_STR, (v), 0, 0.0})
#define LOG_INT(k, v) ((log_field){(k), LOG_FIELD_INT, NULL, (long long)(v), 0.0})
#define LOG_NUM(k, v) ((log_field){(k), LOG_FIELD_NUM, NULL, 0, (double)(v)})

/* A record with fields. tmpl is the message; "{key}" in it is replaced by
 * that field's value (a literal template, never data: values are not
 * expanded again). In text lines the fields the message did not show
 * follow it as key=value. String values have URL credentials masked and
 * control characters escaped like every line. */
void log_fields(int level, const char *component, const char *event, const char *tmpl,
                const log_field *fields, size_t n);

/* log_event(LOG_INFO, "worker", "stored", "stored lid={lid} key={key}",
 *           LOG_STR("lid", lid), LOG_STR("key", key)); at least one field. */
#define log_event(level, component, event, tmpl, ...)                                              \
    log_fields((level), (component), (event), (tmpl), (const log_field[]){__VA_ARGS__},            \
               sizeof((const log_field[]){__VA_ARGS__}) / sizeof(log_field))

/* component: short module name ("worker", "producer"). The message is a
 * sentence; key=value pairs in it are kept as they are. */
void log_msg(int level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The last line of a failing command: "rnr COMMAND: message" on stderr in
 * text format, a JSON error record (component COMMAND) with
 * RNR_LOG_FORMAT=json. Printed whatever the level; URLs masked and control
 * characters escaped like every log line. */
void log_fatal(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(c, ...) log_msg(LOG_DEBUG, c, __VA_ARGS__)
#define log_info(c, ...) log_msg(LOG_INFO, c, __VA_ARGS__)
#define log_warn(c, ...) log_msg(LOG_WARN, c, __VA_ARGS__)
#define log_error(c, ...) log_msg(LOG_ERROR, c, __VA_ARGS__)

#endif
