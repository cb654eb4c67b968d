/* nws_client.c - URLs and status mapping for api.weather.gov and NWPS. */
#include "adapters/nws_client.h"

#include "core/url.h"
#include "nws/decide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCEPT_LDJSON "application/ld+json"
#define ACCEPT_JSON "application/json"

static int base_set(char *dst, size_t n, const char *env, const char *def, rnr_error *err)
{
    const char *v = getenv(env);
    if (!v || !*v) v = def;
    if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
        return rnr_error_set(err, RNR_ERR_CONFIG, "%s: '%s' is not an http(s) URL", env, v);
    char origin[300], shown[512];
    if (url_origin(v, origin, sizeof origin) != 0) {
        url_mask(v, shown, sizeof shown);
        return rnr_error_set(err, RNR_ERR_CONFIG, "%s: '%s' has no plain host[:port]", env, shown);
    }
    size_t len = strlen(v);
    while (len > 0 && v[len - 1] == '/') len--;
    if (len >= n)
        return rnr_error_set(err, RNR_ERR_CONFIG, "%s: URL longer than %zu bytes", env, n - 1);
    memcpy(dst, v, len);
    dst[len] = '\0';
    return RNR_OK;
}

int nws_endpoints_from_env(nws_endpoints *out, rnr_error *err)
{
    int rc = base_set(out->nws, sizeof out->nws, "NWS_API_URL", NWS_DEFAULT_API_URL, err);
    if (rc) return rc;
    return base_set(out->nwps, sizeof out->nwps, "NWPS_API_URL", NWPS_DEFAULT_API_URL, err);
}

/* GET url; a 2xx hands the body over, 404 is `what` not found. */
static int fetch(http_client *c, const char *url, const char *accept, const char *what,
                 char **body, size_t *len, rnr_error *err)
{
    *body = NULL;
    if (len) *len = 0;
    http_response r;
    int rc = http_get(c, url, accept, &r, err);
    if (rc) return rc;
    if (r.status == 404) {
        http_response_free(&r);
        return rnr_error_set(err, RNR_ERR_NOTFOUND, "%s not found", what);
    }
    if (r.status < 200 || r.status > 299) {
        long st = r.status;
        http_response_free(&r);
        char shown[512];
        http_url_redact(url, shown, sizeof shown);
        return rnr_error_set(err, RNR_ERR_TRANSIENT, "GET %s: %s: HTTP %ld", shown, what, st);
    }
    *body = r.body;
    if (len) *len = r.len;
    return RNR_OK;
}

int nws_fetch_products(http_client *c, const char *nws_base, char **body, size_t *len,
                       rnr_error *err)
{
    char url[640];
    snprintf(url, sizeof url, "%s/products?type=HML", nws_base);
    return fetch(c, url, ACCEPT_LDJSON, "HML product list", body, len, err);
}

int nws_fetch_product(http_client *c, const char *url, char **body, size_t *len,
                      rnr_error *err)
{
    char what[600];
    snprintf(what, sizeof what, "product %s", url);
    return fetch(c, url, ACCEPT_LDJSON, what, body, len, err);
}

static int gauge_url(char *url, size_t n, const char *base, const char *lid,
                     const char *suffix, rnr_error *err)
{
    char esc[256];
    if (!nws_lid_valid(lid) || http_escape(lid, esc, sizeof esc) != 0)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "gauge id '%s' is not a location id (1 to %d letters and digits)",
                             lid ? lid : "", NWS_LID_MAX);
    if ((size_t)snprintf(url, n, "%s/gauges/%s%s", base, esc, suffix) >= n)
        return rnr_error_set(err, RNR_ERR_INVALID, "gauge %s: URL too long", lid);
    return RNR_OK;
}

int nwps_fetch_gauge(http_client *c, const char *nwps_base, const char *lid, char **body,
                     size_t *len, rnr_error *err)
{
    *body = NULL;
    char url[1024], what[300];
    int rc = gauge_url(url, sizeof url, nwps_base, lid, "", err);
    if (rc) return rc;
    snprintf(what, sizeof what, "gauge %s", lid);
    return fetch(c, url, ACCEPT_JSON, what, body, len, err);
}

int nwps_fetch_stageflow(http_client *c, const char *nwps_base, const char *lid,
                         const char *product, char **body, size_t *len, rnr_error *err)
{
    *body = NULL;
    if (!product || (strcmp(product, "forecast") != 0 && strcmp(product, "observed") != 0))
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "stageflow product '%s' is not forecast or observed",
                             product ? product : "");
    char url[1024], suffix[32], what[300];
    snprintf(suffix, sizeof suffix, "/stageflow/%s", product);
    int rc = gauge_url(url, sizeof url, nwps_base, lid, suffix, err);
    if (rc) return rc;
    snprintf(what, sizeof what, "%s stageflow of gauge %s", product, lid);
    return fetch(c, url, ACCEPT_JSON, what, body, len, err);
}
