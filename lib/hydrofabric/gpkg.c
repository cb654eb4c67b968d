/* gpkg.c - GeoPackage binary geometry: bounds-checked decoding to WKT and
 * the two encoders the synthetic generator needs. */
#include "hydrofabric/gpkg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting is at most MultiLineString -> LineString; anything deeper in a
 * flowpath blob is malformed for our purposes. */
#define WKB_MAX_DEPTH 2

typedef struct rd {
    const uint8_t *p;
    size_t n, off;
} rd;

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *t, size_t k)
{
    if (b->oom)
        return;
    if (b->len + k + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 128;
        while (c < b->len + k + 1)
            c *= 2;
        char *s = realloc(b->s, c);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = c;
    }
    memcpy(b->s + b->len, t, k);
    b->len += k;
    b->s[b->len] = 0;
}

static void sb_str(sbuf *b, const char *t)
{
    sb_add(b, t, strlen(t));
}

/* Shortest %.Ng that reads back to the same double. */
static void sb_num(sbuf *b, double v)
{
    char t[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (prec == 17 || strtod(t, NULL) == v || isnan(v))
            break;
    }
    sb_str(b, t);
}

static int rd_u32(rd *r, int le, uint32_t *v)
{
    if (r->n - r->off < 4)
        return -1;
    const uint8_t *q = r->p + r->off;
    *v = le ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24
            : (uint32_t)q[3] | (uint32_t)q[2] << 8 | (uint32_t)q[1] << 16 | (uint32_t)q[0] << 24;
    r->off += 4;
    return 0;
}

static int rd_f64(rd *r, int le, double *v)
{
    if (r->n - r->off < 8)
        return -1;
    uint64_t u = 0;
    const uint8_t *q = r->p + r->off;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)q[le ? i : 7 - i] << (8 * i);
    memcpy(v, &u, 8);
    r->off += 8;
    return 0;
}

int gpkg_header_parse(const uint8_t *blob, size_t n, gpkg_geom_header *h, rnr_error *err)
{
    static const int env_doubles[8] = {0, 4, 6, 6, 8, -1, -1, -1};
    memset(h, 0, sizeof *h);
    if (!blob || n < 8)
        return rnr_error_set(err, RNR_ERR_PARSE, "geometry blob too short (%zu bytes)", n);
    if (blob[0] != 'G' || blob[1] != 'P')
        return rnr_error_set(err, RNR_ERR_PARSE, "geometry blob lacks the GeoPackage magic 'GP'");
    h->version = blob[2];
    if (h->version != 0)
        return rnr_error_set(err, RNR_ERR_PARSE, "geometry blob version %d unsupported",
                             h->version);
    uint8_t flags = blob[3];
    if (flags & 0x20)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "extended GeoPackage geometry unsupported");
    h->little_endian = flags & 1;
    h->envelope_code = (flags >> 1) & 7;
    h->empty = (flags >> 4) & 1;
    int nd = env_doubles[h->envelope_code];
    if (nd < 0)
        return rnr_error_set(err, RNR_ERR_PARSE, "geometry blob has invalid envelope code %d",
                             h->envelope_code);
    rd r = {blob, n, 4};
    uint32_t srs;
    rd_u32(&r, h->little_endian, &srs);
    h->srs_id = (int32_t)srs;
    for (int i = 0; i < nd; i++)
        if (rd_f64(&r, h->little_endian, &h->envelope[i]) != 0)
            return rnr_error_set(err, RNR_ERR_PARSE, "geometry blob truncated in its envelope");
    h->wkb_offset = r.off;
    return RNR_OK;
}

static int wkb_coords(rd *r, int le, int dims, sbuf *b, uint32_t count)
{
    /* Check the whole run up front so a huge count cannot make us loop. */
    if ((r->n - r->off) / ((size_t)dims * 8) < count)
        return -1;
    for (uint32_t i = 0; i < count; i++) {
        if (i)
            sb_str(b, ", ");
        for (int d = 0; d < dims; d++) {
            double v;
            if (rd_f64(r, le, &v) != 0)
                return -1; /* the check above makes this unreachable */
            if (d)
                sb_str(b, " ");
            sb_num(b, v);
        }
    }
    return 0;
}

static int wkb_geom(rd *r, sbuf *b, int depth, uint32_t expect, rnr_error *err)
{
    if (r->off >= r->n)
        return rnr_error_set(err, RNR_ERR_PARSE, "WKB truncated before byte order");
    uint8_t bo = r->p[r->off++];
    if (bo > 1)
        return rnr_error_set(err, RNR_ERR_PARSE, "WKB byte order %u invalid", bo);
    int le = bo;
    uint32_t t;
    if (rd_u32(r, le, &t) != 0)
        return rnr_error_set(err, RNR_ERR_PARSE, "WKB truncated in geometry type");
    int hasz = 0, hasm = 0;
    if (t & 0x20000000u) { /* EWKB SRID follows the type */
        uint32_t srid;
        if (rd_u32(r, le, &srid) != 0)
            return rnr_error_set(err, RNR_ERR_PARSE, "WKB truncated in SRID");
    }
    hasz = (t & 0x80000000u) != 0;
    hasm = (t & 0x40000000u) != 0;
    t &= 0x0fffffffu;
    uint32_t base = t % 1000, iso = t / 1000;
    if (iso > 3)
        return rnr_error_set(err, RNR_ERR_PARSE, "WKB geometry type %u invalid", t);
    hasz |= iso == 1 || iso == 3;
    hasm |= iso == 2 || iso == 3;
    int dims = 2 + hasz + hasm;
    if (expect && base != expect)
        return rnr_error_set(err, RNR_ERR_PARSE, "WKB member type %u where %u expected", base,
                             expect);
    const char *suffix = hasz && hasm ? " ZM" : hasz ? " Z" : hasm ? " M" : "";
    if (depth == 0) {
        const char *name = base == 1   ? "POINT"
                           : base == 2 ? "LINESTRING"
                           : base == 5 ? "MULTILINESTRING"
                                       : NULL;
        if (!name)
            return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "WKB geometry type %u unsupported",
                                 base);
        sb_str(b, name);
        sb_str(b, suffix);
        sb_str(b, " ");
    }
    if (base == 1) {
        size_t at = r->off;
        double x;
        if (r->n - r->off < (size_t)dims * 8)
            return rnr_error_set(err, RNR_ERR_PARSE, "WKB point truncated");
        rd_f64(r, le, &x);
        r->off = at;
        if (isnan(x)) {
            r->off += (size_t)dims * 8;
            sb_str(b, "EMPTY");
            return RNR_OK;
        }
        sb_str(b, "(");
        wkb_coords(r, le, dims, b, 1);
        sb_str(b, ")");
        return RNR_OK;
    }
    uint32_t count;
    if (rd_u32(r, le, &count) != 0)
        return rnr_error_set(err, RNR_ERR_PARSE, "WKB truncated in element count");
    if (count == 0) {
        sb_str(b, "EMPTY");
        return RNR_OK;
    }
    if (base == 2) {
        sb_str(b, "(");
        if (wkb_coords(r, le, dims, b, count) != 0)
            return rnr_error_set(err, RNR_ERR_PARSE, "WKB linestring of %u points exceeds the blob",
                                 count);
        sb_str(b, ")");
        return RNR_OK;
    }
    if (base != 5 || depth >= WKB_MAX_DEPTH - 1)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "WKB geometry type %u unsupported here",
                             base);
    /* Each member needs at least 9 bytes: reject absurd counts early. */
    if ((r->n - r->off) / 9 < count)
        return rnr_error_set(err, RNR_ERR_PARSE, "WKB multilinestring of %u parts exceeds the blob",
                             count);
    sb_str(b, "(");
    for (uint32_t i = 0; i < count; i++) {
        if (i)
            sb_str(b, ", ");
        int rc = wkb_geom(r, b, depth + 1, 2, err);
        if (rc)
            return rc;
    }
    sb_str(b, ")");
    return RNR_OK;
}

int gpkg_geom_to_wkt(const uint8_t *blob, size_t n, char **wkt, rnr_error *err)
{
    *wkt = NULL;
    gpkg_geom_header h;
    int rc = gpkg_header_parse(blob, n, &h, err);
    if (rc)
        return rc;
    rd r = {blob, n, h.wkb_offset};
    sbuf b = {0};
    rc = wkb_geom(&r, &b, 0, 0, err);
    if (rc == RNR_OK && b.oom)
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory decoding geometry");
    if (rc) {
        free(b.s);
        return rc;
    }
    *wkt = b.s;
    return RNR_OK;
}

int gpkg_wkb_to_wkt(const uint8_t *wkb, size_t n, char **wkt, rnr_error *err)
{
    *wkt = NULL;
    rd r = {wkb, n, 0};
    sbuf b = {0};
    int rc = wkb_geom(&r, &b, 0, 0, err);
    if (rc == RNR_OK && b.oom)
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory decoding geometry");
    if (rc) {
        free(b.s);
        return rc;
    }
    *wkt = b.s;
    return RNR_OK;
}

static uint8_t *put_u32(uint8_t *q, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *q++ = (uint8_t)(v >> (8 * i));
    return q;
}

static uint8_t *put_f64(uint8_t *q, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    for (int i = 0; i < 8; i++)
        *q++ = (uint8_t)(u >> (8 * i));
    return q;
}

size_t gpkg_blob_linestring(int32_t srs_id, const double *xy, size_t n_points, uint8_t *out,
                            size_t cap)
{
    size_t need = 8 + 32 + 9 + n_points * 16;
    if (cap < need || n_points == 0 || n_points > UINT32_MAX)
        return 0;
    double mnx = xy[0], mxx = xy[0], mny = xy[1], mxy = xy[1];
    for (size_t i = 1; i < n_points; i++) {
        mnx = fmin(mnx, xy[2 * i]);
        mxx = fmax(mxx, xy[2 * i]);
        mny = fmin(mny, xy[2 * i + 1]);
        mxy = fmax(mxy, xy[2 * i + 1]);
    }
    uint8_t *q = out;
    *q++ = 'G';
    *q++ = 'P';
    *q++ = 0;
    *q++ = 0x03; /* little endian, xy envelope */
    q = put_u32(q, (uint32_t)srs_id);
    q = put_f64(q, mnx);
    q = put_f64(q, mxx);
    q = put_f64(q, mny);
    q = put_f64(q, mxy);
    *q++ = 1;
    q = put_u32(q, 2);
    q = put_u32(q, (uint32_t)n_points);
    for (size_t i = 0; i < 2 * n_points; i++)
        q = put_f64(q, xy[i]);
    return (size_t)(q - out);
}

size_t gpkg_blob_point(int32_t srs_id, double x, double y, uint8_t *out, size_t cap)
{
    if (cap < 8 + 21)
        return 0;
    uint8_t *q = out;
    *q++ = 'G';
    *q++ = 'P';
    *q++ = 0;
    *q++ = 0x01;
    q = put_u32(q, (uint32_t)srs_id);
    *q++ = 1;
    q = put_u32(q, 1);
    q = put_f64(q, x);
    q = put_f64(q, y);
    return (size_t)(q - out);
}
