/* hf_parquet.c - the hydrofabric as the reference keeps it: a directory of
 * parquet layers (network, flowpaths, flowpath-attributes, lakes required;
 * nexus optional). Opens the layers for the index build (whose rows
 * hf_pqbuild.c turns into the same compact tables as the GeoPackage path,
 * so the cut and the network loader cannot tell the two apart), and serves
 * flowpath geometry from flowpaths.parquet's GeoParquet WKB column. */
#include "hydrofabric/hf_internal.h"
#include "hydrofabric/gpkg.h"
#include "hydrofabric/parquet.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const HF_PARQUET_LAYERS[] = {"network", "flowpaths",      "flowpath-attributes",
                                         "lakes",   "divides",        "nexus",
                                         "pois",    "hydrolocations", NULL};

struct hf_pq {
    pq_file *fp;
    int has_geom;
    size_t geom_col;
    int64_t *rg_start; /* first row of each row group, plus the total */
    size_t cached_rg;
    int cached;
    pq_column geom;
};

/* Open dir/<name>.parquet, or the source's file of that name. */
static int open_file(const char *dir, const hf_source *src, const char *name, pq_file **out,
                     rnr_error *err)
{
    char p[4096];
    if (src) {
        snprintf(p, sizeof p, "%s.parquet", name);
        return src->open(src->ctx, p, out, err);
    }
    snprintf(p, sizeof p, "%s/%s.parquet", dir, name);
    return pq_open(p, out, err);
}

static int open_layer(const char *dir, const hf_source *src, const char *a, const char *b,
                      int required, pq_file **out, char *used, size_t used_n, rnr_error *err)
{
    *out = NULL;
    rnr_error e2 = {0};
    int rc = open_file(dir, src, a, out, err);
    if (rc == RNR_ERR_NOTFOUND && b) {
        if (open_file(dir, src, b, out, &e2) == RNR_OK) {
            a = b;
            rc = RNR_OK;
        }
    }
    if (rc == RNR_ERR_NOTFOUND && !required) {
        rnr_error_clear(err);
        return RNR_OK;
    }
    if (!rc && used)
        snprintf(used, used_n, "%s", a);
    return rc;
}

/* GeoParquet's "geo" metadata: the primary geometry column and its CRS as
 * AUTHORITY:CODE (PROJJSON id). No crs member means OGC:CRS84. */
static void read_geo(pq_file *f, char *col, size_t col_n, char *crs, size_t crs_n)
{
    const char *geo = pq_metadata(f, "geo");
    json_t *j = geo ? json_loads(geo, 0, NULL) : NULL;
    const char *pc = j ? json_string_value(json_object_get(j, "primary_column")) : NULL;
    if (pc)
        snprintf(col, col_n, "%s", pc);
    json_t *c =
        pc ? json_object_get(json_object_get(json_object_get(j, "columns"), pc), "crs") : NULL;
    if (pc && !json_object_get(json_object_get(json_object_get(j, "columns"), pc), "crs")) {
        snprintf(crs, crs_n, "OGC:CRS84");
    } else if (json_is_object(c)) {
        json_t *id = json_object_get(c, "id");
        const char *auth = json_string_value(json_object_get(id, "authority"));
        json_t *code = json_object_get(id, "code");
        if (auth && json_is_integer(code))
            snprintf(crs, crs_n, "%s:%lld", auth, (long long)json_integer_value(code));
        else if (auth && json_is_string(code))
            snprintf(crs, crs_n, "%s:%s", auth, json_string_value(code));
    } else if (json_is_string(c)) {
        snprintf(crs, crs_n, "%s", json_string_value(c));
    }
    json_decref(j);
}

int hf_parquet_build(sqlite3 *db, const char *dir, const hf_build_opts *opts, hf_info *info,
                     rnr_error *err)
{
    const hf_source *src = opts ? opts->src : NULL;
    hf_pq_layers in;
    memset(&in, 0, sizeof in);
    hf_layers ly;
    memset(&ly, 0, sizeof ly);
    memset(info, 0, sizeof *info);
    snprintf(ly.geom_column, sizeof ly.geom_column, "geometry");
    int rc;
    if ((rc = open_layer(dir, src, "network", NULL, 1, &in.network, NULL, 0, err)) ||
        (rc = open_layer(dir, src, "flowpaths", "flowlines", 1, &in.flowpaths, ly.flowpaths,
                         sizeof ly.flowpaths, err)) ||
        (rc = open_layer(dir, src, "flowpath-attributes", "flowpath_attributes", 1, &in.attributes,
                         ly.attributes, sizeof ly.attributes, err)) ||
        (rc = open_layer(dir, src, "lakes", NULL, 1, &in.lakes, NULL, 0, err)) ||
        (rc = open_layer(dir, src, "nexus", NULL, 0, &in.nexus, NULL, 0, err)))
        goto done;
    read_geo(in.flowpaths, ly.geom_column, sizeof ly.geom_column, ly.crs, sizeof ly.crs);
    snprintf(info->layer_flowpaths, sizeof info->layer_flowpaths, "%s", ly.flowpaths);
    snprintf(info->layer_attributes, sizeof info->layer_attributes, "%s", ly.attributes);
    snprintf(info->crs, sizeof info->crs, "%s", ly.crs);
    if ((rc = hf_index_schema(db, err)) || (rc = hf_parquet_fill(db, &in, opts, info, err)))
        goto done;
    rc = hf_index_finish(db, dir, &ly, opts, info, err);
done:
    if (rc) /* never leave a half-filled index behind */
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    pq_close(in.network);
    pq_close(in.flowpaths);
    pq_close(in.attributes);
    pq_close(in.lakes);
    pq_close(in.nexus);
    return rc;
}

int hf_parquet_open(hf_db *h, rnr_error *err)
{
    struct hf_pq *q = calloc(1, sizeof *q);
    if (!q)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    h->pq = q;
    char col[64] = "geometry", crs[32] = "";
    int rc = open_layer(h->path, h->src.open ? &h->src : NULL, "flowpaths", "flowlines", 1, &q->fp,
                        NULL, 0, err);
    if (rc)
        return rc;
    read_geo(q->fp, col, sizeof col, crs, sizeof crs);
    rnr_error ignore = {0};
    q->has_geom = pq_find_column(q->fp, col, &q->geom_col, &ignore) == RNR_OK ||
                  pq_find_column(q->fp, "geom", &q->geom_col, &ignore) == RNR_OK;
    size_t ng = pq_num_row_groups(q->fp);
    if (!(q->rg_start = malloc((ng + 1) * sizeof *q->rg_start)))
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    q->rg_start[0] = 0;
    for (size_t g = 0; g < ng; g++)
        q->rg_start[g + 1] = q->rg_start[g] + pq_row_group_rows(q->fp, g);
    return RNR_OK;
}

void hf_parquet_close(hf_db *h)
{
    if (!h->pq)
        return;
    pq_column_clear(&h->pq->geom);
    pq_close(h->pq->fp);
    free(h->pq->rg_start);
    free(h->pq);
    h->pq = NULL;
}

/* Geometry of the flowpaths row with ordinal fid: decodes that row's row
 * group of the geometry column (kept for the next lookup, as a cut's
 * flowpaths are usually neighbours). */
int hf_parquet_geometry(hf_db *h, int64_t fid, char **wkt, const char *id, rnr_error *err)
{
    struct hf_pq *q = h->pq;
    *wkt = NULL;
    size_t ng = pq_num_row_groups(q->fp);
    if (!q->has_geom || fid < 0 || fid >= q->rg_start[ng])
        return RNR_OK;
    size_t lo = 0, hi = ng;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (q->rg_start[mid] <= fid)
            lo = mid;
        else
            hi = mid;
    }
    if (!q->cached || q->cached_rg != lo) {
        pq_column_clear(&q->geom);
        q->cached = 0;
        int rc = pq_read_column(q->fp, lo, q->geom_col, &q->geom, err);
        if (rc)
            return rc;
        if (q->geom.kind != PQ_KIND_BYTES)
            return rnr_error_set(err, RNR_ERR_PARSE, "%s: geometry column is not WKB",
                                 pq_name(q->fp));
        q->cached = 1;
        q->cached_rg = lo;
    }
    size_t r = (size_t)(fid - q->rg_start[lo]);
    if (q->geom.valid && !q->geom.valid[r])
        return RNR_OK;
    int rc = gpkg_wkb_to_wkt(q->geom.data + q->geom.off[r], q->geom.off[r + 1] - q->geom.off[r],
                             wkt, err);
    if (rc)
        rnr_error_prefix(err, "%s: flowpath %s", pq_name(q->fp), id);
    return rc;
}
