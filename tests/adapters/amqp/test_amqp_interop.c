/* test_amqp_interop.c - wire compatibility with the reference Python
 * deployment: a product message published by pika (as the reference
 * producer does) is received intact by the C adapter, and one published by
 * the adapter is read field by field by a pika consumer. The queue is
 * declared first by either side, so both declarations must agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/amqp_queue.h"
#include "adapters/amqp/amqp_test_util.h"
#include "services_lock.h"

#include <jansson.h>

#define PY "/usr/bin/python3"

/* Run a script from tests/adapters/amqp and capture its stdout. */
static int run_py(const char *script, const char *args, char *out, size_t cap)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, PY " '%s/tests/adapters/amqp/%s' %s", getenv("RNR_SOURCE_DIR"),
             script, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    return pclose(p);
}

static void check_contract(const char *body, const char *id)
{
    json_error_t je;
    json_t *j = json_loads(body, 0, &je);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "id")), id);
    assert_string_equal(json_string_value(json_object_get(j, "product_code")), "HML");
    assert_string_equal(json_string_value(json_object_get(j, "issuing_office")), "KFWR");
    assert_string_equal(json_string_value(json_object_get(j, "wmo_collective_id")), "SRUS54");
    assert_string_equal(json_string_value(json_object_get(j, "issuance_time")),
                        "2024-08-21T00:41:00+00:00");
    assert_string_equal(json_string_value(json_object_get(j, "product_name")),
                        "Hydrologic Markup Language");
    json_decref(j);
}

static void test_pika_to_c(void **state)
{
    (void)state;
    char name[128], args[2048], sent[4096];
    amqp_test_qname(name, sizeof name, "py2c");
    /* pika declares the queue first; the adapter then finds it. */
    snprintf(args, sizeof args, "'%s' '%s' 7e1f-py2c", amqp_test_url(), name);
    assert_int_equal(run_py("pika_publish.py", args, sent, sizeof sent), 0);
    check_contract(sent, "7e1f-py2c");
    rnr_queue *q = NULL;
    rnr_error e = {0};
    assert_int_equal(amqp_queue_open(amqp_test_url(), name, &q, &e), RNR_OK);
    queue_message m;
    assert_int_equal(queue_get(q, 5000, &m, &e), RNR_OK);
    assert_string_equal(m.body, sent);
    assert_int_equal(m.len, strlen(sent));
    assert_null(m.trace_id);
    assert_int_equal(m.delivery_count, 1);
    check_contract(m.body, "7e1f-py2c");
    assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
    queue_message_clear(&m);
    /* And a second message after the adapter declared nothing new. */
    snprintf(args, sizeof args, "'%s' '%s' 7e1f-second", amqp_test_url(), name);
    assert_int_equal(run_py("pika_publish.py", args, sent, sizeof sent), 0);
    assert_int_equal(queue_get(q, 5000, &m, &e), RNR_OK);
    assert_string_equal(m.body, sent);
    assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
    queue_message_clear(&m);
    queue_free(q);
    raw_delete(name);
    snprintf(args, sizeof args, "%s.dead", name);
    raw_delete(args);
}

static void test_c_to_pika(void **state)
{
    (void)state;
    char name[128], args[2048], got[4096];
    amqp_test_qname(name, sizeof name, "c2py");
    rnr_queue *q = NULL;
    rnr_error e = {0};
    assert_int_equal(amqp_queue_open(amqp_test_url(), name, &q, &e), RNR_OK);
    const char *body =
        "{\"rdf\": \"https://api.weather.gov/products/c2py-1\", \"id\": \"c2py-1\", "
        "\"wmo_collective_id\": \"SRUS54\", \"issuing_office\": \"KFWR\", "
        "\"issuance_time\": \"2024-08-21T00:41:00+00:00\", \"product_code\": \"HML\", "
        "\"product_name\": \"Hydrologic Markup Language\"}";
    /* as the producer publishes: a batch with a trace id per message */
    const char *trace_ids[1] = {"Root=1-66c5-abc"};
    queue_publish_opts o = {.trace_id = "Root=1-unused", .trace_ids = trace_ids};
    size_t len = strlen(body);
    int ok = 0;
    assert_int_equal(queue_publish_many(q, &body, &len, 1, &o, &ok, &e), RNR_OK);
    assert_int_equal(ok, 1);
    queue_free(q);
    snprintf(args, sizeof args, "'%s' '%s' 10", amqp_test_url(), name);
    assert_int_equal(run_py("pika_consume.py", args, got, sizeof got), 0);
    assert_string_equal(got, "rdf=https://api.weather.gov/products/c2py-1\n"
                             "id=c2py-1\n"
                             "wmo_collective_id=SRUS54\n"
                             "issuing_office=KFWR\n"
                             "issuance_time=2024-08-21T00:41:00+00:00\n"
                             "product_code=HML\n"
                             "product_name=Hydrologic Markup Language\n"
                             "delivery_mode=2\n"
                             "content_type=application/json\n"
                             "trace=Root=1-66c5-abc\n");
    raw_delete(name);
    snprintf(args, sizeof args, "%s.dead", name);
    raw_delete(args);
}

int main(void)
{
    if (!amqp_test_url()) {
        printf("skipped: no RabbitMQ (RNR_TEST_AMQP_URL unset)\n");
        return 77;
    }
    if (!getenv("RNR_SOURCE_DIR") || system(PY " -c 'import pika' >/dev/null 2>&1") != 0) {
        printf("skipped: no python3-pika under " PY "\n");
        return 77;
    }
    services_lock("rabbit", 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pika_to_c),
        cmocka_unit_test(test_c_to_pika),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
