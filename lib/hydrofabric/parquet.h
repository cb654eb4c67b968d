/* parquet.h - a focused Apache Parquet reader: the footer, flat schemas,
 * one column chunk of one row group at a time.
 *
 * What it reads: data pages v1 and v2 and dictionary pages; the encodings
 * PLAIN, PLAIN_DICTIONARY/RLE_DICTIONARY, RLE (levels and booleans),
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY; the
 * physical types BOOLEAN, INT32, INT64, FLOAT, DOUBLE and BYTE_ARRAY;
 * optional (nullable) columns; the codecs UNCOMPRESSED, SNAPPY, GZIP and
 * ZSTD. Anything else (nested or repeated columns, INT96, other codecs or
 * encodings) is refused with an error that names it.
 *
 * Files come from elsewhere, so everything is untrusted: every offset,
 * length and count is checked before use, and a bad file is an error that
 * names the file and what is wrong, never a read out of bounds. */
#ifndef RNR_HYDROFABRIC_PARQUET_H
#define RNR_HYDROFABRIC_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct pq_file pq_file;

/* Physical types (the numbers are the format's). */
enum pq_type {
    PQ_BOOLEAN = 0,
    PQ_INT32 = 1,
    PQ_INT64 = 2,
    PQ_INT96 = 3,
    PQ_FLOAT = 4,
    PQ_DOUBLE = 5,
    PQ_BYTE_ARRAY = 6,
    PQ_FIXED_LEN_BYTE_ARRAY = 7
};

/* How a decoded column holds its values. */
enum pq_kind {
    PQ_KIND_INT,  /* BOOLEAN, INT32, INT64 -> i[] */
    PQ_KIND_REAL, /* FLOAT, DOUBLE -> d[] */
    PQ_KIND_BYTES /* BYTE_ARRAY -> off[]/data */
};

/* One column chunk decoded: n values, null where valid[k] == 0. */
typedef struct pq_column {
    int kind;      /* enum pq_kind */
    int type;      /* enum pq_type */
    int is_string; /* UTF8 / STRING / JSON / ENUM logical type */
    size_t n;
    uint8_t *valid; /* n flags; NULL when the column is required */
    int64_t *i;
    double *d;
    size_t *off; /* n + 1 offsets into data */
    uint8_t *data;
    /* What the chunk was made of (tests check their coverage with it). */
    unsigned encodings; /* bit e set when a page used encoding e */
    unsigned pages_v1, pages_v2, dict_pages;
} pq_column;

/* Min and max of one column chunk, from its statistics. */
typedef struct pq_stats {
    int has_min, has_max;
    int64_t null_count; /* -1 when unknown */
    /* Integers (INT32/INT64/BOOLEAN) in i, reals in d, bytes in b/len. */
    int64_t min_i, max_i;
    double min_d, max_d;
    const uint8_t *min_b, *max_b;
    size_t min_len, max_len;
} pq_stats;

/* Reads n bytes at off into buf; the whole range or an error. */
typedef int (*pq_read_fn)(void *ctx, uint64_t off, size_t n, uint8_t *buf, rnr_error *err);

/* Open a local file: reads and decodes the footer only. */
RNR_WARN_UNUSED int pq_open(const char *path, pq_file **out, rnr_error *err);
/* Open from a caller's reader (a cache, a buffer); name is for messages
 * and size is the file's length. ctx must outlive the pq_file. */
RNR_WARN_UNUSED int pq_open_reader(const char *name, uint64_t size, pq_read_fn read, void *ctx,
                                   pq_file **out, rnr_error *err);
/* Open a file held in memory (the fuzzer, tests); buf must outlive it. */
RNR_WARN_UNUSED int pq_open_mem(const char *name, const uint8_t *buf, size_t n, pq_file **out,
                                rnr_error *err);
void pq_close(pq_file *f);

const char *pq_name(const pq_file *f);
int64_t pq_num_rows(const pq_file *f);
size_t pq_num_row_groups(const pq_file *f);
int64_t pq_row_group_rows(const pq_file *f, size_t rg);
size_t pq_num_columns(const pq_file *f);
/* Leaf column name and physical type; NULL / -1 out of range. */
const char *pq_column_name(const pq_file *f, size_t col);
int pq_column_type(const pq_file *f, size_t col);
/* The column's index; RNR_ERR_NOTFOUND "<file>: no column <name>". */
RNR_WARN_UNUSED int pq_find_column(const pq_file *f, const char *name, size_t *col, rnr_error *err);
/* Key-value metadata of the footer; NULL when absent. */
const char *pq_metadata(const pq_file *f, const char *key);
/* Statistics of one chunk; 0 when it carries none we can use. */
int pq_chunk_stats(const pq_file *f, size_t rg, size_t col, pq_stats *out);
/* Whether a chunk may hold the integer v (1 when statistics cannot tell). */
int pq_chunk_may_contain_int(const pq_file *f, size_t rg, size_t col, int64_t v);

/* What a pq_file has done: calls to its reader and the bytes they read,
 * column chunks decoded, row groups a lookup skipped by statistics. */
typedef struct pq_io_stats {
    uint64_t reads, bytes_read;
    uint64_t chunks_decoded;
    uint64_t groups_skipped;
} pq_io_stats;
void pq_get_io_stats(const pq_file *f, pq_io_stats *out);

/* Read the chunks of these columns in row group rg ahead, merged into as
 * few reads as their layout allows (gaps up to 256 KiB are read through),
 * so that a remote reader makes one request per row group rather than one
 * per column. pq_read_column then decodes them from memory, until the next
 * pq_prefetch or pq_prefetch_clear. A chunk it cannot place is left to
 * pq_read_column (which reports what is wrong with it). */
RNR_WARN_UNUSED int pq_prefetch(pq_file *f, size_t rg, const size_t *cols, size_t n,
                                rnr_error *err);
void pq_prefetch_clear(pq_file *f);

/* A reader may want to know what is about to be read: a cache of a remote
 * object fetches it in a few large requests rather than one per row group.
 * spans holds n (offset, length) pairs, ascending. */
typedef int (*pq_plan_fn)(void *ctx, const uint64_t *spans, size_t n, rnr_error *err);
void pq_set_plan(pq_file *f, pq_plan_fn plan);
/* Announce the chunks of these columns in every row group to the plan
 * function (merged like pq_prefetch's); nothing without one. */
RNR_WARN_UNUSED int pq_plan_columns(pq_file *f, const size_t *cols, size_t n, rnr_error *err);

/* Whether row group rg's chunk of col may hold a value in [lo, hi] (1 when
 * its statistics cannot tell). */
int pq_chunk_may_overlap_int(const pq_file *f, size_t rg, size_t col, int64_t lo, int64_t hi);
/* The ordinals of the rows whose integer column col (INT32, INT64, or an
 * integral FLOAT/DOUBLE) holds a value in [lo, hi], ascending. Row groups
 * whose min/max exclude the range are not read or decoded (counted in
 * groups_skipped). *rows is malloc'd (NULL when *n is 0). */
RNR_WARN_UNUSED int pq_find_rows_int(pq_file *f, size_t col, int64_t lo, int64_t hi, int64_t **rows,
                                     size_t *n, rnr_error *err);

/* Decode one column chunk of one row group. Free with pq_column_clear. */
RNR_WARN_UNUSED int pq_read_column(pq_file *f, size_t rg, size_t col, pq_column *out,
                                   rnr_error *err);
void pq_column_clear(pq_column *c);

/* The writer (parquet_write.c): optional INT64, DOUBLE and BYTE_ARRAY
 * columns, PLAIN, one data page v1 per chunk, UNCOMPRESSED or ZSTD. */
typedef struct pq_writer pq_writer;
typedef struct pq_wcol {
    const char *name;
    int type;      /* PQ_INT64, PQ_DOUBLE or PQ_BYTE_ARRAY */
    int is_string; /* BYTE_ARRAY annotated as a UTF-8 string */
} pq_wcol;
/* One column of a row group: valid may be NULL (no nulls); i, d or
 * off/data by type, like pq_column. */
typedef struct pq_wdata {
    const uint8_t *valid;
    const int64_t *i;
    const double *d;
    const size_t *off;
    const uint8_t *data;
} pq_wdata;
RNR_WARN_UNUSED int pq_writer_open(const char *path, const pq_wcol *cols, size_t ncols, int zstd,
                                   pq_writer **out, rnr_error *err);
RNR_WARN_UNUSED int pq_writer_set_metadata(pq_writer *w, const char *key, const char *value);
RNR_WARN_UNUSED int pq_writer_write_group(pq_writer *w, size_t nrows, const pq_wdata *cols,
                                          rnr_error *err);
/* Footer, close, rename into place; frees w whatever happens. */
RNR_WARN_UNUSED int pq_writer_close(pq_writer *w, rnr_error *err);
/* Drop an unfinished file; frees w. */
void pq_writer_abort(pq_writer *w);

#endif
