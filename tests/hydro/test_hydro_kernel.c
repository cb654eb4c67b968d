/* test_hydro_kernel.c - the Muskingum-Cunge kernel: hand-checkable cases
 * and the single-segment oracle (bit exact). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hydro/mc_kernel.h"
#include "hydro/hydro_csv.h"

#include <math.h>

static mc_inputs channel(void)
{
    mc_inputs in;
    memset(&in, 0, sizeof in);
    in.dt = 300.0f;
    in.dx = 2000.0f;
    in.bw = 20.0f;
    in.tw = 30.0f;
    in.twcc = 90.0f;
    in.n = 0.045f;
    in.ncc = 0.09f;
    in.cs = 0.5f;
    in.s0 = 0.001f;
    return in;
}

static void test_no_water_gives_zeros(void **state)
{
    (void)state;
    mc_inputs in = channel();
    in.x_in = 0.125f;
    in.ql = -3.0f; /* a loss alone is "no water" */
    mc_state st = {7.5f};
    mc_outputs out;
    assert_int_equal(mc_route_step(&st, &in, &out, 1, NULL), RNR_OK);
    assert_true(out.qdc == 0.0f);
    assert_true(out.velc == 0.0f);
    assert_true(out.depthc == 0.0f);
    assert_true(out.x == 0.125f);
    assert_true(st.r0 == 7.5f); /* the residual is untouched without water */
    assert_int_equal(out.iterations, 0);
    /* Courant diagnostics come from the initial guess h = 0.01 m. */
    assert_true(out.ck > 0.0f);
    assert_true(out.cn == (in.dt / in.dx) * out.ck);
}

static void test_steady_flow_is_preserved(void **state)
{
    (void)state;
    mc_inputs in = channel();
    in.qup = in.quc = in.qdp = 50.0f;
    in.depthp = 1.0f;
    mc_state st = {0.0f};
    mc_outputs out;
    assert_int_equal(mc_route_step(&st, &in, &out, 1, NULL), RNR_OK);
    /* C1 + C2 + C3 = 1, so a steady inflow passes through. */
    assert_true(fabsf(out.qdc - 50.0f) < 1e-3f);
    assert_true(out.x >= 0.25f && out.x <= 0.5f);
    /* The depth carries Manning's 50 m3/s within the solver's 1 % step
     * tolerance: A R^(2/3) sqrt(s0) / n on the trapezoid (z = 1/cs = 2). */
    double h = out.depthc, z = 2.0;
    double A = h * (20.0 + z * h), P = 20.0 + 2.0 * h * sqrt(z * z + 1.0);
    double q = A * pow(A / P, 2.0 / 3.0) * sqrt(0.001) / 0.045;
    assert_true(fabs(q - 50.0) / 50.0 < 0.05);
    assert_true(out.velc > 0.0f);
    assert_true(out.iterations > 0);
}

static void expect_guard(mc_inputs in, const char *want)
{
    mc_state st = {3.0f};
    mc_outputs out;
    rnr_error err = {0, ""};
    assert_int_equal(mc_route_step(&st, &in, &out, 2418140, &err), RNR_ERR_INVALID);
    assert_int_equal(err.code, RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, want));
    assert_true(st.r0 == 3.0f);
}

static void test_guard_names_parameter(void **state)
{
    (void)state;
    mc_inputs in = channel();
    in.n = 0.0f;
    expect_guard(in, "segment 2418140: Manning n = 0 must be > 0");
    in = channel();
    in.s0 = NAN;
    expect_guard(in, "segment 2418140: bed slope s0 = nan");
    in = channel();
    in.bw = -1.0f;
    expect_guard(in, "segment 2418140: bottom width bw = -1 must be > 0");
    in = channel();
    in.cs = -0.5f;
    expect_guard(in, "segment 2418140: side slope cs = -0.5");
    in = channel();
    in.cs = INFINITY;
    expect_guard(in, "side slope cs = inf");
    /* cs = 0 means z = 1 and passes; the guard also runs without water. */
    in = channel();
    in.cs = 0.0f;
    mc_state st = {0.0f};
    mc_outputs out;
    assert_int_equal(mc_route_step(&st, &in, &out, 1, NULL), RNR_OK);
}

static void test_reference_single_segment(void **state)
{
    (void)state;
    char path[1024];
    if (ref_path("single_segment_public.csv", path, sizeof path) != 0) {
        fail_msg(
            "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)");
    }
    tcsv *c = tcsv_load(path);
    assert_non_null(c);
    static const char *const in_cols[] = {"dt", "qup",  "quc",    "qdp",   "ql",  "dx",
                                          "bw", "tw",   "twcc",   "n",     "ncc", "cs",
                                          "s0", "velp", "depthp", "qj0_in"};
    static const char *const out_cols[] = {"qdc", "velc", "depthc", "ck", "cn", "X", "qj0_out"};
    int ci[16], co[7];
    for (int k = 0; k < 16; k++)
        assert_true((ci[k] = tcsv_col(c, in_cols[k])) >= 0);
    for (int k = 0; k < 7; k++)
        assert_true((co[k] = tcsv_col(c, out_cols[k])) >= 0);
    int cstatus = tcsv_col(c, "status"), cid = tcsv_col(c, "case_id");
    size_t ok = 0, stops = 0, bad = 0;
    for (size_t r = 0; r < c->nrows; r++) {
        float v[16];
        for (int k = 0; k < 16; k++)
            v[k] = tcsv_float(c, r, ci[k]);
        mc_inputs in = {v[0], v[1],  v[2],  v[3],  v[4],  v[5],  v[6], v[7], v[8],
                        v[9], v[10], v[11], v[12], v[13], v[14], 0.0f, 0.0f};
        mc_state st = {v[15]};
        mc_outputs out;
        rnr_error err = {0, ""};
        int rc = mc_route_step(&st, &in, &out, 7, &err);
        if (strcmp(tcsv_get(c, r, cstatus), "error_stop") == 0) {
            stops++;
            if (rc != RNR_ERR_INVALID || !strstr(err.msg, "segment 7: ")) {
                printf("case %s: expected a guard error\n", tcsv_get(c, r, cid));
                bad++;
            }
            continue;
        }
        assert_string_equal(tcsv_get(c, r, cstatus), "ok");
        ok++;
        assert_int_equal(rc, RNR_OK);
        float got[7] = {out.qdc, out.velc, out.depthc, out.ck, out.cn, out.x, st.r0};
        for (int k = 0; k < 7; k++) {
            float want = tcsv_float(c, r, co[k]);
            if (!same_bits(want, got[k])) {
                if (bad < 10)
                    printf("case %s: %s expected %.9g got %.9g\n", tcsv_get(c, r, cid), out_cols[k],
                           (double)want, (double)got[k]);
                bad++;
            }
        }
    }
    printf("single segment: %zu ok rows, %zu error_stop rows, %zu mismatches\n", ok, stops, bad);
    assert_true(ok > 1000);
    assert_true(stops > 0);
    assert_int_equal(bad, 0);
    tcsv_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_water_gives_zeros),
        cmocka_unit_test(test_steady_flow_is_preserved),
        cmocka_unit_test(test_guard_names_parameter),
        cmocka_unit_test(test_reference_single_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
