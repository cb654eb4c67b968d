/* test_io_reproject.c - the transformation to WGS84 never reads PROJ
 * resource files from the working directory: grid files PROJ looks for
 * when it sets up EPSG:5070 -> 4326 are planted in a temporary working
 * directory, and inotify must see none of them opened (PROJ left to its
 * defaults without PROJ_DATA opened each there before its own
 * directories). Also: the transform still gives the right place, and the
 * pipeline EPSG:5070 is built from without proj.db is, point for point,
 * what the installed PROJ derives from its database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "io/reproject.h"
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

/* rp takes a point in Texas (CONUS Albers, metres) to the right lon/lat
 * (PROJ 9.1: -97.064284, 32.068732). */
static void assert_texas(reproj *rp)
{
    rnr_error e = {0};
    double xy[2] = {-100000.0, 1000000.0};
    assert_int_equal(reproj_points(rp, xy, 1, &e), RNR_OK);
    assert_true(fabs(xy[0] - -97.064284) < 1e-5 && fabs(xy[1] - 32.068732) < 1e-5);
}

static void test_no_grid_from_cwd(void **state)
{
    (void)state;
    char *dir = tu_tempdir("reproj-cwd");
    static const char *const grids[] = {
        "us_noaa_cshpgn.tif",  "cshpgn.gsb", "us_noaa_FL.tif",    "us_noaa_WO.tif",
        "ca_nrc_NA83SCRS.tif", "alhpgn.gsb", "us_noaa_alhpgn.tif"};
    for (size_t i = 0; i < sizeof grids / sizeof *grids; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, grids[i]);
        assert_int_equal(tu_write_file(path, "not a grid"), 0);
    }
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    assert_true(fd >= 0);
    assert_true(inotify_add_watch(fd, dir, IN_OPEN) >= 0);
    char here[4096];
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(dir), 0);
    unsetenv("PROJ_DATA"); /* PROJ's defaults: where it looked in the cwd */
    unsetenv("PROJ_LIB");
    reproj *rp;
    rnr_error e = {0};
    int rc = reproj_new("EPSG:5070", &rp, &e);
    assert_int_equal(chdir(here), 0);
    if (rc)
        fail_msg("%s", e.msg);
    assert_texas(rp);
    reproj_free(rp);
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
        const struct inotify_event *ev = (const struct inotify_event *)buf;
        fail_msg("PROJ opened %s from the working directory", ev->len ? ev->name : "a file");
    }
    assert_true(n < 0 && errno == EAGAIN);
    close(fd);
    tu_rmrf(dir);
    free(dir);
}

/* PROJ's own answer: the operation its database gives for 5070 -> 4326. */
static PJ *derived_5070(PJ_CONTEXT *ctx)
{
    PJ *raw = proj_create_crs_to_crs(ctx, "EPSG:5070", "EPSG:4326", NULL);
    assert_non_null(raw);
    PJ *pj = proj_normalize_for_visualization(ctx, raw);
    proj_destroy(raw);
    assert_non_null(pj);
    return pj;
}

static void test_5070_same_as_derived(void **state)
{
    (void)state;
    PJ_CONTEXT *ctx = proj_context_create();
    proj_context_set_enable_network(ctx, 0);
    PJ *ref = derived_5070(ctx);
    reproj *rp;
    rnr_error e = {0};
    assert_int_equal(reproj_new("EPSG:5070", &rp, &e), RNR_OK);
    /* A 101 x 101 grid over CONUS Albers and beyond it (Alaska, Hawaii,
     * Puerto Rico lie inside these bounds), metres. */
    size_t n = 0, bad = 0;
    for (int i = 0; i <= 100; i++) {
        for (int j = 0; j <= 100; j++) {
            double x = -7000000.0 + 140000.0 * i + 0.123 * j;
            double y = -1500000.0 + 80000.0 * j + 0.321 * i;
            double xy[2] = {x, y};
            PJ_COORD c = proj_trans(ref, PJ_FWD, proj_coord(x, y, 0, 0));
            if (reproj_points(rp, xy, 1, &e) != RNR_OK) {
                /* it refuses only what PROJ cannot transform either */
                assert_false(isfinite(c.lpzt.lam) && isfinite(c.lpzt.phi) &&
                             fabs(c.lpzt.phi) <= 90 && fabs(c.lpzt.lam) <= 360);
                continue;
            }
            n++;
            if (memcmp(&xy[0], &c.lpzt.lam, sizeof(double)) ||
                memcmp(&xy[1], &c.lpzt.phi, sizeof(double)))
                bad++;
        }
    }
    assert_true(n > 9000);
    if (bad)
        fail_msg("%zu of %zu points differ from PROJ's derived operation", bad, n);
    reproj_free(rp);
    proj_destroy(ref);
    proj_context_destroy(ctx);
}

/* The pipeline is built without opening proj.db: no database found in
 * the directories PROJ would search, and yet the transform is made. */
static void test_5070_without_database(void **state)
{
    (void)state;
    char *dir = tu_tempdir("reproj-nodb");
    assert_int_equal(setenv("PROJ_DATA", dir, 1), 0); /* empty: no proj.db there */
    reproj *rp;
    rnr_error e = {0};
    assert_int_equal(reproj_new("EPSG:5070", &rp, &e), RNR_OK);
    assert_texas(rp);
    reproj_free(rp);
    /* another CRS does need the database, and says which one it could not use */
    assert_int_equal(reproj_new("EPSG:3857", &rp, &e), RNR_ERR_INVALID);
    assert_non_null(strstr(e.msg, "EPSG:3857"));
    unsetenv("PROJ_DATA");
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_5070_without_database),
                                       cmocka_unit_test(test_no_grid_from_cwd),
                                       cmocka_unit_test(test_5070_same_as_derived)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
