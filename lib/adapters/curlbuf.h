/* curlbuf.h - a response body for libcurl's write callback: grows as data
 * arrives, stays NUL-terminated, and refuses to grow past a cap (an answer
 * larger than any legitimate one is an error, not an allocation). */
#ifndef RNR_ADAPTERS_CURLBUF_H
#define RNR_ADAPTERS_CURLBUF_H

#include <stddef.h>

typedef struct curlbuf {
    char *data; /* NULL until the first byte */
    size_t len;
    size_t cap; /* allocated bytes; grows by doubling, so a large body is
                  * not one realloc per chunk */
    size_t max; /* cap in bytes; 0 = none */
    int over;   /* set when the cap stopped the transfer */
} curlbuf;

/* CURLOPT_WRITEFUNCTION with a curlbuf as CURLOPT_WRITEDATA. */
size_t curlbuf_write(char *p, size_t size, size_t n, void *ud);
void curlbuf_free(curlbuf *b);

#endif
