/* numfmt.c - shortest round-trip decimal text (see header). */
#include "io/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lay out the k >= 1 significant digits (no dot) with decimal exponent e
 * the way Python's repr does. */
static int layout(int neg, const char *digits, int k, int e, char *buf, size_t n)
{
    char out[64];
    size_t o = 0;
    if (neg)
        out[o++] = '-';
    if (e >= -4 && e < 16) {
        if (e < 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < -e - 1; i++)
                out[o++] = '0';
            for (int i = 0; i < k; i++)
                out[o++] = digits[i];
        } else {
            for (int i = 0; i <= e; i++)
                out[o++] = i < k ? digits[i] : '0';
            out[o++] = '.';
            if (k > e + 1)
                for (int i = e + 1; i < k; i++)
                    out[o++] = digits[i];
            else
                out[o++] = '0';
        }
        out[o] = '\0';
    } else {
        out[o++] = digits[0];
        if (k > 1) {
            out[o++] = '.';
            for (int i = 1; i < k; i++)
                out[o++] = digits[i];
        }
        snprintf(out + o, sizeof out - o, "e%c%02d", e < 0 ? '-' : '+', abs(e));
    }
    if (strlen(out) >= n)
        return -1;
    strcpy(buf, out);
    return 0;
}

static int special(double v, char *buf, size_t n)
{
    const char *s = isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
    if (strlen(s) >= n)
        return -1;
    strcpy(buf, s);
    return 0;
}

static int reads_back(double v, int is_float, int p, char *e, size_t n)
{
    snprintf(e, n, "%.*e", p, v);
    return is_float ? strtof(e, NULL) == (float)v : strtod(e, NULL) == v;
}

/* The least precision whose %.*e reads back as v (maxp always does).
 * Where v's rounding interval is symmetric (v not a power of two), a
 * precision that reads back implies every larger one does: the correctly
 * rounded text with more digits is never farther from v. So bisection
 * finds it in 4-5 conversions instead of up to 17. At a power of two the
 * interval below v is half as wide, and only the linear search is sure. */
static int least_precision(double v, int is_float)
{
    char e[40];
    int lo = 0, hi = is_float ? 8 : 16, exp2;
    double m = is_float ? (double)frexpf((float)v, &exp2) : frexp(v, &exp2);
    if (fabs(m) == 0.5 || v == 0) {
        while (lo < hi && !reads_back(v, is_float, lo, e, sizeof e))
            lo++;
        return lo;
    }
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (reads_back(v, is_float, mid, e, sizeof e))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Shortest %.*e that reads back equal; is_float compares after rounding
 * to float. Splits the result into digits and exponent. */
static int shortest(double v, int is_float, char *buf, size_t n)
{
    char e[40];
    int lo = least_precision(v, is_float);
    snprintf(e, sizeof e, "%.*e", lo, v);
    char digits[24];
    size_t d = 0;
    const char *s = e;
    int neg = *s == '-';
    if (neg)
        s++;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            digits[d++] = *s;
    digits[d] = '\0';
    while (d > 1 && digits[d - 1] == '0')
        digits[--d] = '\0';
    int ex = atoi(s + 1);
    return layout(neg, digits, (int)d, ex, buf, n);
}

int numfmt_double(double v, char *buf, size_t n)
{
    if (!isfinite(v))
        return special(v, buf, n);
    return shortest(v, 0, buf, n);
}

int numfmt_float(float v, char *buf, size_t n)
{
    if (!isfinite(v))
        return special(v, buf, n);
    return shortest(v, 1, buf, n);
}
