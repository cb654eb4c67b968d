/* ops_http.c - health, readiness and metrics over the inbound HTTP port
 * (ports/http_serve.h). */
#include "services/ops_http.h"

#include "core/timeutil.h"
#include "ports/backends.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct ops_http {
    rnr_listener *srv;
    ops_http_opts o;
    int max_age_ms;
    _Atomic int64_t last_beat_ms; /* monotonic */
    atomic_int ready;
};

static void health_reply(http_reply *r, int ok, double age)
{
    char buf[128];
    snprintf(buf, sizeof buf, "{\"status\":\"%s\",\"heartbeat_age_seconds\":%.3f}",
             ok ? "ok" : "stale", age);
    http_reply_text(r, ok ? 200 : 503, "application/json", buf);
}

static void on_request(void *ud, const char *path, http_reply *r)
{
    ops_http *o = ud;
    if (strcmp(path, "/healthz") == 0) {
        double age = (double)(time_mono_ms() - atomic_load(&o->last_beat_ms)) / 1000.0;
        struct stat st;
        if (o->o.health_file)
            age = stat(o->o.health_file, &st) == 0
                      ? (double)(time_now_ms() - (int64_t)st.st_mtime * 1000) / 1000.0
                      : 1e9;
        int ok = age * 1000.0 <= (double)o->max_age_ms;
        health_reply(r, ok, age);
    } else if (strcmp(path, "/readyz") == 0) {
        int ready = atomic_load(&o->ready);
        http_reply_text(r, ready ? 200 : 503, "application/json",
                        ready ? "{\"status\":\"ready\"}" : "{\"status\":\"not ready\"}");
    } else if (strcmp(path, "/metrics") == 0) {
        char *txt = NULL;
        size_t len = 0;
        if (o->o.collect && o->o.metrics)
            o->o.collect(o->o.collect_ud, o->o.metrics);
        if (o->o.metrics && prom_render(o->o.metrics, &txt, &len, NULL) != RNR_OK) {
            http_reply_text(r, 500, "application/json", "{\"error\":\"cannot render metrics\"}");
            return;
        }
        r->status = 200;
        r->content_type = "text/plain; version=0.0.4; charset=utf-8";
        r->body = txt ? txt : strdup("");
        r->len = txt ? len : 0;
    } else if (!o->o.route || !o->o.route(o->o.route_ud, path, r)) {
        http_reply_text(r, 404, "application/json", "{\"error\":\"not found\"}");
    }
}

int ops_http_start(const ops_http_opts *opts, ops_http **out, rnr_error *err)
{
    *out = NULL;
    ops_http *o = calloc(1, sizeof *o);
    if (!o)
        return rnr_error_set(err, RNR_ERR_NOMEM, "http: out of memory");
    o->o = *opts;
    o->max_age_ms = opts->max_age_s > 0 ? opts->max_age_s * 1000 : 120000;
    atomic_store(&o->last_beat_ms, time_mono_ms());
    int rc = backend_listen_http(opts->listen, on_request, o, &o->srv, err);
    if (rc != RNR_OK) {
        free(o);
        return rc;
    }
    *out = o;
    return RNR_OK;
}

int ops_http_port(const ops_http *o)
{
    return o ? listener_port(o->srv) : 0;
}

void ops_http_beat(ops_http *o)
{
    if (o)
        atomic_store(&o->last_beat_ms, time_mono_ms());
}

void ops_http_set_ready(ops_http *o, int ready)
{
    if (o)
        atomic_store(&o->ready, ready ? 1 : 0);
}

void ops_http_stop(ops_http *o)
{
    if (!o)
        return;
    listener_stop(o->srv);
    free(o);
}
