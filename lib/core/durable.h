/* durable.h - replacing a file so a reader sees the old content or the
 * new, never a part: a temporary sibling in the same directory, written,
 * optionally fsync'd (file, then its directory after the rename), renamed
 * into place, with a fixed mode.
 *
 * fsync is opt-in because it is the costliest thing a forecast does on a
 * busy disk: only a file that is the durable copy (the store's object)
 * asks for it; scratch files deleted after an upload, caches that can be
 * fetched again and state rewritten every minute do not. */
#ifndef RNR_CORE_DURABLE_H
#define RNR_CORE_DURABLE_H

#include <stdio.h>
#include <sys/types.h>

#include "core/error.h"

typedef struct durable_opts {
    mode_t mode; /* of the final file; 0 means 0644 (outputs are for every reader) */
    int sync;    /* fsync the file before the rename and its directory after */
    int hidden;  /* name the temporary "<dir>/.rnr-tmp-XXXXXX" (listings skip
                    dot files) instead of "<path>.tmp.XXXXXX" */
} durable_opts;

typedef struct durable_file durable_file;

/* Create the temporary sibling of path (NULL o: defaults). Fails with
 * RNR_ERR_IO naming path when the directory does not take a new file. */
int durable_begin(const char *path, const durable_opts *o, durable_file **out,
                  rnr_error *err) RNR_WARN_UNUSED;
/* The temporary's open descriptor, owned by d (-1 after durable_handoff). */
int durable_fd(const durable_file *d);
/* A stdio stream on the descriptor, owned by d (durable_commit flushes and
 * closes it); NULL with errno set when fdopen fails. */
FILE *durable_stream(durable_file *d);
/* Close d's descriptor and give the temporary's name to a library that
 * opens files by name (netCDF, SQLite); commit reopens it to fsync. */
const char *durable_handoff(durable_file *d);
/* Write all of buf to the temporary (EINTR and short writes handled). */
int durable_write(durable_file *d, const void *buf, size_t len, rnr_error *err) RNR_WARN_UNUSED;
/* Finish: flush, fsync if asked, close, rename over path, fsync the
 * directory if asked. Frees d whatever happens; on failure the temporary
 * is removed and path is untouched. */
int durable_commit(durable_file *d, rnr_error *err) RNR_WARN_UNUSED;
/* Give up: remove the temporary and free d (NULL is a no-op). */
void durable_abort(durable_file *d);
/* The whole cycle for content already in memory. */
int durable_write_file(const char *path, const void *buf, size_t len, const durable_opts *o,
                       rnr_error *err) RNR_WARN_UNUSED;

#endif
