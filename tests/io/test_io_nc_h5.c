/* test_io_nc_h5.c - an output read from memory: rnr's own layout (and
 * t-route's file) straight through HDF5, equal field by field to netCDF-C's
 * read of the same bytes; files in another layout (classic format, a
 * double field, an unlimited time, a string attribute, transposed
 * dimensions, not netCDF at all) fall back to netCDF-C and read as it
 * reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileutil.h"
#include "core/timeutil.h"
#include "io/nc_output.h"
#include "testutil.h"

enum { NSEG = 3, NT = 4 };

static const int64_t FIDS[NSEG] = {1001, 1002, 9007199254740993LL};

static char *slurp(const char *path, size_t *len)
{
    char *buf;
    rnr_error e;
    assert_int_equal(file_read_all(path, &buf, len, &e), RNR_OK);
    return buf;
}

static void flows(float *q)
{
    for (int i = 0; i < NSEG * NT; i++)
        q[i] = 0.1f * (float)(i * i) + 3.3f;
    q[5] = -9999.0f; /* a fill value stays as stored */
}

/* Every field the flow-only read fills, equal in a and b. */
static void assert_tables_equal(const nc_table *a, const nc_table *b)
{
    assert_int_equal(a->nseg, b->nseg);
    assert_int_equal(a->ntime, b->ntime);
    assert_memory_equal(a->feature_ids, b->feature_ids, a->nseg * sizeof *a->feature_ids);
    assert_memory_equal(a->times, b->times, a->ntime * sizeof *a->times);
    assert_memory_equal(a->flow, b->flow, a->nseg * a->ntime * sizeof(float));
    assert_int_equal(a->reference_time, b->reference_time);
    assert_string_equal(a->file_reference_time, b->file_reference_time);
    assert_string_equal(a->title, b->title);
    assert_string_equal(a->code_version, b->code_version);
    assert_string_equal(a->max_status, b->max_status);
    assert_int_equal(a->stream_order, b->stream_order);
    assert_string_equal(a->rfc_location, b->rfc_location);
    assert_int_equal(a->rfc_reach_id, b->rfc_reach_id);
    assert_int_equal(a->hf_id, b->hf_id);
    assert_string_equal(a->state, b->state);
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->trace_id, b->trace_id);
}

/* Read path's bytes both ways (flow only); returns the direct-or-not
 * table after checking it equals netCDF-C's. */
static nc_table *read_both(const char *path)
{
    size_t len;
    char *buf = slurp(path, &len);
    nc_table *t, *n;
    rnr_error e;
    assert_int_equal(nc_output_read_mem(path, buf, len, NC_OUTPUT_READ_FLOW, &t, &e), RNR_OK);
    assert_int_equal(
        nc_output_read_mem(path, buf, len, NC_OUTPUT_READ_FLOW | NC_OUTPUT_READ_NETCDF, &n, &e),
        RNR_OK);
    free(buf);
    assert_int_equal(n->read_direct, 0);
    assert_tables_equal(t, n);
    assert_null(t->velocity);
    assert_null(t->depth);
    assert_int_equal(t->n_fcst, 0);
    nc_table_free(n);
    return t;
}

static void test_rnr_layout_is_read_direct(void **state)
{
    (void)state;
    char *dir = tu_tempdir("nc_h5");
    char path[700];
    snprintf(path, sizeof path, "%s/out.nc", dir);
    double ts[NT] = {3600, 7200, 10800, 14400};
    float q[NSEG * NT], v[NSEG * NT] = {0}, h[NSEG * NT] = {0};
    flows(q);
    nc_meta m = {time_from_civil(2026, 3, 14, 6, 0, 0),
                 "moderate",
                 4,
                 "AMAT2",
                 91000007,
                 1001,
                 "TX",
                 "Amarillo Creek",
                 NULL,
                 "0af7651916cd43dd8448eb211c80319c"};
    rnr_error e;
    assert_int_equal(nc_output_write(path, FIDS, NSEG, ts, NT, q, v, h, &m, &e), RNR_OK);
    nc_table *t = read_both(path);
    assert_int_equal(t->read_direct, 1);
    assert_memory_equal(t->flow, q, sizeof q);
    assert_int_equal(t->feature_ids[2], FIDS[2]);
    assert_int_equal(t->times[0], m.reference_time + 3600);
    assert_string_equal(t->rfc_location, "AMAT2");
    assert_string_equal(t->code_version, "");
    assert_string_equal(t->trace_id, "0af7651916cd43dd8448eb211c80319c");
    /* the whole read by path agrees on what both read */
    nc_table *all;
    assert_int_equal(nc_output_read(path, &all, &e), RNR_OK);
    assert_tables_equal(t, all);
    nc_table_free(all);
    nc_table_free(t);
    tu_rmrf(dir);
    free(dir);
}

static void test_troute_file_reads_the_same(void **state)
{
    (void)state;
    const char *ref = getenv("RNR_REFERENCE_DIR");
    if (!ref)
        fail_msg("missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference "
                 "by cmake)");
    char path[700];
    snprintf(path, sizeof path, "%s/troute-output/troute_output_202505060600.nc", ref);
    nc_table *t = read_both(path);
    /* t-route's netCDF4-python file uses the same encoding */
    assert_int_equal(t->read_direct, 1);
    assert_int_equal(t->nseg, 22);
    nc_table_free(t);
}

/* Another program's output: the shape of ours with one thing changed. */
typedef struct variant {
    int cmode;         /* NC_NETCDF4, or a classic format */
    nc_type flow_type; /* NC_FLOAT in rnr's */
    int time_unlimited;
    int string_attr; /* rfc_location as NC_STRING */
    int transposed;  /* flow[time, feature_id] with as many times as segments */
} variant;

#define NC_OK(call) assert_int_equal((call), NC_NOERR)

static void put_text(int id, const char *name, const char *v)
{
    NC_OK(nc_put_att_text(id, NC_GLOBAL, name, strlen(v), v));
}

static void write_variant(const char *path, const variant *w)
{
    int id, dseg, dt, vt, vf, vq;
    size_t nt = w->transposed ? NSEG : NT;
    NC_OK(nc_create(path, w->cmode | NC_CLOBBER, &id));
    NC_OK(nc_def_dim(id, "feature_id", NSEG, &dseg));
    NC_OK(nc_def_dim(id, "time", w->time_unlimited ? NC_UNLIMITED : nt, &dt));
    NC_OK(nc_def_var(id, "time", NC_DOUBLE, 1, &dt, &vt));
    const char *units = "seconds since 2026-03-14 06:00:00";
    NC_OK(nc_put_att_text(id, vt, "units", strlen(units), units));
    int classic = !(w->cmode & NC_NETCDF4) || (w->cmode & NC_CLASSIC_MODEL);
    NC_OK(nc_def_var(id, "feature_id", classic ? NC_INT : NC_INT64, 1, &dseg, &vf));
    int dims[2] = {w->transposed ? dt : dseg, w->transposed ? dseg : dt};
    NC_OK(nc_def_var(id, "flow", w->flow_type, 2, dims, &vq));
    put_text(id, "file_reference_time", "2026-03-14_06:00:00");
    put_text(id, "max_status", "minor");
    if (w->string_attr) {
        const char *lid = "AMAT2";
        NC_OK(nc_put_att_string(id, NC_GLOBAL, "rfc_location", 1, &lid));
    } else {
        put_text(id, "rfc_location", "AMAT2");
    }
    int so = 3;
    NC_OK(nc_put_att_int(id, NC_GLOBAL, "stream_order", NC_INT, 1, &so));
    NC_OK(nc_enddef(id));
    double ts[NT] = {3600, 7200, 10800, 14400};
    size_t start[2] = {0, 0}, count[2] = {w->transposed ? nt : NSEG, w->transposed ? NSEG : nt};
    NC_OK(nc_put_vara_double(id, vt, start, &nt, ts));
    long long ids[NSEG] = {1001, 1002, 1003};
    NC_OK(nc_put_var_longlong(id, vf, ids));
    float q[NSEG * NT];
    flows(q);
    NC_OK(nc_put_vara_float(id, vq, start, count, q));
    NC_OK(nc_close(id));
}

static void test_other_layouts_fall_back(void **state)
{
    (void)state;
    static const variant vs[] = {
        {NC_64BIT_OFFSET, NC_FLOAT, 0, 0, 0},
        {NC_NETCDF4, NC_DOUBLE, 0, 0, 0},
        {NC_NETCDF4, NC_FLOAT, 1, 0, 0},
        {NC_NETCDF4, NC_FLOAT, 0, 1, 0},
        {NC_NETCDF4 | NC_CLASSIC_MODEL, NC_FLOAT, 0, 0, 0},
    };
    char *dir = tu_tempdir("nc_h5");
    char path[700];
    snprintf(path, sizeof path, "%s/other.nc", dir);
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
        write_variant(path, &vs[i]);
        nc_table *t = read_both(path);
        /* (a classic-model netCDF-4 file keeps the encoding, but its
         * feature_id is an int: refused by type, read by netCDF-C) */
        assert_int_equal(t->read_direct, 0);
        assert_int_equal(t->nseg, NSEG);
        assert_int_equal(t->feature_ids[2], 1003);
        assert_string_equal(t->rfc_location, "AMAT2");
        assert_int_equal(t->stream_order, 3);
        float q[NSEG * NT];
        flows(q);
        assert_memory_equal(t->flow, q, sizeof q);
        nc_table_free(t);
    }
    tu_rmrf(dir);
    free(dir);
}

static void test_bad_files_fail_as_netcdf_says(void **state)
{
    (void)state;
    char *dir = tu_tempdir("nc_h5");
    char path[700];
    snprintf(path, sizeof path, "%s/bad.nc", dir);
    /* flow[time, feature_id] of the right sizes: netCDF-C names the fault */
    variant w = {NC_NETCDF4, NC_FLOAT, 0, 0, 1};
    write_variant(path, &w);
    size_t len;
    char *buf = slurp(path, &len);
    nc_table *t;
    rnr_error e;
    assert_int_equal(nc_output_read_mem("bad.nc", buf, len, NC_OUTPUT_READ_FLOW, &t, &e),
                     RNR_ERR_PARSE);
    assert_null(t);
    assert_non_null(strstr(e.msg, "bad.nc: variable flow is not [feature_id, time]"));
    free(buf);
    /* not netCDF at all; and an HDF5 signature on a truncated file */
    assert_int_equal(nc_output_read_mem("junk.nc", "not netcdf", 10, NC_OUTPUT_READ_FLOW, &t, &e),
                     RNR_ERR_IO);
    assert_non_null(strstr(e.msg, "junk.nc: cannot open"));
    char trunc[100] = "\x89HDF\r\n\x1a\n";
    assert_int_equal(nc_output_read_mem("cut.nc", trunc, sizeof trunc, NC_OUTPUT_READ_FLOW, &t, &e),
                     RNR_ERR_IO);
    assert_non_null(strstr(e.msg, "cut.nc: cannot open"));
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rnr_layout_is_read_direct),
        cmocka_unit_test(test_troute_file_reads_the_same),
        cmocka_unit_test(test_other_layouts_fall_back),
        cmocka_unit_test(test_bad_files_fail_as_netcdf_says),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
