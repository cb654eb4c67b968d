/* reproject.c - PROJ-backed transformation to WGS84 lon/lat (see header).
 * One PROJ context per reproj, so threads never share one. */
#include "io/reproject.h"

#include <math.h>
#include <proj.h>
#include <stdlib.h>
#include <string.h>

struct reproj {
    PJ_CONTEXT *ctx;
    PJ *pj; /* normalised: input x/y (easting/northing), output lon/lat */
};

/* Where PROJ looks for proj.db and grids: PROJ_DATA (or PROJ_LIB) when
 * set, else PROJ's own default directories, given to the context
 * explicitly. Left to itself, PROJ without PROJ_DATA also tries each grid
 * name in the working directory first (a few hundred failed opens per
 * set-up, and a grid file planted there would change the transform). */
static void set_search_paths(PJ_CONTEXT *ctx)
{
    const char *d = getenv("PROJ_DATA"), *l = getenv("PROJ_LIB");
    if ((d && *d) || (l && *l))
        return;
    const char *sp = proj_info().searchpath;
    char buf[4096];
    const char *paths[16];
    int n = 0;
    if (!sp || strlen(sp) >= sizeof buf)
        return;
    strcpy(buf, sp);
    for (char *save = NULL, *p = strtok_r(buf, ":", &save); p && n < 16;
         p = strtok_r(NULL, ":", &save))
        if (p[0] == '/') /* absolute directories only: never the cwd */
            paths[n++] = p;
    if (n > 0)
        proj_context_set_search_paths(ctx, n, paths);
}

/* What PROJ's EPSG database yields for EPSG:5070 (the NextGen
 * hydrofabric's CRS) to EPSG:4326, normalised to GIS axis order: one
 * operation, the inverse of Conus Albers on GRS80 and NAD83 to WGS 84 (1),
 * a null transformation. Deriving it costs a cold process ~35 ms of CPU
 * (opening proj.db, searching operations: a tenth of a cold post-process);
 * test_io_reproject checks that the installed PROJ still derives exactly
 * this, point for point. */
static const char PIPELINE_5070[] =
    "+proj=pipeline +step +inv +proj=aea +lat_0=23 +lon_0=-96 +lat_1=29.5 +lat_2=45.5"
    " +x_0=0 +y_0=0 +ellps=GRS80 +step +proj=unitconvert +xy_in=rad +xy_out=deg";

static void log_nothing(void *data, int level, const char *msg)
{
    (void)data, (void)level, (void)msg;
}

/* The pipeline needs no database and no grid, but proj_create opens
 * proj.db to re-export any operation unless it cannot find one: the only
 * directory this context searches is one no file can be under. (PROJ then
 * logs that it found no database: reproj_new's logger drops that.) */
static PJ *create_without_db(PJ_CONTEXT *ctx, const char *def)
{
    static const char *const nowhere[] = {"/dev/null"};
    proj_context_set_search_paths(ctx, 1, nowhere);
    return proj_create(ctx, def);
}

static PJ *derive(PJ_CONTEXT *ctx, const char *src)
{
    if (strcmp(src, "EPSG:5070") == 0)
        return create_without_db(ctx, PIPELINE_5070);
    set_search_paths(ctx);
    PJ *raw = proj_create_crs_to_crs(ctx, src, "EPSG:4326", NULL);
    PJ *pj = raw ? proj_normalize_for_visualization(ctx, raw) : NULL;
    if (raw)
        proj_destroy(raw);
    return pj;
}

int reproj_new(const char *src, reproj **out, rnr_error *err)
{
    *out = NULL;
    reproj *r = calloc(1, sizeof *r);
    if (!r)
        return rnr_error_set(err, RNR_ERR_NOMEM, "reproject: out of memory");
    r->ctx = proj_context_create();
    if (r->ctx) {
        proj_context_set_enable_network(r->ctx, 0);
        proj_log_level(r->ctx, PJ_LOG_NONE);
        proj_log_func(r->ctx, NULL, log_nothing); /* PROJ 9.1 prints some errors at any level */
    }
    r->pj = r->ctx && src && *src ? derive(r->ctx, src) : NULL;
    if (!r->pj) {
        reproj_free(r);
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "reproject: PROJ cannot transform from CRS \"%.80s\" to EPSG:4326",
                             src ? src : "");
    }
    *out = r;
    return RNR_OK;
}

int reproj_points(reproj *r, double *xy, size_t n, rnr_error *err)
{
    for (size_t i = 0; i < n; i++) {
        PJ_COORD c = proj_trans(r->pj, PJ_FWD, proj_coord(xy[2 * i], xy[2 * i + 1], 0, 0));
        double lon = c.lpzt.lam, lat = c.lpzt.phi;
        if (!isfinite(lon) || !isfinite(lat) || fabs(lat) > 90 || fabs(lon) > 360)
            return rnr_error_set(err, RNR_ERR_INVALID,
                                 "reproject: point (%g, %g) does not transform", xy[2 * i],
                                 xy[2 * i + 1]);
        xy[2 * i] = lon;
        xy[2 * i + 1] = lat;
    }
    return RNR_OK;
}

void reproj_free(reproj *r)
{
    if (!r)
        return;
    if (r->pj)
        proj_destroy(r->pj);
    if (r->ctx)
        proj_context_destroy(r->ctx);
    free(r);
}
