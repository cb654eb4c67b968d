/* ops_api.c - the JSON API and the page of `rnr up --http`, read from the
 * store. Runs on the HTTP server's thread; one mutex guards the cache and
 * the status document. */
#include "services/ops_api.h"

#include "core/fileutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "io/nc_output.h"
#include "services/ops_page.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct cached {
    char *key;
    int64_t mtime;
    json_t *summary, *series;
} cached;

struct ops_api {
    rnr_store *store;
    char *out_prefix, *pp_prefix, *tmp_dir;
    pthread_mutex_t mu;
    char *status;
    char *config; /* the /api/config document */
    cached *c;
    size_t nc, capc;
};

int ops_api_new(rnr_store *store, const char *output_prefix, const char *postprocess_prefix,
                const char *tmp_dir, ops_api **out, rnr_error *err)
{
    *out = NULL;
    ops_api *a = calloc(1, sizeof *a);
    if (!a || pthread_mutex_init(&a->mu, NULL) != 0) {
        free(a);
        return rnr_error_set(err, RNR_ERR_NOMEM, "http api: out of memory");
    }
    a->store = store;
    a->out_prefix = strdup(output_prefix);
    a->pp_prefix = strdup(postprocess_prefix);
    a->tmp_dir = strdup(tmp_dir);
    a->status = strdup("{}");
    a->config = strdup("{\"map_tiles\":null}");
    if (!a->out_prefix || !a->pp_prefix || !a->tmp_dir || !a->status || !a->config) {
        a->store = NULL;
        ops_api_free(a);
        return rnr_error_set(err, RNR_ERR_NOMEM, "http api: out of memory");
    }
    *out = a;
    return RNR_OK;
}

/* The template is handed to the browser, which fetches from it: only
 * http(s), each placeholder once, and no character that could leave a
 * URL (quotes, spaces, angle brackets, controls). */
static int tiles_ok(const char *t)
{
    if (strncmp(t, "http://", 7) != 0 && strncmp(t, "https://", 8) != 0)
        return 0;
    if (strlen(t) > 1024)
        return 0;
    for (const char *p = t; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("\"'<>\\`", *p))
            return 0;
    const char *ph[] = {"{z}", "{x}", "{y}"};
    for (int i = 0; i < 3; i++) {
        const char *at = strstr(t, ph[i]);
        if (!at || strstr(at + 3, ph[i]))
            return 0;
    }
    return 1;
}

int ops_api_set_map_tiles(ops_api *a, const char *tpl, rnr_error *err)
{
    if (!tpl || !*tpl)
        return RNR_OK;
    if (!tiles_ok(tpl))
        return rnr_error_set(
            err, RNR_ERR_CONFIG,
            "RNR_MAP_TILES '%.200s': expected an http(s) URL with {z}, {x} and {y} once each, "
            "e.g. https://tile.example.org/{z}/{x}/{y}.png",
            tpl);
    json_t *j = json_pack("{s:s}", "map_tiles", tpl);
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!txt)
        return rnr_error_set(err, RNR_ERR_NOMEM, "http api: out of memory");
    free(a->config);
    a->config = txt;
    return RNR_OK;
}

void ops_api_set_status(ops_api *a, const char *json)
{
    char *copy = strdup(json ? json : "{}");
    if (!copy)
        return;
    pthread_mutex_lock(&a->mu);
    free(a->status);
    a->status = copy;
    pthread_mutex_unlock(&a->mu);
}

static void reply_json(http_reply *r, int status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    r->status = s ? status : 500;
    r->content_type = "application/json";
    r->body = s ? s : strdup("{\"error\":\"cannot encode\"}");
    r->len = r->body ? strlen(r->body) : 0;
}

static void reply_error(http_reply *r, int status, const char *msg)
{
    json_t *j = json_pack("{s:s}", "error", msg);
    reply_json(r, status, j);
    json_decref(j);
}

/* A lid is letters and digits, 3 to 8 of them (NWS location ids). */
static int lid_ok(const char *s, size_t n)
{
    if (n < 3 || n > 8)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]))
            return 0;
    return 1;
}

/* For "{prefix}/{lid}/troute_output_*.nc" fill lid; 0 when not an output. */
static int output_lid(const char *prefix, const char *key, char *lid, size_t n)
{
    size_t pl = strlen(prefix);
    if (strncmp(key, prefix, pl) != 0 || key[pl] != '/')
        return 0;
    const char *l = key + pl + 1, *slash = strchr(l, '/');
    if (!slash || !lid_ok(l, (size_t)(slash - l)) || (size_t)(slash - l) >= n)
        return 0;
    const char *file = slash + 1;
    size_t fl = strlen(file);
    if (strncmp(file, "troute_output_", 14) != 0 || fl < 18 || strcmp(file + fl - 3, ".nc") != 0 ||
        strchr(file, '/'))
        return 0;
    memcpy(lid, l, (size_t)(slash - l));
    lid[slash - l] = '\0';
    return 1;
}

static json_t *iso(int64_t t)
{
    char buf[32];
    if (time_format_iso(t, buf, sizeof buf) != 0)
        return json_null();
    return json_string(buf);
}

/* Peak of one segment's series: value and time index. */
static size_t seg_peak(const nc_table *t, size_t seg, float *peak)
{
    size_t at = 0;
    *peak = t->flow[seg * t->ntime];
    for (size_t k = 1; k < t->ntime; k++)
        if (t->flow[seg * t->ntime + k] > *peak) {
            *peak = t->flow[seg * t->ntime + k];
            at = k;
        }
    return at;
}

static json_t *flow_array(const nc_table *t, size_t seg)
{
    json_t *a = json_array();
    for (size_t k = 0; k < t->ntime; k++)
        json_array_append_new(a, json_real(t->flow[seg * t->ntime + k]));
    return a;
}

/* [{time, flow_m3s}] of a point series (the RFC forecast, observations). */
static json_t *points(const int64_t *times, const float *flows, size_t n)
{
    json_t *a = json_array();
    for (size_t k = 0; k < n; k++)
        if (isfinite(flows[k]))
            json_array_append_new(
                a, json_pack("{s:o,s:f}", "time", iso(times[k]), "flow_m3s", (double)flows[k]));
    return a;
}

/* [{category, flow_m3s}] of the flood categories the output carries. */
static json_t *thresholds(const nc_table *t)
{
    static const char *const cat[4] = {"action", "minor", "moderate", "major"};
    json_t *a = json_array();
    for (int i = 0; i < 4; i++)
        if (isfinite(t->flood_flow[i]))
            json_array_append_new(
                a, json_pack("{s:s,s:f}", "category", cat[i], "flow_m3s", t->flood_flow[i]));
    return a;
}

/* Summary and series of one output, from its NetCDF. */
static int summarise(const char *lid, const char *key, const nc_table *t, cached *c)
{
    if (t->nseg < 1 || t->ntime < 1)
        return RNR_ERR_PARSE;
    float peak, out_peak;
    size_t at = seg_peak(t, 0, &peak), out_at = seg_peak(t, t->nseg - 1, &out_peak);
    c->summary = json_pack(
        "{s:s,s:s,s:s,s:s,s:o,s:f,s:o,s:f,s:o,s:s,s:I,s:I,s:I,s:I}", "lid", lid, "name", t->name,
        "state", t->state, "status", t->max_status, "reference_time", iso(t->reference_time),
        "peak_flow_m3s", (double)peak, "peak_time", iso(t->times[at]), "outlet_peak_flow_m3s",
        (double)out_peak, "outlet_peak_time", iso(t->times[out_at]), "output_key", key, "segments",
        (json_int_t)t->nseg, "reach_id", (json_int_t)t->rfc_reach_id, "stream_order",
        (json_int_t)t->stream_order, "origin_feature_id", (json_int_t)t->feature_ids[0]);
    json_t *times = json_array();
    for (size_t k = 0; k < t->ntime; k++)
        json_array_append_new(times, iso(t->times[k]));
    c->series =
        json_pack("{s:s,s:o,s:I,s:I,s:o,s:o,s:s}", "lid", lid, "time", times, "origin_feature_id",
                  (json_int_t)t->feature_ids[0], "outlet_feature_id",
                  (json_int_t)t->feature_ids[t->nseg - 1], "flow_origin_m3s", flow_array(t, 0),
                  "flow_outlet_m3s", flow_array(t, t->nseg - 1), "units", "m3 s-1");
    if (c->series) {
        json_object_set_new(c->series, "rfc_forecast",
                            points(t->fcst_times, t->fcst_flows, t->n_fcst));
        json_object_set_new(c->series, "observations",
                            points(t->obs_times, t->obs_flows, t->n_obs));
        json_object_set_new(c->series, "thresholds", thresholds(t));
    }
    return c->summary && c->series ? RNR_OK : RNR_ERR_NOMEM;
}

/* The cached entry of key at mtime, reading the NetCDF when needed.
 * Called with the mutex held. */
static cached *load(ops_api *a, const char *lid, const char *key, int64_t mtime)
{
    for (size_t i = 0; i < a->nc; i++)
        if (strcmp(a->c[i].key, key) == 0 && a->c[i].mtime == mtime)
            return &a->c[i];
    char path[1024];
    snprintf(path, sizeof path, "%s/ops-api-XXXXXX", a->tmp_dir);
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    close(fd);
    rnr_error err = {0};
    nc_table *t = NULL;
    cached c = {0};
    int rc = store_get_file(a->store, key, path, &err);
    if (rc == RNR_OK)
        rc = nc_output_read(path, &t, &err);
    unlink(path);
    if (rc == RNR_OK)
        rc = summarise(lid, key, t, &c);
    nc_table_free(t);
    if (rc != RNR_OK) {
        log_warn("http", "api: cannot read %s: %s", key, err.msg[0] ? err.msg : rnr_code_name(rc));
        json_decref(c.summary);
        json_decref(c.series);
        return NULL;
    }
    if (a->nc == a->capc) {
        size_t cap = a->capc ? a->capc * 2 : 16;
        cached *n = realloc(a->c, cap * sizeof *n);
        if (!n) {
            json_decref(c.summary);
            json_decref(c.series);
            return NULL;
        }
        a->c = n;
        a->capc = cap;
    }
    c.key = strdup(key);
    c.mtime = mtime;
    a->c[a->nc] = c;
    return &a->c[a->nc++];
}

/* The latest output key per lid (by file name: the reference time). */
static json_t *latest_outputs(ops_api *a, rnr_error *err)
{
    store_list l = {0};
    if (store_list_prefix(a->store, a->out_prefix, &l, err) != RNR_OK)
        return NULL;
    json_t *best = json_object(); /* lid -> [key, mtime] */
    char lid[16];
    for (size_t i = 0; i < l.n; i++) {
        if (!output_lid(a->out_prefix, l.items[i].key, lid, sizeof lid))
            continue;
        json_t *cur = json_object_get(best, lid);
        if (!cur || strcmp(json_string_value(json_array_get(cur, 0)), l.items[i].key) < 0)
            json_object_set_new(best, lid,
                                json_pack("[s,I]", l.items[i].key, (json_int_t)l.items[i].mtime));
    }
    store_list_clear(&l);
    return best;
}

static void handle_forecasts(ops_api *a, const char *lid_wanted, http_reply *r)
{
    rnr_error err = {0};
    pthread_mutex_lock(&a->mu);
    json_t *best = latest_outputs(a, &err);
    if (!best) {
        pthread_mutex_unlock(&a->mu);
        reply_error(r, 503, err.msg[0] ? err.msg : "store unavailable");
        return;
    }
    json_t *list = json_array(), *series = NULL;
    const char *lid;
    json_t *v;
    json_object_foreach(best, lid, v)
    {
        if (lid_wanted && strcmp(lid, lid_wanted) != 0)
            continue;
        cached *c = load(a, lid, json_string_value(json_array_get(v, 0)),
                         (int64_t)json_integer_value(json_array_get(v, 1)));
        if (!c)
            continue;
        json_array_append(list, c->summary);
        if (lid_wanted) {
            series = json_deep_copy(c->series);
            json_object_set(series, "summary", c->summary);
        }
    }
    pthread_mutex_unlock(&a->mu);
    json_decref(best);
    if (!lid_wanted) {
        json_t *doc = json_pack("{s:o}", "forecasts", list);
        reply_json(r, 200, doc);
        json_decref(doc);
    } else {
        json_decref(list);
        if (series)
            reply_json(r, 200, series);
        else
            reply_error(r, 404, "no routed forecast for this gauge");
        json_decref(series);
    }
}

static void handle_inundation(ops_api *a, http_reply *r)
{
    rnr_error err = {0};
    store_list l = {0};
    pthread_mutex_lock(&a->mu);
    int rc = store_list_prefix(a->store, a->pp_prefix, &l, &err);
    const char *latest = NULL;
    for (size_t i = 0; rc == RNR_OK && i < l.n; i++) {
        const char *k = l.items[i].key;
        size_t n = strlen(k);
        if (n > 8 && strcmp(k + n - 8, ".geojson") == 0 && (!latest || strcmp(k, latest) > 0))
            latest = k;
    }
    char path[1024] = "";
    char *body = NULL;
    size_t len = 0;
    if (latest) {
        snprintf(path, sizeof path, "%s/ops-api-XXXXXX", a->tmp_dir);
        int fd = mkstemp(path);
        if (fd >= 0) {
            close(fd);
            if (store_get_file(a->store, latest, path, &err) == RNR_OK)
                (void)file_read_all(path, &body, &len, &err);
            unlink(path);
        }
    }
    store_list_clear(&l);
    pthread_mutex_unlock(&a->mu);
    if (rc != RNR_OK) {
        reply_error(r, 503, err.msg);
    } else if (!latest) {
        r->status = 200;
        r->content_type = "application/geo+json";
        r->body = strdup("{\"type\":\"FeatureCollection\",\"features\":[]}");
        r->len = r->body ? strlen(r->body) : 0;
    } else if (!body) {
        reply_error(r, 503, err.msg[0] ? err.msg : "cannot read the inundation table");
    } else {
        r->status = 200;
        r->content_type = "application/geo+json";
        r->body = body;
        r->len = len;
    }
}

int ops_api_handle(ops_api *a, const char *path, http_reply *r)
{
    if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
        http_reply_text(r, 200, "text/html; charset=utf-8", ops_page_html());
    } else if (strcmp(path, "/api/status") == 0) {
        pthread_mutex_lock(&a->mu);
        http_reply_text(r, 200, "application/json", a->status);
        pthread_mutex_unlock(&a->mu);
    } else if (strcmp(path, "/api/config") == 0) {
        http_reply_text(r, 200, "application/json", a->config);
    } else if (strcmp(path, "/api/forecasts") == 0) {
        handle_forecasts(a, NULL, r);
    } else if (strncmp(path, "/api/forecasts/", 15) == 0) {
        const char *lid = path + 15;
        if (!lid_ok(lid, strlen(lid)))
            reply_error(r, 404, "not a gauge id");
        else
            handle_forecasts(a, lid, r);
    } else if (strcmp(path, "/api/inundation") == 0) {
        handle_inundation(a, r);
    } else {
        return 0;
    }
    return 1;
}

void ops_api_free(ops_api *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nc; i++) {
        free(a->c[i].key);
        json_decref(a->c[i].summary);
        json_decref(a->c[i].series);
    }
    free(a->c);
    store_free(a->store);
    free(a->out_prefix);
    free(a->pp_prefix);
    free(a->tmp_dir);
    free(a->status);
    free(a->config);
    pthread_mutex_destroy(&a->mu);
    free(a);
}
