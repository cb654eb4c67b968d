/* hf_params.c - the channel parameters a flowpath must have to be routed.
 *
 * One check shared by every hydrofabric reader, applied to the attribute
 * values as read (doubles) so that nothing non-finite or out of float
 * range is ever rounded into a segment. */
#include "hydrofabric/hf.h"
#include "hydrofabric/hf_internal.h"

#include <float.h>
#include <math.h>

static const char *const param_names[HF_PARAM_COUNT] = {"Length_m", "n",         "nCC",   "BtmWdth",
                                                        "TopWdth",  "TopWdthCC", "ChSlp", "So"};
enum { P_CHSLP = 6 };

int hf_params_check(const char *path, int64_t id, const double p[HF_PARAM_COUNT], rnr_error *err)
{
    for (int i = 0; i < HF_PARAM_COUNT; i++) {
        double v = p[i];
        int ok = i == P_CHSLP ? v >= 0 : v > 0; /* false for NaN */
        if (ok && isfinite(v) && v <= FLT_MAX)
            continue;
        return rnr_error_set(err, RNR_ERR_INVALID, "%s: flowpath wb-%lld: %s = %g must be %s",
                             hf_basename(path), (long long)id, param_names[i], v,
                             i == P_CHSLP ? "finite and >= 0" : "finite and > 0");
    }
    return RNR_OK;
}

void hf_params_to_segment(const double p[HF_PARAM_COUNT], hydro_segment *s)
{
    float *dst[HF_PARAM_COUNT] = {&s->dx, &s->n, &s->ncc, &s->bw, &s->tw, &s->twcc, &s->cs, &s->s0};
    for (int i = 0; i < HF_PARAM_COUNT; i++)
        *dst[i] = (float)p[i];
}
