/* test_hydrofabric_synth.c - the synthetic hydrofabric: it opens, gauges
 * route through lake-free chains of >= 8 flowpaths with realistic
 * parameters, lakes stop cuts, output is deterministic, bad input fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hydrofabric/hf.h"
#include "hydrofabric/synth.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];
static const int64_t GAUGES[6] = {91000001, 91000002, 91000003, 91000004, 91000005, 91000006};

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rnr_hf_synth_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void generate(const char *name, size_t n, uint64_t seed, size_t lakes, char *path,
                     size_t cap)
{
    snprintf(path, cap, "%s/%s", tmpdir, name);
    synth_options o;
    synth_options_default(&o);
    o.flowpaths = n;
    o.seed = seed;
    o.lakes = lakes;
    o.lakes_set = 1;
    o.gauges = GAUGES;
    o.n_gauges = 6;
    synth_report rep;
    rnr_error err = {0};
    int rc = synth_generate(path, &o, &rep, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(rep.flowpaths, n);
    assert_int_equal(rep.lakes, lakes);
    assert_int_equal(rep.gauges, 6);
}

static int64_t query_i64(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void assert_realistic(const hf_cut *c)
{
    for (size_t i = 0; i < c->n; i++) {
        const hydro_segment *s = &c->segs[i];
        assert_true(s->n >= 0.04f && s->n <= 0.06f);
        assert_true(s->ncc >= 0.08f && s->ncc <= 0.15f);
        assert_true(s->bw > 0 && s->bw < s->tw && s->tw < s->twcc);
        assert_true(s->cs > 0 && s->cs < 10);
        assert_true(s->s0 >= 0.99e-5f && s->s0 <= 1.01e-2f);
        assert_true(s->dx == (float)(c->fps[i].lengthkm * 1000.0));
        assert_int_equal(c->fps[i].order, c->order);
        assert_int_equal(s->to_id, i + 1 < c->n ? c->segs[i + 1].id : 0);
        assert_null(c->fps[i].geometry_wkt); /* routing cuts carry no geometry */
    }
}

static void test_gauges_route(void **state)
{
    (void)state;
    char path[512];
    generate("g.gpkg", 3000, 11, 60, path, sizeof path);
    hf_db *db;
    rnr_error err = {0};
    assert_int_equal(hf_open(path, &db, &err), 0);
    hf_info info;
    hf_get_info(db, &info);
    assert_int_equal(info.flowpaths, 3000);
    assert_int_equal(info.lakes, 60);
    for (int g = 0; g < 6; g++) {
        hf_cut *c;
        assert_int_equal(hf_cut_reach(db, GAUGES[g], &c, &err), 0);
        assert_true(c->n >= 8);
        assert_int_equal(c->lake_cut, 0);
        assert_int_equal(c->fps[0].hf_id, GAUGES[g]);
        assert_realistic(c);
        hf_cut_free(c);
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM network WHERE hf_id = %lld",
                 (long long)GAUGES[g]);
        assert_int_equal(query_i64(path, sql), 1);
    }
    /* the whole network in topological order */
    hydro_segment *s;
    size_t n;
    assert_int_equal(hf_load_network(db, 0, &s, &n, &err), 0);
    assert_int_equal(n, 3000);
    char *seen = calloc(3001, 1);
    for (size_t i = n; i-- > 0;) { /* walking back, every downstream id is already seen */
        assert_true(s[i].id >= 1 && s[i].id <= 3000);
        if (s[i].to_id)
            assert_true(seen[s[i].to_id]);
        seen[s[i].id] = 1;
    }
    free(seen);
    free(s);
    hf_close(db);
    /* many-to-many: some flowpaths have several network rows, some hf_ids several flowpaths */
    assert_true(
        query_i64(path,
                  "SELECT count(*) FROM (SELECT id FROM network WHERE id LIKE 'wb-%' GROUP BY id "
                  "HAVING count(*) > 1)") > 300);
    assert_true(query_i64(path,
                          "SELECT count(*) FROM (SELECT hf_id FROM network WHERE hf_id IS NOT NULL "
                          "GROUP BY hf_id HAVING count(DISTINCT id) > 1)") > 5);
    assert_int_equal(query_i64(path, "PRAGMA application_id"), 1196444487);
    assert_int_equal(
        query_i64(path, "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'flowpaths'"),
        5070);
}

static void test_lake_stops_cut(void **state)
{
    (void)state;
    char path[512];
    generate("lake.gpkg", 3000, 5, 200, path, sizeof path);
    /* a reach just upstream of a lake on the same mainstem and order */
    int64_t lake_fp =
        query_i64(path, "SELECT CAST(substr(f.id, 4) AS INTEGER) FROM flowpaths f JOIN lakes l"
                        " ON CAST(f.poi_id AS INTEGER) = CAST(l.poi_id AS INTEGER)"
                        " JOIN flowpaths u ON u.toid = 'nex-' || substr(f.id, 4)"
                        " AND u.mainstem = f.mainstem AND u.\"order\" = f.\"order\""
                        " WHERE u.poi_id IS NULL ORDER BY f.fid LIMIT 1");
    assert_true(lake_fp > 0);
    char sql[512];
    snprintf(
        sql, sizeof sql,
        "SELECT n.hf_id FROM flowpaths u JOIN network n ON n.id = u.id WHERE u.toid = 'nex-%lld'"
        " AND u.mainstem = (SELECT mainstem FROM flowpaths WHERE id = 'wb-%lld')"
        " AND (SELECT count(*) FROM network m WHERE m.hf_id = n.hf_id) = 1 LIMIT 1",
        (long long)lake_fp, (long long)lake_fp);
    int64_t reach = query_i64(path, sql);
    assert_true(reach > 0);
    hf_db *db;
    hf_cut *c;
    rnr_error err = {0};
    assert_int_equal(hf_open(path, &db, &err), 0);
    assert_int_equal(hf_cut_reach(db, reach, &c, &err), 0);
    assert_int_equal(c->lake_cut, 1);
    assert_int_equal(c->n, 2);
    assert_int_equal(c->segs[1].id, lake_fp);
    assert_realistic(c);
    hf_cut_free(c);
    hf_close(db);
}

static int files_equal(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int eq = fa && fb;
    while (eq) {
        int x = fgetc(fa), y = fgetc(fb);
        eq = x == y;
        if (x == EOF || y == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return eq;
}

/* Gauge ids inside the range the generator uses for other hf_ids: each
 * still names exactly one network row. */
static void test_gauge_ids_never_collide(void **state)
{
    (void)state;
    static const int64_t inside[3] = {1000001, 1000002, 1000010};
    char path[512];
    snprintf(path, sizeof path, "%s/collide.gpkg", tmpdir);
    synth_options o;
    synth_options_default(&o);
    o.flowpaths = 2000;
    o.gauges = inside;
    o.n_gauges = 3;
    synth_report rep;
    rnr_error err = {0};
    assert_int_equal(synth_generate(path, &o, &rep, &err), 0);
    assert_int_equal(rep.gauges, 3);
    hf_db *db;
    assert_int_equal(hf_open(path, &db, &err), 0);
    for (int i = 0; i < 3; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM network WHERE hf_id = %lld",
                 (long long)inside[i]);
        assert_int_equal(query_i64(path, sql), 1);
        hf_cut *c;
        assert_int_equal(hf_cut_reach(db, inside[i], &c, &err), 0);
        assert_true(c->n >= 8);
        hf_cut_free(c);
    }
    hf_close(db);
    /* and the generator still used the ids around them */
    assert_true(query_i64(path, "SELECT count(*) FROM network WHERE hf_id = 1000003") >= 1);
}

struct seen {
    size_t calls, last, total, commits, backwards;
};

static void note_progress(void *ctx, const char *phase, size_t done, size_t total)
{
    struct seen *s = ctx;
    s->calls++;
    if (strcmp(phase, "commit") == 0) {
        s->commits++;
        return;
    }
    assert_string_equal(phase, "flowpaths");
    assert_int_equal(s->commits, 0); /* counting ends before the commit */
    s->backwards += done < s->last;
    s->last = done;
    s->total = total;
}

/* The progress callback counts flowpaths up to the total, then commits. */
static void test_progress(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/progress.gpkg", tmpdir);
    synth_options o;
    synth_options_default(&o);
    o.flowpaths = 9000;
    struct seen s = {0};
    o.progress = note_progress;
    o.progress_ctx = &s;
    synth_report rep;
    rnr_error err = {0};
    assert_int_equal(synth_generate(path, &o, &rep, &err), 0);
    assert_true(s.calls >= 4); /* 0, 4096, 8192, 9000 and the commit */
    assert_int_equal(s.backwards, 0);
    assert_int_equal(s.last, 9000);
    assert_int_equal(s.total, 9000);
    assert_int_equal(s.commits, 1);
}

static void test_deterministic(void **state)
{
    (void)state;
    char a[512], b[512], c[512];
    generate("a.gpkg", 500, 7, 3, a, sizeof a);
    generate("b.gpkg", 500, 7, 3, b, sizeof b);
    generate("c.gpkg", 500, 8, 3, c, sizeof c);
    assert_true(files_equal(a, b));
    assert_false(files_equal(a, c));
}

static void test_sizes_and_bad_input(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/tiny.gpkg", tmpdir);
    synth_options o;
    synth_options_default(&o);
    synth_report rep;
    rnr_error err = {0};
    for (size_t n = 1; n <= 9; n += 4) {
        o.flowpaths = n;
        assert_int_equal(synth_generate(path, &o, &rep, &err), 0);
        assert_int_equal(rep.flowpaths, n);
        hf_db *db;
        assert_int_equal(hf_open(path, &db, &err), 0);
        hydro_segment *s;
        size_t k;
        assert_int_equal(hf_load_network(db, 0, &s, &k, &err), 0);
        assert_int_equal(k, n);
        free(s);
        hf_close(db);
    }
    o.flowpaths = 20;
    o.gauges = GAUGES;
    o.n_gauges = 6;
    assert_int_equal(synth_generate(path, &o, &rep, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "gauges"));
    o.flowpaths = 0;
    assert_int_equal(synth_generate(path, &o, &rep, &err), RNR_ERR_INVALID);

    char csv[512];
    snprintf(csv, sizeof csv, "%s/g.csv", tmpdir);
    int64_t *ids;
    size_t n;
    const char *cases[][2] = {
        {"lid,reach_id,scenario\nA1,91000001,x\n\nB1,91000002\n", NULL},
        {"lid,name\nA1,3\n", "header must start with lid,reach_id"},
        {"lid,reach_id\nA1,12x\n", "line 2: reach_id '12x' is not a positive integer"},
        {"lid,reach_id\nA1\n", "line 2: expected lid,reach_id"},
        {"", "empty file"}};
    for (size_t i = 0; i < 5; i++) {
        FILE *f = fopen(csv, "w");
        fputs(cases[i][0], f);
        fclose(f);
        int rc = synth_read_gauges(csv, &ids, &n, &err);
        if (!cases[i][1]) {
            assert_int_equal(rc, 0);
            assert_int_equal(n, 2);
            assert_int_equal(ids[1], 91000002);
            free(ids);
        } else {
            assert_int_not_equal(rc, 0);
            assert_non_null(strstr(err.msg, cases[i][1]));
        }
    }
    assert_int_equal(synth_read_gauges("/nonexistent.csv", &ids, &n, &err), RNR_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gauges_route),
        cmocka_unit_test(test_lake_stops_cut),
        cmocka_unit_test(test_gauge_ids_never_collide),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_sizes_and_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
