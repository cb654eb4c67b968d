/* bench_io.c - NetCDF output write/read and CSV/SVG rendering times for a
 * typical RnR output (default 200 segments x 96 hourly times). Prints
 * figures; asserts nothing. usage: bench_io [nseg] [ntime] [reps] */
#include "core/timeutil.h"
#include "io/csv_out.h"
#include "io/nc_output.h"
#include "io/svg_plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    size_t nseg = argc > 1 ? strtoul(argv[1], NULL, 10) : 200;
    size_t ntime = argc > 2 ? strtoul(argv[2], NULL, 10) : 96;
    int reps = argc > 3 ? atoi(argv[3]) : 20;
    if (nseg == 0 || ntime == 0 || reps <= 0 || nseg > 1000000 || ntime > 100000)
        return fprintf(stderr, "usage: bench_io [nseg] [ntime] [reps]\n"), 2;
    int64_t *fids = malloc(nseg * sizeof *fids);
    double *ts = malloc(ntime * sizeof *ts);
    float *q = malloc(nseg * ntime * sizeof *q);
    if (!fids || !ts || !q)
        return 1;
    for (size_t s = 0; s < nseg; s++)
        fids[s] = 800000 + (int64_t)s;
    for (size_t k = 0; k < ntime; k++)
        ts[k] = 3600.0 * (double)(k + 1);
    for (size_t i = 0; i < nseg * ntime; i++)
        q[i] = 500.0f + (float)(i % 977) * 0.37f;
    char dir[] = "/tmp/rnr_bench_io_XXXXXX", path[64];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/troute_output_202505060600.nc", dir);
    nc_meta m = {1746511200, "major",          4,       "AMAT2", 5671176, 800000,
                 "TX",       "Canadian River", "bench", NULL};
    rnr_error e;
    int64_t t0 = time_mono_ms();
    for (int r = 0; r < reps; r++)
        if (nc_output_write(path, fids, nseg, ts, ntime, q, q, q, &m, &e))
            return fprintf(stderr, "%s\n", e.msg), 1;
    int64_t t1 = time_mono_ms();
    nc_table *t = NULL;
    for (int r = 0; r < reps; r++) {
        nc_table_free(t);
        if (nc_output_read(path, &t, &e))
            return fprintf(stderr, "%s\n", e.msg), 1;
    }
    int64_t t2 = time_mono_ms();
    FILE *null = fopen("/dev/null", "w");
    inundation_row *rows = NULL;
    size_t n = 0;
    for (int r = 0; r < reps; r++) {
        free(rows);
        inundation_rows_from_table(t, NULL, NULL, 1746540000, &rows, &n, &e);
        csv_inundation_write(null, rows, n, &e);
    }
    int64_t t3 = time_mono_ms();
    for (int r = 0; r < reps; r++)
        svg_hydrograph_write(null, t, NULL, &e);
    int64_t t4 = time_mono_ms();
    printf("io bench: %zu segments x %zu times, %d reps\n", nseg, ntime, reps);
    printf("  nc_output_write  %8.2f ms/file\n", (double)(t1 - t0) / reps);
    printf("  nc_output_read   %8.2f ms/file\n", (double)(t2 - t1) / reps);
    printf("  rows + CSV       %8.2f ms/file\n", (double)(t3 - t2) / reps);
    printf("  SVG hydrograph   %8.2f ms/file\n", (double)(t4 - t3) / reps);
    fclose(null);
    free(rows);
    nc_table_free(t);
    unlink(path);
    rmdir(dir);
    free(fids);
    free(ts);
    free(q);
    return 0;
}
