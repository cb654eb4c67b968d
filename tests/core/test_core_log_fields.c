/* test_core_log_fields.c - records with fields: the message template, the
 * key=value tail of text lines, JSON members and their types, context
 * fields, the trace id (thread, per-record override), Lambda's JSON format
 * and level, hostile values; and the trace ids themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/log.h"
#include "core/trace.h"

#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char *capture_stderr(void (*fn)(void))
{
    char path[] = "/tmp/rnr-test-fields-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    off_t n = lseek(fd, 0, SEEK_END);
    char *buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)n, 0), n);
    close(fd);
    unlink(path);
    return buf;
}

static void set_format(const char *rnr, const char *lambda, const char *lambda_level)
{
    unsetenv("RNR_LOG_LEVEL");
    rnr ? setenv("RNR_LOG_FORMAT", rnr, 1) : unsetenv("RNR_LOG_FORMAT");
    lambda ? setenv("AWS_LAMBDA_LOG_FORMAT", lambda, 1) : unsetenv("AWS_LAMBDA_LOG_FORMAT");
    lambda_level ? setenv("AWS_LAMBDA_LOG_LEVEL", lambda_level, 1)
                 : unsetenv("AWS_LAMBDA_LOG_LEVEL");
    log_set_level(LOG_INFO);
    log_init();
}

static void emit_stored(void)
{
    log_set_trace_id("Root=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa");
    log_context_set("product", "P1");
    log_event(LOG_INFO, "worker", "stored", "stored lid={lid} key={key}", LOG_STR("lid", "RNRA1"),
              LOG_STR("key", "out/RNRA1/x.nc"), LOG_INT("duration_ms", 1234), LOG_NUM("peak", 12.5),
              LOG_STR("error", "HTTP 500 \"busy\" a=b"), LOG_STR("missing", NULL),
              LOG_STR("url", "https://u:topsecret@h/p"));
    log_context_set("product", NULL);
    log_set_trace_id(NULL);
}

static void test_text_line(void **state)
{
    (void)state;
    set_format(NULL, NULL, NULL);
    char *out = capture_stderr(emit_stored);
    assert_int_equal(tu_count(out, "\n"), 1);
    /* the message reads as it always did; the other fields follow it */
    assert_non_null(strstr(out,
                           " info  [worker] stored lid=RNRA1 key=out/RNRA1/x.nc duration_ms=1234 "
                           "peak=12.5 error=\"HTTP 500 \\\"busy\\\" a=b\" url=https://u:***@h/p "
                           "product=P1 trace_id=Root=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa\n"));
    assert_null(strstr(out, "missing"));
    assert_null(strstr(out, "topsecret"));
    free(out);
}

static void test_json_members(void **state)
{
    (void)state;
    set_format("json", NULL, NULL);
    char *out = capture_stderr(emit_stored);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    assert_non_null(j);
    assert_non_null(json_object_get(j, "ts"));
    assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(j, "component")), "worker");
    assert_string_equal(json_string_value(json_object_get(j, "event")), "stored");
    assert_string_equal(json_string_value(json_object_get(j, "msg")),
                        "stored lid=RNRA1 key=out/RNRA1/x.nc");
    assert_string_equal(json_string_value(json_object_get(j, "lid")), "RNRA1");
    assert_true(json_is_integer(json_object_get(j, "duration_ms")));
    assert_int_equal(json_integer_value(json_object_get(j, "duration_ms")), 1234);
    assert_true(json_is_real(json_object_get(j, "peak")));
    assert_string_equal(json_string_value(json_object_get(j, "error")), "HTTP 500 \"busy\" a=b");
    assert_string_equal(json_string_value(json_object_get(j, "url")), "https://u:***@h/p");
    assert_string_equal(json_string_value(json_object_get(j, "product")), "P1");
    assert_string_equal(json_string_value(json_object_get(j, "trace_id")),
                        "Root=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa");
    assert_null(json_object_get(j, "missing"));
    assert_null(strstr(out, "topsecret"));
    json_decref(j);
    free(out);
}

/* A value is data: braces in it are not expanded, control characters in
 * it do not end the line, NaN is null; a trace_id field overrides the
 * thread's; a record field overrides a context field of the same key. */
static void emit_hostile(void)
{
    log_set_trace_id("Root=1-thread");
    log_context_set("lid", "CTX");
    log_event(LOG_WARN, "postprocess", "input", "read {key} lid={lid}",
              LOG_STR("key", "a{lid}\nb\x1b[2J"), LOG_STR("lid", "RNRB1"), LOG_NUM("flow", NAN),
              LOG_STR("trace_id", "Root=1-output"));
    log_context_clear();
    log_set_trace_id(NULL);
}

static void test_hostile_values(void **state)
{
    (void)state;
    set_format(NULL, NULL, NULL);
    char *out = capture_stderr(emit_hostile);
    assert_int_equal(tu_count(out, "\n"), 1);
    assert_null(strchr(out, '\x1b'));
    assert_non_null(strstr(
        out, "[postprocess] read a{lid}\\nb\\x1b[2J lid=RNRB1 flow=nan trace_id=Root=1-output\n"));
    assert_null(strstr(out, "CTX"));
    assert_null(strstr(out, "Root=1-thread"));
    free(out);

    set_format("json", NULL, NULL);
    out = capture_stderr(emit_hostile);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "key")), "a{lid}\nb\x1b[2J");
    assert_string_equal(json_string_value(json_object_get(j, "lid")), "RNRB1");
    assert_true(json_is_null(json_object_get(j, "flow")));
    assert_string_equal(json_string_value(json_object_get(j, "trace_id")), "Root=1-output");
    assert_int_equal(tu_count(out, "\"trace_id\""), 1);
    assert_int_equal(tu_count(out, "\"lid\""), 1);
    json_decref(j);
    free(out);
}

static void emit_levels(void)
{
    log_context_set("request_id", "req-1");
    log_debug("lambda", "debug line");
    log_info("lambda", "info line");
    log_event(LOG_WARN, "lambda", "deadline", "warn line {n}", LOG_INT("n", 1));
    log_context_clear();
}

/* AWS_LAMBDA_LOG_FORMAT=JSON: JSON with Lambda's "timestamp" key (RFC
 * 3339), AWS_LAMBDA_LOG_LEVEL filters, TRACE means everything. */
static void test_lambda_json(void **state)
{
    (void)state;
    set_format(NULL, "JSON", "WARN");
    char *out = capture_stderr(emit_levels);
    assert_int_equal(tu_count(out, "\n"), 1);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    const char *ts = json_string_value(json_object_get(j, "timestamp"));
    assert_non_null(ts);
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    assert_int_equal(regexec(&re, ts, 0, NULL, 0), 0);
    regfree(&re);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(j, "request_id")), "req-1");
    assert_int_equal(json_integer_value(json_object_get(j, "n")), 1);
    json_decref(j);
    free(out);

    set_format(NULL, "JSON", "TRACE");
    out = capture_stderr(emit_levels);
    assert_int_equal(tu_count(out, "\n"), 3);
    assert_int_equal(tu_count(out, "\"level\":\"debug\""), 1);
    free(out);

    /* Text format under Lambda stays text, whatever AWS_LAMBDA_LOG_LEVEL */
    set_format(NULL, "Text", NULL);
    out = capture_stderr(emit_levels);
    assert_int_equal(tu_count(out, "\n"), 2);
    assert_non_null(strstr(out, "info  [lambda] info line request_id=req-1\n"));
    free(out);
    set_format(NULL, NULL, NULL);
}

static void test_trace_ids(void **state)
{
    (void)state;
    regex_t re;
    assert_int_equal(regcomp(&re, "^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$", REG_EXTENDED | REG_NOSUB),
                     0);
    enum { N = 500 };
    static char ids[N][TRACE_ID_MAX];
    for (int i = 0; i < N; i++) {
        trace_id_new(ids[i], sizeof ids[i]);
        assert_int_equal(strlen(ids[i]), TRACE_ID_NEW_LEN);
        assert_int_equal(regexec(&re, ids[i], 0, NULL, 0), 0);
        assert_true(trace_id_valid(ids[i]));
        for (int k = 0; k < i; k++)
            assert_string_not_equal(ids[i], ids[k]);
    }
    regfree(&re);
    assert_false(trace_id_valid(NULL));
    assert_false(trace_id_valid(""));
    assert_false(trace_id_valid("a b"));
    assert_false(trace_id_valid("a\nb"));
    assert_false(trace_id_valid("caf\xc3\xa9"));
    char longid[TRACE_ID_MAX + 1];
    memset(longid, 'x', TRACE_ID_MAX);
    longid[TRACE_ID_MAX] = '\0';
    assert_false(trace_id_valid(longid));
    longid[TRACE_ID_MAX - 1] = '\0';
    assert_true(trace_id_valid(longid));
    assert_true(trace_id_valid(
        "Root=1-65f2a1b0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"));
    char buf[TRACE_ID_MAX];
    assert_string_equal(trace_id_or_new("Root=1-x", buf), "Root=1-x");
    assert_true(strncmp(trace_id_or_new("bad id", buf), "Root=1-", 7) == 0);
    setenv("_X_AMZN_TRACE_ID", "Root=1-lambda", 1);
    assert_string_equal(trace_id_lambda(), "Root=1-lambda");
    setenv("_X_AMZN_TRACE_ID", "bad\nid", 1);
    assert_null(trace_id_lambda());
    unsetenv("_X_AMZN_TRACE_ID");
    assert_null(trace_id_lambda());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_line),      cmocka_unit_test(test_json_members),
        cmocka_unit_test(test_hostile_values), cmocka_unit_test(test_lambda_json),
        cmocka_unit_test(test_trace_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
