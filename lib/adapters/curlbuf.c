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
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + add + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

void curlbuf_free(curlbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
