/* test_adapters_embedded_queue.c - the SQLite queue: delivery, leases,
 * redelivery limits, dead letters, replay, and several processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/backends.h"
#include "adapters/sqlite_queue.h"
#include "core/timeutil.h"
#include "adapters/embedded/embedded_testutil.h" /* tests/ */

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct qfix {
    char dir[512];
    char url[1024];
} qfix;

static int setup(void **state)
{
    qfix *f = calloc(1, sizeof *f);
    if (!f || testutil_mkdtemp(f->dir, sizeof f->dir) != 0)
        return -1;
    snprintf(f->url, sizeof f->url, "sqlite://%s/queue.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    qfix *f = *state;
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

/* Open f's queue with extra URL parameters (may be ""). */
static rnr_queue *open_q(qfix *f, const char *params)
{
    char url[1200];
    snprintf(url, sizeof url, "%s%s%s", f->url, *params ? "?" : "", params);
    rnr_queue *q = NULL;
    rnr_error err = {0};
    int rc = sqlite_queue_open(url, NULL, &q, &err);
    if (rc != RNR_OK)
        fail_msg("open %s: %s", url, err.msg);
    return q;
}

static void pub(rnr_queue *q, const char *body)
{
    rnr_error err = {0};
    assert_int_equal(queue_publish(q, body, strlen(body), NULL, &err), RNR_OK);
}

static void expect_depth(rnr_queue *q, int64_t ready, int64_t unacked, int64_t dead)
{
    queue_depth d;
    rnr_error err = {0};
    assert_int_equal(queue_get_depth(q, &d, &err), RNR_OK);
    assert_int_equal(d.ready, ready);
    assert_int_equal(d.unacked, unacked);
    assert_int_equal(d.dead, dead);
}

static void get_ok(rnr_queue *q, int timeout_ms, queue_message *m)
{
    rnr_error err = {0};
    int rc = queue_get(q, timeout_ms, m, &err);
    if (rc != RNR_OK)
        fail_msg("get: %s", err.msg);
}

static void test_publish_get_ack_depth(void **state)
{
    rnr_queue *q = open_q(*state, "");
    rnr_error err = {0};
    queue_message m;
    expect_depth(q, 0, 0, 0);
    pub(q, "{\"id\":\"a\"}");
    queue_publish_opts o = {.trace_id = "Root=1-abc", .content_type = NULL};
    assert_int_equal(queue_publish(q, "second", 6, &o, &err), RNR_OK);
    expect_depth(q, 2, 0, 0);

    get_ok(q, 0, &m);
    assert_string_equal(m.body, "{\"id\":\"a\"}");
    assert_int_equal(m.len, 10);
    assert_int_equal(m.delivery_count, 1);
    assert_int_equal(m.redelivered, 0);
    assert_null(m.trace_id);
    expect_depth(q, 1, 1, 0);
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
    expect_depth(q, 1, 0, 0);
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "not held"));
    queue_message_clear(&m);

    get_ok(q, 0, &m);
    assert_string_equal(m.body, "second");
    assert_string_equal(m.trace_id, "Root=1-abc");
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
    queue_message_clear(&m);
    expect_depth(q, 0, 0, 0);

    int64_t t0 = time_mono_ms();
    assert_int_equal(queue_get(q, 100, &m, &err), RNR_ERR_TIMEOUT);
    assert_true(time_mono_ms() - t0 >= 100);
    assert_null(m.body);
    queue_free(q);
}

static void test_fifo_and_publish_many(void **state)
{
    rnr_queue *q = open_q(*state, "queue=fifo");
    rnr_error err = {0};
    const char *bodies[20];
    size_t lens[20];
    int ok[20];
    char store[20][8];
    for (int i = 0; i < 20; i++) {
        snprintf(store[i], sizeof store[i], "m%02d", i);
        bodies[i] = store[i];
        lens[i] = strlen(store[i]);
    }
    assert_int_equal(queue_publish_many(q, bodies, lens, 20, NULL, ok, &err), RNR_OK);
    for (int i = 0; i < 20; i++)
        assert_int_equal(ok[i], 1);
    expect_depth(q, 20, 0, 0);
    for (int i = 0; i < 20; i++) {
        queue_message m;
        get_ok(q, 0, &m);
        assert_string_equal(m.body, store[i]);
        assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
        queue_message_clear(&m);
    }
    expect_depth(q, 0, 0, 0);
    queue_free(q);
}

/* publish_many carries each message's own trace id (else the common one). */
static void test_publish_many_trace_ids(void **state)
{
    rnr_queue *q = open_q(*state, "queue=fifo");
    rnr_error err = {0};
    const char *bodies[3] = {"a", "b", "c"};
    size_t lens[3] = {1, 1, 1};
    int ok[3];
    const char *traces[3] = {"Root=1-a", NULL, "Root=1-c"};
    queue_publish_opts o = {.trace_id = "Root=1-common", .trace_ids = traces};
    assert_int_equal(queue_publish_many(q, bodies, lens, 3, &o, ok, &err), RNR_OK);
    const char *want[3] = {"Root=1-a", "Root=1-common", "Root=1-c"};
    for (int i = 0; i < 3; i++) {
        queue_message m;
        get_ok(q, 0, &m);
        assert_string_equal(m.body, bodies[i]);
        assert_string_equal(m.trace_id, want[i]);
        assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
        queue_message_clear(&m);
    }
    queue_free(q);
}

/* A queue file from before messages and dead letters kept a trace id
 * (and before leases named their holder) is migrated on open. */
static void test_old_file_migrated(void **state)
{
    qfix *f = *state;
    char path[600];
    snprintf(path, sizeof path, "%s/queue.db", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE rnr_queue_messages(id INTEGER PRIMARY KEY AUTOINCREMENT,"
                     " queue TEXT NOT NULL, body BLOB NOT NULL, content_type TEXT,"
                     " enqueued_at INTEGER NOT NULL, lease_until INTEGER NOT NULL DEFAULT 0,"
                     " deliveries INTEGER NOT NULL DEFAULT 0);"
                     "CREATE TABLE rnr_queue_dead(id INTEGER PRIMARY KEY AUTOINCREMENT,"
                     " queue TEXT NOT NULL, body BLOB NOT NULL, content_type TEXT,"
                     " enqueued_at INTEGER NOT NULL, deliveries INTEGER NOT NULL,"
                     " reason TEXT NOT NULL, dead_at INTEGER NOT NULL);"
                     "INSERT INTO rnr_queue_messages(queue, body, enqueued_at)"
                     " VALUES('hml_files', 'old', 1);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    rnr_queue *q = open_q(f, "");
    rnr_error err = {0};
    queue_publish_opts o = {.trace_id = "Root=1-new"};
    assert_int_equal(queue_publish(q, "new", 3, &o, &err), RNR_OK);
    queue_message m;
    get_ok(q, 0, &m);
    assert_string_equal(m.body, "old");
    assert_null(m.trace_id);
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
    queue_message_clear(&m);
    get_ok(q, 0, &m);
    assert_string_equal(m.trace_id, "Root=1-new");
    assert_int_equal(queue_dead_letter(q, m.tag, "kept", &err), RNR_OK);
    queue_message_clear(&m);
    queue_dead_list dl;
    assert_int_equal(queue_list_dead(q, 0, &dl, &err), RNR_OK);
    assert_int_equal(dl.n, 1);
    assert_string_equal(dl.items[0].trace_id, "Root=1-new");
    queue_dead_list_clear(&dl);
    queue_free(q);
}

static void test_named_queues_share_a_file(void **state)
{
    qfix *f = *state;
    rnr_queue *a = open_q(f, "queue=alpha");
    rnr_queue *b = NULL;
    rnr_error err = {0};
    /* The explicit name wins over the URL's queue=. */
    char url[1200];
    snprintf(url, sizeof url, "%s?queue=alpha", f->url);
    assert_int_equal(sqlite_queue_open(url, "beta", &b, &err), RNR_OK);
    pub(a, "for-alpha");
    expect_depth(b, 0, 0, 0);
    expect_depth(a, 1, 0, 0);
    queue_message m;
    assert_int_equal(queue_get(b, 0, &m, &err), RNR_ERR_TIMEOUT);
    get_ok(a, 0, &m);
    assert_string_equal(m.body, "for-alpha");
    /* A tag from queue alpha is not a delivery of queue beta. */
    assert_int_equal(queue_ack(b, m.tag, &err), RNR_ERR_NOTFOUND);
    assert_int_equal(queue_ack(a, m.tag, &err), RNR_OK);
    queue_message_clear(&m);
    queue_free(a);
    queue_free(b);
}

static void test_nack_requeue_redelivers(void **state)
{
    rnr_queue *q = open_q(*state, "");
    rnr_error err = {0};
    queue_message m, m2;
    pub(q, "retry-me");
    pub(q, "later");
    get_ok(q, 0, &m);
    assert_int_equal(queue_nack(q, m.tag, 1, &err), RNR_OK);
    expect_depth(q, 2, 0, 0);
    /* The requeued message keeps its place at the head. */
    get_ok(q, 0, &m2);
    assert_string_equal(m2.body, "retry-me");
    assert_int_equal(m2.delivery_count, 2);
    assert_int_equal(m2.redelivered, 1);
    assert_true(m2.tag != m.tag);
    /* The first delivery's tag is stale now. */
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_ERR_NOTFOUND);
    assert_int_equal(queue_nack(q, m.tag, 1, &err), RNR_ERR_NOTFOUND);
    assert_int_equal(queue_ack(q, m2.tag, &err), RNR_OK);
    queue_message_clear(&m);
    queue_message_clear(&m2);
    expect_depth(q, 1, 0, 0);
    queue_free(q);
}

static void test_lease_expiry_redelivers(void **state)
{
    rnr_queue *q = open_q(*state, "lease=1");
    rnr_error err = {0};
    queue_message m, m2;
    pub(q, "slow-job");
    get_ok(q, 0, &m);
    assert_int_equal(queue_get(q, 0, &m2, &err), RNR_ERR_TIMEOUT);
    expect_depth(q, 0, 1, 0);
    time_sleep_ms(1100);
    expect_depth(q, 1, 0, 0);
    get_ok(q, 3000, &m2);
    assert_string_equal(m2.body, "slow-job");
    assert_int_equal(m2.delivery_count, 2);
    assert_int_equal(m2.redelivered, 1);
    /* The consumer whose lease expired cannot settle the new delivery. */
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_ERR_NOTFOUND);
    assert_int_equal(queue_dead_letter(q, m.tag, "late", &err), RNR_ERR_NOTFOUND);
    expect_depth(q, 0, 1, 0);
    assert_int_equal(queue_ack(q, m2.tag, &err), RNR_OK);
    expect_depth(q, 0, 0, 0);
    queue_message_clear(&m);
    queue_message_clear(&m2);
    queue_free(q);
}

static void test_max_deliveries_dead_letters(void **state)
{
    rnr_queue *q = open_q(*state, "max_deliveries=2");
    rnr_error err = {0};
    queue_message m;
    pub(q, "poison");
    pub(q, "fine");
    for (int i = 1; i <= 2; i++) {
        get_ok(q, 0, &m);
        assert_string_equal(m.body, "poison");
        assert_int_equal(m.delivery_count, i);
        assert_int_equal(queue_nack(q, m.tag, 1, &err), RNR_OK);
        queue_message_clear(&m);
    }
    /* A third delivery would exceed the limit: the next get skips it. */
    get_ok(q, 0, &m);
    assert_string_equal(m.body, "fine");
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
    queue_message_clear(&m);
    expect_depth(q, 0, 0, 1);

    queue_dead_list dl;
    assert_int_equal(queue_list_dead(q, 0, &dl, &err), RNR_OK);
    assert_int_equal(dl.n, 1);
    assert_string_equal(dl.items[0].body, "poison");
    assert_string_equal(dl.items[0].reason, "delivery limit 2 exceeded");
    assert_int_equal(dl.items[0].delivery_count, 2);
    assert_true(dl.items[0].dead_at >= time_now() - 60 && dl.items[0].dead_at <= time_now());
    queue_dead_list_clear(&dl);
    queue_free(q);
}

/* A message whose consumers keep dying (leases running out) ends dead. */
static void test_expired_leases_count_toward_the_limit(void **state)
{
    rnr_queue *q = open_q(*state, "lease=1&max_deliveries=1");
    rnr_error err = {0};
    queue_message m;
    pub(q, "kills-its-consumer");
    get_ok(q, 0, &m);
    queue_message_clear(&m);
    time_sleep_ms(1100);
    assert_int_equal(queue_get(q, 0, &m, &err), RNR_ERR_TIMEOUT);
    expect_depth(q, 0, 0, 1);
    queue_dead_list dl;
    assert_int_equal(queue_list_dead(q, 0, &dl, &err), RNR_OK);
    assert_int_equal(dl.n, 1);
    assert_string_equal(dl.items[0].body, "kills-its-consumer");
    assert_string_equal(dl.items[0].reason, "delivery limit 1 exceeded");
    assert_int_equal(dl.items[0].delivery_count, 1);
    queue_dead_list_clear(&dl);
    queue_free(q);
}

static void test_dead_letter_reason_and_reject(void **state)
{
    rnr_queue *q = open_q(*state, "");
    rnr_error err = {0};
    queue_message m;
    pub(q, "bad-product");
    pub(q, "rejected-product");
    queue_publish_opts o = {.trace_id = "Root=1-dead"};
    assert_int_equal(queue_publish(q, "third", 5, &o, &err), RNR_OK);

    get_ok(q, 0, &m);
    assert_int_equal(queue_dead_letter(q, m.tag, "no gauge XYZW1 in the hydrofabric", &err),
                     RNR_OK);
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_ERR_NOTFOUND);
    queue_message_clear(&m);
    get_ok(q, 0, &m);
    assert_int_equal(queue_nack(q, m.tag, 0, &err), RNR_OK);
    queue_message_clear(&m);
    get_ok(q, 0, &m);
    assert_int_equal(queue_dead_letter(q, m.tag, "third reason", &err), RNR_OK);
    queue_message_clear(&m);
    expect_depth(q, 0, 0, 3);

    queue_dead_list dl;
    assert_int_equal(queue_list_dead(q, 2, &dl, &err), RNR_OK);
    assert_int_equal(dl.n, 2);
    assert_string_equal(dl.items[0].body, "bad-product");
    assert_string_equal(dl.items[0].reason, "no gauge XYZW1 in the hydrofabric");
    assert_int_equal(dl.items[0].delivery_count, 1);
    assert_null(dl.items[0].trace_id);
    assert_string_equal(dl.items[1].body, "rejected-product");
    assert_string_equal(dl.items[1].reason, "rejected");
    queue_dead_list_clear(&dl);
    assert_int_equal(queue_list_dead(q, 0, &dl, &err), RNR_OK);
    assert_int_equal(dl.n, 3);
    assert_string_equal(dl.items[2].trace_id, "Root=1-dead");
    queue_dead_list_clear(&dl);
    queue_free(q);
}

static void test_replay_dead(void **state)
{
    rnr_queue *q = open_q(*state, "max_deliveries=1");
    rnr_error err = {0};
    queue_message m;
    size_t n = 99;
    pub(q, "one");
    pub(q, "two");
    for (int i = 0; i < 2; i++) {
        get_ok(q, 0, &m);
        assert_int_equal(queue_nack(q, m.tag, 0, &err), RNR_OK);
        queue_message_clear(&m);
    }
    expect_depth(q, 0, 0, 2);
    queue_dead_list dl;
    assert_int_equal(queue_list_dead(q, 0, &dl, &err), RNR_OK);
    assert_int_equal(dl.n, 2);
    int64_t second = dl.items[1].id;
    queue_dead_list_clear(&dl);

    assert_int_equal(queue_replay_dead(q, second + 1000, &n, &err), RNR_ERR_NOTFOUND);
    assert_int_equal(n, 0);
    assert_int_equal(queue_replay_dead(q, second, &n, &err), RNR_OK);
    assert_int_equal(n, 1);
    expect_depth(q, 1, 0, 1);
    assert_int_equal(queue_replay_dead(q, 0, &n, &err), RNR_OK);
    assert_int_equal(n, 1);
    expect_depth(q, 2, 0, 0);
    /* Replayed messages start over with a fresh delivery count, in the
     * order they were replayed. */
    const char *want[] = {"two", "one"};
    for (int i = 0; i < 2; i++) {
        get_ok(q, 0, &m);
        assert_string_equal(m.body, want[i]);
        assert_int_equal(m.delivery_count, 1);
        assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
        queue_message_clear(&m);
    }
    assert_int_equal(queue_replay_dead(q, 0, &n, &err), RNR_OK);
    assert_int_equal(n, 0);
    queue_free(q);
}

static int fake_depth(void *self, queue_depth *out, rnr_error *err)
{
    (void)self;
    (void)err;
    memset(out, 0, sizeof *out);
    return RNR_OK;
}

static void test_dead_ops_need_backend_support(void **state)
{
    (void)state;
    static const queue_ops other = {.depth = fake_depth};
    rnr_queue fake = {&other, NULL};
    queue_dead_list dl;
    size_t n;
    rnr_error err = {0};
    assert_int_equal(queue_list_dead(&fake, 0, &dl, &err), RNR_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "keeps its dead letters in its own queue"));
    assert_int_equal(queue_replay_dead(&fake, 0, &n, &err), RNR_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "cannot replay dead letters"));
    assert_int_equal(n, 0);
}

static void test_bad_queue_urls(void **state)
{
    qfix *f = *state;
    rnr_queue *q = NULL;
    rnr_error err = {0};
    char url[1200];
    snprintf(url, sizeof url, "%s?lease=0", f->url);
    assert_int_equal(sqlite_queue_open(url, NULL, &q, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "lease"));
    assert_non_null(strstr(err.msg, "queue.db"));
    snprintf(url, sizeof url, "%s?max_deliveries=x", f->url);
    assert_int_equal(sqlite_queue_open(url, NULL, &q, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "max_deliveries"));
    snprintf(url, sizeof url, "%s?leese=10", f->url);
    assert_int_equal(sqlite_queue_open(url, NULL, &q, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "unknown parameter 'leese'"));
    assert_int_equal(sqlite_queue_open("sqlite://queue.db", NULL, &q, &err), RNR_ERR_INVALID);
    assert_int_equal(sqlite_queue_open("sqlite:queue.db", NULL, &q, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "absolute path"));
    snprintf(url, sizeof url, "sqlite://%s/missing-dir/queue.db", f->dir);
    assert_int_equal(sqlite_queue_open(url, NULL, &q, &err), RNR_ERR_IO);
    assert_non_null(strstr(err.msg, "missing-dir/queue.db"));
    assert_null(q);
}

/* Forks a child that opens the queue with opts, takes the next message and
 * then waits to be killed; returns once it holds the lease. */
static pid_t fork_lease_holder(qfix *f, const char *opts)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        char url[1200];
        snprintf(url, sizeof url, "%s?%s", f->url, opts);
        rnr_queue *cq = NULL;
        queue_message m;
        if (sqlite_queue_open(url, NULL, &cq, NULL) != RNR_OK || queue_get(cq, 0, &m, NULL) != 0)
            _exit(2);
        if (write(p[1], "x", 1) != 1)
            _exit(3);
        sleep(30); /* the parent kills us long before this */
        _exit(4);
    }
    close(p[1]);
    char c;
    assert_int_equal(read(p[0], &c, 1), 1);
    close(p[0]);
    return pid;
}

/* Waits for each child, asserting it exited 0. */
static void wait_children_ok(const pid_t *pid, int n)
{
    for (int c = 0; c < n; c++) {
        int status = 0;
        assert_int_equal(waitpid(pid[c], &status, 0), pid[c]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
}

/* Child: consume until the queue stays empty, writing each body to fd. */
static void consume_child(const char *url, int fd)
{
    rnr_queue *q = NULL;
    rnr_error err = {0};
    if (sqlite_queue_open(url, NULL, &q, &err) != RNR_OK)
        _exit(2);
    for (int i = 0; i < 1000; i++) {
        queue_message m;
        int rc = queue_get(q, 500, &m, &err);
        if (rc == RNR_ERR_TIMEOUT)
            break;
        if (rc != RNR_OK)
            _exit(3);
        char line[64];
        int n = snprintf(line, sizeof line, "%s\n", m.body);
        if (write(fd, line, (size_t)n) != n || queue_ack(q, m.tag, &err) != RNR_OK)
            _exit(4);
        queue_message_clear(&m);
    }
    queue_free(q);
    _exit(0);
}

static void test_two_processes_share_the_work(void **state)
{
    qfix *f = *state;
    enum { N = 200 };
    rnr_queue *q = open_q(f, "");
    for (int i = 0; i < N; i++) {
        char body[16];
        snprintf(body, sizeof body, "%d", i);
        pub(q, body);
    }
    queue_free(q);
    char out[2][700];
    pid_t pid[2];
    for (int c = 0; c < 2; c++) {
        snprintf(out[c], sizeof out[c], "%s/child%d.txt", f->dir, c);
        pid[c] = fork();
        assert_true(pid[c] >= 0);
        if (pid[c] == 0) {
            FILE *fp = fopen(out[c], "w");
            if (!fp)
                _exit(5);
            consume_child(f->url, fileno(fp));
        }
    }
    wait_children_ok(pid, 2);
    int seen[N] = {0};
    int total = 0;
    for (int c = 0; c < 2; c++) {
        char *text = testutil_slurp(out[c]);
        assert_non_null(text);
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
            int v = atoi(line);
            assert_true(v >= 0 && v < N);
            seen[v]++;
            total++;
        }
        free(text);
    }
    assert_int_equal(total, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    q = open_q(f, "");
    expect_depth(q, 0, 0, 0);
    queue_free(q);
}

static void test_killed_consumer_message_redelivered(void **state)
{
    qfix *f = *state;
    rnr_queue *q = open_q(f, "lease=1");
    pub(q, "survives-a-crash");
    pid_t pid = fork_lease_holder(f, "lease=1");
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    queue_message m;
    get_ok(q, 5000, &m);
    assert_string_equal(m.body, "survives-a-crash");
    assert_int_equal(m.delivery_count, 2);
    rnr_error err = {0};
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
    queue_message_clear(&m);
    expect_depth(q, 0, 0, 0);
    queue_free(q);
}

/* A lease held by a process that died is handed out again at once, not
 * after its hour-long lease; the delivery still counts. */
static void test_dead_holder_reclaimed_at_once(void **state)
{
    qfix *f = *state;
    rnr_queue *q = open_q(f, "lease=3600");
    pub(q, "holder-dies");
    pid_t pid = fork_lease_holder(f, "lease=3600");
    /* alive: its lease holds */
    queue_message m;
    rnr_error err = {0};
    assert_int_equal(queue_get(q, 0, &m, &err), RNR_ERR_TIMEOUT);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    /* the reclaim look runs at most every 500 ms: wait for it, bounded */
    get_ok(q, 5000, &m);
    assert_string_equal(m.body, "holder-dies");
    assert_int_equal(m.delivery_count, 2);
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
    queue_message_clear(&m);
    queue_free(q);
}

/* extend renews a held lease: a rival never gets the message while the
 * holder keeps renewing, though the lease is 1 s and the work 2.5 s. */
static void test_extend_keeps_the_lease(void **state)
{
    qfix *f = *state;
    rnr_queue *q = open_q(f, "lease=1");
    rnr_queue *rival = open_q(f, "lease=1");
    pub(q, "long-work");
    queue_message m, r;
    rnr_error err = {0};
    get_ok(q, 0, &m);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(queue_extend(q, m.tag, &err), RNR_OK);
        assert_int_equal(queue_get(rival, 250, &r, &err), RNR_ERR_TIMEOUT);
    }
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
    assert_int_equal(queue_extend(q, m.tag, &err), RNR_ERR_NOTFOUND);
    queue_message_clear(&m);
    queue_free(rival);
    queue_free(q);
}

/* A delayed publish is not ready before its time, and counts as in flight. */
static void test_delayed_publish(void **state)
{
    rnr_queue *q = open_q(*state, "");
    rnr_error err = {0};
    queue_publish_opts o = {.delay_ms = 400};
    assert_int_equal(queue_publish(q, "later", 5, &o, &err), RNR_OK);
    pub(q, "now");
    queue_message m;
    get_ok(q, 0, &m);
    assert_string_equal(m.body, "now");
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
    queue_message_clear(&m);
    expect_depth(q, 0, 1, 0);
    assert_int_equal(queue_get(q, 0, &m, &err), RNR_ERR_TIMEOUT);
    get_ok(q, 5000, &m);
    assert_string_equal(m.body, "later");
    assert_int_equal(m.delivery_count, 1);
    assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
    queue_message_clear(&m);
    queue_free(q);
}

/* Several processes opening a database that does not exist yet (the
 * first start of `rnr up`) all create it safely and publish into it. */
static void test_concurrent_first_open(void **state)
{
    qfix *f = *state;
    enum { CHILDREN = 3, EACH = 20 };
    pid_t pid[CHILDREN];
    for (int c = 0; c < CHILDREN; c++) {
        pid[c] = fork();
        assert_true(pid[c] >= 0);
        if (pid[c] == 0) {
            rnr_queue *q = NULL;
            if (sqlite_queue_open(f->url, NULL, &q, NULL) != RNR_OK)
                _exit(2);
            for (int i = 0; i < EACH; i++) {
                char body[32];
                int n = snprintf(body, sizeof body, "c%d-%d", c, i);
                if (queue_publish(q, body, (size_t)n, NULL, NULL) != RNR_OK)
                    _exit(3);
            }
            queue_free(q);
            _exit(0);
        }
    }
    wait_children_ok(pid, CHILDREN);
    rnr_queue *q = open_q(f, "");
    expect_depth(q, CHILDREN * EACH, 0, 0);
    /* Each child's messages come out in the order it published them. */
    int next[CHILDREN] = {0};
    for (int i = 0; i < CHILDREN * EACH; i++) {
        queue_message m;
        rnr_error err = {0};
        int c = -1, k = -1;
        get_ok(q, 0, &m);
        assert_int_equal(sscanf(m.body, "c%d-%d", &c, &k), 2);
        assert_true(c >= 0 && c < CHILDREN);
        assert_int_equal(k, next[c]++);
        assert_int_equal(queue_ack(q, m.tag, &err), RNR_OK);
        queue_message_clear(&m);
    }
    queue_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_get_ack_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_and_publish_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_many_trace_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_file_migrated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_queues_share_a_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nack_requeue_redelivers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lease_expiry_redelivers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_deliveries_dead_letters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_leases_count_toward_the_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dead_letter_reason_and_reject, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_dead, setup, teardown),
        cmocka_unit_test(test_dead_ops_need_backend_support),
        cmocka_unit_test_setup_teardown(test_bad_queue_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_processes_share_the_work, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_holder_reclaimed_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extend_keeps_the_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delayed_publish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_killed_consumer_message_redelivered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_first_open, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
