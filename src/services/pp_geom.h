/* pp_geom.h - the post-processor's memory of flowpaths: each flowpath's
 * length and geometry text, looked up and formatted once.
 *
 * A flowpath's geometry never changes while the hydrofabric is open, yet
 * every output that crosses it needs it: as WKT for the CSV (formatting
 * its coordinates was half of the post-process time) and reprojected as
 * GeoJSON. This keeps both per flowpath for the life of the
 * post-processor, so a window of outputs over the same rivers formats
 * each geometry once. Bounded: pp_geom_trim starts over past PP_GEOM_MAX. */
#ifndef RNR_SERVICES_PP_GEOM_H
#define RNR_SERVICES_PP_GEOM_H

#include <stdint.h>

#include "core/error.h"
#include "hydrofabric/hf.h"

#define PP_GEOM_MAX 65536

typedef struct pp_geom pp_geom;

/* A memory over hf (borrowed, must outlive it); GeoJSON is reprojected
 * from crs (NULL or "" -> EPSG:5070, as the GeoJSON writer does). */
int pp_geom_new(hf_db *hf, const char *crs, pp_geom **out, rnr_error *err) RNR_WARN_UNUSED;
void pp_geom_free(pp_geom *g);

/* Start PROJ's set-up on a thread of its own, unless done; the first
 * GeoJSON rendering or pp_geom_settle joins it. Bracket a run with
 * prepare/settle: PROJ registers a fork handler that takes a lock its
 * set-up may hold, so a process that forks (rnr up's supervisor) must
 * never fork while the thread runs, and the run holds the caller's
 * thread until settle. */
void pp_geom_prepare(pp_geom *g);
void pp_geom_settle(pp_geom *g);

/* Flowpath id's length and WKT (NULL when it has no geometry; owned by
 * g, valid until pp_geom_trim or pp_geom_free). RNR_ERR_NOTFOUND
 * when the hydrofabric has no such flowpath (remembered too). */
int pp_geom_join(pp_geom *g, int64_t id, double *lengthkm, const char **wkt,
                 rnr_error *err) RNR_WARN_UNUSED;

/* The GeoJSON geometry of flowpath id when wkt is the text pp_geom_join
 * gives for it (rendered on first use), else NULL: a row from an older
 * hydrofabric, or a geometry the writer must report itself. */
const char *pp_geom_json(pp_geom *g, int64_t id, const char *wkt);

/* Forget everything when more than PP_GEOM_MAX flowpaths are held; call
 * between runs, when no text handed out is in use. */
void pp_geom_trim(pp_geom *g);

#endif
