/* test_route_job.c - route_job_run in process: the result record (peaks
 * and their times against the written file), options (nts, output_every,
 * plot), and that a rejected job writes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <sys/stat.h>

#include "hydro/forcing.h"
#include "io/nc_output.h"
#include "nws/processed.h"
#include "services/route_job.h"
#include "testutil.h"

typedef struct fixture {
    hf_db *hf;
    rnr_forecast *f;
    char *tmp;
} fixture;

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int setup(void **state)
{
    const char *ref = getenv("RNR_REFERENCE_DIR");
    struct stat st;
    if (!ref || stat(ref, &st) != 0) {
        *state = NULL;
        return 0;
    }
    fixture *fx = calloc(1, sizeof *fx);
    char p[1024];
    snprintf(p, sizeof p, "%s/rnr-hpdt2/HPDT2.json", ref);
    size_t len = 0;
    char *json = tu_read_file(p, &len);
    rnr_error err = {0, ""};
    if (!json || nws_processed_read(json, len, &fx->f, &err) != RNR_OK)
        return -1;
    free(json);
    snprintf(p, sizeof p, "%s/rnr-hpdt2/HPDT2.gpkg", ref);
    if (hf_open(p, &fx->hf, &err) != RNR_OK)
        return -1;
    fx->tmp = tu_tempdir("routejob");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    if (fx) {
        hf_close(fx->hf);
        forecast_free(fx->f);
        tu_rmrf(fx->tmp);
        free(fx->tmp);
        free(fx);
    }
    return 0;
}

#define NEED_REF(fx)                                                                                        \
    do {                                                                                                    \
        if (!(fx)) {                                                                                        \
            fail_msg(                                                                                       \
                "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)"); \
        }                                                                                                   \
    } while (0)

static void check_peak(const nc_table *t, size_t seg, float peak, int64_t when)
{
    float best = -1;
    int64_t bt = 0;
    for (size_t k = 0; k < t->ntime; k++)
        if (t->flow[seg * t->ntime + k] > best) {
            best = t->flow[seg * t->ntime + k];
            bt = t->times[k];
        }
    assert_true(best == peak);
    assert_int_equal(bt, when);
}

static void test_result_and_plot(void **state)
{
    fixture *fx = *state;
    NEED_REF(fx);
    route_job_opts o = {.forcing_mode = FORCING_TIMECORRECT, .dt = 300.0f, .write_plot = 1};
    route_job_result res;
    rnr_error err = {0, ""};
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &res, &err), RNR_OK);
    assert_int_equal(res.nseg, 50);
    assert_int_equal(res.ntime, 117);
    assert_int_equal(res.t0, 1746478800);
    assert_int_equal(res.origin_id, 2418120);
    assert_int_equal(res.outlet_id, 2418169);
    assert_int_equal(res.stream_order, 6);
    assert_string_equal(res.nc_name, "troute_output_202505052100.nc");
    char want[1100];
    snprintf(want, sizeof want, "%s/troute_output_202505052100.svg", fx->tmp);
    /* the outputs list: the NetCDF first, then the plot, with their types */
    assert_int_equal(res.n_outputs, 2);
    assert_string_equal(res.outputs[0].content_type, "application/x-netcdf");
    assert_string_equal(res.outputs[1].content_type, "image/svg+xml");
    const char *svg_path = route_job_output(&res, "image/svg+xml");
    assert_non_null(svg_path);
    assert_string_equal(svg_path, want);
    snprintf(want, sizeof want, "%s/troute_output_202505052100.nc", fx->tmp);
    assert_string_equal(res.outputs[0].path, want);
    nc_table *t = NULL;
    assert_int_equal(nc_output_read(res.outputs[0].path, &t, &err), RNR_OK);
    check_peak(t, 0, res.peak_origin, res.peak_origin_time);
    check_peak(t, 49, res.peak_outlet, res.peak_outlet_time);
    assert_true(res.peak_origin > 481.0f);
    nc_table_free(t);
    char *svg = tu_read_file(svg_path, NULL);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "HPDT2"));
    free(svg);
    assert_int_equal(count_files(fx->tmp), 2);
    unlink(svg_path);
    unlink(res.outputs[0].path);
}

/* nts and output_every override the defaults; the 5-minute output's every
 * 12th value is the hourly output. */
static void test_options(void **state)
{
    fixture *fx = *state;
    NEED_REF(fx);
    route_job_opts o = {
        .forcing_mode = FORCING_TROUTE, .dt = 300.0f, .nts = 240, .output_every = 1};
    route_job_result a, b;
    rnr_error err = {0, ""};
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &a, &err), RNR_OK);
    assert_int_equal(a.ntime, 240);
    assert_int_equal(a.n_outputs, 1);
    assert_null(route_job_output(&a, "image/svg+xml"));
    nc_table *ta = NULL, *tb = NULL;
    assert_int_equal(nc_output_read(a.outputs[0].path, &ta, &err), RNR_OK);
    unlink(a.outputs[0].path);
    o.output_every = 0;
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &b, &err), RNR_OK);
    assert_int_equal(b.ntime, 20);
    assert_int_equal(nc_output_read(b.outputs[0].path, &tb, &err), RNR_OK);
    assert_int_equal(ta->times[0], 1746478800 + 300);
    for (size_t s = 0; s < 50; s++)
        for (size_t k = 0; k < 20; k++) {
            assert_true(tb->flow[s * 20 + k] == ta->flow[s * 240 + 12 * k + 11]);
            assert_true(tb->depth[s * 20 + k] == ta->depth[s * 240 + 12 * k + 11]);
        }
    nc_table_free(ta);
    nc_table_free(tb);
    unlink(b.outputs[0].path);
}

static void test_rejected_writes_nothing(void **state)
{
    fixture *fx = *state;
    NEED_REF(fx);
    route_job_opts o = {.forcing_mode = FORCING_TIMECORRECT, .dt = 300.0f, .write_plot = 1};
    route_job_result res;
    rnr_error err = {0, ""};
    int64_t reach = fx->f->reach_id;
    fx->f->reach_id = 12345;
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &res, &err), RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "12345"));
    assert_non_null(strstr(err.msg, "HPDT2"));
    fx->f->reach_id = reach;
    double keep = fx->f->flows[3];
    fx->f->flows[3] = -1;
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &res, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "row 3"));
    fx->f->flows[3] = keep;
    fx->f->flows[3] = 1e300; /* finite but absurd: never routed to Inf */
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &res, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "row 3"));
    fx->f->flows[3] = keep;
    o.dt = 7;
    o.forcing_mode = FORCING_TROUTE;
    o.output_every = 1;
    /* The worker has no --nts: its message must not tell it to give one. */
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &res, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "cannot derive the number of steps"));
    assert_null(strstr(err.msg, "--nts"));
    o.nts_hint = "give --nts";
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &res, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "give --nts"));
    o.forcing_mode = FORCING_TIMECORRECT;
    o.output_every = 0;
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &res, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "hour"));
    o.dt = 300.0f;
    o.output_every = 10000; /* 833 h: longer than the forecast */
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &res, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "less than the output interval"));
    assert_non_null(strstr(err.msg, "give --nts"));
    o.nts_hint = NULL;
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &res, &err), RNR_ERR_INVALID);
    assert_null(strstr(err.msg, "--nts"));
    o.output_every = 0;
    o.dt = 7;
    o.nts = 100;
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &res, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "hour"));
    assert_int_equal(count_files(fx->tmp), 0);
}

/* By default the run covers the whole forecast: HPDT2's RFC forecast ends
 * 2025-05-10T18Z and crests at 580.5 m3/s from 03Z to 09Z that day; the
 * crest reaches the forecast point within 1 %, inside the run. t-route's
 * whole days (troute forcing) stop at 05-09T21Z, before the crest. */
static void test_horizon_through_crest(void **state)
{
    fixture *fx = *state;
    NEED_REF(fx);
    const int64_t crest_from = 1746846000, crest_to = 1746867600; /* 05-10T03Z, 05-10T09Z */
    route_job_opts o = {.forcing_mode = FORCING_TIMECORRECT, .dt = 300.0f};
    route_job_result res;
    rnr_error err = {0, ""};
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &res, &err), RNR_OK);
    assert_int_equal(res.t_end, 1746900000); /* 2025-05-10T18:00:00Z */
    nc_table *t = NULL;
    assert_int_equal(nc_output_read(res.outputs[0].path, &t, &err), RNR_OK);
    assert_int_equal(t->times[t->ntime - 1], 1746900000);
    check_peak(t, 0, res.peak_origin, res.peak_origin_time);
    printf("origin peak %.3f m3/s at %lld (RFC crest 580.495)\n", (double)res.peak_origin,
           (long long)res.peak_origin_time);
    assert_true(fabs((double)res.peak_origin - 580.495361) <= 0.01 * 580.495361);
    assert_true(res.peak_origin_time >= crest_from && res.peak_origin_time <= crest_to + 3 * 3600);
    nc_table_free(t);
    unlink(res.outputs[0].path);
    o.forcing_mode = FORCING_TROUTE;
    assert_int_equal(route_job_run(fx->hf, fx->f, &o, fx->tmp, &res, &err), RNR_OK);
    assert_int_equal(res.t_end, 1746824400); /* 2025-05-09T21:00:00Z */
    assert_true(res.peak_origin < 0.99f * 580.495361f);
    unlink(res.outputs[0].path);
}

/* Flow of segment seg (SIZE_MAX = the outlet) at output k of a run with options o. */
static float seg_flow(fixture *fx, const route_job_opts *o, size_t seg, size_t k)
{
    route_job_result res;
    rnr_error err = {0, ""};
    assert_int_equal(route_job_run(fx->hf, fx->f, o, fx->tmp, &res, &err), RNR_OK);
    nc_table *t = NULL;
    assert_int_equal(nc_output_read(res.outputs[0].path, &t, &err), RNR_OK);
    float q = t->flow[(seg == SIZE_MAX ? t->nseg - 1 : seg) * t->ntime + k];
    nc_table_free(t);
    unlink(res.outputs[0].path);
    return q;
}

/* The initial state can be overridden: a wetter start raises the outlet's
 * flow (this slow reach drains it over days), while at the forecast point,
 * driven by the forecast, the start is forgotten within the two days. */
static void test_initial_override(void **state)
{
    fixture *fx = *state;
    NEED_REF(fx);
    route_job_opts def = {.forcing_mode = FORCING_TROUTE, .dt = 300.0f, .nts = 576};
    route_job_opts wet = def;
    wet.initial_set = 1;
    wet.initial_flow = 2000.0f;
    wet.initial_depth = 3.0f;
    float d0 = seg_flow(fx, &def, SIZE_MAX, 0), w0 = seg_flow(fx, &wet, SIZE_MAX, 0);
    assert_true(w0 > 1900.0f && d0 < 600.0f);
    float d47 = seg_flow(fx, &def, SIZE_MAX, 47), w47 = seg_flow(fx, &wet, SIZE_MAX, 47);
    assert_true(w47 > d47 + 100.0f);
    float o47 = seg_flow(fx, &def, 0, 47), v47 = seg_flow(fx, &wet, 0, 47);
    assert_true(fabsf(v47 - o47) < 0.01f * o47);
}

int main(void)
{
    const char *ref = getenv("RNR_REFERENCE_DIR");
    struct stat st;
    if (!ref || stat(ref, &st) != 0) {
        fprintf(
            stderr,
            "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_and_plot),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_horizon_through_crest),
        cmocka_unit_test(test_rejected_writes_nothing),
        cmocka_unit_test(test_initial_override),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
