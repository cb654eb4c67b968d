/* svg_plot.c - hydrograph SVG writer (see header). */
#include "io/svg_plot.h"

#include "core/durable.h"
#include "core/timeutil.h"
#include "io/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const COLORS[SVG_MAX_SERIES] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                                   "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f",
                                                   "#bcbd22", "#17becf", "#393b79", "#637939"};

/* NWS flood-category colours, action to major. */
static const char *const CAT_NAMES[4] = {"action", "minor", "moderate", "major"};
static const char *const CAT_COLORS[4] = {"#e6b800", "#ff8c00", "#e00000", "#b000e0"};

#define SVG_CFS_PER_CMS (1.0 / 0.028316846592)

/* The plot area inside the margins, and the data ranges it shows. */
typedef struct frame {
    double left, top, width, height;
    double y0, y1;  /* flow at the bottom and top, display units */
    double ystep;   /* tick spacing */
    int64_t t0, t1; /* time at the left and right */
    double k;       /* display units per m3/s */
    int shown[4];   /* flood categories drawn */
} frame;

int svg_units_parse(const char *name)
{
    if (!name || !strcmp(name, "m3/s") || !strcmp(name, "cms") || !strcmp(name, "m3 s-1"))
        return 0;
    return strcmp(name, "cfs") == 0 ? 1 : -1;
}

size_t svg_pick_segments(size_t nseg, size_t want, size_t *idx)
{
    if (nseg == 0)
        return 0;
    if (want == 0)
        want = 4;
    if (want > SVG_MAX_SERIES)
        want = SVG_MAX_SERIES;
    if (want > nseg)
        want = nseg;
    size_t n = 0;
    for (size_t i = 0; i < want; i++) {
        size_t s =
            want == 1 ? 0 : (size_t)llround((double)i * (double)(nseg - 1) / (double)(want - 1));
        if (n == 0 || idx[n - 1] != s)
            idx[n++] = s;
    }
    return n;
}

static int valid(float q)
{
    return isfinite(q) && q != NC_OUTPUT_FILL;
}

/* 1, 2 or 5 times a power of ten, at least raw. */
static double nice_step(double raw)
{
    double p = pow(10.0, floor(log10(raw)));
    double m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void widen(int *any, double *lo, double *hi, float q)
{
    if (!valid(q))
        return;
    if (!*any || q < *lo)
        *lo = q;
    if (!*any || q > *hi)
        *hi = q;
    *any = 1;
}

/* Range of the routed series (m3/s); 0 when none has a valid value. The
 * forecast and observation points widen it, drawn or not. */
static int flow_range(const nc_table *t, const size_t *idx, size_t n, double *lo, double *hi)
{
    int any = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < t->ntime; k++)
            widen(&any, lo, hi, t->flow[idx[i] * t->ntime + k]);
    if (!any)
        return 0;
    for (size_t i = 0; i < t->n_fcst; i++)
        widen(&any, lo, hi, t->fcst_flows[i]);
    for (size_t i = 0; i < t->n_obs; i++)
        if (t->obs_times[i] >= t->times[0] - 86400)
            widen(&any, lo, hi, t->obs_flows[i]);
    return 1;
}

/* The left edge: the first routed time, or earlier to show the RFC
 * forecast's first point and the last day of observations before it. */
static int64_t time_start(const nc_table *t)
{
    int64_t t0 = t->times[0];
    for (size_t i = 0; i < t->n_fcst; i++)
        if (t->fcst_times[i] < t0 && t->fcst_times[i] >= t->times[0] - 86400)
            t0 = t->fcst_times[i];
    for (size_t i = 0; i < t->n_obs; i++)
        if (t->obs_times[i] < t0 && t->obs_times[i] >= t->times[0] - 86400 &&
            valid(t->obs_flows[i]))
            t0 = t->obs_times[i];
    return t0;
}

static int threshold_known(const nc_table *t, int c)
{
    return isfinite(t->flood_flow[c]) && t->flood_flow[c] > 0;
}

/* Categories to draw: every one up to hi, and the lowest above it; hi
 * grows to include that one. */
static void pick_thresholds(const nc_table *t, frame *fr, double *hi)
{
    int above = -1;
    for (int c = 0; c < 4; c++) {
        fr->shown[c] = 0;
        if (!threshold_known(t, c))
            continue;
        if (t->flood_flow[c] <= *hi)
            fr->shown[c] = 1;
        else if (above < 0 || t->flood_flow[c] < t->flood_flow[above])
            above = c;
    }
    if (above >= 0) {
        fr->shown[above] = 1;
        *hi = t->flood_flow[above];
    }
}

/* lo and hi in display units. The top is the next tick above the highest
 * value plus 5 % of the range, so a peak never touches the frame. */
static void frame_ranges(frame *fr, double lo, double hi)
{
    if (hi - lo < 1e-6 * (fabs(hi) + 1)) {
        fr->ystep = nice_step(fabs(hi) > 0 ? fabs(hi) / 5 : 1);
        fr->y0 = hi - 5 * fr->ystep;
    } else {
        fr->ystep = nice_step((hi - lo) / 5);
        fr->y0 = floor(lo / fr->ystep) * fr->ystep;
        /* A hydrograph reads best from zero when that costs little room. */
        if (fr->y0 > 0 && fr->y0 < 0.25 * hi)
            fr->y0 = 0;
    }
    fr->y1 = ceil((hi + 0.05 * (hi - fr->y0)) / fr->ystep) * fr->ystep;
    if (fr->y1 <= hi)
        fr->y1 = hi + fr->ystep;
}

static double px_x(const frame *fr, int64_t t)
{
    double span = (double)(fr->t1 - fr->t0);
    return fr->left + (span > 0 ? (double)(t - fr->t0) / span : 0.5) * fr->width;
}

/* q in m3/s. */
static double px_y(const frame *fr, double q)
{
    return fr->top + (fr->y1 - q * fr->k) / (fr->y1 - fr->y0) * fr->height;
}

/* A tick value in display units. */
static double px_tick(const frame *fr, double v)
{
    return px_y(fr, v / fr->k);
}

/* Escaped, control characters dropped, invalid UTF-8 bytes as '?'. */
static void xml_text(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        size_t n = utf8_seq_len(p);
        if (n == 0) {
            fputc('?', f);
            p++;
            continue;
        }
        switch (*p) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if (*p >= 0x20 || *p == '\t')
                fwrite(p, 1, n, f);
        }
        p += n;
    }
}

static void y_axis(FILE *f, const frame *fr)
{
    fprintf(f, "<g class=\"y-axis\" font-size=\"12\" text-anchor=\"end\">\n");
    for (int i = 0; i < 100; i++) {
        double q = fr->y0 + i * fr->ystep;
        if (q > fr->y1 + 1e-9 * fabs(fr->y1))
            break;
        double y = px_tick(fr, q);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#ddd\"/>\n",
                fr->left, y, fr->left + fr->width, y);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\">%.*f</text>\n", fr->left - 6, y + 4,
                fr->ystep < 1 ? 2 : 0, q);
    }
    fprintf(f,
            "</g>\n<text x=\"18\" y=\"%.2f\" font-size=\"13\" text-anchor=\"middle\" "
            "transform=\"rotate(-90 18 %.2f)\">Flow (%s)</text>\n",
            fr->top + fr->height / 2, fr->top + fr->height / 2,
            fr->k == 1.0 ? "m\xc2\xb3/s" : "cfs");
}

static void x_axis(FILE *f, const frame *fr)
{
    static const int64_t steps[] = {3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800};
    int64_t span = fr->t1 - fr->t0, step = steps[sizeof steps / sizeof *steps - 1];
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (span / steps[i] <= 8) {
            step = steps[i];
            break;
        }
    if (span / step > 8) /* longer than two months: whole days */
        step = (span / 8 / 86400 + 1) * 86400;
    fprintf(f, "<g class=\"x-axis\" font-size=\"12\" text-anchor=\"middle\">\n");
    int64_t first = fr->t0 % step == 0 ? fr->t0 : fr->t0 - fr->t0 % step + step;
    for (int64_t t = first; t <= fr->t1; t += step) {
        double x = px_x(fr, t);
        char day[16], hm[16];
        time_format(t, "%Y-%m-%d", day, sizeof day);
        time_format(t, "%H:%M", hm, sizeof hm);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#ddd\"/>\n", x,
                fr->top, x, fr->top + fr->height);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\">%s</text><text x=\"%.2f\" y=\"%.2f\">%s</text>\n",
                x, fr->top + fr->height + 18, hm, x, fr->top + fr->height + 33, day);
    }
    fprintf(
        f,
        "</g>\n<text x=\"%.2f\" y=\"%.2f\" font-size=\"13\" text-anchor=\"middle\">Time (UTC)</text>\n",
        fr->left + fr->width / 2, fr->top + fr->height + 52);
}

static void series(FILE *f, const frame *fr, const nc_table *t, size_t seg, const char *color)
{
    fprintf(f,
            "<polyline class=\"series\" data-feature-id=\"%" PRId64
            "\" fill=\"none\" stroke=\"%s\" "
            "stroke-width=\"2\" points=\"",
            t->feature_ids[seg], color);
    int first = 1;
    for (size_t k = 0; k < t->ntime; k++) {
        float q = t->flow[seg * t->ntime + k];
        if (!valid(q))
            continue;
        fprintf(f, "%s%.2f,%.2f", first ? "" : " ", px_x(fr, t->times[k]), px_y(fr, q));
        first = 0;
    }
    fputs("\"/>\n", f);
}

/* Dashed lines at the flood-category flows, labelled at the right end. */
static void thresholds(FILE *f, const frame *fr, const nc_table *t)
{
    for (int c = 0; c < 4; c++) {
        if (!fr->shown[c])
            continue;
        double y = px_y(fr, t->flood_flow[c]);
        fprintf(
            f,
            "<line class=\"threshold\" data-category=\"%s\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
            "y2=\"%.2f\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"8 4\"/>\n",
            CAT_NAMES[c], fr->left, y, fr->left + fr->width, y, CAT_COLORS[c]);
        fprintf(
            f,
            "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" text-anchor=\"end\" fill=\"%s\">%s</text>\n",
            fr->left + fr->width - 4, y - 4, CAT_COLORS[c], CAT_NAMES[c]);
    }
}

/* Times outside the frame are left out: observations start before it. */
static void markers(FILE *f, const frame *fr, const char *cls, size_t n, const int64_t *ts,
                    const float *qs)
{
    int fcst = !strcmp(cls, "rfc-forecast");
    fprintf(f, "<g class=\"%s\">\n", cls);
    for (size_t i = 0; i < n; i++) {
        if (!valid(qs[i]) || ts[i] < fr->t0 || ts[i] > fr->t1)
            continue;
        double x = px_x(fr, ts[i]), y = px_y(fr, qs[i]);
        if (fcst)
            fprintf(f,
                    "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"white\" stroke=\"#000\" "
                    "stroke-width=\"1.5\"/>\n",
                    x, y);
        else
            fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"5\" height=\"5\" fill=\"#444\"/>\n",
                    x - 2.5, y - 2.5);
    }
    fputs("</g>\n", f);
}

static int in_frame(const frame *fr, size_t n, const int64_t *ts)
{
    for (size_t i = 0; i < n; i++)
        if (ts[i] >= fr->t0 && ts[i] <= fr->t1)
            return 1;
    return 0;
}

/* Legend rows after the series: forecast, observations, categories. */
static void legend_extras(FILE *f, const frame *fr, const nc_table *t, double x, double ly)
{
    if (in_frame(fr, t->n_fcst, t->fcst_times)) {
        fprintf(
            f,
            "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"white\" stroke=\"#000\" stroke-width=\"1.5\"/>"
            "<text x=\"%.2f\" y=\"%.2f\">RFC forecast (forecast point)</text>\n",
            x + 21, ly - 4, x + 40, ly);
        ly += 18;
    }
    if (in_frame(fr, t->n_obs, t->obs_times)) {
        fprintf(f,
                "<rect x=\"%.2f\" y=\"%.2f\" width=\"5\" height=\"5\" fill=\"#444\"/>"
                "<text x=\"%.2f\" y=\"%.2f\">observed</text>\n",
                x + 18.5, ly - 6.5, x + 40, ly);
        ly += 18;
    }
    for (int c = 0; c < 4; c++) {
        if (!fr->shown[c])
            continue;
        fprintf(
            f,
            "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"2\" "
            "stroke-dasharray=\"6 3\"/><text x=\"%.2f\" y=\"%.2f\">%s flood flow %.0f %s</text>\n",
            x + 8, ly - 4, x + 34, ly - 4, CAT_COLORS[c], x + 40, ly, CAT_NAMES[c],
            t->flood_flow[c] * fr->k, fr->k == 1.0 ? "m\xc2\xb3/s" : "cfs");
        ly += 18;
    }
}

static size_t legend_rows(const frame *fr, const nc_table *t, size_t n)
{
    size_t rows = n + (size_t)in_frame(fr, t->n_fcst, t->fcst_times) +
                  (size_t)in_frame(fr, t->n_obs, t->obs_times);
    for (int c = 0; c < 4; c++)
        rows += (size_t)fr->shown[c];
    return rows;
}

static void legend(FILE *f, const frame *fr, const nc_table *t, const size_t *idx, size_t n)
{
    /* Outside the plot area, where it never covers the lines. */
    double w = 250, x = fr->left + fr->width + 12, y = fr->top;
    fprintf(f,
            "<g class=\"legend\" font-size=\"12\">\n<rect x=\"%.2f\" y=\"%.2f\" width=\"%.0f\" "
            "height=\"%.0f\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#999\"/>\n",
            x, y, w, 10 + 18.0 * (double)legend_rows(fr, t, n));
    for (size_t i = 0; i < n; i++) {
        double ly = y + 18 + 18.0 * (double)i;
        const char *role = idx[i] == 0             ? " (forecast point)"
                           : idx[i] == t->nseg - 1 ? " (outlet)"
                                                   : "";
        fprintf(
            f,
            "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"3\"/>\n",
            x + 8, ly - 4, x + 34, ly - 4, COLORS[i]);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\">wb-%" PRId64 "%s</text>\n", x + 40, ly,
                t->feature_ids[idx[i]], role);
    }
    legend_extras(f, fr, t, x, y + 18 + 18.0 * (double)n);
    fputs("</g>\n", f);
}

static void titles(FILE *f, const nc_table *t, const svg_opts *o, double width)
{
    fprintf(
        f,
        "<text x=\"%.2f\" y=\"24\" font-size=\"17\" font-weight=\"bold\" text-anchor=\"middle\">",
        width / 2);
    if (o && o->title) {
        xml_text(f, o->title);
    } else {
        xml_text(f, t->rfc_location[0] ? t->rfc_location : "Hydrograph");
        if (t->name[0]) {
            fputs(" \xe2\x80\x94 ", f);
            xml_text(f, t->name);
        }
    }
    char ref[32];
    time_format(t->reference_time, "%Y-%m-%d %H:%M", ref, sizeof ref);
    fprintf(
        f,
        "</text>\n<text x=\"%.2f\" y=\"42\" font-size=\"12\" fill=\"#555\" text-anchor=\"middle\">"
        "Forecast reference time %s UTC",
        width / 2, ref);
    if (t->max_status[0]) {
        fputs(", max status ", f);
        xml_text(f, t->max_status);
    }
    fputs("</text>\n", f);
}

int svg_hydrograph_write(FILE *f, const nc_table *t, const svg_opts *opts, rnr_error *err)
{
    size_t idx[SVG_MAX_SERIES];
    size_t n = svg_pick_segments(t ? t->nseg : 0, opts ? opts->segments : 0, idx);
    double lo = 0, hi = 0;
    if (n == 0 || t->ntime == 0 || !flow_range(t, idx, n, &lo, &hi))
        return rnr_error_set(err, RNR_ERR_INVALID, "hydrograph: no valid flow to plot");
    double width = opts && opts->width > 0 ? opts->width : 960;
    double height = opts && opts->height > 0 ? opts->height : 540;
    if (width < 400 || height < 300 || width > 10000 || height > 10000)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "hydrograph: size %.0fx%.0f outside 400x300..10000x10000", width,
                             height);
    frame fr = {80,
                60,
                width - 80 - 280,
                height - 140,
                0,
                0,
                0,
                t->times[0],
                t->times[t->ntime - 1],
                opts && opts->units_cfs ? SVG_CFS_PER_CMS : 1.0,
                {0, 0, 0, 0}};
    fr.t0 = time_start(t);
    pick_thresholds(t, &fr, &hi);
    frame_ranges(&fr, lo * fr.k, hi * fr.k);
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
            "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            width, height, width, height);
    titles(f, t, opts, width);
    fprintf(
        f,
        "<rect id=\"plot-area\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
        "stroke=\"#333\"/>\n",
        fr.left, fr.top, fr.width, fr.height);
    y_axis(f, &fr);
    x_axis(f, &fr);
    thresholds(f, &fr, t);
    for (size_t i = 0; i < n; i++)
        series(f, &fr, t, idx[i], COLORS[i]);
    markers(f, &fr, "observed", t->n_obs, t->obs_times, t->obs_flows);
    markers(f, &fr, "rfc-forecast", t->n_fcst, t->fcst_times, t->fcst_flows);
    legend(f, &fr, t, idx, n);
    fputs("</svg>\n", f);
    if (fflush(f) != 0 || ferror(f))
        return rnr_error_set(err, RNR_ERR_IO, "hydrograph: write failed");
    return RNR_OK;
}

int svg_hydrograph_save(const char *path, const nc_table *t, const svg_opts *opts, rnr_error *err)
{
    durable_file *d = NULL;
    int rc = durable_begin(path, NULL, &d, err); /* 0644: the plot is for people */
    if (rc != RNR_OK)
        return rc;
    FILE *f = durable_stream(d);
    if (!f) {
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        durable_abort(d);
        return rc;
    }
    rc = svg_hydrograph_write(f, t, opts, err);
    if (rc != RNR_OK) {
        durable_abort(d);
        return rc;
    }
    return durable_commit(d, err);
}
