/* fuzz_products.c - product list, queue message and product text parsers.
 * A listed product must survive message serialisation unchanged. */
#include "core/error.h"
#include "nws/products.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_same(const char *a, const char *b)
{
    if (strcmp(a, b) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    rnr_error err = {0};
    nws_product_list *l = NULL;
    if (nws_products_parse(s, size, &l, &err) == RNR_OK) {
        for (size_t i = 0; i < l->n; i++) {
            if (i > 0 && l->items[i].issued < l->items[i - 1].issued)
                abort();
            char *msg = NULL;
            if (nws_product_to_message(&l->items[i], &msg, &err) != RNR_OK)
                continue; /* e.g. an id with an embedded NUL cut to "" */
            nws_product p;
            if (nws_product_from_message(msg, strlen(msg), &p, &err) == RNR_OK) {
                check_same(p.id, l->items[i].id);
                check_same(p.url, l->items[i].url);
                check_same(p.issuance_time, l->items[i].issuance_time);
                check_same(p.product_name, l->items[i].product_name);
                nws_product_clear(&p);
            } else if (l->items[i].issued != INT64_MIN || !l->items[i].issuance_time[0]) {
                abort(); /* only an unparseable issuance time may be refused */
            }
            free(msg);
        }
        nws_product_list_free(l);
    }
    nws_product p;
    if (nws_product_from_message(s, size, &p, &err) == RNR_OK) {
        if (!p.id[0] || !p.url[0])
            abort();
        nws_product_clear(&p);
    }
    char *text = NULL;
    size_t tl = 0;
    if (nws_product_text_parse(s, size, &text, &tl, &err) == RNR_OK)
        free(text);
    return 0;
}
