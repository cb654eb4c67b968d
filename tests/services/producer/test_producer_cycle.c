/* test_producer_cycle.c - the producer cycle on the embedded backends and
 * the NWS fixture server: order, contract message, dedup, cache and queue
 * failures, retried list, deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "adapters/backends.h"
#include "core/log.h"
#include "core/trace.h"
#include "ports/cache.h"
#include "ports/queue.h"
#include "services/producer/producer_testutil.h"
#include "services/producer.h"

#define ID_OLD "31b8a6d2-9e47-4f05-a3c1-d85e2f604b97"
#define ID_MID "7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10"
#define ID_NEW "e09d5f37-1c6a-4b82-9d4e-6f31b07a2c58"

typedef struct fx {
    char *dir;
    pt_server srv;
    rnr_config cfg;
} fx;

static int fx_setup_fault(void **state, const char *fault)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_tempdir("producer");
    char data[1024];
    snprintf(data, sizeof data, "%s/data/sample/nws", getenv("RNR_SOURCE_DIR"));
    if (pt_server_start(&f->srv, data, f->dir, fault) != 0)
        return -1;
    pt_config(&f->cfg, f->dir);
    f->cfg.nws_url = strdup(f->srv.base);
    *state = f;
    return 0;
}

static int fx_setup(void **state)
{
    return fx_setup_fault(state, NULL);
}

#define ITEM(id, t)                                                                                \
    "{\"@id\":\"{{BASE}}/products/" id "\",\"id\":\"" id "\","                                     \
    "\"wmoCollectiveId\":\"SRUS54\",\"issuingOffice\":\"KRNR\",\"issuanceTime\":\"" t "\","        \
    "\"productCode\":\"HML\",\"productName\":\"AHPS XML\"}"

/* A list that repeats one product (as overlapping pages would). */
static int fx_setup_dups(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_tempdir("producer");
    char data[600], path[700];
    snprintf(data, sizeof data, "%s/nws", f->dir);
    snprintf(path, sizeof path, "%s/products.json", data);
    if (mkdir(data, 0755) != 0 ||
        tu_write_file(
            path, "{\"@graph\":[" ITEM("p-b", "2026-03-14T09:00:00+00:00") "," ITEM(
                      "p-a",
                      "2026-03-14T08:00:00+00:00") "," ITEM("p-b",
                                                            "2026-03-14T09:00:00+00:00") "]}") != 0)
        return -1;
    if (pt_server_start(&f->srv, data, f->dir, NULL) != 0)
        return -1;
    pt_config(&f->cfg, f->dir);
    f->cfg.nws_url = strdup(f->srv.base);
    *state = f;
    return 0;
}

static int fx_setup_500(void **state)
{
    return fx_setup_fault(state, "{\"path\":\"/products\",\"status\":500,\"times\":1}");
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    pt_server_stop(&f->srv);
    pt_config_clear(&f->cfg);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static char *expected_message(const fx *f, const char *id, const char *wmo, const char *office,
                              const char *issued)
{
    char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"rdf\":\"%s/products/%s\",\"id\":\"%s\",\"wmo_collective_id\":\"%s\","
             "\"issuing_office\":\"%s\",\"issuance_time\":\"%s\",\"product_code\":\"HML\","
             "\"product_name\":\"AHPS XML\"}",
             f->srv.base, id, id, wmo, office, issued);
    return strdup(buf);
}

/* Take every ready message (acking it) into bodies (and its trace id into
 * traces when given); returns the count. */
static int drain_traced(const char *url, char **bodies, char **traces, int cap)
{
    rnr_queue *q;
    rnr_error e;
    assert_int_equal(backend_open_queue(url, "hml_files", &q, &e), RNR_OK);
    int n = 0;
    for (; n < cap; n++) {
        queue_message m;
        if (queue_get(q, 0, &m, &e) != RNR_OK)
            break;
        bodies[n] = strdup(m.body);
        if (traces)
            traces[n] = m.trace_id ? strdup(m.trace_id) : NULL;
        assert_int_equal(queue_ack(q, m.tag, &e), RNR_OK);
        queue_message_clear(&m);
    }
    queue_free(q);
    return n;
}

static int drain(const char *url, char **bodies, int cap)
{
    return drain_traced(url, bodies, NULL, cap);
}

static int64_t depth_of(const char *url)
{
    rnr_queue *q;
    rnr_error e;
    queue_depth d;
    assert_int_equal(backend_open_queue(url, "hml_files", &q, &e), RNR_OK);
    assert_int_equal(queue_get_depth(q, &d, &e), RNR_OK);
    queue_free(q);
    return d.ready + (d.unacked > 0 ? d.unacked : 0);
}

/* One producer cycle on f's configuration that must succeed, start to
 * free; c gets its counts. */
static void one_cycle(fx *f, int64_t deadline_ms, producer_counts *c)
{
    producer *p;
    rnr_error e;
    assert_int_equal(producer_new(&f->cfg, &p, &e), RNR_OK);
    assert_int_equal(producer_cycle(p, deadline_ms, c, &e), RNR_OK);
    producer_free(p);
}

static void test_cycle_publishes_oldest_first_then_dedups(void **state)
{
    fx *f = *state;
    producer *p;
    rnr_error e;
    assert_int_equal(producer_new(&f->cfg, &p, &e), RNR_OK);
    producer_counts c;
    log_set_trace_id("Root=1-6747a0c0-0123456789abcdef01234567");
    assert_int_equal(producer_cycle(p, 0, &c, &e), RNR_OK);
    log_set_trace_id(NULL);
    assert_int_equal(c.seen, 3);
    assert_int_equal(c.new_products, 3);
    assert_int_equal(c.published, 3);
    assert_int_equal(c.failed, 0);
    assert_int_equal(c.deferred, 0);

    /* second cycle: everything is in the cache */
    assert_int_equal(producer_cycle(p, 0, &c, &e), RNR_OK);
    assert_int_equal(c.seen, 3);
    assert_int_equal(c.new_products, 0);
    assert_int_equal(c.published, 0);
    producer_free(p);

    char *bodies[8] = {0}, *traces[8] = {0};
    assert_int_equal(drain_traced(f->cfg.queue_url, bodies, traces, 8), 3);
    for (int i = 0; i < 3; i++) {
        assert_non_null(traces[i]);
        assert_string_equal(traces[i], "Root=1-6747a0c0-0123456789abcdef01234567");
        free(traces[i]);
    }
    char *want[3] = {expected_message(f, ID_OLD, "SRUS56", "KRNS", "2026-03-14T08:30:00+00:00"),
                     expected_message(f, ID_MID, "SRUS54", "KRNR", "2026-03-14T09:12:00+00:00"),
                     expected_message(f, ID_NEW, "SRUS54", "KRNR", "2026-03-14T10:05:00+00:00")};
    rnr_cache *cache;
    assert_int_equal(backend_open_cache(f->cfg.cache_url, &cache, &e), RNR_OK);
    const char *ids[3] = {ID_OLD, ID_MID, ID_NEW};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(bodies[i], want[i]);
        char *v = NULL;
        assert_int_equal(cache_get(cache, ids[i], &v, &e), RNR_OK);
        assert_non_null(v);
        assert_string_equal(v, want[i]);
        free(v);
        free(bodies[i]);
        free(want[i]);
    }
    cache_free(cache);
}

/* A cache whose lookups fail, counting sets. */
typedef struct bad_cache {
    int sets;
} bad_cache;

static int bad_get(void *self, const char *key, char **value, rnr_error *err)
{
    (void)self;
    (void)key;
    *value = NULL;
    return rnr_error_set(err, RNR_ERR_TRANSIENT, "connection refused");
}

static int bad_get_many(void *self, const char *const *keys, size_t n, char **values,
                        rnr_error *err)
{
    (void)self;
    (void)keys;
    (void)n;
    (void)values;
    return rnr_error_set(err, RNR_ERR_TRANSIENT, "connection refused");
}

static int bad_set(void *self, const char *key, const char *value, int64_t ttl, rnr_error *err)
{
    (void)key;
    (void)value;
    (void)ttl;
    ((bad_cache *)self)->sets++;
    return rnr_error_set(err, RNR_ERR_TRANSIENT, "connection refused");
}

/* Outside Lambda each product gets a trace id of its own (X-Ray shaped);
 * with _X_AMZN_TRACE_ID every message carries the invocation's. */
static void test_new_trace_per_product(void **state)
{
    fx *f = *state;
    unsetenv("_X_AMZN_TRACE_ID");
    log_set_trace_id(NULL);
    producer_counts c;
    one_cycle(f, 0, &c);
    char *bodies[8] = {0}, *traces[8] = {0};
    assert_int_equal(drain_traced(f->cfg.queue_url, bodies, traces, 8), 3);
    for (int i = 0; i < 3; i++) {
        assert_non_null(traces[i]);
        assert_int_equal(strlen(traces[i]), TRACE_ID_NEW_LEN);
        assert_true(strncmp(traces[i], "Root=1-", 7) == 0);
        for (int k = 0; k < i; k++)
            assert_string_not_equal(traces[i], traces[k]);
    }
    for (int i = 0; i < 3; i++)
        free(bodies[i]), free(traces[i]);

    /* a run as a Lambda invocation, with a fresh dedup cache */
    char url[700];
    snprintf(url, sizeof url, "sqlite://%s/cache-lambda.db", f->dir);
    free(f->cfg.cache_url);
    f->cfg.cache_url = strdup(url);
    setenv("_X_AMZN_TRACE_ID", "Root=1-6747a0c0-feedfacefeedfacefeedface;Sampled=0", 1);
    one_cycle(f, 0, &c);
    unsetenv("_X_AMZN_TRACE_ID");
    assert_int_equal(c.published, 3);
    assert_int_equal(drain_traced(f->cfg.queue_url, bodies, traces, 8), 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(traces[i], "Root=1-6747a0c0-feedfacefeedfacefeedface;Sampled=0");
        free(bodies[i]), free(traces[i]);
    }
}

static void test_cache_down_publishes_nothing(void **state)
{
    fx *f = *state;
    static const cache_ops ops = {.get = bad_get, .get_many = bad_get_many, .set = bad_set};
    bad_cache bc = {0};
    rnr_cache cache = {&ops, &bc};
    producer *p;
    rnr_error e;
    assert_int_equal(producer_new_ports(&f->cfg, NULL, &cache, &p, &e), RNR_OK);
    producer_counts c;
    int rc = producer_cycle(p, 0, &c, &e);
    assert_int_equal(rc, RNR_ERR_TRANSIENT);
    assert_non_null(strstr(e.msg, "dedup cache unreachable"));
    assert_non_null(strstr(e.msg, "connection refused"));
    assert_int_equal(c.published, 0);
    assert_int_equal(bc.sets, 0);
    producer_free(p);
    assert_int_equal(depth_of(f->cfg.queue_url), 0);

    /* and an unopenable cache URL fails at construction */
    char path[600];
    snprintf(path, sizeof path, "%s/plain", f->dir);
    assert_int_equal(tu_write_file(path, "not a directory"), 0);
    free(f->cfg.cache_url);
    f->cfg.cache_url = pt_dup_printf("sqlite://%s/plain/cache.db", f->dir);
    assert_int_not_equal(producer_new(&f->cfg, &p, &e), RNR_OK);
    assert_non_null(strstr(e.msg, "producer"));
}

/* A queue that rejects its n-th publish and forwards the rest. */
typedef struct flaky_queue {
    rnr_queue *real;
    int calls;
    int reject_call;
} flaky_queue;

static int flaky_publish(void *self, const char *body, size_t len, const queue_publish_opts *o,
                         rnr_error *err)
{
    flaky_queue *fq = self;
    if (++fq->calls == fq->reject_call)
        return rnr_error_set(err, RNR_ERR_TRANSIENT, "publish nacked by the broker");
    return queue_publish(fq->real, body, len, o, err);
}

static void test_unconfirmed_product_is_retried(void **state)
{
    fx *f = *state;
    static const queue_ops ops = {.publish = flaky_publish};
    flaky_queue fq = {NULL, 0, 2};
    rnr_error e;
    assert_int_equal(backend_open_queue(f->cfg.queue_url, "hml_files", &fq.real, &e), RNR_OK);
    rnr_queue q = {&ops, &fq};
    producer *p;
    assert_int_equal(producer_new_ports(&f->cfg, &q, NULL, &p, &e), RNR_OK);
    producer_counts c;
    assert_int_equal(producer_cycle(p, 0, &c, &e), RNR_OK);
    assert_int_equal(c.new_products, 3);
    assert_int_equal(c.published, 2);
    assert_int_equal(c.failed, 1);

    rnr_cache *cache;
    assert_int_equal(backend_open_cache(f->cfg.cache_url, &cache, &e), RNR_OK);
    char *v = NULL;
    assert_int_equal(cache_get(cache, ID_MID, &v, &e), RNR_OK);
    assert_null(v); /* the rejected one (second oldest) is not remembered */
    assert_int_equal(cache_get(cache, ID_OLD, &v, &e), RNR_OK);
    assert_non_null(v);
    free(v);

    assert_int_equal(producer_cycle(p, 0, &c, &e), RNR_OK);
    assert_int_equal(c.new_products, 1);
    assert_int_equal(c.published, 1);
    assert_int_equal(c.failed, 0);
    assert_int_equal(cache_get(cache, ID_MID, &v, &e), RNR_OK);
    assert_non_null(v);
    free(v);
    cache_free(cache);
    producer_free(p);
    queue_free(fq.real);

    char *bodies[8] = {0};
    assert_int_equal(drain(f->cfg.queue_url, bodies, 8), 3);
    assert_non_null(strstr(bodies[0], ID_OLD));
    assert_non_null(strstr(bodies[1], ID_NEW));
    assert_non_null(strstr(bodies[2], ID_MID)); /* nothing lost */
    for (int i = 0; i < 3; i++)
        free(bodies[i]);
}

static void test_list_500_is_retried(void **state)
{
    fx *f = *state;
    producer_counts c;
    one_cycle(f, 0, &c);
    assert_int_equal(c.published, 3);
    char *log = tu_read_file(f->srv.log, NULL);
    assert_non_null(log);
    assert_int_equal(tu_count(log, "GET /products?type=HML 500"), 1);
    assert_int_equal(tu_count(log, "GET /products?type=HML 200"), 1);
    assert_int_equal(tu_count(log, "ua=\"(rnr-test, test@example.com)\""), 2);
    free(log);
    assert_int_equal(depth_of(f->cfg.queue_url), 3);
}

static void test_deadline_defers_everything(void **state)
{
    fx *f = *state;
    producer *p;
    rnr_error e;
    assert_int_equal(producer_new(&f->cfg, &p, &e), RNR_OK);
    producer_counts c;
    assert_int_equal(producer_cycle(p, 1, &c, &e), RNR_OK);
    assert_int_equal(c.seen, 3);
    assert_int_equal(c.new_products, 3);
    assert_int_equal(c.published, 0);
    assert_int_equal(c.deferred, 3);
    assert_int_equal(c.failed, 0);
    assert_int_equal(depth_of(f->cfg.queue_url), 0);
    /* deferred ones go out on the next cycle */
    assert_int_equal(producer_cycle(p, time_now_ms() + 600000, &c, &e), RNR_OK);
    assert_int_equal(c.published, 3);
    assert_int_equal(c.deferred, 0);
    producer_free(p);
    assert_int_equal(depth_of(f->cfg.queue_url), 3);
}

static void test_repeated_id_is_queued_once(void **state)
{
    fx *f = *state;
    producer_counts c;
    one_cycle(f, 0, &c);
    assert_int_equal(c.seen, 3);
    assert_int_equal(c.new_products, 2);
    assert_int_equal(c.published, 2);
    char *bodies[8] = {0};
    assert_int_equal(drain(f->cfg.queue_url, bodies, 8), 2);
    assert_non_null(strstr(bodies[0], "\"id\":\"p-a\""));
    assert_non_null(strstr(bodies[1], "\"id\":\"p-b\""));
    free(bodies[0]);
    free(bodies[1]);
}

static void test_list_down_fails(void **state)
{
    fx *f = *state;
    free(f->cfg.nws_url);
    f->cfg.nws_url = strdup("http://127.0.0.1:1");
    producer *p;
    rnr_error e;
    assert_int_equal(producer_new(&f->cfg, &p, &e), RNR_OK);
    producer_counts c;
    int rc = producer_cycle(p, 0, &c, &e);
    assert_int_not_equal(rc, RNR_OK);
    assert_non_null(strstr(e.msg, "product list"));
    assert_int_equal(c.published, 0);
    producer_free(p);
    assert_int_equal(depth_of(f->cfg.queue_url), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cycle_publishes_oldest_first_then_dedups, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_new_trace_per_product, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cache_down_publishes_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_unconfirmed_product_is_retried, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_500_is_retried, fx_setup_500, fx_teardown),
        cmocka_unit_test_setup_teardown(test_deadline_defers_everything, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_repeated_id_is_queued_once, fx_setup_dups,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_down_fails, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
