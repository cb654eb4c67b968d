/* file_store.h - the embedded object store: a local directory.
 *
 * URL: file:///abs/dir (created when missing). A key is a '/'-separated
 * relative path; each component must be 1..255 bytes of letters, digits
 * and -_.:+@=,~%()! and must not start with '.', and a key is at most
 * 1024 bytes. Anything else (absolute keys, "..", empty components,
 * backslashes, control or non-ASCII bytes) is refused with
 * RNR_ERR_INVALID. Writes go to a hidden temporary file in the target
 * directory and are renamed into place (a put is fsync'd, file and
 * directory; a get's local copy is not); listings never show temporary
 * files. */
#ifndef RNR_ADAPTERS_FILE_STORE_H
#define RNR_ADAPTERS_FILE_STORE_H

#include "core/error.h"
#include "ports/store.h"

int file_store_open(const char *url, rnr_store **out, rnr_error *err);
/* RNR_OK when key is acceptable; RNR_ERR_INVALID with a message naming
 * the key otherwise. */
int file_store_check_key(const char *key, rnr_error *err);

#endif
