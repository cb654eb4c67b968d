/* test_hydro_forcing.c - forecast -> lateral inflow (t-route hold and
 * time-correct interpolation), run length, initial state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/forecast.h"
#include "core/timeutil.h"
#include "hydro/forcing.h"
#include "hydro/hydro_csv.h"

#include <math.h>

static const int64_t tiny_t[3] = {1000000000, 1000003600, 1000007200};
static const double tiny_q[3] = {0.0, 12.0, 6.0};

static void test_timecorrect_tiny(void **state)
{
    (void)state;
    float q[10];
    /* dt = 20 min: midpoints at 10, 30, 50, 70, 90, 110 min. */
    assert_int_equal(
        forcing_build(tiny_t, tiny_q, 3, tiny_t[0], 1200.0f, 6, FORCING_TIMECORRECT, q, NULL),
        RNR_OK);
    const float want[6] = {2.0f, 6.0f, 10.0f, 11.0f, 9.0f, 7.0f};
    for (int i = 0; i < 6; i++)
        assert_true(q[i] == want[i]);
    /* Outside the forecast the end values are held. */
    assert_int_equal(forcing_build(tiny_t, tiny_q, 3, tiny_t[0] - 2400, 1200.0f, 10,
                                   FORCING_TIMECORRECT, q, NULL),
                     RNR_OK);
    const float shifted[10] = {0.0f, 0.0f, 2.0f, 6.0f, 10.0f, 11.0f, 9.0f, 7.0f, 6.0f, 6.0f};
    for (int i = 0; i < 10; i++)
        assert_true(q[i] == shifted[i]);
}

static void test_troute_tiny(void **state)
{
    (void)state;
    float q[11];
    /* qts = 3600 / 1200 = 3: each value is held over the 3 steps that
     * start at its time; beyond the last value it stays held. */
    assert_int_equal(
        forcing_build(tiny_t, tiny_q, 3, tiny_t[0], 1200.0f, 11, FORCING_TROUTE, q, NULL), RNR_OK);
    const float want[11] = {0, 0, 0, 12, 12, 12, 6, 6, 6, 6, 6};
    for (int i = 0; i < 11; i++)
        assert_true(q[i] == want[i]);
    /* One value: held for the whole run. */
    assert_int_equal(
        forcing_build(tiny_t, tiny_q + 1, 1, tiny_t[0], 300.0f, 4, FORCING_TROUTE, q, NULL),
        RNR_OK);
    assert_true(q[0] == 12.0f && q[3] == 12.0f);
}

static void expect_bad(const int64_t *t, const double *v, size_t n, float dt, int mode,
                       const char *want)
{
    float q[4];
    rnr_error err = {0, ""};
    assert_int_equal(forcing_build(t, v, n, t ? t[0] : 0, dt, 4, mode, q, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, want));
}

static void test_rejects(void **state)
{
    (void)state;
    const int64_t back[3] = {10, 20, 20};
    const double neg[3] = {1.0, -1.0, 2.0}, nan3[3] = {1.0, NAN, 2.0};
    expect_bad(tiny_t, tiny_q, 0, 300.0f, FORCING_TIMECORRECT, "no values");
    expect_bad(back, tiny_q, 3, 5.0f, FORCING_TIMECORRECT, "time 2 (20) is not after time 1 (20)");
    expect_bad(tiny_t, neg, 3, 300.0f, FORCING_TROUTE, "flow 1 = -1");
    expect_bad(tiny_t, nan3, 3, 300.0f, FORCING_TIMECORRECT, "flow 1 = nan");
    expect_bad(tiny_t, tiny_q, 3, 7000.0f, FORCING_TROUTE,
               "spacing 3600 s is not a positive multiple");
    expect_bad(tiny_t, tiny_q, 3, 1000.0f, FORCING_TROUTE, "integer qts");
    expect_bad(tiny_t, tiny_q, 3, 1000.0f, 7, "unknown mode");
    expect_bad(tiny_t, tiny_q, 3, 0.0f, FORCING_TIMECORRECT, "dt");
    /* Time-correct mode has no spacing rule. */
    float q[4];
    assert_int_equal(
        forcing_build(tiny_t, tiny_q, 3, tiny_t[0], 1000.0f, 4, FORCING_TIMECORRECT, q, NULL),
        RNR_OK);
}

static void test_default_nts(void **state)
{
    (void)state;
    int64_t t[2] = {0, 117 * 3600};
    int nts = -1;
    assert_int_equal(forcing_default_nts(t, 2, 300.0f, &nts), RNR_OK);
    assert_int_equal(nts, 1152);
    assert_int_equal(forcing_default_nts(t, 2, 3600.0f, &nts), RNR_OK);
    assert_int_equal(nts, 96);
    t[1] = 48 * 3600;
    assert_int_equal(forcing_default_nts(t, 2, 300.0f, &nts), RNR_OK);
    assert_int_equal(nts, 576);
    t[1] = 23 * 3600; /* under a day: nothing to route */
    assert_int_equal(forcing_default_nts(t, 2, 300.0f, &nts), RNR_ERR_INVALID);
    assert_int_equal(nts, 0);
    t[1] = 48 * 3600;
    assert_int_equal(forcing_default_nts(t, 2, 7.0f, &nts), RNR_ERR_INVALID);
    assert_int_equal(forcing_default_nts(t, 0, 300.0f, &nts), RNR_ERR_INVALID);
}

/* To the end of the forecast: the span rounded up to whole output intervals. */
static void test_horizon_nts(void **state)
{
    (void)state;
    int64_t t[2] = {0, 117 * 3600};
    int nts = -1;
    assert_int_equal(forcing_horizon_nts(t, 2, 300.0f, 12, &nts), RNR_OK);
    assert_int_equal(nts, 1404); /* 117 h exactly */
    t[1] = 117 * 3600 + 1200;    /* 20 min into hour 118: one more hour */
    assert_int_equal(forcing_horizon_nts(t, 2, 300.0f, 12, &nts), RNR_OK);
    assert_int_equal(nts, 1416);
    t[1] = 3600; /* exactly one interval */
    assert_int_equal(forcing_horizon_nts(t, 2, 300.0f, 12, &nts), RNR_OK);
    assert_int_equal(nts, 12);
    t[1] = 3599; /* shorter than one output interval */
    assert_int_equal(forcing_horizon_nts(t, 2, 300.0f, 12, &nts), RNR_ERR_INVALID);
    assert_int_equal(nts, 0);
    assert_int_equal(forcing_horizon_nts(t, 1, 300.0f, 12, &nts), RNR_ERR_INVALID);
    assert_int_equal(forcing_horizon_nts(t, 2, 300.0f, 0, &nts), RNR_ERR_INVALID);
    t[1] = (int64_t)1 << 40;
    assert_int_equal(forcing_horizon_nts(t, 2, 300.0f, 12, &nts), RNR_ERR_LIMIT);
}

static void test_initial_flow(void **state)
{
    (void)state;
    rnr_forecast *f = forecast_new(2);
    f->n = 2;
    f->flows[0] = 481.386392064;
    f->flows[1] = 900.0;
    assert_true(forcing_initial_flow(f) == (float)481.386392064);
    f->has_observation = 1;
    f->latest_observation = 12.25;
    assert_true(forcing_initial_flow(f) == 12.25f);
    forecast_free(f);
}

static void test_reference_qlat_steps(void **state)
{
    (void)state;
    char path[1024];
    if (ref_path("hpdt2_forecast.csv", path, sizeof path) != 0) {
        fail_msg(
            "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)");
    }
    tcsv *c = tcsv_load(path);
    assert_non_null(c);
    int64_t t[64];
    double q[64];
    size_t n = c->nrows;
    assert_true(n > 1 && n <= 64);
    int kt = tcsv_col(c, "valid_time_utc"), kq = tcsv_col(c, "flow_m3s"),
        kf = tcsv_col(c, "flow_m3s_f32");
    for (size_t r = 0; r < n; r++) {
        assert_int_equal(time_parse_iso(tcsv_get(c, r, kt), &t[r]), 0);
        q[r] = strtod(tcsv_get(c, r, kq), NULL);
        assert_true((float)q[r] == tcsv_float(c, r, kf));
    }
    tcsv_free(c);
    int nts;
    assert_int_equal(forcing_default_nts(t, n, 300.0f, &nts), RNR_OK);
    assert_int_equal(nts, 1152);
    float *tr = malloc(1152 * sizeof *tr), *tc = malloc(1152 * sizeof *tc);
    assert_int_equal(forcing_build(t, q, n, t[0], 300.0f, nts, FORCING_TROUTE, tr, NULL), RNR_OK);
    assert_int_equal(forcing_build(t, q, n, t[0], 300.0f, nts, FORCING_TIMECORRECT, tc, NULL),
                     RNR_OK);

    assert_int_equal(ref_path("hpdt2_qlat_steps.csv", path, sizeof path), 0);
    c = tcsv_load(path);
    assert_non_null(c);
    assert_int_equal(c->nrows, 1152);
    int ks = tcsv_col(c, "step"), ktr = tcsv_col(c, "qlat_troute_m3s"),
        ktc = tcsv_col(c, "qlat_timecorrect_m3s");
    assert_true(ks >= 0 && ktr >= 0 && ktc >= 0);
    size_t bad = 0;
    for (size_t r = 0; r < c->nrows; r++) {
        int step = atoi(tcsv_get(c, r, ks));
        assert_true(step >= 1 && step <= 1152);
        if (!same_bits(tr[step - 1], tcsv_float(c, r, ktr)) ||
            !same_bits(tc[step - 1], tcsv_float(c, r, ktc))) {
            if (bad < 5)
                printf("step %d: troute %.9g/%s timecorrect %.9g/%s\n", step, (double)tr[step - 1],
                       tcsv_get(c, r, ktr), (double)tc[step - 1], tcsv_get(c, r, ktc));
            bad++;
        }
    }
    printf("qlat steps: %zu rows x 2 modes, %zu mismatches\n", c->nrows, bad);
    assert_int_equal(bad, 0);
    tcsv_free(c);
    free(tr);
    free(tc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timecorrect_tiny),
        cmocka_unit_test(test_troute_tiny),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_default_nts),
        cmocka_unit_test(test_horizon_nts),
        cmocka_unit_test(test_initial_flow),
        cmocka_unit_test(test_reference_qlat_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
