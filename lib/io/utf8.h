/* utf8.h - UTF-8 validation for the text writers.
 *
 * Names come from the hydrofabric and NWS; XML and JSON readers reject a
 * document with one bad byte, so writers replace invalid bytes instead. */
#ifndef RNR_IO_UTF8_H
#define RNR_IO_UTF8_H

#include <stddef.h>

/* Length (1..4) of the well-formed UTF-8 sequence starting at s, or 0 when
 * the bytes there are not one (overlong, surrogate, truncated, > U+10FFFF).
 * s must point at a non-NUL byte. */
size_t utf8_seq_len(const unsigned char *s);

#endif
