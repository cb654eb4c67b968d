/* plotdata.c - observations and flow thresholds for the hydrograph (see
 * header). */
#include "nws/plotdata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/forecast.h"
#include "core/timeutil.h"
#include "nws/units.h"

typedef struct pair {
    double stage, flow;
} pair;

static int cmp_pair(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->stage != y->stage)
        return x->stage < y->stage ? -1 : 1;
    return (x->flow > y->flow) - (x->flow < y->flow);
}

double nws_rating_flow(const double *stage, const double *flow, size_t n, double at)
{
    if (n < 2 || !isfinite(at))
        return NAN;
    pair *p = malloc(n * sizeof *p);
    if (!p)
        return NAN;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(stage[i]) && isfinite(flow[i]))
            p[m++] = (pair){stage[i], flow[i]};
    qsort(p, m, sizeof *p, cmp_pair);
    double q = NAN;
    int monotone = 1;
    for (size_t i = 1; i < m; i++)
        monotone &= p[i].flow >= p[i - 1].flow;
    if (m >= 2 && monotone && at >= p[0].stage && at <= p[m - 1].stage) {
        size_t j = 1;
        while (j < m - 1 && p[j].stage < at)
            j++;
        double ds = p[j].stage - p[j - 1].stage;
        q = ds > 0 ? p[j - 1].flow + (p[j].flow - p[j - 1].flow) * (at - p[j - 1].stage) / ds
                   : p[j].flow;
    }
    free(p);
    return q;
}

/* Which column holds flow and its factor to m3/s; -1 when none does. */
static int flow_col(const nwps_stageflow *s, double *factor)
{
    if (nws_flow_factor(s->secondary_units, factor) == 0)
        return 1;
    if (nws_flow_factor(s->primary_units, factor) == 0)
        return 0;
    return -1;
}

static double row_col(const nwps_row *r, int secondary)
{
    return secondary ? r->secondary : r->primary;
}

/* Append the (stage, flow m3/s) pairs of s when its other column is a
 * stage in the thresholds' units. */
static size_t add_pairs(const nwps_stageflow *s, const char *stage_units, double *st, double *fl,
                        size_t n)
{
    double factor;
    int c = s ? flow_col(s, &factor) : -1;
    const char *su = c == 1 ? s->primary_units : c == 0 ? s->secondary_units : "";
    if (c < 0 || nws_unit_kind(su) != NWS_UNIT_STAGE || strcasecmp(su, stage_units) != 0)
        return n;
    for (size_t i = 0; i < s->n; i++) {
        double q = row_col(&s->rows[i], c), h = row_col(&s->rows[i], !c);
        if (isfinite(q) && q >= 0 && isfinite(h)) {
            st[n] = h;
            fl[n++] = nws_flow_convert(q, factor);
        }
    }
    return n;
}

static void thresholds(rnr_forecast *fc, const nwps_gauge *g, const nwps_stageflow *f,
                       const nwps_stageflow *o)
{
    double factor = 0;
    int have_factor = nws_flow_factor(g->flow_units, &factor) == 0;
    size_t cap = (f ? f->n : 0) + (o ? o->n : 0);
    double *st = malloc((cap ? cap : 1) * sizeof *st), *fl = malloc((cap ? cap : 1) * sizeof *fl);
    size_t n = 0;
    if (st && fl && g->stage_units[0]) {
        n = add_pairs(f, g->stage_units, st, fl, n);
        n = add_pairs(o, g->stage_units, st, fl, n);
    }
    for (int i = 0; i < NWPS_CAT_COUNT && i < 4; i++) {
        double q = g->flow_threshold[i];
        fc->flood_flow[i] = NAN;
        if (have_factor && isfinite(q) && q > 0) {
            fc->flood_flow[i] = nws_flow_convert(q, factor);
        } else if (st && fl && isfinite(g->stage_threshold[i])) {
            fc->flood_flow[i] = nws_rating_flow(st, fl, n, g->stage_threshold[i]);
            fc->flood_flow_rated |= isfinite(fc->flood_flow[i]);
        }
        /* A threshold no river reaches is a bad record: leave it off the
         * plot and out of the NetCDF attributes. */
        if (isfinite(fc->flood_flow[i]) && !forecast_flow_ok(fc->flood_flow[i]))
            fc->flood_flow[i] = NAN;
    }
    free(st);
    free(fl);
}

static int observations(rnr_forecast *fc, const nwps_stageflow *o)
{
    double factor;
    int c = o && fc->n ? flow_col(o, &factor) : -1;
    if (c < 0)
        return RNR_OK;
    int64_t from = fc->times[0] - NWS_PLOT_OBS_SECONDS, to = fc->times[fc->n - 1];
    size_t k = 0;
    for (size_t i = 0; i < o->n; i++) {
        const nwps_row *r = &o->rows[i];
        double q = row_col(r, c);
        k += r->valid_time != RNR_TIME_MISSING && r->valid_time >= from && r->valid_time <= to &&
             forecast_flow_ok(nws_flow_convert(q, factor));
    }
    if (k == 0)
        return RNR_OK;
    if (forecast_alloc_observations(fc, k) != RNR_OK)
        return RNR_ERR_NOMEM;
    k = 0;
    for (size_t i = 0; i < o->n; i++) {
        const nwps_row *r = &o->rows[i];
        double q = row_col(r, c);
        /* Same range as routed flows: an absurd reading never reaches an output. */
        if (r->valid_time == RNR_TIME_MISSING || r->valid_time < from || r->valid_time > to ||
            !forecast_flow_ok(nws_flow_convert(q, factor)))
            continue;
        /* NWPS lists rows in time order; a row out of order is dropped. */
        if (k > 0 && r->valid_time <= fc->obs_times[k - 1])
            continue;
        fc->obs_times[k] = r->valid_time;
        fc->obs_flows[k++] = nws_flow_convert(q, factor);
    }
    fc->n_obs = k;
    return RNR_OK;
}

int nws_plot_data(rnr_forecast *fc, const nwps_gauge *g, const nwps_stageflow *forecast,
                  const nwps_stageflow *observed)
{
    thresholds(fc, g, forecast, observed);
    return observations(fc, observed);
}
