/* test_amqp_restart.c - RabbitMQ restarts during consumption: a publish
 * while the broker is down fails with a clear transient error, the ack of a
 * delivery from before the restart is refused as stale, the adapter
 * reconnects by itself, and the unacked message comes back - nothing lost.
 * Restarts the shared test broker (~30 s), so it is kept to one test.
 * rnr-test: serial */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/amqp_queue.h"
#include "adapters/amqp/amqp_test_util.h"
#include "services_lock.h"

static int services(const char *verb)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "bash '%s' %s '%s' >/dev/null 2>&1",
             getenv("RNR_TEST_SERVICES_SCRIPT"), verb, getenv("RNR_TEST_SERVICES_DIR"));
    return system(cmd);
}

/* services.sh picks the broker's port from RNR_AMQP_PORT: keep it in step
 * with the URL the tests were given. */
static void export_port(const char *var, const char *url)
{
    const char *p = url ? strrchr(url, ':') : NULL;
    if (!getenv(var) && p) {
        char port[16];
        snprintf(port, sizeof port, "%d", atoi(p + 1));
        setenv(var, port, 1);
    }
}

static void test_restart_redelivers(void **state)
{
    (void)state;
    char name[128];
    amqp_test_qname(name, sizeof name, "restart");
    rnr_queue *q = NULL;
    rnr_error e = {0};
    assert_int_equal(amqp_queue_open(amqp_test_url(), name, &q, &e), RNR_OK);
    const char *b[2] = {"{\"id\":\"before-1\"}", "{\"id\":\"before-2\"}"};
    size_t l[2] = {strlen(b[0]), strlen(b[1])};
    int ok[2];
    assert_int_equal(queue_publish_many(q, b, l, 2, NULL, ok, &e), RNR_OK);
    queue_message m;
    assert_int_equal(queue_get(q, 5000, &m, &e), RNR_OK);
    assert_string_equal(m.body, b[0]);

    assert_int_equal(services("stop-rabbit"), 0);
    int rc = queue_publish(q, "{\"id\":\"during\"}", 15, NULL, &e);
    assert_int_equal(rc, RNR_ERR_TRANSIENT);
    assert_non_null(strstr(e.msg, "unreachable"));
    assert_non_null(strstr(e.msg, "nothing was published"));
    rc = queue_ack(q, m.tag, &e);
    assert_int_equal(rc, RNR_ERR_TRANSIENT);
    assert_non_null(strstr(e.msg, "stale"));
    queue_message_clear(&m);
    queue_message m2;
    assert_int_equal(queue_get(q, 200, &m2, &e), RNR_ERR_TIMEOUT);
    assert_non_null(strstr(e.msg, "connection down"));

    assert_int_equal(services("start-rabbit"), 0);
    assert_int_equal(queue_get(q, 60000, &m, &e), RNR_OK);
    assert_string_equal(m.body, b[0]);
    assert_int_equal(m.redelivered, 1);
    assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
    queue_message_clear(&m);
    assert_int_equal(queue_get(q, 5000, &m, &e), RNR_OK);
    assert_string_equal(m.body, b[1]);
    assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
    queue_message_clear(&m);
    assert_int_equal(queue_publish(q, "{\"id\":\"after\"}", 14, NULL, &e), RNR_OK);
    assert_int_equal(queue_get(q, 5000, &m, &e), RNR_OK);
    assert_string_equal(m.body, "{\"id\":\"after\"}");
    assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
    queue_message_clear(&m);
    assert_int_equal(queue_get(q, 500, &m, &e), RNR_ERR_TIMEOUT);
    queue_free(q);
    raw_delete(name);
    char dlq[300];
    snprintf(dlq, sizeof dlq, "%s.dead", name);
    raw_delete(dlq);
}

int main(void)
{
    if (!amqp_test_url()) {
        printf("skipped: no RabbitMQ (RNR_TEST_AMQP_URL unset)\n");
        return 77;
    }
    if (!getenv("RNR_TEST_SERVICES_SCRIPT") || !getenv("RNR_TEST_SERVICES_DIR")) {
        printf("skipped: cannot restart RabbitMQ (RNR_TEST_SERVICES_SCRIPT/DIR unset)\n");
        return 77;
    }
    export_port("RNR_AMQP_PORT", amqp_test_url());
    export_port("RNR_MGMT_PORT", getenv("RNR_TEST_AMQP_MGMT_URL"));
    /* Wait until no other test is using the broker (see services_lock.h). */
    services_lock("rabbit", 1);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_restart_redelivers)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
