/* nws_source.h - the NWS/NWPS source port: the HML products
 * api.weather.gov lists, one product's sites, an NWPS gauge record and a
 * gauge's forecast and observed stage/flow series, already parsed into the
 * lib/nws types.
 *
 * Every call returns RNR_OK or what went wrong, so a caller can tell a
 * missing thing from a broken answer from a bad network:
 *   RNR_ERR_NOTFOUND   the source has no such product or gauge (HTTP 404)
 *   RNR_ERR_PARSE      it answered with something unreadable (the message
 *                      says what); retrying will not help
 *   RNR_ERR_CANCELLED  the owner's stop flag was raised
 *   RNR_ERR_TRANSIENT, RNR_ERR_TIMEOUT, RNR_ERR_LIMIT, RNR_ERR_INVALID
 *                      the transport's codes, unchanged.
 * Backend: lib/adapters/nws_client.c (HTTP, opened by the composition root,
 * ports/backends.h). A handle may be shared by threads when its backend
 * says so; the HTTP one is. */
#ifndef RNR_PORTS_NWS_SOURCE_H
#define RNR_PORTS_NWS_SOURCE_H

#include <signal.h>
#include <stddef.h>

#include "core/error.h"
#include "nws/hml.h"
#include "nws/nwps.h"
#include "nws/products.h"

/* One series of a gauge: s when rc is RNR_OK (its n may be 0: NWPS's
 * "no series" answer), else NULL and err says why. */
typedef struct nws_series_part {
    int rc;
    rnr_error err;
    nwps_stageflow *s;
} nws_series_part;

/* Both series of a gauge. When forecast.rc is not RNR_OK the backend may
 * leave the observations unfetched (observed.rc RNR_ERR_NOTFOUND): a site
 * without a forecast is never routed. */
typedef struct nws_series {
    nws_series_part forecast;
    nws_series_part observed;
    int requests; /* requests it took (for counts and tests) */
} nws_series;

typedef struct nws_source_ops {
    int (*products)(void *self, nws_product_list **out, rnr_error *err);
    /* The product at url (as the list's `@id` gives it), its HML parsed. */
    int (*product)(void *self, const char *url, nws_hml_product **out, rnr_error *err);
    int (*gauge)(void *self, const char *lid, nwps_gauge *out, rnr_error *err);
    /* Fill out (each part settled on its own); RNR_ERR_INVALID only for a
     * lid that is not a location id, RNR_ERR_NOMEM. */
    int (*series)(void *self, const char *lid, nws_series *out, rnr_error *err);
    /* The base URL products come from, without a trailing slash. */
    const char *(*products_base)(void *self);
    void (*close)(void *self);
} nws_source_ops;

typedef struct rnr_nws {
    const nws_source_ops *ops;
    void *self;
} rnr_nws;

/* How to open the source. NULL/0 fields take their defaults. */
typedef struct nws_source_opts {
    const char *nws_url;    /* api.weather.gov base (NWS_API_URL) */
    const char *nwps_url;   /* NWPS base (NWPS_API_URL) */
    const char *user_agent; /* NWS_USER_AGENT */
    /* When raised, waits end early with RNR_ERR_CANCELLED. */
    const volatile sig_atomic_t *stop;
    /* Bumped whenever response bytes arrive (a heartbeat's progress). */
    unsigned long *progress;
} nws_source_opts;

int nws_source_products(rnr_nws *n, nws_product_list **out, rnr_error *err);
int nws_source_product(rnr_nws *n, const char *url, nws_hml_product **out, rnr_error *err);
int nws_source_gauge(rnr_nws *n, const char *lid, nwps_gauge *out, rnr_error *err);
/* out is zeroed first; free what it holds with nws_series_clear. */
int nws_source_series(rnr_nws *n, const char *lid, nws_series *out, rnr_error *err);
const char *nws_source_products_base(rnr_nws *n);
void nws_series_clear(nws_series *s);
/* Close the backend and free the handle (NULL is fine). */
void nws_source_free(rnr_nws *n);

#endif
