/* mc_kernel.c - the Muskingum-Cunge kernel, exactly as t-route evaluates it.
 *
 * Every expression keeps the spec's grouping; commuted operands are fine,
 * regrouping is not (see docs/muskingum-cunge.md §1). This file must be
 * built with -ffp-contract=off and without -ffast-math (CMakeLists.txt sets
 * both), because one ulp can move the depth iteration onto another path. */
#include "hydro/mc_kernel.h"

#include <math.h>

static const float c53 = 5.0f / 3.0f;
static const float c23 = 2.0f / 3.0f;

/* t-route's solver constants (docs/muskingum-cunge.md §6). One value plays
 * three roles in the Fortran (depth floor, relative and absolute
 * tolerance); they get one name each so the roles stay readable. */
static const float MC_DEPTH_FLOOR = 0.01f; /* m: below it the pass stops */
static const float MC_REL_TOL = 0.01f;     /* relative depth step */
static const float MC_ABS_TOL = 0.01f;     /* m: absolute depth step */
static const float MC_GUESS_UP = 1.33f;    /* upper initial guess / retry factor */
static const float MC_GUESS_DOWN = 0.67f;  /* lower initial guess / retry factor */
enum {
    MC_MAXIT_FIRST = 100, /* iterations of the first pass */
    MC_MAXIT_LAST = 200,  /* no retry once a pass was allowed this many */
    MC_MAXIT_STEP = 25    /* extra iterations per retry */
};

/* x86 maxss/minss semantics: a NaN first operand yields the bound. */
static inline float fmax_b(float a, float b)
{
    return (a > b) ? a : b;
}
static inline float fmin_b(float a, float b)
{
    return (a < b) ? a : b;
}

/* Per-call quantities that do not change during the depth iteration, plus
 * the coefficients the UPPER and LOWER residual evaluations share. */
typedef struct mc_ctx {
    float dt, qup, quc, qdp, ql, dx, bw, twcc, n, ncc, s0;
    float z, bfd, S, Q, Sn, Sc, Q2, Wb;
    float c1, c2, c3, c4, x;
} mc_ctx;

typedef struct mc_geom {
    float A, P, Ac, Pc, R, hlt, hgt;
} mc_geom;

static inline void geom_at(const mc_ctx *c, float h, mc_geom *g)
{
    if (h <= c->bfd || c->twcc <= 0.0f) {
        g->hlt = h;
        g->hgt = 0.0f;
        g->A = h * (c->bw + c->z * h);
        g->P = c->bw + (h * 2.0f) * c->Q;
        g->Ac = 0.0f;
        g->Pc = 0.0f;
        g->R = g->A / g->P;
    } else {
        g->hgt = h - c->bfd;
        g->hlt = c->bfd;
        g->A = c->bfd * (c->bw + c->z * c->bfd);
        g->P = c->bw + (c->bfd * 2.0f) * c->Q;
        g->Ac = c->twcc * g->hgt;
        g->Pc = c->twcc + g->hgt * 2.0f;
        g->R = (g->A + g->Ac) / (g->P + g->Pc);
    }
}

enum { EVAL_UPPER, EVAL_LOWER };

/* Residual F(h, kind) of spec §4: Muskingum outflow minus Manning discharge
 * at depth h. Overwrites c1..c4 and x; UPPER stores into *r0. */
static inline float residual(mc_ctx *c, float h, int kind, float *r0)
{
    mc_geom g;
    geom_at(c, h, &g);
    float r23 = powf(g.R, c23);
    int over = (h > c->bfd) && (c->twcc > 0.0f) && (c->ncc > 0.0f);
    float ck;
    if (over) {
        ck = fmax_b(((c->Sn * (r23 * c53 - ((g.R * r23) * c23) * (c->Q2 / c->Wb))) * g.A +
                     ((c->Sc * c53) * powf(h - c->bfd, c23)) * g.Ac) /
                        (g.A + g.Ac),
                    0.0f);
    } else if (h > 0.0f) {
        ck = fmax_b(c->Sn *
                        (r23 * c53 - ((g.R * r23) * c23) * (c->Q2 / (c->bw + (h * 2.0f) * c->z))),
                    0.0f);
    } else {
        ck = 0.0f;
    }
    float km = (ck > 0.0f) ? fmax_b(c->dx / ck, c->dt) : c->dt;
    float x;
    if (ck > 0.0f) {
        float w = over ? c->twcc : c->bw + (c->z * 2.0f) * h;
        float den = (((w * 2.0f) * c->s0) * ck) * c->dx;
        if (kind == EVAL_UPPER) {
            x = fmin_b(fmax_b((1.0f - *r0 / den) * 0.5f, 0.0f), 0.5f);
        } else {
            float num = (((c->c1 * c->qup) + (c->c2 * c->quc)) + (c->c3 * c->qdp)) + c->c4;
            x = fmin_b(fmax_b((1.0f - num / den) * 0.5f, 0.25f), 0.5f);
        }
    } else {
        x = 0.5f;
    }
    float hdt = c->dt * 0.5f;
    float kx = x * km;
    float k1 = km * (1.0f - x);
    float d = hdt + k1;
    c->x = x;
    c->c1 = (hdt + kx) / d;
    c->c2 = (hdt - kx) / d;
    c->c3 = (k1 - hdt) / d;
    c->c4 = (c->ql * c->dt) / d;
    float s3 = ((c->c1 * c->qup) + (c->c2 * c->quc)) + (c->c3 * c->qdp);
    if (kind == EVAL_LOWER && c->c4 < 0.0f && fabsf(c->c4) > s3)
        c->c4 = -s3;
    float pp = g.P + g.Pc;
    float res = 0.0f;
    if (pp > 0.0f)
        res = (c->c4 + s3) -
              ((((1.0f / (((g.P * c->n) + (g.Pc * c->ncc)) / pp)) * (g.A + g.Ac)) * r23) * c->S);
    if (kind == EVAL_UPPER)
        *r0 = res;
    return res;
}

/* Secant iteration with t-route's retry passes and quirks (spec §6 step 5).
 * Returns the final depth; c->c1..c4 and c->x are those of the last LOWER
 * evaluation. */
static float solve_depth(mc_ctx *c, float h, float h0, float *r0, int *iters)
{
    float rerr = 1.0f, aerr = MC_ABS_TOL;
    int maxit = MC_MAXIT_FIRST, total = 0;
    for (;;) {
        int it = 0;
        while (rerr > MC_REL_TOL && aerr >= MC_ABS_TOL && it <= maxit) {
            residual(c, h0, EVAL_UPPER, r0);
            float r1 = residual(c, h, EVAL_LOWER, r0);
            float dq = *r0 - r1;
            float h1;
            if (dq != 0.0f) {
                h1 = h - (r1 * (h0 - h)) / dq;
                if (h1 < 0.0f)
                    h1 = h;
            } else {
                h1 = h;
            }
            if (h > 0.0f) {
                float e = h1 - h;
                rerr = fabsf(e / h);
                aerr = fabsf(e);
            } else {
                rerr = 0.0f;
                aerr = 0.9f;
            }
            h0 = fmax_b(h, 0.0f);
            h = fmax_b(h1, 0.0f);
            it++;
            if (h < MC_DEPTH_FLOOR)
                break;
        }
        total += it;
        /* A pass that converged on its last allowed iteration still
         * "retries": h is scaled and, with the tolerances already met, no
         * iteration runs (t-route's edge_retry_noresolve). */
        if (it >= maxit && maxit < MC_MAXIT_LAST) {
            h = h * MC_GUESS_UP;
            h0 = h0 * MC_GUESS_DOWN;
            maxit += MC_MAXIT_STEP;
            continue;
        }
        break;
    }
    *iters = total;
    return h;
}

/* Kinematic celerity for the Courant diagnostic (spec §6 step 7): plain
 * geometry test, real powf for the 5/3 power. */
static inline float courant_ck(const mc_ctx *c, float h)
{
    mc_geom g;
    geom_at(c, h, &g);
    float in = ((c->S / c->n) *
                (powf(g.R, c23) * c53 -
                 (powf(g.R, c53) * c23) * ((c->Q * 2.0f) / (c->bw + c->z * (g.hlt * 2.0f))))) *
               g.A;
    /* powf(+0, 2/3) is exactly +0, so the in-channel case (hgt = 0) can
     * skip the call without changing a bit. */
    float hp = (g.hgt == 0.0f) ? 0.0f : powf(g.hgt, c23);
    float fp = (((c->S / c->ncc) * c53) * hp) * g.Ac;
    return fmax_b((in + fp) / (g.A + g.Ac), 0.0f);
}

static int guard_fail(rnr_error *err, int64_t seg_id, const char *what, float v)
{
    return rnr_error_set(err, RNR_ERR_INVALID, "segment %lld: %s = %.9g must be > 0",
                         (long long)seg_id, what, (double)v);
}

static int check_params(const mc_inputs *in, float z, int64_t seg_id, rnr_error *err)
{
    if (!(in->n > 0.0f))
        return guard_fail(err, seg_id, "Manning n", in->n);
    if (!(in->s0 > 0.0f))
        return guard_fail(err, seg_id, "bed slope s0", in->s0);
    if (!(in->bw > 0.0f))
        return guard_fail(err, seg_id, "bottom width bw", in->bw);
    if (!(z > 0.0f))
        return rnr_error_set(
            err, RNR_ERR_INVALID,
            "segment %lld: side slope cs = %.9g must be >= 0 and finite (z = 1/cs = %.9g must be > 0)",
            (long long)seg_id, (double)in->cs, (double)z);
    return RNR_OK;
}

int mc_route_step(mc_state *st, const mc_inputs *in, mc_outputs *out, int64_t seg_id,
                  rnr_error *err)
{
    mc_ctx c;
    c.z = (in->cs == 0.0f) ? 1.0f : 1.0f / in->cs;
    if (in->bw > in->tw)
        c.bfd = in->bw / 1e-5f;
    else if (in->bw == in->tw)
        c.bfd = in->bw / (c.z * 2.0f);
    else
        c.bfd = (in->tw - in->bw) / (c.z * 2.0f);
    int rc = check_params(in, c.z, seg_id, err);
    if (rc != RNR_OK)
        return rc;

    c.dt = in->dt;
    c.qup = in->qup;
    c.quc = in->quc;
    c.qdp = in->qdp;
    c.ql = in->ql;
    c.dx = in->dx;
    c.bw = in->bw;
    c.twcc = in->twcc;
    c.n = in->n;
    c.ncc = in->ncc;
    c.s0 = in->s0;
    c.S = sqrtf(in->s0);
    c.Q = sqrtf(c.z * c.z + 1.0f);
    c.Sn = c.S / in->n;
    c.Sc = c.S / in->ncc;
    c.Q2 = c.Q * 2.0f;
    c.Wb = in->bw + (c.bfd * 2.0f) * c.z;
    c.c1 = c.c2 = c.c3 = c.c4 = 0.0f;
    c.x = 0.0f;

    float d0 = fmax_b(in->depthp, 0.0f);
    float h = d0 * MC_GUESS_UP + MC_DEPTH_FLOOR;
    float h0 = d0 * MC_GUESS_DOWN;
    int wet =
        in->ql > 0.0f || in->qup > 0.0f || in->quc > 0.0f || in->qdp > 0.0f || in->qdc_in > 0.0f;

    if (wet) {
        float r0 = st->r0;
        h = solve_depth(&c, h, h0, &r0, &out->iterations);
        st->r0 = r0;
        float a = c.qup * c.c1, b = c.quc * c.c2, cc = c.qdp * c.c3;
        float s = (a + b) + cc;
        float tot = s + c.c4;
        if (tot < 0.0f) {
            if (c.c4 < 0.0f && s < fabsf(c.c4))
                out->qdc = 0.0f;
            else
                out->qdc = fmax_b((a + b) + c.c4, c.c4 + (a + cc));
        } else {
            out->qdc = tot;
        }
        float tl = in->bw + (c.z * 2.0f) * h;
        float w = (tl - in->bw) * 0.5f;
        float rv = (((in->bw + tl) * h) * 0.5f) / (in->bw + powf(h * h + w * w, 0.5f) * 2.0f);
        out->velc = c.S * ((1.0f / in->n) * powf(rv, c23));
        out->depthc = h;
        out->x = c.x;
    } else {
        out->qdc = 0.0f;
        out->velc = 0.0f;
        out->depthc = 0.0f;
        out->x = in->x_in;
        out->iterations = 0;
    }
    out->ck = courant_ck(&c, h);
    out->cn = (in->dt / in->dx) * out->ck;
    return RNR_OK;
}
