/* test_amqp_queue.c - the RabbitMQ queue backend against a real broker:
 * confirmed publish, get/ack, depth, prefetch, requeue, dead letters (our
 * republish and the quorum delivery limit), unroutable publishes, stale and
 * unknown tags, heartbeats kept alive while the work sleeps, acks from
 * another thread, and re-subscribing after the broker cancels the consumer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/amqp_queue.h"
#include "adapters/amqp/amqp_test_util.h"
#include "services_lock.h"

#include <pthread.h>

static char url_buf[1024];

/* The test broker's URL with options appended. */
static const char *url_with(const char *opts)
{
    snprintf(url_buf, sizeof url_buf, "%s%s%s", amqp_test_url(), opts && *opts ? "?" : "",
             opts ? opts : "");
    return url_buf;
}

static rnr_queue *open_q(const char *opts, const char *name)
{
    rnr_queue *q = NULL;
    rnr_error e = {0};
    int rc = amqp_queue_open(url_with(opts), name, &q, &e);
    if (rc)
        fprintf(stderr, "open: %s\n", e.msg);
    assert_int_equal(rc, RNR_OK);
    return q;
}

static void drop_queues(const char *name)
{
    char dlq[300];
    snprintf(dlq, sizeof dlq, "%s.dead", name);
    raw_delete(name);
    raw_delete(dlq);
}

/* Publishes a text body, asserting the broker confirmed it. */
static void pub(rnr_queue *q, const char *body)
{
    rnr_error e = {0};
    int rc = queue_publish(q, body, strlen(body), NULL, &e);
    if (rc)
        fprintf(stderr, "publish: %s\n", e.msg);
    assert_int_equal(rc, RNR_OK);
}

/* Takes the next message (waiting up to 5 s), asserting there is one. */
static void get_ok(rnr_queue *q, queue_message *m)
{
    rnr_error e = {0};
    int rc = queue_get(q, 5000, m, &e);
    if (rc)
        fprintf(stderr, "get: %s\n", e.msg);
    assert_int_equal(rc, RNR_OK);
}

/* Reads the next message of name's dead-letter queue straight from the
 * broker, asserting there is one. */
static void dead_get(const char *name, int wait_ms, raw_msg *r)
{
    char dlq[300];
    snprintf(dlq, sizeof dlq, "%s.dead", name);
    raw_get(dlq, wait_ms, r);
    assert_true(r->found);
}

static void test_roundtrip(void **state)
{
    (void)state;
    char name[128];
    amqp_test_qname(name, sizeof name, "rt");
    rnr_queue *q = open_q(NULL, name);
    rnr_error e = {0};
    const char *body = "{\"id\":\"abc-1\",\"product_code\":\"HML\"}";
    queue_publish_opts o = {.trace_id = "Root=1-5759e988-bd862e3fe1be46a994272793"};
    assert_int_equal(queue_publish(q, body, strlen(body), &o, &e), RNR_OK);
    queue_message m;
    get_ok(q, &m);
    assert_string_equal(m.body, body);
    assert_int_equal(m.len, strlen(body));
    assert_string_equal(m.trace_id, "Root=1-5759e988-bd862e3fe1be46a994272793");
    assert_int_equal(m.redelivered, 0);
    assert_int_equal(m.delivery_count, 1);
    assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
    /* A second ack of the same tag never reaches the broker. */
    assert_int_equal(queue_ack(q, m.tag, &e), RNR_ERR_INVALID);
    assert_non_null(strstr(e.msg, "not leased"));
    queue_message_clear(&m);
    assert_int_equal(queue_get(q, 300, &m, &e), RNR_ERR_TIMEOUT);
    assert_non_null(strstr(e.msg, name));
    queue_free(q);
    drop_queues(name);
}

static void test_publish_many_order(void **state)
{
    (void)state;
    char name[128];
    amqp_test_qname(name, sizeof name, "many");
    rnr_queue *q = open_q("prefetch=50", name);
    enum { N = 300 };
    static char bufs[N][32];
    const char *bodies[N];
    size_t lens[N];
    int ok[N];
    for (int i = 0; i < N; i++) {
        snprintf(bufs[i], sizeof bufs[i], "{\"id\":\"p%03d\"}", i);
        bodies[i] = bufs[i];
        lens[i] = strlen(bufs[i]);
    }
    /* each message its own trace id (the producer's case), every third
     * the common one */
    static char traces[N][32];
    const char *trace_ids[N];
    for (int i = 0; i < N; i++) {
        snprintf(traces[i], sizeof traces[i], "Root=1-p%03d", i);
        trace_ids[i] = i % 3 ? traces[i] : NULL;
    }
    queue_publish_opts o = {.trace_id = "Root=1-common", .trace_ids = trace_ids};
    rnr_error e = {0};
    assert_int_equal(queue_publish_many(q, bodies, lens, N, &o, ok, &e), RNR_OK);
    for (int i = 0; i < N; i++)
        assert_int_equal(ok[i], 1);
    for (int i = 0; i < N; i++) {
        queue_message m;
        get_ok(q, &m);
        assert_string_equal(m.body, bufs[i]);
        assert_string_equal(m.trace_id, i % 3 ? traces[i] : "Root=1-common");
        assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
        queue_message_clear(&m);
    }
    queue_free(q);
    drop_queues(name);
}

static void test_depth(void **state)
{
    (void)state;
    const char *mgmt = getenv("RNR_TEST_AMQP_MGMT_URL");
    char name[128], opts[512];
    amqp_test_qname(name, sizeof name, "depth");
    snprintf(opts, sizeof opts, "mgmt=%s", mgmt ? mgmt : "");
    rnr_queue *q = open_q(mgmt ? opts : NULL, name);
    rnr_error e = {0};
    for (int i = 0; i < 3; i++)
        pub(q, "{}");
    queue_depth d;
    assert_int_equal(queue_get_depth(q, &d, &e), RNR_OK);
    assert_int_equal(d.ready, 3);
    assert_int_equal(d.dead, 0);
    queue_message m;
    get_ok(q, &m);
    /* The management figures lag by seconds: poll with a deadline. */
    int64_t end = amqp_test_now_ms() + 20000;
    do {
        assert_int_equal(queue_get_depth(q, &d, &e), RNR_OK);
        if (d.ready == 2 && d.unacked == 1)
            break;
        usleep(250000);
    } while (mgmt && amqp_test_now_ms() < end);
    assert_int_equal(d.ready, 2);
    assert_int_equal(d.unacked, mgmt ? 1 : -1);
    /* Without a management API the unacked count is unknown, not 0. */
    unsetenv("RNR_AMQP_MGMT_URL");
    rnr_queue *plain = open_q(NULL, name);
    queue_depth d2;
    assert_int_equal(queue_get_depth(plain, &d2, &e), RNR_OK);
    assert_int_equal(d2.ready, 2);
    assert_int_equal(d2.unacked, -1);
    assert_int_equal(d2.dead, 0);
    queue_free(plain);
    assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
    queue_message_clear(&m);
    queue_free(q);
    drop_queues(name);
}

static void test_prefetch(void **state)
{
    (void)state;
    char name[128];
    amqp_test_qname(name, sizeof name, "pf");
    rnr_queue *q = open_q(NULL, name); /* prefetch 1 */
    rnr_error e = {0};
    const char *b[4] = {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}"};
    size_t l[4] = {7, 7, 7, 7};
    int ok[4];
    assert_int_equal(queue_publish_many(q, b, l, 4, NULL, ok, &e), RNR_OK);
    queue_message m1, m2;
    get_ok(q, &m1);
    assert_string_equal(m1.body, b[0]);
    /* One unacked delivery is all prefetch=1 allows. */
    assert_int_equal(queue_get(q, 700, &m2, &e), RNR_ERR_TIMEOUT);
    assert_int_equal(queue_ack(q, m1.tag, &e), RNR_OK);
    get_ok(q, &m2);
    assert_string_equal(m2.body, b[1]);
    queue_message_clear(&m1);
    queue_message_clear(&m2);
    queue_free(q); /* closing hands the unacked delivery back */

    rnr_queue *q3 = open_q("prefetch=3", name);
    queue_message ms[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(queue_get(q3, 5000, &ms[i], &e), RNR_OK);
        assert_string_equal(ms[i].body, b[i + 1]);
    }
    assert_int_equal(ms[0].redelivered, 1);
    assert_int_equal(ms[0].delivery_count, 0); /* classic queue: count unknown */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(queue_ack(q3, ms[i].tag, &e), RNR_OK);
        queue_message_clear(&ms[i]);
    }
    queue_free(q3);
    drop_queues(name);
}

static void test_nack_requeue(void **state)
{
    (void)state;
    char name[128];
    amqp_test_qname(name, sizeof name, "nack");
    rnr_queue *q = open_q(NULL, name);
    rnr_error e = {0};
    pub(q, "{\"id\":\"n1\"}");
    queue_message m;
    get_ok(q, &m);
    assert_int_equal(m.redelivered, 0);
    assert_int_equal(queue_nack(q, m.tag, 1, &e), RNR_OK);
    queue_message_clear(&m);
    get_ok(q, &m);
    assert_string_equal(m.body, "{\"id\":\"n1\"}");
    assert_int_equal(m.redelivered, 1);
    /* nack without requeue on a classic queue dead-letters, never drops. */
    assert_int_equal(queue_nack(q, m.tag, 0, &e), RNR_OK);
    queue_message_clear(&m);
    raw_msg r;
    dead_get(name, 3000, &r);
    assert_string_equal(r.body, "{\"id\":\"n1\"}");
    assert_string_equal(r.reason, "rejected");
    /* ... and the original was acked: after closing, nothing is left. */
    queue_free(q);
    q = open_q(NULL, name);
    queue_depth d;
    assert_int_equal(queue_get_depth(q, &d, &e), RNR_OK);
    assert_int_equal(d.ready, 0);
    assert_int_equal(d.dead, 0);
    queue_free(q);
    drop_queues(name);
}

static void test_dead_letter(void **state)
{
    (void)state;
    char name[128];
    amqp_test_qname(name, sizeof name, "dl");
    rnr_queue *q = open_q(NULL, name);
    rnr_error e = {0};
    const char *body = "{\"id\":\"poison\"}";
    queue_publish_opts o = {.trace_id = "Root=1-abc"};
    assert_int_equal(queue_publish(q, body, strlen(body), &o, &e), RNR_OK);
    pub(q, "{\"id\":\"next\"}");
    queue_message m;
    get_ok(q, &m);
    assert_int_equal(queue_dead_letter(q, m.tag, "gauge XYZ1 has no reach", &e), RNR_OK);
    assert_int_equal(queue_dead_letter(q, m.tag, "twice", &e), RNR_ERR_INVALID);
    assert_int_equal(queue_ack(q, m.tag, &e), RNR_ERR_INVALID); /* already settled */
    queue_message_clear(&m);
    queue_depth d;
    assert_int_equal(queue_get_depth(q, &d, &e), RNR_OK);
    assert_int_equal(d.dead, 1);
    /* The main queue moved on to the next message. */
    get_ok(q, &m);
    assert_string_equal(m.body, "{\"id\":\"next\"}");
    assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
    queue_message_clear(&m);
    raw_msg r;
    dead_get(name, 3000, &r);
    assert_string_equal(r.body, body);
    assert_string_equal(r.reason, "gauge XYZ1 has no reach");
    assert_string_equal(r.trace, "Root=1-abc");
    assert_int_equal(r.delivery_count, 1);
    assert_int_equal(queue_get_depth(q, &d, &e), RNR_OK);
    assert_int_equal(d.ready, 0);
    assert_int_equal(d.dead, 0);
    queue_free(q);
    drop_queues(name);
}

static void test_quorum_delivery_limit(void **state)
{
    (void)state;
    char name[128];
    amqp_test_qname(name, sizeof name, "quorum");
    rnr_queue *q = open_q("queue_type=quorum&delivery_limit=2", name);
    rnr_error e = {0};
    pub(q, "{\"id\":\"q1\"}");
    int deliveries = 0;
    queue_message m;
    while (deliveries < 10 && queue_get(q, 3000, &m, &e) == RNR_OK) {
        deliveries++;
        assert_string_equal(m.body, "{\"id\":\"q1\"}");
        assert_int_equal(m.delivery_count, deliveries);
        assert_int_equal(queue_nack(q, m.tag, 1, &e), RNR_OK);
        queue_message_clear(&m);
    }
    assert_int_equal(deliveries, 3); /* first delivery + 2 redeliveries */
    raw_msg r;
    dead_get(name, 5000, &r);
    assert_string_equal(r.body, "{\"id\":\"q1\"}");
    assert_string_equal(r.death, "delivery_limit");
    /* Our own dead_letter works on a quorum queue too. */
    pub(q, "{\"id\":\"q2\"}");
    get_ok(q, &m);
    assert_int_equal(queue_dead_letter(q, m.tag, "bad product", &e), RNR_OK);
    queue_message_clear(&m);
    dead_get(name, 5000, &r);
    assert_string_equal(r.body, "{\"id\":\"q2\"}");
    assert_string_equal(r.reason, "bad product");
    queue_free(q);
    drop_queues(name);
}

static void test_existing_queue_kept(void **state)
{
    (void)state;
    /* A classic queue declared elsewhere with other arguments is used as it
     * is, and asking for quorum does not fight it. */
    char name[128];
    amqp_test_qname(name, sizeof name, "exist");
    amqp_connection_state_t c = raw_open();
    assert_non_null(c);
    amqp_table_entry_t arg = {.key = amqp_cstring_bytes("x-max-length")};
    arg.value.kind = AMQP_FIELD_KIND_I32;
    arg.value.value.i32 = 1000;
    amqp_queue_declare(c, 1, amqp_cstring_bytes(name), 0, 1, 0, 0, (amqp_table_t){1, &arg});
    assert_int_equal(amqp_get_rpc_reply(c).reply_type, AMQP_RESPONSE_NORMAL);
    raw_close(c);
    rnr_queue *q = open_q("queue_type=quorum", name);
    rnr_error e = {0};
    queue_message m;
    pub(q, "{}");
    get_ok(q, &m);
    assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
    queue_message_clear(&m);
    queue_free(q);
    drop_queues(name);
}

static void test_unroutable(void **state)
{
    (void)state;
    char name[128];
    amqp_test_qname(name, sizeof name, "unrt");
    rnr_queue *q = open_q(NULL, name);
    raw_delete(name); /* now nothing routes to it */
    rnr_error e = {0};
    const char *b[2] = {"{\"a\":1}", "{\"a\":2}"};
    size_t l[2] = {7, 7};
    int ok[2] = {1, 1};
    assert_int_equal(queue_publish_many(q, b, l, 2, NULL, ok, &e), RNR_ERR_TRANSIENT);
    assert_int_equal(ok[0], 0);
    assert_int_equal(ok[1], 0);
    assert_non_null(strstr(e.msg, "2 of 2"));
    queue_free(q);
    drop_queues(name);
}

static void test_heartbeat_long_work(void **state)
{
    (void)state;
    char name[128];
    amqp_test_qname(name, sizeof name, "hb");
    rnr_queue *q = open_q("heartbeat=2", name);
    rnr_error e = {0};
    pub(q, "{\"id\":\"slow\"}");
    queue_message m;
    get_ok(q, &m);
    sleep(7); /* the "work": more than three heartbeat intervals */
    int rc = queue_ack(q, m.tag, &e);
    if (rc)
        fprintf(stderr, "ack after work: %s\n", e.msg);
    assert_int_equal(rc, RNR_OK);
    queue_message_clear(&m);
    /* The connection stayed up: nothing came back for redelivery. */
    assert_int_equal(queue_get(q, 1000, &m, &e), RNR_ERR_TIMEOUT);
    queue_depth d;
    assert_int_equal(queue_get_depth(q, &d, &e), RNR_OK);
    assert_int_equal(d.ready, 0);
    queue_free(q);
    drop_queues(name);
}

typedef struct acker {
    rnr_queue *q;
    uint64_t tag;
    int rc;
} acker;

static void *ack_thread(void *arg)
{
    acker *a = arg;
    rnr_error e;
    a->rc = queue_ack(a->q, a->tag, &e);
    return NULL;
}

static void test_ack_from_other_thread(void **state)
{
    (void)state;
    char name[128];
    amqp_test_qname(name, sizeof name, "thr");
    rnr_queue *q = open_q(NULL, name);
    rnr_error e = {0};
    pub(q, "{\"t\":1}");
    queue_message m;
    get_ok(q, &m);
    acker a = {q, m.tag, -1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, ack_thread, &a), 0);
    pthread_join(t, NULL);
    assert_int_equal(a.rc, RNR_OK);
    queue_message_clear(&m);
    assert_int_equal(queue_get(q, 500, &m, &e), RNR_ERR_TIMEOUT);
    queue_free(q);
    drop_queues(name);
}

enum { PUB_THREADS = 4, PER_THREAD = 100, CONSUMERS = 2 };

typedef struct shared {
    rnr_queue *q;
    int id;
    pthread_mutex_t mu;
    int seen[PUB_THREADS * PER_THREAD];
    int total, errors;
} shared;

typedef struct worker_arg {
    shared *s;
    int id;
} worker_arg;

static void *publisher(void *arg)
{
    worker_arg *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char b[32];
        int len = snprintf(b, sizeof b, "%d", w->id * PER_THREAD + i);
        rnr_error e;
        if (queue_publish(w->s->q, b, (size_t)len, NULL, &e)) {
            pthread_mutex_lock(&w->s->mu);
            w->s->errors++;
            pthread_mutex_unlock(&w->s->mu);
        }
    }
    return NULL;
}

static void *consumer(void *arg)
{
    worker_arg *w = arg;
    shared *s = w->s;
    for (;;) {
        queue_message m;
        rnr_error e;
        if (queue_get(s->q, 5000, &m, &e))
            return NULL; /* drained */
        int n = atoi(m.body);
        int rc = queue_ack(s->q, m.tag, &e);
        pthread_mutex_lock(&s->mu);
        if (rc || n < 0 || n >= PUB_THREADS * PER_THREAD)
            s->errors++;
        else
            s->seen[n]++;
        s->total++;
        pthread_mutex_unlock(&s->mu);
        queue_message_clear(&m);
    }
}

static void test_many_threads_one_handle(void **state)
{
    (void)state;
    char name[128];
    amqp_test_qname(name, sizeof name, "mt");
    static shared s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.mu, NULL);
    s.q = open_q("prefetch=10", name);
    pthread_t t[PUB_THREADS + CONSUMERS];
    worker_arg a[PUB_THREADS + CONSUMERS];
    for (int i = 0; i < PUB_THREADS + CONSUMERS; i++) {
        a[i] = (worker_arg){&s, i};
        assert_int_equal(pthread_create(&t[i], NULL, i < PUB_THREADS ? publisher : consumer, &a[i]),
                         0);
    }
    for (int i = 0; i < PUB_THREADS + CONSUMERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.total, PUB_THREADS * PER_THREAD);
    for (int i = 0; i < PUB_THREADS * PER_THREAD; i++)
        assert_int_equal(s.seen[i], 1);
    queue_free(s.q);
    pthread_mutex_destroy(&s.mu);
    drop_queues(name);
}

static void test_consumer_cancel_resubscribe(void **state)
{
    (void)state;
    char name[128];
    amqp_test_qname(name, sizeof name, "cancel");
    rnr_queue *q = open_q(NULL, name);
    rnr_error e = {0};
    queue_message m;
    assert_int_equal(queue_get(q, 300, &m, &e), RNR_ERR_TIMEOUT); /* subscribed */
    raw_delete(name); /* the broker cancels our consumer */
    usleep(300000);
    /* The adapter re-declared the queue and subscribed again. */
    int64_t end = amqp_test_now_ms() + 10000;
    int rc;
    do {
        rc = queue_publish(q, "{\"after\":\"cancel\"}", 18, NULL, &e);
        if (rc)
            usleep(200000);
    } while (rc && amqp_test_now_ms() < end);
    assert_int_equal(rc, RNR_OK);
    get_ok(q, &m);
    assert_string_equal(m.body, "{\"after\":\"cancel\"}");
    assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
    queue_message_clear(&m);
    queue_free(q);
    drop_queues(name);
}

static void test_bad_credentials(void **state)
{
    (void)state;
    char url[1024];
    const char *u = amqp_test_url();
    const char *host = strchr(u, '@');
    snprintf(url, sizeof url, "amqp://guest:wrong-secret%s", host ? host : "@127.0.0.1");
    rnr_queue *q = NULL;
    rnr_error e = {0};
    assert_int_equal(amqp_queue_open(url, "rnrt-auth", &q, &e), RNR_ERR_AUTH);
    assert_null(q);
    assert_null(strstr(e.msg, "wrong-secret"));
    assert_non_null(strstr(e.msg, "ACCESS_REFUSED"));
}

int main(void)
{
    if (!amqp_test_url()) {
        printf("skipped: no RabbitMQ (RNR_TEST_AMQP_URL unset)\n");
        return 77;
    }
    services_lock("rabbit", 0); /* the restart test waits for us */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_publish_many_order),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_prefetch),
        cmocka_unit_test(test_nack_requeue),
        cmocka_unit_test(test_dead_letter),
        cmocka_unit_test(test_quorum_delivery_limit),
        cmocka_unit_test(test_existing_queue_kept),
        cmocka_unit_test(test_unroutable),
        cmocka_unit_test(test_heartbeat_long_work),
        cmocka_unit_test(test_ack_from_other_thread),
        cmocka_unit_test(test_many_threads_one_handle),
        cmocka_unit_test(test_consumer_cancel_resubscribe),
        cmocka_unit_test(test_bad_credentials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
