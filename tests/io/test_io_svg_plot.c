/* test_io_svg_plot.c - hydrograph SVG: well-formed, one polyline per
 * plotted segment, peak at the top of the plot area. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "io/svg_plot.h"
#include "testutil.h"

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NSEG 7
#define NT 5

typedef struct fixture {
    nc_table t;
    int64_t fids[NSEG], times[NT];
    float q[NSEG * NT], zero[NSEG * NT];
} fixture;

/* Flow rises downstream-delayed; segment 3 peaks at 250 at time 2. */
static void fixture_init(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    for (int s = 0; s < NSEG; s++) {
        fx->fids[s] = 800137 + s;
        for (int k = 0; k < NT; k++)
            fx->q[s * NT + k] = 100.0f + 10.0f * (float)(s + k);
    }
    fx->q[3 * NT + 2] = 250.0f;
    fx->q[6 * NT + 1] = NAN;
    for (int k = 0; k < NT; k++)
        fx->times[k] = 1746511200 + 3600 * (k + 1);
    fx->t.nseg = NSEG;
    fx->t.ntime = NT;
    fx->t.feature_ids = fx->fids;
    fx->t.times = fx->times;
    fx->t.flow = fx->q;
    fx->t.velocity = fx->zero;
    fx->t.depth = fx->zero;
    fx->t.reference_time = 1746511200;
    strcpy(fx->t.rfc_location, "AMAT2");
    strcpy(fx->t.name, "Canadian River <&> \"x\"");
    strcpy(fx->t.max_status, "major");
}

static char *render(const nc_table *t, const svg_opts *o, int *rc, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    rnr_error e;
    *rc = svg_hydrograph_write(f, t, o, &e);
    fclose(f);
    return buf;
}

static double attr_num(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    assert_non_null(v);
    double d = atof((const char *)v);
    xmlFree(v);
    return d;
}

typedef struct parsed {
    xmlDocPtr doc;
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr lines;
    double area_x, area_y, area_w, area_h;
} parsed;

static void parse_svg(const char *svg, size_t len, parsed *p)
{
    p->doc = xmlReadMemory(svg, (int)len, "plot.svg", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    assert_non_null(p->doc);
    p->ctx = xmlXPathNewContext(p->doc);
    xmlXPathRegisterNs(p->ctx, (const xmlChar *)"s", (const xmlChar *)"http://www.w3.org/2000/svg");
    xmlXPathObjectPtr area =
        xmlXPathEvalExpression((const xmlChar *)"//s:rect[@id='plot-area']", p->ctx);
    assert_int_equal(area->nodesetval->nodeNr, 1);
    xmlNodePtr a = area->nodesetval->nodeTab[0];
    p->area_x = attr_num(a, "x");
    p->area_y = attr_num(a, "y");
    p->area_w = attr_num(a, "width");
    p->area_h = attr_num(a, "height");
    xmlXPathFreeObject(area);
    p->lines = xmlXPathEvalExpression((const xmlChar *)"//s:polyline", p->ctx);
    assert_non_null(p->lines);
}

static void parsed_free(parsed *p)
{
    xmlXPathFreeObject(p->lines);
    xmlXPathFreeContext(p->ctx);
    xmlFreeDoc(p->doc);
}

/* Points of one polyline; returns the count. */
static int points(xmlNodePtr n, double *xs, double *ys, int cap)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)"points");
    assert_non_null(v);
    int k = 0;
    const char *s = (const char *)v;
    double x, y;
    int used;
    while (k < cap && sscanf(s, " %lf,%lf%n", &x, &y, &used) == 2) {
        xs[k] = x;
        ys[k] = y;
        k++;
        s += used;
    }
    xmlFree(v);
    return k;
}

static void test_pick_segments(void **state)
{
    (void)state;
    size_t idx[SVG_MAX_SERIES];
    assert_int_equal(svg_pick_segments(22, 4, idx), 4);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 7);
    assert_int_equal(idx[2], 14);
    assert_int_equal(idx[3], 21);
    assert_int_equal(svg_pick_segments(22, 0, idx), 4);
    assert_int_equal(svg_pick_segments(2, 4, idx), 2);
    assert_int_equal(idx[1], 1);
    assert_int_equal(svg_pick_segments(5, 1, idx), 1);
    assert_int_equal(idx[0], 0);
    assert_int_equal(svg_pick_segments(100, 50, idx), SVG_MAX_SERIES);
    assert_int_equal(idx[SVG_MAX_SERIES - 1], 99);
    assert_int_equal(svg_pick_segments(0, 4, idx), 0);
}

static void test_hydrograph(void **state)
{
    (void)state;
    fixture fx;
    fixture_init(&fx);
    svg_opts o = {0, 0, 3, NULL, 0}; /* segments 0, 3, 6 */
    int rc;
    size_t len;
    char *svg = render(&fx.t, &o, &rc, &len);
    assert_int_equal(rc, RNR_OK);
    parsed p;
    parse_svg(svg, len, &p);
    assert_int_equal(p.lines->nodesetval->nodeNr, 3);
    const char *want_ids[3] = {"800137", "800140", "800143"};
    int want_pts[3] = {NT, NT, NT - 1}; /* the NaN is skipped */
    double top = 1e9, top_x = 0, bottom = -1e9;
    for (int i = 0; i < 3; i++) {
        xmlNodePtr n = p.lines->nodesetval->nodeTab[i];
        xmlChar *id = xmlGetProp(n, (const xmlChar *)"data-feature-id");
        assert_string_equal((const char *)id, want_ids[i]);
        xmlFree(id);
        double xs[16], ys[16];
        int k = points(n, xs, ys, 16);
        assert_int_equal(k, want_pts[i]);
        assert_true(fabs(xs[0] - p.area_x) < 0.01);
        assert_true(fabs(xs[k - 1] - (p.area_x + p.area_w)) < 0.01);
        for (int j = 0; j < k; j++) {
            assert_true(ys[j] >= p.area_y - 0.01 && ys[j] <= p.area_y + p.area_h + 0.01);
            if (ys[j] < top) {
                top = ys[j];
                top_x = xs[j];
            }
            bottom = ys[j] > bottom ? ys[j] : bottom;
        }
    }
    /* The peak (250 at time index 2 of 0..4) is the highest point, midway,
     * with headroom: the axis tops out at the next tick above 250 + 5 %. */
    assert_true(top > p.area_y + 1.0 && top <= p.area_y + 0.3 * p.area_h);
    assert_true(fabs(top_x - (p.area_x + p.area_w / 2)) < 0.01);
    assert_true(bottom < p.area_y + p.area_h + 0.01);
    /* Title escaped and readable; legend names the roles. */
    assert_non_null(strstr(svg, "AMAT2 \xe2\x80\x94 Canadian River &lt;&amp;&gt; &quot;x&quot;"));
    assert_non_null(strstr(svg, "wb-800137 (forecast point)"));
    assert_non_null(strstr(svg, "wb-800143 (outlet)"));
    assert_non_null(strstr(svg, ">Flow (m\xc2\xb3/s)<"));
    assert_non_null(strstr(svg, ">Time (UTC)<"));
    assert_non_null(strstr(svg, ">08:00<")); /* tick at the second hourly time */
    parsed_free(&p);
    free(svg);
}

/* The saved file holds exactly what the stream writer gives, is readable by
 * all, and a failed save (destination is a directory, or nothing to plot)
 * leaves no file behind. */
static void test_save(void **state)
{
    (void)state;
    fixture fx;
    fixture_init(&fx);
    int rc;
    size_t len;
    char *want = render(&fx.t, NULL, &rc, &len);
    assert_int_equal(rc, RNR_OK);
    char *dir = tu_tempdir("svgsave"), path[512];
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/plot.svg", dir);
    rnr_error e = {0, ""};
    assert_int_equal(svg_hydrograph_save(path, &fx.t, NULL, &e), RNR_OK);
    size_t got_len;
    char *got = tu_read_file(path, &got_len);
    assert_non_null(got);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, want, len);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    free(got);
    free(want);

    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(svg_hydrograph_save(path, &fx.t, NULL, &e), RNR_ERR_IO);
    assert_non_null(strstr(e.msg, path));
    for (int i = 0; i < NSEG * NT; i++)
        fx.q[i] = -9999.0f;
    snprintf(path, sizeof path, "%s/none.svg", dir);
    assert_int_equal(svg_hydrograph_save(path, &fx.t, NULL, &e), RNR_ERR_INVALID);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int entries = 0;
    for (struct dirent *de; (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            entries++;
            assert_true(!strcmp(de->d_name, "plot.svg") || !strcmp(de->d_name, "sub"));
        }
    closedir(d);
    assert_int_equal(entries, 2);
    tu_rmrf(dir);
    free(dir);
}

static void test_bad_input(void **state)
{
    (void)state;
    fixture fx;
    fixture_init(&fx);
    for (int i = 0; i < NSEG * NT; i++)
        fx.q[i] = -9999.0f;
    int rc;
    size_t len;
    char *svg = render(&fx.t, NULL, &rc, &len);
    assert_int_equal(rc, RNR_ERR_INVALID);
    assert_int_equal(len, 0);
    free(svg);
    fixture_init(&fx);
    svg_opts tiny = {10, 10, 0, NULL, 0};
    svg = render(&fx.t, &tiny, &rc, &len);
    assert_int_equal(rc, RNR_ERR_INVALID);
    free(svg);
    /* Invalid UTF-8 in a name must not break the XML. */
    fixture_init(&fx);
    strcpy(fx.t.name, "Rio Grande \xc3\xa9 \xff\xc3 end");
    svg = render(&fx.t, NULL, &rc, &len);
    assert_int_equal(rc, RNR_OK);
    parsed u;
    parse_svg(svg, len, &u);
    assert_non_null(strstr(svg, "Rio Grande \xc3\xa9 ?? end"));
    parsed_free(&u);
    free(svg);
    /* Flat flow still gives a valid axis with the line below the top. */
    for (int i = 0; i < NSEG * NT; i++)
        fx.q[i] = 42.0f;
    svg_opts one = {0, 0, 1, "flat", 0};
    svg = render(&fx.t, &one, &rc, &len);
    assert_int_equal(rc, RNR_OK);
    parsed p;
    parse_svg(svg, len, &p);
    assert_int_equal(p.lines->nodesetval->nodeNr, 1);
    double xs[8], ys[8];
    assert_int_equal(points(p.lines->nodesetval->nodeTab[0], xs, ys, 8), NT);
    assert_true(ys[3] > p.area_y + 1.0 && ys[3] < p.area_y + p.area_h);
    parsed_free(&p);
    free(svg);
}

static void test_reference_plot(void **state)
{
    (void)state;
    const char *dir = getenv("RNR_REFERENCE_DIR");
    struct stat st;
    if (!dir || stat(dir, &st) != 0) {
        fail_msg(
            "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)");
    }
    char path[512];
    snprintf(path, sizeof path, "%s/troute-output/troute_output_202505060600.nc", dir);
    nc_table *t;
    rnr_error e;
    assert_int_equal(nc_output_read(path, &t, &e), RNR_OK);
    int rc;
    size_t len;
    char *svg = render(t, NULL, &rc, &len);
    assert_int_equal(rc, RNR_OK);
    parsed p;
    parse_svg(svg, len, &p);
    assert_int_equal(p.lines->nodesetval->nodeNr, 4);
    const char *want_ids[4] = {"800137", "800144", "800151", "800158"};
    for (int i = 0; i < 4; i++) {
        xmlChar *id =
            xmlGetProp(p.lines->nodesetval->nodeTab[i], (const xmlChar *)"data-feature-id");
        assert_string_equal((const char *)id, want_ids[i]);
        xmlFree(id);
        double xs[128], ys[128];
        assert_int_equal(points(p.lines->nodesetval->nodeTab[i], xs, ys, 128), 96);
    }
    /* Hourly from 07:00 on 05-06 to 06:00 on 05-10: 12-hour ticks. */
    assert_non_null(strstr(svg, ">2025-05-10<"));
    assert_null(strstr(svg, ">2025-05-11<"));
    /* t-route's file has no forecast series: no markers, no thresholds. */
    assert_null(strstr(svg, "<circle"));
    assert_null(strstr(svg, "class=\"threshold\""));
    parsed_free(&p);
    free(svg);
    nc_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_segments),  cmocka_unit_test(test_hydrograph),
        cmocka_unit_test(test_bad_input),      cmocka_unit_test(test_save),
        cmocka_unit_test(test_reference_plot),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
