/* test_route_plot.c - the forecaster's hydrograph end to end: a routing
 * request built from NWPS records (nws_build_request), routed with
 * route_job_run and --plot, carries the RFC forecast, the observations and
 * the flood-category flows into the NetCDF (read back) and onto the SVG,
 * which rsvg-convert renders to a PNG of the right size that is not blank.
 *
 * Two sources: the real AMAT2 captures (forecast and observed tail; its
 * flood categories are stages only, the lower ones inside the RFC's
 * stage-flow pairs), routed down the HPDT2 reach, and the sample
 * gauge RNRA1 (stage-only categories inside its forecast's stage range:
 * action and minor become flows through the RFC's own stage-flow pairs) on
 * the sample domain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/timeutil.h"
#include "hydro/forcing.h"
#include "io/nc_output.h"
#include "nws/decide.h"
#include "nws/nwps.h"
#include "nws/plotdata.h"
#include "services/route_job.h"
#include "testutil.h"

/* ---- a small PNG reader: 8-bit RGB(A) / grey, non-interlaced ---- */

typedef struct png_img {
    uint32_t w, h;
    int channels;
    unsigned char *px; /* h * w * channels */
} png_img;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undo the per-row filters of the inflated image data in place into img. */
static int png_unfilter(png_img *img, const unsigned char *raw, size_t rawlen)
{
    size_t stride = (size_t)img->w * (size_t)img->channels, bpp = (size_t)img->channels;
    if (rawlen < (stride + 1) * img->h)
        return -1;
    img->px = malloc(stride * img->h);
    for (uint32_t y = 0; y < img->h; y++) {
        const unsigned char *in = raw + y * (stride + 1) + 1;
        unsigned char *out = img->px + y * stride, *up = y ? out - stride : NULL;
        int f = raw[y * (stride + 1)];
        for (size_t x = 0; x < stride; x++) {
            int a = x >= bpp ? out[x - bpp] : 0, b = up ? up[x] : 0,
                c = up && x >= bpp ? up[x - bpp] : 0;
            int v = in[x];
            v += f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) / 2 : f == 4 ? paeth(a, b, c) : 0;
            out[x] = (unsigned char)v;
        }
    }
    return 0;
}

static int png_read(const char *path, png_img *img)
{
    size_t len = 0;
    unsigned char *d = (unsigned char *)tu_read_file(path, &len);
    if (!d || len < 33 || memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0)
        return -1;
    img->w = be32(d + 16);
    img->h = be32(d + 20);
    int depth = d[24], type = d[25], interlace = d[28];
    img->channels = type == 6 ? 4 : type == 2 ? 3 : type == 0 ? 1 : type == 4 ? 2 : 0;
    if (depth != 8 || !img->channels || interlace)
        return -1;
    size_t zcap = len, zn = 0;
    unsigned char *z = malloc(zcap);
    for (size_t p = 8; p + 12 <= len;) {
        uint32_t n = be32(d + p);
        if (p + 12 + n > len)
            break;
        if (!memcmp(d + p + 4, "IDAT", 4)) {
            memcpy(z + zn, d + p + 8, n);
            zn += n;
        }
        p += 12 + n;
    }
    uLongf rawlen = (uLongf)((size_t)img->w * img->channels + 1) * img->h;
    unsigned char *raw = malloc(rawlen);
    int rc = uncompress(raw, &rawlen, z, zn) == Z_OK ? png_unfilter(img, raw, rawlen) : -1;
    free(raw);
    free(z);
    free(d);
    return rc;
}

/* Pixels that differ from the top-left (background) pixel, and distinct
 * colours (RGB quantised to 4 bits a channel). */
static void png_stats(const png_img *img, size_t *ink, size_t *colours)
{
    static unsigned char seen[4096];
    memset(seen, 0, sizeof seen);
    *ink = *colours = 0;
    int ch = img->channels;
    for (size_t i = 0; i < (size_t)img->w * img->h; i++) {
        const unsigned char *p = img->px + i * (size_t)ch;
        *ink += memcmp(p, img->px, (size_t)ch) != 0;
        int r = p[0] >> 4, g = ch >= 3 ? p[1] >> 4 : r, b = ch >= 3 ? p[2] >> 4 : r;
        int k = r << 8 | g << 4 | b;
        *colours += !seen[k];
        seen[k] = 1;
    }
}

/* ---- the routing requests ---- */

static char *ref_path(const char *rel)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", getenv("RNR_REFERENCE_DIR"), rel);
    return strdup(p);
}

static char *src_path(const char *rel)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", getenv("RNR_SOURCE_DIR"), rel);
    return strdup(p);
}

static rnr_forecast *request(char *gauge_path, char *fcst_path, char *obs_path)
{
    size_t n = 0;
    rnr_error e = {0, ""};
    char *j = tu_read_file(gauge_path, &n);
    nwps_gauge g;
    assert_non_null(j);
    assert_int_equal(nwps_gauge_parse(j, n, &g, &e), RNR_OK);
    free(j);
    nwps_stageflow *fc = NULL, *ob = NULL;
    j = tu_read_file(fcst_path, &n);
    assert_int_equal(nwps_stageflow_parse(j, n, &fc, &e), RNR_OK);
    free(j);
    j = tu_read_file(obs_path, &n);
    assert_int_equal(nwps_stageflow_parse(j, n, &ob, &e), RNR_OK);
    free(j);
    /* The captures' category may be quiet by now; the plot is the subject. */
    snprintf(g.forecast_category, sizeof g.forecast_category, "minor");
    rnr_forecast *f = NULL;
    int reason = 0;
    assert_int_equal(nws_build_request(&g, fc, ob, &f, &reason, &e), RNR_OK);
    nwps_stageflow_free(fc);
    nwps_stageflow_free(ob);
    free(gauge_path);
    free(fcst_path);
    free(obs_path);
    return f;
}

/* Route f on gpkg with a plot; check the NetCDF's extras against f, render
 * the SVG and check the PNG. Returns the SVG text. */
static char *route_and_render(rnr_forecast *f, char *gpkg, const char *tag)
{
    char *tmp = tu_tempdir(tag);
    hf_db *hf = NULL;
    rnr_error e = {0, ""};
    assert_int_equal(hf_open(gpkg, &hf, &e), RNR_OK);
    route_job_opts o = {.forcing_mode = FORCING_TIMECORRECT, .dt = 300.0f, .write_plot = 1};
    route_job_result res;
    int rc = route_job_run(hf, f, &o, tmp, &res, &e);
    if (rc)
        fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, RNR_OK);
    nc_table *t = NULL;
    assert_int_equal(nc_output_read(res.outputs[0].path, &t, &e), RNR_OK);
    assert_int_equal(t->n_fcst, f->n);
    assert_int_equal(t->n_obs, f->n_obs);
    for (size_t i = 0; i < f->n; i++) {
        assert_int_equal(t->fcst_times[i], f->times[i]);
        assert_true(t->fcst_flows[i] == (float)f->flows[i]);
    }
    for (int c = 0; c < 4; c++)
        assert_true(isnan(f->flood_flow[c]) ? isnan(t->flood_flow[c])
                                            : t->flood_flow[c] == (float)f->flood_flow[c]);
    nc_table_free(t);
    char cmd[3000], png[1100];
    snprintf(png, sizeof png, "%s/plot.png", tmp);
    const char *svg_path = route_job_output(&res, "image/svg+xml");
    assert_non_null(svg_path);
    snprintf(cmd, sizeof cmd, "rsvg-convert -o '%s' '%s'", png, svg_path);
    assert_int_equal(system(cmd), 0);
    png_img img = {0, 0, 0, NULL};
    assert_int_equal(png_read(png, &img), 0);
    size_t ink = 0, colours = 0;
    png_stats(&img, &ink, &colours);
    printf("%s: PNG %ux%u, %zu non-background pixels, %zu colours\n", tag, img.w, img.h, ink,
           colours);
    assert_int_equal(img.w, 960);
    assert_int_equal(img.h, 540);
    assert_true(ink > 20000 && ink < (size_t)img.w * img.h / 2);
    assert_true(colours >= 8);
    free(img.px);
    char *svg = tu_read_file(svg_path, NULL);
    if (getenv("RNR_KEEP_PLOT")) { /* for a person to look at */
        snprintf(cmd, sizeof cmd, "cp '%s' '%s/%s.png'", png, getenv("RNR_KEEP_PLOT"), tag);
        assert_int_equal(system(cmd), 0);
    }
    hf_close(hf);
    free(gpkg);
    tu_rmrf(tmp);
    free(tmp);
    return svg;
}

static void test_amat2_real(void **state)
{
    (void)state;
    if (!getenv("RNR_REFERENCE_DIR"))
        fail_msg(
            "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)");
    rnr_forecast *f = request(ref_path("nws/nwps_gauge_AMAT2.json"),
                              ref_path("nws/nwps_stageflow_forecast_AMAT2.json"),
                              ref_path("nws/nwps_stageflow_observed_AMAT2_tail.json"));
    assert_int_equal(f->n, 20);
    assert_true(f->n_obs > 10);
    printf("AMAT2 flood flows (m3/s): action %g minor %g moderate %g major %g\n", f->flood_flow[0],
           f->flood_flow[1], f->flood_flow[2], f->flood_flow[3]);
    /* Stage-only categories: action 6 ft and minor 7 ft lie inside the
     * forecast's own pairs (6 ft = 2.2 kcfs); major 15 ft is above every
     * stage the RFC gave, so it gets no flow. */
    assert_true(fabs(f->flood_flow[0] - 2.2 * 28.316846592) < 1e-9);
    assert_true(f->flood_flow[1] > f->flood_flow[0]);
    assert_true(isnan(f->flood_flow[3]));
    assert_int_equal(f->flood_flow_rated, 1);
    f->reach_id = 3121538; /* the HPDT2 reach: any real river will do for the plot */
    char *svg = route_and_render(f, ref_path("rnr-hpdt2/HPDT2.gpkg"), "amat2");
    assert_int_equal(tu_count(svg, "<circle"), 20 + 1); /* forecast points, legend */
    assert_true(tu_count(svg, "<rect x=") > 10);        /* observations */
    assert_non_null(strstr(svg, "class=\"threshold\" data-category=\"action\""));
    assert_null(strstr(svg, "data-category=\"major\""));
    assert_non_null(strstr(svg, ">Flow (m\xc2\xb3/s)<"));
    assert_non_null(strstr(svg, ">2026-10-0")); /* the year on the time axis */
    assert_non_null(strstr(svg, "RFC forecast"));
    free(svg);
    forecast_free(f);
}

static void test_sample_thresholds(void **state)
{
    (void)state;
    rnr_forecast *f = request(src_path("data/sample/nws/nwps/gauges/RNRA1.json"),
                              src_path("data/sample/nws/nwps/gauges/RNRA1.forecast.json"),
                              src_path("data/sample/nws/nwps/gauges/RNRA1.observed.json"));
    /* action 6.5 ft and minor 8.5 ft lie inside the forecast's 4.16-9.09 ft. */
    assert_true(isfinite(f->flood_flow[0]) && isfinite(f->flood_flow[1]));
    assert_true(f->flood_flow[0] < f->flood_flow[1]);
    assert_true(isnan(f->flood_flow[2]) && isnan(f->flood_flow[3]));
    assert_int_equal(f->flood_flow_rated, 1);
    setenv("RNR_PLOT_UNITS", "cfs", 1);
    char *svg = route_and_render(f, src_path("data/sample/domain.gpkg"), "rnra1");
    unsetenv("RNR_PLOT_UNITS");
    assert_non_null(strstr(svg, "class=\"threshold\" data-category=\"action\""));
    assert_non_null(strstr(svg, "class=\"threshold\" data-category=\"minor\""));
    assert_non_null(strstr(svg, ">Flow (cfs)<"));
    assert_non_null(strstr(svg, ">2026-03-1"));
    free(svg);
    forecast_free(f);
}

/* The rating: linear inside the pairs, nothing outside or when flow falls. */
static void test_rating(void **state)
{
    (void)state;
    double st[4] = {3, 1, 2, 4}, q[4] = {30, 10, 20, 40};
    assert_true(fabs(nws_rating_flow(st, q, 4, 2.5) - 25) < 1e-12);
    assert_true(nws_rating_flow(st, q, 4, 1) == 10);
    assert_true(isnan(nws_rating_flow(st, q, 4, 4.5)));
    assert_true(isnan(nws_rating_flow(st, q, 1, 1)));
    q[3] = 5; /* flow falling with stage: not a rating */
    assert_true(isnan(nws_rating_flow(st, q, 4, 2.5)));
}

/* An absurd observed flow (1e300 kcfs, far past RNR_FLOW_MAX_M3S) is left
 * out of the hydrograph like a missing one: it would be Inf in the
 * NetCDF's float observed_flow. */
static void test_absurd_observation(void **state)
{
    (void)state;
    rnr_forecast *fc = forecast_new(2);
    assert_non_null(fc);
    int64_t t0 = 1746835200; /* 2025-05-10T00Z */
    fc->times[0] = t0;
    fc->times[1] = t0 + 3600;
    nwps_row rows[3] = {{t0 - 7200, RNR_TIME_MISSING, NAN, 1.0},
                        {t0 - 3600, RNR_TIME_MISSING, NAN, 1e300},
                        {t0, RNR_TIME_MISSING, NAN, 2.0}};
    nwps_stageflow obs = {.issued_time = RNR_TIME_MISSING, .n = 3, .rows = rows};
    snprintf(obs.secondary_units, sizeof obs.secondary_units, "kcfs");
    nwps_gauge g;
    memset(&g, 0, sizeof g);
    assert_int_equal(nws_plot_data(fc, &g, NULL, &obs), RNR_OK);
    assert_int_equal(fc->n_obs, 2);
    assert_true(fc->obs_times[0] == t0 - 7200 && fc->obs_times[1] == t0);
    for (size_t i = 0; i < fc->n_obs; i++)
        assert_true(forecast_flow_ok(fc->obs_flows[i]));
    forecast_free(fc);
}

/* A flood threshold no river reaches (1e9 cfs) stays off the plot; a
 * real one is converted to m3/s. */
static void test_absurd_threshold(void **state)
{
    (void)state;
    rnr_forecast *fc = forecast_new(2);
    assert_non_null(fc);
    fc->times[0] = 1746835200;
    fc->times[1] = 1746835200 + 3600;
    nwps_gauge g;
    memset(&g, 0, sizeof g);
    snprintf(g.flow_units, sizeof g.flow_units, "cfs");
    for (int i = 0; i < 4; i++)
        g.flow_threshold[i] = NAN;
    g.flow_threshold[0] = 1000.0;
    g.flow_threshold[3] = 1e9;
    assert_int_equal(nws_plot_data(fc, &g, NULL, NULL), RNR_OK);
    assert_true(fabs(fc->flood_flow[0] - 28.316846592) < 1e-9);
    assert_true(isnan(fc->flood_flow[3]));
    forecast_free(fc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rating),
        cmocka_unit_test(test_absurd_threshold),
        cmocka_unit_test(test_absurd_observation),
        cmocka_unit_test(test_amat2_real),
        cmocka_unit_test(test_sample_thresholds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
