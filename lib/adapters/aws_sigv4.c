/* aws_sigv4.c - SigV4 canonical request, signing key and signature with
 * OpenSSL; body digests for x-amz-content-sha256 and Content-MD5. */
#include "adapters/aws_sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex_encode(const unsigned char *d, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void aws_sha256_hex(const void *data, size_t len, char out[AWS_SHA256_HEX_LEN + 1])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    hex_encode(md, sizeof md, out);
}

void aws_md5_b64(const void *data, size_t len, char out[25])
{
    unsigned char md[16];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_md5(), NULL);
    EVP_EncodeBlock((unsigned char *)out, md, 16);
}

int aws_file_digests(const char *path, char sha256_hex[AWS_SHA256_HEX_LEN + 1], char md5_b64[25],
                     long long *size, rnr_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rnr_error_set(err, RNR_ERR_IO, "%s: cannot open for reading", path);
    EVP_MD_CTX *s = EVP_MD_CTX_new(), *m = EVP_MD_CTX_new();
    int rc = RNR_OK;
    if (!s || !m || !EVP_DigestInit_ex(s, EVP_sha256(), NULL) ||
        !EVP_DigestInit_ex(m, EVP_md5(), NULL)) {
        rc = rnr_error_set(err, RNR_ERR_INTERNAL, "%s: cannot start digests", path);
        goto out;
    }
    unsigned char buf[65536];
    size_t n;
    long long total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        EVP_DigestUpdate(s, buf, n);
        EVP_DigestUpdate(m, buf, n);
        total += (long long)n;
    }
    if (ferror(f)) {
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: read error", path);
        goto out;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    EVP_DigestFinal_ex(s, md, &ml);
    hex_encode(md, ml, sha256_hex);
    EVP_DigestFinal_ex(m, md, &ml);
    EVP_EncodeBlock((unsigned char *)md5_b64, md, (int)ml);
    *size = total;
out:
    EVP_MD_CTX_free(s);
    EVP_MD_CTX_free(m);
    fclose(f);
    return rc;
}

char *aws_uri_encode(const char *s, size_t len, int keep_slash)
{
    static const char hx[] = "0123456789ABCDEF";
    char *out = malloc(len * 3 + 1), *p = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
            (keep_slash && c == '/')) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hx[c >> 4];
            *p++ = hx[c & 15];
        }
    }
    *p = '\0';
    return out;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *aws_uri_decode(const char *s, size_t len, int plus_space, size_t *out_len)
{
    char *out = malloc(len + 1), *p = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *p++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (plus_space && s[i] == '+') {
            *p++ = ' ';
        } else {
            *p++ = s[i];
        }
    }
    *p = '\0';
    if (out_len)
        *out_len = (size_t)(p - out);
    return out;
}

/* A growable string; every append checks for allocation failure once at
 * the end through the failed flag. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
    int failed;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

typedef struct qpair {
    char *k, *v;
} qpair;

static int qpair_cmp(const void *a, const void *b)
{
    const qpair *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

/* Re-encode one "k=v" query part into pairs[*n]; 0 or -1 on allocation failure. */
static int query_pair(const char *part, size_t len, qpair *out)
{
    const char *eq = memchr(part, '=', len);
    size_t kl = eq ? (size_t)(eq - part) : len;
    size_t kn = 0, vn = 0;
    char *k = aws_uri_decode(part, kl, 1, &kn);
    char *v = eq ? aws_uri_decode(eq + 1, len - kl - 1, 1, &vn) : strdup("");
    out->k = k ? aws_uri_encode(k, kn, 0) : NULL;
    out->v = v ? aws_uri_encode(v, vn, 0) : NULL;
    free(k);
    free(v);
    return out->k && out->v ? 0 : -1;
}

static void canonical_query(sbuf *b, const char *q)
{
    size_t cap = 1;
    for (const char *p = q; *p; p++)
        cap += *p == '&';
    qpair *pairs = calloc(cap, sizeof *pairs);
    size_t n = 0;
    if (!pairs) {
        b->failed = 1;
        return;
    }
    const char *p = q;
    while (*p && n < cap) {
        const char *e = strchr(p, '&');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > 0 && query_pair(p, len, &pairs[n++]) != 0)
            b->failed = 1;
        p += len + (e ? 1 : 0);
    }
    if (!b->failed)
        qsort(pairs, n, sizeof *pairs, qpair_cmp);
    for (size_t i = 0; i < n; i++) {
        if (!b->failed && pairs[i].k && pairs[i].v) {
            if (i)
                sb_str(b, "&");
            sb_str(b, pairs[i].k);
            sb_str(b, "=");
            sb_str(b, pairs[i].v);
        }
        free(pairs[i].k);
        free(pairs[i].v);
    }
    free(pairs);
}

/* Trimmed value with inner whitespace runs collapsed to one space. */
static void header_value(sbuf *b, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    int space = 0;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t') {
            space = 1;
            continue;
        }
        if (space)
            sb_str(b, " ");
        space = 0;
        sb_add(b, v, 1);
    }
}

static void canonical_headers(sbuf *b, const aws_header *h, size_t nh, const char *signed_hdrs)
{
    const char *p = signed_hdrs;
    while (*p) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        sb_add(b, p, len);
        sb_str(b, ":");
        int seen = 0;
        for (size_t i = 0; i < nh; i++) {
            if (strlen(h[i].name) == len && strncasecmp(h[i].name, p, len) == 0) {
                if (seen++)
                    sb_str(b, ",");
                header_value(b, h[i].value);
            }
        }
        sb_str(b, "\n");
        p += len + (e ? 1 : 0);
    }
}

int aws_sigv4_canonical_request(const char *method, const char *raw_path, const char *raw_query,
                                const aws_header *headers, size_t nheaders, const char *signed_hdrs,
                                const char *payload_hash, char **out, rnr_error *err)
{
    sbuf b = {0};
    sb_str(&b, method);
    sb_str(&b, "\n");
    size_t plen = 0;
    char *path = aws_uri_decode(raw_path, strlen(raw_path), 0, &plen);
    char *enc = path ? aws_uri_encode(path, plen, 1) : NULL;
    if (!enc)
        b.failed = 1;
    else
        sb_str(&b, *enc ? enc : "/");
    free(path);
    free(enc);
    sb_str(&b, "\n");
    canonical_query(&b, raw_query ? raw_query : "");
    sb_str(&b, "\n");
    canonical_headers(&b, headers, nheaders, signed_hdrs);
    sb_str(&b, "\n");
    sb_str(&b, signed_hdrs);
    sb_str(&b, "\n");
    sb_str(&b, payload_hash);
    if (b.failed) {
        free(b.s);
        return rnr_error_set(err, RNR_ERR_NOMEM, "sigv4: out of memory");
    }
    *out = b.s;
    return RNR_OK;
}

static void hmac256(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n);
}

void aws_sigv4_signature(const char *secret, const char *amz_date, const char *date,
                         const char *region, const char *service, const char *canonical,
                         char out[AWS_SHA256_HEX_LEN + 1])
{
    char creq_hash[AWS_SHA256_HEX_LEN + 1];
    aws_sha256_hex(canonical, strlen(canonical), creq_hash);
    char sts[512];
    snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, date,
             region, service, creq_hash);
    size_t sl = strlen(secret);
    char *k0 = malloc(sl + 5);
    unsigned char k[32], k2[32];
    if (!k0) {
        out[0] = '\0';
        return;
    }
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, sl + 1);
    hmac256(k0, sl + 4, date, k);
    OPENSSL_cleanse(k0, sl + 4);
    free(k0);
    hmac256(k, 32, region, k2);
    hmac256(k2, 32, service, k);
    hmac256(k, 32, "aws4_request", k2);
    hmac256(k2, 32, sts, k);
    hex_encode(k, 32, out);
}

/* Copy the value of "name=" up to a ',' (or end) into dst. */
static int auth_field(const char *auth, const char *name, char *dst, size_t cap)
{
    const char *p = strstr(auth, name);
    if (!p)
        return -1;
    p += strlen(name);
    size_t n = strcspn(p, ", ");
    if (n == 0 || n >= cap)
        return -1;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 0;
}

int aws_sigv4_parse_auth(const char *a, aws_sigv4_auth *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    static const char algo[] = "AWS4-HMAC-SHA256 ";
    char cred[256];
    if (!a || strncmp(a, algo, sizeof algo - 1) != 0)
        return rnr_error_set(err, RNR_ERR_AUTH, "Authorization header is not AWS4-HMAC-SHA256");
    if (auth_field(a, "Credential=", cred, sizeof cred) ||
        auth_field(a, "SignedHeaders=", out->signed_headers, sizeof out->signed_headers) ||
        auth_field(a, "Signature=", out->signature, sizeof out->signature))
        return rnr_error_set(err, RNR_ERR_AUTH,
                             "Authorization header lacks Credential, SignedHeaders or Signature");
    /* AK/DATE/REGION/SERVICE/aws4_request */
    char *parts[5] = {0};
    size_t np = 0;
    for (char *tok = cred, *save = NULL; np < 5 && (tok = strtok_r(tok, "/", &save)); tok = NULL)
        parts[np++] = tok;
    if (np != 5 || strcmp(parts[4], "aws4_request") != 0 || strlen(parts[1]) != 8 ||
        strlen(parts[0]) >= sizeof out->access_key || strlen(parts[2]) >= sizeof out->region ||
        strlen(parts[3]) >= sizeof out->service)
        return rnr_error_set(err, RNR_ERR_AUTH,
                             "malformed credential scope in Authorization header");
    strcpy(out->access_key, parts[0]);
    strcpy(out->date, parts[1]);
    strcpy(out->region, parts[2]);
    strcpy(out->service, parts[3]);
    return RNR_OK;
}
