/* hf_cut.c - the RnR segment cut (docs/hydrofabric.md "The RnR segment
 * cut") and whole-network loading with a topological order. */
#include "hydrofabric/hf_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One joined (network row, flowpath) candidate. */
typedef struct cand {
    double hf_hydroseq;
    int64_t hf_id;
    int64_t id;
    double hydroseq;
    int64_t poi_id;
    int is_lake;
    int has_params;
    double lengthkm;
    int64_t mainstem;
    double p[8];
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->hydroseq != y->hydroseq) /* upstream (larger hydroseq) first */
        return x->hydroseq > y->hydroseq ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    /* within one flowpath, its upstream-most piece first */
    return (x->hf_hydroseq > y->hf_hydroseq) ? -1 : (x->hf_hydroseq < y->hf_hydroseq);
}

static int fetch_candidates(hf_db *h, int64_t mainstem, double hydroseq, int order, cand **out,
                            size_t *n, rnr_error *err)
{
    sqlite3_stmt *st = h->st_cand;
    size_t cap = 64, k = 0;
    cand *c = malloc(cap * sizeof *c);
    if (!c)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, mainstem);
    sqlite3_bind_double(st, 2, hydroseq);
    sqlite3_bind_int(st, 3, order);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (k == cap) {
            cand *t = realloc(c, 2 * cap * sizeof *c);
            if (!t) {
                free(c);
                sqlite3_reset(st);
                return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
            }
            c = t;
            cap *= 2;
        }
        cand *x = &c[k++];
        x->hf_hydroseq =
            sqlite3_column_type(st, 0) == SQLITE_NULL ? -INFINITY : sqlite3_column_double(st, 0);
        x->hf_id = sqlite3_column_int64(st, 1);
        x->id = sqlite3_column_int64(st, 2);
        x->hydroseq = sqlite3_column_double(st, 3);
        x->poi_id = sqlite3_column_int64(st, 4);
        x->is_lake = sqlite3_column_int(st, 5);
        x->lengthkm = sqlite3_column_double(st, 6);
        x->mainstem = sqlite3_column_int64(st, 7);
        x->has_params = 1;
        for (int i = 0; i < 8; i++) {
            if (sqlite3_column_type(st, 8 + i) == SQLITE_NULL)
                x->has_params = 0;
            x->p[i] = sqlite3_column_double(st, 8 + i);
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(c);
        return rnr_error_set(err, RNR_ERR_IO, "%s: %s", hf_basename(h->path),
                             sqlite3_errmsg(h->db));
    }
    *out = c;
    *n = k;
    return RNR_OK;
}

/* Lake hf_ids of the lakes at the candidates' poi_ids (each poi once). */
static int lake_hf_ids(hf_db *h, const cand *c, size_t n, int64_t **hf, int64_t **poi, size_t *k,
                       rnr_error *err)
{
    size_t cap = 0;
    *k = 0;
    for (size_t i = 0; i < n; i++) {
        int seen = !c[i].is_lake;
        for (size_t j = 0; !seen && j < i; j++)
            seen = c[j].is_lake && c[j].poi_id == c[i].poi_id;
        if (seen)
            continue;
        sqlite3_reset(h->st_lake);
        sqlite3_bind_int64(h->st_lake, 1, c[i].poi_id);
        while (sqlite3_step(h->st_lake) == SQLITE_ROW) {
            if (*k == cap) {
                cap = cap ? 2 * cap : 8;
                int64_t *a = realloc(*hf, cap * sizeof *a),
                        *b = a ? realloc(*poi, cap * sizeof *b) : NULL;
                if (a)
                    *hf = a;
                if (b)
                    *poi = b;
                if (!a || !b) {
                    sqlite3_reset(h->st_lake);
                    return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
                }
            }
            (*hf)[*k] = sqlite3_column_int64(h->st_lake, 0);
            (*poi)[(*k)++] = c[i].poi_id;
        }
        sqlite3_reset(h->st_lake);
    }
    return RNR_OK;
}

/* Step 4, the lake rule as the reference applies it (docs/hydrofabric.md
 * "The lake rule"): map the lakes found by poi_id to their hf_id, keep the
 * hf_ids that are candidate network rows (on the origin's mainstem), and
 * cut at the largest hf_hydroseq among those rows. A lake whose hf_id is
 * on another mainstem is ignored; none left means no lake cut. */
static int apply_lake_cut(hf_db *h, hf_cut *cut, cand *c, size_t *n, rnr_error *err)
{
    int64_t *hf = NULL, *poi = NULL;
    size_t k = 0;
    int rc = lake_hf_ids(h, c, *n, &hf, &poi, &k, err);
    double bound = -INFINITY;
    int found = 0;
    for (size_t i = 0; !rc && i < *n; i++)
        for (size_t m = 0; m < k; m++)
            if (c[i].hf_id == hf[m] && (!found || c[i].hf_hydroseq > bound)) {
                bound = c[i].hf_hydroseq;
                cut->lake_poi_id = poi[m];
                found = 1;
            }
    free(hf);
    free(poi);
    if (rc || !found)
        return rc;
    cut->lake_cut = 1;
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++)
        if (c[i].hf_hydroseq >= bound)
            c[kept++] = c[i];
    *n = kept;
    return RNR_OK;
}

static int fill_cut(hf_db *h, hf_cut *cut, const cand *c, size_t n, rnr_error *err)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += i == 0 || c[i].id != c[i - 1].id;
    cut->segs = calloc(k ? k : 1, sizeof *cut->segs);
    cut->fps = calloc(k ? k : 1, sizeof *cut->fps);
    if (!cut->segs || !cut->fps)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && c[i].id == c[i - 1].id)
            continue;
        const cand *x = &c[i];
        if (!x->has_params)
            return rnr_error_set(err, RNR_ERR_NOTFOUND, "%s: flowpath wb-%lld has no row in %s",
                                 hf_basename(h->path), (long long)x->id, h->info.layer_attributes);
        int rc = hf_params_check(h->path, x->id, x->p, err);
        if (rc != RNR_OK)
            return rc;
        hydro_segment *s = &cut->segs[cut->n];
        hf_flowpath *f = &cut->fps[cut->n];
        cut->n++;
        s->id = x->id;
        hf_params_to_segment(x->p, s);
        snprintf(f->id, sizeof f->id, "wb-%lld", (long long)x->id);
        f->num = x->id;
        f->lengthkm = x->lengthkm;
        f->order = cut->order;
        f->hf_id = cut->n == 1 ? cut->reach_id : x->hf_id;
        f->mainstem = x->mainstem;
    }
    for (size_t i = 0; i < cut->n; i++) {
        cut->segs[i].to_id = i + 1 < cut->n ? cut->segs[i + 1].id : 0;
        cut->fps[i].to_id = cut->segs[i].to_id;
    }
    return RNR_OK;
}

void hf_cut_free(hf_cut *cut)
{
    if (!cut)
        return;
    for (size_t i = 0; i < cut->n; i++)
        free(cut->fps[i].geometry_wkt);
    free(cut->fps);
    free(cut->segs);
    free(cut);
}

int hf_cut_reach(hf_db *h, int64_t reach_id, hf_cut **out, rnr_error *err)
{
    *out = NULL;
    sqlite3_stmt *st = h->st_origin;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, reach_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return rnr_error_set(err, RNR_ERR_NOTFOUND,
                             "%s: reachId %lld has no network row (hf_id == %lld): cannot route",
                             hf_basename(h->path), (long long)reach_id, (long long)reach_id);
    }
    int no_fp = sqlite3_column_type(st, 3) == SQLITE_NULL;
    int64_t mainstem = sqlite3_column_int64(st, 0);
    double hydroseq = sqlite3_column_double(st, 1);
    int order = sqlite3_column_int(st, 2);
    int64_t origin = sqlite3_column_int64(st, 3);
    sqlite3_reset(st);
    if (no_fp)
        return rnr_error_set(err, RNR_ERR_NOTFOUND,
                             "%s: reachId %lld: its network rows lead to no flowpath",
                             hf_basename(h->path), (long long)reach_id);
    hf_cut *cut = calloc(1, sizeof *cut);
    if (!cut)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    cut->reach_id = reach_id;
    cut->mainstem = mainstem;
    cut->order = order;
    cand *c = NULL;
    size_t n = 0;
    int rc = fetch_candidates(h, mainstem, hydroseq, order, &c, &n, err);
    if (!rc)
        rc = apply_lake_cut(h, cut, c, &n, err);
    if (!rc) {
        qsort(c, n, sizeof *c, cand_cmp);
        if (n == 0 || c[0].id != origin)
            rc = rnr_error_set(
                err, RNR_ERR_NOTFOUND,
                "%s: reachId %lld: origin wb-%lld has no downstream segment on mainstem %lld",
                hf_basename(h->path), (long long)reach_id, (long long)origin, (long long)mainstem);
    }
    if (!rc)
        rc = fill_cut(h, cut, c, n, err);
    free(c);
    if (rc) {
        hf_cut_free(cut);
        return rc;
    }
    *out = cut;
    return RNR_OK;
}

int hf_cut_load_geometry(hf_db *h, hf_cut *cut, rnr_error *err)
{
    for (size_t i = 0; i < cut->n; i++) {
        hf_flowpath fp;
        if (cut->fps[i].geometry_wkt)
            continue;
        int rc = hf_flowpath_lookup(h, cut->fps[i].num, &fp, err);
        if (rc)
            return rc;
        cut->fps[i].geometry_wkt = fp.geometry_wkt;
        fp.geometry_wkt = NULL;
        hf_flowpath_clear(&fp);
    }
    return RNR_OK;
}
