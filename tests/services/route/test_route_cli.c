/* test_route_cli.c - `rnr route` end to end: HPDT2 in both forcing modes
 * against the kernel oracle (bit for bit, read back with nc_output_read),
 * the file structure against t-route's own output, bad inputs (exit 1, one
 * line naming the input, nothing written), and the general --qlat mode
 * (mass balance on the sample domain, equality with the forecast mode). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>

#include "core/timeutil.h"
#include "hydro/hydro_csv.h"
#include "hydrofabric/hf.h"
#include "io/nc_output.h"
#include "testutil.h"

#define T0_HPDT2 1746478800 /* 2025-05-05T21:00:00Z */

typedef struct run_out {
    int status;
    char *out, *err;
} run_out;

static void run_free(run_out *r)
{
    free(r->out);
    free(r->err);
}

/* Run $RNR_BIN with args (NULL-terminated), capturing stdout and stderr. */
static run_out run_rnr(const char *tmp, const char *const *args)
{
    char *argv[40];
    size_t n = 0;
    argv[n++] = getenv("RNR_BIN");
    for (; args[n - 1] && n < 39; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    char op[512], ep[512];
    snprintf(op, sizeof op, "%s/stdout.txt", tmp);
    snprintf(ep, sizeof ep, "%s/stderr.txt", tmp);
    pid_t pid = fork();
    if (pid == 0) {
        int fo = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0644),
            fe = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    run_out r = {WIFEXITED(st) ? WEXITSTATUS(st) : -1, tu_read_file(op, NULL),
                 tu_read_file(ep, NULL)};
    return r;
}

/* Fails the test when the reference data is missing: it ships with the
 * repository, so its absence is a broken build, never a reason to skip. */
static void require_ref(void)
{
    if (!tu_ref_dir())
        fail_msg("missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by "
                 "cmake)");
}

static void ref_file(const char *rel, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", getenv("RNR_REFERENCE_DIR"), rel);
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Every value of the NetCDF equals the oracle CSV's, bit for bit. */
static void compare_chain(const nc_table *t, const char *csv_name)
{
    char p[1024];
    ref_file(csv_name, p, sizeof p);
    tcsv *c = tcsv_load(p);
    assert_non_null(c);
    int ch = tcsv_col(c, "hour"), cs = tcsv_col(c, "segment_index"),
        cid = tcsv_col(c, "segment_id");
    int cf = tcsv_col(c, "flow_m3s"), cv = tcsv_col(c, "velocity_ms"), cd = tcsv_col(c, "depth_m");
    assert_int_equal(c->nrows, 50 * 96);
    for (size_t r = 0; r < c->nrows; r++) {
        size_t k = (size_t)atoi(tcsv_get(c, r, ch)) - 1, s = (size_t)atoi(tcsv_get(c, r, cs));
        assert_true(k < t->ntime && s < t->nseg);
        assert_int_equal(t->feature_ids[s], atoll(tcsv_get(c, r, cid) + 3));
        size_t i = s * t->ntime + k;
        assert_true(same_bits(t->flow[i], tcsv_float(c, r, cf)));
        assert_true(same_bits(t->velocity[i], tcsv_float(c, r, cv)));
        assert_true(same_bits(t->depth[i], tcsv_float(c, r, cd)));
    }
    tcsv_free(c);
}

static nc_table *read_nc(const char *path)
{
    nc_table *t = NULL;
    rnr_error err = {0, ""};
    int rc = nc_output_read(path, &t, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, RNR_OK);
    return t;
}

static void check_hpdt2_meta(const nc_table *t, size_t ntime)
{
    assert_int_equal(t->nseg, 50);
    assert_int_equal(t->ntime, ntime);
    assert_int_equal(t->reference_time, T0_HPDT2);
    assert_string_equal(t->file_reference_time, "2025-05-05_21:00:00");
    for (size_t k = 0; k < t->ntime; k++)
        assert_int_equal(t->times[k], T0_HPDT2 + 3600 * (int64_t)(k + 1));
    for (size_t s = 0; s < t->nseg; s++)
        assert_int_equal(t->feature_ids[s], 2418120 + (int64_t)s);
    assert_string_equal(t->rfc_location, "HPDT2");
    assert_int_equal(t->rfc_reach_id, 3121538);
    assert_int_equal(t->hf_id, 3121538);
    assert_int_equal(t->stream_order, 6);
}

/* One mode's run: troute stops after t-route's whole days (96 h, 05-09T21Z);
 * timecorrect routes to the forecast's last time (117 h, 05-10T18Z), and its
 * first 96 hours are still the oracle's. */
static void route_hpdt2(const char *mode, const char *csv, size_t ntime, const char *horizon)
{
    char *tmp = tu_tempdir("route"), out[600], gpkg[1024], json[1024], nc[800];
    snprintf(out, sizeof out, "%s/out", tmp);
    ref_file("rnr-hpdt2/HPDT2.gpkg", gpkg, sizeof gpkg);
    ref_file("rnr-hpdt2/HPDT2.json", json, sizeof json);
    const char *args[] = {"route", "--hydrofabric", gpkg, "--forecast", json, "--out",
                          out,     "--forcing",     mode, "--plot",     NULL};
    run_out r = run_rnr(tmp, args);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "50 segments"));
    assert_non_null(strstr(r.out, "troute_output_202505052100.nc"));
    snprintf(nc, sizeof nc, "%s/troute_output_202505052100.nc", out);
    nc_table *t = read_nc(nc);
    check_hpdt2_meta(t, ntime);
    compare_chain(t, csv);
    assert_non_null(strstr(r.out, horizon));
    /* The summary's origin peak is the file's maximum at the first segment. */
    float peak = 0;
    size_t pk = 0;
    for (size_t k = 0; k < t->ntime; k++)
        if (t->flow[k] > peak) {
            peak = t->flow[k];
            pk = k;
        }
    char want[128], ts[40];
    time_format_iso(t->times[pk], ts, sizeof ts);
    snprintf(want, sizeof want, "origin   peak %.3f m3/s at %s", (double)peak, ts);
    assert_non_null(strstr(r.out, want));
    snprintf(nc, sizeof nc, "%s/troute_output_202505052100.svg", out);
    char *svg = tu_read_file(nc, NULL);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "<svg"));
    free(svg);
    assert_int_equal(count_files(out), 2);
    nc_table_free(t);
    run_free(&r);
    tu_rmrf(tmp);
    free(tmp);
}

static void test_hpdt2_forecast(void **state)
{
    (void)state;
    require_ref();
    route_hpdt2("troute", "muskingum-cunge/hpdt2_chain_troute.csv", 96,
                "horizon  2025-05-05T21:00:00Z to 2025-05-09T21:00:00Z");
    route_hpdt2("timecorrect", "muskingum-cunge/hpdt2_chain_timecorrect.csv", 117,
                "horizon  2025-05-05T21:00:00Z to 2025-05-10T18:00:00Z");
}

/* Lines of `ncdump -h` (the sizes, names and times differ by design). */
static char *ncdump_h(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ncdump -h '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, p);
    buf[n] = '\0';
    assert_int_equal(pclose(p), 0);
    return buf;
}

static void test_hpdt2_structure(void **state)
{
    (void)state;
    require_ref();
    char *tmp = tu_tempdir("route"), gpkg[1024], json[1024], ref[1024], nc[800];
    ref_file("rnr-hpdt2/HPDT2.gpkg", gpkg, sizeof gpkg);
    ref_file("rnr-hpdt2/HPDT2.json", json, sizeof json);
    ref_file("troute-output/troute_output_202505060600.nc", ref, sizeof ref);
    const char *args[] = {"route", "--hydrofabric", gpkg, "--forecast", json, "--out", tmp, NULL};
    run_out r = run_rnr(tmp, args);
    assert_int_equal(r.status, 0);
    snprintf(nc, sizeof nc, "%s/troute_output_202505052100.nc", tmp);
    char *ours = ncdump_h(nc), *theirs = ncdump_h(ref);
    int checked = 0;
    for (char *line = strtok(theirs, "\n"); line; line = strtok(NULL, "\n")) {
        /* type_strlen: t-route's unused dimension, deliberately not written. */
        if (strstr(line, "netcdf ") == line || strstr(line, "feature_id = ") ||
            !strcmp(line, "\ttime = 96 ;") || !strcmp(line, "\ttype_strlen = 2 ;") ||
            strstr(line, "seconds since") || strstr(line, "file_reference_time") ||
            !strcmp(line, "}"))
            continue;
        if (!strstr(ours, line))
            fprintf(stderr, "missing in ours: %s\n", line);
        assert_non_null(strstr(ours, line));
        checked++;
    }
    assert_true(checked > 30);
    assert_null(strstr(ours, "type_strlen"));
    const char *rnr_lines[] = {"\tfeature_id = 50 ;",
                               "\ttime = 117 ;",
                               "seconds since 2025-05-05 21:00:00",
                               ":file_reference_time = \"2025-05-05_21:00:00\"",
                               ":stream_order = 6",
                               ":rfc_location = \"HPDT2\"",
                               ":rfc_reach_id = 3121538",
                               ":hf_id = 3121538",
                               ":max_status = ",
                               ":state = ",
                               ":name = ",
                               ":featureType = \"timeSeries\"",
                               "feature_id:cf_role = \"timeseries_id\"",
                               "flow:standard_name = \"water_volume_transport_in_river_channel\"",
                               "rfc_forecast_flow(rfc_forecast_time)"};
    for (size_t i = 0; i < sizeof rnr_lines / sizeof *rnr_lines; i++) {
        if (!strstr(ours, rnr_lines[i]))
            fprintf(stderr, "missing: %s\n", rnr_lines[i]);
        assert_non_null(strstr(ours, rnr_lines[i]));
    }
    free(ours);
    free(theirs);
    run_free(&r);
    tu_rmrf(tmp);
    free(tmp);
}

/* HPDT2.json with one substring replaced (must occur). */
static void write_variant(const char *path, const char *from, const char *to)
{
    char src[1024];
    ref_file("rnr-hpdt2/HPDT2.json", src, sizeof src);
    char *j = tu_read_file(src, NULL);
    assert_non_null(j);
    char *at = strstr(j, from);
    assert_non_null(at);
    size_t n = strlen(j) + strlen(to) + 1;
    char *o = malloc(n);
    snprintf(o, n, "%.*s%s%s", (int)(at - j), j, to, at + strlen(from));
    assert_int_equal(tu_write_file(path, o), 0);
    free(o);
    free(j);
}

/* Exit 1, exactly one stderr line naming `name` (and `what`), no output. */
static void expect_bad(const char *tmp, const char *gpkg, const char *json, const char *name,
                       const char *what)
{
    char out[600];
    snprintf(out, sizeof out, "%s/out", tmp);
    const char *args[] = {"route", "--hydrofabric", gpkg, "--forecast", json, "--out", out, NULL};
    run_out r = run_rnr(tmp, args);
    fprintf(stderr, "[%s] %s", name, r.err);
    assert_int_equal(r.status, 1);
    assert_int_equal(tu_count(r.err, "\n"), 1);
    assert_non_null(strstr(r.err, name));
    if (what)
        assert_non_null(strstr(r.err, what));
    assert_int_equal(count_files(out), 0);
    run_free(&r);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    require_ref();
    char *tmp = tu_tempdir("route"), gpkg[1024], json[1024], p[800], bad_gpkg[800];
    ref_file("rnr-hpdt2/HPDT2.gpkg", gpkg, sizeof gpkg);
    ref_file("rnr-hpdt2/HPDT2.json", json, sizeof json);
    struct {
        const char *file, *from, *to, *what;
    } v[] = {
        {"unknown_reach.json", "\"id\": 3121538", "\"id\": 999999", "999999"},
        {"nonmono.json", "\"2025-05-06T00:00:00\"", "\"2025-05-05T20:00:00\"", NULL},
        {"negative.json", "481.386392064", "-5.0", NULL},
        {"missing_flow.json", "481.386392064", "null", NULL},
        {"units.json", "\"secondary_unit\": \"m3 s-1\"", "\"secondary_unit\": \"furlongs\"",
         "furlongs"},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        snprintf(p, sizeof p, "%s/%s", tmp, v[i].file);
        write_variant(p, v[i].from, v[i].to);
        expect_bad(tmp, gpkg, p, v[i].file, v[i].what);
        if (!strcmp(v[i].file, "unknown_reach.json"))
            expect_bad(tmp, gpkg, p, "HPDT2.gpkg", NULL);
    }
    /* Empty times: a forecast with no rows. */
    snprintf(p, sizeof p, "%s/empty.json", tmp);
    assert_int_equal(
        tu_write_file(p, "{\"lid\": \"X\", \"downstream_lid\": \"\", \"reach\": {\"id\": 3121538, "
                         "\"times\": [], \"primary_name\": \"Stage\", \"primary_forecast\": [], "
                         "\"primary_unit\": \"ft\", \"latest_observation\": null, "
                         "\"latest_obs_units\": null, \"secondary_name\": \"Flow\", "
                         "\"secondary_forecast\": [], \"secondary_unit\": \"m3 s-1\"}}"),
        0);
    expect_bad(tmp, gpkg, p, "empty.json", NULL);
    /* Half an hour of forecast: less than one hourly output. */
    snprintf(p, sizeof p, "%s/short.json", tmp);
    assert_int_equal(
        tu_write_file(p, "{\"lid\": \"X\", \"downstream_lid\": \"\", \"reach\": {\"id\": 3121538, "
                         "\"times\": [\"2025-05-05T21:00:00\", \"2025-05-05T21:30:00\"], "
                         "\"primary_name\": \"Stage\", \"primary_forecast\": [1, 2], "
                         "\"primary_unit\": \"ft\", \"latest_observation\": null, "
                         "\"latest_obs_units\": null, \"secondary_name\": \"Flow\", "
                         "\"secondary_forecast\": [100, 110], \"secondary_unit\": \"m3 s-1\"}}"),
        0);
    expect_bad(tmp, gpkg, p, "short.json", "less than the output interval");
    snprintf(p, sizeof p, "%s/nope.json", tmp);
    expect_bad(tmp, gpkg, p, "nope.json", NULL);
    snprintf(bad_gpkg, sizeof bad_gpkg, "%s/broken.gpkg", tmp);
    assert_int_equal(tu_write_file(bad_gpkg, "this is not a GeoPackage\n"), 0);
    expect_bad(tmp, bad_gpkg, json, "broken.gpkg", NULL);
    snprintf(bad_gpkg, sizeof bad_gpkg, "%s/absent.gpkg", tmp);
    expect_bad(tmp, bad_gpkg, json, "absent.gpkg", NULL);
    tu_rmrf(tmp);
    free(tmp);
}

static void test_usage_errors(void **state)
{
    (void)state;
    char *tmp = tu_tempdir("route");
    const char *a1[] = {"route", "--hydrofabric", "x.gpkg", "--out", tmp, NULL};
    const char *a2[] = {"route", "--hydrofabric", "x.gpkg", "--forecast", "f.json", "--out",
                        tmp,     "--forcing",     "magic",  NULL};
    const char *a3[] = {"route", "--hydrofabric", "x.gpkg", "--qlat", "q.csv", "--out", tmp, NULL};
    const char *a4[] = {"route", "--hydrofabric", "x.gpkg", "--forecast", "f.json", "--out",
                        tmp,     "--dt",          "-1",     NULL};
    const char *const *all[] = {a1, a2, a3, a4};
    for (size_t i = 0; i < 4; i++) {
        run_out r = run_rnr(tmp, all[i]);
        assert_int_equal(r.status, 2);
        assert_int_equal(tu_count(r.err, "\n"), 1);
        run_free(&r);
    }
    tu_rmrf(tmp);
    free(tmp);
}

/* The sample domain's GeoPackage path. */
static void sample_gpkg(char *out, size_t n)
{
    snprintf(out, n, "%s/data/sample/domain.gpkg", getenv("RNR_SOURCE_DIR"));
}

/* The sample domain's network draining to outlet (0: all of it), read
 * with the library; fills gpkg with its path. Caller frees. */
static hydro_segment *load_sample(int64_t outlet, char *gpkg, size_t gpkg_n, size_t *n)
{
    sample_gpkg(gpkg, gpkg_n);
    hf_db *hf = NULL;
    rnr_error err = {0, ""};
    assert_int_equal(hf_open(gpkg, &hf, &err), RNR_OK);
    hydro_segment *segs = NULL;
    assert_int_equal(hf_load_network(hf, outlet, &segs, n, &err), RNR_OK);
    hf_close(hf);
    return segs;
}

/* Sample domain: inject a day-long pulse at a few headwaters; over a long run the
 * volume leaving the outlets approaches the volume injected. */
static void test_qlat_mass_balance(void **state)
{
    (void)state;
    char gpkg[1024];
    size_t n = 0;
    hydro_segment *segs = load_sample(0, gpkg, sizeof gpkg, &n);
    assert_true(n > 10);
    char *tmp = tu_tempdir("route"), q[600], out[600], nc[800], line[128];
    snprintf(q, sizeof q, "%s/q.csv", tmp);
    snprintf(out, sizeof out, "%s/out", tmp);
    FILE *f = fopen(q, "w");
    fprintf(f, "step,id,qlat\n");
    double injected = 0;
    int heads = 0;
    for (size_t i = 0; i < n && heads < 3; i++) {
        int head = 1;
        for (size_t j = 0; j < n && head; j++)
            head = segs[j].to_id != segs[i].id;
        if (!head)
            continue;
        heads++;
        for (int s = 1; s <= 288; s++) {
            fprintf(f, "%d,wb-%lld,20\n", s, (long long)segs[i].id);
            injected += 20.0 * 300;
        }
    }
    fclose(f);
    assert_int_equal(heads, 3);
    const char *args[] = {"route",
                          "--hydrofabric",
                          gpkg,
                          "--qlat",
                          q,
                          "--nts",
                          "4032",
                          "--out",
                          out,
                          "--start",
                          "2025-01-01T00:00:00Z",
                          "--output-every",
                          "1",
                          NULL};
    run_out r = run_rnr(tmp, args);
    fprintf(stderr, "%s", r.err);
    assert_int_equal(r.status, 0);
    snprintf(line, sizeof line, "network: %zu segments, 4032 steps", n);
    assert_non_null(strstr(r.out, line));
    snprintf(nc, sizeof nc, "%s/troute_output_202501010000.nc", out);
    nc_table *t = read_nc(nc);
    assert_int_equal(t->nseg, n);
    assert_int_equal(t->ntime, 4032);
    double outv = 0;
    for (size_t s = 0; s < t->nseg; s++) {
        int64_t to = 0;
        for (size_t j = 0; j < n; j++)
            if (segs[j].id == t->feature_ids[s])
                to = segs[j].to_id;
        int outlet = 1;
        for (size_t j = 0; j < n && outlet; j++)
            outlet = segs[j].id != to;
        if (outlet)
            for (size_t k = 0; k < t->ntime; k++)
                outv += (double)t->flow[s * t->ntime + k] * 300;
    }
    printf("injected %.1f m3, left through the outlets %.1f m3 (ratio %.4f)\n", injected, outv,
           outv / injected);
    /* Muskingum-Cunge is not exactly conservative in transients (a 2-hour
     * pulse loses ~10 %); a day-long pulse keeps the loss near 1 %. */
    assert_true(fabs(outv / injected - 1.0) < 0.02);
    /* Well after the pulse, the network is (nearly) empty again. */
    double last = 0;
    for (size_t s = 0; s < t->nseg; s++)
        last += t->flow[s * t->ntime + t->ntime - 1];
    assert_true(last < 0.01 * 20);
    nc_table_free(t);
    run_free(&r);
    free(segs);
    tu_rmrf(tmp);
    free(tmp);
}

/* --outlet routes only what drains to it; --initial is honoured. */
static void test_qlat_outlet(void **state)
{
    (void)state;
    char gpkg[1024];
    size_t n = 0;
    hydro_segment *segs = load_sample(50, gpkg, sizeof gpkg, &n);
    assert_true(n >= 2);
    char *tmp = tu_tempdir("route"), q[600], init[600], out[600], nc[800];
    snprintf(q, sizeof q, "%s/q.csv", tmp);
    snprintf(init, sizeof init, "%s/i.csv", tmp);
    snprintf(out, sizeof out, "%s/out", tmp);
    assert_int_equal(tu_write_file(q, "step,id,qlat\n"), 0);
    assert_int_equal(tu_write_file(init, "id,flow,depth\n50,7.5,0\n"), 0);
    const char *args[] = {"route",
                          "--hydrofabric",
                          gpkg,
                          "--qlat",
                          q,
                          "--initial",
                          init,
                          "--nts",
                          "12",
                          "--outlet",
                          "wb-50",
                          "--out",
                          out,
                          "--start",
                          "2025-01-01T06:00:00Z",
                          "--output-every",
                          "1",
                          NULL};
    run_out r = run_rnr(tmp, args);
    fprintf(stderr, "%s", r.err);
    assert_int_equal(r.status, 0);
    snprintf(nc, sizeof nc, "%s/troute_output_202501010600.nc", out);
    nc_table *t = read_nc(nc);
    assert_int_equal(t->nseg, n);
    assert_int_equal(t->ntime, 12);
    assert_int_equal(t->reference_time, 1735711200);
    int found = 0;
    for (size_t s = 0; s < t->nseg; s++) {
        if (t->feature_ids[s] == 50) {
            found = 1;
            /* Only wb-50 starts with water, and it drains over the hour. */
            assert_true(t->flow[s * t->ntime] > 0.0f && t->flow[s * t->ntime] < 7.5f);
        } else {
            assert_true(t->flow[s * t->ntime] == 0.0f);
        }
    }
    assert_true(found);
    nc_table_free(t);
    run_free(&r);
    free(segs);
    tu_rmrf(tmp);
    free(tmp);
}

static void test_qlat_errors(void **state)
{
    (void)state;
    char gpkg[1024];
    sample_gpkg(gpkg, sizeof gpkg);
    char *tmp = tu_tempdir("route"), q[600], out[600];
    snprintf(q, sizeof q, "%s/q.csv", tmp);
    snprintf(out, sizeof out, "%s/out", tmp);
    struct {
        const char *text, *want;
    } v[] = {
        {"step,id,qlat\n1,wb-53,1\n", NULL}, /* valid: checks the others fail for their row */
        {"step,id,qlat\n1,wb-53,1\n0,wb-53,1\n", "line 3: step '0'"},
        {"step,id,qlat\n1,wb-53,1\n99,wb-53,1\n", "line 3: step '99' is not in 1..24"},
        {"step,id,qlat\n1,wb-999999,1\n", "line 2: flowpath wb-999999 is not in the network"},
        {"step,id,qlat\n1,wb-53\n", "line 2: expected 3 fields"},
        {"step,id,qlat\n1,wb-53,abc\n", "line 2: qlat 'abc'"},
        {"id,step,qlat\n", "line 1: expected the header"},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        assert_int_equal(tu_write_file(q, v[i].text), 0);
        const char *args[] = {
            "route",   "--hydrofabric",        gpkg, "--qlat", q, "--nts", "24", "--out", out,
            "--start", "2025-01-01T00:00:00Z", NULL};
        run_out r = run_rnr(tmp, args);
        if (!v[i].want) {
            assert_int_equal(r.status, 0);
            assert_int_equal(count_files(out), 1);
            assert_int_equal(tu_rmtree(out), 0);
        } else {
            fprintf(stderr, "%s", r.err);
            assert_int_equal(r.status, 1);
            assert_int_equal(tu_count(r.err, "\n"), 1);
            assert_non_null(strstr(r.err, v[i].want));
            assert_non_null(strstr(r.err, "q.csv"));
            assert_int_equal(count_files(out), 0);
        }
        run_free(&r);
    }
    tu_rmrf(tmp);
    free(tmp);
}

/* The general mode with the forecast's forcing and initial state at the
 * origin reproduces the forecast mode, i.e. t-route, exactly. */
static void test_qlat_equals_forecast(void **state)
{
    (void)state;
    require_ref();
    char *tmp = tu_tempdir("route"), gpkg[1024], src[1024], q[600], init[600], out[600], nc[800];
    ref_file("rnr-hpdt2/HPDT2.gpkg", gpkg, sizeof gpkg);
    ref_file("muskingum-cunge/hpdt2_qlat_steps.csv", src, sizeof src);
    snprintf(q, sizeof q, "%s/q.csv", tmp);
    snprintf(init, sizeof init, "%s/init.csv", tmp);
    snprintf(out, sizeof out, "%s/out", tmp);
    tcsv *c = tcsv_load(src);
    assert_non_null(c);
    int cs = tcsv_col(c, "step"), cq = tcsv_col(c, "qlat_troute_m3s");
    assert_int_equal(c->nrows, 1152);
    FILE *f = fopen(q, "w");
    fprintf(f, "step,id,qlat\n");
    for (size_t r = 0; r < c->nrows; r++)
        fprintf(f, "%s,wb-2418120,%s\n", tcsv_get(c, r, cs), tcsv_get(c, r, cq));
    fclose(f);
    tcsv_free(c);
    f = fopen(init, "w");
    fprintf(f, "id,flow,depth\n");
    for (int s = 0; s < 50; s++)
        fprintf(f, "%d,481.386392064,0\n", 2418120 + s);
    fclose(f);
    const char *args[] = {"route",
                          "--hydrofabric",
                          gpkg,
                          "--qlat",
                          q,
                          "--initial",
                          init,
                          "--nts",
                          "1152",
                          "--out",
                          out,
                          "--start",
                          "2025-05-05T21:00:00Z",
                          NULL};
    run_out r = run_rnr(tmp, args);
    fprintf(stderr, "%s", r.err);
    assert_int_equal(r.status, 0);
    snprintf(nc, sizeof nc, "%s/troute_output_202505052100.nc", out);
    nc_table *t = read_nc(nc);
    assert_int_equal(t->nseg, 50);
    assert_int_equal(t->ntime, 96);
    compare_chain(t, "muskingum-cunge/hpdt2_chain_troute.csv");
    nc_table_free(t);
    run_free(&r);
    tu_rmrf(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hpdt2_forecast),    cmocka_unit_test(test_hpdt2_structure),
        cmocka_unit_test(test_bad_inputs),        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_qlat_mass_balance), cmocka_unit_test(test_qlat_errors),
        cmocka_unit_test(test_qlat_outlet),       cmocka_unit_test(test_qlat_equals_forecast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
