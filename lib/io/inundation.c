/* inundation.c - merge the rows of several forecasts into one row per
 * segment (see header). */
#include "io/inundation.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int inundation_status_rank(const char *status)
{
    static const char *const order[] = {"action", "minor", "moderate", "major"};
    for (int i = 0; status && i < 4; i++)
        if (!strcmp(status, order[i]))
            return i + 1;
    return 0;
}

typedef struct merge_key {
    int64_t feature_id;
    size_t index; /* position in the input */
} merge_key;

static int cmp_key(const void *a, const void *b)
{
    const merge_key *x = a, *y = b;
    if (x->feature_id != y->feature_id)
        return x->feature_id < y->feature_id ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Does flow a beat flow b? A number beats NAN; NAN never beats anything. */
static int flow_beats(float a, float b)
{
    return !isnan(a) && (isnan(b) || a > b);
}

static const char *row_text(const inundation_row *r)
{
    return r->inherited_joined ? r->inherited_joined : r->inherited_rfc_forecasts;
}

/* Join the texts of in[keys[0..m-1].index] with "; " (malloc'd). */
static char *join_texts(const inundation_row *in, const merge_key *keys, size_t m)
{
    size_t len = 1;
    for (size_t j = 0; j < m; j++)
        len += strlen(row_text(&in[keys[j].index])) + 2;
    char *s = malloc(len), *p = s;
    for (size_t j = 0; s && j < m; j++) {
        const char *t = row_text(&in[keys[j].index]);
        size_t tl = strlen(t);
        if (j) {
            memcpy(p, "; ", 2);
            p += 2;
        }
        memcpy(p, t, tl);
        p += tl;
    }
    if (s)
        *p = '\0';
    return s;
}

/* The merged row of one feature_id group keys[0..m-1] (input order). */
static int merge_group(const inundation_row *in, const merge_key *keys, size_t m,
                       inundation_row *out)
{
    size_t best = keys[0].index, worst = keys[0].index;
    for (size_t j = 1; j < m; j++) {
        const inundation_row *r = &in[keys[j].index];
        if (flow_beats(r->flow_max_cms, in[best].flow_max_cms))
            best = keys[j].index;
        if (inundation_status_rank(r->max_status) > inundation_status_rank(in[worst].max_status))
            worst = keys[j].index;
    }
    *out = in[best];
    out->flow_cms = in[best].flow_max_cms;
    out->max_status = in[worst].max_status;
    out->inherited_joined = NULL;
    if (m > 1 && !(out->inherited_joined = join_texts(in, keys, m)))
        return RNR_ERR_NOMEM;
    if (m == 1)
        memcpy(out->inherited_rfc_forecasts, in[best].inherited_rfc_forecasts,
               sizeof out->inherited_rfc_forecasts);
    return RNR_OK;
}

static int cmp_first(const void *a, const void *b)
{
    const merge_key *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

int inundation_rows_merge(const inundation_row *in, size_t n, inundation_row **out, size_t *nout,
                          rnr_error *err)
{
    *out = NULL;
    *nout = 0;
    merge_key *keys = malloc((n ? n : 1) * sizeof *keys);
    merge_key *firsts =
        malloc((n ? n : 1) * sizeof *firsts); /* group start in keys, by first index */
    inundation_row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!keys || !firsts || !rows) {
        free(keys);
        free(firsts);
        free(rows);
        return rnr_error_set(err, RNR_ERR_NOMEM, "inundation merge: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = (merge_key){in[i].feature_id, i};
    qsort(keys, n, sizeof *keys, cmp_key);
    size_t groups = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || keys[i].feature_id != keys[i - 1].feature_id)
            firsts[groups++] = (merge_key){(int64_t)i, keys[i].index};
    qsort(firsts, groups, sizeof *firsts, cmp_first);
    int rc = RNR_OK;
    for (size_t g = 0; rc == RNR_OK && g < groups; g++) {
        size_t from = (size_t)firsts[g].feature_id, to = from + 1;
        while (to < n && keys[to].feature_id == keys[from].feature_id)
            to++;
        rc = merge_group(in, keys + from, to - from, &rows[g]);
        *nout = g + 1;
    }
    free(keys);
    free(firsts);
    if (rc != RNR_OK) {
        inundation_rows_free(rows, *nout);
        *nout = 0;
        return rnr_error_set(err, rc, "inundation merge: out of memory");
    }
    *out = rows;
    *nout = groups;
    return RNR_OK;
}

void inundation_rows_free(inundation_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        free(rows[i].inherited_joined);
    free(rows);
}
