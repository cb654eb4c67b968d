/* file_store.c - the embedded object store: keys are files under a root
 * directory, written atomically through core/durable (a put is fsync'd,
 * file and directory: the store holds the durable copy; a get's copy is not).
 *
 * Keys come from the network, so each component is checked against a
 * small safe alphabet before it touches the file system. */
#include "adapters/file_store.h"

#include "adapters/backends.h"
#include "core/durable.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_MAX 1024
#define COMPONENT_MAX 255
#define WALK_DEPTH_MAX 64

typedef struct file_store {
    char *root;
} file_store;

/* Quote key for an error message: printable ASCII as is, the rest \xNN. */
static const char *key_quote(const char *key, char *buf, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; key[i] && j + 5 < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c >= 0x20 && c < 0x7f)
            buf[j++] = (char)c;
        else
            j += (size_t)snprintf(buf + j, n - j, "\\x%02x", c);
        if (i >= 120) {
            j += (size_t)snprintf(buf + j, n - j, "...");
            break;
        }
    }
    buf[j < n ? j : n - 1] = '\0';
    return buf;
}

static int key_char_ok(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c && strchr("-_.:+@=,~%()!", c) != NULL;
}

static int bad_key(const char *key, const char *why, rnr_error *err)
{
    char q[160];
    return rnr_error_set(err, RNR_ERR_INVALID, "object key '%s' is not allowed: %s",
                         key_quote(key, q, sizeof q), why);
}

/* Check each '/'-separated component of key[0..len). */
static int check_components(const char *key, size_t len, rnr_error *err)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && key[i] != '/') {
            unsigned char c = (unsigned char)key[i];
            if (c == '\\')
                return bad_key(key, "it contains a backslash", err);
            if (c < 0x20 || c == 0x7f)
                return bad_key(key, "it contains a control character", err);
            if (!key_char_ok(c))
                return bad_key(key,
                               "it contains a character outside letters, digits and "
                               "-_.:+@=,~%()!",
                               err);
            continue;
        }
        size_t clen = i - start;
        if (clen == 0)
            return bad_key(key, "it has an empty path component", err);
        if (clen > COMPONENT_MAX)
            return bad_key(key, "a path component is longer than 255 bytes", err);
        if (key[start] == '.')
            return bad_key(key, "a path component starts with '.'", err);
        start = i + 1;
    }
    return RNR_OK;
}

int file_store_check_key(const char *key, rnr_error *err)
{
    if (!key || !*key)
        return rnr_error_set(err, RNR_ERR_INVALID, "object key is empty");
    size_t len = strnlen(key, KEY_MAX + 1);
    if (len > KEY_MAX)
        return bad_key(key, "it is longer than 1024 bytes", err);
    if (key[0] == '/')
        return bad_key(key, "it is absolute", err);
    return check_components(key, len, err);
}

static char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

static int io_error(const char *what, const char *path, int e, rnr_error *err)
{
    return rnr_error_set(err, RNR_ERR_IO, "%s '%s': %s", what, path, strerror(e));
}

/* The file of key under the store's root (malloc'd), once the key is
 * checked; verb names the operation in the out-of-memory message. */
static int key_path(const file_store *s, const char *key, const char *verb, char **out,
                    rnr_error *err)
{
    *out = NULL;
    int rc = file_store_check_key(key, err);
    if (rc != RNR_OK)
        return rc;
    *out = path_join(s->root, key);
    if (!*out)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory %s '%s'", verb, key);
    return RNR_OK;
}

/* mkdir -p for path[0..len) components after the first skip bytes. */
static int make_dirs(char *path, size_t skip, rnr_error *err)
{
    for (char *p = path + skip + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int r = mkdir(path, 0755);
        int e = errno;
        *p = '/';
        if (r != 0 && e != EEXIST) {
            *p = '\0';
            io_error("cannot create directory", path, e, err);
            *p = '/';
            return RNR_ERR_IO;
        }
    }
    return RNR_OK;
}

/* Copy in to the temporary of d. */
static int copy_fd(int in, durable_file *d, const char *dest, rnr_error *err)
{
    char buf[65536];
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return io_error("cannot read the source of", dest, errno, err);
        if (r == 0)
            return RNR_OK;
        int rc = durable_write(d, buf, (size_t)r, err);
        if (rc != RNR_OK)
            return rc;
    }
}

/* Write dest atomically: data from src_fd when >= 0, else buf/len. The
 * store's copy is the durable one (sync: file and directory fsync'd);
 * a copy handed to a caller (get) is scratch and is not. */
static int write_atomic(const char *dest, int src_fd, const void *buf, size_t len, int sync,
                        rnr_error *err)
{
    durable_opts o = {.mode = 0644, .sync = sync, .hidden = 1};
    durable_file *d = NULL;
    int rc = durable_begin(dest, &o, &d, err);
    if (rc != RNR_OK)
        return rc;
    rc = src_fd >= 0 ? copy_fd(src_fd, d, dest, err) : durable_write(d, buf, len, err);
    if (rc != RNR_OK) {
        durable_abort(d);
        return rc;
    }
    return durable_commit(d, err);
}

/* The directory part of path ("." when there is none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static int parent_missing(const char *path)
{
    char *dir = dir_of(path);
    struct stat st;
    int missing = dir && stat(dir, &st) != 0 && errno == ENOENT;
    free(dir);
    return missing;
}

static int fs_put(file_store *s, const char *key, int src_fd, const void *buf, size_t len,
                  rnr_error *err)
{
    char *dest;
    int rc = key_path(s, key, "storing", &dest, err);
    if (rc != RNR_OK)
        return rc;
    /* A concurrent delete may remove a directory we just made (it drops
     * empty ones); then the write finds no directory and we make it again. */
    for (int attempt = 0; attempt < 3; attempt++) {
        if (attempt > 0 && src_fd >= 0 && lseek(src_fd, 0, SEEK_SET) != 0)
            break;
        rc = make_dirs(dest, strlen(s->root), err);
        if (rc == RNR_OK)
            rc = write_atomic(dest, src_fd, buf, len, 1, err);
        if (rc != RNR_ERR_IO || !parent_missing(dest))
            break;
    }
    free(dest);
    return rc;
}

static int fs_put_buf(void *self, const char *key, const void *data, size_t len,
                      const char *content_type, rnr_error *err)
{
    (void)content_type;
    return fs_put(self, key, -1, data, len, err);
}

static int fs_put_file(void *self, const char *key, const char *path, const char *content_type,
                       rnr_error *err)
{
    (void)content_type;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return rnr_error_set(err, errno == ENOENT ? RNR_ERR_NOTFOUND : RNR_ERR_IO,
                             "cannot read '%s': %s", path, strerror(errno));
    int rc = fs_put(self, key, fd, NULL, 0, err);
    close(fd);
    return rc;
}

/* Open an object for reading and describe it. Objects are replaced by
 * rename, so inode, size and modification time together tag a version. */
static int fs_open_object(file_store *s, const char *key, int *fd, store_meta *m, rnr_error *err)
{
    char *src;
    *fd = -1;
    int rc = key_path(s, key, "reading", &src, err);
    if (rc != RNR_OK)
        return rc;
    *fd = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (*fd < 0 || fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = *fd < 0 ? errno : ENOENT;
        rc = (e == ENOENT || e == ENOTDIR)
                 ? rnr_error_set(err, RNR_ERR_NOTFOUND, "no object with key '%s'", key)
                 : io_error("cannot read", src, e, err);
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
    } else {
        m->size = (int64_t)st.st_size;
        snprintf(m->etag, sizeof m->etag, "\"%llx-%llx-%llx.%09ld\"", (unsigned long long)st.st_ino,
                 (unsigned long long)st.st_size, (unsigned long long)st.st_mtim.tv_sec,
                 st.st_mtim.tv_nsec);
    }
    free(src);
    return rc;
}

static int fs_get_file(void *self, const char *key, const char *path, rnr_error *err)
{
    int fd;
    store_meta m;
    int rc = fs_open_object(self, key, &fd, &m, err);
    if (rc != RNR_OK)
        return rc;
    rc = write_atomic(path, fd, NULL, 0, 0, err);
    close(fd);
    return rc;
}

typedef struct walk {
    const char *prefix;
    size_t plen;
    store_list *out;
    char key[KEY_MAX + COMPONENT_MAX + 2];
} walk;

/* Could a key under directory key w->key[0..klen) + "/" match the prefix? */
static int dir_may_match(const walk *w, size_t klen)
{
    size_t n = klen < w->plen ? klen : w->plen;
    if (strncmp(w->key, w->prefix, n) != 0)
        return 0;
    return klen >= w->plen || w->prefix[klen] == '/';
}

static int walk_dir(walk *w, const char *dirpath, size_t klen, int depth, rnr_error *err)
{
    DIR *d = opendir(dirpath);
    if (!d)
        return (errno == ENOENT || errno == ENOTDIR) ? RNR_OK
                                                     : io_error("cannot list", dirpath, errno, err);
    int rc = RNR_OK;
    struct dirent *de;
    while (rc == RNR_OK && (de = readdir(d)) != NULL) {
        size_t nl = strlen(de->d_name);
        /* Hidden names (., .., temporary files) are never objects. */
        if (de->d_name[0] == '.' || nl > COMPONENT_MAX || klen + 1 + nl > KEY_MAX)
            continue;
        size_t sep = klen ? 1 : 0;
        if (sep)
            w->key[klen] = '/';
        memcpy(w->key + klen + sep, de->d_name, nl + 1);
        size_t nk = klen + sep + nl;
        char *child = path_join(dirpath, de->d_name);
        struct stat st;
        if (!child) {
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory listing '%s'", dirpath);
        } else if (lstat(child, &st) != 0) {
            /* Deleted while we walked: not an object any more. */
        } else if (S_ISREG(st.st_mode)) {
            if (strncmp(w->key, w->prefix, w->plen) == 0 &&
                store_list_append(w->out, w->key, (int64_t)st.st_size, (int64_t)st.st_mtime) != 0)
                rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory listing '%s'", dirpath);
        } else if (S_ISDIR(st.st_mode) && depth < WALK_DEPTH_MAX && dir_may_match(w, nk)) {
            rc = walk_dir(w, child, nk, depth + 1, err);
        }
        free(child);
        w->key[klen] = '\0';
    }
    closedir(d);
    return rc;
}

static int fs_list(void *self, const char *prefix, store_list *out, rnr_error *err)
{
    file_store *s = self;
    memset(out, 0, sizeof *out);
    if (!prefix)
        prefix = "";
    size_t plen = strlen(prefix);
    if (plen > KEY_MAX)
        return rnr_error_set(err, RNR_ERR_INVALID, "list prefix is longer than 1024 bytes");
    /* Start at the deepest directory the prefix names in full. */
    const char *slash = strrchr(prefix, '/');
    size_t dlen = slash ? (size_t)(slash - prefix) : 0;
    if (prefix[0] == '/')
        return bad_key(prefix, "a list prefix must be relative", err);
    int rc = dlen ? check_components(prefix, dlen, err) : RNR_OK;
    if (rc != RNR_OK)
        return rc;
    walk *w = calloc(1, sizeof *w);
    char *start = NULL;
    if (w) {
        memcpy(w->key, prefix, dlen);
        w->key[dlen] = '\0';
        start = dlen ? path_join(s->root, w->key) : strdup(s->root);
    }
    if (!w || !start) {
        free(w);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory listing '%s'", prefix);
    }
    w->prefix = prefix;
    w->plen = plen;
    w->out = out;
    rc = walk_dir(w, start, dlen, 0, err);
    free(start);
    free(w);
    if (rc != RNR_OK)
        store_list_clear(out);
    else
        store_list_sort(out);
    return rc;
}

static int fs_del(void *self, const char *key, rnr_error *err)
{
    file_store *s = self;
    char *path;
    int rc = key_path(s, key, "deleting", &path, err);
    if (rc != RNR_OK)
        return rc;
    if (unlink(path) != 0) {
        int e = errno;
        rc = (e == ENOENT || e == ENOTDIR || e == EISDIR)
                 ? rnr_error_set(err, RNR_ERR_NOTFOUND, "no object with key '%s'", key)
                 : io_error("cannot delete", path, e, err);
    } else {
        /* Drop directories the delete left empty, as S3 has no empty
         * "directories"; a non-empty one stops the climb. */
        size_t rootlen = strlen(s->root);
        char *slash;
        while ((slash = strrchr(path, '/')) != NULL && (size_t)(slash - path) > rootlen) {
            *slash = '\0';
            if (rmdir(path) != 0)
                break;
        }
    }
    free(path);
    return rc;
}

static void fs_close(void *self)
{
    file_store *s = self;
    if (!s)
        return;
    free(s->root);
    free(s);
}

static int fs_head(void *self, const char *key, store_meta *out, rnr_error *err)
{
    int fd;
    int rc = fs_open_object(self, key, &fd, out, err);
    if (rc == RNR_OK)
        close(fd);
    return rc;
}

static int fs_get_range(void *self, const char *key, uint64_t off, size_t n, void *buf,
                        store_meta *m, rnr_error *err)
{
    int fd;
    int rc = fs_open_object(self, key, &fd, m, err);
    if (rc != RNR_OK)
        return rc;
    if (off > (uint64_t)m->size || n > (uint64_t)m->size - off)
        rc = rnr_error_set(
            err, RNR_ERR_PARSE, "'%s': bytes %llu-%llu asked of an object of %lld bytes", key,
            (unsigned long long)off, (unsigned long long)(off + n - 1), (long long)m->size);
    for (size_t got = 0; rc == RNR_OK && got < n;) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            rc = rnr_error_set(err, RNR_ERR_IO, "'%s': read failed at byte %llu", key,
                               (unsigned long long)(off + got));
        else
            got += (size_t)r;
    }
    close(fd);
    return rc;
}

/* The file read in place: no copy in the file system, one read(2) for a
 * small object. A put replaces the file by rename, so the open descriptor
 * keeps reading the version fstat sized. */
static int fs_get_buf(void *self, const char *key, size_t max, void **data, size_t *len,
                      rnr_error *err)
{
    int fd;
    store_meta m;
    int rc = fs_open_object(self, key, &fd, &m, err);
    if (rc != RNR_OK)
        return rc;
    size_t n = (size_t)m.size;
    char *buf = NULL;
    if (max && (uint64_t)m.size > max)
        rc = rnr_error_set(err, RNR_ERR_LIMIT, "'%s' is %lld bytes (limit %zu)", key,
                           (long long)m.size, max);
    else if (!(buf = malloc(n + 1)))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory reading '%s'", key);
    for (size_t got = 0; rc == RNR_OK && got < n;) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            rc =
                rnr_error_set(err, RNR_ERR_IO, "'%s': read failed at byte %zu of %zu", key, got, n);
        else
            got += (size_t)r;
    }
    close(fd);
    if (rc != RNR_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return RNR_OK;
}

static const store_ops file_store_ops = {
    .put_file = fs_put_file,
    .put_buf = fs_put_buf,
    .get_file = fs_get_file,
    .list = fs_list,
    .del = fs_del,
    .close = fs_close,
    .head = fs_head,
    .get_range = fs_get_range,
    .get_buf = fs_get_buf,
};

static const char *const store_params[] = {NULL};

int file_store_open(const char *url, rnr_store **out, rnr_error *err)
{
    backend_local_url u;
    *out = NULL;
    int rc = backend_local_url_parse(url, "file", &u, err);
    if (rc != RNR_OK)
        return rc;
    rc = backend_query_check(url, u.query, store_params, err);
    /* Keep the root without a trailing slash so keys join with one '/'. */
    size_t len = strlen(u.path);
    while (len > 1 && u.path[len - 1] == '/')
        u.path[--len] = '\0';
    if (rc == RNR_OK) {
        char *probe = path_join(u.path, "x");
        rc = probe ? make_dirs(probe, 0, err)
                   : rnr_error_set(err, RNR_ERR_NOMEM, "out of memory opening a store");
        free(probe);
    }
    struct stat st;
    if (rc == RNR_OK && (stat(u.path, &st) != 0 || !S_ISDIR(st.st_mode)))
        rc = rnr_error_set(err, RNR_ERR_CONFIG, "store root '%s' is not a directory", u.path);
    file_store *s = rc == RNR_OK ? calloc(1, sizeof *s) : NULL;
    rnr_store *h = rc == RNR_OK ? calloc(1, sizeof *h) : NULL;
    if (rc == RNR_OK && (!s || !h))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory opening a store");
    if (rc != RNR_OK) {
        free(s);
        free(h);
        backend_local_url_clear(&u);
        return rc;
    }
    s->root = u.path;
    u.path = NULL;
    backend_local_url_clear(&u);
    h->ops = &file_store_ops;
    h->self = s;
    *out = h;
    return RNR_OK;
}
