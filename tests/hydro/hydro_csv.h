/* hydro_csv.h - a tiny header-driven CSV table for the hydro tests (rows
 * split by io/csv_row.h: the oracle files have no quoted fields), plus
 * reference-data helpers. */
#ifndef RNR_TESTS_HYDRO_CSV_H
#define RNR_TESTS_HYDRO_CSV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "io/csv_row.h"

typedef struct tcsv {
    char *buf;
    size_t ncols, nrows;
    char **f; /* (nrows + 1) * ncols fields, row 0 = header */
} tcsv;

static inline void tcsv_free(tcsv *c)
{
    if (c) {
        free(c->buf);
        free(c->f);
        free(c);
    }
}

static inline tcsv *tcsv_load(const char *path)
{
    size_t got;
    char *text = tu_read_file(path, &got);
    if (!text)
        return NULL;
    tcsv *c = calloc(1, sizeof *c);
    c->buf = text;
    size_t lines = 0;
    for (size_t i = 0; i < got; i++)
        lines += c->buf[i] == '\n';
    size_t cols = 1;
    for (char *p = c->buf; *p && *p != '\n'; p++)
        cols += *p == ',';
    c->ncols = cols;
    c->f = calloc((lines + 1) * cols, sizeof *c->f);
    char *p = c->buf;
    size_t row = 0;
    while (*p) {
        char *eol = strchr(p, '\n');
        if (eol)
            *eol = '\0';
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r')
            p[l - 1] = '\0';
        if (*p)
            csv_split_row(p, &c->f[row++ * cols], (int)cols);
        if (!eol)
            break;
        p = eol + 1;
    }
    c->nrows = row ? row - 1 : 0;
    return c;
}

static inline int tcsv_col(const tcsv *c, const char *name)
{
    for (size_t k = 0; k < c->ncols; k++)
        if (c->f[k] && strcmp(c->f[k], name) == 0)
            return (int)k;
    return -1;
}

/* Field of data row r (0-based) and column k. */
static inline const char *tcsv_get(const tcsv *c, size_t r, int k)
{
    const char *s = c->f[(r + 1) * c->ncols + (size_t)k];
    return s ? s : "";
}

static inline float tcsv_float(const tcsv *c, size_t r, int k)
{
    return (float)strtod(tcsv_get(c, r, k), NULL);
}

/* Path of a reference file, or NULL when RNR_REFERENCE_DIR is unset or
 * missing (the test then skips). */
static inline int ref_path(const char *name, char *out, size_t cap)
{
    const char *dir = tu_ref_dir();
    if (!dir)
        return -1;
    snprintf(out, cap, "%s/muskingum-cunge/%s", dir, name);
    return 0;
}

static inline int same_bits(float a, float b)
{
    unsigned ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    return ua == ub || (a != a && b != b);
}

#endif
