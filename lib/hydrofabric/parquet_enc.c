/* parquet_enc.c - Parquet's value and level encodings and its page codecs:
 * PLAIN, the RLE / bit-packed hybrid, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY; SNAPPY, GZIP, ZSTD. Pure
 * functions over byte ranges: every count is checked against the bytes
 * that are actually there before anything is allocated or read. */
#include "hydrofabric/parquet_internal.h"

#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

const char *pq_codec_name(int c)
{
    static const char *const names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                        "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
    return c >= 0 && c < 8 ? names[c] : "unknown";
}

const char *pq_encoding_name(int e)
{
    static const char *const names[] = {
        "PLAIN",          "GROUP_VAR_INT",       "PLAIN_DICTIONARY",        "RLE",
        "BIT_PACKED",     "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
        "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
    return e >= 0 && e < 10 ? names[e] : "unknown";
}

static int gunzip(const uint8_t *src, size_t src_n, uint8_t *dst, size_t dst_n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 32) != Z_OK) /* +32: zlib or gzip header */
        return -1;
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)src_n;
    z.next_out = dst;
    z.avail_out = (uInt)dst_n;
    int rc = inflate(&z, Z_FINISH);
    size_t got = dst_n - z.avail_out;
    inflateEnd(&z);
    return rc == Z_STREAM_END && got == dst_n ? 0 : -1;
}

int pq_decompress(int codec, const uint8_t *src, size_t src_n, uint8_t *dst, size_t dst_n,
                  const char *what, rnr_error *err)
{
    int ok = 0;
    switch (codec) {
    case PQ_UNCOMPRESSED:
        ok = src_n == dst_n;
        if (ok && dst_n)
            memcpy(dst, src, dst_n);
        break;
    case PQ_SNAPPY: {
        size_t len = 0;
        ok =
            snappy_uncompressed_length((const char *)src, src_n, &len) == SNAPPY_OK && len == dst_n;
        size_t out_n = dst_n;
        ok = ok &&
             (dst_n == 0 ||
              snappy_uncompress((const char *)src, src_n, (char *)dst, &out_n) == SNAPPY_OK) &&
             out_n == dst_n;
        break;
    }
    case PQ_GZIP:
        ok = src_n <= UINT32_MAX && dst_n <= UINT32_MAX && gunzip(src, src_n, dst, dst_n) == 0;
        break;
    case PQ_ZSTD: {
        size_t r = ZSTD_decompress(dst, dst_n, src, src_n);
        ok = !ZSTD_isError(r) && r == dst_n;
        break;
    }
    default:
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "%s: unsupported codec %s", what,
                             pq_codec_name(codec));
    }
    if (!ok)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: corrupt page (%s data does not decompress to %zu bytes)", what,
                             pq_codec_name(codec), dst_n);
    return RNR_OK;
}

static int varint(const uint8_t *b, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= len)
            return -1;
        uint8_t c = b[(*pos)++];
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

/* Little-endian bit unpacking of n values of width w (<= 64) from p. */
static void unpack_bits(const uint8_t *p, int w, size_t n, uint64_t *out)
{
    size_t bit = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = 0;
        for (int k = 0; k < w;) {
            size_t byte = bit >> 3;
            int off = (int)(bit & 7);
            int take = 8 - off < w - k ? 8 - off : w - k;
            v |= (uint64_t)((p[byte] >> off) & ((1u << take) - 1)) << k;
            k += take;
            bit += (size_t)take;
        }
        out[i] = v;
    }
}

int pq_rle_decode(const uint8_t *buf, size_t len, int w, uint32_t *out, size_t n, const char *what,
                  rnr_error *err)
{
    if (w < 0 || w > 32)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt page (bit width %d)", what, w);
    size_t pos = 0, k = 0, vbytes = (size_t)(w + 7) / 8;
    uint64_t tmp[8];
    while (k < n) {
        uint64_t h;
        if (varint(buf, len, &pos, &h))
            return rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt page (RLE data ends early)",
                                 what);
        if (h & 1) { /* bit-packed: (h >> 1) groups of 8; only the groups we need must be there */
            uint64_t groups = h >> 1, need = (n - k + 7) / 8;
            if (groups < need)
                need = groups;
            if (w && need > (len - pos) / (size_t)w)
                return rnr_error_set(err, RNR_ERR_PARSE,
                                     "%s: corrupt page (bit-packed run overruns)", what);
            for (uint64_t g = 0; g < need; g++) {
                unpack_bits(buf + pos, w, 8, tmp);
                pos += (size_t)w;
                for (int i = 0; i < 8 && k < n; i++)
                    out[k++] = (uint32_t)tmp[i];
            }
            if (groups == 0)
                return rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt page (empty bit-packed run)",
                                     what);
        } else {
            uint64_t count = h >> 1, v = 0;
            if (vbytes > len - pos)
                return rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt page (RLE run overruns)",
                                     what);
            for (size_t i = 0; i < vbytes; i++)
                v |= (uint64_t)buf[pos + i] << (8 * i);
            pos += vbytes;
            if (count == 0)
                return rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt page (empty RLE run)", what);
            for (uint64_t i = 0; i < count && k < n; i++)
                out[k++] = (uint32_t)v;
        }
    }
    return RNR_OK;
}

typedef struct delta_hdr {
    uint64_t block, minis, total;
    int64_t first;
    size_t pos;
} delta_hdr;

static int delta_header(const uint8_t *b, size_t len, delta_hdr *d)
{
    uint64_t zz;
    d->pos = 0;
    if (varint(b, len, &d->pos, &d->block) || varint(b, len, &d->pos, &d->minis) ||
        varint(b, len, &d->pos, &d->total) || varint(b, len, &d->pos, &zz))
        return -1;
    d->first = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
    /* block a multiple of 128, miniblocks of a multiple of 32 values */
    if (d->block == 0 || d->block % 128 || d->minis == 0 || d->block % d->minis ||
        (d->block / d->minis) % 32 || d->block > (1u << 20))
        return -1;
    return 0;
}

int pq_delta_count(const uint8_t *buf, size_t len, size_t *n, const char *what, rnr_error *err)
{
    delta_hdr d;
    if (delta_header(buf, len, &d) || d.total > PQ_MAX_PAGE)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: corrupt page (bad DELTA_BINARY_PACKED header)", what);
    *n = (size_t)d.total;
    return RNR_OK;
}

int pq_delta_decode(const uint8_t *buf, size_t len, int64_t *out, size_t cap, size_t *n,
                    size_t *used, const char *what, rnr_error *err)
{
    delta_hdr d;
    if (delta_header(buf, len, &d) || d.total > cap)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: corrupt page (bad DELTA_BINARY_PACKED header)", what);
    size_t pos = d.pos, k = 0, per_mini = (size_t)(d.block / d.minis);
    uint64_t *tmp = malloc(per_mini * sizeof *tmp);
    if (!tmp)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    uint64_t cur = (uint64_t)d.first; /* wrap-around arithmetic, as the format intends */
    if (d.total)
        out[k++] = d.first;
    int bad = 0;
    while (!bad && k < d.total) {
        uint64_t zz;
        if (varint(buf, len, &pos, &zz) || d.minis > len - pos) {
            bad = 1;
            break;
        }
        uint64_t min_delta = (zz >> 1) ^ -(zz & 1);
        const uint8_t *widths = buf + pos;
        pos += (size_t)d.minis;
        for (size_t m = 0; m < d.minis && k < d.total; m++) {
            int w = widths[m];
            size_t bytes = per_mini * (size_t)w / 8;
            if (w > 64 || bytes > len - pos) {
                bad = 1;
                break;
            }
            unpack_bits(buf + pos, w, per_mini, tmp);
            pos += bytes;
            for (size_t i = 0; i < per_mini && k < d.total; i++) {
                cur += min_delta + tmp[i];
                out[k++] = (int64_t)cur;
            }
        }
    }
    free(tmp);
    if (bad)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: corrupt page (DELTA_BINARY_PACKED data ends early)", what);
    *n = (size_t)d.total;
    *used = pos;
    return RNR_OK;
}

int pq_bytes_push(pq_bytes *b, const uint8_t *p, size_t n)
{
    if (b->n + 2 > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        size_t *o = realloc(b->off, cap * sizeof *o);
        if (!o)
            return -1;
        b->off = o;
        b->cap = cap;
        if (b->n == 0)
            b->off[0] = 0;
    }
    if (b->len + n + 1 > b->data_cap) {
        size_t cap = b->data_cap ? b->data_cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->data_cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    b->off[++b->n] = b->len;
    return 0;
}

void pq_bytes_free(pq_bytes *b)
{
    free(b->off);
    free(b->data);
    memset(b, 0, sizeof *b);
}

static uint64_t le(const uint8_t *p, int k)
{
    uint64_t v = 0;
    for (int i = 0; i < k; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int pq_decode_plain(int type, const uint8_t *buf, size_t len, size_t n, pq_values *out,
                    const char *what, rnr_error *err)
{
    static const int width[] = {0, 4, 8, 12, 4, 8};
    if (type == PQ_BOOLEAN) {
        if ((n + 7) / 8 > len)
            goto short_page;
        for (size_t i = 0; i < n; i++)
            out->i[i] = (buf[i / 8] >> (i % 8)) & 1;
        return RNR_OK;
    }
    if (type == PQ_BYTE_ARRAY) {
        size_t pos = 0;
        for (size_t i = 0; i < n; i++) {
            if (len - pos < 4)
                goto short_page;
            size_t k = (size_t)le(buf + pos, 4);
            pos += 4;
            if (k > len - pos)
                goto short_page;
            if (pq_bytes_push(out->b, buf + pos, k))
                return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
            pos += k;
        }
        return RNR_OK;
    }
    if (type < 0 || type > PQ_DOUBLE || type == PQ_INT96)
        return rnr_error_set(err, RNR_ERR_UNSUPPORTED, "%s: unsupported physical type %d", what,
                             type);
    if (n > len / (size_t)width[type])
        goto short_page;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = buf + i * (size_t)width[type];
        if (type == PQ_INT32) {
            out->i[i] = (int32_t)(uint32_t)le(p, 4);
        } else if (type == PQ_INT64) {
            out->i[i] = (int64_t)le(p, 8);
        } else if (type == PQ_FLOAT) {
            uint32_t u = (uint32_t)le(p, 4);
            float f;
            memcpy(&f, &u, 4);
            out->d[i] = f;
        } else {
            uint64_t u = le(p, 8);
            memcpy(&out->d[i], &u, 8);
        }
    }
    return RNR_OK;
short_page:
    return rnr_error_set(err, RNR_ERR_PARSE,
                         "%s: corrupt page (PLAIN data shorter than %zu values)", what, n);
}

/* A DELTA_BINARY_PACKED run of exactly n lengths at buf[*pos..len). */
static int delta_lengths(const uint8_t *buf, size_t len, size_t *pos, size_t n, int64_t **out,
                         const char *what, rnr_error *err)
{
    size_t got = 0, used = 0;
    int64_t *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    int rc = pq_delta_decode(buf + *pos, len - *pos, v, n, &got, &used, what, err);
    if (!rc && got != n)
        rc = rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt page (%zu lengths for %zu values)",
                           what, got, n);
    if (rc) {
        free(v);
        return rc;
    }
    *pos += used;
    *out = v;
    return RNR_OK;
}

int pq_decode_delta_bytes(int enc, const uint8_t *buf, size_t len, size_t n, pq_bytes *out,
                          const char *what, rnr_error *err)
{
    int64_t *prefix = NULL, *suffix = NULL;
    size_t pos = 0;
    int rc = RNR_OK;
    if (enc == PQ_DELTA_BYTE_ARRAY)
        rc = delta_lengths(buf, len, &pos, n, &prefix, what, err);
    if (!rc)
        rc = delta_lengths(buf, len, &pos, n, &suffix, what, err);
    const uint8_t *prev = NULL;
    size_t prev_n = 0;
    uint8_t *scratch = NULL;
    for (size_t i = 0; !rc && i < n; i++) {
        int64_t p = prefix ? prefix[i] : 0, s = suffix[i];
        if (p < 0 || s < 0 || (size_t)p > prev_n || (uint64_t)s > len - pos) {
            rc = rnr_error_set(err, RNR_ERR_PARSE, "%s: corrupt page (bad %s length)", what,
                               pq_encoding_name(enc));
            break;
        }
        uint8_t *v = malloc((size_t)p + (size_t)s + 1);
        if (!v) {
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
            break;
        }
        if (p)
            memcpy(v, prev, (size_t)p);
        if (s)
            memcpy(v + p, buf + pos, (size_t)s);
        pos += (size_t)s;
        if (pq_bytes_push(out, v, (size_t)(p + s)))
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        free(scratch);
        scratch = v;
        prev = v;
        prev_n = (size_t)(p + s);
    }
    free(scratch);
    free(prefix);
    free(suffix);
    return rc;
}
