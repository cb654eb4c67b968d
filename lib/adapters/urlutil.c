/* urlutil.c - percent-decoding for backend URLs. */
#include "adapters/urlutil.h"

#include <ctype.h>
#include <stdlib.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *url_percent_decode(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (!d)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            d[j++] = s[i];
            continue;
        }
        int hi = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
        int lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(d);
            return NULL;
        }
        d[j++] = (char)(hi * 16 + lo);
        i += 2;
    }
    d[j] = '\0';
    return d;
}
