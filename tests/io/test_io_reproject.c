/* test_io_reproject.c - the transformation to WGS84 never reads PROJ
 * resource files from the working directory: grid files PROJ looks for
 * when it sets up EPSG:5070 -> 4326 are planted in a temporary working
 * directory, and inotify must see none of them opened (PROJ left to its
 * defaults without PROJ_DATA opened each there before its own
 * directories). Also: the transform still gives the right place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "io/reproject.h"
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

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
    /* A point in Texas (CONUS Albers, metres) to lon/lat (PROJ 9.1: -97.064284,
     * 32.068732). */
    double xy[2] = {-100000.0, 1000000.0};
    assert_int_equal(reproj_points(rp, xy, 1, &e), RNR_OK);
    assert_true(fabs(xy[0] - -97.064284) < 1e-5 && fabs(xy[1] - 32.068732) < 1e-5);
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_no_grid_from_cwd)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
