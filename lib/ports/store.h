/* store.h - the object-store port: keys relative to the store's root.
 *
 * put is atomic (a reader sees the whole object or none); keys from the
 * network are untrusted and each backend refuses keys it cannot store
 * safely. Backends: local directory (file://), S3 (s3://bucket/prefix). */
#ifndef RNR_PORTS_STORE_H
#define RNR_PORTS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct store_object {
    char *key; /* relative to the store root */
    int64_t size;
    int64_t mtime; /* epoch seconds */
} store_object;

typedef struct store_list {
    store_object *items;
    size_t n;
} store_list;

/* What a backend says about one object, for caches keyed by version. */
typedef struct store_meta {
    int64_t size;   /* the whole object's length in bytes */
    char etag[128]; /* an opaque version tag (S3's ETag, quotes kept);
                         changes whenever the object's bytes change */
} store_meta;

typedef struct store_ops {
    int (*put_file)(void *self, const char *key, const char *path, const char *content_type,
                    rnr_error *err);
    int (*put_buf)(void *self, const char *key, const void *data, size_t len,
                   const char *content_type, rnr_error *err);
    /* Stream the object into path (written atomically). RNR_ERR_NOTFOUND
     * when there is no such key. */
    int (*get_file)(void *self, const char *key, const char *path, rnr_error *err);
    /* Every object whose key starts with prefix, sorted by key. */
    int (*list)(void *self, const char *prefix, store_list *out, rnr_error *err);
    int (*del)(void *self, const char *key, rnr_error *err);
    void (*close)(void *self);
    /* Size and ETag of one object. RNR_ERR_NOTFOUND when there is no such
     * key. Optional: NULL in a backend without it. */
    int (*head)(void *self, const char *key, store_meta *out, rnr_error *err);
    /* Exactly n bytes at off into buf (a ranged GET). meta gets the
     * object's size and ETag as the answer gave them. RNR_ERR_UNSUPPORTED
     * when the server answered with the whole object instead (Range not
     * honoured); RNR_ERR_PARSE when it sent another range or fewer bytes.
     * Optional like head. */
    int (*get_range)(void *self, const char *key, uint64_t off, size_t n, void *buf,
                     store_meta *meta, rnr_error *err);
    /* The whole object in memory: *data (malloc'd, the caller frees it;
     * NUL-terminated past *len for convenience) and its length.
     * RNR_ERR_NOTFOUND when there is no such key, RNR_ERR_LIMIT when it
     * is longer than max bytes (0: no limit). Optional like head. */
    int (*get_buf)(void *self, const char *key, size_t max, void **data, size_t *len,
                   rnr_error *err);
    /* put_file with the backend's own condition: only where no object is
     * (etag NULL) or over the object with this ETag; *done 0 (and RNR_OK)
     * when the server refuses the condition. store_put_file_if has checked
     * with a HEAD already (for servers that ignore the condition).
     * Optional: without it the HEAD is the only check. */
    int (*put_file_if)(void *self, const char *key, const char *path, const char *content_type,
                       const char *etag, int *done, rnr_error *err);
} store_ops;

typedef struct rnr_store {
    const store_ops *ops;
    void *self;
} rnr_store;

int store_put_file(rnr_store *s, const char *key, const char *path, const char *content_type,
                   rnr_error *err);
int store_put_buf(rnr_store *s, const char *key, const void *data, size_t len,
                  const char *content_type, rnr_error *err);
/* Put the file under key only if the key holds what the caller saw: no
 * object (etag NULL: create) or the object with ETag etag (replace that
 * version); otherwise *done 0 and RNR_OK. A HEAD checks first, then the
 * PUT carries the backend's own condition where it has one; without one,
 * two writers can race between the HEAD and the PUT (the later PUT wins). */
RNR_WARN_UNUSED int store_put_file_if(rnr_store *s, const char *key, const char *path,
                                      const char *content_type, const char *etag, int *done,
                                      rnr_error *err);
int store_get_file(rnr_store *s, const char *key, const char *path, rnr_error *err);
int store_list_prefix(rnr_store *s, const char *prefix, store_list *out, rnr_error *err);
int store_delete(rnr_store *s, const char *key, rnr_error *err);
/* head / get_range through the port; RNR_ERR_UNSUPPORTED naming the key
 * when the backend has no such operation. */
RNR_WARN_UNUSED int store_head(rnr_store *s, const char *key, store_meta *out, rnr_error *err);
RNR_WARN_UNUSED int store_get_range(rnr_store *s, const char *key, uint64_t off, size_t n,
                                    void *buf, store_meta *meta, rnr_error *err);
/* get_buf through the port: *data NULL and *len 0 unless RNR_OK;
 * RNR_ERR_UNSUPPORTED naming the key when the backend cannot (a caller
 * then falls back to store_get_file). */
RNR_WARN_UNUSED int store_get_buf(rnr_store *s, const char *key, size_t max, void **data,
                                  size_t *len, rnr_error *err);
void store_free(rnr_store *s);
void store_list_clear(store_list *l);
/* Append one item (key copied); for backends building a listing. */
int store_list_append(store_list *l, const char *key, int64_t size, int64_t mtime);
/* Sort items by key; backends call this before returning a listing. */
void store_list_sort(store_list *l);

#endif
