/* durable.c - the one temp-write-rename path every writer of a file that
 * others read goes through (see durable.h for the fsync policy). */
#include "core/durable.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HIDDEN_PREFIX ".rnr-tmp-"
#define TEMP_SUFFIX ".tmp."

struct durable_file {
    char *path; /* the final name */
    char *tmp;  /* the temporary sibling */
    int fd;     /* -1 once closed or handed off */
    FILE *f;    /* stream on fd, when asked for */
    durable_opts o;
};

/* "<dir>/.rnr-tmp-XXXXXX" or "<path>.tmp.XXXXXX", malloc'd. */
static char *temp_name(const char *path, int hidden)
{
    size_t n = strlen(path);
    char *t = malloc(n + sizeof HIDDEN_PREFIX + sizeof TEMP_SUFFIX + 8);
    if (!t)
        return NULL;
    if (!hidden) {
        memcpy(t, path, n);
        memcpy(t + n, TEMP_SUFFIX "XXXXXX", sizeof TEMP_SUFFIX + 6);
        return t;
    }
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
    memcpy(t, path, dl);
    memcpy(t + dl, HIDDEN_PREFIX "XXXXXX", sizeof HIDDEN_PREFIX + 6);
    return t;
}

static void durable_free(durable_file *d)
{
    free(d->path);
    free(d->tmp);
    free(d);
}

int durable_begin(const char *path, const durable_opts *o, durable_file **out, rnr_error *err)
{
    assert(path && out);
    *out = NULL;
    durable_file *d = calloc(1, sizeof *d);
    if (d) {
        d->path = strdup(path);
        d->tmp = temp_name(path, o && o->hidden);
    }
    if (!d || !d->path || !d->tmp) {
        if (d)
            durable_free(d);
        return rnr_error_set(err, RNR_ERR_NOMEM, "%s: out of memory", path);
    }
    if (o)
        d->o = *o;
    if (!d->o.mode)
        d->o.mode = 0644;
    d->fd = mkstemp(d->tmp); /* unique per call: worker threads share a pid */
    if (d->fd < 0 || fchmod(d->fd, d->o.mode) != 0) {
        int e = errno;
        if (d->fd >= 0) {
            close(d->fd);
            unlink(d->tmp);
        }
        durable_free(d);
        return rnr_error_set(err, RNR_ERR_IO, "%s: cannot create a temporary file: %s", path,
                             strerror(e));
    }
    *out = d;
    return RNR_OK;
}

int durable_fd(const durable_file *d)
{
    return d->fd;
}

FILE *durable_stream(durable_file *d)
{
    if (!d->f && d->fd >= 0)
        d->f = fdopen(d->fd, "w+b");
    if (!d->f && d->fd < 0)
        errno = EBADF;
    return d->f;
}

const char *durable_handoff(durable_file *d)
{
    if (d->f)
        fclose(d->f);
    else if (d->fd >= 0)
        close(d->fd);
    d->f = NULL;
    d->fd = -1;
    return d->tmp;
}

int durable_write(durable_file *d, const void *buf, size_t len, rnr_error *err)
{
    assert(d->fd >= 0 && !d->f);
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(d->fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return rnr_error_set(err, RNR_ERR_IO, "%s: cannot write: %s", d->path,
                                 w < 0 ? strerror(errno) : "no progress");
        p += w;
        len -= (size_t)w;
    }
    return RNR_OK;
}

/* Flush, fsync if asked, close; 0 or errno. */
static int finish_data(durable_file *d)
{
    int e = 0;
    if (d->f && fflush(d->f) != 0)
        e = errno;
    if (d->fd < 0 && d->o.sync && !e) { /* handed off: reopen to sync */
        d->fd = open(d->tmp, O_RDONLY);
        if (d->fd < 0)
            e = errno;
    }
    if (d->fd >= 0 && d->o.sync && !e && fsync(d->fd) != 0)
        e = errno;
    int c = d->f ? fclose(d->f) : d->fd >= 0 ? close(d->fd) : 0;
    if (c != 0 && !e)
        e = errno;
    d->f = NULL;
    d->fd = -1;
    return e;
}

/* fsync the directory holding path, so the rename itself survives a
 * power cut; 0 or errno. */
static int sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = !slash          ? strdup(".")
                : slash == path ? strdup("/")
                                : strndup(path, (size_t)(slash - path));
    if (!dir)
        return ENOMEM;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    int e = fd < 0 || fsync(fd) != 0 ? errno : 0;
    if (fd >= 0)
        close(fd);
    free(dir);
    return e;
}

int durable_commit(durable_file *d, rnr_error *err)
{
    assert(d);
    int e = finish_data(d);
    int rc = RNR_OK, renamed = 0;
    if (e)
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: cannot write: %s", d->path, strerror(e));
    else if (rename(d->tmp, d->path) != 0)
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: cannot rename into place: %s", d->path,
                           strerror(errno));
    else
        renamed = 1;
    if (renamed && d->o.sync && (e = sync_parent(d->path)) != 0)
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: cannot sync its directory: %s", d->path,
                           strerror(e));
    /* After the rename the temporary's name is free, and another writer's
     * mkstemp may already have taken it: only an unrenamed one is ours. */
    if (!renamed)
        unlink(d->tmp);
    durable_free(d);
    return rc;
}

void durable_abort(durable_file *d)
{
    if (!d)
        return;
    durable_handoff(d);
    unlink(d->tmp);
    durable_free(d);
}

int durable_write_file(const char *path, const void *buf, size_t len, const durable_opts *o,
                       rnr_error *err)
{
    durable_file *d = NULL;
    int rc = durable_begin(path, o, &d, err);
    if (rc != RNR_OK)
        return rc;
    rc = durable_write(d, buf, len, err);
    if (rc != RNR_OK) {
        durable_abort(d);
        return rc;
    }
    return durable_commit(d, err);
}
