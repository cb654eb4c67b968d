/* test_hydro_network.c - routing order, junction sums, the time loop, and
 * the HPDT2 chain against t-route (bit exact, hourly and 5-minute). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/timeutil.h"
#include "hydro/forcing.h"
#include "hydro/hydro_csv.h"
#include "hydro/mc_kernel.h"
#include "hydro/network.h"

#include <math.h>

static hydro_segment seg(int64_t id, int64_t to)
{
    hydro_segment s = {id, to, 1500.0f, 0.05f, 0.1f, 15.0f, 25.0f, 75.0f, 1.5f, 0.002f};
    return s;
}

/* Lateral inflow at routing index 0 only. */
static int qlat_cb(void *ctx, int step, float *ql)
{
    (void)step;
    ql[0] = *(const float *)ctx;
    return RNR_OK;
}

static void test_chain_order_and_travel(void **state)
{
    (void)state;
    /* Ids deliberately out of flow order: 5 -> 9 -> 2 (outlet). */
    hydro_segment s[3] = {seg(2, 0), seg(9, 2), seg(5, 9)};
    hydro_net *net;
    assert_int_equal(net_new(s, 3, &net, NULL), RNR_OK);
    assert_int_equal(net_size(net), 3);
    assert_true(net_segment(net, 0)->id == 5);
    assert_true(net_segment(net, 1)->id == 9);
    assert_true(net_segment(net, 2)->id == 2);
    assert_int_equal(net_index_of(net, 2), 2);
    assert_int_equal(net_index_of(net, 5), 0);
    assert_int_equal(net_index_of(net, 4), -1);
    assert_null(net_segment(net, 3));

    /* Dry channel, lateral inflow at the head only: water moves at most one
     * segment per step (qup is the previous-step flow). */
    float ql_head = 10.0f;
    net_run run;
    memset(&run, 0, sizeof run);
    run.dt = 300.0f;
    run.nts = 4;
    run.output_every = 1;
    run.qlat = qlat_cb;
    run.qlat_ctx = &ql_head;
    net_result *r;
    assert_int_equal(net_route(net, &run, &r, NULL), RNR_OK);
    assert_int_equal(r->nseg, 3);
    assert_int_equal(r->nout, 4);
    assert_int_equal(r->steps[0], 1);
    assert_int_equal(r->steps[3], 4);
    assert_true(r->ids[0] == 5 && r->ids[2] == 2);
    assert_true(r->flow[0 * 4 + 0] > 0.0f);
    assert_true(r->flow[1 * 4 + 0] == 0.0f && r->depth[1 * 4 + 0] == 0.0f);
    assert_true(r->flow[2 * 4 + 0] == 0.0f);
    assert_true(r->flow[1 * 4 + 1] > 0.0f);
    assert_true(r->flow[2 * 4 + 1] == 0.0f);
    assert_true(r->flow[2 * 4 + 2] > 0.0f);
    for (int k = 0; k < 4; k++)
        assert_true(r->flow[k] <= 10.0f && r->depth[k] > 0.0f);
    net_result_free(r);
    net_free(net);
}

static int qlat_fails(void *ctx, int step, float *ql)
{
    (void)ql;
    return step == 3 ? rnr_error_set(ctx, RNR_ERR_IO, "forcing file for step 3 unreadable")
                     : RNR_OK;
}

static void test_outputs_and_callback_errors(void **state)
{
    (void)state;
    hydro_segment s[2] = {seg(1, 0), seg(2, 1)};
    hydro_net *net;
    assert_int_equal(net_new(s, 2, &net, NULL), RNR_OK);
    float q0[2] = {5.0f, 5.0f};
    net_run run;
    memset(&run, 0, sizeof run);
    run.dt = 300.0f;
    run.nts = 25; /* default hourly output: steps 12 and 24 only */
    run.q0 = q0;
    float five = 5.0f;
    run.qlat = qlat_cb; /* 5 m3/s into the headwater keeps the chain steady */
    run.qlat_ctx = &five;
    net_result *r;
    assert_int_equal(net_route(net, &run, &r, NULL), RNR_OK);
    assert_int_equal(r->nout, 2);
    assert_int_equal(r->steps[0], 12);
    assert_int_equal(r->steps[1], 24);
    /* A steady 5 m3/s stays close to 5. */
    for (size_t i = 0; i < 4; i++)
        assert_true(fabsf(r->flow[i] - 5.0f) < 0.01f && r->depth[i] > 0.0f &&
                    r->velocity[i] > 0.0f);
    net_result_free(r);

    rnr_error err = {0, ""};
    run.qlat = qlat_fails;
    run.qlat_ctx = &err;
    r = (net_result *)1;
    assert_int_equal(net_route(net, &run, &r, &err), RNR_ERR_IO);
    assert_null(r);
    assert_string_equal(err.msg, "forcing file for step 3 unreadable");
    net_free(net);
}

/* Tree: 3, 5, 7 -> 4 (junction); 12 -> 6; 4, 6 -> 8 (junction); 8 -> 1. */
static const int64_t tree_ids[8] = {1, 8, 4, 6, 12, 7, 5, 3};
static const int64_t tree_to[8] = {0, 1, 8, 8, 6, 4, 4, 4};

static void test_tree_order_and_junctions(void **state)
{
    (void)state;
    hydro_segment s[8];
    for (int i = 0; i < 8; i++) {
        s[i] = seg(tree_ids[i], tree_to[i]);
        s[i].s0 = 0.001f * (float)(i + 1); /* distinct segments */
    }
    hydro_net *net;
    assert_int_equal(net_new(s, 8, &net, NULL), RNR_OK);
    /* DFS from outlet 1, upstream neighbours ascending: reaches close as
     * [3] [5] [7] [4] [12 6] [8 1]. */
    static const int64_t want[8] = {3, 5, 7, 4, 12, 6, 8, 1};
    for (size_t i = 0; i < 8; i++)
        assert_true(net_segment(net, i)->id == want[i]);
    assert_int_equal(net_upstream_count(net, 3), 3);
    assert_true(net_segment(net, net_upstream(net, 3, 0))->id == 3);
    assert_true(net_segment(net, net_upstream(net, 3, 2))->id == 7);
    assert_int_equal(net_upstream_count(net, 0), 0);

    /* Distinct initial flows in routing order; check two steps against a
     * hand-written t-route loop: same call sequence, one residual, junction
     * sums in float from 0 in ascending id order, qup = quc. */
    float q0[8] = {1.7f, 33000.5f, 0.3f, 12.0f, 4.0f, 2.5f, 0.0f, 9.0f};
    float d0[8] = {0.5f, 6.0f, 0.1f, 1.0f, 0.7f, 0.0f, 0.0f, 1.2f};
    net_run run;
    memset(&run, 0, sizeof run);
    run.dt = 300.0f;
    run.nts = 2;
    run.output_every = 1;
    run.q0 = q0;
    run.d0 = d0;
    net_result *r;
    assert_int_equal(net_route(net, &run, &r, NULL), RNR_OK);

    float qp[8], dp[8], qc[8], dc[8];
    memcpy(qp, q0, sizeof qp);
    memcpy(dp, d0, sizeof dp);
    mc_state st = {0.0f};
    for (int t = 0; t < 2; t++) {
        float up[8] = {0.0f, 0.0f,  0.0f,          ((0.0f + qp[0]) + qp[1]) + qp[2],
                       0.0f, qp[4], qp[3] + qp[5], qp[6]};
        for (int i = 0; i < 8; i++) {
            const hydro_segment *g = net_segment(net, (size_t)i);
            mc_inputs in = {300.0f, up[i],  up[i], qp[i], 0.0f, g->dx, g->bw, g->tw, g->twcc,
                            g->n,   g->ncc, g->cs, g->s0, 0.0f, dp[i], 0.0f,  0.0f};
            mc_outputs o;
            assert_int_equal(mc_route_step(&st, &in, &o, g->id, NULL), RNR_OK);
            qc[i] = o.qdc <= 0.0f ? 0.0f : o.qdc;
            dc[i] = o.depthc;
            assert_true(same_bits(r->flow[i * 2 + t], qc[i]));
            assert_true(same_bits(r->depth[i * 2 + t], dc[i]));
            assert_true(same_bits(r->velocity[i * 2 + t], o.velc));
        }
        memcpy(qp, qc, sizeof qp);
        memcpy(dp, dc, sizeof dp);
    }
    /* The large inflow of 5 reaches junction 4 in step 1 and 8 in step 2. */
    printf("junction 4 flow %g, %g; 8: %g, %g\n", (double)r->flow[3 * 2],
           (double)r->flow[3 * 2 + 1], (double)r->flow[6 * 2], (double)r->flow[6 * 2 + 1]);
    assert_true(r->flow[3 * 2 + 0] > 1000.0f);
    assert_true(r->flow[6 * 2 + 0] < 10.0f);
    assert_true(r->flow[6 * 2 + 1] > 100.0f);
    net_result_free(r);
    net_free(net);
}

static void expect_net_error(const hydro_segment *s, size_t n, const char *want)
{
    hydro_net *net = (hydro_net *)1;
    rnr_error err = {0, ""};
    assert_int_equal(net_new(s, n, &net, &err), RNR_ERR_INVALID);
    assert_null(net);
    assert_non_null(strstr(err.msg, want));
}

static void test_validation(void **state)
{
    (void)state;
    hydro_segment dup[3] = {seg(1, 0), seg(2, 1), seg(2, 1)};
    expect_net_error(dup, 3, "segment 2: duplicate id");
    hydro_segment cyc[4] = {seg(1, 0), seg(2, 3), seg(3, 4), seg(4, 2)};
    expect_net_error(cyc, 4, "never reaches an outlet");
    hydro_segment self[2] = {seg(1, 0), seg(2, 2)};
    expect_net_error(self, 2, "segment 2: flows into itself");
    hydro_segment zero[2] = {seg(1, 0), seg(0, 1)};
    expect_net_error(zero, 2, "id 0 is reserved");
    expect_net_error(zero, 0, "no segments");

    /* to_id outside the set makes an outlet; two outlets, ascending id. */
    hydro_segment two[3] = {seg(20, 999), seg(10, 0), seg(11, 10)};
    hydro_net *net;
    assert_int_equal(net_new(two, 3, &net, NULL), RNR_OK);
    assert_true(net_segment(net, 0)->id == 11 && net_segment(net, 1)->id == 10 &&
                net_segment(net, 2)->id == 20);

    /* A bad parameter stops the run with the segment named. */
    net_free(net);
    two[1].n = 0.0f;
    assert_int_equal(net_new(two, 3, &net, NULL), RNR_OK);
    net_run run;
    memset(&run, 0, sizeof run);
    run.dt = 300.0f;
    run.nts = 12;
    net_result *r = (net_result *)1;
    rnr_error err = {0, ""};
    assert_int_equal(net_route(net, &run, &r, &err), RNR_ERR_INVALID);
    assert_null(r);
    assert_string_equal(err.msg, "segment 10: Manning n = 0 must be > 0");
    run.nts = 5; /* shorter than the default hourly output interval */
    assert_int_equal(net_route(net, &run, &r, &err), RNR_ERR_INVALID);
    run.nts = 12;
    run.dt = 0.0f;
    assert_int_equal(net_route(net, &run, &r, &err), RNR_ERR_INVALID);
    net_free(net);
}

/* ---- HPDT2 ------------------------------------------------------------ */

typedef struct hpdt2 {
    hydro_net *net;
    size_t nf;
    int64_t times[64];
    double flows[64];
    long head;
    float qlat[1152];
} hpdt2;

static int64_t id_number(const char *s)
{
    const char *d = strrchr(s, '-');
    return strtoll(d ? d + 1 : s, NULL, 10);
}

static int hpdt2_qlat(void *ctx, int step, float *ql)
{
    const hpdt2 *h = ctx;
    ql[h->head] = h->qlat[step - 1];
    return RNR_OK;
}

static void hpdt2_load(hpdt2 *h)
{
    char path[1024];
    assert_int_equal(ref_path("hpdt2_segments.csv", path, sizeof path), 0);
    tcsv *c = tcsv_load(path);
    assert_non_null(c);
    assert_int_equal(c->nrows, 50);
    hydro_segment s[50];
    static const char *const cols[] = {"dx_f32", "n_f32",    "ncc_f32", "bw_f32",
                                       "tw_f32", "twcc_f32", "cs_f32",  "s0_f32"};
    int k[8], kid = tcsv_col(c, "id"), kto = tcsv_col(c, "toid");
    for (int j = 0; j < 8; j++)
        assert_true((k[j] = tcsv_col(c, cols[j])) >= 0);
    for (size_t r = 0; r < 50; r++) {
        s[r].id = id_number(tcsv_get(c, r, kid));
        s[r].to_id = id_number(tcsv_get(c, r, kto));
        s[r].dx = tcsv_float(c, r, k[0]);
        s[r].n = tcsv_float(c, r, k[1]);
        s[r].ncc = tcsv_float(c, r, k[2]);
        s[r].bw = tcsv_float(c, r, k[3]);
        s[r].tw = tcsv_float(c, r, k[4]);
        s[r].twcc = tcsv_float(c, r, k[5]);
        s[r].cs = tcsv_float(c, r, k[6]);
        s[r].s0 = tcsv_float(c, r, k[7]);
    }
    tcsv_free(c);
    assert_int_equal(net_new(s, 50, &h->net, NULL), RNR_OK);
    for (size_t i = 0; i < 50; i++) /* a single reach: file order */
        assert_true(net_segment(h->net, i)->id == s[i].id);
    h->head = net_index_of(h->net, 2418120);
    assert_int_equal(h->head, 0);

    assert_int_equal(ref_path("hpdt2_forecast.csv", path, sizeof path), 0);
    c = tcsv_load(path);
    assert_non_null(c);
    assert_true(c->nrows > 1 && c->nrows <= 64);
    int kt = tcsv_col(c, "valid_time_utc"), kq = tcsv_col(c, "flow_m3s");
    h->nf = c->nrows;
    for (size_t r = 0; r < c->nrows; r++) {
        assert_int_equal(time_parse_iso(tcsv_get(c, r, kt), &h->times[r]), 0);
        h->flows[r] = strtod(tcsv_get(c, r, kq), NULL);
    }
    tcsv_free(c);
}

static void compare_run(hpdt2 *h, int mode, const char *file, int every)
{
    int nts;
    assert_int_equal(forcing_default_nts(h->times, h->nf, 300.0f, &nts), RNR_OK);
    assert_int_equal(nts, 1152);
    assert_int_equal(
        forcing_build(h->times, h->flows, h->nf, h->times[0], 300.0f, nts, mode, h->qlat, NULL),
        RNR_OK);
    float q0[50], d0[50];
    for (int i = 0; i < 50; i++) {
        q0[i] = (float)481.386392064;
        d0[i] = 0.0f;
    }
    net_run run = {300.0f, nts, every, hpdt2_qlat, h, q0, d0, 0, 0.0f};
    net_result *r;
    assert_int_equal(net_route(h->net, &run, &r, NULL), RNR_OK);
    assert_int_equal(r->nout, (size_t)(1152 / every));

    char path[1024];
    assert_int_equal(ref_path(file, path, sizeof path), 0);
    tcsv *c = tcsv_load(path);
    assert_non_null(c);
    int ks = tcsv_col(c, "step"), ki = tcsv_col(c, "segment_index");
    int kf = tcsv_col(c, "flow_m3s"), kv = tcsv_col(c, "velocity_ms"), kd = tcsv_col(c, "depth_m");
    assert_true(ks >= 0 && ki >= 0 && kf >= 0 && kv >= 0 && kd >= 0);
    assert_int_equal(c->nrows, 50 * r->nout);
    size_t bad = 0;
    for (size_t row = 0; row < c->nrows; row++) {
        int step = atoi(tcsv_get(c, row, ks));
        size_t si = (size_t)atoi(tcsv_get(c, row, ki));
        assert_true(step % every == 0 && si < 50);
        size_t at = si * r->nout + (size_t)(step / every - 1);
        assert_int_equal(r->steps[step / every - 1], step);
        float got[3] = {r->flow[at], r->velocity[at], r->depth[at]};
        int kk[3] = {kf, kv, kd};
        for (int j = 0; j < 3; j++) {
            float want = tcsv_float(c, row, kk[j]);
            if (!same_bits(want, got[j])) {
                if (bad < 5)
                    printf("%s step %d seg %zu field %d: expected %.9g got %.9g\n", file, step, si,
                           j, (double)want, (double)got[j]);
                bad++;
            }
        }
    }
    printf("%s: %zu values compared, %zu mismatches\n", file, c->nrows * 3, bad);
    assert_int_equal(bad, 0);
    tcsv_free(c);
    net_result_free(r);
}

/* Resetting the residual before every call is a different (order-free)
 * model: close to t-route on HPDT2 (spec: <= 1.6e-6 relative) but not equal. */
static void check_reset_mode(hpdt2 *h)
{
    assert_int_equal(forcing_build(h->times, h->flows, h->nf, h->times[0], 300.0f, 1152,
                                   FORCING_TROUTE, h->qlat, NULL),
                     RNR_OK);
    float q0[50], d0[50];
    for (int i = 0; i < 50; i++) {
        q0[i] = (float)481.386392064;
        d0[i] = 0.0f;
    }
    net_run run = {300.0f, 1152, 12, hpdt2_qlat, h, q0, d0, 0, 0.0f};
    net_result *a, *b;
    assert_int_equal(net_route(h->net, &run, &a, NULL), RNR_OK);
    run.reset_residual = 1;
    assert_int_equal(net_route(h->net, &run, &b, NULL), RNR_OK);
    double worst = 0.0;
    size_t differ = 0;
    for (size_t i = 0; i < 50 * a->nout; i++) {
        differ += !same_bits(a->flow[i], b->flow[i]);
        double rel = fabs((double)a->flow[i] - (double)b->flow[i]) / (double)a->flow[i];
        worst = rel > worst ? rel : worst;
    }
    printf("reset_residual: %zu of %zu hourly flows differ, max rel %.3g\n", differ, 50 * a->nout,
           worst);
    assert_true(differ > 0);
    assert_true(worst < 1e-5);
    net_result_free(a);
    net_result_free(b);
}

static void test_hpdt2(void **state)
{
    (void)state;
    char path[1024];
    if (ref_path("hpdt2_segments.csv", path, sizeof path) != 0) {
        fail_msg(
            "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)");
    }
    hpdt2 *h = calloc(1, sizeof *h);
    hpdt2_load(h);
    compare_run(h, FORCING_TROUTE, "hpdt2_chain_troute.csv", 12);
    compare_run(h, FORCING_TIMECORRECT, "hpdt2_chain_timecorrect.csv", 12);
    compare_run(h, FORCING_TROUTE, "hpdt2_chain_troute_5min.csv", 1);
    compare_run(h, FORCING_TIMECORRECT, "hpdt2_chain_timecorrect_5min.csv", 1);
    check_reset_mode(h);
    net_free(h->net);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_order_and_travel),
        cmocka_unit_test(test_tree_order_and_junctions),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_outputs_and_callback_errors),
        cmocka_unit_test(test_hpdt2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
