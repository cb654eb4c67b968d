/* test_io_nc_output.c - t-route NetCDF output: structure equal to t-route's
 * file, bit-exact round trip, reading t-route's file, atomic writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/timeutil.h"
#include "io/nc_output.h"

#include <dirent.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *REF_NAME = "troute-output/troute_output_202505060600.nc";

/* A fresh directory under /tmp, removed by rm_dir. */
static void make_dir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/rnr_io_nc_XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

/* 3 segments x 4 times with awkward float values. */
typedef struct sample {
    int64_t fids[3];
    double t[4];
    float q[12], v[12], h[12];
    nc_meta meta;
} sample;

static void sample_init(sample *s)
{
    int64_t f[3] = {800137, 800138, 9007199254740993LL};
    memcpy(s->fids, f, sizeof f);
    for (int k = 0; k < 4; k++)
        s->t[k] = 3600.0 * (k + 1);
    for (int i = 0; i < 12; i++) {
        s->q[i] = 832.5153f + (float)i / 3.0f;
        s->v[i] = 0.6957914f * (float)(i + 1) / 7.0f;
        s->h[i] = 1e-7f + (float)i * 1.1f;
    }
    s->q[5] = 1234.567f; /* peak: segment 1, time 1 */
    s->q[9] = 1234.567f; /* tie later in (segment, time) order */
    nc_meta m = {1746511200, "major", 4, "AMAT2", 5671176, 800137, "TX", "Canadian River, \"N\"",
                 "rnr 0.1",  NULL};
    s->meta = m;
}

/* Inf or NaN in any field is refused and leaves no file behind. */
static void test_refuses_non_finite(void **state)
{
    (void)state;
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/troute_output_202505060600.nc", dir);
    sample s;
    rnr_error e;
    float bad[3] = {INFINITY, -INFINITY, NAN};
    for (int f = 0; f < 3; f++) {
        for (int b = 0; b < 3; b++) {
            sample_init(&s);
            float *field = f == 0 ? s.q : f == 1 ? s.v : s.h;
            field[6] = bad[b]; /* segment 1 (800138), time 2 */
            assert_int_equal(nc_output_write(path, s.fids, 3, s.t, 4, s.q, s.v, s.h, &s.meta, &e),
                             RNR_ERR_INVALID);
            assert_non_null(strstr(e.msg, "feature 800138 at time 2"));
            assert_non_null(strstr(e.msg, "non-finite"));
            assert_int_equal(access(path, F_OK), -1);
        }
    }
    DIR *d = opendir(dir);
    assert_non_null(d);
    int entries = 0;
    for (struct dirent *de; (de = readdir(d));)
        entries += de->d_name[0] != '.';
    closedir(d);
    assert_int_equal(entries, 0); /* no temporary file either */
    rm_dir(dir);
}

static void test_name(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(nc_output_name(1746511200, buf, sizeof buf), 0);
    assert_string_equal(buf, "troute_output_202505060600.nc");
    assert_int_equal(nc_output_name(1746511200, buf, 10), -1);
}

static void test_round_trip(void **state)
{
    (void)state;
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/troute_output_202505060600.nc", dir);
    sample s;
    sample_init(&s);
    rnr_error e;
    assert_int_equal(nc_output_write(path, s.fids, 3, s.t, 4, s.q, s.v, s.h, &s.meta, &e), RNR_OK);
    assert_int_equal(count_entries(dir), 1);
    nc_table *t;
    assert_int_equal(nc_output_read(path, &t, &e), RNR_OK);
    assert_int_equal(t->nseg, 3);
    assert_int_equal(t->ntime, 4);
    for (int i = 0; i < 3; i++)
        assert_true(t->feature_ids[i] == s.fids[i]);
    for (int k = 0; k < 4; k++)
        assert_int_equal(t->times[k], 1746511200 + 3600 * (k + 1));
    assert_memory_equal(t->flow, s.q, sizeof s.q);
    assert_memory_equal(t->velocity, s.v, sizeof s.v);
    assert_memory_equal(t->depth, s.h, sizeof s.h);
    assert_int_equal(t->reference_time, 1746511200);
    assert_string_equal(t->file_reference_time, "2025-05-06_06:00:00");
    assert_string_equal(t->title, "OUTPUT FROM T-ROUTE");
    assert_string_equal(t->code_version, "rnr 0.1");
    assert_string_equal(t->max_status, "major");
    assert_int_equal(t->stream_order, 4);
    assert_string_equal(t->rfc_location, "AMAT2");
    assert_int_equal(t->rfc_reach_id, 5671176);
    assert_int_equal(t->hf_id, 800137);
    assert_string_equal(t->state, "TX");
    assert_string_equal(t->name, "Canadian River, \"N\"");
    assert_string_equal(t->trace_id, ""); /* none given, none written */
    size_t k = 99;
    assert_int_equal(nc_table_peak(t, &k), RNR_OK);
    assert_int_equal(k, 1);
    nc_table_free(t);
    rm_dir(dir);
}

/* The trace of the message that made the file is a global attribute; an
 * over-long one in a file from elsewhere leaves it "", the file readable. */
static void test_trace_id_attribute(void **state)
{
    (void)state;
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/troute_output_202505060600.nc", dir);
    sample s;
    sample_init(&s);
    s.meta.trace_id = "Root=1-6747a0c0-0123456789abcdef01234567";
    rnr_error e;
    assert_int_equal(nc_output_write(path, s.fids, 3, s.t, 4, s.q, s.v, s.h, &s.meta, &e), RNR_OK);
    nc_table *t;
    assert_int_equal(nc_output_read(path, &t, &e), RNR_OK);
    assert_string_equal(t->trace_id, "Root=1-6747a0c0-0123456789abcdef01234567");
    assert_string_equal(t->name, "Canadian River, \"N\"");
    nc_table_free(t);
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    s.meta.trace_id = big;
    assert_int_equal(nc_output_write(path, s.fids, 3, s.t, 4, s.q, s.v, s.h, &s.meta, &e), RNR_OK);
    assert_int_equal(nc_output_read(path, &t, &e), RNR_OK);
    assert_string_equal(t->trace_id, "");
    assert_int_equal(t->nseg, 3);
    nc_table_free(t);
    rm_dir(dir);
}

static void test_nudge_and_type(void **state)
{
    (void)state;
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.nc", dir);
    sample s;
    sample_init(&s);
    s.meta.code_version = NULL;
    s.meta.state = NULL;
    rnr_error e;
    assert_int_equal(nc_output_write(path, s.fids, 3, s.t, 4, s.q, s.v, s.h, &s.meta, &e), RNR_OK);
    int nc, var;
    assert_int_equal(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, "nudge", &var), NC_NOERR);
    float nudge[12];
    assert_int_equal(nc_get_var_float(nc, var, nudge), NC_NOERR);
    for (int i = 0; i < 12; i++)
        assert_true(nudge[i] == -9999.0f);
    assert_int_equal(nc_inq_varid(nc, "type", &var), NC_NOERR);
    char *types[3];
    assert_int_equal(nc_get_var_string(nc, var, types), NC_NOERR);
    for (int i = 0; i < 3; i++)
        assert_string_equal(types[i], "wb");
    nc_free_string(3, types);
    size_t len = 99;
    assert_int_equal(nc_inq_attlen(nc, NC_GLOBAL, "code_version", &len), NC_NOERR);
    assert_int_equal(len, 0);
    nc_close(nc);
    nc_table *t;
    assert_int_equal(nc_output_read(path, &t, &e), RNR_OK);
    assert_string_equal(t->state, "");
    nc_table_free(t);
    rm_dir(dir);
}

static void test_no_temp_left(void **state)
{
    (void)state;
    char dir[64], path[160];
    make_dir(dir, sizeof dir);
    sample s;
    sample_init(&s);
    rnr_error e;
    /* Unwritable directory (skip the permission part when running as root). */
    if (geteuid() != 0) {
        assert_int_equal(chmod(dir, 0500), 0);
        snprintf(path, sizeof path, "%s/out.nc", dir);
        assert_int_equal(nc_output_write(path, s.fids, 3, s.t, 4, s.q, s.v, s.h, &s.meta, &e),
                         RNR_ERR_IO);
        assert_non_null(strstr(e.msg, path));
        assert_int_equal(chmod(dir, 0700), 0);
        assert_int_equal(count_entries(dir), 0);
    }
    /* A directory nobody may create files in, root included. */
    assert_int_equal(nc_output_write("/proc/troute_output_202505060600.nc", s.fids, 3, s.t, 4, s.q,
                                     s.v, s.h, &s.meta, &e),
                     RNR_ERR_IO);
    assert_non_null(strstr(e.msg, "temporary"));
    /* Missing directory. */
    snprintf(path, sizeof path, "%s/missing/out.nc", dir);
    assert_int_equal(nc_output_write(path, s.fids, 3, s.t, 4, s.q, s.v, s.h, &s.meta, &e),
                     RNR_ERR_IO);
    /* Failure after the temporary exists: the target is a directory. */
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    char target[200];
    snprintf(target, sizeof target, "%s/x.nc", path);
    assert_int_equal(mkdir(target, 0700), 0);
    assert_int_equal(nc_output_write(target, s.fids, 3, s.t, 4, s.q, s.v, s.h, &s.meta, &e),
                     RNR_ERR_IO);
    assert_int_equal(count_entries(path), 1);
    rmdir(target);
    /* Bad arguments never create anything. */
    assert_int_equal(nc_output_write(target, s.fids, 0, s.t, 4, s.q, s.v, s.h, &s.meta, &e),
                     RNR_ERR_INVALID);
    s.t[2] = NAN;
    assert_int_equal(nc_output_write(target, s.fids, 3, s.t, 4, s.q, s.v, s.h, &s.meta, &e),
                     RNR_ERR_INVALID);
    assert_non_null(strstr(e.msg, "time[2]"));
    assert_int_equal(count_entries(path), 0);
    rm_dir(path);
    assert_int_equal(count_entries(dir), 0);
    rm_dir(dir);
}

static void test_read_errors(void **state)
{
    (void)state;
    nc_table *t = (nc_table *)1;
    rnr_error e;
    assert_int_equal(nc_output_read("/nonexistent/troute_output_x.nc", &t, &e), RNR_ERR_NOTFOUND);
    assert_null(t);
    assert_non_null(strstr(e.msg, "/nonexistent/troute_output_x.nc"));
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/bad.nc", dir);
    FILE *f = fopen(path, "w");
    fputs("not a netcdf file", f);
    fclose(f);
    assert_int_equal(nc_output_read(path, &t, &e), RNR_ERR_IO);
    /* A netCDF file without the time variable. */
    int nc, d;
    assert_int_equal(nc_create(path, NC_CLOBBER | NC_NETCDF4, &nc), NC_NOERR);
    nc_def_dim(nc, "feature_id", 1, &d);
    nc_def_dim(nc, "time", 1, &d);
    nc_close(nc);
    assert_int_equal(nc_output_read(path, &t, &e), RNR_ERR_PARSE);
    assert_non_null(strstr(e.msg, "time"));
    rm_dir(dir);
}

/* Write a minimal file by hand: 1 segment, 2 times, given time units and
 * values, and a stream_order/name of the given netCDF types. */
static void hand_file(const char *path, const char *units, double t1, int string_attrs)
{
    int nc, ds, dt, vt, vf, vq[3];
    assert_int_equal(nc_create(path, NC_CLOBBER | NC_NETCDF4, &nc), NC_NOERR);
    nc_def_dim(nc, "feature_id", 1, &ds);
    nc_def_dim(nc, "time", 2, &dt);
    nc_def_var(nc, "time", NC_DOUBLE, 1, &dt, &vt);
    nc_def_var(nc, "feature_id", NC_INT, 1, &ds, &vf);
    int dims[2] = {ds, dt};
    const char *names[3] = {"flow", "velocity", "depth"};
    for (int i = 0; i < 3; i++)
        nc_def_var(nc, names[i], NC_FLOAT, 2, dims, &vq[i]);
    if (string_attrs) {
        const char *u[1] = {units}, *n[1] = {"Canadian River"};
        nc_put_att_string(nc, vt, "units", 1, u);
        nc_put_att_string(nc, NC_GLOBAL, "name", 1, n);
        int so = 5;
        nc_put_att_int(nc, NC_GLOBAL, "stream_order", NC_INT, 1, &so);
    } else {
        nc_put_att_text(nc, vt, "units", strlen(units), units);
        nc_put_att_text(nc, NC_GLOBAL, "stream_order", 1, "5");
    }
    nc_enddef(nc);
    double tv[2] = {0, t1};
    int fid = 42;
    float q[2] = {1.5f, 2.5f};
    nc_put_var_double(nc, vt, tv);
    nc_put_var_int(nc, vf, &fid);
    for (int i = 0; i < 3; i++)
        nc_put_var_float(nc, vq[i], q);
    assert_int_equal(nc_close(nc), NC_NOERR);
}

static void test_read_variants(void **state)
{
    (void)state;
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/h.nc", dir);
    nc_table *t;
    rnr_error e;
    /* String-typed attributes (netCDF4-python style), hours, int32 ids. */
    hand_file(path, "hours since 2025-05-06T06:00:00Z", 1.5, 1);
    assert_int_equal(nc_output_read(path, &t, &e), RNR_OK);
    assert_int_equal(t->feature_ids[0], 42);
    assert_int_equal(t->times[0], 1746511200);
    assert_int_equal(t->times[1], 1746511200 + 5400);
    assert_int_equal(t->reference_time, 1746511200); /* from the units */
    assert_string_equal(t->name, "Canadian River");
    assert_int_equal(t->stream_order, 5);
    assert_true(t->flow[1] == 2.5f);
    nc_table_free(t);
    /* A number stored as text is rejected, naming the attribute. */
    hand_file(path, "seconds since 2025-05-06 06:00:00", 3600, 0);
    assert_int_equal(nc_output_read(path, &t, &e), RNR_ERR_PARSE);
    assert_non_null(strstr(e.msg, "stream_order"));
    /* Units that are not "<unit> since <time>", and fill times. */
    hand_file(path, "furlongs since 2025-05-06", 1, 1);
    assert_int_equal(nc_output_read(path, &t, &e), RNR_ERR_PARSE);
    assert_non_null(strstr(e.msg, "furlongs"));
    hand_file(path, "seconds since 2025-05-06 06:00:00", -9999.0, 1);
    assert_int_equal(nc_output_read(path, &t, &e), RNR_ERR_PARSE);
    assert_non_null(strstr(e.msg, "time[1]"));
    rm_dir(dir);
}

static void test_peak_rules(void **state)
{
    (void)state;
    float q[6] = {1, 7, NAN, 7, 9999, -9999};
    int64_t times[3] = {0};
    nc_table t = {0};
    t.nseg = 2;
    t.ntime = 3;
    t.flow = q;
    t.times = times;
    size_t k = 99;
    assert_int_equal(nc_table_peak(&t, &k), RNR_OK);
    assert_int_equal(k, 1); /* 9999 at segment 1, time 1 */
    q[4] = 7;
    assert_int_equal(nc_table_peak(&t, &k), RNR_OK);
    assert_int_equal(k, 1); /* tie 7: first segment wins, its time 1 */
    q[3] = 8;
    assert_int_equal(nc_table_peak(&t, &k), RNR_OK);
    assert_int_equal(k, 0);
    float none[2] = {-9999, NAN};
    t.flow = none;
    t.nseg = 1;
    t.ntime = 2;
    assert_int_equal(nc_table_peak(&t, &k), RNR_ERR_NOTFOUND);
}

/* ---- against t-route's file -------------------------------------------- */

static int ref_path(char *buf, size_t n)
{
    const char *dir = getenv("RNR_REFERENCE_DIR");
    struct stat st;
    if (!dir || stat(dir, &st) != 0)
        return -1;
    snprintf(buf, n, "%s/%s", dir, REF_NAME);
    return 0;
}

static void test_read_reference(void **state)
{
    (void)state;
    char path[512];
    if (ref_path(path, sizeof path)) {
        fail_msg(
            "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)");
    }
    nc_table *t;
    rnr_error e;
    assert_int_equal(nc_output_read(path, &t, &e), RNR_OK);
    assert_int_equal(t->nseg, 22);
    assert_int_equal(t->ntime, 96);
    assert_int_equal(t->feature_ids[0], 800137);
    assert_int_equal(t->feature_ids[21], 800158);
    assert_int_equal(t->reference_time, 1746511200);
    char iso[32];
    time_format_iso(t->times[0], iso, sizeof iso);
    assert_string_equal(iso, "2025-05-06T07:00:00Z");
    assert_int_equal(t->times[95], 1746511200 + 345600);
    assert_true(t->flow[0] == 832.51532f);
    assert_true(t->flow[6] == 826.58783f);
    assert_true(t->flow[95] == 574.852051f);
    assert_true(t->flow[96] == 832.515381f);
    assert_true(t->velocity[0] == 0.695791423f);
    assert_true(t->depth[0] == 9.25549221f);
    assert_true(t->depth[6] == 9.21398067f);
    assert_string_equal(t->title, "OUTPUT FROM T-ROUTE");
    assert_string_equal(t->file_reference_time, "2025-05-06_06:00:00");
    assert_string_equal(t->code_version, "");
    assert_string_equal(t->max_status, "");
    assert_string_equal(t->rfc_location, "");
    assert_int_equal(t->stream_order, 0);
    assert_int_equal(t->hf_id, 0);
    size_t k;
    assert_int_equal(nc_table_peak(t, &k), RNR_OK);
    /* The file's maximum, 832.515625, occurs once: segment 800146 at time index 11 (2025-05-06 18:00Z). */
    assert_true(t->flow[9 * 96 + 11] == 832.515625f);
    assert_int_equal(k, 11);
    nc_table_free(t);
}

/* Attributes whose values depend on the data or are RnR/CF additions. */
static int value_varies(const char *var, const char *att)
{
    return (!strcmp(var, "time") && !strcmp(att, "units")) ||
           (!strcmp(var, "") &&
            (!strcmp(att, "file_reference_time") || !strcmp(att, "code_version")));
}

static const char *const ADDED_GLOBAL[] = {"max_status",   "stream_order", "rfc_location",
                                           "rfc_reach_id", "hf_id",        "state",
                                           "name",         "Conventions",  "featureType"};
static const char *const ADDED_TIME[] = {"calendar", "axis"};
static const char *const ADDED_FID[] = {"cf_role"};
static const char *const ADDED_FLOW[] = {"standard_name"};

static void compare_atts(int ra, int rv, int oa, int ov, const char *var, const char *const *added,
                         size_t nadded)
{
    int rn, on;
    assert_int_equal(nc_inq_varnatts(ra, rv, &rn), NC_NOERR);
    assert_int_equal(nc_inq_varnatts(oa, ov, &on), NC_NOERR);
    assert_int_equal(on, rn + (int)nadded);
    for (int i = 0; i < on; i++) {
        char rname[NC_MAX_NAME + 1], oname[NC_MAX_NAME + 1];
        assert_int_equal(nc_inq_attname(oa, ov, i, oname), NC_NOERR);
        if (i >= rn) {
            assert_string_equal(oname, added[i - rn]);
            continue;
        }
        assert_int_equal(nc_inq_attname(ra, rv, i, rname), NC_NOERR);
        assert_string_equal(oname, rname);
        nc_type rt, ot;
        size_t rl, ol;
        assert_int_equal(nc_inq_att(ra, rv, rname, &rt, &rl), NC_NOERR);
        assert_int_equal(nc_inq_att(oa, ov, oname, &ot, &ol), NC_NOERR);
        assert_int_equal(ot, rt);
        if (value_varies(var, rname))
            continue;
        assert_int_equal(ol, rl);
        char rb[256] = {0}, ob[256] = {0};
        assert_true(rl * 8 < sizeof rb);
        assert_int_equal(nc_get_att(ra, rv, rname, rb), NC_NOERR);
        assert_int_equal(nc_get_att(oa, ov, oname, ob), NC_NOERR);
        assert_memory_equal(ob, rb, sizeof rb);
    }
}

static void test_structure_matches_reference(void **state)
{
    (void)state;
    char path[512];
    if (ref_path(path, sizeof path)) {
        fail_msg(
            "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)");
    }
    char dir[64], ours[128];
    make_dir(dir, sizeof dir);
    snprintf(ours, sizeof ours, "%s/troute_output_202505060600.nc", dir);
    sample s;
    sample_init(&s);
    rnr_error e;
    assert_int_equal(nc_output_write(ours, s.fids, 3, s.t, 4, s.q, s.v, s.h, &s.meta, &e), RNR_OK);
    int ra, oa, fr, fo;
    assert_int_equal(nc_open(path, NC_NOWRITE, &ra), NC_NOERR);
    assert_int_equal(nc_open(ours, NC_NOWRITE, &oa), NC_NOERR);
    assert_int_equal(nc_inq_format(ra, &fr), NC_NOERR);
    assert_int_equal(nc_inq_format(oa, &fo), NC_NOERR);
    assert_int_equal(fo, fr);
    int rnd, ond, rnv, onv;
    assert_int_equal(nc_inq(ra, &rnd, &rnv, NULL, NULL), NC_NOERR);
    assert_int_equal(nc_inq(oa, &ond, &onv, NULL, NULL), NC_NOERR);
    /* t-route's dimensions in its order, less the unused type_strlen. */
    assert_int_equal(ond, rnd - 1);
    assert_int_equal(onv, rnv);
    for (int d = 0, od = 0; d < rnd; d++) {
        char rn[NC_MAX_NAME + 1], on[NC_MAX_NAME + 1];
        size_t rl, ol;
        assert_int_equal(nc_inq_dim(ra, d, rn, &rl), NC_NOERR);
        if (!strcmp(rn, "type_strlen"))
            continue;
        assert_int_equal(nc_inq_dim(oa, od++, on, &ol), NC_NOERR);
        assert_string_equal(on, rn);
    }
    int unused;
    assert_int_equal(nc_inq_dimid(oa, "type_strlen", &unused), NC_EBADDIM);
    for (int v = 0; v < rnv; v++) {
        char rn[NC_MAX_NAME + 1], on[NC_MAX_NAME + 1];
        nc_type rt, ot;
        int rdims, odims, rdim[4], odim[4];
        assert_int_equal(nc_inq_var(ra, v, rn, &rt, &rdims, rdim, NULL), NC_NOERR);
        assert_int_equal(nc_inq_var(oa, v, on, &ot, &odims, odim, NULL), NC_NOERR);
        assert_string_equal(on, rn);
        assert_int_equal(ot, rt);
        assert_int_equal(odims, rdims);
        for (int i = 0; i < rdims; i++)
            assert_int_equal(odim[i], rdim[i]);
        int rs, os;
        assert_int_equal(nc_inq_var_chunking(ra, v, &rs, NULL), NC_NOERR);
        assert_int_equal(nc_inq_var_chunking(oa, v, &os, NULL), NC_NOERR);
        assert_int_equal(os, rs);
        if (!strcmp(rn, "time"))
            compare_atts(ra, v, oa, v, rn, ADDED_TIME, 2);
        else if (!strcmp(rn, "feature_id"))
            compare_atts(ra, v, oa, v, rn, ADDED_FID, 1);
        else if (!strcmp(rn, "flow"))
            compare_atts(ra, v, oa, v, rn, ADDED_FLOW, 1);
        else
            compare_atts(ra, v, oa, v, rn, NULL, 0);
    }
    compare_atts(ra, NC_GLOBAL, oa, NC_GLOBAL, "", ADDED_GLOBAL,
                 sizeof ADDED_GLOBAL / sizeof *ADDED_GLOBAL);
    nc_close(ra);
    nc_close(oa);
    rm_dir(dir);
}

/* `ncdump -h` text with data-dependent lines and our additions removed. */
static char *ncdump_header(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ncdump -h '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static const char *const drop[] = {"netcdf ",
                                       "\tfeature_id = ",
                                       "\ttime = ",
                                       "time:units = ",
                                       ":file_reference_time = ",
                                       ":code_version = ",
                                       "time:calendar = ",
                                       "time:axis = ",
                                       ":max_status = ",
                                       ":stream_order = ",
                                       ":rfc_location = ",
                                       ":rfc_reach_id = ",
                                       ":hf_id = ",
                                       ":state = ",
                                       ":name = ",
                                       ":Conventions = ",
                                       ":featureType = ",
                                       "feature_id:cf_role = ",
                                       "flow:standard_name = ",
                                       "\ttype_strlen = "};
    size_t cap = 8192, len = 0;
    char *out = calloc(1, cap), line[1024];
    int nlines = 0;
    while (fgets(line, sizeof line, p)) {
        int skip_line = 0;
        for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
            if ((drop[i][0] == '\t' || drop[i][0] == 'n')
                    ? strncmp(line, drop[i], strlen(drop[i])) == 0
                    : strstr(line, drop[i]) != NULL)
                skip_line = 1;
        nlines++;
        if (skip_line)
            continue;
        size_t l = strlen(line);
        assert_true(len + l < cap);
        memcpy(out + len, line, l + 1);
        len += l;
    }
    assert_int_equal(pclose(p), 0);
    assert_true(nlines > 30);
    return out;
}

static void test_ncdump_matches_reference(void **state)
{
    (void)state;
    char path[512];
    if (ref_path(path, sizeof path)) {
        fail_msg(
            "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)");
    }
    char dir[64], ours[128];
    make_dir(dir, sizeof dir);
    snprintf(ours, sizeof ours, "%s/troute_output_202505060600.nc", dir);
    sample s;
    sample_init(&s);
    rnr_error e;
    assert_int_equal(nc_output_write(ours, s.fids, 3, s.t, 4, s.q, s.v, s.h, &s.meta, &e), RNR_OK);
    char *a = ncdump_header(path), *b = ncdump_header(ours);
    assert_string_equal(b, a);
    assert_non_null(strstr(a, "string type(feature_id) ;"));
    free(a);
    free(b);
    /* The CF additions, as a CF checker would look for them (no CF checker
     * is packaged for Debian 12). */
    char cmd[300], line[512];
    snprintf(cmd, sizeof cmd, "ncdump -h '%s'", ours);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int found[6] = {0}, strlen_dim = 0;
    static const char *const cf[6] = {
        ":featureType = \"timeSeries\" ;",
        ":Conventions = \"CF-1.8\" ;",
        "feature_id:cf_role = \"timeseries_id\" ;",
        "flow:standard_name = \"water_volume_transport_in_river_channel\" ;",
        "time:standard_name = \"time\" ;",
        "time:axis = \"T\" ;"};
    while (fgets(line, sizeof line, p)) {
        for (int i = 0; i < 6; i++)
            found[i] |= strstr(line, cf[i]) != NULL;
        strlen_dim |= strstr(line, "type_strlen") != NULL;
    }
    assert_int_equal(pclose(p), 0);
    for (int i = 0; i < 6; i++) {
        if (!found[i])
            fprintf(stderr, "missing: %s\n", cf[i]);
        assert_true(found[i]);
    }
    assert_false(strlen_dim);
    rm_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_refuses_non_finite),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_trace_id_attribute),
        cmocka_unit_test(test_nudge_and_type),
        cmocka_unit_test(test_no_temp_left),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_read_variants),
        cmocka_unit_test(test_peak_rules),
        cmocka_unit_test(test_read_reference),
        cmocka_unit_test(test_structure_matches_reference),
        cmocka_unit_test(test_ncdump_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
