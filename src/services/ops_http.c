/* ops_http.c - health, readiness and metrics over the HTTP server
 * adapter. */
#include "services/ops_http.h"

#include "core/timeutil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ops_http {
    http_server *srv;
    prom_registry *metrics;
    ops_http_route route;
    void *route_ud;
    int max_age_ms;
    _Atomic int64_t last_beat_ms; /* monotonic */
    atomic_int ready;
};

static void health_reply(http_reply *r, int ok, double age)
{
    char buf[128];
    snprintf(buf, sizeof buf, "{\"status\":\"%s\",\"heartbeat_age_seconds\":%.3f}", ok ? "ok" : "stale", age);
    http_reply_text(r, ok ? 200 : 503, "application/json", buf);
}

static void on_request(void *ud, const char *path, http_reply *r)
{
    ops_http *o = ud;
    if (strcmp(path, "/healthz") == 0) {
        double age = (double)(time_mono_ms() - atomic_load(&o->last_beat_ms)) / 1000.0;
        int ok = age * 1000.0 <= (double)o->max_age_ms;
        health_reply(r, ok, age);
    } else if (strcmp(path, "/readyz") == 0) {
        int ready = atomic_load(&o->ready);
        http_reply_text(r, ready ? 200 : 503, "application/json",
                        ready ? "{\"status\":\"ready\"}" : "{\"status\":\"not ready\"}");
    } else if (strcmp(path, "/metrics") == 0) {
        char *txt = NULL;
        size_t len = 0;
        if (o->metrics && prom_render(o->metrics, &txt, &len, NULL) != RNR_OK) {
            http_reply_text(r, 500, "application/json", "{\"error\":\"cannot render metrics\"}");
            return;
        }
        r->status = 200;
        r->content_type = "text/plain; version=0.0.4; charset=utf-8";
        r->body = txt ? txt : strdup("");
        r->len = txt ? len : 0;
    } else if (!o->route || !o->route(o->route_ud, path, r)) {
        http_reply_text(r, 404, "application/json", "{\"error\":\"not found\"}");
    }
}

int ops_http_start(const char *listen, prom_registry *metrics, int max_age_s, ops_http_route route, void *ud,
                   ops_http **out, rnr_error *err)
{
    *out = NULL;
    ops_http *o = calloc(1, sizeof *o);
    if (!o)
        return rnr_error_set(err, RNR_ERR_NOMEM, "http: out of memory");
    o->metrics = metrics;
    o->route = route;
    o->route_ud = ud;
    o->max_age_ms = max_age_s > 0 ? max_age_s * 1000 : 120000;
    atomic_store(&o->last_beat_ms, time_mono_ms());
    int rc = http_server_start(listen, on_request, o, &o->srv, err);
    if (rc != RNR_OK) {
        free(o);
        return rc;
    }
    *out = o;
    return RNR_OK;
}

int ops_http_port(const ops_http *o) { return o ? http_server_port(o->srv) : 0; }

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
    http_server_stop(o->srv);
    free(o);
}
