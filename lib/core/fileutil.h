/* fileutil.h - reading a whole local file into memory.
 *
 * Forecast JSON, HML products and fixtures are small enough to hold whole;
 * the parsers take (buffer, length). */
#ifndef RNR_CORE_FILEUTIL_H
#define RNR_CORE_FILEUTIL_H

#include <stddef.h>

#include "core/error.h"

/* Read path into *out (malloc'd, NUL-terminated, so text can be used as a
 * string; *len excludes the NUL). An empty file gives "" and 0. Errors name
 * path: RNR_ERR_IO "PATH: <strerror>" or "PATH: read error",
 * RNR_ERR_NOMEM "PATH: out of memory". */
int file_read_all(const char *path, char **out, size_t *len, rnr_error *err);

/* s past a leading UTF-8 byte-order mark (EF BB BF), which spreadsheet
 * programs put before the header of a CSV they save; s itself otherwise. */
char *text_skip_bom(char *s);

#endif
