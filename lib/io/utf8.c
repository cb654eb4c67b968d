/* utf8.c - UTF-8 sequence validation (see header). */
#include "io/utf8.h"

static int cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

size_t utf8_seq_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return cont(s[1]) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(s[1]) || !cont(s[2]))
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
            return 0; /* overlong or surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(s[1]) || !cont(s[2]) || !cont(s[3]))
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
            return 0; /* overlong or beyond U+10FFFF */
        return 4;
    }
    return 0;
}
