/* nws_client.c - URLs and status mapping for api.weather.gov and NWPS,
 * and the NWS source port (ports/nws_source.h) built on them: fetch, then
 * parse with lib/nws, so a caller sees a missing thing (NOTFOUND), a broken
 * answer (PARSE) and a bad network (the transport's codes) apart.
 *
 * A gauge's two series come from GET /gauges/{lid}/stageflow, which NWPS
 * answers with both at once; a series that answer lacks, or the whole
 * answer when it fails, is asked of /stageflow/forecast or /observed
 * alone. That is two requests per routed forecast where the per-product
 * endpoints take three, under the same politeness limit. */
#include "adapters/nws_client.h"

#include "core/log.h"
#include "core/url.h"
#include "nws/decide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCEPT_LDJSON "application/ld+json"
#define ACCEPT_JSON "application/json"

/* value (else the default) checked and copied into dst without trailing
 * slashes; var names where it came from in messages. */
static int base_set(char *dst, size_t n, const char *var, const char *value, const char *def,
                    rnr_error *err)
{
    const char *v = value && *value ? value : def;
    if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
        return rnr_error_set(err, RNR_ERR_CONFIG, "%s: '%s' is not an http(s) URL", var, v);
    char origin[300], shown[512];
    if (url_origin(v, origin, sizeof origin) != 0) {
        url_mask(v, shown, sizeof shown);
        return rnr_error_set(err, RNR_ERR_CONFIG, "%s: '%s' has no plain host[:port]", var, shown);
    }
    size_t len = strlen(v);
    while (len > 0 && v[len - 1] == '/')
        len--;
    if (len >= n)
        return rnr_error_set(err, RNR_ERR_CONFIG, "%s: URL longer than %zu bytes", var, n - 1);
    memcpy(dst, v, len);
    dst[len] = '\0';
    return RNR_OK;
}

void nws_urls_from_env(const char **nws, const char **nwps)
{
    const char *a = getenv("NWS_API_URL"), *b = getenv("NWPS_API_URL");
    *nws = a && *a ? a : NWS_DEFAULT_API_URL;
    *nwps = b && *b ? b : NWPS_DEFAULT_API_URL;
}

int nws_endpoints_from_env(nws_endpoints *out, rnr_error *err)
{
    const char *nws, *nwps;
    nws_urls_from_env(&nws, &nwps);
    int rc = base_set(out->nws, sizeof out->nws, "NWS_API_URL", nws, NWS_DEFAULT_API_URL, err);
    if (rc)
        return rc;
    return base_set(out->nwps, sizeof out->nwps, "NWPS_API_URL", nwps, NWPS_DEFAULT_API_URL, err);
}

/* GET url; a 2xx hands the body over, 404 is `what` not found. */
static int fetch(http_client *c, const char *url, const char *accept, const char *what, char **body,
                 size_t *len, rnr_error *err)
{
    *body = NULL;
    if (len)
        *len = 0;
    http_response r;
    int rc = http_get(c, url, accept, &r, err);
    if (rc)
        return rc;
    if (r.status == 404) {
        http_response_free(&r);
        return rnr_error_set(err, RNR_ERR_NOTFOUND, "%s not found", what);
    }
    if (r.status < 200 || r.status > 299) {
        long st = r.status;
        http_response_free(&r);
        char shown[512];
        url_mask(url, shown, sizeof shown);
        return rnr_error_set(err, RNR_ERR_TRANSIENT, "GET %s: %s: HTTP %ld", shown, what, st);
    }
    *body = r.body;
    if (len)
        *len = r.len;
    return RNR_OK;
}

int nws_fetch_products(http_client *c, const char *nws_base, char **body, size_t *len,
                       rnr_error *err)
{
    char url[640];
    snprintf(url, sizeof url, "%s/products?type=HML", nws_base);
    return fetch(c, url, ACCEPT_LDJSON, "HML product list", body, len, err);
}

int nws_fetch_product(http_client *c, const char *url, char **body, size_t *len, rnr_error *err)
{
    char what[600];
    snprintf(what, sizeof what, "product %s", url);
    return fetch(c, url, ACCEPT_LDJSON, what, body, len, err);
}

/* GET {base}/gauges/{lid}{suffix} as JSON; kind (may be "") comes before
 * "gauge LID" in messages. The lid is checked and escaped first. */
static int gauge_fetch(http_client *c, const char *base, const char *lid, const char *suffix,
                       const char *kind, char **body, size_t *len, rnr_error *err)
{
    *body = NULL;
    char esc[256], url[1024], what[300];
    if (!nws_lid_valid(lid) || http_escape(lid, esc, sizeof esc) != 0)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "gauge id '%s' is not a location id (1 to %d letters and digits)",
                             lid ? lid : "", NWS_LID_MAX);
    if ((size_t)snprintf(url, sizeof url, "%s/gauges/%s%s", base, esc, suffix) >= sizeof url)
        return rnr_error_set(err, RNR_ERR_INVALID, "gauge %s: URL too long", lid);
    snprintf(what, sizeof what, "%sgauge %s", kind, lid);
    return fetch(c, url, ACCEPT_JSON, what, body, len, err);
}

int nwps_fetch_gauge(http_client *c, const char *nwps_base, const char *lid, char **body,
                     size_t *len, rnr_error *err)
{
    return gauge_fetch(c, nwps_base, lid, "", "", body, len, err);
}

int nwps_fetch_stageflow(http_client *c, const char *nwps_base, const char *lid,
                         const char *product, char **body, size_t *len, rnr_error *err)
{
    *body = NULL;
    if (!product || (strcmp(product, "forecast") != 0 && strcmp(product, "observed") != 0))
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "stageflow product '%s' is not forecast or observed",
                             product ? product : "");
    char suffix[32], kind[32];
    snprintf(suffix, sizeof suffix, "/stageflow/%s", product);
    snprintf(kind, sizeof kind, "%s stageflow of ", product);
    return gauge_fetch(c, nwps_base, lid, suffix, kind, body, len, err);
}

int nwps_fetch_stageflow_all(http_client *c, const char *nwps_base, const char *lid, char **body,
                             size_t *len, rnr_error *err)
{
    return gauge_fetch(c, nwps_base, lid, "/stageflow", "stageflow of ", body, len, err);
}

/* ---- the NWS source port over HTTP ------------------------------------ */

typedef struct nws_http_source {
    http_client *http;
    nws_endpoints ep;
    int combined; /* ask /stageflow first; cleared when NWPS turns out not to have it */
} nws_http_source;

/* A decoding failure is the source's fault, not the transport's: PARSE,
 * whatever the parser called it (NOMEM stays NOMEM). */
static int decoded(int rc, rnr_error *err)
{
    if (rc == RNR_OK || rc == RNR_ERR_NOMEM)
        return rc;
    if (err)
        err->code = RNR_ERR_PARSE;
    return RNR_ERR_PARSE;
}

static int src_products(void *self, nws_product_list **out, rnr_error *err)
{
    nws_http_source *s = self;
    char *body = NULL;
    size_t len = 0;
    int rc = nws_fetch_products(s->http, s->ep.nws, &body, &len, err);
    if (rc)
        return rc;
    rc = nws_products_parse(body, len, out, err);
    free(body);
    return decoded(rc, err);
}

static int src_product(void *self, const char *url, nws_hml_product **out, rnr_error *err)
{
    nws_http_source *s = self;
    char *body = NULL, *text = NULL;
    size_t len = 0, tlen = 0;
    int rc = nws_fetch_product(s->http, url, &body, &len, err);
    if (rc)
        return rc;
    rc = nws_product_text_parse(body, len, &text, &tlen, err);
    free(body);
    if (!rc)
        rc = nws_hml_parse(text, tlen, NULL, out, err);
    free(text);
    return decoded(rc, err);
}

static int src_gauge(void *self, const char *lid, nwps_gauge *out, rnr_error *err)
{
    nws_http_source *s = self;
    char *body = NULL;
    size_t len = 0;
    int rc = nwps_fetch_gauge(s->http, s->ep.nwps, lid, &body, &len, err);
    if (rc)
        return rc;
    rc = nwps_gauge_parse(body, len, out, err);
    free(body);
    return decoded(rc, err);
}

/* One product's series from /stageflow/{product}. */
static void fetch_part(nws_http_source *s, const char *lid, const char *product, nws_series *out,
                       nws_series_part *p)
{
    char *body = NULL;
    size_t len = 0;
    out->requests++;
    p->rc = nwps_fetch_stageflow(s->http, s->ep.nwps, lid, product, &body, &len, &p->err);
    if (p->rc == RNR_OK)
        p->rc = decoded(nwps_stageflow_parse(body, len, &p->s, &p->err), &p->err);
    free(body);
}

static void part_set(nws_series_part *p, int rc, const rnr_error *e)
{
    p->rc = rc;
    p->err = *e;
    p->err.code = rc;
}

/* Both series in one request: 1 when it answered (either part may still
 * be missing), 0 when it failed and 2 when it said 404 (the separate
 * endpoints must then do all of it), -1 out of memory. */
static int fetch_pair(nws_http_source *s, const char *lid, nws_series *out, rnr_error *err)
{
    char *body = NULL;
    size_t len = 0;
    rnr_error e = {0};
    out->requests++;
    int rc = nwps_fetch_stageflow_all(s->http, s->ep.nwps, lid, &body, &len, &e);
    if (rc == RNR_ERR_CANCELLED) { /* stopping: no fallback requests either */
        part_set(&out->forecast, rc, &e);
        part_set(&out->observed, rc, &e);
        return 1;
    }
    if (rc == RNR_OK)
        rc = nwps_stageflow_pair_parse(body, len, &out->forecast.s, &out->observed.s, &e);
    free(body);
    if (rc == RNR_ERR_NOMEM) {
        *err = e;
        return -1;
    }
    if (rc == RNR_ERR_NOTFOUND) /* may be an NWPS without the combined endpoint */
        return 2;
    return rc == RNR_OK;
}

static int src_series(void *self, const char *lid, nws_series *out, rnr_error *err)
{
    nws_http_source *s = self;
    if (!nws_lid_valid(lid))
        return rnr_error_set(err, RNR_ERR_INVALID, "gauge id '%s' is not a location id",
                             lid ? lid : "");
    int combined = __atomic_load_n(&s->combined, __ATOMIC_RELAXED);
    int pair = combined ? fetch_pair(s, lid, out, err) : 0;
    if (pair < 0)
        return RNR_ERR_NOMEM;
    if (pair == 1 && out->forecast.rc == RNR_ERR_CANCELLED)
        return RNR_OK;
    if (!out->forecast.s) {
        fetch_part(s, lid, "forecast", out, &out->forecast);
        /* the gauge has a forecast but /stageflow said 404: this NWPS has
         * no combined endpoint, so stop asking it */
        if (pair == 2 && out->forecast.rc == RNR_OK &&
            __atomic_exchange_n(&s->combined, 0, __ATOMIC_RELAXED))
            log_warn("nws", "NWPS has no /gauges/{lid}/stageflow: using the per-product "
                            "endpoints from now on");
    }
    if (out->forecast.rc != RNR_OK) {
        nwps_stageflow_free(out->observed.s);
        out->observed.s = NULL;
        rnr_error e;
        rnr_error_set(&e, RNR_ERR_NOTFOUND, "observations of gauge %s not fetched: no forecast",
                      lid);
        part_set(&out->observed, RNR_ERR_NOTFOUND, &e);
        return RNR_OK;
    }
    if (!out->observed.s)
        fetch_part(s, lid, "observed", out, &out->observed);
    return RNR_OK;
}

static const char *src_products_base(void *self)
{
    return ((nws_http_source *)self)->ep.nws;
}

static void src_close(void *self)
{
    nws_http_source *s = self;
    http_client_free(s->http);
    free(s);
}

static const nws_source_ops nws_http_ops = {src_products, src_product,       src_gauge,
                                            src_series,   src_products_base, src_close};

/* RNR_NWPS_STAGEFLOW: combined (default) or separate. */
static int stageflow_mode(int *combined, rnr_error *err)
{
    const char *v = getenv("RNR_NWPS_STAGEFLOW");
    *combined = 1;
    if (!v || !*v || !strcmp(v, "combined"))
        return RNR_OK;
    if (!strcmp(v, "separate")) {
        *combined = 0;
        return RNR_OK;
    }
    return rnr_error_set(err, RNR_ERR_CONFIG,
                         "RNR_NWPS_STAGEFLOW=\"%s\": expected combined or separate", v);
}

int nws_source_http_open(const nws_source_opts *o, rnr_nws **out, rnr_error *err)
{
    *out = NULL;
    const char *nws, *nwps;
    nws_urls_from_env(&nws, &nwps);
    nws_http_source *s = calloc(1, sizeof *s);
    rnr_nws *h = calloc(1, sizeof *h);
    int rc = s && h ? RNR_OK : rnr_error_set(err, RNR_ERR_NOMEM, "nws source: out of memory");
    if (!rc)
        rc = base_set(s->ep.nws, sizeof s->ep.nws, "NWS_API_URL",
                      o && o->nws_url ? o->nws_url : nws, NWS_DEFAULT_API_URL, err);
    if (!rc)
        rc = base_set(s->ep.nwps, sizeof s->ep.nwps, "NWPS_API_URL",
                      o && o->nwps_url ? o->nwps_url : nwps, NWPS_DEFAULT_API_URL, err);
    if (!rc)
        rc = stageflow_mode(&s->combined, err);
    if (!rc) {
        http_opts ho;
        http_opts_from_env(&ho);
        if (o && o->user_agent && *o->user_agent)
            ho.user_agent = o->user_agent;
        ho.stop = o ? o->stop : NULL;
        ho.progress = o ? o->progress : NULL;
        rc = http_client_new(&ho, &s->http, err);
    }
    if (rc) {
        free(h);
        if (s)
            http_client_free(s->http);
        free(s);
        return rc;
    }
    *h = (rnr_nws){&nws_http_ops, s};
    *out = h;
    return RNR_OK;
}
