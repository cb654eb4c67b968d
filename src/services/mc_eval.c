/* mc_eval.c - `rnr mc eval`: run the rows of an oracle table (the columns
 * of single_segment_public.csv, found by name) through the Muskingum-Cunge
 * kernel and compare bit for bit (see mc_eval.h). */
#include "services/mc_eval.h"

#include "core/fileutil.h"
#include "hydro/mc_kernel.h"
#include "io/csv_row.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MC_MAX_COLS 64
#define MC_SHOW 10

enum {
    IN_DT,
    IN_QUP,
    IN_QUC,
    IN_QDP,
    IN_QL,
    IN_DX,
    IN_BW,
    IN_TW,
    IN_TWCC,
    IN_N,
    IN_NCC,
    IN_CS,
    IN_S0,
    IN_VELP,
    IN_DEPTHP,
    IN_QJ0,
    N_IN
};
enum { OUT_QDC, OUT_VELC, OUT_DEPTHC, OUT_CK, OUT_CN, OUT_X, OUT_QJ0, N_OUT };

static const char *const in_names[N_IN] = {"dt", "qup",  "quc",    "qdp",   "ql",  "dx",
                                           "bw", "tw",   "twcc",   "n",     "ncc", "cs",
                                           "s0", "velp", "depthp", "qj0_in"};
static const char *const out_names[N_OUT] = {"qdc", "velc", "depthc", "ck", "cn", "X", "qj0_out"};

typedef struct mc_eval {
    int col_id, col_status, col_in[N_IN], col_out[N_OUT];
    long passed, failed, shown;
    FILE *report;
} mc_eval;

static int parse_f(const char *s, float *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end != '\0')
        return -1;
    *v = (float)d;
    return 0;
}

static uint32_t bits_of(float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static int same_float(float a, float b)
{
    return (isnan(a) && isnan(b)) || bits_of(a) == bits_of(b);
}

static void report_fail(mc_eval *ev, const char *id, const char *field, const char *want,
                        const char *got)
{
    ev->failed++;
    if (ev->shown++ < MC_SHOW)
        fprintf(ev->report, "case %s: %s expected %s, got %s\n", id, field, want, got);
}

static int read_header(FILE *fp, const char *path, mc_eval *ev, char *buf, size_t cap,
                       rnr_error *err)
{
    char *f[MC_MAX_COLS];
    if (!fgets(buf, (int)cap, fp))
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: empty file (no header)", path);
    int n = csv_split_row(text_skip_bom(buf), f, MC_MAX_COLS);
    ev->col_id = csv_find_col(f, n, "case_id");
    ev->col_status = csv_find_col(f, n, "status");
    const char *missing = ev->col_id < 0 ? "case_id" : ev->col_status < 0 ? "status" : NULL;
    for (int i = 0; i < N_IN && !missing; i++)
        if ((ev->col_in[i] = csv_find_col(f, n, in_names[i])) < 0)
            missing = in_names[i];
    for (int i = 0; i < N_OUT && !missing; i++)
        if ((ev->col_out[i] = csv_find_col(f, n, out_names[i])) < 0)
            missing = out_names[i];
    if (missing)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: missing column '%s'", path, missing);
    return RNR_OK;
}

static void eval_row(mc_eval *ev, char **f, int nf)
{
    const char *id = ev->col_id < nf ? f[ev->col_id] : "?";
    if (ev->col_status >= nf) {
        report_fail(ev, id, "row", "all columns", "a short row");
        return;
    }
    float v[N_IN];
    for (int i = 0; i < N_IN; i++) {
        if (ev->col_in[i] >= nf || parse_f(f[ev->col_in[i]], &v[i]) != 0) {
            report_fail(ev, id, in_names[i], "a number",
                        ev->col_in[i] < nf ? f[ev->col_in[i]] : "(missing)");
            return;
        }
    }
    mc_inputs in = {v[IN_DT], v[IN_QUP],  v[IN_QUC],    v[IN_QDP], v[IN_QL],  v[IN_DX],
                    v[IN_BW], v[IN_TW],   v[IN_TWCC],   v[IN_N],   v[IN_NCC], v[IN_CS],
                    v[IN_S0], v[IN_VELP], v[IN_DEPTHP], 0.0f,      0.0f};
    mc_state st = {v[IN_QJ0]};
    mc_outputs out;
    rnr_error err = {0, ""};
    int rc = mc_route_step(&st, &in, &out, 0, &err);
    const char *status = f[ev->col_status];
    if (strcmp(status, "error_stop") == 0) {
        if (rc == RNR_OK)
            report_fail(ev, id, "status", "error_stop", "ok");
        else
            ev->passed++;
        return;
    }
    if (strcmp(status, "ok") != 0) {
        report_fail(ev, id, "status", "ok or error_stop", status);
        return;
    }
    if (rc != RNR_OK) {
        report_fail(ev, id, "status", "ok", err.msg);
        return;
    }
    float got[N_OUT] = {out.qdc, out.velc, out.depthc, out.ck, out.cn, out.x, st.r0};
    for (int i = 0; i < N_OUT; i++) {
        float want;
        char gs[40];
        snprintf(gs, sizeof gs, "%.9g", (double)got[i]);
        if (ev->col_out[i] >= nf || parse_f(f[ev->col_out[i]], &want) != 0) {
            report_fail(ev, id, out_names[i], ev->col_out[i] < nf ? f[ev->col_out[i]] : "(missing)",
                        gs);
            return;
        }
        if (!same_float(want, got[i])) {
            report_fail(ev, id, out_names[i], f[ev->col_out[i]], gs);
            return;
        }
    }
    ev->passed++;
}

int mc_eval_stream(FILE *fp, const char *path, FILE *report, long *passed, long *failed,
                   rnr_error *err)
{
    mc_eval ev;
    memset(&ev, 0, sizeof ev);
    ev.report = report;
    *passed = *failed = 0;
    char buf[16384];
    char *f[MC_MAX_COLS];
    int rc = read_header(fp, path, &ev, buf, sizeof buf, err);
    long line = 1;
    while (!rc && fgets(buf, sizeof buf, fp)) {
        line++;
        if (!strchr(buf, '\n') && !feof(fp)) {
            rc = rnr_error_set(err, RNR_ERR_PARSE, "%s: line %ld is longer than %zu bytes", path,
                               line, sizeof buf - 2);
            break;
        }
        if (buf[0] == '\n' || buf[0] == '\r' || buf[0] == '\0')
            continue;
        int nf = csv_split_row(buf, f, MC_MAX_COLS);
        eval_row(&ev, f, nf);
    }
    if (!rc && ferror(fp))
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: read error", path);
    *passed = ev.passed;
    *failed = ev.failed;
    return rc;
}
