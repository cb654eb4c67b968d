/* fuzz_csv.c - the CSV inputs: `rnr route --qlat` (step,id,qlat) and
 * `--initial` (id,flow,depth) over a small network, and `rnr mc eval`
 * oracle tables. The first input byte picks the reader; the rest is the
 * file, read through fmemopen as the commands read a file. */
#include "core/error.h"
#include "hydro/network.h"
#include "io/csv_row.h"
#include "services/mc_eval.h"
#include "services/route_input.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSEG 4

static hydro_net *net;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* wb-11 -> wb-12 -> wb-13 -> wb-14 (outlet) */
    hydro_segment segs[NSEG];
    for (int i = 0; i < NSEG; i++)
        segs[i] = (hydro_segment){
            11 + i, i + 1 < NSEG ? 12 + i : 0, 1000, 0.05f, 0.1f, 10, 20, 60, 2, 0.001f};
    rnr_error err = {0};
    if (net_new(segs, NSEG, &net, &err) != RNR_OK)
        abort();
    devnull = fopen("/dev/null", "w");
    return devnull ? 0 : -1;
}

static void qlat(FILE *f)
{
    qlat_row *rows = NULL;
    size_t n = 0;
    rnr_error err = {0};
    if (route_input_read_qlat(f, "fuzz.csv", net, 48, &rows, &n, &err) != RNR_OK) {
        if (!err.msg[0] || rows)
            abort();
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const qlat_row *r = &rows[i];
        if (r->step < 1 || r->step > 48 || r->idx < 0 || r->idx >= NSEG || isnan(r->q) ||
            (i && rows[i - 1].step > r->step))
            abort();
    }
    free(rows);
}

static void initial(FILE *f)
{
    float q0[NSEG] = {0}, d0[NSEG] = {0};
    rnr_error err = {0};
    if (route_input_read_initial(f, "fuzz.csv", net, q0, d0, &err) != RNR_OK) {
        if (!err.msg[0])
            abort();
        return;
    }
    for (int i = 0; i < NSEG; i++)
        if (!(q0[i] >= 0) || !(d0[i] >= 0))
            abort();
}

static void mc(FILE *f)
{
    long passed = 0, failed = 0;
    rnr_error err = {0};
    if (mc_eval_stream(f, "fuzz.csv", devnull, &passed, &failed, &err) != RNR_OK && !err.msg[0])
        abort();
    if (passed < 0 || failed < 0)
        abort();
}

/* csv_split_row on a copy: every field lies inside the line. */
static void split(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1), *fields[8];
    if (!line)
        return;
    memcpy(line, data, size);
    line[size] = '\0';
    int n = csv_split_row(line, fields, 8);
    if (n < 0 || n > 8)
        abort();
    for (int i = 0; i < n; i++)
        if (fields[i] < line || fields[i] > line + size)
            abort();
    (void)csv_find_col(fields, n, "id");
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 20)
        return 0;
    int which = data[0] % 4;
    data++;
    size--;
    if (which == 3) {
        split(data, size);
        return 0;
    }
    /* fmemopen of 0 bytes fails; an empty file reads as a NUL byte's worth of nothing */
    FILE *f = fmemopen(size ? (void *)data : (void *)"", size ? size : 1, "r");
    if (!f)
        return 0;
    if (which == 0)
        qlat(f);
    else if (which == 1)
        initial(f);
    else
        mc(f);
    fclose(f);
    return 0;
}
