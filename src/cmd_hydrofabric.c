/* cmd_hydrofabric.c - `rnr hydrofabric index|cut|generate`: build the
 * sidecar index, print an RnR segment cut, write a synthetic hydrofabric. */
#include "command.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "hydrofabric/hf.h"
#include "hydrofabric/parquet.h"
#include "hydrofabric/synth.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HF_CMD "hydrofabric"

static int parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *v = x;
    return 0;
}

static void index_progress(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
    cmd_progress_update(ctx, phase, (size_t)done, (size_t)total);
}

static int run_index(int argc, char **argv)
{
    const char *gpkg = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
            if (++i >= argc)
                return cmd_usage_error(HF_CMD, "index: %s needs a path", argv[i - 1]);
            out = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cmd_usage_error(HF_CMD, "index: unknown option '%s'", argv[i]);
        } else if (gpkg) {
            return cmd_usage_error(HF_CMD, "index takes one GeoPackage path");
        } else {
            gpkg = argv[i];
        }
    }
    if (!gpkg)
        return cmd_usage_error(HF_CMD, "index takes one GeoPackage path");
    char *ip = out ? strdup(out) : hf_index_path(gpkg);
    rnr_error err = {0};
    hf_info info;
    int64_t t0 = time_mono_ms();
    cmd_progress prog;
    cmd_progress_init(&prog, "hydrofabric index");
    hf_build_opts opts = {.progress = index_progress, .progress_ctx = &prog};
    int rc = ip ? hf_index_build_opts(gpkg, ip, &opts, &info, &err)
                : rnr_error_set(&err, RNR_ERR_NOMEM, "out of memory");
    cmd_progress_end(&prog);
    if (rc) {
        fprintf(stderr, "rnr hydrofabric: %s\n", err.msg);
        free(ip);
        return 1;
    }
    printf(
        "%s: %zu flowpaths, %zu network rows, %zu lakes, %zu duplicate ids in %s%s%s%s (%lld ms)\n",
        ip, info.flowpaths, info.network_rows, info.lakes, info.duplicate_attributes,
        info.layer_attributes, info.duplicate_attributes ? " (first: " : "",
        info.duplicate_attributes ? info.first_duplicate : "",
        info.duplicate_attributes ? ", first row kept)" : "", (long long)(time_mono_ms() - t0));
    free(ip);
    return 0;
}

static void print_cut_text(const hf_cut *c)
{
    printf("reachId %lld: %zu flowpaths, stream order %d, mainstem %lld%s\n",
           (long long)c->reach_id, c->n, c->order, (long long)c->mainstem,
           c->lake_cut ? " (stops at a lake)" : "");
    printf("%-14s %-14s %12s %8s %8s %10s %10s %10s %8s %12s\n", "id", "to", "dx_m", "n", "ncc",
           "bw", "tw", "twcc", "cs", "s0");
    for (size_t i = 0; i < c->n; i++) {
        const hydro_segment *s = &c->segs[i];
        char to[32] = "-";
        if (s->to_id)
            snprintf(to, sizeof to, "wb-%lld", (long long)s->to_id);
        printf("%-14s %-14s %12.9g %8.9g %8.9g %10.9g %10.9g %10.9g %8.9g %12.9g\n", c->fps[i].id,
               to, s->dx, s->n, s->ncc, s->bw, s->tw, s->twcc, s->cs, s->s0);
    }
}

static int print_cut_json(const hf_cut *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->n; i++) {
        const hydro_segment *s = &c->segs[i];
        const hf_flowpath *f = &c->fps[i];
        json_array_append_new(
            arr,
            json_pack("{s:s, s:I, s:I, s:f, s:i, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
                      "id", f->id, "to_id", (json_int_t)s->to_id, "hf_id", (json_int_t)f->hf_id,
                      "lengthkm", f->lengthkm, "order", f->order, "mainstem",
                      (json_int_t)f->mainstem, "dx", (double)s->dx, "n", (double)s->n, "ncc",
                      (double)s->ncc, "bw", (double)s->bw, "tw", (double)s->tw, "twcc",
                      (double)s->twcc, "cs", (double)s->cs, "s0", (double)s->s0));
    }
    json_t *o = json_pack("{s:I, s:I, s:i, s:b, s:o}", "reach_id", (json_int_t)c->reach_id,
                          "mainstem", (json_int_t)c->mainstem, "order", c->order, "lake_cut",
                          c->lake_cut, "segments", arr);
    if (c->lake_cut)
        json_object_set_new(o, "lake_poi_id", json_integer(c->lake_poi_id));
    char *s = json_dumps(o, JSON_INDENT(1) | JSON_REAL_PRECISION(9));
    json_decref(o);
    if (!s)
        return 1;
    puts(s);
    free(s);
    return 0;
}

static int run_cut(int argc, char **argv)
{
    int json = 0;
    const char *pos[2], *index = NULL;
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--index") == 0) {
            if (++i >= argc)
                return cmd_usage_error(HF_CMD, "cut: --index needs a path");
            index = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1])
            return cmd_usage_error(HF_CMD, "cut: unknown option '%s'", argv[i]);
        else if (np < 2)
            pos[np++] = argv[i];
        else
            return cmd_usage_error(HF_CMD, "cut: too many arguments");
    }
    int64_t reach;
    if (np != 2)
        return cmd_usage_error(HF_CMD, "cut needs a GeoPackage path and a reachId");
    if (parse_i64(pos[1], &reach) != 0 || reach <= 0)
        return cmd_usage_error(HF_CMD, "cut: reachId '%s' is not a positive integer", pos[1]);
    rnr_error err = {0};
    hf_db *db;
    hf_cut *c = NULL;
    if (hf_open_index(pos[0], index, &db, &err) != 0) {
        fprintf(stderr, "rnr hydrofabric: %s\n", err.msg);
        return 1;
    }
    int rc = hf_cut_reach(db, reach, &c, &err);
    hf_close(db);
    if (rc) {
        fprintf(stderr, "rnr hydrofabric: %s\n", err.msg);
        return 1;
    }
    if (json)
        rc = print_cut_json(c);
    else
        print_cut_text(c);
    hf_cut_free(c);
    return rc;
}

static void generate_progress(void *ctx, const char *phase, size_t done, size_t total)
{
    cmd_progress_update(ctx, phase, done, total);
}

static int run_generate(int argc, char **argv)
{
    synth_options o;
    synth_options_default(&o);
    const char *out = NULL, *pq_dir = NULL;
    int have_n = 0, zstd = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int64_t v;
        if (strcmp(a, "--flowpaths") == 0 || strcmp(a, "--seed") == 0 ||
            strcmp(a, "--lakes") == 0) {
            if (i + 1 >= argc || parse_i64(argv[i + 1], &v) != 0 || v < 0)
                return cmd_usage_error(HF_CMD, "generate: %s needs a non-negative integer", a);
            if (a[2] == 'f') {
                o.flowpaths = (size_t)v;
                have_n = 1;
            } else if (a[2] == 's') {
                o.seed = (uint64_t)v;
            } else {
                o.lakes = (size_t)v;
                o.lakes_set = 1;
            }
            i++;
        } else if (strcmp(a, "--gauges") == 0) {
            if (i + 1 >= argc)
                return cmd_usage_error(HF_CMD, "generate: --gauges needs a CSV file");
            o.gauges_csv = argv[++i];
        } else if (strcmp(a, "--parquet") == 0) {
            if (i + 1 >= argc)
                return cmd_usage_error(HF_CMD, "generate: --parquet needs a directory");
            pq_dir = argv[++i];
        } else if (strcmp(a, "--zstd") == 0) {
            zstd = 1;
        } else if (a[0] == '-' && a[1]) {
            return cmd_usage_error(HF_CMD, "generate: unknown option '%s'", a);
        } else if (out) {
            return cmd_usage_error(HF_CMD, "generate: more than one output path");
        } else {
            out = a;
        }
    }
    if (!out || !have_n)
        return cmd_usage_error(HF_CMD, "generate needs --flowpaths N and an output path");
    if (o.flowpaths < 1 || o.flowpaths > SYNTH_MAX_FLOWPATHS)
        return cmd_usage_error(HF_CMD, "generate: --flowpaths must be 1..%d", SYNTH_MAX_FLOWPATHS);
    rnr_error err = {0};
    synth_report rep;
    cmd_progress prog;
    cmd_progress_init(&prog, "hydrofabric generate");
    o.progress = generate_progress;
    o.progress_ctx = &prog;
    int64_t t0 = time_mono_ms();
    int rc = synth_generate(out, &o, &rep, &err);
    cmd_progress_end(&prog);
    if (rc != 0) {
        fprintf(stderr, "rnr hydrofabric: %s\n", err.msg);
        return 1;
    }
    printf("%s: %zu flowpaths, %zu network rows, %zu lakes, %zu gauges placed (%lld ms)\n", out,
           rep.flowpaths, rep.network_rows, rep.lakes, rep.gauges,
           (long long)(time_mono_ms() - t0));
    if (pq_dir) {
        t0 = time_mono_ms();
        cmd_progress_update(&prog, "parquet layers", 0, 0);
        rc = hf_export_parquet(out, pq_dir, 0, zstd, &err);
        cmd_progress_end(&prog);
        if (rc) {
            fprintf(stderr, "rnr hydrofabric: %s\n", err.msg);
            return 1;
        }
        printf("%s: parquet layers (%lld ms)\n", pq_dir, (long long)(time_mono_ms() - t0));
    }
    return 0;
}

/* A GeoPackage's layers as the reference's parquet layout. */
static int run_convert(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    int np = 0, zstd = 0;
    int64_t group = 65536;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--zstd") == 0) {
            zstd = 1;
        } else if (strcmp(argv[i], "--row-group") == 0) {
            if (i + 1 >= argc || parse_i64(argv[i + 1], &group) != 0 || group < 1 ||
                group > (1 << 24))
                return cmd_usage_error(HF_CMD, "convert: --row-group needs 1..16777216 rows");
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cmd_usage_error(HF_CMD, "convert: unknown option '%s'", argv[i]);
        } else if (np == 2) {
            return cmd_usage_error(HF_CMD, "convert: too many arguments");
        } else {
            pos[np++] = argv[i];
        }
    }
    if (np != 2)
        return cmd_usage_error(HF_CMD, "convert needs a GeoPackage and an output directory");
    rnr_error err = {0};
    int64_t t0 = time_mono_ms();
    if (hf_export_parquet(pos[0], pos[1], (size_t)group, zstd, &err)) {
        fprintf(stderr, "rnr hydrofabric: %s\n", err.msg);
        return 1;
    }
    printf("%s: parquet layers (%lld ms)\n", pos[1], (long long)(time_mono_ms() - t0));
    return 0;
}

/* One value of a decoded column, as `dump` prints it: \\N for null,
 * integers in decimal, reals with round-trip precision, strings with tab,
 * newline and backslash escaped, other byte arrays as 0x-hex. */
static void print_value(const pq_column *c, size_t r)
{
    if (c->valid && !c->valid[r]) {
        fputs("\\N", stdout);
        return;
    }
    if (c->kind == PQ_KIND_INT) {
        printf("%lld", (long long)c->i[r]);
    } else if (c->kind == PQ_KIND_REAL) {
        printf("%.17g", c->d[r]);
    } else {
        const uint8_t *p = c->data + c->off[r];
        size_t n = c->off[r + 1] - c->off[r];
        if (!c->is_string)
            fputs("0x", stdout);
        for (size_t k = 0; k < n; k++) {
            if (!c->is_string)
                printf("%02x", p[k]);
            else if (p[k] == '\t' || p[k] == '\n' || p[k] == '\\')
                printf("\\%c", p[k] == '\t' ? 't' : p[k] == '\n' ? 'n' : '\\');
            else
                putchar(p[k]);
        }
    }
}

/* Every row of the chosen columns (all when none named), tab-separated,
 * after a header of name:physical-type. */
static int run_dump(int argc, char **argv)
{
    int pages = 0;
    const char *where = NULL;
    int64_t want = 0;
    while (argc > 1 && (strcmp(argv[1], "--pages") == 0 || strcmp(argv[1], "--where") == 0)) {
        if (argv[1][2] == 'p') {
            pages = 1;
        } else {
            char *eq = argc > 2 ? strchr(argv[2], '=') : NULL;
            if (!eq || parse_i64(eq + 1, &want) != 0)
                return cmd_usage_error(HF_CMD, "dump: --where needs COLUMN=INTEGER");
            *eq = 0;
            where = argv[2];
            argc--;
            argv++;
        }
        argc--;
        argv++;
    }
    if (argc < 2 || argv[1][0] == '-')
        return cmd_usage_error(HF_CMD, "dump needs a Parquet file");
    rnr_error err = {0};
    pq_file *f;
    if (pq_open(argv[1], &f, &err)) {
        fprintf(stderr, "rnr hydrofabric: %s\n", err.msg);
        return 1;
    }
    size_t nc = argc > 2 ? (size_t)(argc - 2) : pq_num_columns(f);
    size_t *cols = calloc(nc ? nc : 1, sizeof *cols);
    pq_column *cv = calloc(nc ? nc : 1, sizeof *cv);
    int rc = cols && cv ? RNR_OK : rnr_error_set(&err, RNR_ERR_NOMEM, "out of memory");
    for (size_t k = 0; !rc && k < nc; k++) {
        cols[k] = k;
        if (argc > 2)
            rc = pq_find_column(f, argv[2 + k], &cols[k], &err);
        if (!rc)
            printf("%s%s:%d", k ? "\t" : "", pq_column_name(f, cols[k]),
                   pq_column_type(f, cols[k]));
    }
    if (!rc)
        putchar('\n');
    size_t wcol = 0, skipped = 0;
    pq_column wv = {0};
    if (!rc && where)
        rc = pq_find_column(f, where, &wcol, &err);
    for (size_t g = 0; !rc && g < pq_num_row_groups(f); g++) {
        /* a lookup: row groups whose min/max exclude the value are not read */
        if (where && !pq_chunk_may_contain_int(f, g, wcol, want)) {
            skipped++;
            continue;
        }
        if (where)
            rc = pq_read_column(f, g, wcol, &wv, &err);
        for (size_t k = 0; !rc && k < nc; k++)
            rc = pq_read_column(f, g, cols[k], &cv[k], &err);
        for (size_t r = 0; !rc && r < (size_t)pq_row_group_rows(f, g); r++) {
            if (where &&
                ((wv.valid && !wv.valid[r]) || (wv.kind == PQ_KIND_INT && wv.i[r] != want) ||
                 (wv.kind == PQ_KIND_REAL && wv.d[r] != (double)want) || wv.kind == PQ_KIND_BYTES))
                continue;
            for (size_t k = 0; k < nc; k++) {
                if (k)
                    putchar('\t');
                print_value(&cv[k], r);
            }
            putchar('\n');
        }
        for (size_t k = 0; k < nc; k++) {
            if (!rc && pages)
                fprintf(stderr, "pages %s rg %zu: v1 %u v2 %u dict %u encodings 0x%x\n",
                        pq_column_name(f, cols[k]), g, cv[k].pages_v1, cv[k].pages_v2,
                        cv[k].dict_pages, cv[k].encodings);
            pq_column_clear(&cv[k]);
        }
        pq_column_clear(&wv);
    }
    if (pages && where)
        fprintf(stderr, "where %s=%lld: %zu of %zu row groups skipped by their statistics\n", where,
                (long long)want, skipped, pq_num_row_groups(f));
    free(cols);
    free(cv);
    pq_close(f);
    if (rc) {
        fflush(stdout);
        fprintf(stderr, "rnr hydrofabric: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int hydrofabric_run(int argc, char **argv)
{
    if (argc < 2)
        return cmd_usage_error(HF_CMD, "needs a subcommand: index, cut, generate, convert or dump");
    const char *sub = argv[1];
    if (strcmp(sub, "index") == 0)
        return run_index(argc - 1, argv + 1);
    if (strcmp(sub, "cut") == 0)
        return run_cut(argc - 1, argv + 1);
    if (strcmp(sub, "generate") == 0)
        return run_generate(argc - 1, argv + 1);
    if (strcmp(sub, "dump") == 0)
        return run_dump(argc - 1, argv + 1);
    if (strcmp(sub, "convert") == 0)
        return run_convert(argc - 1, argv + 1);
    return cmd_usage_error(HF_CMD, "unknown subcommand '%s'", sub);
}

const rnr_command cmd_hydrofabric = {
    HF_CMD, "index, cut, generate, convert and dump NextGen hydrofabrics (GeoPackage or parquet)",
    "usage: rnr hydrofabric index H.gpkg [-o INDEX]\n"
    "       rnr hydrofabric cut H.gpkg REACH_ID [--json] [--index INDEX]\n"
    "       rnr hydrofabric generate --flowpaths N [--seed S] [--lakes K] [--gauges FILE]\n"
    "                                [--parquet DIR [--zstd]] OUT.gpkg\n"
    "       rnr hydrofabric convert H.gpkg DIR [--zstd] [--row-group N]\n"
    "       rnr hydrofabric dump [--pages] [--where COL=N] FILE.parquet [COLUMN...]\n"
    "\n"
    "index     Build the sidecar index H.gpkg.rnrindex (the columns the RnR cut reads,\n"
    "          with B-tree indexes) so a worker opens a CONUS file in milliseconds.\n"
    "          Reports duplicate ids in flowpath-attributes (the first row is used).\n"
    "          -o INDEX writes it elsewhere (e.g. when H.gpkg is read-only).\n"
    "cut       Print the RnR segment for a gauge's reachId (network.hf_id): the\n"
    "          flowpaths in routing order (upstream first) with their float32\n"
    "          Muskingum-Cunge parameters; --json prints them as JSON; --index\n"
    "          reads the index from INDEX instead of H.gpkg.rnrindex.\n"
    "generate  Write a synthetic hydrofabric v2.2 GeoPackage (EPSG:5070) with the\n"
    "          layers network, flowpaths, flowpath-attributes, nexus and lakes.\n"
    "          --flowpaths N  number of flowpaths (1..1500000)\n"
    "          --seed S       random seed (default 1); equal seeds give equal files\n"
    "          --lakes K      number of lakes (default N/400)\n"
    "          --gauges FILE  CSV with header lid,reach_id[,...]: each reach_id becomes\n"
    "                         the hf_id of a flowpath whose cut is a lake-free chain\n"
    "                         of at least 8 flowpaths\n"
    "          --parquet DIR  also write the layers as parquet files in DIR (the\n"
    "                         reference's layout; --zstd compresses them)\n"
    "convert   Write H.gpkg's layers as parquet files in DIR, one per layer, geometry\n"
    "          as GeoParquet WKB (rnr's own PLAIN writer; row groups of N rows,\n"
    "          default 65536; --zstd compresses). A file without lakes gets an\n"
    "          empty lakes.parquet.\n"
    "dump      Print the rows of a Parquet file (or of the named columns) as\n"
    "          tab-separated text (--pages: each chunk's page kinds on stderr): a header of name:physical-type, \\N for null,\n"
    "          reals with round-trip precision, non-string bytes as 0x-hex.\n"
    "          --where COL=N prints only rows whose numeric COL equals N, skipping\n"
    "          the row groups whose min/max statistics exclude it.\n"
    "\n"
    "Exit status: 0 success, 1 bad input or failure, 2 usage error.\n",
    hydrofabric_run};
