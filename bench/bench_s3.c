/* bench_s3.c - S3 store throughput: N small PUTs, GETs to a file, one
 * paginated LIST and N DELETEs, one connection (keep-alive), printed as
 * operations per second.
 *   RNR_TEST_S3_ENDPOINT=http://127.0.0.1:PORT bench_s3 [N] [BUCKET] */
#include "adapters/s3_store.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double rate(int n, int64_t t0)
{
    return n * 1000.0 / (double)(time_mono_ms() - t0 + 1);
}

int main(int argc, char **argv)
{
    const char *ep = getenv("RNR_TEST_S3_ENDPOINT");
    int n = argc > 1 ? atoi(argv[1]) : 300;
    const char *bucket = argc > 2 ? argv[2] : "rnr-test";
    if (!ep || n < 1) {
        fprintf(stderr, "usage: RNR_TEST_S3_ENDPOINT=URL bench_s3 [N] [BUCKET]\n");
        return 2;
    }
    if (!getenv("AWS_ACCESS_KEY_ID")) {
        setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
        setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    }
    setenv("AWS_ENDPOINT_URL_S3", ep, 1);
    char url[256], key[64], body[300], path[64];
    snprintf(url, sizeof url, "s3://%s/bench-%ld", bucket, (long)getpid());
    snprintf(path, sizeof path, "/tmp/bench_s3_%ld.out", (long)getpid());
    memset(body, 'x', sizeof body);
    rnr_store *s = NULL;
    rnr_error err = {0};
    if (s3_store_open(url, &s, &err) != RNR_OK) {
        fprintf(stderr, "bench_s3: %s\n", err.msg);
        return 1;
    }
    int64_t t0 = time_mono_ms();
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "k/%06d.json", i);
        if (store_put_buf(s, key, body, sizeof body, "application/json", &err) != RNR_OK)
            goto fail;
    }
    printf("PUT    %d x %zu B: %.0f/s\n", n, sizeof body, rate(n, t0));
    t0 = time_mono_ms();
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "k/%06d.json", i);
        if (store_get_file(s, key, path, &err) != RNR_OK)
            goto fail;
    }
    printf("GET    %d to a file: %.0f/s\n", n, rate(n, t0));
    t0 = time_mono_ms();
    store_list l;
    if (store_list_prefix(s, "k/", &l, &err) != RNR_OK)
        goto fail;
    printf("LIST   %zu keys: %lld ms\n", l.n, (long long)(time_mono_ms() - t0));
    store_list_clear(&l);
    t0 = time_mono_ms();
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "k/%06d.json", i);
        if (store_delete(s, key, &err) != RNR_OK)
            goto fail;
    }
    printf("DELETE %d: %.0f/s\n", n, rate(n, t0));
    unlink(path);
    store_free(s);
    return 0;
fail:
    fprintf(stderr, "bench_s3: %s\n", err.msg);
    unlink(path);
    store_free(s);
    return 1;
}
