/* worker_site.c - one site's work: the NWPS gauge, decide, the forecast
 * and observations (ports/nws_source.h), cut and route, store the
 * outputs. It only says how the site ended (site_result); the caller keeps
 * the ledger, the counts and the follow-up messages (worker_product.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "nws/decide.h"
#include "services/route_job.h"
#include "services/worker_internal.h"

static void tick(const worker_site_env *env)
{
    if (env->progress)
        __atomic_add_fetch(env->progress, 1, __ATOMIC_RELAXED);
}

/* One step took from t0 (time_mono_s) until now. */
static void observe(const worker_site_env *env, int step, double t0)
{
    if (env->steps)
        prom_hist_observe(&env->steps[step], time_mono_s() - t0);
}

static void result_skip(site_result *r, const char *lid, int reason, const char *why)
{
    r->kind = SR_SKIPPED;
    r->reason = reason > 0 && reason < NWS_SKIP_COUNT ? reason : 0;
    log_event(LOG_INFO, "worker", "skip", "skip lid={lid} reason={reason}: {detail}",
              LOG_STR("lid", lid), LOG_STR("reason", nws_skip_name(reason)),
              LOG_STR("detail", why && *why ? why : nws_skip_message(reason)));
}

static void result_failed(site_result *r, const char *lid, const char *msg)
{
    r->kind = SR_FAILED;
    snprintf(r->why, sizeof r->why, "%s", msg);
    log_event(LOG_WARN, "worker", "site_failed", "failed lid={lid}: {error}", LOG_STR("lid", lid),
              LOG_STR("error", msg));
}

/* A failure a later attempt may not have: SR_TRANSIENT, or SR_RELEASE when
 * the worker is stopping. */
static void result_transient(const worker_site_env *env, site_result *r, int rc, const rnr_error *e,
                             const char *lid)
{
    r->kind = rc == RNR_ERR_CANCELLED || *env->abort_now ? SR_RELEASE : SR_TRANSIENT;
    snprintf(r->why, sizeof r->why, "lid %s: %s", lid, e->msg);
}

static int is_transient_store(int rc)
{
    return rnr_code_is_transient(rc) || rc == RNR_ERR_IO || rc == RNR_ERR_NOMEM;
}

static void store_outputs(const worker_site_env *env, const char *lid, const route_job_result *res,
                          site_result *r)
{
    for (size_t i = 0; i < res->n_outputs; i++) {
        const route_output *out = &res->outputs[i];
        const char *base = strrchr(out->path, '/');
        base = base ? base + 1 : out->path;
        char key[1200];
        snprintf(key, sizeof key, "%s/%s/%s", env->cfg->output_prefix, lid, base);
        rnr_error e = {0};
        int rc = store_put_file(env->store, key, out->path, out->content_type, &e);
        tick(env);
        if (rc == RNR_OK) {
            log_event(LOG_INFO, "worker", "stored", "stored lid={lid} key={key}",
                      LOG_STR("lid", lid), LOG_STR("key", key));
            r->outputs += i == 0; /* forecasts stored: the NetCDF counts */
            continue;
        }
        if (is_transient_store(rc)) {
            result_transient(env, r, rc, &e, lid);
            return;
        }
        char msg[700];
        snprintf(msg, sizeof msg, "cannot store %s: %s", key, e.msg);
        result_failed(r, lid, msg);
        return;
    }
    r->kind = SR_ROUTED;
}

/* The forecast (and observations, NULL when there are none): 1 when the
 * site goes on, else 0 with r filled. */
static int fetch_series(const worker_site_env *env, const nwps_gauge *g, nwps_stageflow **fc,
                        nwps_stageflow **obs, site_result *r)
{
    nws_series s;
    rnr_error e = {0};
    double t0 = time_mono_s();
    int rc = nws_source_series(env->nws, g->lid, &s, &e);
    observe(env, WORKER_STEP_FETCH, t0);
    tick(env);
    if (rc) { /* an invalid lid never gets here (worker_site_run checks it) */
        result_transient(env, r, rc, &e, g->lid);
        return 0;
    }
    rc = s.forecast.rc;
    if (rc == RNR_ERR_NOTFOUND) {
        result_skip(r, g->lid, NWS_SKIP_NO_FORECAST, s.forecast.err.msg);
    } else if (rc == RNR_ERR_PARSE) {
        result_skip(r, g->lid, NWS_SKIP_BAD_STAGEFLOW, s.forecast.err.msg);
    } else if (rc) {
        result_transient(env, r, rc, &s.forecast.err, g->lid);
    } else if (s.observed.rc == RNR_ERR_PARSE) {
        log_event(LOG_INFO, "worker", "observations",
                  "lid={lid}: observations unreadable, routing without: {error}",
                  LOG_STR("lid", g->lid), LOG_STR("error", s.observed.err.msg));
    } else if (s.observed.rc && s.observed.rc != RNR_ERR_NOTFOUND) {
        result_transient(env, r, s.observed.rc, &s.observed.err, g->lid);
        rc = s.observed.rc;
    }
    if (rc == RNR_OK) { /* hand the series over */
        *fc = s.forecast.s;
        *obs = s.observed.s;
        s.forecast.s = s.observed.s = NULL;
    }
    nws_series_clear(&s);
    return rc == RNR_OK;
}

/* The steps route_job_run got to. */
static void observe_route(const worker_site_env *env, const route_job_result *res)
{
    const double d[3] = {res->cut_s, res->route_s, res->write_s};
    const int step[3] = {WORKER_STEP_CUT, WORKER_STEP_ROUTE, WORKER_STEP_NETCDF};
    for (int i = 0; env->steps && i < 3; i++)
        if (d[i] > 0)
            prom_hist_observe(&env->steps[step[i]], d[i]);
}

static void route_and_store(const worker_site_env *env, const rnr_forecast *f, site_result *r)
{
    route_job_opts o = {.forcing_mode = env->cfg->forcing_mode,
                        .dt = 300.0f,
                        .write_plot = env->cfg->write_plots,
                        .trace_id = log_get_trace_id()};
    route_job_result res;
    memset(&res, 0, sizeof res);
    rnr_error e = {0};
    int rc = route_job_run(env->hf, f, &o, env->tmpdir, &res, &e);
    tick(env);
    observe_route(env, &res);
    if (rc == RNR_ERR_INVALID || rc == RNR_ERR_NOTFOUND || rc == RNR_ERR_PARSE ||
        rc == RNR_ERR_LIMIT || rc == RNR_ERR_UNSUPPORTED) {
        char msg[700];
        snprintf(msg, sizeof msg, "reach=%lld: %s", (long long)f->reach_id, e.msg);
        result_failed(r, f->lid, msg);
        return;
    }
    if (rc) {
        result_transient(env, r, rc, &e, f->lid);
        return;
    }
    if (*env->abort_now) {
        route_job_remove_outputs(&res);
        r->kind = SR_RELEASE;
        return;
    }
    double t0 = time_mono_s();
    store_outputs(env, f->lid, &res, r);
    observe(env, WORKER_STEP_STORE, t0);
    route_job_remove_outputs(&res);
    if (r->kind == SR_ROUTED)
        log_event(
            LOG_INFO, "worker", "routed",
            "routed lid={lid} reach={reach_id} segments={segments} steps={steps} peak_outlet={peak_outlet}",
            LOG_STR("lid", f->lid), LOG_INT("reach_id", f->reach_id), LOG_INT("segments", res.nseg),
            LOG_INT("steps", res.ntime), LOG_NUM("peak_outlet", res.peak_outlet));
}

/* The gauge record: 1 when the site goes on, else 0 with r filled. */
static int fetch_gauge(const worker_site_env *env, const char *lid, nwps_gauge *g, site_result *r)
{
    rnr_error e = {0};
    double t0 = time_mono_s();
    int rc = nws_source_gauge(env->nws, lid, g, &e);
    observe(env, WORKER_STEP_FETCH, t0);
    tick(env);
    if (rc == RNR_ERR_NOTFOUND) {
        result_skip(r, lid, NWS_SKIP_GAUGE_NOT_FOUND, e.msg);
        return 0;
    }
    if (rc == RNR_ERR_PARSE) {
        result_skip(r, lid, NWS_SKIP_BAD_GAUGE, e.msg);
        return 0;
    }
    if (rc) {
        result_transient(env, r, rc, &e, lid);
        return 0;
    }
    return 1;
}

void worker_site_run(const worker_site_env *env, const char *lid, site_result *r)
{
    memset(r, 0, sizeof *r);
    if (!nws_lid_valid(lid)) { /* never let it reach a URL path or a key */
        result_skip(r, lid, NWS_SKIP_BAD_LID, NULL);
        return;
    }
    nwps_gauge g;
    if (!fetch_gauge(env, lid, &g, r))
        return;
    int reason = NWS_RUN;
    rnr_error le = {0};
    if (!nws_gauge_lid_matches(lid, &g, &reason, &le)) {
        result_skip(r, lid, reason, le.msg);
        return;
    }
    if (!nws_decide_gauge(&g, &reason)) {
        result_skip(r, lid, reason, NULL);
        return;
    }
    nwps_stageflow *fc = NULL, *obs = NULL;
    if (!fetch_series(env, &g, &fc, &obs, r)) {
        nwps_stageflow_free(fc);
        return;
    }
    rnr_forecast *f = NULL;
    rnr_error e = {0};
    int rc = nws_build_request(&g, fc, obs, &f, &reason, &e);
    nwps_stageflow_free(fc);
    nwps_stageflow_free(obs);
    if (rc == RNR_ERR_INVALID && reason != NWS_RUN) {
        result_skip(r, lid, reason, e.msg);
        return;
    }
    if (rc == RNR_ERR_NOMEM) {
        result_transient(env, r, rc, &e, lid);
        return;
    }
    if (rc) {
        result_failed(r, lid, e.msg);
        return;
    }
    route_and_store(env, f, r);
    forecast_free(f);
}
