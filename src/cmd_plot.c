/* cmd_plot.c - `rnr plot`: hydrograph SVG of a NetCDF output. */
#include "command.h"

#include "io/nc_output.h"
#include "io/svg_plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FILE.nc -> FILE.svg next to it; any other name gets ".svg" appended. */
static char *default_output(const char *in)
{
    size_t n = strlen(in);
    char *out = malloc(n + 5);
    if (!out)
        return NULL;
    memcpy(out, in, n + 1);
    if (n > 3 && strcmp(in + n - 3, ".nc") == 0)
        out[n - 3] = '\0';
    strcat(out, ".svg");
    return out;
}

static int plot_run(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    svg_opts o = {0, 0, 0, NULL, 0};
    const char *units = getenv("RNR_PLOT_UNITS");
    if ((o.units_cfs = svg_units_parse(units && *units ? units : NULL)) < 0)
        return cmd_usage_error("plot", "RNR_PLOT_UNITS must be m3/s or cfs, got '%s'", units);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(a, "--segments") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > SVG_MAX_SERIES)
                return cmd_usage_error("plot", "--segments must be 1..%d, got '%s'", SVG_MAX_SERIES,
                                       argv[i]);
            o.segments = (size_t)v;
        } else if (!strcmp(a, "--title") && i + 1 < argc) {
            o.title = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return cmd_usage_error("plot", "unknown or incomplete option '%s'", a);
        } else if (!in) {
            in = a;
        } else {
            return cmd_usage_error("plot", "unexpected argument '%s'", a);
        }
    }
    if (!in)
        return cmd_usage_error("plot", "missing the NetCDF output file");
    nc_table *t;
    rnr_error err;
    if (nc_output_read(in, &t, &err)) {
        fprintf(stderr, "rnr plot: %s\n", err.msg);
        return 1;
    }
    char *def = out ? NULL : default_output(in);
    int rc = 1;
    if (out || def) {
        rc = svg_hydrograph_save(out ? out : def, t, &o, &err) ? 1 : 0;
        if (rc)
            fprintf(stderr, "rnr plot: %s\n", err.msg);
    }
    if (rc == 0)
        printf("%s\n", out ? out : def);
    free(def);
    nc_table_free(t);
    return rc;
}

const rnr_command cmd_plot = {
    "plot", "draw a hydrograph (SVG) of a t-route NetCDF output",
    "usage: rnr plot FILE.nc [-o OUT.svg] [--segments N] [--title TEXT]\n\n"
    "Reads a troute_output_*.nc file (rnr's or t-route's own) and writes flow over\n"
    "time (UTC) for N segments (default 4: the forecast point, two between, the\n"
    "outlet) as an SVG, by default next to the input as troute_output_*.svg. An rnr\n"
    "output also carries the RFC forecast, recent observations and the flood-\n"
    "category flows, drawn as markers and dashed lines. Units m3/s, or cfs with\n"
    "RNR_PLOT_UNITS=cfs. Prints the path written.\n\n"
    "  -o, --output OUT.svg  where to write the SVG\n"
    "  --segments N          number of segments to plot, 1..12\n"
    "  --title TEXT          title (default: the gauge lid and name)\n",
    plot_run};
