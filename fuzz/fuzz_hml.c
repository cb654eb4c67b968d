/* fuzz_hml.c - HML product text: splitting and AHPS XML site documents. */
#include "core/error.h"
#include "nws/hml.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nws_hml_product *p = NULL;
    rnr_error err = {0};
    /* Small caps so the size and count limits are reached too. */
    nws_hml_limits lim = {
        .max_document = 64 * 1024, .max_product = 1024 * 1024, .max_documents = 200};
    if (nws_hml_parse((const char *)data, size, &lim, &p, &err) != RNR_OK)
        return 0;
    if (p->n_sites + p->n_failed + p->n_duplicates != p->n_documents)
        abort();
    for (size_t i = 0; i < p->n_sites; i++) {
        const nws_hml_site *s = &p->sites[i];
        if (!s->lid[0] || nws_hml_find(p, s->lid) != s)
            abort();
        const nws_hml_series *series[2] = {s->observed, s->forecast};
        for (int k = 0; k < 2; k++)
            for (size_t j = 0; series[k] && j < series[k]->n; j++) {
                double v = series[k]->rows[j].secondary;
                if (!isnan(v) && (v <= -999 || !isfinite(v)))
                    abort();
            }
    }
    nws_hml_product_free(p);
    return 0;
}
