/* route_input.c - the `rnr route --qlat` / `--initial` CSV readers (see
 * route_input.h). Lines are split without unquoting (csv_row.h). */
#include "services/route_input.h"

#include "core/fileutil.h"
#include "core/forecast.h"
#include "io/csv_row.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ROUTE_LINE_MAX 1024

int route_input_parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int route_input_parse_id(const char *s, int64_t *out)
{
    if (!strncmp(s, "wb-", 3))
        s += 3;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v <= 0)
        return -1;
    *out = v;
    return 0;
}

int route_input_parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int read_header(FILE *f, const char *name, const char *header, rnr_error *err)
{
    char line[ROUTE_LINE_MAX];
    if (!fgets(line, sizeof line, f) ||
        (line[strcspn(line, "\r\n")] = '\0', strcmp(text_skip_bom(line), header) != 0))
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: line 1: expected the header '%s'", name,
                             header);
    return RNR_OK;
}

static int row_id(const hydro_net *net, const char *name, long line, const char *s, long *idx,
                  rnr_error *err)
{
    int64_t id;
    if (route_input_parse_id(s, &id))
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: line %ld: bad flowpath id '%.64s'", name,
                             line, s);
    *idx = net_index_of(net, id);
    if (*idx < 0)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: line %ld: flowpath %.64s is not in the "
                             "network",
                             name, line, s);
    return RNR_OK;
}

static int blank(const char *line)
{
    return line[0] == '\n' || (line[0] == '\r' && line[1] == '\n');
}

static int cmp_row(const void *x, const void *y)
{
    const qlat_row *a = x, *b = y;
    if (a->step != b->step)
        return a->step < b->step ? -1 : 1;
    return (a->line > b->line) - (a->line < b->line);
}

/* Parse one qlat line into *row; RNR_OK or an error naming the line. */
static int qlat_line(char *line, const char *name, long ln, const hydro_net *net, int nts,
                     qlat_row *row, rnr_error *err)
{
    char *fl[4];
    long step = 0, idx = -1;
    double q;
    if (csv_split_row(line, fl, 4) != 3)
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: line %ld: expected 3 fields step,id,qlat",
                             name, ln);
    if (route_input_parse_int(fl[0], 1, nts, &step))
        return rnr_error_set(err, RNR_ERR_PARSE, "%s: line %ld: step '%.64s' is not in 1..%d", name,
                             ln, fl[0], nts);
    if (row_id(net, name, ln, fl[1], &idx, err))
        return RNR_ERR_PARSE;
    if (route_input_parse_num(fl[2], &q) || fabs(q) > RNR_FLOW_MAX_M3S)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "%s: line %ld: qlat '%.64s' is not a number "
                             "within +-" RNR_FLOW_MAX_TEXT,
                             name, ln, fl[2]);
    *row = (qlat_row){(int)step, idx, (float)q, ln};
    return RNR_OK;
}

int route_input_read_qlat(FILE *f, const char *name, const hydro_net *net, int nts, qlat_row **rows,
                          size_t *nrows, rnr_error *err)
{
    *rows = NULL;
    *nrows = 0;
    int rc = read_header(f, name, "step,id,qlat", err);
    char line[ROUTE_LINE_MAX];
    size_t n = 0, cap = 0;
    qlat_row *r = NULL;
    for (long ln = 2; !rc && fgets(line, sizeof line, f); ln++) {
        if (blank(line))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            qlat_row *p = realloc(r, cap * sizeof *p);
            if (!p) {
                rc = rnr_error_set(err, RNR_ERR_NOMEM, "%s: out of memory", name);
                break;
            }
            r = p;
        }
        rc = qlat_line(line, name, ln, net, nts, &r[n], err);
        n += rc == RNR_OK;
    }
    if (rc) {
        free(r);
        return rc;
    }
    if (n)
        qsort(r, n, sizeof *r, cmp_row);
    *rows = r;
    *nrows = n;
    return RNR_OK;
}

int route_input_read_initial(FILE *f, const char *name, const hydro_net *net, float *q0, float *d0,
                             rnr_error *err)
{
    int rc = read_header(f, name, "id,flow,depth", err);
    char line[ROUTE_LINE_MAX], *fl[4];
    for (long ln = 2; !rc && fgets(line, sizeof line, f); ln++) {
        if (blank(line))
            continue;
        long idx = -1;
        double q, d;
        if (csv_split_row(line, fl, 4) != 3)
            rc = rnr_error_set(err, RNR_ERR_PARSE, "%s: line %ld: expected 3 fields id,flow,depth",
                               name, ln);
        else if (row_id(net, name, ln, fl[0], &idx, err))
            rc = RNR_ERR_PARSE;
        else if (route_input_parse_num(fl[1], &q) || !forecast_flow_ok(q) ||
                 route_input_parse_num(fl[2], &d) || d < 0 || d > ROUTE_DEPTH_MAX)
            rc = rnr_error_set(err, RNR_ERR_PARSE,
                               "%s: line %ld: flow must be in [0, " RNR_FLOW_MAX_TEXT
                               "] and depth in [0, %g m]",
                               name, ln, ROUTE_DEPTH_MAX);
        else {
            q0[idx] = (float)q;
            d0[idx] = (float)d;
        }
    }
    return rc;
}
