/* test_core_hostile.c - what core does with hostile text: credentials in
 * URLs are masked, control characters never forge a log line, URL origins
 * are compared on scheme, host and port only, and flows outside the
 * physical range are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/forecast.h"
#include "core/log.h"
#include "core/url.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_url_mask(void **state)
{
    (void)state;
    char b[256];
    url_mask("https://user:hunter2@api.example:8443/p?x=1", b, sizeof b);
    assert_string_equal(b, "https://user:***@api.example:8443/p?x=1");
    url_mask("amqp://u:p@ss@host/", b, sizeof b);
    assert_string_equal(b, "amqp://u:***@host/");
    url_mask("amqp://user@host/", b, sizeof b);
    assert_string_equal(b, "amqp://user@host/");
    url_mask("s3://bucket/key:with@signs", b, sizeof b);
    assert_string_equal(b, "s3://bucket/key:with@signs");
    url_mask("https://h/p?type=HML&api_key=abc&X-Amz-Signature=ff&limit=5#frag", b, sizeof b);
    assert_string_equal(b, "https://h/p?type=HML&api_key=***&X-Amz-Signature=***&limit=5#frag");
    url_mask("amqp://u:longpassword@host/", b, 12);
    assert_string_equal(b, "amqp://u:**");
    url_mask(NULL, b, sizeof b);
    assert_string_equal(b, "");
    /* the cases the adapters' copies of this masker were tested with */
    url_mask("amqps://user:pa:ss@host:5671/vh", b, sizeof b);
    assert_string_equal(b, "amqps://user:***@host:5671/vh");
    url_mask("redis://:secret@h:6379", b, sizeof b);
    assert_string_equal(b, "redis://:***@h:6379");
    url_mask("https://h/p?type=HML&api_key=abc&X-Amz-Signature=ff&limit=5", b, sizeof b);
    assert_string_equal(b, "https://h/p?type=HML&api_key=***&X-Amz-Signature=***&limit=5");
    url_mask("https://h/p", b, sizeof b);
    assert_string_equal(b, "https://h/p");
}

static void test_url_mask_text(void **state)
{
    (void)state;
    char b[512];
    url_mask_text("GET https://a:s3cret@h/x: HTTP 500 (rdf 'http://u:pw@evil/p?token=t1')", b,
                  sizeof b);
    assert_string_equal(b, "GET https://a:***@h/x: HTTP 500 (rdf 'http://u:***@evil/p?token=***')");
    assert_null(strstr(b, "s3cret"));
    url_mask_text("no url here: a:b@c", b, sizeof b);
    assert_string_equal(b, "no url here: a:b@c");
    url_mask_text("://:x@ at start, and end redis://:pw@", b, sizeof b);
    assert_null(strstr(b, ":pw@"));
    assert_true(url_text_has_secret("x amqps://u:p@h y"));
    assert_false(url_text_has_secret("x amqps://u@h/vh y"));
}

static void test_url_origin(void **state)
{
    (void)state;
    char o[128];
    assert_int_equal(url_origin("https://API.weather.gov/products/1", o, sizeof o), 0);
    assert_string_equal(o, "https://api.weather.gov:443");
    assert_int_equal(url_origin("http://u:p@127.0.0.1:8080", o, sizeof o), 0);
    assert_string_equal(o, "http://127.0.0.1:8080");
    /* The host is what follows the last '@', whatever precedes it. */
    assert_int_equal(url_origin("https://api.weather.gov@evil.example/x", o, sizeof o), 0);
    assert_string_equal(o, "https://evil.example:443");
    assert_int_equal(url_origin("http://[::1]:99/x", o, sizeof o), 0);
    assert_string_equal(o, "http://[::1]:99");
    assert_int_equal(url_origin("file:///etc/passwd", o, sizeof o), -1);
    assert_int_equal(url_origin("gopher://h/", o, sizeof o), -1);
    assert_int_equal(url_origin("https://evil\\@api.weather.gov/", o, sizeof o), -1);
    assert_int_equal(url_origin("https://api.weather.gov%2f@evil/", o, sizeof o), -1);
    assert_int_equal(url_origin("https://h:99999/", o, sizeof o), -1);
    assert_int_equal(url_origin("https://h:/", o, sizeof o), -1);
    assert_int_equal(url_origin("https:///p", o, sizeof o), -1);
}

static void test_error_is_one_line_and_masked(void **state)
{
    (void)state;
    rnr_error e;
    rnr_error_set(&e, RNR_ERR_INVALID, "id %s from %s", "a\nFAKE line\x1b[2J",
                  "redis://:pw9@h:6379/0");
    assert_null(strchr(e.msg, '\n'));
    assert_null(strchr(e.msg, '\x1b'));
    assert_null(strstr(e.msg, "pw9"));
    assert_string_equal(e.msg, "id a\\nFAKE line\\x1b[2J from redis://:***@h:6379/0");
    rnr_error_prefix(&e, "ctx %s", "b\rc");
    assert_null(strchr(e.msg, '\r'));
    char out[8];
    rnr_text_escape("ab\x01", out, sizeof out);
    assert_string_equal(out, "ab\\x01");
    rnr_text_escape("abcd\n", out, 6); /* an escape is never cut in half */
    assert_string_equal(out, "abcd");
}

/* Run fn with stderr sent to a file; returns what it wrote (malloc'd). */
static char *capture_stderr(void (*fn)(void))
{
    char path[] = "/tmp/rnr-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    fflush(stderr);
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

static void emit_hostile(void)
{
    log_set_trace_id("t\n1");
    log_info("worker", "message id=%s url=%s",
             "m1\n2026-01-01T00:00:00.000Z error [worker] forged\x1b]0;x\x07",
             "https://u:topsecret@api.example/p");
    log_set_trace_id(NULL);
    log_fatal("worker", "cannot open %s: %s", "amqp://rnr:topsecret@h/", "bad\nline");
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_log_text_escapes(void **state)
{
    (void)state;
    unsetenv("RNR_LOG_FORMAT");
    log_init();
    char *out = capture_stderr(emit_hostile);
    assert_int_equal(count_lines(out), 2); /* one record, one fatal line */
    assert_null(strchr(out, '\x1b'));
    assert_null(strchr(out, '\x07'));
    assert_null(strstr(out, "topsecret"));
    assert_non_null(strstr(out, "id=m1\\n2026-01-01"));
    assert_non_null(strstr(out, "trace_id=t\\n1"));
    assert_non_null(strstr(out, "\nrnr worker: cannot open amqp://rnr:***@h/: bad\\nline\n"));
    free(out);
}

static void test_log_json_fatal(void **state)
{
    (void)state;
    setenv("RNR_LOG_FORMAT", "json", 1);
    log_init();
    char *out = capture_stderr(emit_hostile);
    unsetenv("RNR_LOG_FORMAT");
    log_init();
    assert_int_equal(count_lines(out), 2);
    assert_null(strstr(out, "topsecret"));
    assert_null(strchr(out, '\x1b'));
    /* The fatal line is a JSON record too. */
    const char *second = strchr(out, '\n') + 1;
    assert_true(strncmp(second, "{\"ts\":\"", 7) == 0);
    assert_non_null(strstr(second, "\"level\":\"error\""));
    assert_non_null(strstr(second, "\"component\":\"worker\""));
    assert_non_null(strstr(second, "\"msg\":\"cannot open amqp://rnr:***@h/: bad\\nline\"}"));
    free(out);
}

static void test_flow_range(void **state)
{
    (void)state;
    assert_true(forecast_flow_ok(0));
    assert_true(forecast_flow_ok(3.4e5)); /* the Amazon in flood */
    assert_true(forecast_flow_ok(RNR_FLOW_MAX_M3S));
    assert_false(forecast_flow_ok(RNR_FLOW_MAX_M3S * 1.0000001));
    assert_false(forecast_flow_ok(1e35 * 28.316846592));
    assert_false(forecast_flow_ok(1e300));
    assert_false(forecast_flow_ok(INFINITY));
    assert_false(forecast_flow_ok(NAN));
    assert_false(forecast_flow_ok(-1e-9));
    rnr_forecast *f = forecast_new(2);
    assert_non_null(f);
    snprintf(f->lid, sizeof f->lid, "X1");
    f->times[0] = 0;
    f->times[1] = 3600;
    f->flows[0] = 10;
    f->flows[1] = 1e300;
    rnr_error e;
    assert_int_equal(forecast_validate(f, &e), RNR_ERR_INVALID);
    assert_non_null(strstr(e.msg, "row 1"));
    f->flows[1] = 10;
    f->has_observation = 1;
    f->latest_observation = 2e6;
    assert_int_equal(forecast_validate(f, &e), RNR_ERR_INVALID);
    assert_non_null(strstr(e.msg, "latest observation"));
    forecast_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_mask),
        cmocka_unit_test(test_url_mask_text),
        cmocka_unit_test(test_url_origin),
        cmocka_unit_test(test_error_is_one_line_and_masked),
        cmocka_unit_test(test_log_text_escapes),
        cmocka_unit_test(test_log_json_fatal),
        cmocka_unit_test(test_flow_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
