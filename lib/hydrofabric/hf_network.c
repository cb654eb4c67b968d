/* hf_network.c - load a whole network (or everything draining to one
 * flowpath) as segments in topological order: flowpath -> nexus (toid) ->
 * flowpath (the nexus's toid). */
#include "hydrofabric/hf_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Open-addressing map from flowpath id to its index. */
typedef struct idmap {
    int64_t *keys;
    size_t *vals;
    size_t mask;
} idmap;

static size_t hash64(int64_t k)
{
    uint64_t x = (uint64_t)k * 0x9E3779B97F4A7C15ull;
    return (size_t)(x ^ (x >> 29));
}

static int idmap_init(idmap *m, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    m->mask = cap - 1;
    m->keys = malloc(cap * sizeof *m->keys);
    m->vals = malloc(cap * sizeof *m->vals);
    if (!m->keys || !m->vals)
        return -1;
    for (size_t i = 0; i < cap; i++)
        m->keys[i] = INT64_MIN;
    return 0;
}

static void idmap_put(idmap *m, int64_t k, size_t v)
{
    size_t i = hash64(k) & m->mask;
    while (m->keys[i] != INT64_MIN && m->keys[i] != k)
        i = (i + 1) & m->mask;
    m->keys[i] = k;
    m->vals[i] = v;
}

static int idmap_get(const idmap *m, int64_t k, size_t *v)
{
    size_t i = hash64(k) & m->mask;
    while (m->keys[i] != INT64_MIN) {
        if (m->keys[i] == k) {
            *v = m->vals[i];
            return 1;
        }
        i = (i + 1) & m->mask;
    }
    return 0;
}

static int read_all(hf_db *h, hydro_segment **segs, size_t *n, rnr_error *err)
{
    sqlite3_stmt *st;
    size_t cap = 1024, k = 0;
    hydro_segment *s = malloc(cap * sizeof *s);
    if (!s)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    if (sqlite3_prepare_v2(h->db,
                           "SELECT f.id, f.to_fp, f.dx, f.n, f.ncc, f.bw, f.tw, f.twcc, f.cs, f.s0"
                           " FROM fp f ORDER BY f.id",
                           -1, &st, NULL) != SQLITE_OK) {
        free(s);
        return rnr_error_set(err, RNR_ERR_IO, "%s: %s", hf_basename(h->path),
                             sqlite3_errmsg(h->db));
    }
    int rc = RNR_OK;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
            rc = rnr_error_set(err, RNR_ERR_NOTFOUND, "%s: flowpath wb-%lld has no row in %s",
                               hf_basename(h->path), (long long)sqlite3_column_int64(st, 0),
                               h->info.layer_attributes);
            break;
        }
        if (k == cap) {
            hydro_segment *t = realloc(s, 2 * cap * sizeof *s);
            if (!t) {
                rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
                break;
            }
            s = t;
            cap *= 2;
        }
        hydro_segment *x = &s[k++];
        x->id = sqlite3_column_int64(st, 0);
        x->to_id = sqlite3_column_int64(st, 1);
        double p[HF_PARAM_COUNT];
        for (int i = 0; i < HF_PARAM_COUNT; i++)
            p[i] = sqlite3_column_double(st, 2 + i);
        if ((rc = hf_params_check(h->path, x->id, p, err)) != RNR_OK)
            break;
        hf_params_to_segment(p, x);
    }
    sqlite3_finalize(st);
    if (rc) {
        free(s);
        return rc;
    }
    *segs = s;
    *n = k;
    return RNR_OK;
}

/* Mark what drains to root (inclusive) by walking the reversed edges. */
static int mark_upstream(size_t n, const size_t *down, size_t root, char *keep)
{
    assert(root < n); /* an index the id map found, so n > 0 */
    size_t *head = malloc((n + 1) * sizeof *head), *next = malloc(n * sizeof *next),
           *stack = malloc(n * sizeof *stack);
    if (!head || !next || !stack) {
        free(head), free(next), free(stack);
        return -1;
    }
    for (size_t i = 0; i <= n; i++)
        head[i] = SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        if (down[i] != SIZE_MAX) {
            next[i] = head[down[i]];
            head[down[i]] = i;
        }
    size_t sp = 0;
    stack[sp++] = root;
    keep[root] = 1;
    while (sp) {
        size_t v = stack[--sp];
        for (size_t u = head[v]; u != SIZE_MAX; u = next[u])
            if (!keep[u]) {
                keep[u] = 1;
                stack[sp++] = u;
            }
    }
    free(head), free(next), free(stack);
    return 0;
}

/* Kahn's algorithm over the kept segments: headwaters first. */
static int topo_order(hf_db *h, hydro_segment *s, size_t n, const size_t *down, const char *keep,
                      hydro_segment **out, size_t *nout, rnr_error *err)
{
    size_t *indeg = calloc(n ? n : 1, sizeof *indeg), *queue = malloc((n ? n : 1) * sizeof *queue);
    hydro_segment *o = malloc((n ? n : 1) * sizeof *o);
    if (!indeg || !queue || !o) {
        free(indeg), free(queue), free(o);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    }
    size_t total = 0, qh = 0, qt = 0, k = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) {
            total++;
            if (down[i] != SIZE_MAX && keep[down[i]])
                indeg[down[i]]++;
        }
    for (size_t i = 0; i < n; i++)
        if (keep[i] && indeg[i] == 0)
            queue[qt++] = i;
    while (qh < qt) {
        size_t v = queue[qh++];
        o[k] = s[v];
        o[k].to_id = down[v] != SIZE_MAX && keep[down[v]] ? s[down[v]].id : 0;
        k++;
        if (down[v] != SIZE_MAX && keep[down[v]] && --indeg[down[v]] == 0)
            queue[qt++] = down[v];
    }
    free(indeg), free(queue);
    if (k != total) {
        free(o);
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: the flowpath network has a cycle (%zu flowpaths on it)",
                             hf_basename(h->path), total - k);
    }
    *out = o;
    *nout = k;
    return RNR_OK;
}

int hf_load_network(hf_db *h, int64_t outlet_id, hydro_segment **segs, size_t *nout, rnr_error *err)
{
    *segs = NULL;
    *nout = 0;
    hydro_segment *s = NULL;
    size_t n = 0;
    int rc = read_all(h, &s, &n, err);
    if (rc)
        return rc;
    idmap m = {0};
    size_t *down = malloc((n ? n : 1) * sizeof *down);
    char *keep = calloc(n ? n : 1, 1);
    if (!down || !keep || idmap_init(&m, n) != 0) {
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        idmap_put(&m, s[i].id, i);
    for (size_t i = 0; i < n; i++)
        if (!s[i].to_id || !idmap_get(&m, s[i].to_id, &down[i]))
            down[i] = SIZE_MAX;
    size_t root;
    if (outlet_id == 0) {
        memset(keep, 1, n);
    } else if (!idmap_get(&m, outlet_id, &root)) {
        rc = rnr_error_set(err, RNR_ERR_NOTFOUND, "%s: flowpath wb-%lld not found",
                           hf_basename(h->path), (long long)outlet_id);
        goto done;
    } else if (mark_upstream(n, down, root, keep) != 0) {
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        goto done;
    }
    rc = topo_order(h, s, n, down, keep, segs, nout, err);
done:
    free(m.keys), free(m.vals), free(down), free(keep), free(s);
    return rc;
}
