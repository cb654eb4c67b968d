/* network.c - the routing order of a segment tree and the time loop that
 * calls the Muskingum-Cunge kernel in t-route's exact sequence.
 *
 * The carried residual makes every result depend on the order of kernel
 * calls, so the order here is t-route's (spec §7.2), not just any
 * topological order: a depth-first walk from the outlets, upstream
 * neighbours in ascending id, reaches routed in the order they close. */
#include "hydro/network.h"

#include "hydro/mc_kernel.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct hydro_net {
    size_t n;
    hydro_segment *seg; /* routing order */
    size_t *up_off;     /* [n+1] CSR offsets into up */
    size_t *up;         /* upstream routing indices, ascending id */
    int64_t *sorted_id; /* ids ascending, for net_index_of */
    size_t *sorted_pos; /* routing index of sorted_id[k] */
};

typedef struct id_ref {
    int64_t id;
    size_t idx;
} id_ref;

static int cmp_ref(const void *a, const void *b)
{
    const id_ref *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* Scratch for building the order, indexed by input position. */
typedef struct net_build {
    size_t n;
    id_ref *byid;               /* sorted (id, input index) */
    long *down;                 /* input index of the downstream segment, -1 = outlet */
    size_t *nup, *uoff, *ulist; /* upstream lists, input indices, ascending id */
    size_t *order;              /* routing order -> input index */
    size_t norder;
    size_t *stack, *next;
} net_build;

static void build_free(net_build *b)
{
    free(b->byid);
    free(b->down);
    free(b->nup);
    free(b->uoff);
    free(b->ulist);
    free(b->order);
    free(b->stack);
    free(b->next);
}

static long find_input(const net_build *b, int64_t id)
{
    id_ref key = {id, 0};
    const id_ref *r = bsearch(&key, b->byid, b->n, sizeof *b->byid, cmp_ref);
    return r ? (long)r->idx : -1;
}

static int build_links(net_build *b, const hydro_segment *segs, rnr_error *err)
{
    size_t n = b->n;
    for (size_t i = 0; i < n; i++) {
        if (segs[i].id == 0)
            return rnr_error_set(err, RNR_ERR_INVALID,
                                 "segment at position %zu: id 0 is reserved for 'no downstream'",
                                 i);
        b->byid[i] = (id_ref){segs[i].id, i};
    }
    qsort(b->byid, n, sizeof *b->byid, cmp_ref);
    for (size_t k = 1; k < n; k++)
        if (b->byid[k].id == b->byid[k - 1].id)
            return rnr_error_set(err, RNR_ERR_INVALID,
                                 "segment %lld: duplicate id (positions %zu and %zu)",
                                 (long long)b->byid[k].id, b->byid[k - 1].idx, b->byid[k].idx);
    for (size_t i = 0; i < n; i++) {
        b->down[i] = segs[i].to_id == 0 ? -1 : find_input(b, segs[i].to_id);
        if (b->down[i] == (long)i)
            return rnr_error_set(err, RNR_ERR_INVALID, "segment %lld: flows into itself (cycle)",
                                 (long long)segs[i].id);
        if (b->down[i] >= 0)
            b->nup[b->down[i]]++;
    }
    b->uoff[0] = 0;
    for (size_t i = 0; i < n; i++)
        b->uoff[i + 1] = b->uoff[i] + b->nup[i];
    /* Filling in ascending id order leaves every list sorted by id. */
    size_t *fill = b->next;
    memcpy(fill, b->uoff, n * sizeof *fill);
    for (size_t k = 0; k < n; k++) {
        size_t i = b->byid[k].idx;
        if (b->down[i] >= 0)
            b->ulist[fill[b->down[i]]++] = i;
    }
    return RNR_OK;
}

/* A segment whose upstream count is not 1 starts a reach: emit it and the
 * chain below it down to just above the next junction (or the outlet). */
static void close_reach(net_build *b, size_t head)
{
    size_t cur = head;
    b->order[b->norder++] = cur;
    while (b->down[cur] >= 0 && b->nup[b->down[cur]] == 1) {
        cur = (size_t)b->down[cur];
        b->order[b->norder++] = cur;
    }
}

/* Iterative post-order walk from one outlet (no recursion: real networks
 * have chains of thousands of segments). */
static void walk_from(net_build *b, size_t outlet)
{
    size_t sp = 0;
    b->stack[sp++] = outlet;
    b->next[outlet] = 0;
    while (sp > 0) {
        size_t node = b->stack[sp - 1];
        if (b->next[node] < b->nup[node]) {
            size_t child = b->ulist[b->uoff[node] + b->next[node]++];
            b->next[child] = 0;
            b->stack[sp++] = child;
        } else {
            sp--;
            if (b->nup[node] != 1)
                close_reach(b, node);
        }
    }
}

static int build_order(net_build *b, const hydro_segment *segs, rnr_error *err)
{
    assert(b->n > 0); /* net_new refuses an empty network */
    for (size_t k = 0; k < b->n; k++) {
        size_t i = b->byid[k].idx;
        if (b->down[i] < 0)
            walk_from(b, i);
    }
    if (b->norder != b->n) {
        /* Segments not reached from any outlet drain into a cycle. */
        char *seen = calloc(b->n, 1);
        if (!seen)
            return rnr_error_set(err, RNR_ERR_NOMEM, "network: out of memory");
        for (size_t k = 0; k < b->norder; k++)
            seen[b->order[k]] = 1;
        size_t bad = 0;
        for (size_t k = 0; k < b->n; k++)
            if (!seen[b->byid[k].idx]) {
                bad = b->byid[k].idx;
                break;
            }
        free(seen);
        return rnr_error_set(
            err, RNR_ERR_INVALID,
            "segment %lld: its downstream path never reaches an outlet (cycle through to_id %lld)",
            (long long)segs[bad].id, (long long)segs[bad].to_id);
    }
    return RNR_OK;
}

static int net_fill(hydro_net *net, const net_build *b, const hydro_segment *segs)
{
    size_t n = b->n;
    size_t *pos = malloc(n * sizeof *pos);
    net->seg = malloc(n * sizeof *net->seg);
    net->up_off = malloc((n + 1) * sizeof *net->up_off);
    net->up = malloc((b->uoff[n] ? b->uoff[n] : 1) * sizeof *net->up);
    net->sorted_id = malloc(n * sizeof *net->sorted_id);
    net->sorted_pos = malloc(n * sizeof *net->sorted_pos);
    if (!pos || !net->seg || !net->up_off || !net->up || !net->sorted_id || !net->sorted_pos) {
        free(pos);
        return -1;
    }
    net->n = n;
    for (size_t r = 0; r < n; r++)
        pos[b->order[r]] = r;
    net->up_off[0] = 0;
    for (size_t r = 0; r < n; r++) {
        size_t i = b->order[r];
        net->seg[r] = segs[i];
        size_t cnt = b->nup[i];
        for (size_t k = 0; k < cnt; k++)
            net->up[net->up_off[r] + k] = pos[b->ulist[b->uoff[i] + k]];
        net->up_off[r + 1] = net->up_off[r] + cnt;
    }
    for (size_t k = 0; k < n; k++) {
        net->sorted_id[k] = b->byid[k].id;
        net->sorted_pos[k] = pos[b->byid[k].idx];
    }
    free(pos);
    return 0;
}

int net_new(const hydro_segment *segs, size_t n, hydro_net **out, rnr_error *err)
{
    *out = NULL;
    if (n == 0 || !segs)
        return rnr_error_set(err, RNR_ERR_INVALID, "network: no segments");
    net_build b = {0};
    b.n = n;
    b.byid = malloc(n * sizeof *b.byid);
    b.down = malloc(n * sizeof *b.down);
    b.nup = calloc(n, sizeof *b.nup);
    b.uoff = malloc((n + 1) * sizeof *b.uoff);
    b.ulist = malloc(n * sizeof *b.ulist);
    b.order = malloc(n * sizeof *b.order);
    b.stack = malloc(n * sizeof *b.stack);
    b.next = malloc(n * sizeof *b.next);
    hydro_net *net = calloc(1, sizeof *net);
    int rc;
    if (!b.byid || !b.down || !b.nup || !b.uoff || !b.ulist || !b.order || !b.stack || !b.next ||
        !net)
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "network: out of memory for %zu segments", n);
    else if ((rc = build_links(&b, segs, err)) == RNR_OK &&
             (rc = build_order(&b, segs, err)) == RNR_OK && net_fill(net, &b, segs) != 0)
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "network: out of memory for %zu segments", n);
    build_free(&b);
    if (rc != RNR_OK) {
        net_free(net);
        return rc;
    }
    *out = net;
    return RNR_OK;
}

void net_free(hydro_net *net)
{
    if (!net)
        return;
    free(net->seg);
    free(net->up_off);
    free(net->up);
    free(net->sorted_id);
    free(net->sorted_pos);
    free(net);
}

size_t net_size(const hydro_net *net)
{
    return net->n;
}

const hydro_segment *net_segment(const hydro_net *net, size_t i)
{
    return i < net->n ? &net->seg[i] : NULL;
}

size_t net_upstream_count(const hydro_net *net, size_t i)
{
    return net->up_off[i + 1] - net->up_off[i];
}

size_t net_upstream(const hydro_net *net, size_t i, size_t k)
{
    return net->up[net->up_off[i] + k];
}

long net_index_of(const hydro_net *net, int64_t id)
{
    size_t lo = 0, hi = net->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (net->sorted_id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < net->n && net->sorted_id[lo] == id) ? (long)net->sorted_pos[lo] : -1;
}

void net_result_free(net_result *r)
{
    if (!r)
        return;
    free(r->ids);
    free(r->steps);
    free(r->flow);
    free(r->velocity);
    free(r->depth);
    free(r);
}

static net_result *result_new(const hydro_net *net, size_t nout, int every)
{
    net_result *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    size_t cells = net->n * nout;
    r->nseg = net->n;
    r->nout = nout;
    r->ids = malloc(net->n * sizeof *r->ids);
    r->steps = malloc(nout * sizeof *r->steps);
    r->flow = malloc(cells * sizeof *r->flow);
    r->velocity = malloc(cells * sizeof *r->velocity);
    r->depth = malloc(cells * sizeof *r->depth);
    if (!r->ids || !r->steps || !r->flow || !r->velocity || !r->depth) {
        net_result_free(r);
        return NULL;
    }
    for (size_t i = 0; i < net->n; i++)
        r->ids[i] = net->seg[i].id;
    for (size_t k = 0; k < nout; k++)
        r->steps[k] = (int)((k + 1) * (size_t)every);
    return r;
}

/* State of the previous and the current step; nothing else grows with nts. */
typedef struct net_state {
    float *qp, *qc, *dp, *dc, *ql;
} net_state;

static int run_steps(const hydro_net *net, const net_run *run, int every, net_state *s,
                     net_result *res, rnr_error *err)
{
    size_t n = net->n, nout = res->nout;
    mc_state st = {run->r0};
    mc_inputs in;
    memset(&in, 0, sizeof in);
    in.dt = run->dt;
    for (int t = 1; t <= run->nts; t++) {
        memset(s->ql, 0, n * sizeof *s->ql);
        if (run->qlat) {
            int rc = run->qlat(run->qlat_ctx, t, s->ql);
            if (rc != RNR_OK)
                return rc;
        }
        int outk = (t % every == 0) ? t / every - 1 : -1;
        for (size_t i = 0; i < n; i++) {
            const hydro_segment *g = &net->seg[i];
            float u = 0.0f; /* junction sum: float32, ascending id, from 0 */
            for (size_t k = net->up_off[i]; k < net->up_off[i + 1]; k++)
                u += s->qp[net->up[k]];
            in.qup = u;
            in.quc = u;
            in.qdp = s->qp[i];
            in.ql = s->ql[i];
            in.dx = g->dx;
            in.bw = g->bw;
            in.tw = g->tw;
            in.twcc = g->twcc;
            in.n = g->n;
            in.ncc = g->ncc;
            in.cs = g->cs;
            in.s0 = g->s0;
            in.depthp = s->dp[i];
            if (run->reset_residual)
                st.r0 = 0.0f;
            mc_outputs o;
            int rc = mc_route_step(&st, &in, &o, g->id, err);
            if (rc != RNR_OK)
                return rc;
            float q = o.qdc;
            if (q <= 0.0f)
                q = 0.0f;
            s->qc[i] = q;
            s->dc[i] = o.depthc;
            if (outk >= 0) {
                res->flow[i * nout + (size_t)outk] = q;
                res->velocity[i * nout + (size_t)outk] = o.velc;
                res->depth[i * nout + (size_t)outk] = o.depthc;
            }
        }
        float *tmp = s->qp;
        s->qp = s->qc;
        s->qc = tmp;
        tmp = s->dp;
        s->dp = s->dc;
        s->dc = tmp;
    }
    return RNR_OK;
}

int net_route(const hydro_net *net, const net_run *run, net_result **out, rnr_error *err)
{
    *out = NULL;
    int every = run->output_every == 0 ? 12 : run->output_every;
    if (!(run->dt > 0.0f) || isinf(run->dt))
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "routing: time step dt = %g s must be > 0 and finite",
                             (double)run->dt);
    if (run->nts <= 0)
        return rnr_error_set(err, RNR_ERR_INVALID, "routing: number of steps nts = %d must be > 0",
                             run->nts);
    if (every < 1 || every > run->nts)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "routing: output every %d steps must be between 1 and nts = %d", every,
                             run->nts);
    size_t n = net->n;
    net_result *res = result_new(net, (size_t)(run->nts / every), every);
    net_state s;
    s.qp = calloc(n, sizeof(float));
    s.qc = calloc(n, sizeof(float));
    s.dp = calloc(n, sizeof(float));
    s.dc = calloc(n, sizeof(float));
    s.ql = calloc(n, sizeof(float));
    int rc;
    if (!res || !s.qp || !s.qc || !s.dp || !s.dc || !s.ql) {
        rc = rnr_error_set(err, RNR_ERR_NOMEM,
                           "routing: out of memory for %zu segments x %d outputs", n,
                           run->nts / every);
    } else {
        if (run->q0)
            memcpy(s.qp, run->q0, n * sizeof(float));
        if (run->d0)
            memcpy(s.dp, run->d0, n * sizeof(float));
        rc = run_steps(net, run, every, &s, res, err);
    }
    free(s.qp);
    free(s.qc);
    free(s.dp);
    free(s.dc);
    free(s.ql);
    if (rc != RNR_OK) {
        net_result_free(res);
        return rc;
    }
    *out = res;
    return RNR_OK;
}
