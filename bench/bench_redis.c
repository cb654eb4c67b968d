/* bench_redis.c - the dedup cache's round trips over TLS and plain TCP to
 * the same redis-server (bench/run_redis.sh starts one with both ports):
 *   open     connect (+ TLS handshake) + AUTH + the open-time PING
 *   get 1    one cache_get on an open connection (the latency floor)
 *   dedup    the producer's cycle on an open connection: cache_get_many of
 *            LIST ids (a typical NWS product list) + cache_set_many of NEW
 * plus, as a yardstick for the plain path, hiredis's own blocking
 * redisCommand GET (what redis_cache.c used before redis_conn.c).
 * Median and 90th percentile of REPS repeats; times in microseconds.
 * usage: bench_redis TLS_URL PLAIN_URL [REPS] [LIST] [NEW] */
#include "adapters/redis_cache.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, const char *scheme, double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    printf("%-8s %-7s median %9.1f us   p90 %9.1f us   (n=%d)\n", what, scheme, v[n / 2],
           v[n * 9 / 10], n);
}

static rnr_cache *open_or_die(const char *url)
{
    rnr_cache *c = NULL;
    rnr_error e = {0};
    if (redis_cache_open(url, &c, &e)) {
        fprintf(stderr, "bench_redis: %s\n", e.msg);
        exit(1);
    }
    return c;
}

static void bench_scheme(const char *url, const char *scheme, int reps, int list, int nnew)
{
    double *t = calloc((size_t)reps, sizeof *t);
    char **keys = calloc((size_t)list, sizeof *keys), **vals = calloc((size_t)list, sizeof *vals);
    if (!t || !keys || !vals)
        exit(1);
    for (int i = 0; i < reps; i++) {
        double t0 = now_us();
        rnr_cache *c = open_or_die(url);
        t[i] = now_us() - t0;
        cache_free(c);
    }
    report("open", scheme, t, reps);
    rnr_cache *c = open_or_die(url);
    rnr_error e = {0};
    for (int i = 0; i < list; i++) {
        keys[i] = malloc(64);
        snprintf(keys[i], 64, "urn:oid:2.49.0.1.840.0.bench-%s-%d", scheme, i);
    }
    /* all but NEW are known, as in a steady-state cycle */
    const char *json = "{\"id\":\"bench\",\"rdf\":\"https://api.weather.gov/products/bench\"}";
    const char **jv = calloc((size_t)list, sizeof *jv);
    for (int i = 0; i < list; i++)
        jv[i] = json;
    if (cache_set_many(c, (const char *const *)keys, jv, (size_t)(list - nnew), 600, &e))
        fprintf(stderr, "bench_redis: %s\n", e.msg), exit(1);
    for (int i = 0; i < reps; i++) {
        char *v = NULL;
        double t0 = now_us();
        if (cache_get(c, keys[0], &v, &e))
            fprintf(stderr, "bench_redis: %s\n", e.msg), exit(1);
        t[i] = now_us() - t0;
        free(v);
    }
    report("get 1", scheme, t, reps);
    for (int i = 0; i < reps; i++) {
        double t0 = now_us();
        if (cache_get_many(c, (const char *const *)keys, (size_t)list, vals, &e) ||
            cache_set_many(c, (const char *const *)keys + (list - nnew), jv, (size_t)nnew, 600, &e))
            fprintf(stderr, "bench_redis: %s\n", e.msg), exit(1);
        t[i] = now_us() - t0;
        for (int k = 0; k < list; k++)
            free(vals[k]);
    }
    char what[32];
    snprintf(what, sizeof what, "dedup");
    report(what, scheme, t, reps);
    cache_free(c);
    for (int i = 0; i < list; i++)
        free(keys[i]);
    free(keys);
    free(vals);
    free(jv);
    free(t);
}

/* hiredis's blocking client on the plain port, for comparison. */
static void bench_hiredis(const char *plain_url, const char *password, int reps)
{
    const char *hp = strstr(plain_url, "@");
    char host[128] = "127.0.0.1";
    int port = 0;
    if (!hp || sscanf(hp + 1, "%127[^:]:%d", host, &port) != 2)
        return;
    redisContext *r = redisConnect(host, port);
    if (!r || r->err)
        return;
    redisReply *rep = password ? redisCommand(r, "AUTH %s", password) : NULL;
    freeReplyObject(rep);
    double *t = calloc((size_t)reps, sizeof *t);
    for (int i = 0; t && i < reps; i++) {
        double t0 = now_us();
        rep = redisCommand(r, "GET %s", "urn:oid:2.49.0.1.840.0.bench-plain-0");
        t[i] = now_us() - t0;
        freeReplyObject(rep);
    }
    if (t)
        report("get 1", "hiredis", t, reps);
    free(t);
    redisFree(r);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_redis TLS_URL PLAIN_URL [REPS] [LIST] [NEW]\n");
        return 2;
    }
    int reps = argc > 3 ? atoi(argv[3]) : 200, list = argc > 4 ? atoi(argv[4]) : 300;
    int nnew = argc > 5 ? atoi(argv[5]) : 5;
    if (reps < 1 || list < 1 || nnew < 0 || nnew > list) {
        fprintf(stderr, "bench_redis: REPS, LIST >= 1 and 0 <= NEW <= LIST\n");
        return 2;
    }
    printf("dedup = cache_get_many of %d ids + cache_set_many of %d; %d repeats each\n", list, nnew,
           reps);
    bench_scheme(argv[2], "plain", reps, list, nnew);
    bench_scheme(argv[1], "tls", reps, list, nnew);
    bench_hiredis(argv[2], getenv("REDIS_PASSWORD"), reps);
    return 0;
}
