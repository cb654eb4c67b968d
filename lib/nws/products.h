/* products.h - api.weather.gov product lists, products and the queue message.
 *
 * The producer lists /products?type=HML (JSON-LD), keeps the products in
 * issuance order (oldest first) and queues each as the compatibility
 * message {"rdf", "id", "wmo_collective_id", "issuing_office",
 * "issuance_time", "product_code", "product_name"}. The worker parses
 * that message back and fetches /products/{id} for its productText. */
#ifndef RNR_NWS_PRODUCTS_H
#define RNR_NWS_PRODUCTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct nws_product {
    char *id;                /* stable key (uuid), never NULL once parsed */
    char *url;               /* `@id` / message `rdf`: the URL to GET */
    char *wmo_collective_id; /* "" when absent */
    char *issuing_office;
    char *issuance_time; /* the original string, kept for the message */
    char *product_code;
    char *product_name;
    int64_t issued; /* parsed issuance_time, RNR_TIME_MISSING if bad/absent */
} nws_product;

typedef struct nws_product_list {
    size_t n;
    nws_product *items; /* sorted by issued, oldest first, stable */
    size_t skipped;     /* items without id or @id (or not objects) */
} nws_product_list;

/* Parse a /products list ({"@graph": [...]}). Items lacking id/@id are
 * skipped and counted; a body that is not JSON or has no @graph array is an
 * RNR_ERR_PARSE. */
int nws_products_parse(const char *json, size_t len, nws_product_list **out, rnr_error *err);
void nws_product_list_free(nws_product_list *l);

/* Free the strings of one product (not the struct itself). */
void nws_product_clear(nws_product *p);
/* Deep copy; returns RNR_OK or RNR_ERR_NOMEM. */
int nws_product_copy(nws_product *dst, const nws_product *src);

/* Serialise p as the queue message (keys in contract order, compact).
 * *out is malloc'd, NUL-terminated; the caller frees it. */
int nws_product_to_message(const nws_product *p, char **out, rnr_error *err);
/* Parse a queue message into *out (cleared first; caller calls
 * nws_product_clear). Malformed -> RNR_ERR_INVALID naming the problem: the
 * worker dead-letters such a message. rdf and id are required non-empty
 * strings; the other keys may be absent or null but not another type. */
int nws_product_from_message(const char *json, size_t len, nws_product *out, rnr_error *err);

/* The worker GETs a message's rdf URL, so a message must not be able to
 * send it anywhere else than the NWS API (SSRF): RNR_OK when p->url is an
 * http(s) URL on the origin (scheme, host, port) of nws_base, else
 * RNR_ERR_INVALID naming both origins (credentials masked). */
int nws_product_check_origin(const nws_product *p, const char *nws_base,
                             rnr_error *err) RNR_WARN_UNUSED;

/* Extract productText from a /products/{id} body. *text is malloc'd,
 * NUL-terminated, *text_len its length (it may contain NUL bytes).
 * No productText -> RNR_ERR_NOTFOUND "product X has no productText". */
int nws_product_text_parse(const char *json, size_t len, char **text, size_t *text_len,
                           rnr_error *err);

#endif
