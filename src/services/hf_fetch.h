/* hf_fetch.h - a parquet hydrofabric under an object-store prefix, cached
 * in a local directory: ranged reads of what the index and the geometry
 * need (the default), or whole files. */
#ifndef RNR_SERVICES_HF_FETCH_H
#define RNR_SERVICES_HF_FETCH_H

#include "core/error.h"
#include "hydrofabric/hf.h"
#include "ports/store.h"

/* How a worker treats the index beside the layers. */
typedef struct hf_fetch_opts {
    /* Upload the index this worker built as "<prefix>/rnr.rnrindex" when
     * none is there, or over a published one built from other layers (a
     * conditional PUT); a failure is only a warning. */
    int publish;
} hf_fetch_opts;

/* Open the layers under prefix through a byte-range cache in dir (made by
 * the caller), index them into ip once (or take the published
 * "<prefix>/rnr.rnrindex" when it was built from these versions of the
 * layers: their ETags are recorded in it), and open the hydrofabric. The store must
 * outlive *out: flowpath geometry is fetched when first asked for. Errors
 * name the key: "<prefix>/lakes.parquet: missing file". */
RNR_WARN_UNUSED int hf_fetch_ranged(rnr_store *s, const char *prefix, const char *dir,
                                    const char *ip, const hf_fetch_opts *fo, hf_db **out,
                                    rnr_error *err);
/* Download the layers under prefix whole into dir (kept while the listed
 * size matches) and make the index ip; the caller then opens dir. */
RNR_WARN_UNUSED int hf_fetch_whole(rnr_store *s, const char *prefix, const char *dir,
                                   const char *ip, const hf_fetch_opts *fo, rnr_error *err);

#endif
