/* cmd_postprocess.c - `rnr postprocess`: one post-process run over the
 * outputs of the window; prints the counts and the keys written. */
#include "command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "services/config.h"
#include "services/postprocess.h"

typedef struct postprocess_flags {
    const char *state_dir, *store, *hydrofabric, *now, *compat;
} postprocess_flags;

static int postprocess_parse(int argc, char **argv, postprocess_flags *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 1; i < argc; i++) {
        const char *a = cmd_flag_name(argv[i]), *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **str = !strcmp(a, "--state-dir")     ? &f->state_dir
                           : !strcmp(a, "--store-url")   ? &f->store
                           : !strcmp(a, "--hydrofabric") ? &f->hydrofabric
                           : !strcmp(a, "--now")         ? &f->now
                           : !strcmp(a, "--compat")      ? &f->compat
                                                         : NULL;
        if (!strcmp(a, "--once"))
            continue;
        if (!str)
            return cmd_usage_error("postprocess", "unknown argument \"%s\"", argv[i]);
        if (!v || !*v)
            return cmd_usage_error("postprocess", "%s needs a value", argv[i]);
        *str = v;
        i++;
    }
    return 0;
}

static int postprocess_main(int argc, char **argv)
{
    postprocess_flags f;
    if (postprocess_parse(argc, argv, &f))
        return 2;
    int64_t now = time_now();
    if (f.now && time_parse_iso(f.now, &now) != 0)
        return cmd_usage_error("postprocess", "--now \"%s\" is not an ISO 8601 time", f.now);
    if (f.compat && strcmp(f.compat, "reference") && strcmp(f.compat, "merged"))
        return cmd_usage_error("postprocess", "--compat must be reference or merged, got \"%s\"",
                               f.compat);
    rnr_config cfg;
    if (cmd_load_config("postprocess", f.state_dir, &cfg))
        return 1;
    if (f.compat)
        cfg.postprocess_compat = !strcmp(f.compat, "reference");
    rnr_error err = {0};
    int rc = 0;
    if (f.store)
        rc |= config_set(&cfg.store_url, f.store);
    if (f.hydrofabric)
        rc |= config_set(&cfg.hydrofabric_path, f.hydrofabric);
    if (rc != 0) {
        fprintf(stderr, "rnr postprocess: out of memory\n");
        config_clear(&cfg);
        return 1;
    }
    postprocess *pp = NULL;
    postprocess_counts c = {0};
    rc = postprocess_new(&cfg, &pp, &err);
    if (rc == RNR_OK)
        rc = postprocess_run(pp, now, &c, &err);
    postprocess_free(pp);
    config_clear(&cfg);
    if (rc != RNR_OK) {
        log_fatal("postprocess", "%s", err.msg);
        return 1;
    }
    printf("listed=%d new=%d rows=%d\n", c.listed, c.new_files, c.rows);
    if (c.csv_key[0])
        printf("wrote %s\nwrote %s\n", c.csv_key, c.geojson_key);
    else
        printf("no new outputs since the last run; nothing written\n");
    return 0;
}

const rnr_command cmd_postprocess = {
    "postprocess", "write the inundation CSV/GeoJSON of the recent outputs (one run)",
    "usage: rnr postprocess [--once] [--state-dir D] [--store-url URL] [--hydrofabric H.gpkg]\n"
    "                       [--now ISO-TIME] [--compat merged|reference]\n\n"
    "Lists {APP_OUTPUT_S3_KEY}/*/troute_output_YYYYMMDDHHMM.nc whose time stamp is\n"
    "within RNR_POSTPROCESS_WINDOW seconds (default 86400) of now, reads each new file\n"
    "once (results kept in {state_dir}/postprocess.db and its -wal; delete both, or the\n"
    "state dir, to forget them), joins the flowpaths and writes\n"
    "{POSTPROCESS_OUTPUT_S3_KEY}/output_inundation_{YYYY-MM-DD_HH:MM:SS}.csv and\n"
    ".geojson (times UTC). When no output is new since the last run nothing is written.\n\n"
    "The table (merged, the default) has one row per feature_id: only each gauge's\n"
    "latest issuance counts, streamflow_cfs is the segment's maximum over the\n"
    "forecast, and where gauges overlap the row takes the largest flow, the most\n"
    "severe max_status and lists every contributing forecast, joined by \"; \".\n"
    "--compat reference (RNR_POSTPROCESS_COMPAT=reference) writes the reference's\n"
    "table instead: every output's rows, each at its file's time of peak flow.\n"
    "A file whose reading takes more than RNR_POSTPROCESS_READ_TIMEOUT seconds\n"
    "(default 60; 0: no limit) ends the run with exit status 3 naming it; the\n"
    "next run skips it as unreadable, as it does a file two runs died reading.\n\n"
    "  --once            one run (the only mode; the schedule repeats it)\n"
    "  --state-dir D     embedded backends and the per-file memory under D\n"
    "  --store-url URL   file:///abs/dir or s3://bucket/prefix (RNR_STORE_URL; old name --store)\n"
    "  --hydrofabric H   local GeoPackage (RNR_HYDROFABRIC)\n"
    "  --now T           evaluate the window at T instead of the clock (replays)\n"
    "  --compat MODE     merged (default) or reference (RNR_POSTPROCESS_COMPAT)\n",
    postprocess_main};
