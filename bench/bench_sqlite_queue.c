/* bench_sqlite_queue.c - throughput of the embedded SQLite queue: single
 * publishes (one fsync'd commit each), batched publishes, and get+ack.
 * Usage: bench_sqlite_queue [N] (default 500); prints messages per second. */
#include "adapters/sqlite_queue.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char body[] =
    "{\"rdf\":\"https://api.weather.gov/products/abc\",\"id\":\"abc\",\"wmo_collective_id\":"
    "\"SRUS53\",\"issuing_office\":\"KLOT\",\"issuance_time\":\"2024-08-21T00:41:00+00:00\","
    "\"product_code\":\"HML\",\"product_name\":\"Hydrometeorological Data\"}";

static double rate(long n, int64_t ms)
{
    return ms > 0 ? n * 1000.0 / (double)ms : 0.0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 500;
    if (n <= 0 || n > 1000000) {
        fprintf(stderr, "bench_sqlite_queue: N must be 1..1000000\n");
        return 1;
    }
    char dir[] = "/tmp/rnr-bench-queue-XXXXXX", url[320], path[256];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/queue.db", dir);
    snprintf(url, sizeof url, "sqlite://%s", path);
    rnr_queue *q = NULL;
    rnr_error err = {0};
    if (sqlite_queue_open(url, NULL, &q, &err) != RNR_OK) {
        fprintf(stderr, "bench_sqlite_queue: %s\n", err.msg);
        return 1;
    }
    size_t len = strlen(body);
    int rc = RNR_OK;

    int64_t t0 = time_mono_ms();
    for (long i = 0; i < n && rc == RNR_OK; i++)
        rc = queue_publish(q, body, len, NULL, &err);
    int64_t t_pub = time_mono_ms() - t0;

    const char **bodies = malloc((size_t)n * sizeof *bodies);
    size_t *lens = malloc((size_t)n * sizeof *lens);
    int *ok = malloc((size_t)n * sizeof *ok);
    for (long i = 0; bodies && lens && i < n; i++) {
        bodies[i] = body;
        lens[i] = len;
    }
    t0 = time_mono_ms();
    if (rc == RNR_OK && bodies && lens && ok)
        rc = queue_publish_many(q, bodies, lens, (size_t)n, NULL, ok, &err);
    int64_t t_batch = time_mono_ms() - t0;

    t0 = time_mono_ms();
    for (long i = 0; i < 2 * n && rc == RNR_OK; i++) {
        queue_message m;
        rc = queue_get(q, 0, &m, &err);
        if (rc == RNR_OK)
            rc = queue_ack(q, m.tag, &err);
        queue_message_clear(&m);
    }
    int64_t t_get = time_mono_ms() - t0;
    queue_free(q);
    free(bodies);
    free(lens);
    free(ok);
    char side[300];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    rmdir(dir);
    if (rc != RNR_OK) {
        fprintf(stderr, "bench_sqlite_queue: %s\n", err.msg);
        return 1;
    }
    printf("messages %ld, body %zu bytes\n", n, len);
    printf("publish (one commit each): %8.0f msg/s (%lld ms)\n", rate(n, t_pub), (long long)t_pub);
    printf("publish_many (one commit): %8.0f msg/s (%lld ms)\n", rate(n, t_batch),
           (long long)t_batch);
    printf("get + ack:                 %8.0f msg/s (%lld ms)\n", rate(2 * n, t_get),
           (long long)t_get);
    return 0;
}
