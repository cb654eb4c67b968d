/* hf_fetch.c - a parquet hydrofabric under an object-store prefix
 * (HYDROFABRIC_S3_KEY as the reference means it), read through a cache of
 * byte ranges in the state directory.
 *
 * Ranged (the default): each layer is HEADed for its size and ETag and its
 * bytes are fetched when the reader asks for them, with ranged GETs in
 * 16 KiB blocks, into a sparse file of the object's size under
 * {state_dir}/hf-<prefix>/ beside a map of the blocks held
 * ("<layer>.parquet.map": a header with the ETag and size, then a bitmap).
 * Only the footers and the column chunks the index needs are fetched; the
 * geometry of flowpaths.parquet comes row group by row group when a
 * post-process asks for it. A restart whose HEADs give the same ETags reads
 * everything from the cache; a new ETag starts that layer's cache over. The
 * footer (last 64 KiB) is fetched at open, so the index's staleness stamp
 * (sizes and last 4 KiB of each layer) reads local files.
 *
 * Whole (RNR_HYDROFABRIC_FETCH=whole): whole objects downloaded, kept while
 * the listed size matches (the earlier way, kept for comparison). A server
 * that ignores Range makes the ranged mode download that object whole. */
#include "services/hf_fetch.h"

#include "core/durable.h"
#include "core/log.h"
#include "core/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HFF_BLOCK (16u << 10)
#define HFF_TAIL (64u << 10) /* fetched at open: the footer of most files */
#define HFF_HEADER 512       /* map header bytes, then the bitmap */
#define HFF_MAX_GET (64u << 20)
#define HFF_LAYERS 8

static const char *const hff_layers[HFF_LAYERS] = {
    "network", "flowpaths", "flowpath-attributes", "lakes", "divides",
    "nexus",   "pois",      "hydrolocations"};

typedef struct hff_obj {
    struct hf_remote *owner;
    char *key;  /* store key */
    char *path; /* the sparse local copy */
    char *map_path;
    int fd, mfd;
    store_meta meta; /* ETag and size from the HEAD at open */
    size_t nblocks;
    uint8_t *bits;         /* block b held when bit b is set */
    size_t dirty0, dirty1; /* bitmap bytes [dirty0, dirty1) not yet in the map file */
} hff_obj;

struct hf_remote {
    rnr_store *store;
    char *dir;
    hff_obj obj[HFF_LAYERS];
    uint64_t gets, bytes; /* ranged GETs made and bytes they fetched */
};

static int sys_error(const char *path, const char *what, rnr_error *err)
{
    return rnr_error_set(err, RNR_ERR_IO, "%s: %s: %s", path, what, strerror(errno));
}

static int pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
    for (size_t done = 0; done < n;) {
        ssize_t w = pwrite(fd, (const char *)buf + done, n - done, (off_t)(off + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

static int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
    for (size_t done = 0; done < n;) {
        ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

static void map_header(const hff_obj *o, char hdr[HFF_HEADER])
{
    memset(hdr, 0, HFF_HEADER);
    snprintf(hdr, HFF_HEADER, "rnr-range-cache 1\nblock %u\nsize %lld\netag %s\n", HFF_BLOCK,
             (long long)o->meta.size, o->meta.etag);
}

/* Use the map when its header names this ETag and size and the data file
 * has that size; otherwise start over with an empty sparse file. */
static int cache_load(hff_obj *o, rnr_error *err)
{
    char want[HFF_HEADER], have[HFF_HEADER];
    map_header(o, want);
    struct stat st;
    size_t mapn = (o->nblocks + 7) / 8;
    int ok = o->meta.etag[0] && pread_all(o->mfd, have, HFF_HEADER, 0) == 0 &&
             memcmp(have, want, HFF_HEADER) == 0 &&
             pread_all(o->mfd, o->bits, mapn, HFF_HEADER) == 0 && fstat(o->fd, &st) == 0 &&
             st.st_size == o->meta.size;
    if (ok)
        return RNR_OK;
    memset(o->bits, 0, mapn);
    /* Map first, so no moment has an old bitmap over new data. */
    if (ftruncate(o->mfd, 0) != 0 || ftruncate(o->fd, 0) != 0 ||
        ftruncate(o->fd, (off_t)o->meta.size) != 0 ||
        pwrite_all(o->mfd, o->bits, mapn, HFF_HEADER) != 0 ||
        pwrite_all(o->mfd, want, HFF_HEADER, 0) != 0)
        return sys_error(o->path, "cannot start the cache", err);
    return RNR_OK;
}

static int held(const hff_obj *o, size_t b)
{
    return o->bits[b / 8] >> (b % 8) & 1;
}

/* Record blocks [b0, b1] as held, in memory: this process may read them
 * now; the map file learns of them at the next flush. */
static void mark(hff_obj *o, size_t b0, size_t b1)
{
    for (size_t b = b0; b <= b1; b++)
        o->bits[b / 8] |= (uint8_t)(1u << (b % 8));
    if (o->dirty1 == 0) {
        o->dirty0 = b0 / 8;
        o->dirty1 = b1 / 8 + 1;
    } else {
        o->dirty0 = b0 / 8 < o->dirty0 ? b0 / 8 : o->dirty0;
        o->dirty1 = b1 / 8 + 1 > o->dirty1 ? b1 / 8 + 1 : o->dirty1;
    }
}

/* Write the blocks marked since the last flush into the map file, after
 * their bytes are on disk (one fdatasync for all of them: a crash in
 * between leaves them unmarked, so they are fetched again, never read as
 * holes). */
static int flush(hff_obj *o, rnr_error *err)
{
    if (o->dirty1 == 0)
        return RNR_OK;
    if (fdatasync(o->fd) != 0 ||
        pwrite_all(o->mfd, o->bits + o->dirty0, o->dirty1 - o->dirty0, HFF_HEADER + o->dirty0) != 0)
        return sys_error(o->map_path, "cannot record cached blocks", err);
    o->dirty0 = o->dirty1 = 0;
    return RNR_OK;
}

static int changed(const hff_obj *o, const char *now, rnr_error *err)
{
    return rnr_error_set(
        err, RNR_ERR_TRANSIENT,
        "%s: the object changed while being read (ETag %s, now %s); restart to read the new one",
        o->key, o->meta.etag, now);
}

/* The server ignored Range: take the whole object once, then check that
 * it is still the version the HEAD described. */
static int fetch_whole(hff_obj *o, rnr_error *err)
{
    struct hf_remote *r = o->owner;
    log_warn("hydrofabric", "%s: the store ignores Range; downloading the whole object", o->key);
    size_t n = strlen(o->path) + 8;
    char *part = malloc(n);
    if (!part)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    snprintf(part, n, "%s.part", o->path);
    store_meta now;
    struct stat st;
    int rc = store_get_file(r->store, o->key, part, err);
    if (!rc && (stat(part, &st) != 0 || st.st_size != o->meta.size))
        rc = rnr_error_set(err, RNR_ERR_PARSE, "%s: downloaded %lld bytes, the object has %lld",
                           o->key, (long long)st.st_size, (long long)o->meta.size);
    if (!rc && !(rc = store_head(r->store, o->key, &now, err)) &&
        strcmp(now.etag, o->meta.etag) != 0)
        rc = changed(o, now.etag, err);
    int fd = rc ? -1 : open(part, O_RDWR | O_CLOEXEC);
    if (!rc && (fd < 0 || rename(part, o->path) != 0))
        rc = sys_error(o->path, "cannot put the download in place", err);
    if (!rc) {
        close(o->fd);
        o->fd = fd;
        r->bytes += (uint64_t)o->meta.size;
        mark(o, 0, o->nblocks - 1);
        rc = flush(o, err);
    } else if (fd >= 0) {
        close(fd);
    }
    unlink(part);
    free(part);
    return rc;
}

/* Fetch blocks [b0, b1] with one ranged GET per HFF_MAX_GET bytes. */
static int fetch_blocks(hff_obj *o, size_t b0, size_t b1, rnr_error *err)
{
    struct hf_remote *r = o->owner;
    uint64_t off = (uint64_t)b0 * HFF_BLOCK;
    uint64_t end = (uint64_t)(b1 + 1) * HFF_BLOCK;
    if (end > (uint64_t)o->meta.size)
        end = (uint64_t)o->meta.size;
    size_t cap = end - off < HFF_MAX_GET ? (size_t)(end - off) : HFF_MAX_GET;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    int rc = RNR_OK;
    for (uint64_t at = off; !rc && at < end; at += cap) {
        size_t n = end - at < cap ? (size_t)(end - at) : cap;
        store_meta m;
        rc = store_get_range(r->store, o->key, at, n, buf, &m, err);
        if (rc == RNR_ERR_UNSUPPORTED && at == off) {
            free(buf);
            return fetch_whole(o, err);
        }
        r->gets++;
        store_meta now;
        rnr_error e2 = {0};
        int hrc = rc && rc != RNR_ERR_UNSUPPORTED ? store_head(r->store, o->key, &now, &e2) : -1;
        if (hrc == RNR_ERR_NOTFOUND || (hrc == RNR_OK && strcmp(now.etag, o->meta.etag) != 0))
            rc = changed(o, hrc ? "none (deleted)" : now.etag,
                         err); /* a 416 or 404 from a replaced object */
        if (!rc && m.etag[0] && strcmp(m.etag, o->meta.etag) != 0)
            rc = changed(o, m.etag, err);
        else if (!rc && m.size >= 0 && m.size != o->meta.size)
            rc = rnr_error_set(err, RNR_ERR_TRANSIENT, "%s: the object is now %lld bytes, was %lld",
                               o->key, (long long)m.size, (long long)o->meta.size);
        if (!rc && pwrite_all(o->fd, buf, n, at) != 0)
            rc = sys_error(o->path, "cannot write the cache", err);
        r->bytes += rc ? 0 : n;
    }
    free(buf);
    if (!rc)
        mark(o, b0, b1);
    return rc;
}

/* pq_read_fn over the cache: fetch the missing blocks of the range (one
 * span from the first missing to the last), then read the local copy. */
static int cache_read(void *ctx, uint64_t off, size_t n, uint8_t *buf, rnr_error *err)
{
    hff_obj *o = ctx;
    if (off > (uint64_t)o->meta.size || n > (uint64_t)o->meta.size - off)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: truncated (bytes %llu-%llu of %lld)", o->key,
                             (unsigned long long)off, (unsigned long long)(off + n),
                             (long long)o->meta.size);
    if (n == 0)
        return RNR_OK;
    size_t b0 = (size_t)(off / HFF_BLOCK), b1 = (size_t)((off + n - 1) / HFF_BLOCK);
    size_t m0 = b0, m1 = b1;
    while (m0 <= b1 && held(o, m0))
        m0++;
    while (m1 > m0 && held(o, m1))
        m1--;
    int rc = m0 <= b1 ? fetch_blocks(o, m0, m1, err) : RNR_OK;
    if (!rc)
        rc = flush(o, err);
    if (!rc && pread_all(o->fd, buf, n, off) != 0)
        rc = sys_error(o->path, "cannot read the cache", err);
    return rc;
}

/* pq_plan_fn: fetch the missing blocks of every span the reader is about
 * to read, a run of missing blocks per request (up to HFF_MAX_GET), so an
 * index build makes a few large GETs per layer instead of one per row
 * group. */
static int cache_plan(void *ctx, const uint64_t *spans, size_t n, rnr_error *err)
{
    hff_obj *o = ctx;
    int rc = RNR_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        uint64_t off = spans[2 * i], len = spans[2 * i + 1];
        if (len == 0 || off >= (uint64_t)o->meta.size || len > (uint64_t)o->meta.size - off)
            continue; /* the read itself will say what is wrong */
        size_t b = (size_t)(off / HFF_BLOCK), b1 = (size_t)((off + len - 1) / HFF_BLOCK);
        while (!rc && b <= b1) {
            while (b <= b1 && held(o, b))
                b++;
            size_t e = b;
            while (e + 1 <= b1 && !held(o, e + 1))
                e++;
            if (b <= b1)
                rc = fetch_blocks(o, b, e, err);
            b = e + 1;
        }
    }
    /* also after a failure: what was fetched stays fetched */
    rnr_error e2;
    int frc = flush(o, rc ? &e2 : err);
    return rc ? rc : frc;
}

static void obj_close(hff_obj *o)
{
    if (o->fd >= 0)
        close(o->fd);
    if (o->mfd >= 0)
        close(o->mfd);
    free(o->key);
    free(o->path);
    free(o->map_path);
    free(o->bits);
    memset(o, 0, sizeof *o);
    o->fd = o->mfd = -1;
}

static char *join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* HEAD one layer; open (or start) its cache and make sure the tail is in
 * it. An absent layer leaves o unused and its old local files removed. */
static int obj_open(struct hf_remote *r, hff_obj *o, const char *prefix, const char *layer,
                    int required, rnr_error *err)
{
    o->owner = r;
    o->fd = o->mfd = -1;
    char name[64];
    snprintf(name, sizeof name, "/%s.parquet", layer);
    if (!(o->key = join3(prefix, name, "")) || !(o->path = join3(r->dir, name, "")) ||
        !(o->map_path = join3(o->path, ".map", "")))
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    int rc = store_head(r->store, o->key, &o->meta, err);
    if (rc == RNR_ERR_NOTFOUND) {
        unlink(o->path);
        unlink(o->map_path);
        if (!required) {
            rnr_error_clear(err);
            obj_close(o);
            return RNR_OK;
        }
        return rnr_error_set(err, rc, "%s: missing file", o->key);
    }
    if (rc)
        return rc;
    o->nblocks = (size_t)((o->meta.size + HFF_BLOCK - 1) / HFF_BLOCK);
    if (!(o->bits = calloc(o->nblocks / 8 + 1, 1)))
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    if ((o->fd = open(o->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
        (o->mfd = open(o->map_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
        return sys_error(o->fd < 0 ? o->path : o->map_path, "cannot open", err);
    if ((rc = cache_load(o, err)))
        return rc;
    uint64_t tail = (uint64_t)o->meta.size < HFF_TAIL ? (uint64_t)o->meta.size : HFF_TAIL;
    uint8_t *buf = malloc(tail ? tail : 1);
    if (!buf)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    rc = cache_read(o, (uint64_t)o->meta.size - tail, (size_t)tail, buf, err);
    free(buf);
    return rc;
}

static int remote_open_file(void *ctx, const char *file, pq_file **out, rnr_error *err)
{
    struct hf_remote *r = ctx;
    *out = NULL;
    for (size_t i = 0; i < HFF_LAYERS; i++) {
        hff_obj *o = &r->obj[i];
        const char *base = o->key ? strrchr(o->key, '/') : NULL;
        if (base && strcmp(base + 1, file) == 0) {
            int rc = pq_open_reader(o->key, (uint64_t)o->meta.size, cache_read, o, out, err);
            if (!rc)
                pq_set_plan(*out, cache_plan);
            return rc;
        }
    }
    return rnr_error_set(err, RNR_ERR_NOTFOUND, "%s: missing file", file);
}

static void remote_free(void *ctx)
{
    struct hf_remote *r = ctx;
    if (!r)
        return;
    log_info("hydrofabric", "hydrofabric cache %s: %llu ranged GETs, %llu bytes fetched", r->dir,
             (unsigned long long)r->gets, (unsigned long long)r->bytes);
    for (size_t i = 0; i < HFF_LAYERS; i++)
        obj_close(&r->obj[i]);
    free(r->dir);
    free(r);
}

/* "<layer>.parquet <ETag> <size>", a line per layer present: what an
 * index built from them records, so that a published index is only taken
 * by workers that see the same versions of the layers. */
static char *layers_origin(rnr_store *s, const char *prefix, const hff_obj *objs, rnr_error *err)
{
    size_t cap = HFF_LAYERS * (64 + sizeof objs->meta.etag + 24), k = 0;
    char *o = malloc(cap);
    if (!o) {
        rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    o[0] = 0;
    for (size_t i = 0; i < HFF_LAYERS; i++) {
        store_meta m;
        if (objs) { /* ranged: the HEADs made at open */
            if (!objs[i].key)
                continue;
            m = objs[i].meta;
        } else {
            char key[700];
            snprintf(key, sizeof key, "%s/%s.parquet", prefix, hff_layers[i]);
            int rc = store_head(s, key, &m, err);
            if (rc == RNR_ERR_NOTFOUND) {
                rnr_error_clear(err);
                continue;
            }
            if (rc) {
                free(o);
                return NULL;
            }
        }
        k += (size_t)snprintf(o + k, cap - k, "%s.parquet %s %lld\n", hff_layers[i], m.etag,
                              (long long)m.size);
    }
    return o;
}

/* The ETag recorded in tag path p (one line), or "" when none is. */
static void etag_load(const char *p, char *buf, size_t n)
{
    FILE *f = fopen(p, "r");
    buf[0] = 0;
    if (f) {
        if (!fgets(buf, (int)n, f))
            buf[0] = 0;
        buf[strcspn(buf, "\n")] = 0;
        fclose(f);
    }
}

/* Record etag in tag path p, durably (it vouches for the file beside it). */
static int etag_save(const char *p, const char *etag, rnr_error *err)
{
    char line[sizeof((store_meta *)0)->etag + 1];
    int n = snprintf(line, sizeof line, "%s\n", etag);
    return durable_write_file(p, line, (size_t)n, NULL, err);
}

/* What fetch_index found under "<prefix>/rnr.rnrindex". */
enum { IDX_NONE, IDX_TAKEN, IDX_OTHER };

static void ignore_published(const char *key, const char *why)
{
    log_warn("hydrofabric", "%s %s; ignoring it and building this worker's own index", key, why);
}

/* The published index, taken into ip when it was built from the layers
 * as they are now (its ETag kept in "<ip>.etag", so a restart downloads
 * nothing): *found IDX_TAKEN. Its header is read first (one ranged GET of
 * 100 bytes), so one built from other layers is not downloaded. *m gets
 * the published object's HEAD (its ETag names the version to replace when
 * it does not fit: IDX_OTHER). */
static int fetch_index(rnr_store *s, const char *key, const char *dir, const char *ip,
                       const char *origin, int *found, store_meta *m, rnr_error *err)
{
    char *tagp = join3(ip, ".etag", "");
    char old[160] = "", why[128];
    *found = IDX_NONE;
    int rc = tagp ? store_head(s, key, m, err) : rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    if (rc == RNR_ERR_NOTFOUND) {
        rnr_error_clear(err);
        if (access(tagp, F_OK) == 0) { /* it was published and is no more: ours is built afresh */
            unlink(ip);
            unlink(tagp);
        }
        free(tagp);
        return RNR_OK;
    }
    if (rc) {
        free(tagp);
        return rc;
    }
    *found = IDX_OTHER; /* until it proves to fit */
    etag_load(tagp, old, sizeof old);
    uint8_t head[100];
    rnr_error e2 = {0};
    if (strcmp(old, m->etag) == 0 && access(ip, R_OK) == 0) {
        /* our copy of it: still right for the layers? */
    } else if (store_get_range(s, key, 0, sizeof head, head, NULL, &e2) == RNR_OK &&
               !hf_index_header_check(head, sizeof head, dir, origin)) {
        ignore_published(key, "was built from other versions of the layers (its header says)");
        free(tagp);
        return RNR_OK;
    } else {
        log_info("hydrofabric", "downloading the published index %s (%lld bytes)", key,
                 (long long)m->size);
        /* The tag goes first and comes back last, so a crash between
         * leaves no tag and the next start downloads again. */
        unlink(tagp);
        rc = store_get_file(s, key, ip, err); /* atomic: the store writes a temporary */
        if (!rc)
            rc = etag_save(tagp, m->etag, err);
    }
    if (!rc && hf_index_check(ip, dir, origin, why, sizeof why)) {
        *found = IDX_TAKEN;
    } else if (!rc) {
        ignore_published(key, why);
        unlink(ip);
        unlink(tagp);
    }
    free(tagp);
    return rc;
}

/* Put the index this worker built where the next ones look for it: where
 * none is, or over the one with ETag stale (built from layers that are
 * no more), unless another worker put one there meanwhile. A failure (no
 * permission, say) is a warning, the worker goes on with its own.
 * Afterwards ip counts as the published copy (its ETag in "<ip>.etag"),
 * so a restart downloads nothing. */
static void publish_index(rnr_store *s, const char *key, const char *ip, const char *stale)
{
    rnr_error err = {0};
    int done = 0;
    store_meta m;
    struct stat st;
    int64_t t0 = time_mono_ms();
    if (store_put_file_if(s, key, ip, "application/vnd.sqlite3", stale, &done, &err) != RNR_OK) {
        log_warn("hydrofabric", "cannot publish the index as %s (%s); going on without", key,
                 err.msg);
        return;
    }
    if (!done) {
        log_info("hydrofabric", "%s was published by another worker meanwhile; keeping ours", key);
        return;
    }
    log_info("hydrofabric", "%s the index as %s (%lld bytes, %lld ms)",
             stale ? "replaced the stale published" : "published", key,
             stat(ip, &st) == 0 ? (long long)st.st_size : -1LL, (long long)(time_mono_ms() - t0));
    char *tagp = join3(ip, ".etag", "");
    if (tagp && store_head(s, key, &m, &err) == RNR_OK && etag_save(tagp, m.etag, &err) != RNR_OK)
        log_warn("hydrofabric", "%s", err.msg);
    free(tagp);
}

/* The index ip for the layers in dir (read through src, or files when
 * NULL): the published one when it fits them, else the one built here
 * before when it does, else built now (and published when asked and none
 * is). */
static int ensure_index(rnr_store *s, const char *prefix, const char *dir, const char *ip,
                        const hf_source *src, const hf_fetch_opts *fo, const hff_obj *objs,
                        rnr_error *err)
{
    char *key = join3(prefix, "/rnr.rnrindex", ""), *origin = NULL, why[128];
    store_meta pub;
    int found = IDX_NONE, rc = RNR_OK;
    if (!key)
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    else if (!(origin = layers_origin(s, prefix, objs, err)))
        rc = err && err->code ? err->code : RNR_ERR_NOMEM;
    if (!rc)
        rc = fetch_index(s, key, dir, ip, origin, &found, &pub, err);
    if (!rc && found != IDX_TAKEN && access(ip, R_OK) == 0 &&
        !hf_index_check(ip, dir, origin, why, sizeof why)) {
        log_info("hydrofabric", "%s %s; building it again", ip, why);
        unlink(ip);
    }
    if (!rc && found != IDX_TAKEN && access(ip, R_OK) != 0) {
        log_info("hydrofabric", "building the hydrofabric index %s from %s/", ip, prefix);
        hf_build_opts o = {.src = src, .origin = origin};
        int64_t t0 = time_mono_ms();
        rc = hf_index_build_opts(dir, ip, &o, NULL, err);
        if (!rc)
            log_info("hydrofabric", "built the hydrofabric index %s (%lld ms)", ip,
                     (long long)(time_mono_ms() - t0));
    }
    if (!rc && found != IDX_TAKEN && fo && fo->publish)
        publish_index(s, key, ip, found == IDX_OTHER ? pub.etag : NULL);
    free(key);
    free(origin);
    return rc;
}

int hf_fetch_ranged(rnr_store *s, const char *prefix, const char *dir, const char *ip,
                    const hf_fetch_opts *fo, hf_db **out, rnr_error *err)
{
    *out = NULL;
    struct hf_remote *r = calloc(1, sizeof *r);
    if (!r || !(r->dir = strdup(dir))) {
        free(r);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    }
    r->store = s;
    for (size_t i = 0; i < HFF_LAYERS; i++)
        r->obj[i].fd = r->obj[i].mfd = -1;
    int rc = RNR_OK;
    for (size_t i = 0; !rc && i < HFF_LAYERS; i++) /* the first four are required */
        rc = obj_open(r, &r->obj[i], prefix, hff_layers[i], i < 4, err);
    hf_source src = {remote_open_file, NULL, r};
    if (!rc)
        rc = ensure_index(s, prefix, dir, ip, &src, fo, r->obj, err);
    if (rc) {
        remote_free(r);
        return rc;
    }
    src.close = remote_free;
    return hf_open_source(dir, ip, &src, out, err);
}

int hf_fetch_whole(rnr_store *store, const char *prefix, const char *dir, const char *ip,
                   const hf_fetch_opts *fo, rnr_error *err)
{
    char want[600];
    snprintf(want, sizeof want, "%s/", prefix);
    store_list l = {0};
    int rc = store_list_prefix(store, want, &l, err);
    for (size_t i = 0; !rc && i < HFF_LAYERS; i++) {
        char key[700], local[1400];
        snprintf(key, sizeof key, "%s/%s.parquet", prefix, hff_layers[i]);
        const store_object *o = NULL;
        for (size_t j = 0; j < l.n && !o; j++)
            o = strcmp(l.items[j].key, key) == 0 ? &l.items[j] : NULL;
        snprintf(local, sizeof local, "%s/%s.parquet", dir, hff_layers[i]);
        if (!o) {
            if (i < 4) /* network, flowpaths, flowpath-attributes, lakes are required */
                rc = rnr_error_set(err, RNR_ERR_NOTFOUND, "%s: missing file", key);
            continue;
        }
        char map[1410];
        snprintf(map, sizeof map, "%s.map", local);
        if (access(map, F_OK) == 0) { /* a ranged cache's sparse copy: not whole */
            unlink(local);
            unlink(map);
        }
        struct stat st;
        if (stat(local, &st) == 0 && (int64_t)st.st_size == o->size)
            continue;
        log_info("hydrofabric", "downloading hydrofabric key=%s (%lld bytes)", key,
                 (long long)o->size);
        /* atomic: the store writes a temporary and renames it into place */
        rc = store_get_file(store, key, local, err);
    }
    store_list_clear(&l);
    return rc ? rc : ensure_index(store, prefix, dir, ip, NULL, fo, NULL, err);
}
