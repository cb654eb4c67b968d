/* ops_api.h - the read-only JSON API and the operations page of
 * `rnr up --http`, served from the store and the process's own state so
 * they work on the embedded and the real backends alike.
 *
 *   /                      the page (HTML, CSS and JavaScript in one file)
 *   /api/status            what the owner last published (queue, workers,
 *                          last cycles, dead letters)
 *   /api/forecasts         the latest routed forecast of each gauge
 *   /api/forecasts/LID     its hydrograph: routed flow, RFC forecast,
 *                          observations, flood thresholds
 *   /api/inundation        the latest inundation table as GeoJSON
 *   /api/config            what the page needs to know ({"map_tiles": URL|null})
 *
 * NetCDF summaries are cached by key and modification time, so a page
 * that refreshes every few seconds reads each output once. */
#ifndef RNR_SERVICES_OPS_API_H
#define RNR_SERVICES_OPS_API_H

#include "core/error.h"
#include "ports/http_serve.h"
#include "ports/store.h"

typedef struct ops_api ops_api;

/* store is used only by the API (from the HTTP thread) and is closed by
 * ops_api_free; tmp_dir holds downloaded outputs. */
int ops_api_new(rnr_store *store, const char *output_prefix, const char *postprocess_prefix,
                const char *tmp_dir, ops_api **out, rnr_error *err) RNR_WARN_UNUSED;
/* Answer path if it is one of the API's; returns 0 when it is not. */
int ops_api_handle(ops_api *a, const char *path, http_reply *r);
/* Give the page a basemap: an http(s) URL template with {z}, {x} and
 * {y} (RNR_MAP_TILES); NULL or "" for none. A malformed template is
 * RNR_ERR_CONFIG with a message naming it. Call before serving. */
int ops_api_set_map_tiles(ops_api *a, const char *tpl, rnr_error *err) RNR_WARN_UNUSED;
/* Replace the status document (a JSON object, copied). */
void ops_api_set_status(ops_api *a, const char *json);
void ops_api_free(ops_api *a);

#endif
