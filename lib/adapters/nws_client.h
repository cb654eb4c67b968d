/* nws_client.h - the api.weather.gov and NWPS resources RnR reads, as raw
 * bodies, and the NWS source port's HTTP backend (ports/nws_source.h).
 *
 * These calls only build URLs, choose the Accept header and map HTTP
 * statuses to rnr codes; parsing belongs to lib/nws. Every call returns a
 * malloc'd NUL-terminated body in *body (length *len) that the caller
 * frees, or an error code with *body NULL:
 *   RNR_ERR_NOTFOUND   404 (product gone, gauge unknown to NWPS)
 *   RNR_ERR_TRANSIENT  other non-2xx statuses, or retries exhausted
 *   RNR_ERR_TIMEOUT    every attempt timed out
 *   RNR_ERR_LIMIT      body over the client's size cap */
#ifndef RNR_ADAPTERS_NWS_CLIENT_H
#define RNR_ADAPTERS_NWS_CLIENT_H

#include <stddef.h>

#include "adapters/http.h"
#include "core/error.h"
#include "ports/nws_source.h"

#define NWS_DEFAULT_API_URL "https://api.weather.gov"
#define NWPS_DEFAULT_API_URL "https://api.water.noaa.gov/nwps/v1"

/* Base URLs without a trailing slash. */
typedef struct nws_endpoints {
    char nws[512];
    char nwps[512];
} nws_endpoints;

/* NWS_API_URL and NWPS_API_URL from the environment, else the defaults;
 * RNR_ERR_CONFIG if a value is not an http(s) URL or is too long. */
int nws_endpoints_from_env(nws_endpoints *out, rnr_error *err);
/* The same two values unchecked (the environment's strings or the default
 * constants; never NULL), for a configuration to show and override. */
void nws_urls_from_env(const char **nws, const char **nwps);

/* GET {nws}/products?type=HML (Accept: application/ld+json). */
int nws_fetch_products(http_client *c, const char *nws_base, char **body, size_t *len,
                       rnr_error *err);
/* GET a product by the URL the list gave in `@id`. */
int nws_fetch_product(http_client *c, const char *url, char **body, size_t *len, rnr_error *err);
/* GET {nwps}/gauges/{lid} (Accept: application/json); 404 gives
 * RNR_ERR_NOTFOUND "gauge LID not found". */
int nwps_fetch_gauge(http_client *c, const char *nwps_base, const char *lid, char **body,
                     size_t *len, rnr_error *err);
/* GET {nwps}/gauges/{lid}/stageflow/{product}, product "forecast" or
 * "observed". */
int nwps_fetch_stageflow(http_client *c, const char *nwps_base, const char *lid,
                         const char *product, char **body, size_t *len, rnr_error *err);

/* GET {nwps}/gauges/{lid}/stageflow: both series in one answer,
 * {"observed": {...}, "forecast": {...}}. */
int nwps_fetch_stageflow_all(http_client *c, const char *nwps_base, const char *lid, char **body,
                             size_t *len, rnr_error *err);

/* The NWS source over HTTP. Base URLs: o's, else NWS_API_URL /
 * NWPS_API_URL, else the defaults (RNR_ERR_CONFIG naming the variable when
 * one is not an http(s) URL); the HTTP client from the environment
 * (http_opts_from_env) with o's user agent, stop flag and progress
 * counter. RNR_NWPS_STAGEFLOW=separate skips the combined endpoint (three
 * requests per forecast, as before it was used); anything but combined or
 * separate is RNR_ERR_CONFIG. o may be NULL. */
int nws_source_http_open(const nws_source_opts *o, rnr_nws **out, rnr_error *err);

#endif
