/* test_up_dead.c - rnr up --once with a malformed message in the queue and
 * a product whose text always answers 500: both end as dead letters with
 * their reason (read back with queue_list_dead), the other products
 * are processed, nothing is left in the queue, and the run exits 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/sqlite_queue.h"
#include "testutil.h"

#include <string.h>
#include <sys/stat.h>

#define P_A "7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10"

typedef struct fixture {
    char *dir;
    pid_t server;
    char queue_url[1024];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_tempdir("up-dead");
    const char *src = getenv("RNR_SOURCE_DIR");
    if (!f->dir || !src)
        return -1;
    char *bin = tu_build_path("tools/fixture_server/rnr-fixture-server");
    char data[1024], portf[1024], logf[1024];
    snprintf(data, sizeof data, "%s/data/sample/nws", src);
    snprintf(portf, sizeof portf, "%s/port", f->dir);
    snprintf(logf, sizeof logf, "%s/fixture.out", f->dir);
    char *argv[] = {bin,      "--dir",   data,
                    "--port", "0",       "--port-file",
                    portf,    "--fault", "{\"path\": \"/products/" P_A "\", \"status\": 500}",
                    NULL};
    f->server = tu_spawn(argv, logf);
    free(bin);
    int port = tu_wait_port_file(portf, 10000);
    if (port <= 0)
        return -1;
    char url[256], domain[1024], state_dir[900];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    setenv("NWS_API_URL", url, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/nwps/v1", port);
    setenv("NWPS_API_URL", url, 1);
    snprintf(domain, sizeof domain, "%s/data/sample/domain.gpkg", src);
    setenv("RNR_HYDROFABRIC", domain, 1);
    snprintf(state_dir, sizeof state_dir, "%s/state", f->dir);
    setenv("RNR_STATE_DIR", state_dir, 1);
    if (mkdir(state_dir, 0755) != 0)
        return -1;
    snprintf(f->queue_url, sizeof f->queue_url, "sqlite://%s/queue.db?max_deliveries=2", state_dir);
    setenv("RNR_QUEUE_URL", f->queue_url, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_stop(f->server);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* rnr up --once; returns its exit status, stdout in out_path. */
static int run_up(const char *out_path)
{
    const char *bin = getenv("RNR_BIN");
    char *argv[] = {(char *)bin, "up", "--once", "--no-status", "--timeout", "90", NULL};
    char err_path[1100];
    snprintf(err_path, sizeof err_path, "%s.err", out_path);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr))
            _exit(126);
        execv(bin, argv);
        _exit(127);
    }
    int status = -1;
    for (int i = 0; i < 1200 && waitpid(pid, &status, WNOHANG) == 0; i++)
        usleep(100000);
    if (!WIFEXITED(status)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    return WEXITSTATUS(status);
}

static void test_dead_letters_with_reasons(void **state)
{
    fixture *f = *state;
    rnr_queue *q;
    rnr_error err;
    assert_int_equal(sqlite_queue_open(f->queue_url, NULL, &q, &err), RNR_OK);
    const char *bad = "{\"rdf\": 42, \"id\": \"not-a-product\"";
    assert_int_equal(queue_publish(q, bad, strlen(bad), NULL, &err), RNR_OK);

    char out[1024];
    snprintf(out, sizeof out, "%s/up.out", f->dir);
    int rc = run_up(out);
    char *text = tu_read_file(out, NULL);
    assert_non_null(text);
    if (rc != 1)
        fprintf(stderr, "%s\n", text);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(text, "dead letters (this run)      2\n"));
    assert_non_null(strstr(text, "    dead: " P_A ": "));
    /* not JSON: shown by the start of its body */
    assert_non_null(strstr(text, "    dead: {\"rdf\": 42, \"id\": \"not-a-product\": "));
    /* the two other products were processed: their five sites skipped */
    assert_non_null(strstr(text, "sites skipped                5\n"));
    assert_non_null(strstr(text, "result: FAILED\n"));
    free(text);

    queue_dead_list l = {0};
    assert_int_equal(queue_list_dead(q, 0, &l, &err), RNR_OK);
    assert_int_equal(l.n, 2);
    int saw_bad = 0, saw_500 = 0;
    for (size_t i = 0; i < l.n; i++) {
        assert_non_null(l.items[i].reason);
        assert_true(strlen(l.items[i].reason) > 0);
        fprintf(stderr, "dead letter: %s -> %s\n", l.items[i].body, l.items[i].reason);
        if (strcmp(l.items[i].body, bad) == 0) {
            saw_bad = 1;
            assert_int_equal(l.items[i].delivery_count, 1); /* malformed: never retried */
            assert_non_null(strstr(l.items[i].reason, "malformed"));
        } else if (strstr(l.items[i].body, P_A)) {
            saw_500 = 1;
            assert_true(strstr(l.items[i].reason, "500") ||
                        strstr(l.items[i].reason, "delivery limit"));
        }
    }
    assert_true(saw_bad);
    assert_true(saw_500);

    /* a second read lists the same dead letters, in the same order */
    queue_dead_list pl = {0};
    assert_int_equal(queue_list_dead(q, 0, &pl, &err), RNR_OK);
    assert_int_equal(pl.n, l.n);
    for (size_t i = 0; i < pl.n; i++) {
        assert_int_equal(pl.items[i].id, l.items[i].id);
        assert_string_equal(pl.items[i].body, l.items[i].body);
        assert_int_equal(pl.items[i].len, l.items[i].len);
        assert_string_equal(pl.items[i].reason, l.items[i].reason);
        assert_int_equal(pl.items[i].delivery_count, l.items[i].delivery_count);
        assert_int_equal(pl.items[i].dead_at, l.items[i].dead_at);
    }
    queue_dead_list_clear(&pl);
    assert_int_equal(queue_list_dead(q, 1, &pl, &err), RNR_OK);
    assert_int_equal(pl.n, 1);
    assert_int_equal(pl.items[0].id, l.items[0].id);
    queue_dead_list_clear(&pl);
    queue_dead_list_clear(&l);

    queue_depth d;
    assert_int_equal(queue_get_depth(q, &d, &err), RNR_OK);
    assert_int_equal(d.ready, 0);
    assert_int_equal(d.unacked, 0);
    assert_int_equal(d.dead, 2);
    queue_free(q);
}

int main(void)
{
    if (!getenv("RNR_BIN") || !getenv("RNR_SOURCE_DIR")) {
        printf("skipped: RNR_BIN / RNR_SOURCE_DIR not set\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dead_letters_with_reasons, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
