/* test_services_pp_geom.c - the post-processor's flowpath memory: what it
 * joins is what the hydrofabric says, an unknown flowpath is reported
 * (and remembered), the GeoJSON text is the writer's and is only given
 * for the WKT it was made from, and trimming forgets nothing early. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hydrofabric/hf.h"
#include "io/csv_out.h"
#include "io/reproject.h"
#include "services/pp_geom.h"

static hf_db *open_sample(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/data/sample/domain.gpkg", getenv("RNR_SOURCE_DIR"));
    hf_db *hf = NULL;
    rnr_error e;
    assert_int_equal(hf_open(path, &hf, &e), RNR_OK);
    return hf;
}

static void test_join_matches_hydrofabric(void **state)
{
    (void)state;
    hf_db *hf = open_sample();
    pp_geom *g;
    rnr_error e;
    assert_int_equal(pp_geom_new(hf, hf_crs(hf), &g, &e), RNR_OK);
    for (int64_t id = 1; id <= 400; id += 37) {
        hf_flowpath fp;
        double len;
        const char *wkt;
        assert_int_equal(hf_flowpath_lookup(hf, id, &fp, &e), RNR_OK);
        for (int pass = 0; pass < 2; pass++) { /* the second answer comes from memory */
            assert_int_equal(pp_geom_join(g, id, &len, &wkt, &e), RNR_OK);
            assert_true(len == fp.lengthkm);
            assert_non_null(wkt);
            assert_string_equal(wkt, fp.geometry_wkt);
        }
        hf_flowpath_clear(&fp);
    }
    double len = 1;
    const char *wkt = "x";
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(pp_geom_join(g, 999999999, &len, &wkt, &e), RNR_ERR_NOTFOUND);
        assert_non_null(strstr(e.msg, "wb-999999999"));
        assert_true(len == 0);
        assert_null(wkt);
    }
    pp_geom_free(g);
    hf_close(hf);
}

static void test_json_is_the_writers(void **state)
{
    (void)state;
    hf_db *hf = open_sample();
    pp_geom *g;
    rnr_error e;
    assert_int_equal(pp_geom_new(hf, NULL, &g, &e), RNR_OK);
    assert_null(pp_geom_json(g, 53, "LINESTRING (1 2, 3 4)")); /* nothing joined yet */
    double len;
    const char *wkt;
    assert_int_equal(pp_geom_join(g, 53, &len, &wkt, &e), RNR_OK);
    char *copy = strdup(wkt);
    const char *json = pp_geom_json(g, 53, copy);
    assert_non_null(json);
    reproj *rp;
    char *want;
    assert_int_equal(reproj_new("EPSG:5070", &rp, &e), RNR_OK);
    assert_int_equal(geojson_geometry_text(copy, rp, &want, &e), RNR_OK);
    assert_string_equal(json, want);
    assert_ptr_equal(pp_geom_json(g, 53, copy), json); /* rendered once */
    /* A row stored from another hydrofabric: not this flowpath's text. */
    assert_null(pp_geom_json(g, 53, "LINESTRING (1 2, 3 4)"));
    assert_null(pp_geom_json(g, 52, copy)); /* never joined */
    assert_null(pp_geom_json(g, 53, NULL));
    pp_geom_trim(g); /* under the bound: keeps everything */
    assert_ptr_equal(pp_geom_json(g, 53, copy), json);
    free(want);
    free(copy);
    reproj_free(rp);
    pp_geom_free(g);
    hf_close(hf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_matches_hydrofabric),
        cmocka_unit_test(test_json_is_the_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
