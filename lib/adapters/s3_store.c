/* s3_store.c - S3 backend of the object-store port: signed PUT, GET,
 * HEAD, DELETE and ListObjectsV2 with retries (URLs and key checks are in
 * s3_url.c). */
#include "adapters/s3_store.h"
#include "adapters/s3_url.h"

#include "adapters/aws_api.h"
#include "adapters/http.h"
#include "adapters/aws_sigv4.h"
#include "adapters/curlbuf.h"
#include "core/durable.h"
#include "core/log.h"
#include "core/timeutil.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define S3_ERR_BODY_MAX (64 * 1024)
#define S3_LIST_PAGES_MAX 100000
#define S3_PUT_MAX (5LL << 30)

typedef struct s3_store {
    pthread_mutex_t mu; /* guards h */
    CURL *h;
    aws_client *c;
    char *bucket;
    char *prefix; /* "" or ends with '/' */
    char *base;   /* URL up to and including the bucket part, no trailing '/' */
    int max_keys;
    int path_style;
    struct curl_slist *resolve;
} s3_store;

/* base = endpoint/bucket (path style) or scheme://bucket.host (virtual host). */
static int make_base(s3_store *s, int path_style, rnr_error *err)
{
    const char *ep = aws_client_endpoint(s->c);
    size_t n = strlen(ep) + strlen(s->bucket) + 4;
    if (!(s->base = malloc(n)))
        return rnr_error_set(err, RNR_ERR_NOMEM, "s3: out of memory");
    if (path_style) {
        snprintf(s->base, n, "%s/%s", ep, s->bucket);
    } else {
        const char *host = strstr(ep, "://") + 3;
        snprintf(s->base, n, "%.*s%s.%s", (int)(host - ep), ep, s->bucket, host);
    }
    return RNR_OK;
}

/* ---- requests ---- */

typedef struct s3_req {
    const char *method;
    const char *key;   /* full key (with prefix), or NULL for the bucket */
    const char *query; /* canonical (sorted, encoded) or NULL */
    const char *payload_hash;
    const char *content_type; /* PUT */
    const char *content_md5;  /* PUT */
    const char *buf;          /* PUT from memory */
    size_t len;
    FILE *upload; /* PUT from a file */
    long long upload_size;
    FILE *download;         /* 2xx GET body goes here */
    curlbuf *into;          /* or here: a GET into memory (its max caps it) */
    const char *cond;       /* PUT: its condition header line, or NULL */
    struct s3_range *range; /* a ranged GET or a HEAD (below) */
} s3_req;

/* A ranged GET into memory, or a HEAD: the Range asked for, where the 206
 * body goes, and the answer's headers. */
typedef struct s3_range {
    char header[96]; /* "Range: bytes=a-b"; "" for a HEAD */
    uint8_t *into;
    size_t cap, got;
    int overflow; /* the body was longer than asked */
    int ignored;  /* 200 with the whole object: Range not honoured */
    char etag[128];
    long long total; /* Content-Range's /total, or a HEAD's length; -1 unknown */
} s3_range;

typedef struct io_ctx {
    const s3_req *r;
    size_t pos;
    CURL *h;
    curlbuf body; /* a non-download body, or any error body */
    int write_failed;
} io_ctx;

static size_t s3_read(char *d, size_t sz, size_t nm, void *ud)
{
    io_ctx *x = ud;
    size_t want = sz * nm;
    if (x->r->upload)
        return fread(d, 1, want, x->r->upload);
    size_t n = x->r->len - x->pos < want ? x->r->len - x->pos : want;
    memcpy(d, x->r->buf + x->pos, n);
    x->pos += n;
    return n;
}

static size_t s3_write(char *d, size_t sz, size_t nm, void *ud)
{
    io_ctx *x = ud;
    size_t n = sz * nm;
    long status = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    s3_range *g = x->r->range;
    if (g && status == 200) { /* the whole object instead of a range: stop now */
        g->ignored = 1;
        return 0;
    }
    if (g && status == 206) {
        if (n > g->cap - g->got) {
            g->overflow = 1;
            return 0;
        }
        memcpy(g->into + g->got, d, n);
        g->got += n;
        return n;
    }
    if (x->r->into && status >= 200 && status < 300)
        return curlbuf_write(d, sz, nm, x->r->into);
    if (x->r->download && status >= 200 && status < 300) {
        if (fwrite(d, 1, n, x->r->download) != n) {
            x->write_failed = 1;
            return 0;
        }
        return n;
    }
    return curlbuf_write(d, sz, nm, &x->body);
}

/* Rewind upload and download for another attempt. */
static int rewind_io(const s3_req *r)
{
    if (r->range) {
        r->range->got = 0;
        r->range->ignored = r->range->overflow = 0;
    }
    if (r->into) {
        size_t max = r->into->max;
        curlbuf_free(r->into);
        *r->into = (curlbuf){.max = max};
    }
    if (r->upload && fseek(r->upload, 0, SEEK_SET) != 0)
        return -1;
    if (r->download) {
        if (fflush(r->download) != 0 || ftruncate(fileno(r->download), 0) != 0)
            return -1;
        rewind(r->download);
    }
    return 0;
}

static int build_url(s3_store *s, const s3_req *r, char **url, rnr_error *err)
{
    char *enc = r->key ? aws_uri_encode(r->key, strlen(r->key), 1) : strdup("");
    if (!enc)
        return rnr_error_set(err, RNR_ERR_NOMEM, "s3: out of memory");
    size_t n = strlen(s->base) + strlen(enc) + (r->query ? strlen(r->query) : 0) + 4;
    if ((*url = malloc(n)))
        snprintf(*url, n, "%s%s%s%s%s", s->base, r->key || !s->path_style ? "/" : "", enc,
                 r->query ? "?" : "", r->query ? r->query : "");
    free(enc);
    return *url ? RNR_OK : rnr_error_set(err, RNR_ERR_NOMEM, "s3: out of memory");
}

/* ETag, Content-Range and Content-Length of a ranged GET or HEAD. */
static size_t s3_header(char *d, size_t sz, size_t nm, void *ud)
{
    s3_range *g = ud;
    size_t n = sz * nm;
    char line[256];
    size_t k = n < sizeof line - 1 ? n : sizeof line - 1;
    memcpy(line, d, k);
    line[k] = 0;
    line[strcspn(line, "\r\n")] = 0;
    if (strncasecmp(line, "HTTP/", 5) == 0) { /* a new answer (after a redirect or 100) */
        g->etag[0] = 0;
        g->total = -1;
    } else if (strncasecmp(line, "etag:", 5) == 0) {
        snprintf(g->etag, sizeof g->etag, "%s", line + 5 + strspn(line + 5, " \t"));
    } else if (strncasecmp(line, "content-range:", 14) == 0) {
        const char *slash = strrchr(line, '/');
        if (slash && slash[1] != '*')
            g->total = strtoll(slash + 1, NULL, 10);
    } else if (strncasecmp(line, "content-length:", 15) == 0 && !g->header[0]) {
        g->total = strtoll(line + 15, NULL, 10);
    }
    return n;
}

static struct curl_slist *req_headers(const s3_req *r)
{
    struct curl_slist *hl = NULL, *l;
    char line[256];
    if (r->range && r->range->header[0] && !(hl = curl_slist_append(hl, r->range->header)))
        return NULL;
    if (r->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", r->content_type);
        if (!(hl = curl_slist_append(hl, line)))
            return NULL;
    }
    if (r->content_md5) {
        snprintf(line, sizeof line, "Content-MD5: %s", r->content_md5);
        if (!(l = curl_slist_append(hl, line))) {
            curl_slist_free_all(hl);
            return NULL;
        }
        hl = l;
    }
    if (r->cond) {
        if (!(l = curl_slist_append(hl, r->cond))) {
            curl_slist_free_all(hl);
            return NULL;
        }
        hl = l;
    }
    return hl ? hl : curl_slist_append(NULL, "Accept: */*");
}

static void setup_io(CURL *h, const s3_req *r, io_ctx *x)
{
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s3_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (strcmp(r->method, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, s3_read);
        curl_easy_setopt(h, CURLOPT_READDATA, x);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                         (curl_off_t)(r->upload ? r->upload_size : (long long)r->len));
    } else if (strcmp(r->method, "DELETE") == 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    } else if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    }
    if (r->range) {
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, s3_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, r->range);
    }
}

static int perform_once(s3_store *s, const s3_req *r, const char *url, aws_response *mem,
                        CURLcode *cc, int *write_failed, rnr_error *err)
{
    aws_credentials *cr = malloc(sizeof *cr);
    if (!cr)
        return rnr_error_set(err, RNR_ERR_NOMEM, "s3: out of memory");
    int rc = aws_client_credentials(s->c, cr, err);
    struct curl_slist *hl = rc == RNR_OK ? req_headers(r) : NULL;
    if (rc == RNR_OK && !hl)
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "s3: out of memory");
    pthread_mutex_lock(&s->mu);
    if (rc == RNR_OK) {
        curl_easy_reset(s->h);
        rc = aws_sign_curl(s->h, &hl, cr, aws_client_region(s->c), "s3", r->payload_hash, err);
    }
    aws_credentials_wipe(cr);
    free(cr);
    if (rc == RNR_OK) {
        io_ctx x = {r, 0, s->h, {.max = r->download ? S3_ERR_BODY_MAX : 256 * 1024 * 1024}, 0};
        curl_easy_setopt(s->h, CURLOPT_URL, url);
        curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(s->h, CURLOPT_PATH_AS_IS, 1L);
        curl_easy_setopt(s->h, CURLOPT_RESOLVE, s->resolve);
        curl_easy_setopt(s->h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
        curl_easy_setopt(s->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(s->h, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(s->h, CURLOPT_PROTOCOLS_STR, "http,https");
        http_apply_ca(s->h);
        setup_io(s->h, r, &x);
        *cc = curl_easy_perform(s->h);
        mem->body = x.body.data;
        mem->len = x.body.len;
        curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &mem->status);
        *write_failed = x.write_failed;
        curl_easy_setopt(s->h, CURLOPT_USERNAME, "");
        curl_easy_setopt(s->h, CURLOPT_PASSWORD, "");
    }
    pthread_mutex_unlock(&s->mu);
    curl_slist_free_all(hl);
    return rc;
}

/* Run r with retries; RNR_OK for 2xx (mem holds a non-download body). what
 * names the operation and object for error messages. */
static int s3_perform(s3_store *s, const s3_req *r, aws_response *mem, const char *what,
                      rnr_error *err)
{
    char *url;
    int rc = build_url(s, r, &url, err);
    if (rc != RNR_OK)
        return rc;
    int attempts = aws_client_max_attempts(s->c);
    memset(mem, 0, sizeof *mem);
    for (int attempt = 1; attempt <= attempts; attempt++) {
        aws_response_clear(mem);
        if (rewind_io(r) != 0) {
            rc = rnr_error_set(err, RNR_ERR_IO, "%s: cannot rewind local file", what);
            break;
        }
        CURLcode cc = CURLE_OK;
        int wfail = 0;
        if ((rc = perform_once(s, r, url, mem, &cc, &wfail, err)) != RNR_OK)
            break;
        if (r->range && (r->range->ignored || r->range->overflow)) {
            rc = r->range->ignored
                     ? rnr_error_set(err, RNR_ERR_UNSUPPORTED,
                                     "%s: the server ignored Range (HTTP 200)", what)
                     : rnr_error_set(err, RNR_ERR_PARSE,
                                     "%s: the server sent more than the range asked", what);
            break;
        }
        if (wfail) {
            rc = rnr_error_set(err, RNR_ERR_IO, "%s: writing the local file failed", what);
            break;
        }
        if (r->into && r->into->over) {
            rc = rnr_error_set(err, RNR_ERR_LIMIT, "%s: the object is longer than %zu bytes", what,
                               r->into->max);
            break;
        }
        if (cc != CURLE_OK) {
            rc = rnr_error_set(err, RNR_ERR_TRANSIENT, "%s: %s", what, curl_easy_strerror(cc));
        } else if (mem->status >= 200 && mem->status < 300) {
            rc = RNR_OK;
            break;
        } else {
            char code[128], msg[256];
            aws_error_shape(mem->body, mem->len, code, sizeof code, msg, sizeof msg);
            rc = aws_error_class(mem->status, code);
            if (rc == RNR_ERR_NOTFOUND && strcmp(code, "NoSuchKey") == 0)
                rc = rnr_error_set(err, rc, "%s: no such key", what);
            else
                rc = rnr_error_set(err, rc, "%s: HTTP %ld %s%s%s", what, mem->status,
                                   code[0] ? code : "error", msg[0] ? ": " : "", msg);
        }
        if (!rnr_code_is_transient(rc) || attempt == attempts)
            break;
        log_warn("s3", "%s failed (attempt %d of %d), retrying: %s", what, attempt, attempts,
                 err ? err->msg : "");
        aws_client_backoff(s->c, attempt);
    }
    free(url);
    return rc;
}

/* "s3://bucket/fullkey" for messages, and the full key itself. */
static int full_key(s3_store *s, const char *key, char **full, char *what, size_t wcap,
                    const char *verb, rnr_error *err)
{
    int rc = s3_key_check(key, err);
    if (rc != RNR_OK)
        return rc;
    size_t n = strlen(s->prefix) + strlen(key) + 1;
    if (n - 1 > S3_KEY_MAX)
        return rnr_error_set(err, RNR_ERR_INVALID, "s3 key '%.100s' is too long with the prefix",
                             key);
    if (!(*full = malloc(n)))
        return rnr_error_set(err, RNR_ERR_NOMEM, "s3: out of memory");
    snprintf(*full, n, "%s%s", s->prefix, key);
    snprintf(what, wcap, "s3 %s s3://%s/%.300s", verb, s->bucket, *full);
    return RNR_OK;
}

/* ---- port operations ---- */

static int s3_put_buf(void *self, const char *key, const void *data, size_t len,
                      const char *content_type, rnr_error *err)
{
    s3_store *s = self;
    char *fk, what[400], hash[AWS_SHA256_HEX_LEN + 1], md5[25];
    int rc = full_key(s, key, &fk, what, sizeof what, "PUT", err);
    if (rc != RNR_OK)
        return rc;
    if ((long long)len > S3_PUT_MAX) {
        free(fk);
        return rnr_error_set(err, RNR_ERR_LIMIT,
                             "%s: %zu bytes is more than a single S3 PUT "
                             "takes (5 GiB)",
                             what, len);
    }
    aws_sha256_hex(data, len, hash);
    aws_md5_b64(data, len, md5);
    s3_req r = {.method = "PUT",
                .key = fk,
                .payload_hash = hash,
                .content_md5 = md5,
                .content_type = content_type ? content_type : "application/octet-stream",
                .buf = data ? data : "",
                .len = len};
    aws_response mem;
    rc = s3_perform(s, &r, &mem, what, err);
    aws_response_clear(&mem);
    free(fk);
    return rc;
}

static int put_file(s3_store *s, const char *key, const char *path, const char *content_type,
                    const char *cond, int *created, rnr_error *err);

static int s3_put_file(void *self, const char *key, const char *path, const char *content_type,
                       rnr_error *err)
{
    int created;
    return put_file(self, key, path, content_type, NULL, &created, err);
}

/* S3 refuses a conditional PUT whose condition fails: "If-None-Match: *"
 * over an existing key, "If-Match" over another version (412, or 409 when
 * another conditional PUT of the key is under way). s3rver 3.7 ignores
 * both headers; the port's HEAD before this call keeps that to a race. */
static int s3_put_file_if(void *self, const char *key, const char *path, const char *content_type,
                          const char *etag, int *done, rnr_error *err)
{
    char cond[sizeof((store_meta *)0)->etag + 16] = "If-None-Match: *";
    if (etag)
        snprintf(cond, sizeof cond, "If-Match: %s", etag);
    return put_file(self, key, path, content_type, cond, done, err);
}

static int put_file(s3_store *s, const char *key, const char *path, const char *content_type,
                    const char *cond, int *created, rnr_error *err)
{
    char *fk, what[400], hash[AWS_SHA256_HEX_LEN + 1], md5[25];
    *created = 0;
    long long size;
    int rc = full_key(s, key, &fk, what, sizeof what, "PUT", err);
    if (rc != RNR_OK)
        return rc;
    if ((rc = aws_file_digests(path, hash, md5, &size, err)) != RNR_OK) {
        free(fk);
        return rc;
    }
    if (size > S3_PUT_MAX) {
        free(fk);
        return rnr_error_set(err, RNR_ERR_LIMIT,
                             "%s: %lld bytes is more than a single S3 PUT "
                             "takes (5 GiB)",
                             path, size);
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        free(fk);
        return rnr_error_set(err, RNR_ERR_IO, "%s: cannot open for reading", path);
    }
    s3_req r = {.method = "PUT",
                .key = fk,
                .payload_hash = hash,
                .content_md5 = md5,
                .content_type = content_type ? content_type : "application/octet-stream",
                .upload = f,
                .upload_size = size,
                .cond = cond};
    aws_response mem;
    rc = s3_perform(s, &r, &mem, what, err);
    *created = rc == RNR_OK;
    if (rc != RNR_OK && cond && (mem.status == 412 || mem.status == 409)) {
        rnr_error_clear(err); /* another writer's object is there: not an error */
        rc = RNR_OK;
    }
    aws_response_clear(&mem);
    fclose(f);
    free(fk);
    return rc;
}

static int s3_get_file(void *self, const char *key, const char *path, rnr_error *err)
{
    s3_store *s = self;
    char *fk, what[400];
    int rc = full_key(s, key, &fk, what, sizeof what, "GET", err);
    if (rc != RNR_OK)
        return rc;
    /* The local copy is a scratch file or a cache the bucket can fill
     * again (its size is checked before reuse): atomic, not fsync'd. */
    durable_file *d = NULL;
    rc = durable_begin(path, NULL, &d, err);
    FILE *f = rc == RNR_OK ? durable_stream(d) : NULL;
    if (!f) {
        if (rc == RNR_OK)
            rc = rnr_error_set(err, RNR_ERR_IO, "%s: cannot open a temporary file: %s", path,
                               strerror(errno));
        durable_abort(d);
        free(fk);
        return rc;
    }
    s3_req r = {.method = "GET", .key = fk, .payload_hash = AWS_EMPTY_SHA256, .download = f};
    aws_response mem;
    rc = s3_perform(s, &r, &mem, what, err);
    aws_response_clear(&mem);
    if (rc == RNR_OK)
        rc = durable_commit(d, err);
    else
        durable_abort(d);
    free(fk);
    return rc;
}

/* One GET into memory: no scratch file, no copy on disk. */
static int s3_get_buf(void *self, const char *key, size_t max, void **data, size_t *len,
                      rnr_error *err)
{
    s3_store *s = self;
    char *fk, what[400];
    int rc = full_key(s, key, &fk, what, sizeof what, "GET", err);
    if (rc != RNR_OK)
        return rc;
    curlbuf body = {.max = max};
    s3_req r = {.method = "GET", .key = fk, .payload_hash = AWS_EMPTY_SHA256, .into = &body};
    aws_response mem;
    rc = s3_perform(s, &r, &mem, what, err);
    aws_response_clear(&mem);
    free(fk);
    if (rc == RNR_OK && !body.data && !(body.data = calloc(1, 1)))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "%s: out of memory", what);
    if (rc != RNR_OK) {
        curlbuf_free(&body);
        return rc;
    }
    *data = body.data;
    *len = body.len;
    return RNR_OK;
}

static int s3_del(void *self, const char *key, rnr_error *err)
{
    s3_store *s = self;
    char *fk, what[400];
    int rc = full_key(s, key, &fk, what, sizeof what, "DELETE", err);
    if (rc != RNR_OK)
        return rc;
    s3_req r = {.method = "DELETE", .key = fk, .payload_hash = AWS_EMPTY_SHA256};
    aws_response mem;
    rc = s3_perform(s, &r, &mem, what, err);
    aws_response_clear(&mem);
    free(fk);
    return rc;
}

static char *xml_text(xmlNode *parent, const char *name)
{
    for (xmlNode *n = parent->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
            return (char *)xmlNodeGetContent(n);
    return NULL;
}

/* Pure parse of one ListObjectsV2 page, kept apart from the HTTP call so
 * the fuzzer (fuzz/fuzz_s3_xml.c) can reach it. */
int s3_list_parse(const char *body, size_t len, const char *bucket, const char *prefix,
                  store_list *out, char **token, rnr_error *err)
{
    *token = NULL;
    xmlDoc *doc = body && len <= INT_MAX
                      ? xmlReadMemory(body, (int)len, NULL, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
                      : NULL;
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root || strcmp((const char *)root->name, "ListBucketResult") != 0) {
        xmlFreeDoc(doc);
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "s3 list s3://%s: response is not a "
                             "ListBucketResult",
                             bucket);
    }
    int rc = RNR_OK;
    size_t plen = strlen(prefix);
    for (xmlNode *n = root->children; n && rc == RNR_OK; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "Contents") != 0)
            continue;
        char *key = xml_text(n, "Key"), *size = xml_text(n, "Size"),
             *lm = xml_text(n, "LastModified");
        int64_t t = 0;
        if (!key || strncmp(key, prefix, plen) != 0 || !size || !lm || time_parse_iso(lm, &t))
            rc = rnr_error_set(err, RNR_ERR_PARSE, "s3 list s3://%s: malformed Contents entry",
                               bucket);
        else if (store_list_append(out, key + plen, strtoll(size, NULL, 10), t) != RNR_OK)
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "s3 list: out of memory");
        xmlFree(key);
        xmlFree(size);
        xmlFree(lm);
    }
    char *trunc = xml_text(root, "IsTruncated");
    if (rc == RNR_OK && trunc && strcmp(trunc, "true") == 0) {
        char *t = xml_text(root, "NextContinuationToken");
        if (!t || !*t || !(*token = strdup(t)))
            rc = rnr_error_set(err, RNR_ERR_PARSE,
                               "s3 list s3://%s: truncated listing without "
                               "NextContinuationToken",
                               bucket);
        xmlFree(t);
    }
    xmlFree(trunc);
    xmlFreeDoc(doc);
    return rc;
}

/* The canonical ListObjectsV2 query: parameters in sorted order. */
static char *list_query(const char *token, int max_keys, const char *prefix)
{
    char *t = token ? aws_uri_encode(token, strlen(token), 0) : NULL;
    char *p = aws_uri_encode(prefix, strlen(prefix), 0);
    size_t n = (t ? strlen(t) : 0) + (p ? strlen(p) : 0) + 80;
    char *q = p && (t || !token) ? malloc(n) : NULL;
    if (q)
        snprintf(q, n, "%s%s%slist-type=2&max-keys=%d&prefix=%s", t ? "continuation-token=" : "",
                 t ? t : "", t ? "&" : "", max_keys, p);
    free(t);
    free(p);
    return q;
}

static int s3_list(void *self, const char *prefix, store_list *out, rnr_error *err)
{
    s3_store *s = self;
    prefix = prefix ? prefix : "";
    int rc = s3_path_check("list prefix", prefix, 1, err);
    if (rc != RNR_OK)
        return rc;
    size_t n = strlen(s->prefix) + strlen(prefix) + 1;
    char *full = malloc(n), *token = NULL, what[400];
    if (!full)
        return rnr_error_set(err, RNR_ERR_NOMEM, "s3: out of memory");
    snprintf(full, n, "%s%s", s->prefix, prefix);
    snprintf(what, sizeof what, "s3 list s3://%s/%.300s", s->bucket, full);
    for (int page = 0; rc == RNR_OK; page++) {
        if (page == S3_LIST_PAGES_MAX) {
            rc = rnr_error_set(err, RNR_ERR_LIMIT, "%s: more than %d pages", what, page);
            break;
        }
        char *q = list_query(token, s->max_keys, full);
        if (!q) {
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "s3: out of memory");
            break;
        }
        s3_req r = {.method = "GET", .query = q, .payload_hash = AWS_EMPTY_SHA256};
        aws_response mem;
        rc = s3_perform(s, &r, &mem, what, err);
        char *next = NULL;
        if (rc == RNR_OK)
            rc = s3_list_parse(mem.body, mem.len, s->bucket, s->prefix, out, &next, err);
        aws_response_clear(&mem);
        free(q);
        free(token);
        token = next;
        if (!token)
            break;
    }
    free(token);
    free(full);
    if (rc != RNR_OK)
        store_list_clear(out);
    else
        store_list_sort(out);
    return rc;
}

static void s3_close(void *self)
{
    s3_store *s = self;
    if (!s)
        return;
    if (s->h)
        curl_easy_cleanup(s->h);
    curl_slist_free_all(s->resolve);
    aws_client_free(s->c);
    free(s->bucket);
    free(s->prefix);
    free(s->base);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int s3_head(void *self, const char *key, store_meta *out, rnr_error *err)
{
    s3_store *s = self;
    char *fk, what[400];
    int rc = full_key(s, key, &fk, what, sizeof what, "HEAD", err);
    if (rc != RNR_OK)
        return rc;
    s3_range g = {.total = -1};
    s3_req r = {.method = "HEAD", .key = fk, .payload_hash = AWS_EMPTY_SHA256, .range = &g};
    aws_response mem;
    rc = s3_perform(s, &r, &mem, what, err);
    aws_response_clear(&mem);
    free(fk);
    if (rc == RNR_ERR_NOTFOUND) /* a HEAD has no error document to say NoSuchKey */
        return rnr_error_set(err, rc, "%s: no such key", what);
    if (rc == RNR_OK && g.total < 0)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: the answer has no Content-Length", what);
    out->size = g.total;
    snprintf(out->etag, sizeof out->etag, "%s", g.etag);
    return rc;
}

static int s3_get_range(void *self, const char *key, uint64_t off, size_t n, void *buf,
                        store_meta *m, rnr_error *err)
{
    s3_store *s = self;
    char *fk, what[400];
    if (n == 0)
        return rnr_error_set(err, RNR_ERR_INVALID, "s3 GET %s: an empty range", key);
    int rc = full_key(s, key, &fk, what, sizeof what, "GET", err);
    if (rc != RNR_OK)
        return rc;
    s3_range g = {.into = buf, .cap = n, .total = -1};
    snprintf(g.header, sizeof g.header, "Range: bytes=%llu-%llu", (unsigned long long)off,
             (unsigned long long)(off + n - 1));
    s3_req r = {.method = "GET", .key = fk, .payload_hash = AWS_EMPTY_SHA256, .range = &g};
    aws_response mem;
    rc = s3_perform(s, &r, &mem, what, err);
    aws_response_clear(&mem);
    free(fk);
    m->size = g.total;
    snprintf(m->etag, sizeof m->etag, "%s", g.etag);
    if (rc == RNR_OK && g.got != n)
        rc = rnr_error_set(
            err, RNR_ERR_PARSE, "%s: bytes %llu-%llu: got %zu of %zu (object of %lld bytes)", what,
            (unsigned long long)off, (unsigned long long)(off + n - 1), g.got, n, g.total);
    return rc;
}

static const store_ops s3_ops = {.put_file = s3_put_file,
                                 .put_buf = s3_put_buf,
                                 .get_file = s3_get_file,
                                 .list = s3_list,
                                 .del = s3_del,
                                 .close = s3_close,
                                 .head = s3_head,
                                 .get_range = s3_get_range,
                                 .get_buf = s3_get_buf,
                                 .put_file_if = s3_put_file_if};

static int s3_init(s3_store *s, const s3_url *u, const s3_store_opts *o, rnr_error *err)
{
    const char *ep = o && o->endpoint ? o->endpoint : s3_env_endpoint();
    aws_opts ao = {o && o->region ? o->region
                   : u->region[0] ? u->region
                                  : NULL,
                   ep, o ? o->creds : NULL, o ? o->max_attempts : 0};
    int rc = aws_client_new("s3", "S3", &ao, &s->c, err);
    if (rc != RNR_OK)
        return rc;
    if (!(s->bucket = strdup(u->bucket)) || !(s->prefix = strdup(u->prefix)) ||
        !(s->h = curl_easy_init()))
        return rnr_error_set(err, RNR_ERR_NOMEM, "s3: out of memory");
    int path_style = o && o->path_style >= 0 ? o->path_style : u->path_style;
    if (path_style < 0)
        path_style = ep != NULL || strchr(u->bucket, '.') != NULL;
    s->path_style = path_style;
    s->max_keys = o && o->max_keys > 0 ? o->max_keys : u->max_keys > 0 ? u->max_keys : 1000;
    if (o && o->resolve && !(s->resolve = curl_slist_append(NULL, o->resolve)))
        return rnr_error_set(err, RNR_ERR_NOMEM, "s3: out of memory");
    return make_base(s, path_style, err);
}

int s3_store_open_opts(const char *url, const s3_store_opts *o, rnr_store **out, rnr_error *err)
{
    s3_url u;
    int rc = s3_url_parse(url, &u, err);
    if (rc != RNR_OK)
        return rc;
    s3_store *s = calloc(1, sizeof *s);
    rnr_store *st = malloc(sizeof *st);
    if (!s || !st) {
        free(s);
        free(st);
        return rnr_error_set(err, RNR_ERR_NOMEM, "s3: out of memory");
    }
    pthread_mutex_init(&s->mu, NULL);
    if ((rc = s3_init(s, &u, o, err)) != RNR_OK) {
        s3_close(s);
        free(st);
        return rc;
    }
    *st = (rnr_store){&s3_ops, s};
    *out = st;
    return RNR_OK;
}

int s3_store_open(const char *url, rnr_store **out, rnr_error *err)
{
    return s3_store_open_opts(url, NULL, out, err);
}
