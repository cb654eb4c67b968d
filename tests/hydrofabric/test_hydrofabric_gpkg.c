/* test_hydrofabric_gpkg.c - GeoPackage geometry blobs: header flags,
 * WKB in both byte orders with Z/M variants, and malformed blobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hydrofabric/gpkg.h"

#include <stdlib.h>
#include <string.h>

typedef struct wb {
    uint8_t b[512];
    size_t n;
    int le;
} wb;

static void put_u8(wb *w, uint8_t v)
{
    w->b[w->n++] = v;
}

static void put_u32(wb *w, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        w->b[w->n++] = (uint8_t)(v >> (8 * (w->le ? i : 3 - i)));
}

static void put_f64(wb *w, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    for (int i = 0; i < 8; i++)
        w->b[w->n++] = (uint8_t)(u >> (8 * (w->le ? i : 7 - i)));
}

/* GP header with the given envelope code; byte order from w->le. */
static void header(wb *w, int env_code, int32_t srs)
{
    static const int nd[5] = {0, 4, 6, 6, 8};
    put_u8(w, 'G');
    put_u8(w, 'P');
    put_u8(w, 0);
    put_u8(w, (uint8_t)((w->le ? 1 : 0) | env_code << 1));
    put_u32(w, (uint32_t)srs);
    for (int i = 0; i < nd[env_code]; i++)
        put_f64(w, (double)i);
}

static char *decode(const wb *w)
{
    char *wkt = NULL;
    rnr_error err = {0};
    assert_int_equal(gpkg_geom_to_wkt(w->b, w->n, &wkt, &err), 0);
    return wkt;
}

static void test_linestring_both_orders(void **state)
{
    (void)state;
    for (int le = 0; le <= 1; le++) {
        wb w = {.le = le};
        header(&w, 1, 5070);
        put_u8(&w, (uint8_t)le);
        put_u32(&w, 2);
        put_u32(&w, 3);
        double c[6] = {-18476.4572670074, 645070.943362119, 0.1, 0.2, 1e-300, -3.0};
        for (int i = 0; i < 6; i++)
            put_f64(&w, c[i]);
        gpkg_geom_header h;
        rnr_error err = {0};
        assert_int_equal(gpkg_header_parse(w.b, w.n, &h, &err), 0);
        assert_int_equal(h.srs_id, 5070);
        assert_int_equal(h.envelope_code, 1);
        assert_int_equal(h.wkb_offset, 8 + 32);
        assert_true(h.envelope[3] == 3.0);
        char *wkt = decode(&w);
        assert_string_equal(wkt,
                            "LINESTRING (-18476.4572670074 645070.943362119, 0.1 0.2, 1e-300 -3)");
        free(wkt);
    }
}

static void test_z_m_variants(void **state)
{
    (void)state;
    /* ISO codes and EWKB flags for Z, M, ZM; every envelope size. */
    const uint32_t types[6] = {1002, 2002, 3002, 0x80000002u, 0x40000002u, 0xC0000002u};
    const char *names[6] = {"LINESTRING Z (1 2 3, 4 5 6)",      "LINESTRING M (1 2 3, 4 5 6)",
                            "LINESTRING ZM (1 2 3 4, 5 6 7 8)", "LINESTRING Z (1 2 3, 4 5 6)",
                            "LINESTRING M (1 2 3, 4 5 6)",      "LINESTRING ZM (1 2 3 4, 5 6 7 8)"};
    const int dims[6] = {3, 3, 4, 3, 3, 4};
    for (int t = 0; t < 6; t++) {
        wb w = {.le = t % 2};
        header(&w, t % 5, 5070);
        put_u8(&w, (uint8_t)w.le);
        put_u32(&w, types[t]);
        put_u32(&w, 2);
        for (int i = 0; i < 2 * dims[t]; i++)
            put_f64(&w, i + 1);
        char *wkt = decode(&w);
        assert_string_equal(wkt, names[t]);
        free(wkt);
    }
}

static void test_multilinestring_and_point(void **state)
{
    (void)state;
    wb w = {.le = 1};
    header(&w, 0, 5070);
    put_u8(&w, 1);
    put_u32(&w, 5);
    put_u32(&w, 2);
    for (int part = 0; part < 2; part++) {
        w.le = part; /* members may use their own byte order */
        put_u8(&w, (uint8_t)w.le);
        put_u32(&w, 2);
        put_u32(&w, 2);
        for (int i = 0; i < 4; i++)
            put_f64(&w, 10 * part + i);
    }
    char *wkt = decode(&w);
    assert_string_equal(wkt, "MULTILINESTRING ((0 1, 2 3), (10 11, 12 13))");
    free(wkt);

    uint8_t blob[64];
    size_t n = gpkg_blob_point(5070, 1.5, -2.25, blob, sizeof blob);
    assert_int_equal(n, 29);
    rnr_error err = {0};
    assert_int_equal(gpkg_geom_to_wkt(blob, n, &wkt, &err), 0);
    assert_string_equal(wkt, "POINT (1.5 -2.25)");
    free(wkt);
}

static void test_encoder_round_trip(void **state)
{
    (void)state;
    double xy[8] = {0.1 + 0.2, 1.0 / 3.0, -2300000.123456789, 3100000.987654321, 5e-324, 1e308,
                    42,        -0.0};
    uint8_t blob[256];
    size_t n = gpkg_blob_linestring(5070, xy, 4, blob, sizeof blob);
    assert_int_equal(n, 8 + 32 + 9 + 64);
    assert_int_equal(gpkg_blob_linestring(5070, xy, 4, blob, 50), 0);
    char *wkt = NULL;
    rnr_error err = {0};
    assert_int_equal(gpkg_geom_to_wkt(blob, n, &wkt, &err), 0);
    assert_string_equal(wkt,
                        "LINESTRING (0.30000000000000004 0.3333333333333333, -2300000.123456789 "
                        "3100000.987654321, 4.94065645841247e-324 1e+308, 42 -0)");
    /* every printed number reads back to the exact double */
    const char *p = wkt + strlen("LINESTRING (");
    for (int i = 0; i < 8; i++) {
        char *end;
        double v = strtod(p, &end);
        assert_true(memcmp(&v, &xy[i], 8) == 0);
        p = end + strspn(end, ", )");
    }
    free(wkt);
}

static void test_malformed(void **state)
{
    (void)state;
    double xy[6] = {1, 2, 3, 4, 5, 6};
    uint8_t blob[256];
    size_t n = gpkg_blob_linestring(5070, xy, 3, blob, sizeof blob);
    char *wkt = NULL;
    rnr_error err = {0};
    /* every truncation fails cleanly (ASan catches an overread) */
    for (size_t k = 0; k < n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, blob, k);
        assert_int_not_equal(gpkg_geom_to_wkt(copy, k, &wkt, &err), 0);
        assert_null(wkt);
        free(copy);
    }
    uint8_t bad[256];
    memcpy(bad, blob, n);
    bad[0] = 'X';
    assert_int_equal(gpkg_geom_to_wkt(bad, n, &wkt, &err), RNR_ERR_PARSE);
    assert_non_null(strstr(err.msg, "magic"));
    memcpy(bad, blob, n);
    bad[3] = (uint8_t)(1 | 6 << 1); /* envelope code 6 is invalid */
    assert_int_equal(gpkg_geom_to_wkt(bad, n, &wkt, &err), RNR_ERR_PARSE);
    memcpy(bad, blob, n);
    bad[40] = 7; /* WKB byte order byte */
    assert_int_equal(gpkg_geom_to_wkt(bad, n, &wkt, &err), RNR_ERR_PARSE);
    memcpy(bad, blob, n);
    memset(bad + 45, 0xff, 4); /* point count 4294967295 */
    assert_int_equal(gpkg_geom_to_wkt(bad, n, &wkt, &err), RNR_ERR_PARSE);
    assert_non_null(strstr(err.msg, "exceeds the blob"));
    memcpy(bad, blob, n);
    bad[41] = 3; /* polygon: not a flowpath geometry */
    assert_int_equal(gpkg_geom_to_wkt(bad, n, &wkt, &err), RNR_ERR_UNSUPPORTED);
    memcpy(bad, blob, n);
    bad[41] = 5; /* multilinestring whose member count is absurd */
    assert_int_not_equal(gpkg_geom_to_wkt(bad, n, &wkt, &err), 0);

    /* a multilinestring nesting a multilinestring is rejected */
    wb w = {.le = 1};
    header(&w, 0, 5070);
    put_u8(&w, 1);
    put_u32(&w, 5);
    put_u32(&w, 1);
    put_u8(&w, 1);
    put_u32(&w, 5);
    put_u32(&w, 0);
    assert_int_not_equal(gpkg_geom_to_wkt(w.b, w.n, &wkt, &err), 0);
    assert_null(wkt);
}

/* Random byte flips of valid blobs: decode or fail, never read outside
 * (ASan), and a success is well-formed WKT. */
static void test_mutations(void **state)
{
    (void)state;
    wb w = {.le = 1};
    header(&w, 1, 5070);
    put_u8(&w, 1);
    put_u32(&w, 5);
    put_u32(&w, 2);
    for (int part = 0; part < 2; part++) {
        put_u8(&w, 1);
        put_u32(&w, 1002);
        put_u32(&w, 2);
        for (int i = 0; i < 6; i++)
            put_f64(&w, i);
    }
    uint64_t r = 99;
    size_t ok = 0;
    for (int iter = 0; iter < 20000; iter++) {
        uint8_t *b = malloc(w.n);
        memcpy(b, w.b, w.n);
        for (int k = 0; k < 3; k++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            b[(r >> 33) % w.n] = (uint8_t)(r >> 20);
        }
        size_t n = w.n - (size_t)(iter % 7 == 0 ? (r >> 40) % w.n : 0);
        char *wkt = NULL;
        rnr_error err = {0};
        if (gpkg_geom_to_wkt(b, n, &wkt, &err) == 0) {
            assert_non_null(wkt);
            assert_true(strncmp(wkt, "MULTILINESTRING", 15) == 0 ||
                        strncmp(wkt, "LINESTRING", 10) == 0 || strncmp(wkt, "POINT", 5) == 0);
            ok++;
        } else {
            assert_null(wkt);
            assert_true(err.msg[0] != 0);
        }
        free(wkt);
        free(b);
    }
    assert_true(ok > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linestring_both_orders),
        cmocka_unit_test(test_z_m_variants),
        cmocka_unit_test(test_multilinestring_and_point),
        cmocka_unit_test(test_encoder_round_trip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
