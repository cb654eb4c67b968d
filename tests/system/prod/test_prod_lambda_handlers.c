/* test_prod_lambda_handlers.c - `rnr lambda` with the real handlers on the
 * embedded backends, the NWS fixture server and the Runtime API emulator:
 * the producer publishes the sample products with the invocation's trace
 * id and reports them, a second invocation publishes 0, several
 * invocations share one process, a failing NWS list becomes an error
 * report, a deadline already near defers everything, echo answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "adapters/backends.h"
#include "ports/queue.h"
#include "testutil.h"

#define ID_OLD "31b8a6d2-9e47-4f05-a3c1-d85e2f604b97"
#define ID_MID "7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10"
#define ID_NEW "e09d5f37-1c6a-4b82-9d4e-6f31b07a2c58"
#define TRACE1 "Root=1-5f84c7a1-000000000000000000000001;Parent=0000000000000007;Sampled=1"

typedef struct fx {
    char *dir;
    pid_t fixture;
    char nws[64];
    char queue_url[600];
    char emu_log[600];
    char rnr_out[600];
    int exit_status;
} fx;

static pid_t spawn_port(char *const argv[], const char *portfile, const char *out, int *port)
{
    pid_t pid = tu_spawn(argv, out);
    *port = tu_wait_port_file(portfile, 10000);
    return pid;
}

static fx *fx_new(const char *fault)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_tempdir("prodlambda");
    char data[600], pf[600], out[600];
    snprintf(data, sizeof data, "%s/data/sample/nws", getenv("RNR_SOURCE_DIR"));
    snprintf(pf, sizeof pf, "%s/fixture.port", f->dir);
    snprintf(out, sizeof out, "%s/fixture.out", f->dir);
    char *bin = tu_build_path("tools/fixture_server/rnr-fixture-server");
    char *argv[] = {bin,           "--dir", data, "--port-file", pf, fault ? "--fault" : NULL,
                    (char *)fault, NULL};
    int port;
    f->fixture = spawn_port(argv, pf, out, &port);
    free(bin);
    assert_true(port > 0);
    snprintf(f->nws, sizeof f->nws, "http://127.0.0.1:%d", port);
    snprintf(f->queue_url, sizeof f->queue_url, "sqlite://%s/queue.db", f->dir);
    return f;
}

static void fx_free(fx *f)
{
    tu_stop(f->fixture);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
}

/* Serve the events (one JSON per line) with `rnr lambda` and the named
 * handler until n invocations are done; f->exit_status gets its status. */
static void run_lambda(fx *f, const char *handler, const char *events, int n, int deadline_ms)
{
    char ev[600], pf[600], out[600], dl[32], api[64], nmax[16];
    snprintf(ev, sizeof ev, "%s/events.jsonl", f->dir);
    snprintf(pf, sizeof pf, "%s/emu.port", f->dir);
    snprintf(out, sizeof out, "%s/emu.out", f->dir);
    snprintf(f->emu_log, sizeof f->emu_log, "%s/emu.jsonl", f->dir);
    snprintf(f->rnr_out, sizeof f->rnr_out, "%s/rnr.out", f->dir);
    unlink(pf);
    unlink(f->emu_log);
    unlink(f->rnr_out);
    snprintf(dl, sizeof dl, "%d", deadline_ms);
    snprintf(nmax, sizeof nmax, "%d", n);
    assert_int_equal(tu_write_file(ev, events), 0);
    char *emu = tu_build_path("tools/lambda_emulator/rnr-lambda-emulator");
    char *eargv[] = {emu,        "--events",      ev, "--port-file", pf, "--log",
                     f->emu_log, "--deadline-ms", dl, NULL};
    int port;
    pid_t epid = spawn_port(eargv, pf, out, &port);
    free(emu);
    assert_true(port > 0);
    snprintf(api, sizeof api, "127.0.0.1:%d", port);

    char cache[600], state[600];
    snprintf(cache, sizeof cache, "sqlite://%s/cache.db", f->dir);
    snprintf(state, sizeof state, "%s/state", f->dir);
    setenv("AWS_LAMBDA_RUNTIME_API", api, 1);
    setenv("_HANDLER", handler, 1);
    setenv("RNR_QUEUE_URL", f->queue_url, 1);
    setenv("RNR_CACHE_URL", cache, 1);
    setenv("RNR_STATE_DIR", state, 1);
    setenv("NWS_API_URL", f->nws, 1);
    char *rnr = getenv("RNR_BIN");
    char *rargv[] = {rnr, "lambda", "--max-invocations", nmax, NULL};
    pid_t pid = tu_spawn(rargv, f->rnr_out);
    int status = -1, done = 0;
    for (int i = 0; i < 3000 && !done; i++) { /* 60 s at most */
        if (waitpid(pid, &status, WNOHANG) == pid)
            done = 1;
        else
            usleep(20000);
    }
    if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    f->exit_status = done && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    unsetenv("AWS_LAMBDA_RUNTIME_API");
    unsetenv("_HANDLER");
    tu_stop(epid);
}

/* The emulator's records of one kind, in order (caller decrefs). */
static json_t *records(fx *f, const char *kind)
{
    json_t *out = json_array();
    char *text = tu_read_file(f->emu_log, NULL);
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        json_t *r = json_loads(line, 0, NULL);
        const char *k = r ? json_string_value(json_object_get(r, "kind")) : NULL;
        if (k && strcmp(k, kind) == 0)
            json_array_append(out, r);
        json_decref(r);
    }
    free(text);
    return out;
}

static json_int_t body_int(json_t *rec, const char *key)
{
    json_t *v = json_object_get(json_object_get(rec, "body"), key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static const char *body_str(json_t *rec, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(rec, "body"), key));
    assert_non_null(s);
    return s;
}

/* Take every ready message of the queue (acked); ids in order, and check
 * each carries the trace id. */
static int drain_ids(fx *f, const char *trace, char ids[][64], int cap)
{
    rnr_queue *q;
    rnr_error e;
    assert_int_equal(backend_open_queue(f->queue_url, "hml_files", &q, &e), RNR_OK);
    int n = 0;
    for (; n < cap + 1; n++) {
        queue_message m;
        int rc = queue_get(q, 50, &m, &e);
        if (rc != RNR_OK)
            break;
        assert_true(n < cap);
        json_t *body = json_loads(m.body, 0, NULL);
        assert_non_null(body);
        snprintf(ids[n], 64, "%s", json_string_value(json_object_get(body, "id")));
        assert_string_equal(json_string_value(json_object_get(body, "product_code")), "HML");
        json_decref(body);
        if (trace) {
            assert_non_null(m.trace_id);
            assert_string_equal(m.trace_id, trace);
        }
        assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
        queue_message_clear(&m);
    }
    queue_free(q);
    return n;
}

static void test_producer_publishes_once_over_invocations(void **state)
{
    (void)state;
    fx *f = fx_new(NULL);
    run_lambda(f, "producer", "{\"source\":\"aws.events\"}\n{\"source\":\"aws.events\"}\n{}\n", 3,
               60000);
    assert_int_equal(f->exit_status, 0);
    json_t *resp = records(f, "response");
    assert_int_equal(json_array_size(resp), 3);
    json_t *first = json_array_get(resp, 0);
    assert_string_equal(body_str(first, "status"), "ok");
    assert_int_equal(body_int(first, "seen"), 3);
    assert_int_equal(body_int(first, "new"), 3);
    assert_int_equal(body_int(first, "published"), 3);
    assert_int_equal(body_int(first, "failed"), 0);
    assert_int_equal(body_int(first, "deferred"), 0);
    assert_string_equal(body_str(first, "trace_id"), TRACE1);
    for (size_t i = 1; i < 3; i++) {
        json_t *r = json_array_get(resp, i);
        assert_string_equal(body_str(r, "status"), "ok");
        assert_int_equal(body_int(r, "seen"), 3);
        assert_int_equal(body_int(r, "new"), 0);
        assert_int_equal(body_int(r, "published"), 0);
    }
    json_decref(resp);
    json_t *errs = records(f, "error");
    assert_int_equal(json_array_size(errs), 0);
    json_decref(errs);
    /* Oldest first, each with the first invocation's trace id. */
    char ids[8][64];
    assert_int_equal(drain_ids(f, TRACE1, ids, 8), 3);
    assert_string_equal(ids[0], ID_OLD);
    assert_string_equal(ids[1], ID_MID);
    assert_string_equal(ids[2], ID_NEW);
    char *log = tu_read_file(f->rnr_out, NULL);
    assert_non_null(strstr(log, "invocations=3 failures=0"));
    assert_non_null(strstr(log, "init_ms="));
    free(log);
    fx_free(f);
}

static void test_producer_list_failure_is_error_report(void **state)
{
    (void)state;
    fx *f = fx_new("{\"path\":\"/products\",\"status\":500}");
    run_lambda(f, "producer", "{}\n{}\n", 2, 60000);
    assert_int_equal(f->exit_status, 0); /* a failed invocation does not end the runtime */
    json_t *errs = records(f, "error");
    assert_int_equal(json_array_size(errs), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *r = json_array_get(errs, i);
        assert_true(json_is_true(json_object_get(r, "valid")));
        /* The list is retried inside the invocation, then reported. */
        assert_string_equal(body_str(r, "errorType"), "rnr.transient");
        assert_string_equal(json_string_value(json_object_get(r, "error_type_header")),
                            "Unhandled");
        const char *msg = body_str(r, "errorMessage");
        assert_non_null(strstr(msg, "product list"));
        assert_non_null(strstr(msg, "HTTP 500"));
    }
    json_decref(errs);
    json_t *resp = records(f, "response");
    assert_int_equal(json_array_size(resp), 0);
    json_decref(resp);
    char ids[4][64];
    assert_int_equal(drain_ids(f, NULL, ids, 4), 0);
    char *log = tu_read_file(f->rnr_out, NULL);
    assert_non_null(strstr(log, "invocations=2 failures=2"));
    free(log);
    fx_free(f);
}

static void test_producer_deadline_near_defers_all(void **state)
{
    (void)state;
    fx *f = fx_new(NULL);
    /* 1 s left and a 5 s margin: no publish may start. */
    run_lambda(f, "producer", "{}\n", 1, 1000);
    assert_int_equal(f->exit_status, 0);
    json_t *resp = records(f, "response");
    assert_int_equal(json_array_size(resp), 1);
    json_t *r = json_array_get(resp, 0);
    assert_string_equal(body_str(r, "status"), "deferred");
    assert_int_equal(body_int(r, "new"), 3);
    assert_int_equal(body_int(r, "deferred"), 3);
    assert_int_equal(body_int(r, "published"), 0);
    json_decref(resp);
    char ids[4][64];
    assert_int_equal(drain_ids(f, NULL, ids, 4), 0);
    fx_free(f);
}

/* rnr-aws-fake (CloudWatch + ECS, SigV4 checked); returns its pid. */
static pid_t aws_fake_start(fx *f, char *endpoint, size_t n)
{
    char out[600], log[600];
    snprintf(out, sizeof out, "%s/awsfake.out", f->dir);
    snprintf(log, sizeof log, "%s/awsfake.jsonl", f->dir);
    char *bin = tu_build_path("tools/aws_fake/rnr-aws-fake");
    char *argv[] = {bin,
                    "--access-key",
                    "AKIDPRODTEST",
                    "--secret-key",
                    "prod-secret",
                    "--log",
                    log,
                    "--service",
                    "rnr-test/rnr-test-worker=2/2",
                    NULL};
    pid_t pid = tu_spawn(argv, out);
    free(bin);
    int port = 0;
    for (int i = 0; i < 500 && port <= 0; i++) {
        char *text = tu_read_file(out, NULL);
        const char *p = text ? strstr(text, "port ") : NULL;
        port = p ? atoi(p + 5) : 0;
        free(text);
        if (port <= 0)
            usleep(20000);
    }
    assert_true(port > 0);
    snprintf(endpoint, n, "http://127.0.0.1:%d", port);
    return pid;
}

static void test_autoscaler_publishes_backlog(void **state)
{
    (void)state;
    fx *f = fx_new(NULL);
    rnr_queue *q;
    rnr_error e;
    assert_int_equal(backend_open_queue(f->queue_url, "hml_files", &q, &e), RNR_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(queue_publish(q, "{\"id\":\"x\"}", 10, NULL, &e), RNR_OK);
    queue_free(q);
    char endpoint[64];
    pid_t fake = aws_fake_start(f, endpoint, sizeof endpoint);
    setenv("AWS_ENDPOINT_URL", endpoint, 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDPRODTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "prod-secret", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("ECS_CLUSTER_NAME", "rnr-test", 1);
    setenv("ECS_SERVICE_NAME", "rnr-test-worker", 1);
    run_lambda(f, "autoscaler", "{}\n", 1, 60000);
    const char *vars[] = {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                          "AWS_REGION",       "ECS_CLUSTER_NAME",  "ECS_SERVICE_NAME"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    tu_stop(fake);
    assert_int_equal(f->exit_status, 0);
    json_t *resp = records(f, "response");
    assert_int_equal(json_array_size(resp), 1);
    json_t *r = json_array_get(resp, 0);
    assert_string_equal(body_str(r, "status"), "ok");
    assert_int_equal(body_int(r, "depth"), 4);
    assert_int_equal(body_int(r, "dead"), 0);
    assert_int_equal(body_int(r, "running"), 2);
    json_decref(resp);
    /* CloudWatch got BacklogPerTask = 4 / 2 and DeadLetterDepth, signed. */
    char log[600];
    snprintf(log, sizeof log, "%s/awsfake.jsonl", f->dir);
    char *text = tu_read_file(log, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "DescribeServices"));
    assert_int_equal(tu_count(text, "\"sig\":\"ok\""), tu_count(text, "\"n\":"));
    int backlog = 0, dead = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        json_t *rec = json_loads(line, 0, NULL);
        json_t *pm = json_object_get(rec, "params");
        const char *name = json_string_value(json_object_get(pm, "MetricData.member.1.MetricName"));
        const char *value = json_string_value(json_object_get(pm, "MetricData.member.1.Value"));
        if (name && strcmp(name, "BacklogPerTask") == 0) {
            assert_non_null(value);
            assert_true(strtod(value, NULL) == 2.0);
            assert_string_equal(json_string_value(json_object_get(pm, "Namespace")),
                                "ECS/Service/RabbitMQ");
            backlog++;
        } else if (name && strcmp(name, "DeadLetterDepth") == 0) {
            assert_non_null(value);
            assert_true(strtod(value, NULL) == 0.0);
            dead++;
        }
        json_decref(rec);
    }
    assert_int_equal(backlog, 1);
    assert_int_equal(dead, 1);
    free(text);
    fx_free(f);
}

/* Producer invocation -> `rnr worker --once` -> postprocess invocations,
 * all on the embedded backends: the lambda handlers chained as on AWS. */
static void test_postprocess_after_worker(void **state)
{
    (void)state;
    fx *f = fx_new(NULL);
    char store[600], nwps[128], hf[600], stats[600], out[600];
    snprintf(store, sizeof store, "file://%s/store", f->dir);
    snprintf(nwps, sizeof nwps, "%s/nwps/v1", f->nws);
    snprintf(hf, sizeof hf, "%s/data/sample/domain.gpkg", getenv("RNR_SOURCE_DIR"));
    setenv("RNR_STORE_URL", store, 1);
    setenv("NWPS_API_URL", nwps, 1);
    setenv("RNR_HYDROFABRIC", hf, 1);
    /* The sample forecasts are from 2026-03-14: widen the window to reach
     * them from today, whatever today is (no fixed width that expires). */
    char window[32];
    snprintf(window, sizeof window, "%lld", (long long)(time(NULL) - 1773446400) + 30 * 86400);
    setenv("RNR_POSTPROCESS_WINDOW", window, 1);
    run_lambda(f, "producer", "{}\n", 1, 60000);
    assert_int_equal(f->exit_status, 0);

    snprintf(stats, sizeof stats, "%s/worker.json", f->dir);
    snprintf(out, sizeof out, "%s/worker.out", f->dir);
    char *wargv[] = {getenv("RNR_BIN"), "worker", "--once", "--stats-file", stats, NULL};
    pid_t w = tu_spawn(wargv, out);
    int status = -1;
    for (int i = 0; i < 3000; i++) { /* 60 s at most */
        if (waitpid(w, &status, WNOHANG) == w)
            break;
        usleep(20000);
        if (i == 2999) {
            kill(w, SIGKILL);
            waitpid(w, &status, 0);
        }
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    run_lambda(f, "postprocess", "{}\n{}\n", 2, 60000);
    unsetenv("RNR_STORE_URL");
    unsetenv("NWPS_API_URL");
    unsetenv("RNR_HYDROFABRIC");
    unsetenv("RNR_POSTPROCESS_WINDOW");
    assert_int_equal(f->exit_status, 0);
    json_t *resp = records(f, "response");
    assert_int_equal(json_array_size(resp), 2);
    json_t *r0 = json_array_get(resp, 0), *r1 = json_array_get(resp, 1);
    assert_string_equal(body_str(r0, "status"), "ok");
    assert_int_equal(body_int(r0, "listed"), 3);
    assert_int_equal(body_int(r0, "new_files"), 3);
    assert_true(body_int(r0, "rows") > 0);
    const char *csv = body_str(r0, "csv_key");
    assert_int_equal(strncmp(csv, "rnr_postprocess/output_inundation_", 34), 0);
    char path[900];
    snprintf(path, sizeof path, "%s/store/%s", f->dir, csv);
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    assert_int_equal(
        strncmp(text, "feature_id,feature_id_str,strm_order,name,state,streamflow_cfs", 62), 0);
    assert_int_equal(tu_count(text, "\n"), body_int(r0, "rows") + 1);
    free(text);
    /* Nothing new the second time. */
    assert_string_equal(body_str(r1, "status"), "nothing new");
    assert_int_equal(body_int(r1, "new_files"), 0);
    assert_string_equal(body_str(r1, "csv_key"), "");
    json_decref(resp);
    fx_free(f);
}

static void test_echo_answers_each_event(void **state)
{
    (void)state;
    fx *f = fx_new(NULL);
    run_lambda(f, "echo", "{\"a\":1}\n[1,2,3]\n", 2, 60000);
    assert_int_equal(f->exit_status, 0);
    json_t *resp = records(f, "response");
    assert_int_equal(json_array_size(resp), 2);
    json_t *b0 = json_object_get(json_array_get(resp, 0), "body");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(b0, "event"), "a")), 1);
    assert_string_equal(json_string_value(json_object_get(b0, "request_id")), "req-0001-8f1c2d3e");
    json_t *b1 = json_object_get(json_array_get(resp, 1), "body");
    assert_int_equal(json_array_size(json_object_get(b1, "event")), 3);
    json_decref(resp);
    fx_free(f);
}

int main(void)
{
    if (!getenv("RNR_BIN") || !getenv("RNR_BUILD_DIR") || !getenv("RNR_SOURCE_DIR")) {
        printf("skipped: RNR_BIN, RNR_BUILD_DIR and RNR_SOURCE_DIR are needed\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_producer_publishes_once_over_invocations),
        cmocka_unit_test(test_producer_list_failure_is_error_report),
        cmocka_unit_test(test_producer_deadline_near_defers_all),
        cmocka_unit_test(test_autoscaler_publishes_backlog),
        cmocka_unit_test(test_postprocess_after_worker),
        cmocka_unit_test(test_echo_answers_each_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
