/* hf_idmap.c - the id map of the parquet index build: open addressing,
 * ids of the usual form packed in the slot, others kept as text. */
#include "hydrofabric/hf_idmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The packed form of id k (0 when it has none): prefix number << 57 | N
 * for "<prefix>-N", prefix 1-7 bytes without '-' or NUL, N 1-17 digits
 * without leading zeros. Adds the prefix to the map's table when new. */
static uint64_t idmap_pack(hf_idmap *m, const char *k, size_t n, int add)
{
    const char *dash = memchr(k, '-', n > 8 ? 8 : n);
    size_t pn = dash ? (size_t)(dash - k) : 0, dn = n - pn - 1;
    if (!dash || pn == 0 || dn == 0 || dn > 17 || (dash[1] == '0' && dn > 1) || memchr(k, 0, pn))
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < dn; i++) {
        if (dash[1 + i] < '0' || dash[1 + i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(dash[1 + i] - '0');
    }
    for (uint64_t p = 0; p < HF_ID_PREFIXES; p++) {
        if (!m->prefix[p][0] && add) {
            memcpy(m->prefix[p], k, pn);
            m->prefix[p][pn] = 0;
        }
        if (strlen(m->prefix[p]) == pn && memcmp(m->prefix[p], k, pn) == 0)
            return (p + 1) << 57 | v;
    }
    return 0;
}

static uint64_t idmap_pack_hash(uint64_t key)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    h ^= h >> 31;
    return h ? h : 1;
}

/* The text of a slot's key into buf (64 bytes) or the arena. */
const char *hf_idmap_key_text(const hf_idmap *m, const hf_idslot *s, char *buf, size_t *n)
{
    if (s->len != HF_ID_PACKED) {
        *n = s->len;
        return m->arena + s->key;
    }
    *n = (size_t)snprintf(buf, 64, "%s-%llu", m->prefix[(s->key >> 57) - 1],
                          (unsigned long long)(s->key & ((1ull << 57) - 1)));
    return buf;
}

static uint64_t idmap_text_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    h ^= h >> 29;
    return h ? h : 1;
}

void hf_idmap_free(hf_idmap *m)
{
    free(m->slot);
    free(m->arena);
    memset(m, 0, sizeof *m);
}

/* A zeroed slot table. Lookups land on random slots of a table of tens of
 * MB: huge pages (where the kernel gives them on request) spare a TLB miss
 * per lookup, and zeroing it here, rather than with calloc's untouched
 * pages, faults each page in once instead of mapping the zero page first
 * and copying it on the first insert. */
static hf_idslot *slots_new(size_t cap)
{
    size_t bytes = cap * sizeof(hf_idslot), huge = (size_t)2 << 20;
    void *p = NULL;
    if (bytes >= huge) {
        if (posix_memalign(&p, huge, bytes) != 0)
            return NULL;
#ifdef MADV_HUGEPAGE
        (void)madvise(p, bytes, MADV_HUGEPAGE); /* advice only: fine if refused */
#endif
    } else if (!(p = malloc(bytes))) {
        return NULL;
    }
    return memset(p, 0, bytes);
}

/* Room for at least n keys at a load under 3/4 (a rehash when it grows). */
int hf_idmap_reserve(hf_idmap *m, size_t n)
{
    size_t cap = 1024;
    while (cap / 4 * 3 < n + 1)
        cap *= 2;
    if (cap <= m->cap)
        return 0;
    hf_idslot *s = slots_new(cap);
    if (!s)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slot[i].hash)
            continue;
        size_t j = m->slot[i].hash & (cap - 1);
        while (s[j].hash)
            j = (j + 1) & (cap - 1);
        s[j] = m->slot[i];
    }
    free(m->slot);
    m->slot = s;
    m->cap = cap;
    return 0;
}

static hf_idslot *idmap_find(const hf_idmap *m, uint64_t h, uint64_t packed, const char *k,
                             size_t n)
{
    if (!m->cap)
        return NULL;
    for (size_t j = h & (m->cap - 1); m->slot[j].hash; j = (j + 1) & (m->cap - 1)) {
        const hf_idslot *s = &m->slot[j];
        if (s->hash != h)
            continue;
        if (packed ? s->len == HF_ID_PACKED && s->key == packed
                   : s->len == n && memcmp(m->arena + s->key, k, n) == 0)
            return &m->slot[j];
    }
    return NULL;
}

/* The slot of key (NULL when absent). */
hf_idslot *hf_idmap_get(hf_idmap *m, const char *k, size_t n)
{
    uint64_t packed = idmap_pack(m, k, n, 0);
    return idmap_find(m, packed ? idmap_pack_hash(packed) : idmap_text_hash(k, n), packed, k, n);
}

/* Put key with val unless it is there (the first one wins, as INSERT OR
 * IGNORE and min(rowid) do); count every put. *slot gets the key's slot. */
int hf_idmap_put(hf_idmap *m, const char *k, size_t n, int64_t val, hf_idslot **slot)
{
    uint64_t packed = idmap_pack(m, k, n, 1);
    uint64_t h = packed ? idmap_pack_hash(packed) : idmap_text_hash(k, n);
    hf_idslot *s = idmap_find(m, h, packed, k, n);
    if (s) {
        s->count++;
        *slot = s;
        return 0;
    }
    if ((m->n + 1) * 4 > m->cap * 3 && hf_idmap_reserve(m, m->n * 2))
        return -1;
    uint64_t key = packed;
    uint32_t len = HF_ID_PACKED;
    if (!packed) {
        if (n >= HF_ID_PACKED)
            return -1;
        if (m->used + n + 1 > m->size) {
            size_t size = m->size ? m->size : 1 << 16;
            while (size < m->used + n + 1)
                size *= 2;
            char *a = realloc(m->arena, size);
            if (!a)
                return -1;
            m->arena = a;
            m->size = size;
        }
        memcpy(m->arena + m->used, k, n);
        key = m->used;
        len = (uint32_t)n;
        m->used += n;
    }
    size_t j = h & (m->cap - 1);
    while (m->slot[j].hash)
        j = (j + 1) & (m->cap - 1);
    m->slot[j] = (hf_idslot){h, key, len, 1, val};
    m->n++;
    *slot = &m->slot[j];
    return 0;
}
