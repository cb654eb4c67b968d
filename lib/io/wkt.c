/* wkt.c - strict 2-D LINESTRING / MULTILINESTRING reader (see header). */
#include "io/wkt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct parser {
    const char *s, *p;
    wkt_lines *g;
    size_t cap_pts, cap_parts;
    rnr_error *err;
} parser;

static void skip_ws(parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static int fail(parser *ps, const char *what)
{
    return rnr_error_set(ps->err, RNR_ERR_PARSE, "WKT geometry: %s at offset %zu", what,
                         (size_t)(ps->p - ps->s));
}

static int expect(parser *ps, char c)
{
    skip_ws(ps);
    if (*ps->p != c) {
        char what[32] = "expected ' '";
        what[10] = c;
        return fail(ps, what);
    }
    ps->p++;
    return RNR_OK;
}

static int number(parser *ps, double *out)
{
    skip_ws(ps);
    /* strtod would also take "nan", "inf" and hex floats; WKT has none. */
    const char *q = ps->p;
    if (*q == '-' || *q == '+')
        q++;
    if (!isdigit((unsigned char)*q) && !(*q == '.' && isdigit((unsigned char)q[1])))
        return fail(ps, "expected a number");
    char *end;
    errno = 0;
    *out = strtod(ps->p, &end);
    if (errno == ERANGE || !isfinite(*out))
        return fail(ps, "number out of range");
    ps->p = end;
    return RNR_OK;
}

static int push_point(parser *ps, double x, double y)
{
    wkt_lines *g = ps->g;
    if (g->npoints == ps->cap_pts) {
        size_t cap = ps->cap_pts ? ps->cap_pts * 2 : 16;
        double *xy = realloc(g->xy, cap * 2 * sizeof *xy);
        if (!xy)
            return rnr_error_set(ps->err, RNR_ERR_NOMEM, "WKT geometry: out of memory");
        g->xy = xy;
        ps->cap_pts = cap;
    }
    g->xy[2 * g->npoints] = x;
    g->xy[2 * g->npoints + 1] = y;
    g->npoints++;
    return RNR_OK;
}

static int push_part(parser *ps)
{
    wkt_lines *g = ps->g;
    if (g->nparts == ps->cap_parts) {
        size_t cap = ps->cap_parts ? ps->cap_parts * 2 : 4;
        size_t *pe = realloc(g->part_end, cap * sizeof *pe);
        if (!pe)
            return rnr_error_set(ps->err, RNR_ERR_NOMEM, "WKT geometry: out of memory");
        g->part_end = pe;
        ps->cap_parts = cap;
    }
    g->part_end[g->nparts++] = g->npoints;
    return RNR_OK;
}

/* "(x y, x y, ...)" */
static int line(parser *ps)
{
    int rc = expect(ps, '(');
    size_t first = ps->g->npoints;
    for (;;) {
        double x, y;
        if (rc || (rc = number(ps, &x)) || (rc = number(ps, &y)) || (rc = push_point(ps, x, y)))
            return rc;
        skip_ws(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p != ')')
            return fail(ps, isdigit((unsigned char)*ps->p) || *ps->p == '-'
                                ? "only 2-D points are supported"
                                : "expected ',' or ')'");
        ps->p++;
        break;
    }
    if (ps->g->npoints - first < 2)
        return fail(ps, "a line needs at least two points");
    return push_part(ps);
}

static int keyword(parser *ps, const char *kw)
{
    size_t n = strlen(kw);
    if (strncasecmp(ps->p, kw, n) != 0 || isalnum((unsigned char)ps->p[n]))
        return 0;
    ps->p += n;
    return 1;
}

static int parse(parser *ps)
{
    skip_ws(ps);
    int rc;
    if (keyword(ps, "MULTILINESTRING")) {
        ps->g->multi = 1;
        if ((rc = expect(ps, '(')))
            return rc;
        for (;;) {
            if ((rc = line(ps)))
                return rc;
            skip_ws(ps);
            if (*ps->p == ',') {
                ps->p++;
                continue;
            }
            if ((rc = expect(ps, ')')))
                return rc;
            break;
        }
    } else if (keyword(ps, "LINESTRING")) {
        if ((rc = line(ps)))
            return rc;
    } else {
        return fail(ps, "expected LINESTRING or MULTILINESTRING");
    }
    skip_ws(ps);
    return *ps->p ? fail(ps, "trailing text") : RNR_OK;
}

int wkt_lines_parse(const char *text, wkt_lines **out, rnr_error *err)
{
    *out = NULL;
    if (!text)
        return rnr_error_set(err, RNR_ERR_PARSE, "WKT geometry: missing");
    parser ps = {text, text, calloc(1, sizeof(wkt_lines)), 0, 0, err};
    if (!ps.g)
        return rnr_error_set(err, RNR_ERR_NOMEM, "WKT geometry: out of memory");
    int rc = parse(&ps);
    if (rc) {
        wkt_lines_free(ps.g);
        return rc;
    }
    *out = ps.g;
    return RNR_OK;
}

void wkt_lines_free(wkt_lines *g)
{
    if (!g)
        return;
    free(g->part_end);
    free(g->xy);
    free(g);
}
