/* prom.c - counters, gauges and duration histograms in memory, and their
 * Prometheus text rendering. Small on purpose: a process has tens of
 * families and hundreds of samples, so linear search is fine. */
#include "core/prom.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { M_COUNTER, M_GAUGE, M_HISTOGRAM, M_COUNTER_SET, M_HISTOGRAM_SET };

/* Duration buckets in seconds: a NWPS call, a cut, a route, a store. */
const double prom_buckets[PROM_NBUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                            1,     2.5,  5,     10,   30,  60,   300};

typedef struct sample {
    char *labels; /* rendered `a="x",b="y"`, "" for none */
    double value; /* counter, gauge; histogram: sum */
    unsigned long long count, bucket[PROM_NBUCKETS];
} sample;

typedef struct family {
    char *name, *help;
    int type;
    sample *s;
    size_t n, cap;
} family;

struct prom_registry {
    pthread_mutex_t mu;
    family *f;
    size_t n, cap;
};

prom_registry *prom_new(void)
{
    prom_registry *m = calloc(1, sizeof *m);
    if (m && pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

void prom_free(prom_registry *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        for (size_t j = 0; j < m->f[i].n; j++)
            free(m->f[i].s[j].labels);
        free(m->f[i].s);
        free(m->f[i].name);
        free(m->f[i].help);
    }
    free(m->f);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static int name_ok(const char *s)
{
    if (!s || !*s ||
        !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == ':'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == ':'))
            return 0;
    return 1;
}

/* Render a label set with Prometheus escaping (\\, \", \n) into a new
 * string; NULL on a bad label name or out of memory. */
static char *labels_render(const prom_label *l, size_t n)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += strlen(l[i].name) + 2 * strlen(l[i].value ? l[i].value : "") + 5;
    char *out = malloc(cap), *p = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!name_ok(l[i].name)) {
            free(out);
            return NULL;
        }
        p += sprintf(p, "%s%s=\"", i ? "," : "", l[i].name);
        for (const char *v = l[i].value ? l[i].value : ""; *v; v++) {
            if (*v == '\\' || *v == '"')
                *p++ = '\\', *p++ = *v;
            else if (*v == '\n')
                *p++ = '\\', *p++ = 'n';
            else
                *p++ = *v;
        }
        *p++ = '"';
    }
    *p = '\0';
    assert((size_t)(p - out) < cap);
    return out;
}

static family *family_get(prom_registry *m, const char *name, const char *help, int type)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->f[i].name, name) == 0)
            return m->f[i].type == type ? &m->f[i] : NULL;
    if (!name_ok(name))
        return NULL;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        family *nf = realloc(m->f, cap * sizeof *nf);
        if (!nf)
            return NULL;
        m->f = nf;
        m->cap = cap;
    }
    family *f = &m->f[m->n];
    memset(f, 0, sizeof *f);
    f->name = strdup(name);
    f->help = strdup(help ? help : name);
    f->type = type;
    if (!f->name || !f->help) {
        free(f->name);
        free(f->help);
        return NULL;
    }
    m->n++;
    return f;
}

static sample *sample_get(family *f, const char *labels)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->s[i].labels, labels) == 0)
            return &f->s[i];
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        sample *ns = realloc(f->s, cap * sizeof *ns);
        if (!ns)
            return NULL;
        f->s = ns;
        f->cap = cap;
    }
    sample *s = &f->s[f->n];
    memset(s, 0, sizeof *s);
    if (!(s->labels = strdup(labels)))
        return NULL;
    f->n++;
    return s;
}

/* Find or create the sample and apply one update under the lock. */
static int update(prom_registry *m, const char *name, const char *help, int type,
                  const prom_label *l, size_t nl, double v, const prom_hist *h)
{
    if (!m)
        return RNR_ERR_INVALID;
    char *labels = labels_render(l, nl);
    if (!labels)
        return RNR_ERR_INVALID;
    int rc = RNR_OK;
    pthread_mutex_lock(&m->mu);
    int ftype = type == M_COUNTER_SET ? M_COUNTER : type == M_HISTOGRAM_SET ? M_HISTOGRAM : type;
    family *f = family_get(m, name, help, ftype);
    sample *s = f ? sample_get(f, labels) : NULL;
    if (!s) {
        rc = RNR_ERR_INVALID;
    } else if (type == M_COUNTER) {
        if (v >= 0 && isfinite(v))
            s->value += v;
        else
            rc = RNR_ERR_INVALID;
    } else if (type == M_COUNTER_SET) {
        if (v >= 0 && isfinite(v))
            s->value = v;
        else
            rc = RNR_ERR_INVALID;
    } else if (type == M_GAUGE) {
        s->value = v;
    } else if (type == M_HISTOGRAM_SET) {
        s->value = h->sum;
        s->count = h->count;
        memcpy(s->bucket, h->bucket, sizeof s->bucket);
    } else {
        s->value += v;
        s->count++;
        for (size_t b = 0; b < PROM_NBUCKETS; b++)
            if (v <= prom_buckets[b])
                s->bucket[b]++;
    }
    pthread_mutex_unlock(&m->mu);
    free(labels);
    return rc;
}

int prom_counter_add(prom_registry *m, const char *name, const char *help, const prom_label *labels,
                     size_t nlabels, double v)
{
    return update(m, name, help, M_COUNTER, labels, nlabels, v, NULL);
}

int prom_counter_set(prom_registry *m, const char *name, const char *help, const prom_label *labels,
                     size_t nlabels, double v)
{
    return update(m, name, help, M_COUNTER_SET, labels, nlabels, v, NULL);
}

int prom_gauge_set(prom_registry *m, const char *name, const char *help, const prom_label *labels,
                   size_t nlabels, double v)
{
    return update(m, name, help, M_GAUGE, labels, nlabels, v, NULL);
}

int prom_observe(prom_registry *m, const char *name, const char *help, const prom_label *labels,
                 size_t nlabels, double seconds)
{
    return update(m, name, help, M_HISTOGRAM, labels, nlabels, seconds, NULL);
}

int prom_histogram_set(prom_registry *m, const char *name, const char *help,
                       const prom_label *labels, size_t nlabels, const prom_hist *h)
{
    if (!h || !(h->sum >= 0) || !isfinite(h->sum))
        return RNR_ERR_INVALID;
    return update(m, name, help, M_HISTOGRAM_SET, labels, nlabels, 0, h);
}

void prom_hist_observe(prom_hist *h, double seconds)
{
    if (!(seconds >= 0) || !isfinite(seconds))
        return;
    h->count++;
    h->sum += seconds;
    for (size_t b = 0; b < PROM_NBUCKETS; b++)
        if (seconds <= prom_buckets[b])
            h->bucket[b]++;
}

void prom_hist_add(prom_hist *into, const prom_hist *h)
{
    into->count += h->count;
    into->sum += h->sum;
    for (size_t b = 0; b < PROM_NBUCKETS; b++)
        into->bucket[b] += h->bucket[b];
}

double prom_value(prom_registry *m, const char *name, const prom_label *labels, size_t nlabels)
{
    char *l = labels_render(labels, nlabels);
    double v = 0;
    if (!m || !l) {
        free(l);
        return 0;
    }
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->f[i].name, name) != 0)
            continue;
        for (size_t j = 0; j < m->f[i].n; j++)
            if (strcmp(m->f[i].s[j].labels, l) == 0)
                v = m->f[i].type == M_HISTOGRAM ? (double)m->f[i].s[j].count : m->f[i].s[j].value;
    }
    pthread_mutex_unlock(&m->mu);
    free(l);
    return v;
}

static void put_help(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* "{labels}" or "{labels,extra}" or "" */
static void put_labels(FILE *f, const char *labels, const char *extra)
{
    if (!*labels && !extra)
        return;
    fprintf(f, "{%s%s%s}", labels, *labels && extra ? "," : "", extra ? extra : "");
}

static void render_family(FILE *out, const family *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    fprintf(out, "# HELP %s ", f->name);
    put_help(out, f->help);
    fprintf(out, "\n# TYPE %s %s\n", f->name, types[f->type]);
    for (size_t j = 0; j < f->n; j++) {
        const sample *s = &f->s[j];
        if (f->type != M_HISTOGRAM) {
            fputs(f->name, out);
            put_labels(out, s->labels, NULL);
            fprintf(out, " %.17g\n", s->value);
            continue;
        }
        char le[48];
        for (size_t b = 0; b < PROM_NBUCKETS; b++) {
            snprintf(le, sizeof le, "le=\"%g\"", prom_buckets[b]);
            fprintf(out, "%s_bucket", f->name);
            put_labels(out, s->labels, le);
            fprintf(out, " %llu\n", s->bucket[b]);
        }
        fprintf(out, "%s_bucket", f->name);
        put_labels(out, s->labels, "le=\"+Inf\"");
        fprintf(out, " %llu\n%s_sum", s->count, f->name);
        put_labels(out, s->labels, NULL);
        fprintf(out, " %.17g\n%s_count", s->value, f->name);
        put_labels(out, s->labels, NULL);
        fprintf(out, " %llu\n", s->count);
    }
}

int prom_render(prom_registry *m, char **out, size_t *len, rnr_error *err)
{
    *out = NULL;
    *len = 0;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return rnr_error_set(err, RNR_ERR_NOMEM,
                             "prometheus metrics: cannot allocate the rendering buffer");
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n; i++)
        render_family(f, &m->f[i]);
    pthread_mutex_unlock(&m->mu);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        return rnr_error_set(err, RNR_ERR_NOMEM, "prometheus metrics: cannot render");
    }
    *out = buf;
    *len = n;
    return RNR_OK;
}
