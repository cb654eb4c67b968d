/* bench_nws.c - parsing throughput of the nws layer.
 *
 * HML: products and sites parsed per second on the real HMLARX product
 * (37 sites; reference/nws), or on a synthetic product of the same shape
 * when the reference data is absent. Also NWPS stageflow rows per second
 * on the AMAT2 observed tail. Prints the median of several repeats.
 *   bench_nws [repeats] [seconds-per-repeat]      (RNR_REFERENCE_DIR overrides) */
#include "core/error.h"
#include "core/fileutil.h"
#include "nws/hml.h"
#include "nws/nwps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef RNR_BENCH_REFERENCE_DIR /* cmake passes <build>/reference */
#define RNR_BENCH_REFERENCE_DIR "build/reference"
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A reference file under dir/nws, or NULL when it is not there. */
static char *read_file(const char *dir, const char *name, size_t *len)
{
    char path[1024], *buf = NULL;
    snprintf(path, sizeof path, "%s/nws/%s", dir, name);
    rnr_error e = {0, ""};
    return file_read_all(path, &buf, len, &e) == RNR_OK ? buf : NULL;
}

/* A product shaped like HMLARX: 37 sites, 35 observed with 4 rows, 2
 * forecasts with 28 rows, \r\r\n line ends. */
static char *synthetic_product(size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    n += (size_t)snprintf(s + n, cap - n,
                          "\001\r\r\n119 \r\r\nSRUS56 KXXX 260754\r\r\nHMLXXX\r\r\n");
    for (int i = 0; i < 37; i++) {
        int fc = i == 7 || i == 12, rows = fc ? 28 : 4;
        n +=
            (size_t)snprintf(s + n, cap - n,
                             "<?xml version=\"1.0\" standalone=\"yes\"?>\r\r\n<site generationtime="
                             "\"2016-08-26T07:54:07+00:00\" timezone=\"CST6CDT\" originator=\"XXX\""
                             " name=\"SYNTHETIC RIVER %d\" id=\"SYN%02d\">\r\r\n  <%s primaryUnits="
                             "\"ft\" pedts=\"HGIRG\" primaryName=\"Stage\" secondaryUnits=\"kcfs\""
                             " secondaryName=\"Flow\">\r\r\n",
                             i, i, fc ? "forecast" : "observed");
        for (int r = 0; r < rows; r++)
            n += (size_t)snprintf(
                s + n, cap - n,
                "    <datum>\r\r\n      <valid>2016-08-%02dT%02d:00:00-00:00</valid>"
                "\r\r\n      <primary>%d.%02d</primary>\r\r\n      <secondary>%s"
                "</secondary>\r\r\n    </datum>\r\r\n",
                26 + r / 24, r % 24, 8 + r % 5, r, r % 3 ? "-999" : "6.93");
        n += (size_t)snprintf(s + n, cap - n, "  </%s>\r\r\n</site>    \r\r\n",
                              fc ? "forecast" : "observed");
    }
    s[n++] = '\003';
    *len = n;
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef int (*bench_fn)(const char *buf, size_t len, size_t *items);

static int run_hml(const char *buf, size_t len, size_t *items)
{
    nws_hml_product *p;
    if (nws_hml_parse(buf, len, NULL, &p, NULL))
        return -1;
    *items = p->n_sites;
    nws_hml_product_free(p);
    return 0;
}

static int run_stageflow(const char *buf, size_t len, size_t *items)
{
    nwps_stageflow *s;
    if (nwps_stageflow_parse(buf, len, &s, NULL))
        return -1;
    *items = s->n;
    nwps_stageflow_free(s);
    return 0;
}

/* Median over repeats of (calls per second, items per second). */
static int measure(bench_fn fn, const char *buf, size_t len, int repeats, double secs,
                   double *calls_s, double *items_s)
{
    double *c = calloc((size_t)repeats, sizeof *c), *it = calloc((size_t)repeats, sizeof *it);
    if (!c || !it) {
        free(c);
        free(it);
        return -1;
    }
    for (int r = 0; r < repeats; r++) {
        size_t calls = 0, items = 0, got = 0;
        double t0 = now_s(), t;
        do {
            if (fn(buf, len, &got)) {
                free(c);
                free(it);
                return -1;
            }
            calls++;
            items += got;
        } while ((t = now_s() - t0) < secs);
        c[r] = calls / t;
        it[r] = items / t;
    }
    qsort(c, (size_t)repeats, sizeof *c, cmp_double);
    qsort(it, (size_t)repeats, sizeof *it, cmp_double);
    *calls_s = c[repeats / 2];
    *items_s = it[repeats / 2];
    free(c);
    free(it);
    return 0;
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 7;
    double secs = argc > 2 ? atof(argv[2]) : 1.0;
    if (repeats < 1 || repeats > 1000 || !(secs > 0 && secs <= 60)) {
        fprintf(stderr, "usage: bench_nws [repeats 1..1000] [seconds 0..60]\n");
        return 2;
    }
    const char *dir = getenv("RNR_REFERENCE_DIR");
    if (!dir)
        dir = RNR_BENCH_REFERENCE_DIR;
    size_t len = 0;
    const char *source = "reference HMLARX";
    char *hml = read_file(dir, "product_text_HMLARX_2016-08-26_multisite.txt", &len);
    if (!hml) {
        source = "synthetic HMLARX-shaped";
        hml = synthetic_product(&len);
    }
    double calls, items;
    if (!hml || measure(run_hml, hml, len, repeats, secs, &calls, &items)) {
        fprintf(stderr, "bench_nws: HML parse failed\n");
        return 1;
    }
    printf(
        "hml  %s product (%zu bytes): %.0f products/s, %.0f sites/s, %.1f MB/s (median of %d x %.1fs)\n",
        source, len, calls, items, calls * len / 1e6, repeats, secs);
    free(hml);
    char *obs = read_file(dir, "nwps_stageflow_observed_AMAT2_tail.json", &len);
    if (obs) {
        if (measure(run_stageflow, obs, len, repeats, secs, &calls, &items)) {
            fprintf(stderr, "bench_nws: stageflow parse failed\n");
            return 1;
        }
        printf(
            "nwps AMAT2 observed tail (%zu bytes): %.0f documents/s, %.0f rows/s (median of %d x %.1fs)\n",
            len, calls, items, repeats, secs);
        free(obs);
    }
    return 0;
}
