/* products.c - product list (JSON-LD), queue message and product text. */
#include "nws/products.h"

#include "core/timeutil.h"
#include "core/url.h"
#include "nws/jsonutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

void nws_product_clear(nws_product *p)
{
    if (!p)
        return;
    free(p->id);
    free(p->url);
    free(p->wmo_collective_id);
    free(p->issuing_office);
    free(p->issuance_time);
    free(p->product_code);
    free(p->product_name);
    memset(p, 0, sizeof *p);
    p->issued = RNR_TIME_MISSING;
}

static int product_complete(const nws_product *p)
{
    return p->id && p->url && p->wmo_collective_id && p->issuing_office && p->issuance_time &&
           p->product_code && p->product_name;
}

int nws_product_copy(nws_product *dst, const nws_product *src)
{
    memset(dst, 0, sizeof *dst);
    dst->id = dup_or_empty(src->id);
    dst->url = dup_or_empty(src->url);
    dst->wmo_collective_id = dup_or_empty(src->wmo_collective_id);
    dst->issuing_office = dup_or_empty(src->issuing_office);
    dst->issuance_time = dup_or_empty(src->issuance_time);
    dst->product_code = dup_or_empty(src->product_code);
    dst->product_name = dup_or_empty(src->product_name);
    dst->issued = src->issued;
    if (!product_complete(dst)) {
        nws_product_clear(dst);
        return RNR_ERR_NOMEM;
    }
    return RNR_OK;
}

static const char *str_field(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

static int64_t parse_issued(const char *s)
{
    int64_t t;
    if (!s || !*s || time_parse_iso(s, &t) != 0)
        return RNR_TIME_MISSING;
    return t;
}

/* Fill p from one @graph item; returns 1 filled, 0 skip, -1 no memory; on
 * 0 and -1 p owns nothing. */
static int product_from_item(const json_t *item, nws_product *p)
{
    memset(p, 0, sizeof *p);
    if (!json_is_object(item))
        return 0;
    const char *id = str_field(item, "id"), *url = str_field(item, "@id");
    if (!*id || !*url)
        return 0;
    p->id = strdup(id);
    p->url = strdup(url);
    p->wmo_collective_id = strdup(str_field(item, "wmoCollectiveId"));
    p->issuing_office = strdup(str_field(item, "issuingOffice"));
    p->issuance_time = strdup(str_field(item, "issuanceTime"));
    p->product_code = strdup(str_field(item, "productCode"));
    p->product_name = strdup(str_field(item, "productName"));
    if (!product_complete(p)) {
        nws_product_clear(p);
        return -1;
    }
    p->issued = parse_issued(p->issuance_time);
    return 1;
}

struct ranked {
    nws_product p;
    size_t pos;
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->p.issued != y->p.issued)
        return x->p.issued < y->p.issued ? -1 : 1;
    return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

void nws_product_list_free(nws_product_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        nws_product_clear(&l->items[i]);
    free(l->items);
    free(l);
}

int nws_products_parse(const char *json, size_t len, nws_product_list **out, rnr_error *err)
{
    *out = NULL;
    json_t *root;
    int rc = nws_json_load(json, len, "product list", &root, err);
    if (rc)
        return rc;
    json_t *graph = json_is_object(root) ? json_object_get(root, "@graph") : NULL;
    if (!json_is_array(graph)) {
        json_decref(root);
        return rnr_error_set(err, RNR_ERR_PARSE, "product list: no \"@graph\" array");
    }
    size_t total = json_array_size(graph);
    size_t n = 0; /* r[0..n) own their strings */
    nws_product_list *l = calloc(1, sizeof *l);
    struct ranked *r = calloc(total ? total : 1, sizeof *r);
    if (!l || !r)
        goto nomem;
    for (size_t i = 0; i < total; i++) {
        int got = product_from_item(json_array_get(graph, i), &r[n].p);
        if (got < 0)
            goto nomem;
        if (got == 0) {
            l->skipped++;
            continue;
        }
        r[n].pos = i;
        n++;
    }
    /* qsort is not stable; the original position breaks ties. */
    qsort(r, n, sizeof *r, cmp_ranked);
    l->items = calloc(n ? n : 1, sizeof *l->items);
    if (!l->items)
        goto nomem;
    for (size_t i = 0; i < n; i++)
        l->items[i] = r[i].p;
    l->n = n;
    free(r);
    json_decref(root);
    *out = l;
    return RNR_OK;
nomem:
    /* product_from_item leaves r[n] empty when it fails, so only the
     * first n entries hold anything; l->items is still NULL here. */
    for (size_t i = 0; i < n; i++)
        nws_product_clear(&r[i].p);
    free(r);
    free(l);
    json_decref(root);
    return rnr_error_set(err, RNR_ERR_NOMEM, "product list: out of memory");
}

int nws_product_to_message(const nws_product *p, char **out, rnr_error *err)
{
    *out = NULL;
    if (!p || !p->id || !*p->id || !p->url || !*p->url)
        return rnr_error_set(err, RNR_ERR_INVALID, "queue message: product has no id or URL");
    /* json_pack keeps insertion order when dumped with JSON_PRESERVE_ORDER. */
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "rdf", p->url, "id", p->id,
                          "wmo_collective_id", p->wmo_collective_id ? p->wmo_collective_id : "",
                          "issuing_office", p->issuing_office ? p->issuing_office : "",
                          "issuance_time", p->issuance_time ? p->issuance_time : "", "product_code",
                          p->product_code ? p->product_code : "", "product_name",
                          p->product_name ? p->product_name : "");
    if (!o)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "queue message: product %s has a field that is not valid UTF-8",
                             p->id);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        return rnr_error_set(err, RNR_ERR_NOMEM, "queue message: out of memory");
    *out = s;
    return RNR_OK;
}

static const char *const message_keys[] = {
    "rdf",           "id",           "wmo_collective_id", "issuing_office",
    "issuance_time", "product_code", "product_name"};

int nws_product_from_message(const char *json, size_t len, nws_product *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    out->issued = RNR_TIME_MISSING;
    json_t *root;
    rnr_error jerr = {0};
    if (nws_json_load(json, len, "queue message", &root, &jerr))
        return rnr_error_set(err, RNR_ERR_INVALID, "%s", jerr.msg);
    if (!json_is_object(root)) {
        json_decref(root);
        return rnr_error_set(err, RNR_ERR_INVALID, "queue message: not a JSON object");
    }
    const char *vals[7];
    for (size_t i = 0; i < 7; i++) {
        json_t *v = json_object_get(root, message_keys[i]);
        if (i < 2 && (!json_is_string(v) || !*json_string_value(v))) {
            json_decref(root);
            return rnr_error_set(err, RNR_ERR_INVALID,
                                 "queue message: \"%s\" is missing or not a non-empty string",
                                 message_keys[i]);
        }
        if (v && !json_is_string(v) && !json_is_null(v)) {
            json_decref(root);
            return rnr_error_set(err, RNR_ERR_INVALID, "queue message: \"%s\" is not a string",
                                 message_keys[i]);
        }
        vals[i] = json_is_string(v) ? json_string_value(v) : "";
    }
    nws_product p = {
        .url = (char *)vals[0],
        .id = (char *)vals[1],
        .wmo_collective_id = (char *)vals[2],
        .issuing_office = (char *)vals[3],
        .issuance_time = (char *)vals[4],
        .product_code = (char *)vals[5],
        .product_name = (char *)vals[6],
        .issued = parse_issued(vals[4]),
    };
    if (*vals[4] && p.issued == RNR_TIME_MISSING) {
        int rc = rnr_error_set(err, RNR_ERR_INVALID,
                               "queue message %s: issuance_time \"%.40s\" is not an ISO 8601 time",
                               vals[1], vals[4]);
        json_decref(root);
        return rc;
    }
    int rc = nws_product_copy(out, &p);
    json_decref(root);
    if (rc)
        return rnr_error_set(err, rc, "queue message: out of memory");
    return RNR_OK;
}

int nws_product_text_parse(const char *json, size_t len, char **text, size_t *text_len,
                           rnr_error *err)
{
    *text = NULL;
    *text_len = 0;
    json_t *root;
    int rc = nws_json_load(json, len, "product", &root, err);
    if (rc)
        return rc;
    if (!json_is_object(root)) {
        json_decref(root);
        return rnr_error_set(err, RNR_ERR_PARSE, "product: not a JSON object");
    }
    const char *id = str_field(root, "id");
    if (!*id)
        id = str_field(root, "@id");
    if (!*id)
        id = "(no id)";
    json_t *t = json_object_get(root, "productText");
    if (!json_is_string(t)) {
        rc = rnr_error_set(err, RNR_ERR_NOTFOUND, "product %.200s has no productText", id);
        json_decref(root);
        return rc;
    }
    size_t n = json_string_length(t);
    char *s = malloc(n + 1);
    if (!s) {
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "product %.200s: out of memory", id);
        json_decref(root);
        return rc;
    }
    memcpy(s, json_string_value(t), n);
    s[n] = '\0';
    json_decref(root);
    *text = s;
    *text_len = n;
    return RNR_OK;
}

int nws_product_check_origin(const nws_product *p, const char *nws_base, rnr_error *err)
{
    char want[300], got[300], shown[300];
    if (url_origin(nws_base, want, sizeof want) != 0) {
        url_mask(nws_base, shown, sizeof shown);
        return rnr_error_set(err, RNR_ERR_CONFIG, "NWS API URL '%s' has no usable origin", shown);
    }
    url_mask(p->url, shown, sizeof shown);
    if (url_origin(p->url, got, sizeof got) != 0)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "product %s: rdf '%s' is not a plain http(s) URL; only %s is fetched",
                             p->id, shown, want);
    if (strcmp(got, want) != 0)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "product %s: rdf '%s' is on %s, not on the NWS API origin %s", p->id,
                             shown, got, want);
    return RNR_OK;
}
