/* test_prod_queue_cli.c - `rnr queue depth|dead|replay` on the embedded
 * queue: counts, the dead-letter listing, replay of one and of all, and
 * the one-line errors for bad arguments and unknown ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "adapters/backends.h"
#include "ports/queue.h"
#include "testutil.h"

static char *g_dir;
static char g_url[600];

/* Run `rnr queue ARGS` (shell words); output into out, returns the exit code. */
static int run_cli(const char *args, char *out, size_t n)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "RNR_STATE_DIR='%s/state' MQ_QUEUE_NAME=hml_files '%s' queue --queue '%s' %s 2>&1",
             g_dir, getenv("RNR_BIN"), g_url, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, n - 1, p);
    out[len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void publish(rnr_queue *q, const char *body, const char *trace)
{
    rnr_error e;
    queue_publish_opts o = {.trace_id = trace};
    assert_int_equal(queue_publish(q, body, strlen(body), &o, &e), RNR_OK);
}

/* Publish three, dead-letter two (the first and the third). */
static void fill(void)
{
    rnr_queue *q;
    rnr_error e;
    assert_int_equal(backend_open_queue(g_url, "hml_files", &q, &e), RNR_OK);
    publish(q, "{\"id\":\"a\"}", "Root=1-aaaa");
    publish(q, "{\"id\":\"b\"}", NULL);
    publish(q, "{\"id\":\"c\"}", NULL);
    queue_message m[3];
    for (int i = 0; i < 3; i++) /* hold all three, then settle */
        assert_int_equal(queue_get(q, 1000, &m[i], &e), RNR_OK);
    for (int i = 0; i < 3; i++) {
        if (strstr(m[i].body, "\"b\""))
            assert_int_equal(queue_nack(q, m[i].tag, 1, &e), RNR_OK);
        else
            assert_int_equal(queue_dead_letter(q, m[i].tag, "poison", &e), RNR_OK);
        queue_message_clear(&m[i]);
    }
    queue_free(q);
}

static void test_depth_dead_replay(void **state)
{
    (void)state;
    fill();
    char out[4096];
    assert_int_equal(run_cli("depth", out, sizeof out), 0);
    assert_string_equal(out, "queue hml_files ready=1 unacked=0 dead=2\n"
                             "queue hml_files.sites ready=0 unacked=0 dead=0\n");
    assert_int_equal(run_cli("dead", out, sizeof out), 0);
    assert_int_equal(tu_count(out, "reason=poison"), 2);
    assert_non_null(strstr(out, "trace=Root=1-aaaa\t{\"id\":\"a\"}"));
    assert_non_null(strstr(out, "trace=-\t{\"id\":\"c\"}"));
    assert_non_null(strstr(out, "2 dead letter(s)\n"));
    assert_int_equal(run_cli("dead 1", out, sizeof out), 0);
    assert_non_null(strstr(out, "1 dead letter(s)\n"));
    assert_non_null(strstr(out, "{\"id\":\"a\"}"));
    /* Replay the first by its id (the first column). */
    long id = strtol(out, NULL, 10);
    assert_true(id > 0);
    char args[64];
    snprintf(args, sizeof args, "replay %ld", id);
    assert_int_equal(run_cli(args, out, sizeof out), 0);
    assert_string_equal(out, "replayed 1 dead letter(s)\n");
    assert_int_equal(run_cli("depth", out, sizeof out), 0);
    assert_string_equal(out, "queue hml_files ready=2 unacked=0 dead=1\n"
                             "queue hml_files.sites ready=0 unacked=0 dead=0\n");
    assert_int_equal(run_cli(args, out, sizeof out), 1); /* gone now */
    assert_int_equal(run_cli("replay all", out, sizeof out), 0);
    assert_string_equal(out, "replayed 1 dead letter(s)\n");
    assert_int_equal(run_cli("depth", out, sizeof out), 0);
    assert_string_equal(out, "queue hml_files ready=3 unacked=0 dead=0\n"
                             "queue hml_files.sites ready=0 unacked=0 dead=0\n");
}

static void test_bad_arguments(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(run_cli("", out, sizeof out), 2);
    assert_int_equal(run_cli("purge", out, sizeof out), 2);
    assert_non_null(strstr(out, "unknown subcommand 'purge'"));
    assert_int_equal(run_cli("replay", out, sizeof out), 2);
    assert_int_equal(run_cli("replay x1", out, sizeof out), 2);
    assert_non_null(strstr(out, "not 'x1'"));
    assert_int_equal(run_cli("dead 0", out, sizeof out), 2);
    assert_int_equal(run_cli("depth extra", out, sizeof out), 2);
}

int main(void)
{
    if (!getenv("RNR_BIN")) {
        printf("skipped: RNR_BIN is needed\n");
        return 77;
    }
    g_dir = tu_tempdir("prodqueue");
    snprintf(g_url, sizeof g_url, "sqlite://%s/queue.db", g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth_dead_replay),
        cmocka_unit_test(test_bad_arguments),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_rmrf(g_dir);
    free(g_dir);
    return rc;
}
