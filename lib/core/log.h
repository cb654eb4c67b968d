/* log.h - structured logging to stderr.
 *
 * Text lines for terminals, JSON lines when RNR_LOG_FORMAT=json; the level
 * comes from RNR_LOG_LEVEL (debug, info, warn, error). The configuration is
 * read once by log_init() in main before any thread starts; the trace id is
 * per thread so concurrent invocations never mix their ids. */
#ifndef RNR_CORE_LOG_H
#define RNR_CORE_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* Read RNR_LOG_FORMAT and RNR_LOG_LEVEL. Safe to call more than once. */
void log_init(void);
void log_set_level(int level);
int log_get_level(void);
int log_parse_level(const char *s, int *out);
/* Trace id carried into every line of this thread (NULL clears). */
void log_set_trace_id(const char *trace_id);
const char *log_get_trace_id(void);

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
