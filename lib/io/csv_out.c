/* csv_out.c - inundation CSV and GeoJSON writers (formats in the header). */
#include "io/csv_out.h"

#include "core/timeutil.h"
#include "io/numfmt.h"
#include "io/reproject.h"
#include "io/utf8.h"
#include "io/wkt.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char HEADER[] = "feature_id,feature_id_str,strm_order,name,state,streamflow_cfs,"
                             "inherited_rfc_forecasts,max_status,reference_time,update_time,geom\n";

static void stamp(int64_t t, char *buf, size_t n)
{
    if (time_format(t, "%Y-%m-%d_%H:%M:%S", buf, n))
        buf[0] = '\0';
}

int inundation_inherited_text(char *buf, size_t n, const char *max_status, int64_t reference_time,
                              const char *lid, int64_t rfc_reach_id, int stream_order, double miles)
{
    char ref[32], mi[40];
    stamp(reference_time, ref, sizeof ref);
    if (numfmt_double(miles, mi, sizeof mi))
        return -1;
    int w =
        snprintf(buf, n, "%s issued %s at %s (%" PRId64 " [order %d]) %s miles upstream",
                 max_status ? max_status : "", ref, lid ? lid : "", rfc_reach_id, stream_order, mi);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* The largest valid flow of segment i over the file's times, NAN if none. */
static float segment_max(const nc_table *t, size_t i)
{
    float best = NAN;
    for (size_t k = 0; k < t->ntime; k++) {
        float q = t->flow[i * t->ntime + k];
        if (!isnan(q) && q != NC_OUTPUT_FILL && (isnan(best) || q > best))
            best = q;
    }
    return best;
}

int inundation_rows_from_table(const nc_table *t, const double *length_km, const char *const *wkt,
                               int64_t update_time, inundation_row **rows, size_t *n,
                               rnr_error *err)
{
    *rows = NULL;
    *n = 0;
    size_t peak;
    if (!t || nc_table_peak(t, &peak) != RNR_OK)
        return rnr_error_set(err, RNR_ERR_NOTFOUND, "inundation rows: output has no valid flow");
    inundation_row *r = calloc(t->nseg, sizeof *r);
    if (!r)
        return rnr_error_set(err, RNR_ERR_NOMEM, "inundation rows: out of memory");
    double miles = 0.0;
    for (size_t i = 0; i < t->nseg; i++) {
        inundation_row *row = &r[i];
        row->feature_id = t->feature_ids[i];
        row->stream_order = t->stream_order;
        row->name = t->name;
        row->state = t->state;
        row->flow_cms = t->flow[i * t->ntime + peak];
        row->flow_max_cms = segment_max(t, i);
        row->max_status = t->max_status;
        row->reference_time = t->reference_time;
        row->update_time = update_time;
        row->geom_wkt = wkt ? wkt[i] : NULL;
        if (inundation_inherited_text(
                row->inherited_rfc_forecasts, sizeof row->inherited_rfc_forecasts, t->max_status,
                t->reference_time, t->rfc_location, t->rfc_reach_id, t->stream_order, miles)) {
            free(r);
            return rnr_error_set(err, RNR_ERR_LIMIT,
                                 "inundation rows: forecast text too long for %s", t->rfc_location);
        }
        if (length_km)
            miles += length_km[i] * INUNDATION_MILES_PER_KM;
    }
    *rows = r;
    *n = t->nseg;
    return RNR_OK;
}

/* RFC 4180: quote only when needed, double the quotes inside. */
static void csv_field(FILE *f, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static const char *row_inherited(const inundation_row *r)
{
    return r->inherited_joined ? r->inherited_joined : r->inherited_rfc_forecasts;
}

static float row_cfs(const inundation_row *r)
{
    return r->flow_cms * INUNDATION_CFS_PER_CMS;
}

static void csv_row(FILE *f, const inundation_row *r)
{
    char cfs[40] = "", ref[32], upd[32];
    float q = row_cfs(r);
    if (isfinite(q))
        numfmt_float(q, cfs, sizeof cfs);
    stamp(r->reference_time, ref, sizeof ref);
    stamp(r->update_time, upd, sizeof upd);
    fprintf(f, "%" PRId64 ",wb-%" PRId64 ",%d,", r->feature_id, r->feature_id, r->stream_order);
    csv_field(f, r->name);
    fputc(',', f);
    csv_field(f, r->state);
    fprintf(f, ",%s,", cfs);
    csv_field(f, row_inherited(r));
    fputc(',', f);
    csv_field(f, r->max_status);
    fprintf(f, ",%s,%s,", ref, upd);
    csv_field(f, r->geom_wkt);
    fputc('\n', f);
}

int csv_inundation_write(FILE *f, const inundation_row *rows, size_t n, rnr_error *err)
{
    fputs(HEADER, f);
    for (size_t i = 0; i < n; i++)
        csv_row(f, &rows[i]);
    if (fflush(f) != 0 || ferror(f))
        return rnr_error_set(err, RNR_ERR_IO, "inundation CSV: write failed");
    return RNR_OK;
}

/* ---- GeoJSON ----------------------------------------------------------- */

/* JSON string; invalid UTF-8 bytes become U+FFFD so the document parses. */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        size_t n = utf8_seq_len(p);
        if (n == 0)
            fputs("\\ufffd", f);
        else if (n > 1) {
            fwrite(p, 1, n, f);
            p += n - 1;
        } else if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\r')
            fputs("\\r", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_number(FILE *f, double v)
{
    char buf[40];
    numfmt_double(v, buf, sizeof buf);
    fputs(buf, f);
}

/* Degrees to 7 decimals (about 1 cm), as RFC 7946 advises against
 * meaningless precision. */
static void json_degrees(FILE *f, double v)
{
    json_number(f, round(v * 1e7) / 1e7);
}

static void json_line(FILE *f, const wkt_lines *g, size_t part)
{
    size_t from = part ? g->part_end[part - 1] : 0;
    fputc('[', f);
    for (size_t i = from; i < g->part_end[part]; i++) {
        fputs(i > from ? ",[" : "[", f);
        json_degrees(f, g->xy[2 * i]);
        fputc(',', f);
        json_degrees(f, g->xy[2 * i + 1]);
        fputc(']', f);
    }
    fputc(']', f);
}

static void json_geometry(FILE *f, const wkt_lines *g)
{
    if (!g->multi) {
        fputs("{\"type\":\"LineString\",\"coordinates\":", f);
        json_line(f, g, 0);
    } else {
        fputs("{\"type\":\"MultiLineString\",\"coordinates\":[", f);
        for (size_t k = 0; k < g->nparts; k++) {
            if (k)
                fputc(',', f);
            json_line(f, g, k);
        }
        fputc(']', f);
    }
    fputc('}', f);
}

static void json_properties(FILE *f, const inundation_row *r)
{
    char ref[32], upd[32];
    stamp(r->reference_time, ref, sizeof ref);
    stamp(r->update_time, upd, sizeof upd);
    fprintf(f,
            "{\"feature_id\":%" PRId64 ",\"feature_id_str\":\"wb-%" PRId64
            "\",\"strm_order\":%d,\"name\":",
            r->feature_id, r->feature_id, r->stream_order);
    json_string(f, r->name);
    fputs(",\"state\":", f);
    json_string(f, r->state);
    fputs(",\"streamflow_cfs\":", f);
    float q = row_cfs(r);
    char cfs[40];
    if (isfinite(q) && numfmt_float(q, cfs, sizeof cfs) == 0)
        fputs(cfs, f);
    else
        fputs("null", f);
    fputs(",\"inherited_rfc_forecasts\":", f);
    json_string(f, row_inherited(r));
    fputs(",\"max_status\":", f);
    json_string(f, r->max_status);
    fprintf(f, ",\"reference_time\":\"%s\",\"update_time\":\"%s\"}", ref, upd);
}

static int has_geometry(const inundation_row *r)
{
    return r->geom_wkt && r->geom_wkt[0];
}

/* Row i's geometry in lon/lat; errors name the row. */
static int row_geometry(const inundation_row *r, size_t i, reproj *rp, wkt_lines **g,
                        rnr_error *err)
{
    int rc = wkt_lines_parse(r->geom_wkt, g, err);
    if (rc == RNR_OK && (rc = reproj_points(rp, (*g)->xy, (*g)->npoints, err)) != RNR_OK) {
        wkt_lines_free(*g);
        *g = NULL;
    }
    if (rc)
        rnr_error_prefix(err, "inundation row %zu (feature %" PRId64 ")", i, r->feature_id);
    return rc;
}

int geojson_geometry_text(const char *wkt, reproj *rp, char **out, rnr_error *err)
{
    *out = NULL;
    wkt_lines *g = NULL;
    int rc = wkt_lines_parse(wkt, &g, err);
    if (rc == RNR_OK)
        rc = reproj_points(rp, g->xy, g->npoints, err);
    size_t len = 0;
    FILE *f = rc == RNR_OK ? open_memstream(out, &len) : NULL;
    if (rc == RNR_OK && !f)
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "GeoJSON geometry: out of memory");
    if (f) {
        json_geometry(f, g);
        if (fclose(f) != 0) {
            free(*out);
            *out = NULL;
            rc = rnr_error_set(err, RNR_ERR_NOMEM, "GeoJSON geometry: out of memory");
        }
    }
    wkt_lines_free(g);
    return rc;
}

/* rp may be NULL only when every row with a geometry has it pre-rendered. */
static int geojson_body(FILE *f, const inundation_row *rows, size_t n, reproj *rp, rnr_error *err)
{
    for (size_t i = 0; i < n; i++) {
        assert(rp || !has_geometry(&rows[i]) || rows[i].geom_json);
        wkt_lines *g = NULL;
        int rc = has_geometry(&rows[i]) && !rows[i].geom_json
                     ? row_geometry(&rows[i], i, rp, &g, err)
                     : RNR_OK;
        if (rc)
            return rc;
        wkt_lines_free(g);
    }
    fputs("{\"type\":\"FeatureCollection\",\"features\":[", f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n{\"type\":\"Feature\",\"geometry\":"
                : "\n{\"type\":\"Feature\",\"geometry\":",
              f);
        if (has_geometry(&rows[i]) && rows[i].geom_json) {
            fputs(rows[i].geom_json, f);
        } else if (has_geometry(&rows[i])) {
            wkt_lines *g;
            int rc = row_geometry(&rows[i], i, rp, &g, err);
            if (rc)
                return rc;
            json_geometry(f, g);
            wkt_lines_free(g);
        } else {
            fputs("null", f);
        }
        fputs(",\"properties\":", f);
        json_properties(f, &rows[i]);
        fputc('}', f);
    }
    fputs("\n]}\n", f);
    if (fflush(f) != 0 || ferror(f))
        return rnr_error_set(err, RNR_ERR_IO, "inundation GeoJSON: write failed");
    return RNR_OK;
}

int geojson_inundation_write_from(FILE *f, const inundation_row *rows, size_t n,
                                  const char *src_crs, rnr_error *err)
{
    /* PROJ's set-up costs tens of ms; rows that come pre-rendered (the
     * post-processor's) need none of it. */
    int need = 0;
    for (size_t i = 0; i < n && !need; i++)
        need = has_geometry(&rows[i]) && !rows[i].geom_json;
    reproj *rp = NULL;
    int rc = need ? reproj_new(src_crs && *src_crs ? src_crs : "EPSG:5070", &rp, err) : RNR_OK;
    if (rc == RNR_OK)
        rc = geojson_body(f, rows, n, rp, err);
    reproj_free(rp);
    return rc;
}

int geojson_inundation_write(FILE *f, const inundation_row *rows, size_t n, rnr_error *err)
{
    return geojson_inundation_write_from(f, rows, n, "EPSG:5070", err);
}
