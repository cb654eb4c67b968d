/* nc_h5.c - rnr's output image read straight through HDF5 (see header).
 *
 * Every call checks the HDF5 encoding it relies on and answers
 * RNR_ERR_UNSUPPORTED at the first thing it does not recognise; the
 * reader (nc_output.c) then starts over through netCDF-C, so a file this
 * module misreads would have to pass every check here and differ in
 * meaning, which the netCDF-4 encoding does not allow. */
#include "io/nc_h5.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

/* H5Oget_info2's record: H5O_info_t in 1.10, kept as H5O_info1_t
 * (with the object's address) from 1.12 on. */
#if H5_VERSION_GE(1, 12, 0)
typedef H5O_info1_t nc_h5_oinfo;
#else
typedef H5O_info_t nc_h5_oinfo;
#endif

/* Datasets opened once per file: every call asks for one of a few (time,
 * feature_id, flow), and opening one parses its object header again. */
#define NC_H5_OPEN_MAX 4

struct nc_h5 {
    hid_t file;
    hid_t root; /* the root group: the global attributes */
    struct {
        const char *name; /* a caller's literal */
        hid_t id;
    } ds[NC_H5_OPEN_MAX];
    int nds;
    H5E_auto2_t saved_func; /* HDF5's error printer, restored at close */
    void *saved_data;
};

static const unsigned char HDF5_SIGNATURE[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

int nc_h5_open(const void *data, size_t len, nc_h5 **out)
{
    *out = NULL;
    /* netCDF-C writes the superblock at offset 0; a file with a user
     * block (or a classic file) goes to netCDF-C without HDF5 trying. */
    if (!data || len < 64 || memcmp(data, HDF5_SIGNATURE, sizeof HDF5_SIGNATURE) != 0)
        return RNR_ERR_UNSUPPORTED;
    nc_h5 *h = calloc(1, sizeof *h);
    if (!h)
        return RNR_ERR_NOMEM;
    /* A failed probe is an answer here, not a message for stderr. */
    H5Eget_auto2(H5E_DEFAULT, &h->saved_func, &h->saved_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* the core driver on a copy of the image: no file is opened */
    if (fapl >= 0 && H5Pset_fapl_core(fapl, 64 * 1024, 0) >= 0 &&
        H5Pset_file_image(fapl, (void *)(uintptr_t)data, len) >= 0)
        h->file = H5Fopen("rnr-output-image", H5F_ACC_RDONLY, fapl);
    else
        h->file = H5I_INVALID_HID;
    if (fapl >= 0)
        H5Pclose(fapl);
    h->root = h->file >= 0 ? H5Gopen2(h->file, "/", H5P_DEFAULT) : H5I_INVALID_HID;
    if (h->file < 0 || h->root < 0) {
        nc_h5_close(h);
        return RNR_ERR_UNSUPPORTED;
    }
    *out = h;
    return RNR_OK;
}

void nc_h5_close(nc_h5 *h)
{
    if (!h)
        return;
    for (int i = 0; i < h->nds; i++)
        if (h->ds[i].id >= 0)
            H5Dclose(h->ds[i].id);
    if (h->root >= 0)
        H5Gclose(h->root);
    if (h->file >= 0)
        H5Fclose(h->file);
    H5Eset_auto2(H5E_DEFAULT, h->saved_func, h->saved_data);
    free(h);
}

/* Dataset name of the root group, opened on first use (-1: none). */
static hid_t dataset(nc_h5 *h, const char *name)
{
    for (int i = 0; i < h->nds; i++)
        if (strcmp(h->ds[i].name, name) == 0)
            return h->ds[i].id;
    hid_t d = H5Dopen2(h->file, name, H5P_DEFAULT);
    if (h->nds < NC_H5_OPEN_MAX) {
        h->ds[h->nds].name = name;
        h->ds[h->nds++].id = d;
    } else if (d >= 0) { /* not expected: only a few names are asked for */
        H5Dclose(d);
        d = H5I_INVALID_HID;
    }
    return d;
}

/* The extent of an open dataset or attribute's space: rank and dims. */
static int space_dims(hid_t space, int rank, hsize_t *dims, hsize_t *maxdims)
{
    if (space < 0 || H5Sget_simple_extent_type(space) != H5S_SIMPLE ||
        H5Sget_simple_extent_ndims(space) != rank)
        return -1;
    return H5Sget_simple_extent_dims(space, dims, maxdims) == rank ? 0 : -1;
}

/* Dataset name of type class cls and size bytes (and sign for integers),
 * rank-D: its id and dims, or -1. */
static hid_t open_typed(nc_h5 *h, const char *name, H5T_class_t cls, size_t size, int rank,
                        hsize_t *dims, hsize_t *maxdims)
{
    hid_t d = dataset(h, name);
    if (d < 0)
        return -1;
    hid_t t = H5Dget_type(d), s = H5Dget_space(d);
    int ok = t >= 0 && H5Tget_class(t) == cls && H5Tget_size(t) == size &&
             (cls != H5T_INTEGER || H5Tget_sign(t) == H5T_SGN_2) &&
             space_dims(s, rank, dims, maxdims) == 0;
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    return ok ? d : -1;
}

int nc_h5_dim(nc_h5 *h, const char *name, size_t *len)
{
    hid_t d = dataset(h, name);
    if (d < 0)
        return RNR_ERR_UNSUPPORTED;
    hsize_t dims[1], maxdims[1];
    hid_t s = H5Dget_space(d);
    /* a fixed extent: an unlimited netCDF dimension's length is the
     * longest of its variables, not this dataset's */
    int ok = space_dims(s, 1, dims, maxdims) == 0 && maxdims[0] == dims[0];
    if (s >= 0)
        H5Sclose(s);
    if (!ok)
        return RNR_ERR_UNSUPPORTED;
    *len = (size_t)dims[0];
    return RNR_OK;
}

/* Attribute name of the open object loc: its id, or NOTFOUND /
 * UNSUPPORTED in *rc. */
static hid_t open_attr(hid_t loc, const char *name, int *rc)
{
    htri_t e = loc >= 0 ? H5Aexists(loc, name) : -1;
    *rc = e > 0 ? RNR_OK : e == 0 ? RNR_ERR_NOTFOUND : RNR_ERR_UNSUPPORTED;
    if (e <= 0)
        return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        *rc = RNR_ERR_UNSUPPORTED;
    return a;
}

/* netCDF-C stores an NC_CHAR attribute of len bytes as a scalar
 * fixed-length string of size len, and an empty one as a null space. */
static int read_text(hid_t a, char *buf, size_t n)
{
    hid_t t = H5Aget_type(a), s = H5Aget_space(a);
    int rc = RNR_ERR_UNSUPPORTED;
    if (t >= 0 && s >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0) {
        H5S_class_t sc = H5Sget_simple_extent_type(s);
        size_t size = H5Tget_size(t);
        if (sc == H5S_NULL) {
            buf[0] = '\0';
            rc = RNR_OK;
        } else if (sc == H5S_SCALAR && size < n && H5Aread(a, t, buf) >= 0) {
            buf[size] = '\0';
            rc = RNR_OK;
        }
    }
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    return rc;
}

int nc_h5_text(nc_h5 *h, const char *var, const char *name, char *buf, size_t n)
{
    buf[0] = '\0';
    int rc;
    hid_t a = open_attr(var ? dataset(h, var) : h->root, name, &rc);
    if (a < 0)
        return rc;
    rc = read_text(a, buf, n);
    H5Aclose(a);
    if (rc != RNR_OK)
        buf[0] = '\0';
    return rc;
}

int nc_h5_int(nc_h5 *h, const char *name, int64_t *v)
{
    int rc;
    hid_t a = open_attr(h->root, name, &rc);
    if (a < 0)
        return rc;
    hid_t t = H5Aget_type(a), s = H5Aget_space(a);
    long long x = 0;
    rc = RNR_ERR_UNSUPPORTED;
    if (t >= 0 && s >= 0 && H5Tget_class(t) == H5T_INTEGER &&
        (H5Tget_sign(t) == H5T_SGN_2 || H5Tget_size(t) < 8) &&
        H5Sget_simple_extent_npoints(s) == 1 && H5Aread(a, H5T_NATIVE_LLONG, &x) >= 0) {
        *v = x;
        rc = RNR_OK;
    }
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    H5Aclose(a);
    return rc;
}

static int read_1d(nc_h5 *h, const char *name, H5T_class_t cls, hid_t mem, size_t n, void *out)
{
    hsize_t dims[1], maxdims[1];
    hid_t d = open_typed(h, name, cls, 8, 1, dims, maxdims);
    if (d < 0)
        return RNR_ERR_UNSUPPORTED;
    int ok = dims[0] == n && H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0;
    return ok ? RNR_OK : RNR_ERR_UNSUPPORTED;
}

int nc_h5_read_f64(nc_h5 *h, const char *name, size_t n, double *out)
{
    return read_1d(h, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, n, out);
}

int nc_h5_read_i64(nc_h5 *h, const char *name, size_t n, int64_t *out)
{
    return read_1d(h, name, H5T_INTEGER, H5T_NATIVE_INT64, n, out);
}

/* Whether ref (an object reference) is the root group's dataset name:
 * old-style object references hold the object header's address. */
static int ref_is(nc_h5 *h, const hvl_t *v, const char *name)
{
    nc_h5_oinfo info;
    hid_t d = dataset(h, name);
    if (v->len != 1 || !v->p || d < 0 || H5Oget_info2(d, &info, H5O_INFO_BASIC) < 0)
        return 0;
    return *(const hobj_ref_t *)v->p == info.addr;
}

/* Dataset d's DIMENSION_LIST names row_dim then col_dim. */
static int dims_are(nc_h5 *h, hid_t d, const char *row_dim, const char *col_dim)
{
    hid_t at = H5Aexists(d, "DIMENSION_LIST") > 0 ? H5Aopen(d, "DIMENSION_LIST", H5P_DEFAULT) : -1;
    if (at < 0)
        return 0;
    hid_t vt = H5Tvlen_create(H5T_STD_REF_OBJ), s = H5Aget_space(at);
    hvl_t v[2] = {{0, NULL}, {0, NULL}};
    int ok = vt >= 0 && s >= 0 && H5Sget_simple_extent_npoints(s) == 2 && H5Aread(at, vt, v) >= 0;
    if (ok)
        ok = ref_is(h, &v[0], row_dim) && ref_is(h, &v[1], col_dim);
    if (vt >= 0 && s >= 0)
        H5Dvlen_reclaim(vt, s, H5P_DEFAULT, v);
    if (vt >= 0)
        H5Tclose(vt);
    if (s >= 0)
        H5Sclose(s);
    H5Aclose(at);
    return ok;
}

int nc_h5_read_field(nc_h5 *h, const char *name, const char *row_dim, const char *col_dim,
                     size_t rows, size_t cols, float *out)
{
    hsize_t dims[2], maxdims[2];
    hid_t d = open_typed(h, name, H5T_FLOAT, 4, 2, dims, maxdims);
    if (d < 0)
        return RNR_ERR_UNSUPPORTED;
    int ok = dims[0] == rows && dims[1] == cols && dims_are(h, d, row_dim, col_dim) &&
             H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0;
    return ok ? RNR_OK : RNR_ERR_UNSUPPORTED;
}
