/* curlbuf.c - capped, NUL-terminated response bodies for libcurl. */
#include "adapters/curlbuf.h"

#include <stdlib.h>
#include <string.h>

size_t curlbuf_write(char *p, size_t size, size_t n, void *ud)
{
    curlbuf *b = ud;
    size_t add = size * n;
    if (b->max && b->len + add > b->max) {
        b->over = 1;
        return 0;
    }
    char *d = realloc(b->data, b->len + add + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, p, add);
    b->data = d;
    b->len += add;
    d[b->len] = '\0';
    return add;
}

void curlbuf_free(curlbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}
