/* hml.h - HML bulletins: product text -> AHPS XML <site> documents.
 *
 * An HML product is a WMO text bulletin (optional SOH/ETX, `\r\r\n` or
 * `\n` line ends, heading and AWIPS id lines) whose body is a run of
 * `<?xml ...?><site ...>...</site>` documents with junk between them. Each
 * document runs from a `<?xml` to the first `</site>` after it (see
 * docs/nws-apis.md 2.2); everything else is ignored. Documents are parsed
 * by libxml2 with network access, DTD loading and entity substitution off.
 * A document that fails to parse is skipped and counted, never fatal. */
#ifndef RNR_NWS_HML_H
#define RNR_NWS_HML_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* One <datum>. Values are NAN when missing (<= -999, empty, absent or not a
 * number); valid is RNR_TIME_MISSING when absent or unparseable. */
typedef struct nws_hml_row {
    int64_t valid;
    double primary;
    double secondary;
} nws_hml_row;

/* An <observed> or <forecast> series. */
typedef struct nws_hml_series {
    char pedts[16];
    char primary_name[64], primary_units[16];
    char secondary_name[64], secondary_units[16];
    int64_t issued; /* forecast `issued`, else RNR_TIME_MISSING */
    size_t n;
    nws_hml_row *rows;
} nws_hml_series;

typedef struct nws_hml_site {
    char lid[32];   /* the `id` attribute (NWSLI, not always 5 chars) */
    char name[128]; /* informational fields are truncated to fit */
    char timezone[64];
    char originator[16];
    char generationtime[40];  /* original string */
    int64_t generated;        /* parsed generationtime or RNR_TIME_MISSING */
    nws_hml_series *observed; /* NULL when the site has none */
    nws_hml_series *forecast;
} nws_hml_site;

typedef struct nws_hml_product {
    char wmo_heading[64]; /* "SRUS56 KARX 260754" when found, else "" */
    char awips_id[16];    /* "HMLARX" when found, else "" */
    size_t n_sites;       /* distinct lids, in order of first appearance */
    nws_hml_site *sites;
    size_t n_documents;   /* `<?xml` spans found */
    size_t n_failed;      /* skipped: malformed, no <site>/id, over the cap */
    size_t n_oversize;    /* of n_failed: larger than max_document */
    size_t n_overcomplex; /* of n_failed: an element with more than
                                NWS_HML_MAX_ATTRIBUTES attributes or nesting
                                deeper than NWS_HML_MAX_DEPTH (never parsed) */
    size_t n_duplicates;  /* documents whose lid came earlier (series merged
                                into the first when its slot was empty) */
} nws_hml_product;

typedef struct nws_hml_limits {
    size_t max_document;  /* bytes per <?xml...</site> span (default 4 MiB) */
    size_t max_product;   /* bytes of product text (default 64 MiB) */
    size_t max_documents; /* documents per product (default 10000) */
} nws_hml_limits;

#define NWS_HML_MAX_DOCUMENT (4u * 1024 * 1024)
#define NWS_HML_MAX_PRODUCT (64u * 1024 * 1024)
#define NWS_HML_MAX_DOCUMENTS 10000u
/* HML elements carry at most 7 attributes and nest 4 deep. libxml2's
 * duplicate-attribute check is quadratic (one <site> with 100k attributes
 * took 39 s), so a cheap pre-scan refuses a document beyond these bounds
 * before libxml2 sees it. */
#define NWS_HML_MAX_ATTRIBUTES 64
#define NWS_HML_MAX_DEPTH 32

/* Initialise libxml2 once, from the main thread, before threads call
 * nws_hml_parse (libxml2 2.9 requires this for thread safety). Idempotent. */
void nws_hml_init(void);

/* Parse a product text. lim may be NULL (defaults). A text over
 * max_product or with more than max_documents documents -> RNR_ERR_LIMIT;
 * a text with no documents is not an error (n_sites = 0). */
int nws_hml_parse(const char *text, size_t len, const nws_hml_limits *lim, nws_hml_product **out,
                  rnr_error *err);
void nws_hml_product_free(nws_hml_product *p);
/* The site with this lid, or NULL. */
const nws_hml_site *nws_hml_find(const nws_hml_product *p, const char *lid);

#endif
