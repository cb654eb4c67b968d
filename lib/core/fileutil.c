/* fileutil.c - whole-file reads (see header). */
#include "core/fileutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int file_read_all(const char *path, char **out, size_t *len, rnr_error *err)
{
    *out = NULL;
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return rnr_error_set(err, RNR_ERR_IO, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0, r;
    char chunk[65536];
    /* Read in chunks rather than trusting a size from fseek/ftell: a pipe
     * or a file that grows while read still comes out whole. */
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n + r + 1 > cap) {
            cap = (n + r + 1) * 2;
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return rnr_error_set(err, RNR_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = p;
        }
        memcpy(buf + n, chunk, r);
        n += r;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return rnr_error_set(err, RNR_ERR_IO, "%s: read error", path);
    }
    if (!buf && !(buf = calloc(1, 1)))
        return rnr_error_set(err, RNR_ERR_NOMEM, "%s: out of memory", path);
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return RNR_OK;
}

char *text_skip_bom(char *s)
{
    return strncmp(s, "\xEF\xBB\xBF", 3) == 0 ? s + 3 : s;
}
