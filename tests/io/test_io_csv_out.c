/* test_io_csv_out.c - inundation CSV/GeoJSON, WKT reader, number text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "io/csv_out.h"
#include "io/numfmt.h"
#include "io/wkt.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *capture_csv(const inundation_row *rows, size_t n, int geojson, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    rnr_error e;
    *rc = geojson ? geojson_inundation_write(f, rows, n, &e) : csv_inundation_write(f, rows, n, &e);
    fclose(f);
    return buf;
}

static void test_numfmt(void **state)
{
    (void)state;
    char b[40];
    struct {
        double v;
        const char *s;
    } d[] = {{0.0, "0.0"},
             {832.0, "832.0"},
             {0.25, "0.25"},
             {1.2427, "1.2427"},
             {1e16, "1e+16"},
             {1.5e-5, "1.5e-05"},
             {0.0001, "0.0001"},
             {123456789.5, "123456789.5"},
             {-2.5, "-2.5"},
             {0.1 + 0.2, "0.30000000000000004"},
             /* powers of two (asymmetric rounding interval), extremes, long digit strings:
              * Python's repr of each */
             {1152921504606846976.0, "1.152921504606847e+18"},
             {0.5, "0.5"},
             {1024.0, "1024.0"},
             {2.2250738585072014e-308, "2.2250738585072014e-308"},
             {5e-324, "5e-324"},
             {1e23, "1e+23"},
             {-97.1234567, "-97.1234567"},
             {1.7976931348623157e308, "1.7976931348623157e+308"},
             {9007199254740993.0, "9007199254740992.0"},
             {0.000123456789012345678, "0.00012345678901234567"}};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        assert_int_equal(numfmt_double(d[i].v, b, sizeof b), 0);
        assert_string_equal(b, d[i].s);
    }
    assert_int_equal(numfmt_float(832.5153f * 35.3147f, b, sizeof b), 0);
    assert_string_equal(b, "29400.03");
    assert_int_equal(numfmt_float(0.1f, b, sizeof b), 0);
    assert_string_equal(b, "0.1");
    assert_int_equal(numfmt_float(16777216.0f, b, sizeof b), 0); /* 2^24 */
    assert_string_equal(b, "16777216.0");
    assert_int_equal(numfmt_float(3.4028235e38f, b, sizeof b), 0);
    assert_string_equal(b, "3.4028235e+38");
    assert_int_equal(numfmt_float(1e-45f, b, sizeof b), 0);
    assert_string_equal(b, "1e-45");
    assert_int_equal(numfmt_float(NAN, b, sizeof b), 0);
    assert_string_equal(b, "nan");
    assert_int_equal(numfmt_double(1234.5, b, 4), -1);
}

static void test_inherited_text(void **state)
{
    (void)state;
    char b[256];
    assert_int_equal(
        inundation_inherited_text(b, sizeof b, "major", 1746511200, "AMAT2", 5671176, 4, 0.0), 0);
    assert_string_equal(
        b, "major issued 2025-05-06_06:00:00 at AMAT2 (5671176 [order 4]) 0.0 miles upstream");
    assert_int_equal(
        inundation_inherited_text(b, sizeof b, "minor", 1746511200, "AMAT2", 7, 2, 1.5 * 0.621371),
        0);
    assert_string_equal(
        b,
        "minor issued 2025-05-06_06:00:00 at AMAT2 (7 [order 2]) 0.9320565000000001 miles upstream");
    assert_int_equal(inundation_inherited_text(b, 20, "major", 1746511200, "AMAT2", 1, 1, 0.0), -1);
}

static const char WKT1[] = "LINESTRING (-512345.25 1234567.5, -512300 1234600.125)";
static const char WKT2[] = "MULTILINESTRING ((1 2, 3 4, 5 6), (7 8,9 10))";

static void rows_init(inundation_row r[2])
{
    inundation_row a = {800137,  4,          "Canadian River, \"North\"",
                        "TX",    832.5153f,  "major issued x, y",
                        "major", 1746511200, 1746540000,
                        WKT1,    832.5153f,  NULL,
                        NULL};
    inundation_row b = {800138,     4,          "",   "TX", 1.0f, "plain", "minor",
                        1746511200, 1746540000, WKT2, 1.0f, NULL, NULL};
    r[0] = a;
    r[1] = b;
}

static void test_csv(void **state)
{
    (void)state;
    inundation_row r[2];
    rows_init(r);
    int rc;
    char *out = capture_csv(r, 2, 0, &rc);
    assert_int_equal(rc, RNR_OK);
    const char *want =
        "feature_id,feature_id_str,strm_order,name,state,streamflow_cfs,inherited_rfc_forecasts,max_status,"
        "reference_time,update_time,geom\n"
        "800137,wb-800137,4,\"Canadian River, \"\"North\"\"\",TX,29400.03,\"major issued x, y\",major,"
        "2025-05-06_06:00:00,2025-05-06_14:00:00,\"LINESTRING (-512345.25 1234567.5, -512300 1234600.125)\"\n"
        "800138,wb-800138,4,,TX,35.3147,plain,minor,2025-05-06_06:00:00,2025-05-06_14:00:00,"
        "\"MULTILINESTRING ((1 2, 3 4, 5 6), (7 8,9 10))\"\n";
    assert_string_equal(out, want);
    free(out);
    /* Non-finite flow: an empty cell; a line break in a name stays quoted. */
    r[0].flow_cms = NAN;
    r[0].name = "two\nlines";
    out = capture_csv(r, 1, 0, &rc);
    assert_non_null(strstr(out, "\n800137,wb-800137,4,\"two\nlines\",TX,,"));
    free(out);
    out = capture_csv(r, 0, 0, &rc);
    assert_int_equal(rc, RNR_OK);
    assert_string_equal(
        out, "feature_id,feature_id_str,strm_order,name,state,streamflow_cfs,inherited_rfc_"
             "forecasts,max_status,reference_time,update_time,geom\n");
    free(out);
}

static void test_geojson(void **state)
{
    (void)state;
    inundation_row r[2];
    rows_init(r);
    int rc;
    char *out = capture_csv(r, 2, 1, &rc);
    assert_int_equal(rc, RNR_OK);
    json_error_t je;
    json_t *doc = json_loads(out, 0, &je);
    free(out);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), "FeatureCollection");
    /* RFC 7946: WGS84 lon/lat, no "crs" member. */
    assert_null(json_object_get(doc, "crs"));
    json_t *fs = json_object_get(doc, "features");
    assert_int_equal(json_array_size(fs), 2);
    json_t *f0 = json_array_get(fs, 0), *g0 = json_object_get(f0, "geometry");
    assert_string_equal(json_string_value(json_object_get(g0, "type")), "LineString");
    json_t *c0 = json_object_get(g0, "coordinates");
    assert_int_equal(json_array_size(c0), 2);
    /* EPSG:5070 -> lon/lat, as gdaltransform -s_srs EPSG:5070 -t_srs OGC:CRS84
     * gives them (-101.593685250242 34.0403384190919 ...), to 7 decimals. */
    assert_true(json_number_value(json_array_get(json_array_get(c0, 0), 0)) == -101.5936853);
    assert_true(json_number_value(json_array_get(json_array_get(c0, 0), 1)) == 34.0403384);
    assert_true(json_number_value(json_array_get(json_array_get(c0, 1), 0)) == -101.5932133);
    assert_true(json_number_value(json_array_get(json_array_get(c0, 1), 1)) == 34.0406536);
    json_t *p0 = json_object_get(f0, "properties");
    assert_int_equal(json_integer_value(json_object_get(p0, "feature_id")), 800137);
    assert_string_equal(json_string_value(json_object_get(p0, "feature_id_str")), "wb-800137");
    assert_int_equal(json_integer_value(json_object_get(p0, "strm_order")), 4);
    assert_string_equal(json_string_value(json_object_get(p0, "name")),
                        "Canadian River, \"North\"");
    assert_true((float)json_real_value(json_object_get(p0, "streamflow_cfs")) ==
                832.5153f * 35.3147f);
    assert_string_equal(json_string_value(json_object_get(p0, "reference_time")),
                        "2025-05-06_06:00:00");
    assert_string_equal(json_string_value(json_object_get(p0, "update_time")),
                        "2025-05-06_14:00:00");
    assert_string_equal(json_string_value(json_object_get(p0, "max_status")), "major");
    assert_null(json_object_get(p0, "geom"));
    json_t *g1 = json_object_get(json_array_get(fs, 1), "geometry");
    assert_string_equal(json_string_value(json_object_get(g1, "type")), "MultiLineString");
    json_t *c1 = json_object_get(g1, "coordinates");
    assert_int_equal(json_array_size(c1), 2);
    assert_int_equal(json_array_size(json_array_get(c1, 0)), 3);
    assert_int_equal(json_array_size(json_array_get(c1, 1)), 2);
    /* Near the projection's origin (-96, 23): (5 m, 6 m) -> (-95.9999521, 23.0000552). */
    assert_true(json_number_value(json_array_get(json_array_get(json_array_get(c1, 0), 2), 0)) ==
                -95.9999521);
    assert_true(json_number_value(json_array_get(json_array_get(json_array_get(c1, 0), 2), 1)) ==
                23.0000552);
    json_decref(doc);
}

/* Rows carrying their geometry pre-rendered by geojson_geometry_text give
 * the same document, byte for byte, as rows the writer renders itself. */
static void test_geojson_prerendered(void **state)
{
    (void)state;
    inundation_row r[2];
    rows_init(r);
    int rc;
    char *plain = capture_csv(r, 2, 1, &rc);
    assert_int_equal(rc, RNR_OK);
    reproj *rp;
    rnr_error e;
    assert_int_equal(reproj_new("EPSG:5070", &rp, &e), RNR_OK);
    char *g0, *g1;
    assert_int_equal(geojson_geometry_text(WKT1, rp, &g0, &e), RNR_OK);
    assert_int_equal(geojson_geometry_text(WKT2, rp, &g1, &e), RNR_OK);
    assert_non_null(strstr(plain, g0));
    assert_non_null(strstr(plain, g1));
    r[0].geom_json = g0;
    r[1].geom_json = g1;
    char *pre = capture_csv(r, 2, 1, &rc);
    assert_int_equal(rc, RNR_OK);
    assert_string_equal(pre, plain);
    char *bad = (char *)1;
    assert_int_equal(geojson_geometry_text("LINESTRING (1 2)", rp, &bad, &e), RNR_ERR_PARSE);
    assert_null(bad);
    free(pre);
    free(plain);
    free(g0);
    free(g1);
    reproj_free(rp);
}

static void test_geojson_rejects_bad_wkt(void **state)
{
    (void)state;
    inundation_row r[2];
    rows_init(r);
    r[1].geom_wkt = "LINESTRING (1 2, 3)";
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rnr_error e;
    assert_int_equal(geojson_inundation_write(f, r, 2, &e), RNR_ERR_PARSE);
    fclose(f);
    assert_int_equal(len, 0); /* nothing written */
    free(buf);
    assert_non_null(strstr(e.msg, "inundation row 1 (feature 800138)"));
    /* A CRS PROJ does not know: a one-line error naming it, nothing written. */
    r[1].geom_wkt = WKT2;
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(geojson_inundation_write_from(f, r, 2, "EPSG:999999", &e), RNR_ERR_INVALID);
    fclose(f);
    assert_int_equal(len, 0);
    free(buf);
    assert_non_null(strstr(e.msg, "EPSG:999999"));
}

static void test_geojson_null_geometry(void **state)
{
    (void)state;
    inundation_row r[2];
    rows_init(r);
    r[0].geom_wkt = NULL;
    r[1].geom_wkt = "";
    r[1].name = "R\xc3\xado \xed\xa0\x80 \x01";
    int rc;
    char *out = capture_csv(r, 2, 1, &rc);
    assert_int_equal(rc, RNR_OK);
    json_t *doc = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(doc);
    json_t *fs = json_object_get(doc, "features");
    assert_true(json_is_null(json_object_get(json_array_get(fs, 0), "geometry")));
    assert_true(json_is_null(json_object_get(json_array_get(fs, 1), "geometry")));
    json_t *p1 = json_object_get(json_array_get(fs, 1), "properties");
    assert_string_equal(json_string_value(json_object_get(p1, "name")),
                        "R\xc3\xado \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \x01");
    json_decref(doc);
}

static void test_rows_from_table(void **state)
{
    (void)state;
    int64_t fids[3] = {800137, 800138, 800139}, times[2] = {1746514800, 1746518400};
    float q[6] = {10, 20, 30, 40, 15, 5}; /* peak 40 at segment 1, time 1 */
    nc_table t = {0};
    t.nseg = 3;
    t.ntime = 2;
    t.feature_ids = fids;
    t.times = times;
    t.flow = q;
    t.reference_time = 1746511200;
    t.stream_order = 4;
    t.rfc_reach_id = 5671176;
    strcpy(t.max_status, "major");
    strcpy(t.rfc_location, "AMAT2");
    strcpy(t.state, "TX");
    strcpy(t.name, "Canadian River");
    double km[3] = {1.5, 2.0, 9.0};
    const char *wkt[3] = {WKT1, WKT2, NULL};
    inundation_row *rows;
    size_t n;
    rnr_error e;
    assert_int_equal(inundation_rows_from_table(&t, km, wkt, 1746540000, &rows, &n, &e), RNR_OK);
    assert_int_equal(n, 3);
    assert_true(rows[0].flow_cms == 20.0f);
    assert_true(rows[1].flow_cms == 40.0f);
    assert_true(rows[2].flow_cms == 5.0f);
    assert_int_equal(rows[2].feature_id, 800139);
    assert_int_equal(rows[1].stream_order, 4);
    assert_string_equal(rows[1].name, "Canadian River");
    assert_string_equal(rows[1].state, "TX");
    assert_ptr_equal(rows[1].geom_wkt, WKT2);
    assert_int_equal(rows[0].update_time, 1746540000);
    assert_string_equal(
        rows[0].inherited_rfc_forecasts,
        "major issued 2025-05-06_06:00:00 at AMAT2 (5671176 [order 4]) 0.0 miles upstream");
    assert_string_equal(rows[1].inherited_rfc_forecasts,
                        "major issued 2025-05-06_06:00:00 at AMAT2 "
                        "(5671176 [order 4]) 0.9320565000000001 miles upstream");
    /* 1.5 * 0.621371 + 2.0 * 0.621371, summed in that order */
    assert_string_equal(
        rows[2].inherited_rfc_forecasts,
        "major issued 2025-05-06_06:00:00 at AMAT2 (5671176 [order 4]) 2.1747985 miles upstream");
    int rc;
    char *out = capture_csv(rows, n, 0, &rc);
    assert_int_equal(rc, RNR_OK);
    assert_non_null(strstr(out,
                           "\n800138,wb-800138,4,Canadian River,TX,1412.588,major issued "
                           "2025-05-06_06:00:00 at AMAT2 (5671176 [order 4]) 0.9320565000000001 "
                           "miles upstream,major,2025-05-06_06:00:00,2025-05-06_14:00:00,"
                           "\"MULTILINESTRING"));
    free(out);
    free(rows);
    for (int i = 0; i < 6; i++)
        q[i] = -9999.0f;
    assert_int_equal(inundation_rows_from_table(&t, NULL, NULL, 0, &rows, &n, &e),
                     RNR_ERR_NOTFOUND);
    assert_null(rows);
}

static void test_wkt(void **state)
{
    (void)state;
    wkt_lines *g;
    rnr_error e;
    assert_int_equal(wkt_lines_parse("  linestring(0 0,1.5e3 -2)  ", &g, &e), RNR_OK);
    assert_int_equal(g->multi, 0);
    assert_int_equal(g->nparts, 1);
    assert_int_equal(g->npoints, 2);
    assert_true(g->xy[2] == 1500.0 && g->xy[3] == -2.0);
    wkt_lines_free(g);
    assert_int_equal(wkt_lines_parse(WKT2, &g, &e), RNR_OK);
    assert_int_equal(g->multi, 1);
    assert_int_equal(g->nparts, 2);
    assert_int_equal(g->part_end[0], 3);
    assert_int_equal(g->part_end[1], 5);
    wkt_lines_free(g);
    const char *bad[] = {"",
                         "POINT (1 2)",
                         "LINESTRING EMPTY",
                         "LINESTRING (1 2)",
                         "LINESTRING (1 2, 3 4",
                         "LINESTRING (1 2, 3 4) x",
                         "LINESTRING Z (1 2 3, 4 5 6)",
                         "LINESTRING (1 2 3, 4 5 6)",
                         "LINESTRING (1 2, nan 4)",
                         "LINESTRING (1 2, 1e999 4)",
                         "LINESTRINGX (1 2, 3 4)",
                         "MULTILINESTRING ((1 2, 3 4),)",
                         "MULTILINESTRING (1 2, 3 4)",
                         "LINESTRING (1, 2 3 4)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        g = (wkt_lines *)1;
        assert_int_equal(wkt_lines_parse(bad[i], &g, &e), RNR_ERR_PARSE);
        assert_null(g);
        assert_non_null(strstr(e.msg, "WKT geometry"));
    }
    assert_int_equal(wkt_lines_parse(NULL, &g, &e), RNR_ERR_PARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numfmt),
        cmocka_unit_test(test_inherited_text),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_geojson),
        cmocka_unit_test(test_geojson_rejects_bad_wkt),
        cmocka_unit_test(test_wkt),
        cmocka_unit_test(test_geojson_null_geometry),
        cmocka_unit_test(test_rows_from_table),
        cmocka_unit_test(test_geojson_prerendered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
