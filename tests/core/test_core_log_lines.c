/* test_core_log_lines.c - each log record is one whole line, whatever the
 * number of processes writing to one stderr: 8 forked writers x 400 JSON
 * records of ~1.5 kB into one pipe, and every line read back must parse
 * as JSON with its writer's fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { WRITERS = 8, RECORDS = 400 };

static void test_json_lines_whole(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    setenv("RNR_LOG_FORMAT", "json", 1);
    setenv("RNR_LOG_LEVEL", "info", 1);
    pid_t kids[WRITERS];
    for (int k = 0; k < WRITERS; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            dup2(p[1], STDERR_FILENO);
            close(p[0]);
            log_init();
            char pad[1500];
            memset(pad, 'a' + k, sizeof pad - 1);
            pad[sizeof pad - 1] = '\0';
            for (int i = 0; i < RECORDS; i++)
                log_info("writer", "writer=%d record=%d \"quoted\" %s", k, i, pad);
            _exit(0);
        }
    }
    close(p[1]);
    FILE *in = fdopen(p[0], "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lines = 0, bad = 0, per[WRITERS] = {0};
    while ((n = getline(&line, &cap, in)) > 0) {
        lines++;
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        const char *msg = j ? json_string_value(json_object_get(j, "msg")) : NULL;
        int k = -1;
        if (!msg || sscanf(msg, "writer=%d", &k) != 1 || k < 0 || k >= WRITERS)
            bad++;
        else
            per[k]++;
        json_decref(j);
    }
    free(line);
    fclose(in);
    for (int k = 0; k < WRITERS; k++) {
        int st;
        waitpid(kids[k], &st, 0);
        assert_int_equal(per[k], RECORDS);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(lines, WRITERS * RECORDS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_json_lines_whole)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
