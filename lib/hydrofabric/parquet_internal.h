/* parquet_internal.h - shared by parquet.c, parquet_thrift.c and
 * parquet_enc.c: the decoded footer and page headers, and the decoders.
 * Not a public header. */
#ifndef RNR_HYDROFABRIC_PARQUET_INTERNAL_H
#define RNR_HYDROFABRIC_PARQUET_INTERNAL_H

#include "hydrofabric/parquet.h"

/* Limits that keep a hostile footer from asking for absurd allocations. */
#define PQ_MAX_FOOTER (256u << 20)
#define PQ_MAX_LIST (1u << 24)
#define PQ_MAX_DEPTH 32
#ifndef PQ_MAX_PAGE
#define PQ_MAX_PAGE (1u << 30)
#endif

enum pq_codec {
    PQ_UNCOMPRESSED = 0,
    PQ_SNAPPY = 1,
    PQ_GZIP = 2,
    PQ_LZO = 3,
    PQ_BROTLI = 4,
    PQ_LZ4 = 5,
    PQ_ZSTD = 6,
    PQ_LZ4_RAW = 7
};
enum pq_encoding {
    PQ_PLAIN = 0,
    PQ_PLAIN_DICTIONARY = 2,
    PQ_RLE = 3,
    PQ_BIT_PACKED = 4,
    PQ_DELTA_BINARY_PACKED = 5,
    PQ_DELTA_LENGTH_BYTE_ARRAY = 6,
    PQ_DELTA_BYTE_ARRAY = 7,
    PQ_RLE_DICTIONARY = 8,
    PQ_BYTE_STREAM_SPLIT = 9
};
enum pq_page_type {
    PQ_DATA_PAGE = 0,
    PQ_INDEX_PAGE = 1,
    PQ_DICTIONARY_PAGE = 2,
    PQ_DATA_PAGE_V2 = 3
};

/* A byte range of the footer (statistics values point into it). */
typedef struct pq_bin {
    const uint8_t *p;
    size_t n;
    int set;
} pq_bin;

typedef struct pq_rawstats {
    pq_bin min, max; /* min_value / max_value (or the legacy fields) */
    int64_t null_count;
    int has_null_count;
} pq_rawstats;

typedef struct pq_schema_el {
    char *name;
    int type;       /* -1 when a group */
    int repetition; /* 0 required, 1 optional, 2 repeated */
    int num_children;
    int converted;            /* -1 when none */
    int logical;              /* LogicalType union field id, 0 when none */
    int int_bits, int_signed; /* for the INTEGER logical type */
} pq_schema_el;

typedef struct pq_chunk {
    int type;
    int codec;
    int64_t num_values;
    int64_t total_compressed;
    int64_t data_page_offset;
    int64_t dict_page_offset; /* -1 when none */
    int path_len;             /* path_in_schema entries; flat columns have 1 */
    int has_meta;
    int external; /* file_path set: the chunk is in another file */
    pq_rawstats stats;
    int has_stats;
} pq_chunk;

typedef struct pq_rowgroup {
    int64_t num_rows;
    size_t n_chunks;
    pq_chunk *chunks;
} pq_rowgroup;

typedef struct pq_kv {
    char *key, *value;
} pq_kv;

typedef struct pq_meta {
    int64_t num_rows;
    size_t n_schema;
    pq_schema_el *schema;
    size_t n_rg;
    pq_rowgroup *rgs;
    size_t n_kv;
    pq_kv *kv;
} pq_meta;

typedef struct pq_page_header {
    int type;
    int32_t uncompressed_size, compressed_size;
    int32_t num_values;
    int encoding;
    int def_encoding, rep_encoding; /* v1 */
    int32_t num_nulls, num_rows;    /* v2 */
    int32_t def_len, rep_len;       /* v2 */
    int is_compressed;              /* v2, default 1 */
    int has_data, has_dict, has_v2;
} pq_page_header;

typedef struct pq_leaf {
    const pq_schema_el *el;
    char *name; /* dotted path for nested leaves */
    int nested; /* inside a group, or repeated: unsupported */
} pq_leaf;

/* A byte span read ahead by pq_prefetch; column chunks inside it are
 * decoded from memory. */
typedef struct pq_window {
    uint64_t off;
    size_t len;
    uint8_t *buf;
} pq_window;

#define PQ_MAX_WINDOWS 16

struct pq_file {
    char *name;
    uint64_t size;
    pq_read_fn read;
    void *ctx;
    int fd;             /* pq_open's own file, else -1 */
    const uint8_t *mem; /* pq_open_mem's buffer */
    uint8_t *footer;
    pq_meta meta;
    size_t n_leaves;
    pq_leaf *leaves;
    pq_plan_fn plan;
    pq_window win[PQ_MAX_WINDOWS];
    size_t n_win;
    pq_io_stats io;
};

/* Read n bytes at off: from a prefetched window when one holds them, else
 * through the file's reader (counted in f->io). */
int pq_read_at(pq_file *f, uint64_t off, size_t n, uint8_t *buf, rnr_error *err);
/* Drop the prefetched windows. */
void pq_windows_clear(pq_file *f);

/* Decode FileMetaData from buf[0..n) (which must outlive meta). */
int pq_meta_decode(const uint8_t *buf, size_t n, pq_meta *meta, const char *name, rnr_error *err);
void pq_meta_free(pq_meta *meta);
/* Decode a PageHeader at buf; *used gets its encoded length. */
int pq_page_header_decode(const uint8_t *buf, size_t n, pq_page_header *ph, size_t *used,
                          const char *name, rnr_error *err);

/* Names of codecs and encodings, for messages. */
const char *pq_codec_name(int codec);
const char *pq_encoding_name(int enc);

/* Decompress src into dst, which holds exactly dst_n bytes. */
int pq_decompress(int codec, const uint8_t *src, size_t src_n, uint8_t *dst, size_t dst_n,
                  const char *what, rnr_error *err);

/* RLE / bit-packed hybrid: decode n values of bit_width from buf. */
int pq_rle_decode(const uint8_t *buf, size_t len, int bit_width, uint32_t *out, size_t n,
                  const char *what, rnr_error *err);
/* DELTA_BINARY_PACKED: decode up to cap values (*n gets the count the
 * header announces, which must be <= cap) and *used the bytes consumed. */
int pq_delta_decode(const uint8_t *buf, size_t len, int64_t *out, size_t cap, size_t *n,
                    size_t *used, const char *what, rnr_error *err);
/* Number of values a DELTA_BINARY_PACKED stream announces (to size buffers). */
int pq_delta_count(const uint8_t *buf, size_t len, size_t *n, const char *what, rnr_error *err);

/* A growing byte-array column (offsets + data). */
typedef struct pq_bytes {
    size_t n, cap;
    size_t *off; /* n + 1 */
    uint8_t *data;
    size_t len, data_cap;
} pq_bytes;

int pq_bytes_push(pq_bytes *b, const uint8_t *p, size_t n);
void pq_bytes_free(pq_bytes *b);

/* Decode n non-null values of a physical type in one encoding into ints,
 * reals or bytes (exactly one of them non-NULL, matching the type). */
typedef struct pq_values {
    int64_t *i;
    double *d;
    pq_bytes *b;
} pq_values;
int pq_decode_plain(int type, const uint8_t *buf, size_t len, size_t n, pq_values *out,
                    const char *what, rnr_error *err);
int pq_decode_delta_bytes(int encoding, const uint8_t *buf, size_t len, size_t n, pq_bytes *out,
                          const char *what, rnr_error *err);

#endif
