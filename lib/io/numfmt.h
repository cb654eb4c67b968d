/* numfmt.h - shortest round-trip decimal text for floats and doubles.
 *
 * The reference post-processor writes numbers through Python/NumPy, whose
 * repr is the shortest text that reads back to the same value, positional
 * for 1e-4 <= |v| < 1e16 ("832.0", "0.25") and scientific outside it
 * ("1e+16", "1.5e-05"). These reproduce that so CSV cells match. */
#ifndef RNR_IO_NUMFMT_H
#define RNR_IO_NUMFMT_H

#include <stddef.h>

/* Return 0, or -1 when buf is too small (32 bytes always suffice).
 * Non-finite values give "nan", "inf", "-inf". */
int numfmt_double(double v, char *buf, size_t n);
int numfmt_float(float v, char *buf, size_t n);

#endif
