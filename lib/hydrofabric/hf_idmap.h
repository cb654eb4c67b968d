/* hf_idmap.h - a map from hydrofabric id text ("wb-12", "nex-7") to an
 * int64, for the parquet index build's joins (hf_pqbuild.c). Not a public
 * header. */
#ifndef RNR_HYDROFABRIC_HF_IDMAP_H
#define RNR_HYDROFABRIC_HF_IDMAP_H

#include <stddef.h>
#include <stdint.h>

/* An open-addressing map from id text to an int64. Ids of the usual form
 * ("wb-12": a short prefix, '-', a number without leading zeros) are held
 * packed in the slot (a prefix number and the number), so a lookup reads
 * one slot; any other id is kept as text in an arena. A packed and a text
 * key never spell the same id, so equality is still that of the text. */
typedef struct hf_idslot {
    uint64_t hash;  /* 0: empty */
    uint64_t key;   /* packed id, or the offset of the text in the arena */
    uint32_t len;   /* HF_ID_PACKED, or the text's length */
    uint32_t count; /* times the key was put */
    int64_t val;
} hf_idslot;

#define HF_ID_PACKED UINT32_MAX
#define HF_ID_PREFIXES 7 /* prefix numbers 1..7, in the top bits of a packed key */

typedef struct hf_idmap {
    hf_idslot *slot;
    size_t cap, n; /* cap a power of two */
    char *arena;
    size_t used, size;
    char prefix[HF_ID_PREFIXES][8]; /* the prefixes seen, "" unused */
} hf_idmap;

/* Room for at least n keys without a rehash; -1 when out of memory. */
int hf_idmap_reserve(hf_idmap *m, size_t n);
/* The slot of key k (n bytes), NULL when absent. */
hf_idslot *hf_idmap_get(hf_idmap *m, const char *k, size_t n);
/* Put k with val unless it is there (the first one wins, as INSERT OR
 * IGNORE and min(rowid) do); count every put. *slot gets k's slot; -1
 * when out of memory. */
int hf_idmap_put(hf_idmap *m, const char *k, size_t n, int64_t val, hf_idslot **slot);
/* The text of a slot's key: in buf (64 bytes) or the map's arena. */
const char *hf_idmap_key_text(const hf_idmap *m, const hf_idslot *s, char *buf, size_t *n);
void hf_idmap_free(hf_idmap *m);

#endif
