/* error.h - error codes and the error record every fallible call fills.
 *
 * Functions return an rnr error code (RNR_OK on success) and, when given a
 * non-NULL rnr_error, leave a one-line human message in it that names the
 * input and what is wrong. The code tells callers what to do next (retry,
 * dead-letter, exit 1); the message tells the operator why. Messages are
 * kept on one line and with credentials masked (core/url.h) whatever went
 * into them, since they reach logs, dead letters and stderr. */
#ifndef RNR_CORE_ERROR_H
#define RNR_CORE_ERROR_H

#include <stdarg.h>
#include <stddef.h>

/* Mark a function whose result must not be ignored (curl's
 * WARN_UNUSED_RESULT): with -Werror, dropping an error code fails the
 * build. */
#if defined(__GNUC__) || defined(__clang__)
#define RNR_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define RNR_WARN_UNUSED
#endif

enum rnr_code {
    RNR_OK = 0,
    RNR_ERR_INVALID, /* bad input: never retry */
    RNR_ERR_NOMEM,
    RNR_ERR_IO,       /* local file system */
    RNR_ERR_NOTFOUND, /* a named thing does not exist */
    RNR_ERR_PARSE,    /* malformed document */
    RNR_ERR_LIMIT,    /* a size or count cap was exceeded */
    RNR_ERR_UNSUPPORTED,
    RNR_ERR_CONFIG, /* missing or bad configuration */
    RNR_ERR_AUTH,
    RNR_ERR_TIMEOUT,   /* transient */
    RNR_ERR_TRANSIENT, /* network or server fault worth retrying */
    RNR_ERR_CANCELLED, /* stopped on request (signal, deadline) */
    RNR_ERR_INTERNAL
};

typedef struct rnr_error {
    int code;
    char msg[512];
} rnr_error;

/* Record code and message in e (if non-NULL); returns code so callers can
 * write `return rnr_error_set(err, RNR_ERR_INVALID, "...")`. */
int rnr_error_set(rnr_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int rnr_error_vset(rnr_error *e, int code, const char *fmt, va_list ap);
#ifdef __clang_analyzer__
/* What the analyzer cannot see across files: rnr_error_set returns the
 * code it was given, and that code is an error, never RNR_OK, so a path
 * that sets an error never carries on as if it had succeeded. An
 * expression, not a helper function: the analyzer stops inlining calls a
 * few frames deep and would then forget the helper's promise. (code is
 * evaluated twice, in the analyzer's build only; inside its own expansion
 * the macro's name calls the function.) */
#define rnr_error_set(e, code, ...)                                                                \
    (rnr_error_set((e), (code), __VA_ARGS__),                                                      \
     (code) == RNR_OK ? (__builtin_unreachable(), RNR_OK) : (code))
#endif
/* Prefix the existing message with context ("gauge AMAT2: ..."). */
int rnr_error_prefix(rnr_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rnr_error_clear(rnr_error *e);
const char *rnr_code_name(int code);
/* Copy text into out (n bytes, NUL-terminated when n > 0) as one line:
 * control characters become \n, \r, \t or \xHH, so input can never
 * forge a second line or send a terminal escape. */
void rnr_text_escape(const char *text, char *out, size_t n);
/* Worth retrying later (timeouts, 5xx, connection loss). */
int rnr_code_is_transient(int code);

#endif
