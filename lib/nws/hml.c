/* hml.c - splitting HML product text into site documents and reading them. */
#include "nws/hml.h"

#include "core/timeutil.h"
#include "nws/jsonutil.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* No NOENT (entity substitution) and no DTDLOAD: external entities are
 * never fetched; NONET forbids network access outright. */
#define HML_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

static int name_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static void attr_copy(xmlNode *n, const char *attr, char *buf, size_t cap)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)attr);
    nws_copy(buf, cap, (const char *)v);
    xmlFree(v);
}

/* Concatenate the element's own text and CDATA children. Entity references
 * are deliberately not followed. Returns -1 when the text does not fit. */
static int own_text(const xmlNode *n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
            continue;
        const char *s = (const char *)c->content;
        if (!s)
            continue; /* an empty node adds nothing (and memcpy wants a pointer) */
        size_t l = strlen(s);
        if (len + l >= cap)
            return -1;
        memcpy(buf + len, s, l);
        len += l;
        buf[len] = '\0';
    }
    return 0;
}

static double child_value(const xmlNode *datum, const char *name, int64_t *time_out)
{
    char text[128];
    for (const xmlNode *c = datum->children; c; c = c->next) {
        if (!name_is(c, name))
            continue;
        if (own_text(c, text, sizeof text))
            return NAN;
        if (time_out) {
            int64_t t;
            char *s = text;
            while (isspace((unsigned char)*s))
                s++;
            *time_out = time_parse_iso(s, &t) == 0 ? t : RNR_TIME_MISSING;
            return 0;
        }
        return nws_value_from_text(text);
    }
    return NAN;
}

static void series_free(nws_hml_series *s)
{
    if (s)
        free(s->rows);
    free(s);
}

static nws_hml_series *series_read(xmlNode *el)
{
    nws_hml_series *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    attr_copy(el, "pedts", s->pedts, sizeof s->pedts);
    attr_copy(el, "primaryName", s->primary_name, sizeof s->primary_name);
    attr_copy(el, "primaryUnits", s->primary_units, sizeof s->primary_units);
    attr_copy(el, "secondaryName", s->secondary_name, sizeof s->secondary_name);
    attr_copy(el, "secondaryUnits", s->secondary_units, sizeof s->secondary_units);
    char issued[64];
    attr_copy(el, "issued", issued, sizeof issued);
    if (!issued[0] || time_parse_iso(issued, &s->issued) != 0)
        s->issued = RNR_TIME_MISSING;
    size_t cap = 0;
    for (xmlNode *d = el->children; d; d = d->next) {
        if (!name_is(d, "datum"))
            continue;
        if (s->n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            nws_hml_row *r = realloc(s->rows, nc * sizeof *r);
            if (!r) {
                series_free(s);
                return NULL;
            }
            s->rows = r;
            cap = nc;
        }
        nws_hml_row *row = &s->rows[s->n++];
        row->valid = RNR_TIME_MISSING;
        child_value(d, "valid", &row->valid);
        row->primary = child_value(d, "primary", NULL);
        row->secondary = child_value(d, "secondary", NULL);
    }
    return s;
}

static void site_release(nws_hml_site *s)
{
    series_free(s->observed);
    series_free(s->forecast);
    s->observed = s->forecast = NULL;
}

/* Read one parsed document into *site. Returns 1 ok, 0 not a usable site,
 * -1 out of memory. */
static int site_read(xmlDoc *doc, nws_hml_site *site)
{
    memset(site, 0, sizeof *site);
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || !name_is(root, "site"))
        return 0;
    char lid[64];
    attr_copy(root, "id", lid, sizeof lid);
    size_t l = strlen(lid);
    if (l == 0 || l >= sizeof site->lid)
        return 0;
    memcpy(site->lid, lid, l + 1);
    attr_copy(root, "name", site->name, sizeof site->name);
    attr_copy(root, "timezone", site->timezone, sizeof site->timezone);
    attr_copy(root, "originator", site->originator, sizeof site->originator);
    attr_copy(root, "generationtime", site->generationtime, sizeof site->generationtime);
    if (!site->generationtime[0] || time_parse_iso(site->generationtime, &site->generated) != 0)
        site->generated = RNR_TIME_MISSING;
    for (xmlNode *c = root->children; c; c = c->next) {
        nws_hml_series **slot = name_is(c, "observed")   ? &site->observed
                                : name_is(c, "forecast") ? &site->forecast
                                                         : NULL;
        if (!slot || *slot)
            continue;
        if (!(*slot = series_read(c))) {
            site_release(site);
            return -1;
        }
    }
    return 1;
}

const nws_hml_site *nws_hml_find(const nws_hml_product *p, const char *lid)
{
    for (size_t i = 0; p && lid && i < p->n_sites; i++)
        if (strcmp(p->sites[i].lid, lid) == 0)
            return &p->sites[i];
    return NULL;
}

/* Add a freshly read site, merging a repeated lid into its first entry. */
static int product_add(nws_hml_product *p, size_t *cap, nws_hml_site *s)
{
    nws_hml_site *first = (nws_hml_site *)nws_hml_find(p, s->lid);
    if (first) {
        p->n_duplicates++;
        if (!first->observed) {
            first->observed = s->observed;
            s->observed = NULL;
        }
        if (!first->forecast) {
            first->forecast = s->forecast;
            s->forecast = NULL;
        }
        site_release(s);
        return 0;
    }
    if (p->n_sites == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        nws_hml_site *ns = realloc(p->sites, nc * sizeof *ns);
        if (!ns)
            return -1;
        p->sites = ns;
        *cap = nc;
    }
    p->sites[p->n_sites++] = *s;
    return 0;
}

/* memmem is a GNU extension; the needles here are short literals. */
static const char *find(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    const char *end = hay + n, *p = hay;
    while (n >= m && (p = memchr(p, needle[0], (size_t)(end - p) - m + 1))) {
        if (memcmp(p, needle, m) == 0)
            return p;
        p++;
        if ((size_t)(end - p) < m)
            break;
    }
    return NULL;
}

/* Pick the WMO heading (TTAAii CCCC DDHHMM [BBB]) and the AWIPS id from
 * the lines before the first document. */
static void read_header(nws_hml_product *p, const char *text, size_t len)
{
    const char *end = text + len, *line = text;
    int want_awips = 0;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *le = nl ? nl : end;
        const char *a = line, *b = le;
        while (a < b && (isspace((unsigned char)*a) || *a == '\x01'))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        size_t l = (size_t)(b - a);
        if (l >= 5 && memcmp(a, "<?xml", 5) == 0)
            return;
        if (l > 0 && want_awips) {
            if (l < sizeof p->awips_id) {
                memcpy(p->awips_id, a, l);
                p->awips_id[l] = '\0';
            }
            return;
        }
        if (l >= 18 && l < sizeof p->wmo_heading && isupper((unsigned char)a[0]) &&
            isdigit((unsigned char)a[4]) && isdigit((unsigned char)a[5]) && a[6] == ' ' &&
            a[11] == ' ') {
            memcpy(p->wmo_heading, a, l);
            p->wmo_heading[l] = '\0';
            want_awips = 1;
        }
        line = le + (nl ? 1 : 0);
    }
}

void nws_hml_init(void)
{
    xmlInitParser();
}

void nws_hml_product_free(nws_hml_product *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_sites; i++)
        site_release(&p->sites[i]);
    free(p->sites);
    free(p);
}

/* One linear pass over the markup: 1 when no element has more than
 * NWS_HML_MAX_ATTRIBUTES attributes ('=' inside a tag, outside quotes)
 * and nesting stays within NWS_HML_MAX_DEPTH. An approximation of XML
 * (comments and CDATA are not special) that errs towards counting more,
 * which only matters for documents that are far from HML anyway. */
static int doc_shape_ok(const char *d, size_t len)
{
    size_t depth = 0, attrs = 0;
    int in_tag = 0;
    char quote = 0;
    for (size_t i = 0; i < len; i++) {
        char c = d[i];
        if (quote) {
            quote = c == quote ? 0 : quote;
        } else if (in_tag) {
            if (c == '"' || c == '\'')
                quote = c;
            else if (c == '=' && ++attrs > NWS_HML_MAX_ATTRIBUTES)
                return 0;
            else if (c == '>') {
                in_tag = 0;
                if (i > 0 && d[i - 1] == '/' && depth > 0)
                    depth--; /* <empty/> */
            }
        } else if (c == '<') {
            in_tag = 1;
            attrs = 0;
            char k = i + 1 < len ? d[i + 1] : '\0';
            if (k == '/') {
                if (depth > 0)
                    depth--;
            } else if (k != '?' && k != '!' && ++depth > NWS_HML_MAX_DEPTH) {
                return 0;
            }
        }
    }
    return 1;
}

static int parse_document(nws_hml_product *p, size_t *cap, const char *doc, size_t len)
{
    if (!doc_shape_ok(doc, len)) {
        p->n_failed++;
        p->n_overcomplex++;
        return 0;
    }
    xmlDoc *x = xmlReadMemory(doc, (int)len, NULL, NULL, HML_XML_OPTIONS);
    if (!x) {
        p->n_failed++;
        return 0;
    }
    nws_hml_site site;
    int got = site_read(x, &site);
    xmlFreeDoc(x);
    if (got < 0)
        return -1;
    if (got == 0) {
        p->n_failed++;
        return 0;
    }
    if (product_add(p, cap, &site)) {
        site_release(&site);
        return -1;
    }
    return 0;
}

int nws_hml_parse(const char *text, size_t len, const nws_hml_limits *lim, nws_hml_product **out,
                  rnr_error *err)
{
    static const nws_hml_limits defaults = {NWS_HML_MAX_DOCUMENT, NWS_HML_MAX_PRODUCT,
                                            NWS_HML_MAX_DOCUMENTS};
    *out = NULL;
    if (!lim)
        lim = &defaults;
    size_t max_doc = lim->max_document ? lim->max_document : NWS_HML_MAX_DOCUMENT;
    if (max_doc > INT_MAX)
        max_doc = INT_MAX;
    if (!text)
        return rnr_error_set(err, RNR_ERR_INVALID, "HML product: no text");
    if (lim->max_product && len > lim->max_product)
        return rnr_error_set(err, RNR_ERR_LIMIT, "HML product: %zu bytes exceeds the %zu byte cap",
                             len, lim->max_product);
    nws_hml_product *p = calloc(1, sizeof *p);
    if (!p)
        return rnr_error_set(err, RNR_ERR_NOMEM, "HML product: out of memory");
    read_header(p, text, len);
    size_t cap = 0, pos = 0;
    const char *start;
    while (pos < len && (start = find(text + pos, len - pos, "<?xml"))) {
        size_t at = (size_t)(start - text);
        if (lim->max_documents && p->n_documents >= lim->max_documents) {
            nws_hml_product_free(p);
            return rnr_error_set(err, RNR_ERR_LIMIT, "HML product: more than %zu documents",
                                 lim->max_documents);
        }
        p->n_documents++;
        /* A document ends at its first </site>; if another <?xml comes
         * first this one is broken, and the search resumes there. */
        const char *next = find(start + 5, len - at - 5, "<?xml");
        size_t span = next ? (size_t)(next - start) : len - at;
        const char *close = find(start, span, "</site>");
        if (!close) {
            p->n_failed++;
            pos = next ? (size_t)(next - text) : len;
            continue;
        }
        size_t dlen = (size_t)(close - start) + 7;
        pos = at + dlen;
        if (dlen > max_doc) {
            p->n_failed++;
            p->n_oversize++;
            continue;
        }
        if (parse_document(p, &cap, start, dlen)) {
            nws_hml_product_free(p);
            return rnr_error_set(err, RNR_ERR_NOMEM, "HML product: out of memory");
        }
    }
    *out = p;
    return RNR_OK;
}
