/* bench_amqp.c - the production backends under the producer's and the
 * worker's load, on real servers.
 *
 * Producer cycle: N new products -> one pipelined Redis lookup of all ids,
 * one confirmed publish_many, one pipelined SET ... EX 604800 of all ids.
 * Worker: consume-and-ack rate of tiny messages at prefetch 1 (production)
 * and prefetch 50.
 *   bench_amqp [--products N] [--messages N] [--amqp URL] [--redis URL]
 * URLs default to RNR_TEST_AMQP_URL / RNR_TEST_REDIS_URL. */
#include "adapters/amqp_queue.h"
#include "adapters/redis_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what, const rnr_error *e)
{
    fprintf(stderr, "bench_amqp: %s: %s\n", what, e->msg);
    return 1;
}

typedef struct products {
    size_t n;
    char **ids, **bodies;
    size_t *lens;
} products;

static int products_make(products *p, size_t n, const char *run)
{
    p->n = n;
    p->ids = calloc(n, sizeof *p->ids);
    p->bodies = calloc(n, sizeof *p->bodies);
    p->lens = calloc(n, sizeof *p->lens);
    if (!p->ids || !p->bodies || !p->lens)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char id[96], body[512];
        snprintf(id, sizeof id, "bench-%s-%06zu", run, i);
        int len = snprintf(body, sizeof body,
                           "{\"rdf\": \"https://api.weather.gov/products/%s\", \"id\": \"%s\", "
                           "\"wmo_collective_id\": \"SRUS54\", \"issuing_office\": \"KFWR\", "
                           "\"issuance_time\": \"2024-08-21T00:41:00+00:00\", "
                           "\"product_code\": \"HML\", \"product_name\": \"Hydrologic Markup "
                           "Language\"}",
                           id, id);
        p->ids[i] = strdup(id);
        p->bodies[i] = strdup(body);
        p->lens[i] = (size_t)len;
        if (!p->ids[i] || !p->bodies[i])
            return -1;
    }
    return 0;
}

static void products_free(products *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->ids[i]);
        free(p->bodies[i]);
    }
    free(p->ids);
    free(p->bodies);
    free(p->lens);
}

/* One producer cycle; returns seconds, or -1. */
static double producer_cycle(rnr_queue *q, rnr_cache *c, const products *p)
{
    rnr_error e = {0};
    char **seen = calloc(p->n, sizeof *seen);
    int *ok = calloc(p->n, sizeof *ok);
    const char **fresh_b = calloc(p->n, sizeof *fresh_b);
    const char **fresh_id = calloc(p->n, sizeof *fresh_id);
    size_t *fresh_l = calloc(p->n, sizeof *fresh_l);
    double t0 = now_s(), dt = -1;
    if (!seen || !ok || !fresh_b || !fresh_id || !fresh_l)
        goto out;
    if (cache_get_many(c, (const char *const *)p->ids, p->n, seen, &e)) {
        die("redis get_many", &e);
        goto out;
    }
    size_t nf = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (seen[i])
            continue;
        fresh_b[nf] = p->bodies[i];
        fresh_l[nf] = p->lens[i];
        fresh_id[nf++] = p->ids[i];
    }
    if (queue_publish_many(q, fresh_b, fresh_l, nf, NULL, ok, &e)) {
        die("publish_many", &e);
        goto out;
    }
    if (cache_set_many(c, fresh_id, fresh_b, nf, 604800, &e)) {
        die("redis set_many", &e);
        goto out;
    }
    dt = now_s() - t0;
out:
    for (size_t i = 0; seen && i < p->n; i++)
        free(seen[i]);
    free(seen);
    free(ok);
    free(fresh_b);
    free(fresh_id);
    free(fresh_l);
    return dt;
}

static int drain(rnr_queue *q, size_t n)
{
    rnr_error e = {0};
    for (size_t i = 0; i < n; i++) {
        queue_message m;
        if (queue_get(q, 10000, &m, &e) || queue_ack(q, m.tag, &e))
            return die("drain", &e);
        queue_message_clear(&m);
    }
    return 0;
}

static int consume_rate(const char *amqp, const char *queue, int prefetch, size_t n)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%sprefetch=%d", amqp, strchr(amqp, '?') ? "&" : "?", prefetch);
    rnr_queue *q = NULL;
    rnr_error e = {0};
    if (amqp_queue_open(url, queue, &q, &e))
        return die("open consumer", &e);
    const char **b = malloc(n * sizeof *b);
    size_t *l = malloc(n * sizeof *l);
    int *ok = malloc(n * sizeof *ok);
    int rc = !b || !l || !ok;
    for (size_t i = 0; !rc && i < n; i++)
        b[i] = "{}", l[i] = 2;
    if (!rc && queue_publish_many(q, b, l, n, NULL, ok, &e))
        rc = die("publish tiny", &e);
    double t0 = now_s();
    if (!rc)
        rc = drain(q, n);
    double dt = now_s() - t0;
    if (!rc)
        printf("worker_consume_ack prefetch=%d messages=%zu seconds=%.3f rate=%.0f/s\n", prefetch,
               n, dt, n / dt);
    free(b);
    free(l);
    free(ok);
    queue_free(q);
    return rc;
}

int main(int argc, char **argv)
{
    size_t n = 5000, nmsg = 5000;
    const char *amqp = getenv("RNR_TEST_AMQP_URL"), *redis = getenv("RNR_TEST_REDIS_URL");
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--products"))
            n = (size_t)strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--messages"))
            nmsg = (size_t)strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--amqp"))
            amqp = argv[i + 1];
        else if (!strcmp(argv[i], "--redis"))
            redis = argv[i + 1];
        else {
            fprintf(stderr, "bench_amqp: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!amqp || !redis || n == 0 || nmsg == 0) {
        fprintf(stderr, "bench_amqp: need --amqp URL and --redis URL (or RNR_TEST_AMQP_URL, "
                        "RNR_TEST_REDIS_URL) and positive counts\n");
        return 2;
    }
    char run[32], queue[64];
    snprintf(run, sizeof run, "%ld-%ld", (long)getpid(), (long)time(NULL));
    snprintf(queue, sizeof queue, "bench-amqp-%s", run);
    rnr_queue *q = NULL;
    rnr_cache *c = NULL;
    rnr_error e = {0};
    if (amqp_queue_open(amqp, queue, &q, &e))
        return die("open queue", &e);
    if (redis_cache_open(redis, &c, &e))
        return die("open cache", &e);
    products p = {0};
    if (products_make(&p, n, run)) {
        fprintf(stderr, "bench_amqp: out of memory\n");
        return 1;
    }
    double dt = producer_cycle(q, c, &p);
    int rc = dt < 0;
    if (!rc)
        printf("producer_cycle products=%zu seconds=%.3f rate=%.0f/s\n", n, dt, n / dt);
    if (!rc)
        rc = drain(q, n);
    products_free(&p);
    cache_free(c);
    queue_free(q);
    if (!rc)
        rc = consume_rate(amqp, queue, 1, nmsg);
    if (!rc)
        rc = consume_rate(amqp, queue, 50, nmsg);
    return rc;
}
