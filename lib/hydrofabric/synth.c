/* synth.c - the synthetic hydrofabric's river basins: each basin is grown
 * from its outlet as a trunk chain (one mainstem) with tributary rivers
 * hanging off it, recursively; then Strahler orders, drainage areas,
 * channel parameters, lakes, gauges and the reference-fabric pieces
 * (network rows) are derived and written basin by basin, so memory is
 * bounded by the largest basin, not the file. */
#include "hydrofabric/synth.h"
#include "hydrofabric/synth_internal.h"

#include "core/fileutil.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASIN_MAX 60000
/* CONUS in EPSG:5070 metres. */
#define X_MIN (-2300000.0)
#define X_MAX 2200000.0
#define Y_MIN 300000.0
#define Y_MAX 3100000.0
#define HF_ID_BASE 1000001
#define POI_BASE 10001
#define LAKE_ID_BASE 100001

typedef struct node {
    int32_t down, chain,
        up_chain; /* downstream node, chain, upstream node on the same chain (-1: none) */
    int32_t nchild;
    int8_t order, cmax, ccnt, pieces, share, lake, gauge;
    int64_t gauge_id, poi_id, hf_last;
    double lengthkm, area, tot_area;
    double x0, y0, x1, y1; /* downstream and upstream ends */
} node;

typedef struct chain {
    int32_t outlet;
} chain;

typedef struct pending {
    size_t budget;
    int32_t attach;
    double x, y, angle;
} pending;

typedef struct gen {
    uint64_t rng;
    const synth_options *o;
    synth_writer *w;
    size_t made, lakes_left;
    int64_t next_hf, next_poi, next_lake;
    int64_t *gauges, *sorted;
    size_t ng, placed;
    node *v;
    chain *c;
    pending *stack;
    size_t nv, nc;
    size_t counts[5];
} gen;

static uint64_t rng_next(gen *g)
{
    uint64_t z = (g->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_u(gen *g)
{
    return (double)(rng_next(g) >> 11) * 0x1.0p-53;
}

void synth_options_default(synth_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int is_gauge_id(const gen *g, int64_t id)
{
    return g->ng && bsearch(&id, g->sorted, g->ng, sizeof id, cmp_i64) != NULL;
}

static int64_t fresh_hf(gen *g)
{
    while (is_gauge_id(g, g->next_hf))
        g->next_hf++;
    return g->next_hf++;
}

/* Trunk length grows like the square root of the basin it drains. */
static size_t chain_length(gen *g, size_t budget)
{
    double l = 3.0 * sqrt((double)budget) * (0.6 + 0.8 * rng_u(g));
    size_t L = l < 1 ? 1 : (size_t)l;
    return L > budget ? budget : L;
}

static void grow_chain(gen *g, const pending *p, size_t *sp)
{
    size_t L = chain_length(g, p->budget);
    int32_t ci = (int32_t)g->nc++;
    int32_t prev = p->attach, first = (int32_t)g->nv;
    double x = p->x, y = p->y;
    for (size_t k = 0; k < L; k++) {
        int32_t i = (int32_t)g->nv++;
        node *v = &g->v[i];
        memset(v, 0, sizeof *v);
        v->down = prev;
        v->chain = ci;
        v->up_chain = -1;
        if (k > 0)
            g->v[prev].up_chain = i;
        if (prev >= 0)
            g->v[prev].nchild++;
        v->lengthkm = 0.3 + 7.0 * pow(rng_u(g), 1.7);
        double a = p->angle + (rng_u(g) - 0.5) * 0.8;
        v->x0 = x;
        v->y0 = y;
        v->x1 = x + 1000.0 * v->lengthkm * cos(a);
        v->y1 = y + 1000.0 * v->lengthkm * sin(a);
        x = v->x1;
        y = v->y1;
        prev = i;
    }
    g->c[ci].outlet = first;
    size_t rem = p->budget - L;
    while (rem > 0) {
        double u = rng_u(g);
        size_t b = 1 + (size_t)((double)rem * u * u * 0.7);
        if (b > rem)
            b = rem;
        /* Join below the chain's head so the head stays a headwater. */
        size_t pos = L > 1 ? (size_t)(rng_u(g) * (double)(L - 1)) : 0;
        const node *at = &g->v[first + (int32_t)pos];
        double side = rng_u(g) < 0.5 ? -1.0 : 1.0;
        pending t = {b, first + (int32_t)pos, at->x1, at->y1,
                     p->angle + side * (0.5 + 0.7 * rng_u(g))};
        g->stack[(*sp)++] = t;
        rem -= b;
    }
}

static void grow_basin(gen *g, size_t size, double ox, double oy)
{
    size_t sp = 0;
    g->nv = g->nc = 0;
    pending root = {size, -1, ox, oy, rng_u(g) * 2.0 * M_PI};
    g->stack[sp++] = root;
    while (sp > 0) {
        pending p = g->stack[--sp];
        grow_chain(g, &p, &sp);
    }
}

/* Strahler order and drainage area, children (higher index) first. */
static void derive_orders(gen *g)
{
    for (size_t k = g->nv; k-- > 0;) {
        node *v = &g->v[k];
        v->order = v->nchild == 0 ? 1 : (int8_t)(v->ccnt >= 2 ? v->cmax + 1 : v->cmax);
        v->area = v->lengthkm * (1.0 + 2.0 * rng_u(g));
        v->tot_area += v->area;
        if (v->down >= 0) {
            node *d = &g->v[v->down];
            if (v->order > d->cmax) {
                d->cmax = v->order;
                d->ccnt = 1;
            } else if (v->order == d->cmax) {
                d->ccnt++;
            }
            d->tot_area += v->tot_area;
        }
    }
}

/* Lakes by selection sampling (exactly K over the whole file), points of
 * interest on lakes and a few other flowpaths, reference-fabric pieces. */
static void derive_features(gen *g, size_t total)
{
    for (size_t k = 0; k < g->nv; k++) {
        node *v = &g->v[k];
        size_t left = total - (g->made + k);
        v->lake = g->lakes_left && rng_u(g) * (double)left < (double)g->lakes_left;
        if (v->lake)
            g->lakes_left--;
        if (v->lake || rng_u(g) < 0.04)
            v->poi_id = g->next_poi++;
        double u = rng_u(g);
        v->pieces = (int8_t)(1 + (u < 0.45) + (u < 0.2));
        v->share = v->up_chain >= 0 && rng_u(g) < 0.03;
    }
}

/* One gauge per chain at most: its most upstream node whose cut (the
 * same-order run down the chain) has >= SYNTH_GAUGE_MIN_CHAIN flowpaths,
 * no lake, and no hf_id shared with a neighbour. */
static void place_gauges(gen *g, size_t per_basin)
{
    size_t here = 0;
    for (size_t ci = 0; ci < g->nc && g->placed < g->ng && here < per_basin; ci++) {
        int32_t best = -1, prev = -1;
        int run = 0, lake = 0;
        for (int32_t i = g->c[ci].outlet; i >= 0; i = g->v[i].up_chain) {
            assert((size_t)i < g->nv); /* a node of this basin: derive_features saw it */
            node *v = &g->v[i];
            int same = prev >= 0 && g->v[prev].order == v->order;
            run = same ? run + 1 : 1;
            lake = v->lake || (same && lake);
            int shared = v->share || (prev >= 0 && g->v[prev].share);
            if (run >= SYNTH_GAUGE_MIN_CHAIN && !lake && !shared)
                best = i;
            prev = i;
        }
        if (best >= 0) {
            g->v[best].gauge = 1;
            g->v[best].gauge_id = g->gauges[g->placed++];
            here++;
        }
    }
}

static void channel(gen *g, const node *v, synth_fp *f)
{
    double a = v->tot_area, o = v->order;
    f->tw = 2.44 * pow(a, 0.34) * (0.9 + 0.2 * rng_u(g));
    f->bw = f->tw * (0.75 + 0.1 * rng_u(g));
    f->twcc = 3.0 * f->tw;
    f->cs = 0.5 + 0.45 * o * (0.9 + 0.2 * rng_u(g));
    f->n = 0.04 + 0.02 * rng_u(g);
    f->ncc = 0.08 + 0.07 * rng_u(g);
    double t = (o - 1.0) / 7.0 + 0.15 * (rng_u(g) - 0.5);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    f->so = pow(10.0, -2.0 - 3.0 * t);
    f->y = 0.2 * pow(a, 0.3);
    f->alt = 20.0 + 1500.0 * (1.0 - t) * rng_u(g);
}

static void fill_fp(gen *g, size_t k, synth_fp *f)
{
    static const char *const vpus[] = {"17", "18", "16", "14", "15", "10U", "10L", "11", "12",
                                       "13", "07", "08", "05", "06", "03N", "04",  "02", "01"};
    const node *v = &g->v[k];
    memset(f, 0, sizeof *f);
    f->id = (int64_t)(g->made + k) + 1;
    f->to_id = v->down >= 0 ? (int64_t)(g->made + (size_t)v->down) + 1 : 0;
    f->hydroseq = f->id; /* created downstream first: smaller is downstream */
    f->mainstem = (int64_t)(g->made + (size_t)g->c[v->chain].outlet) + 1;
    f->poi_id = v->poi_id;
    f->order = v->order;
    f->has_junction = v->nchild > 0;
    f->lengthkm = v->lengthkm;
    f->areasqkm = v->area;
    f->tot_areasqkm = v->tot_area;
    /* upstream end first, two wiggles, downstream end */
    double dx = v->x0 - v->x1, dy = v->y0 - v->y1;
    double w1 = (rng_u(g) - 0.5) * 0.2, w2 = (rng_u(g) - 0.5) * 0.2;
    double pts[8] = {v->x1,
                     v->y1,
                     v->x1 + dx / 3 - dy * w1,
                     v->y1 + dy / 3 + dx * w1,
                     v->x1 + 2 * dx / 3 - dy * w2,
                     v->y1 + 2 * dy / 3 + dx * w2,
                     v->x0,
                     v->y0};
    memcpy(f->xy, pts, sizeof pts);
    int vi = (int)((v->x0 - X_MIN) / (X_MAX - X_MIN) * 18.0);
    f->vpuid = vpus[vi < 0 ? 0 : vi > 17 ? 17 : vi];
    channel(g, v, f);
}

static void progress(const gen *g, const char *phase, size_t done, size_t total)
{
    if (g->o->progress)
        g->o->progress(g->o->progress_ctx, phase, done, total);
}

/* Network rows: 1-3 reference-fabric pieces per flowpath, upstream piece
 * first; a "shared" flowpath's first piece reuses its upstream neighbour's
 * last hf_id (many wb to one hf_id). Upstream nodes go first so that id is
 * known. */
static int write_basin(gen *g, rnr_error *err)
{
    synth_fp f;
    for (size_t k = g->nv; k-- > 0;) {
        node *v = &g->v[k];
        fill_fp(g, k, &f);
        if (v->lake)
            f.lake_id = g->next_lake++;
        int rc = synth_write_flowpath(g->w, &f, err);
        for (int p = 0; !rc && p < v->pieces; p++) {
            int64_t hf = p == 0 && v->gauge   ? v->gauge_id
                         : p == 0 && v->share ? g->v[v->up_chain].hf_last
                                              : fresh_hf(g);
            rc = synth_write_network(g->w, &f, hf, f.hydroseq * 4 + (v->pieces - 1 - p),
                                     v->lengthkm / v->pieces, err);
            v->hf_last = hf;
            g->counts[2]++;
        }
        if (!rc && v->lake) {
            rc = synth_write_lake(g->w, &f, v->hf_last, 0.2 + 20.0 * rng_u(g), err);
            g->counts[4]++;
        }
        if (rc)
            return rc;
        g->counts[0]++;
        g->counts[1]++;
        if (g->counts[0] % 4096 == 0) /* often enough for the eye, rarely for the clock */
            progress(g, "flowpaths", g->counts[0], g->o->flowpaths);
        g->counts[3] += (size_t)f.has_junction + (f.to_id == 0);
        g->counts[2] += (size_t)f.has_junction;
    }
    return RNR_OK;
}

static size_t basin_size(gen *g, size_t remaining, size_t total)
{
    size_t hi = total / 8;
    hi = hi < 200 ? 200 : hi > BASIN_MAX ? BASIN_MAX : hi;
    size_t lo = 20;
    if (hi > remaining)
        hi = remaining;
    if (lo > hi)
        lo = hi;
    size_t s = (size_t)((double)lo * pow((double)hi / (double)lo, rng_u(g)));
    if (s < lo)
        s = lo;
    /* do not leave a remainder too small to be a basin of its own */
    if (remaining - s < lo)
        s = remaining;
    return s;
}

static int run(gen *g, size_t total, rnr_error *err)
{
    size_t cap = total < BASIN_MAX ? total : BASIN_MAX;
    g->v = malloc(cap * sizeof *g->v);
    g->c = malloc(cap * sizeof *g->c);
    g->stack = malloc(cap * sizeof *g->stack);
    if (!g->v || !g->c || !g->stack)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    size_t per_basin = g->ng;
    progress(g, "flowpaths", 0, total);
    while (g->made < total) {
        size_t size = basin_size(g, total - g->made, total);
        if (size > cap)
            size = cap;
        double ox = X_MIN + (X_MAX - X_MIN) * rng_u(g), oy = Y_MIN + (Y_MAX - Y_MIN) * rng_u(g);
        grow_basin(g, size, ox, oy);
        derive_orders(g);
        derive_features(g, total);
        place_gauges(g, per_basin);
        int rc = write_basin(g, err);
        if (rc)
            return rc;
        g->made += g->nv;
    }
    progress(g, "flowpaths", g->made, total);
    if (g->placed < g->ng)
        return rnr_error_set(
            err, RNR_ERR_INVALID,
            "placed only %zu of %zu gauges (each needs a lake-free chain of %d flowpaths): "
            "use more --flowpaths",
            g->placed, g->ng, SYNTH_GAUGE_MIN_CHAIN);
    return RNR_OK;
}

int synth_generate(const char *path, const synth_options *o, synth_report *rep, rnr_error *err)
{
    if (o->flowpaths < 1 || o->flowpaths > SYNTH_MAX_FLOWPATHS)
        return rnr_error_set(err, RNR_ERR_INVALID, "flowpaths must be 1..%d, not %zu",
                             SYNTH_MAX_FLOWPATHS, o->flowpaths);
    gen g = {0};
    g.o = o;
    g.rng = o->seed * 0x2545F4914F6CDD1Dull + 1;
    g.lakes_left = o->lakes_set ? o->lakes : o->flowpaths / 400;
    if (g.lakes_left > o->flowpaths)
        g.lakes_left = o->flowpaths;
    g.next_hf = HF_ID_BASE;
    g.next_poi = POI_BASE;
    g.next_lake = LAKE_ID_BASE;
    int rc = RNR_OK;
    if (o->gauges_csv)
        rc = synth_read_gauges(o->gauges_csv, &g.gauges, &g.ng, err);
    else if (o->n_gauges) {
        g.gauges = malloc(o->n_gauges * sizeof *g.gauges);
        if (!g.gauges)
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        else
            memcpy(g.gauges, o->gauges, o->n_gauges * sizeof *g.gauges);
        g.ng = o->n_gauges;
    }
    if (!rc && g.ng) {
        g.sorted = malloc(g.ng * sizeof *g.sorted);
        if (!g.sorted)
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        else {
            memcpy(g.sorted, g.gauges, g.ng * sizeof *g.sorted);
            qsort(g.sorted, g.ng, sizeof *g.sorted, cmp_i64);
            for (size_t i = 1; i < g.ng && !rc; i++)
                if (g.sorted[i] == g.sorted[i - 1])
                    rc = rnr_error_set(err, RNR_ERR_INVALID, "gauge reach_id %lld is listed twice",
                                       (long long)g.sorted[i]);
        }
    }
    if (!rc)
        rc = synth_writer_open(path, &g.w, err);
    if (!rc)
        rc = run(&g, o->flowpaths, err);
    if (!rc) {
        progress(&g, "commit", 0, 0);
        rc = synth_writer_finish(g.w, g.counts, err);
        g.w = NULL;
    }
    if (rc && g.w)
        synth_writer_abort(g.w);
    if (!rc && rep) {
        rep->flowpaths = g.counts[0];
        rep->network_rows = g.counts[2];
        rep->nexus = g.counts[3];
        rep->lakes = g.counts[4];
        rep->gauges = g.placed;
    }
    free(g.v), free(g.c), free(g.stack), free(g.gauges), free(g.sorted);
    return rc;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
}

static int parse_gauge_line(const char *path, size_t lineno, char *line, int64_t *id,
                            rnr_error *err)
{
    char *comma = strchr(line, ',');
    if (!comma || comma == line)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: line %zu: expected lid,reach_id", path,
                             lineno);
    char *f = comma + 1, *end = strchr(f, ',');
    if (end)
        *end = 0;
    char *stop;
    long long v = strtoll(f, &stop, 10);
    if (stop == f || *stop || v <= 0)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: line %zu: reach_id '%s' is not a positive integer", path, lineno,
                             f);
    *id = v;
    return RNR_OK;
}

int synth_read_gauges(const char *path, int64_t **ids, size_t *n, rnr_error *err)
{
    *ids = NULL;
    *n = 0;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return rnr_error_set(err, RNR_ERR_IO, "%s: cannot open the gauge list", path);
    char line[4096];
    size_t lineno = 0, cap = 0, k = 0;
    int64_t *v = NULL;
    int rc = RNR_OK;
    if (!fgets(line, sizeof line, fp)) {
        rc = rnr_error_set(err, RNR_ERR_PARSE, "%s: empty file (expected header lid,reach_id)",
                           path);
    } else {
        chomp(line);
        lineno = 1;
        const char *h = text_skip_bom(line);
        if (strncmp(h, "lid,reach_id", 12) != 0 || (h[12] && h[12] != ','))
            rc = rnr_error_set(err, RNR_ERR_PARSE, "%s: header must start with lid,reach_id", path);
    }
    while (!rc && fgets(line, sizeof line, fp)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(fp)) {
            rc = rnr_error_set(err, RNR_ERR_LIMIT, "%s: line %zu longer than %zu bytes", path,
                               lineno, sizeof line);
            break;
        }
        chomp(line);
        if (!line[0])
            continue;
        if (k == SYNTH_MAX_GAUGES) {
            rc = rnr_error_set(err, RNR_ERR_LIMIT, "%s: more than %d gauges", path,
                               SYNTH_MAX_GAUGES);
            break;
        }
        if (k == cap) {
            cap = cap ? 2 * cap : 16;
            int64_t *t = realloc(v, cap * sizeof *v);
            if (!t) {
                rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
                break;
            }
            v = t;
        }
        rc = parse_gauge_line(path, lineno, line, &v[k], err);
        k += rc == RNR_OK;
    }
    fclose(fp);
    if (rc) {
        free(v);
        return rc;
    }
    *ids = v;
    *n = k;
    return RNR_OK;
}
