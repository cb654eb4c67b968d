/* bench_producer.c - products per second of one producer cycle over a list
 * of N products (default 5000), all new: one list GET from the fixture
 * server, one cache lookup, batched confirmed publishes, one cache set per
 * product. Embedded backends (SQLite queue and cache) on a fresh state
 * directory per cycle; the median of the repeats is printed.
 *
 * usage: bench_producer [N] [REPEATS]   (defaults 5000 3) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "services/config.h"
#include "services/producer.h"

static int write_products(const char *dir, int n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/products.json", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("{\"@context\":{\"@version\":\"1.1\"},\"@graph\":[", f);
    int64_t t0 = time_from_civil(2026, 3, 14, 0, 0, 0);
    for (int i = 0; i < n; i++) {
        char ts[40];
        /* newest first, as api.weather.gov lists them */
        time_format(t0 - (int64_t)i * 30, "%Y-%m-%dT%H:%M:%S+00:00", ts, sizeof ts);
        fprintf(f,
                "%s{\"@id\":\"{{BASE}}/products/bench-%08d\",\"id\":\"bench-%08d\","
                "\"wmoCollectiveId\":\"SRUS54\",\"issuingOffice\":\"KFWR\",\"issuanceTime\":"
                "\"%s\",\"productCode\":\"HML\",\"productName\":\"AHPS XML\"}",
                i ? "," : "", i, i, ts);
    }
    fputs("]}\n", f);
    return fclose(f);
}

static pid_t start_server(const char *dir, char *base, size_t n)
{
    char pf[600];
    snprintf(pf, sizeof pf, "%s/port", dir);
    pid_t pid = fork();
    if (pid == 0) {
        execl(RNR_BENCH_FIXTURE_SERVER, RNR_BENCH_FIXTURE_SERVER, "--dir", dir, "--port", "0",
              "--port-file", pf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(pf, "r");
        int port = 0;
        if (f) {
            int ok = fscanf(f, "%d", &port) == 1;
            fclose(f);
            if (ok && port > 0) {
                snprintf(base, n, "http://127.0.0.1:%d", port);
                return pid;
            }
        }
        time_sleep_ms(50);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One cycle on a fresh state directory; seconds, or -1. */
static double one_cycle(const char *root, int rep, const char *base, int n)
{
    char dir[600], q[700], c[700];
    snprintf(dir, sizeof dir, "%s/state-%d", root, rep);
    if (mkdir(dir, 0755) != 0)
        return -1;
    snprintf(q, sizeof q, "sqlite://%s/queue.db", dir);
    snprintf(c, sizeof c, "sqlite://%s/cache.db", dir);
    rnr_config cfg = {0};
    cfg.state_dir = dir;
    cfg.queue_url = q;
    cfg.queue_name = "hml_files";
    cfg.cache_url = c;
    cfg.nws_url = (char *)base;
    cfg.dedup_ttl_s = 604800;
    producer *p;
    rnr_error e;
    if (producer_new(&cfg, &p, &e) != RNR_OK) {
        fprintf(stderr, "bench_producer: %s\n", e.msg);
        return -1;
    }
    producer_counts pc;
    int64_t t0 = time_mono_ms();
    int rc = producer_cycle(p, 0, &pc, &e);
    int64_t t1 = time_mono_ms();
    producer_free(p);
    if (rc != RNR_OK || pc.published != n) {
        fprintf(stderr, "bench_producer: cycle %d: %s (published %d of %d)\n", rep,
                rc ? e.msg : "ok", pc.published, n);
        return -1;
    }
    return (double)(t1 - t0) / 1000.0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 5000;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    if (n < 1 || n > 1000000 || reps < 1 || reps > 50) {
        fprintf(stderr, "usage: bench_producer [N 1..1000000] [REPEATS 1..50]\n");
        return 2;
    }
    log_init();
    log_set_level(LOG_WARN);
    char root[] = "/tmp/rnr-bench-producer-XXXXXX";
    if (!mkdtemp(root) || write_products(root, n) != 0) {
        fprintf(stderr, "bench_producer: cannot prepare %s\n", root);
        return 1;
    }
    char base[64];
    pid_t srv = start_server(root, base, sizeof base);
    if (srv < 0) {
        fprintf(stderr, "bench_producer: fixture server did not start\n");
        return 1;
    }
    double *sec = calloc((size_t)reps, sizeof *sec);
    int bad = 0;
    for (int r = 0; r < reps && !bad; r++) {
        sec[r] = one_cycle(root, r, base, n);
        bad = sec[r] < 0;
        if (!bad)
            printf("cycle %d: %d products in %.3f s (%.0f products/s)\n", r + 1, n, sec[r],
                   n / sec[r]);
    }
    kill(srv, SIGTERM);
    waitpid(srv, NULL, 0);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_producer: could not remove %s\n", root);
    if (!bad) {
        qsort(sec, (size_t)reps, sizeof *sec, cmp_double);
        double med = sec[reps / 2];
        printf("bench_producer products=%d repeats=%d median=%.3f s rate=%.0f products/s\n", n,
               reps, med, n / med);
    }
    free(sec);
    return bad;
}
