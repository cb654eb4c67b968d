/* pp_geom.c - per-flowpath length and geometry text, formatted once (see
 * pp_geom.h). An open-addressing table of flowpath ids over an array of
 * entries; the texts are malloc'd per entry. */
#include "services/pp_geom.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv_out.h"
#include "io/reproject.h"

typedef struct geom_entry {
    int64_t id;
    int found;      /* in the hydrofabric */
    int json_tried; /* json rendered, or failed (then NULL) */
    double lengthkm;
    char *wkt;
    char *json;
} geom_entry;

struct pp_geom {
    hf_db *hf;
    char crs[64];
    reproj *rp; /* made by the set-up thread, or on the first GeoJSON rendering */
    int rp_failed;
    pthread_t rp_thread;
    int rp_pending; /* rp_thread runs and must be joined */
    geom_entry *e;
    size_t n, cap;
    size_t *slot; /* [nslot]: index + 1 into e, 0 empty */
    size_t nslot; /* a power of two, at least 2 * n */
};

/* The set-up thread: only it touches rp and rp_failed until joined. */
static void *geom_reproj_main(void *arg)
{
    pp_geom *g = arg;
    rnr_error ignored;
    g->rp_failed = reproj_new(g->crs, &g->rp, &ignored) != RNR_OK;
    return NULL;
}

/* rp and rp_failed are the set-up thread's until it is joined. */
static void geom_reproj_join(pp_geom *g)
{
    if (g->rp_pending) {
        pthread_join(g->rp_thread, NULL);
        g->rp_pending = 0;
    }
}

int pp_geom_new(hf_db *hf, const char *crs, pp_geom **out, rnr_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return rnr_error_set(err, RNR_ERR_NOMEM, "flowpath memory: out of memory");
    (*out)->hf = hf;
    snprintf((*out)->crs, sizeof(*out)->crs, "%s", crs && *crs ? crs : "EPSG:5070");
    return RNR_OK;
}

void pp_geom_prepare(pp_geom *g)
{
    /* PROJ's set-up (opening proj.db, searching operations) costs tens of
     * ms of CPU, a sixth of a cold run; on its own thread it overlaps the
     * reading of the outputs. Without a thread it happens on first use. */
    if (!g->rp && !g->rp_failed && !g->rp_pending)
        g->rp_pending = pthread_create(&g->rp_thread, NULL, geom_reproj_main, g) == 0;
}

void pp_geom_settle(pp_geom *g)
{
    geom_reproj_join(g);
}

static void geom_clear(pp_geom *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->e[i].wkt);
        free(g->e[i].json);
    }
    free(g->e);
    free(g->slot);
    g->e = NULL;
    g->slot = NULL;
    g->n = g->cap = g->nslot = 0;
}

void pp_geom_free(pp_geom *g)
{
    if (!g)
        return;
    geom_reproj_join(g);
    geom_clear(g);
    reproj_free(g->rp);
    free(g);
}

void pp_geom_trim(pp_geom *g)
{
    if (g->n > PP_GEOM_MAX)
        geom_clear(g);
}

static size_t hash_id(int64_t id)
{
    uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (size_t)(x ^ (x >> 29));
}

/* The slot holding id, or the empty slot where it would go. */
static size_t find_slot(const pp_geom *g, int64_t id)
{
    size_t mask = g->nslot - 1, i = hash_id(id) & mask;
    while (g->slot[i] && g->e[g->slot[i] - 1].id != id)
        i = (i + 1) & mask;
    return i;
}

static int grow(pp_geom *g)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        geom_entry *e = realloc(g->e, cap * sizeof *e);
        if (!e)
            return RNR_ERR_NOMEM;
        g->e = e;
        g->cap = cap;
    }
    if (2 * (g->n + 1) <= g->nslot)
        return RNR_OK;
    size_t nslot = g->nslot ? g->nslot * 2 : 512;
    size_t *slot = calloc(nslot, sizeof *slot);
    if (!slot)
        return RNR_ERR_NOMEM;
    free(g->slot);
    g->slot = slot;
    g->nslot = nslot;
    for (size_t k = 0; k < g->n; k++)
        g->slot[find_slot(g, g->e[k].id)] = k + 1;
    return RNR_OK;
}

/* id's entry, looked up in the hydrofabric when new; NULL when out of memory. */
static geom_entry *entry_of(pp_geom *g, int64_t id)
{
    if (g->nslot) {
        size_t i = find_slot(g, id);
        if (g->slot[i])
            return &g->e[g->slot[i] - 1];
    }
    if (grow(g) != RNR_OK)
        return NULL;
    geom_entry *e = &g->e[g->n];
    memset(e, 0, sizeof *e);
    e->id = id;
    hf_flowpath fp;
    rnr_error ignored;
    if (hf_flowpath_lookup(g->hf, id, &fp, &ignored) == RNR_OK) {
        e->found = 1;
        e->lengthkm = fp.lengthkm;
        e->wkt = fp.geometry_wkt;
        fp.geometry_wkt = NULL;
        hf_flowpath_clear(&fp);
    }
    g->slot[find_slot(g, id)] = ++g->n;
    return e;
}

int pp_geom_join(pp_geom *g, int64_t id, double *lengthkm, const char **wkt, rnr_error *err)
{
    *lengthkm = 0;
    *wkt = NULL;
    geom_entry *e = entry_of(g, id);
    if (!e)
        return rnr_error_set(err, RNR_ERR_NOMEM, "flowpath memory: out of memory");
    if (!e->found)
        return rnr_error_set(err, RNR_ERR_NOTFOUND, "flowpath wb-%lld is not in the hydrofabric",
                             (long long)id);
    *lengthkm = e->lengthkm;
    *wkt = e->wkt;
    return RNR_OK;
}

const char *pp_geom_json(pp_geom *g, int64_t id, const char *wkt)
{
    if (!wkt || !g->nslot)
        return NULL;
    size_t i = find_slot(g, id);
    geom_entry *e = g->slot[i] ? &g->e[g->slot[i] - 1] : NULL;
    if (!e || !e->wkt || strcmp(e->wkt, wkt) != 0)
        return NULL;
    geom_reproj_join(g);
    if (!e->json_tried && !g->rp && !g->rp_failed) {
        rnr_error ignored;
        g->rp_failed = reproj_new(g->crs, &g->rp, &ignored) != RNR_OK;
    }
    if (!e->json_tried && g->rp) {
        rnr_error ignored;
        if (geojson_geometry_text(e->wkt, g->rp, &e->json, &ignored) != RNR_OK)
            e->json = NULL; /* the writer reports it, naming the row */
        e->json_tried = 1;
    }
    assert(!e->json || e->json_tried);
    return e->json;
}
