/* nc_h5.h - an output image read straight through HDF5, for the layout
 * rnr writes (nc_output.h), skipping netCDF-C's open.
 *
 * netCDF-C's open walks every object of the file and every attribute of
 * every variable, and matches each variable's dimension scales, before a
 * reader asks for anything: about 0.6 ms of a 0.8 ms read of one 22 x 96
 * output. These calls open the HDF5 image and read only the datasets and
 * attributes asked for, ~0.1 ms. They understand only the netCDF-4
 * encoding rnr's writer produces (coordinate variables as 1-D dimension
 * scales of fixed extent, text attributes as fixed-length strings, the
 * 2-D fields' DIMENSION_LIST naming those scales); anything else answers
 * RNR_ERR_UNSUPPORTED, and the caller reads the file through netCDF-C,
 * which stays the judge of every other file. No call sets an rnr_error:
 * a code is all a caller needs to fall back. */
#ifndef RNR_IO_NC_H5_H
#define RNR_IO_NC_H5_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct nc_h5 nc_h5;

/* Open the image (data is copied by HDF5 and not kept). RNR_OK,
 * RNR_ERR_UNSUPPORTED when it is not an HDF5 file, RNR_ERR_NOMEM. */
int nc_h5_open(const void *data, size_t len, nc_h5 **out) RNR_WARN_UNUSED;
void nc_h5_close(nc_h5 *h);

/* The length of the root group's 1-D dataset name of fixed extent (a
 * netCDF coordinate variable, whose extent is its dimension's length). */
int nc_h5_dim(nc_h5 *h, const char *name, size_t *len) RNR_WARN_UNUSED;

/* Text attribute name of variable var (NULL: the file's global one) into
 * buf, NUL-terminated. RNR_OK, RNR_ERR_NOTFOUND when absent,
 * RNR_ERR_UNSUPPORTED when it is not a fixed-length string shorter than n
 * bytes (netCDF's NC_CHAR), or on any HDF5 failure. */
int nc_h5_text(nc_h5 *h, const char *var, const char *name, char *buf, size_t n) RNR_WARN_UNUSED;

/* Global integer attribute name holding one value. RNR_OK,
 * RNR_ERR_NOTFOUND when absent, RNR_ERR_UNSUPPORTED when it is not one
 * signed integer (or an unsigned one narrower than 64 bits). */
int nc_h5_int(nc_h5 *h, const char *name, int64_t *v) RNR_WARN_UNUSED;

/* The n values of 1-D dataset name: 8-byte IEEE floats, 8-byte signed
 * integers. RNR_ERR_UNSUPPORTED for another type or length. */
int nc_h5_read_f64(nc_h5 *h, const char *name, size_t n, double *out) RNR_WARN_UNUSED;
int nc_h5_read_i64(nc_h5 *h, const char *name, size_t n, int64_t *out) RNR_WARN_UNUSED;

/* The 2-D float field name [rows, cols] of 4-byte IEEE floats, whose
 * DIMENSION_LIST names the datasets row_dim and col_dim in that order (a
 * netCDF variable on those two dimensions). RNR_ERR_UNSUPPORTED
 * otherwise. */
int nc_h5_read_field(nc_h5 *h, const char *name, const char *row_dim, const char *col_dim,
                     size_t rows, size_t cols, float *out) RNR_WARN_UNUSED;

#endif
