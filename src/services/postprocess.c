/* postprocess.c - one post-process run: the routed outputs of the window as
 * the inundation CSV and GeoJSON.
 *
 * Every output is downloaded and read once: its rows (joined with the
 * flowpaths) go into the post-process memory (ports/pp_state.h, a small
 * SQLite database under state_dir) keyed by key + size + mtime, so a
 * rewritten object counts as new, and later runs
 * rebuild the tables from there while the file stays in the window. A run
 * that finds no new file writes nothing, as the schedule runs every ten
 * minutes and workers publish far less often; a file counts as new until a
 * table holding it has been uploaded, so a failed upload is redone by the
 * next run without downloading anything again. Flowpath lengths and
 * geometry text are joined through pp_geom, formatted once per flowpath. */
#include "services/postprocess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "hydrofabric/hf.h"
#include "io/csv_out.h"
#include "io/inundation.h"
#include "io/nc_output.h"
#include "ports/backends.h"
#include "ports/pp_state.h"
#include "services/pp_geom.h"
#include "services/pp_guard.h"

#define PP_NAME_PREFIX "troute_output_"
/* An output larger than this is not read into memory (a 22 x 96 one is
 * 40 KB; a 10,000-segment, 10-day one about 30 MB). */
#define PP_OUTPUT_MAX ((size_t)256 * 1024 * 1024)

struct postprocess {
    const rnr_config *cfg;
    rnr_store *store;
    int own_store;
    hf_db *hf;
    pp_geom *geom;
    rnr_pp_state *state;
    pp_guard *guard; /* during a run: the marker and deadline of each read */
};

/* ---- set-up ------------------------------------------------------------ */

int postprocess_new_store(const rnr_config *cfg, rnr_store *store, postprocess **out,
                          rnr_error *err)
{
    *out = NULL;
    if (!cfg->state_dir || !*cfg->state_dir)
        return rnr_error_set(err, RNR_ERR_CONFIG, "postprocess: no state directory");
    postprocess *pp = calloc(1, sizeof *pp);
    if (!pp)
        return rnr_error_set(err, RNR_ERR_NOMEM, "postprocess: out of memory");
    pp->cfg = cfg;
    int rc = RNR_OK;
    if (store) {
        pp->store = store;
    } else {
        rc = backend_open_store(cfg->store_url, &pp->store, err);
        pp->own_store = rc == RNR_OK;
    }
    if (rc == RNR_OK)
        rc = config_open_hydrofabric(pp->cfg, pp->store, &pp->hf, err);
    if (rc == RNR_OK && !*hf_crs(pp->hf))
        log_warn("postprocess",
                 "the hydrofabric does not state its CRS; the GeoJSON assumes EPSG:5070");
    if (rc == RNR_OK)
        rc = pp_geom_new(pp->hf, hf_crs(pp->hf), &pp->geom, err);
    if (rc == RNR_OK)
        rc = backend_open_pp_state(cfg->state_dir, &pp->state, err);
    if (rc != RNR_OK) {
        rnr_error_prefix(err, "postprocess");
        postprocess_free(pp);
        return rc;
    }
    *out = pp;
    return RNR_OK;
}

int postprocess_new(const rnr_config *cfg, postprocess **out, rnr_error *err)
{
    return postprocess_new_store(cfg, NULL, out, err);
}

void postprocess_free(postprocess *pp)
{
    if (!pp)
        return;
    pp_state_free(pp->state);
    pp_geom_free(pp->geom);
    if (pp->hf)
        hf_close(pp->hf);
    if (pp->own_store)
        store_free(pp->store);
    free(pp);
}

/* ---- which files ---------------------------------------------------------- */

/* The time stamp of ".../troute_output_YYYYMMDDHHMM.nc"; 0 or -1. */
static int pp_name_time(const char *key, int64_t *t)
{
    const char *base = strrchr(key, '/');
    if (!base)
        return -1;
    base++;
    size_t pl = strlen(PP_NAME_PREFIX);
    if (strncmp(base, PP_NAME_PREFIX, pl) != 0 || strlen(base) != pl + 12 + 3 ||
        strcmp(base + pl + 12, ".nc") != 0)
        return -1;
    int v[5];
    const char *d = base + pl;
    const int width[5] = {4, 2, 2, 2, 2};
    for (int i = 0; i < 5; i++) {
        v[i] = 0;
        for (int k = 0; k < width[i]; k++, d++) {
            if (*d < '0' || *d > '9')
                return -1;
            v[i] = v[i] * 10 + (*d - '0');
        }
    }
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59)
        return -1;
    *t = time_from_civil(v[0], v[1], v[2], v[3], v[4], 0);
    return 0;
}

/* ---- reading one new file -------------------------------------------------- */

/* Rows of table t joined with the flowpaths (lengthkm, geometry); the
 * rows' WKT belongs to pp->geom. */
static int pp_rows_of(postprocess *pp, const nc_table *t, int64_t now, inundation_row **rows,
                      size_t *n, rnr_error *err)
{
    size_t ns = t->nseg ? t->nseg : 1;
    double *len = calloc(ns, sizeof *len);
    const char **wkt = calloc(ns, sizeof *wkt);
    int rc = len && wkt ? RNR_OK : rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    size_t missing = 0;
    for (size_t i = 0; rc == RNR_OK && i < t->nseg; i++) {
        rc = pp_geom_join(pp->geom, t->feature_ids[i], &len[i], &wkt[i], err);
        if (rc == RNR_ERR_NOTFOUND) {
            missing++;
            rc = RNR_OK;
        }
    }
    if (missing)
        log_warn("postprocess", "%zu of %zu segments are not in the hydrofabric: no geometry",
                 missing, t->nseg);
    if (rc == RNR_OK)
        rc = inundation_rows_from_table(t, len, wkt, now, rows, n, err);
    free(len);
    free(wkt);
    return rc;
}

static int pp_temp_path(const postprocess *pp, const char *suffix, char *buf, size_t n,
                        rnr_error *err)
{
    snprintf(buf, n, "%s/.pp-XXXXXX%s", pp->cfg->state_dir, suffix);
    int fd = mkstemps(buf, (int)strlen(suffix));
    if (fd < 0)
        return rnr_error_set(err, RNR_ERR_IO, "postprocess: cannot create a temporary file in %s",
                             pp->cfg->state_dir);
    close(fd);
    return RNR_OK;
}

/* The object's bytes: read into memory by the store, or, from a store
 * that cannot, downloaded to a scratch file and read from there. */
static int pp_fetch(postprocess *pp, const char *key, void **data, size_t *len, rnr_error *err)
{
    int rc = store_get_buf(pp->store, key, PP_OUTPUT_MAX, data, len, err);
    if (rc != RNR_ERR_UNSUPPORTED)
        return rc;
    char tmp[1200];
    if ((rc = pp_temp_path(pp, ".nc", tmp, sizeof tmp, err)) != RNR_OK)
        return rc;
    char *buf = NULL;
    rc = store_get_file(pp->store, key, tmp, err);
    if (rc == RNR_OK)
        rc = file_read_all(tmp, &buf, len, err);
    unlink(tmp);
    *data = buf;
    return rc;
}

/* Download, read and remember one output. A failed download is logged and
 * leaves *ingested 0 (the file is tried again next run); an unreadable file
 * (or one too large to read) is remembered with no rows so it is not
 * downloaded again and again. Only a failure of the local database is
 * returned. */
static int pp_ingest(postprocess *pp, const store_object *o, int64_t file_time, int64_t now,
                     int *ingested, char *lid, size_t lidn, rnr_error *err)
{
    *ingested = 0;
    rnr_error e;
    void *data = NULL;
    size_t len = 0;
    int rc = pp_fetch(pp, o->key, &data, &len, &e);
    if (rc != RNR_OK && rc != RNR_ERR_LIMIT) {
        log_event(LOG_WARN, "postprocess", "download_failed",
                  "download {key}: {error}; tried again next run", LOG_STR("key", o->key),
                  LOG_STR("error", e.msg));
        return RNR_OK;
    }
    nc_table *t = NULL;
    inundation_row *rows = NULL;
    size_t n = 0;
    const char *note = NULL;
    /* only flow, times, ids and attributes: a file in rnr's layout is
     * then read straight through HDF5 */
    int bad = rc != RNR_OK;
    if (!bad) {
        pp_guard_enter(pp->guard, o);
        bad = nc_output_read_mem(o->key, data, len, NC_OUTPUT_READ_FLOW, &t, &e) != RNR_OK;
        pp_guard_leave(pp->guard);
    }
    if (bad || pp_rows_of(pp, t, now, &rows, &n, &e) != RNR_OK) {
        log_event(LOG_WARN, "postprocess", "input_unreadable", "{key}: {error}; skipped",
                  LOG_STR("key", o->key), LOG_STR("error", e.msg));
        note = e.msg;
        n = 0;
    }
    free(data);
    snprintf(lid, lidn, "%s", t ? t->rfc_location : "");
    if (t && !note) /* the line carries the trace of the message that made the output */
        log_event(LOG_INFO, "postprocess", "input", "read {key} lid={lid} rows={rows}",
                  LOG_STR("key", o->key), LOG_STR("lid", lid), LOG_INT("rows", n),
                  LOG_STR("trace_id", t->trace_id));
    rc = pp_state_record(pp->state, o, file_time, lid, rows, n, note, err);
    *ingested = rc == RNR_OK;
    free(rows);
    nc_table_free(t);
    return rc;
}

/* ---- the tables of the window ----------------------------------------------- */

/* o's remembered rows, stamped with this run's update time. */
static int pp_rows_load(postprocess *pp, const store_object *o, int64_t now, pp_rows *rs,
                        rnr_error *err)
{
    size_t from = rs->n;
    int rc = pp_state_load(pp->state, o, rs, err);
    for (size_t i = from; i < rs->n; i++)
        rs->r[i].update_time = now;
    return rc;
}

typedef int (*pp_writer)(FILE *f, const inundation_row *rows, size_t n, const char *crs,
                         rnr_error *err);

/* The CSV keeps the hydrofabric's EPSG:5070 WKT for the inundation tools. */
static int pp_csv(FILE *f, const inundation_row *rows, size_t n, const char *crs, rnr_error *err)
{
    (void)crs;
    return csv_inundation_write(f, rows, n, err);
}

static int pp_upload(postprocess *pp, const char *key, const char *ctype, pp_writer w,
                     const inundation_row *rows, size_t nrows, rnr_error *err)
{
    char tmp[1200];
    int rc = pp_temp_path(pp, ".out", tmp, sizeof tmp, err);
    if (rc != RNR_OK)
        return rc;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        unlink(tmp);
        return rnr_error_set(err, RNR_ERR_IO, "postprocess: cannot write %s", tmp);
    }
    rc = w(f, rows, nrows, hf_crs(pp->hf), err);
    if (fclose(f) != 0 && rc == RNR_OK)
        rc = rnr_error_set(err, RNR_ERR_IO, "postprocess: cannot write %s", tmp);
    if (rc == RNR_OK)
        rc = store_put_file(pp->store, key, tmp, ctype, err);
    unlink(tmp);
    if (rc != RNR_OK)
        rnr_error_prefix(err, "postprocess: %s", key);
    return rc;
}

static int pp_write_outputs(postprocess *pp, const inundation_row *rows, size_t nrows, int64_t now,
                            postprocess_counts *out, rnr_error *err)
{
    char stamp[32], csv[256], geo[256];
    time_format(now, "%Y-%m-%d_%H:%M:%S", stamp, sizeof stamp);
    const char *pre = pp->cfg->postprocess_prefix ? pp->cfg->postprocess_prefix : "rnr_postprocess";
    snprintf(csv, sizeof csv, "%s/output_inundation_%s.csv", pre, stamp);
    snprintf(geo, sizeof geo, "%s/output_inundation_%s.geojson", pre, stamp);
    int rc = pp_upload(pp, csv, "text/csv", pp_csv, rows, nrows, err);
    if (rc == RNR_OK)
        rc = pp_upload(pp, geo, "application/geo+json", geojson_inundation_write_from, rows, nrows,
                       err);
    if (rc != RNR_OK)
        return rc;
    snprintf(out->csv_key, sizeof out->csv_key, "%s", csv);
    snprintf(out->geojson_key, sizeof out->geojson_key, "%s", geo);
    out->rows = (int)nrows;
    return RNR_OK;
}

static int pp_in_window(const postprocess *pp, int64_t t, int64_t now)
{
    int64_t w = pp->cfg->postprocess_window_s > 0 ? pp->cfg->postprocess_window_s : 86400;
    return t >= now - w && t <= now + w;
}

/* One output of the window that goes into the table. */
typedef struct pp_pick {
    const store_object *o;
    int64_t t;       /* the name's time stamp: the forecast's reference time */
    char gauge[128]; /* rfc_location, else the key's directory */
} pp_pick;

static void pp_gauge_of(const store_object *o, const char *lid, char *buf, size_t n)
{
    const char *slash = strrchr(o->key, '/');
    if (lid && *lid)
        snprintf(buf, n, "%s", lid);
    else
        snprintf(buf, n, "%.*s", slash ? (int)(slash - o->key) : (int)strlen(o->key), o->key);
}

/* By gauge, then the latest issuance first (time stamp, then upload time). */
static int pp_cmp_pick(const void *a, const void *b)
{
    const pp_pick *x = a, *y = b;
    int c = strcmp(x->gauge, y->gauge);
    if (c)
        return c;
    if (x->t != y->t)
        return x->t > y->t ? -1 : 1;
    if (x->o->mtime != y->o->mtime)
        return x->o->mtime > y->o->mtime ? -1 : 1;
    return strcmp(x->o->key, y->o->key);
}

/* The rows of the picked outputs: every one in reference mode; in merged
 * mode only each gauge's latest issuance (picks are sorted here). */
static int pp_load_picks(postprocess *pp, pp_pick *picks, size_t n, int64_t now, pp_rows *rs,
                         rnr_error *err)
{
    int merged = !pp->cfg->postprocess_compat;
    if (merged && n > 1)
        qsort(picks, n, sizeof *picks, pp_cmp_pick);
    int rc = RNR_OK;
    for (size_t i = 0; rc == RNR_OK && i < n; i++) {
        if (merged && i > 0 && !strcmp(picks[i].gauge, picks[i - 1].gauge))
            continue; /* an older issuance of the same gauge */
        rc = pp_rows_load(pp, picks[i].o, now, rs, err);
    }
    return rc;
}

static int pp_write_table(postprocess *pp, pp_rows *rs, int64_t now, postprocess_counts *out,
                          rnr_error *err)
{
    for (size_t i = 0; i < rs->n; i++)
        rs->r[i].geom_json = pp_geom_json(pp->geom, rs->r[i].feature_id, rs->r[i].geom_wkt);
    if (pp->cfg->postprocess_compat)
        return pp_write_outputs(pp, rs->r, rs->n, now, out, err);
    inundation_row *m = NULL;
    size_t nm = 0;
    int rc = inundation_rows_merge(rs->r, rs->n, &m, &nm, err);
    if (rc == RNR_OK)
        rc = pp_write_outputs(pp, m, nm, now, out, err);
    inundation_rows_free(m, nm);
    return rc;
}

static int pp_run(postprocess *pp, int64_t now, postprocess_counts *out, rnr_error *err);

/* An output a previous run died reading (see pp_guard.h) is remembered
 * as unreadable, so that it is not read again. */
static int pp_record_poisoned(postprocess *pp, rnr_error *err)
{
    store_object o;
    char why[128], lid[64];
    int known = 0;
    int64_t t = 0;
    if (!pp->guard || !pp_guard_poisoned(pp->guard, &o, why, sizeof why))
        return RNR_OK;
    int rc = pp_state_lookup(pp->state, &o, &known, lid, sizeof lid, err);
    if (rc != RNR_OK || known)
        return rc;
    log_event(LOG_WARN, "postprocess", "input_poison",
              "{key}: {why}; taken as unreadable, not read again", LOG_STR("key", o.key),
              LOG_STR("why", why));
    if (pp_name_time(o.key, &t) != 0)
        t = 0;
    return pp_state_record(pp->state, &o, t, "", NULL, 0, why, err);
}

int postprocess_run(postprocess *pp, int64_t now, postprocess_counts *out, rnr_error *err)
{
    rnr_error local;
    if (!err)
        err = &local;
    memset(out, 0, sizeof *out);
    pp_geom_trim(pp->geom);
    pp_geom_prepare(pp->geom);
    int reading = hf_read_begin(pp->hf) == 0; /* the joins, hundreds of lookups */
    rnr_error ge;
    if (pp_guard_open(pp->cfg->state_dir, (unsigned)pp->cfg->postprocess_read_timeout_s, &pp->guard,
                      &ge) != RNR_OK)
        log_warn("postprocess", "%s; reading without it", ge.msg);
    int rc = pp_record_poisoned(pp, err);
    if (rc == RNR_OK)
        rc = pp_run(pp, now, out, err);
    pp_guard_close(pp->guard); /* this run read every output it started on */
    pp->guard = NULL;
    if (reading)
        hf_read_end(pp->hf);
    pp_geom_settle(pp->geom); /* no PROJ thread outlives the run (see pp_geom.h) */
    return rc;
}

/* postprocess_run's body, between the PROJ thread's start and join. */
static int pp_run(postprocess *pp, int64_t now, postprocess_counts *out, rnr_error *err)
{
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s/",
             pp->cfg->output_prefix ? pp->cfg->output_prefix : "replace_and_route");
    store_list l = {0};
    int rc = store_list_prefix(pp->store, prefix, &l, err);
    if (rc != RNR_OK)
        return rnr_error_prefix(err, "postprocess: list %s", prefix);
    pp_rows rs = {0};
    pp_pick *picks = calloc(l.n ? l.n : 1, sizeof *picks);
    size_t npick = 0;
    if (!picks)
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "postprocess: out of memory");
    int pending = 0; /* files read (now or by a failed run) but in no uploaded table yet */
    if (rc == RNR_OK)
        rc = pp_state_batch_begin(pp->state, err);
    for (size_t i = 0; rc == RNR_OK && i < l.n; i++) {
        int64_t t;
        int known = 0;
        char lid[64] = "";
        if (pp_name_time(l.items[i].key, &t) != 0 || !pp_in_window(pp, t, now))
            continue;
        out->listed++;
        rc = pp_state_lookup(pp->state, &l.items[i], &known, lid, sizeof lid, err);
        int ingested = 0;
        if (rc == RNR_OK && !known) {
            rc = pp_ingest(pp, &l.items[i], t, now, &ingested, lid, sizeof lid, err);
            out->new_files += ingested;
        }
        pending += ingested || known == 1;
        if (rc == RNR_OK && (known || ingested)) {
            picks[npick] = (pp_pick){&l.items[i], t, ""};
            pp_gauge_of(&l.items[i], lid, picks[npick].gauge, sizeof picks[npick].gauge);
            npick++;
        }
    }
    rnr_error eb;
    int rb = pp_state_batch_end(pp->state, &eb); /* the records so far, also after a failure */
    if (rc == RNR_OK && rb != RNR_OK) {
        *err = eb;
        rc = rb;
    }
    if (rc == RNR_OK && pending)
        rc = pp_load_picks(pp, picks, npick, now, &rs, err);
    if (rc == RNR_OK && pending == 0)
        log_info("postprocess",
                 "no new outputs since the last run (%d in the window); nothing "
                 "written",
                 out->listed);
    else if (rc == RNR_OK)
        rc = pp_write_table(pp, &rs, now, out, err);
    if (rc == RNR_OK && pending)
        rc = pp_state_mark_written(pp->state, err);
    if (rc == RNR_OK) {
        pp_state_prune(pp->state, now - 2 * (int64_t)(pp->cfg->postprocess_window_s > 0
                                                          ? pp->cfg->postprocess_window_s
                                                          : 86400));
        if (pending)
            log_event(LOG_INFO, "postprocess", "run",
                      "run: listed={listed} new={new} rows={rows} csv={csv}",
                      LOG_INT("listed", out->listed), LOG_INT("new", out->new_files),
                      LOG_INT("rows", out->rows), LOG_STR("csv", out->csv_key));
    } else {
        log_event(LOG_ERROR, "postprocess", "run_failed", "run failed: {error}",
                  LOG_STR("error", err->msg));
    }
    free(picks);
    pp_rows_clear(&rs);
    store_list_clear(&l);
    return rc;
}
