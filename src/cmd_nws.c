/* cmd_nws.c - `rnr nws`: operator views of what the worker would see.
 * `products` lists the HML products, `sites` shows each site of one product
 * with the decision the worker would take (and why), `gauge` shows one NWPS
 * gauge record. Tables for people, --json for scripts. */
#include "command.h"

#include "core/timeutil.h"
#include "nws/decide.h"
#include "nws/hml.h"
#include "nws/nwps.h"
#include "nws/products.h"
#include "ports/backends.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct nws_ctx {
    rnr_nws *src;
    int json;
} nws_ctx;

/* One site's outcome for `rnr nws sites`. */
typedef struct site_decision {
    const char *lid;
    int64_t reach_id; /* 0 when unknown */
    char category[32];
    int route;  /* 1: the worker routes it */
    int reason; /* enum nws_skip */
    char message[512];
    size_t rows;
    double peak;
    int64_t peak_time;
} site_decision;

static int fail(const char *what, const rnr_error *err)
{
    fprintf(stderr, "rnr nws %s: %s\n", what, err->msg);
    return 1;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(j);
}

static const char *str_or(const char *s, const char *dflt)
{
    return s && *s ? s : dflt;
}

static int products_run(nws_ctx *c)
{
    rnr_error err = {0, ""};
    nws_product_list *l = NULL;
    if (nws_source_products(c->src, &l, &err) != RNR_OK)
        return fail("products", &err);
    if (c->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < l->n; i++) {
            char *msg = NULL;
            if (nws_product_to_message(&l->items[i], &msg, &err) == RNR_OK)
                json_array_append_new(arr, json_loads(msg, 0, NULL));
            free(msg);
        }
        print_json(arr);
    } else {
        printf("%-25s  %-36s  %-6s  %s\n", "ISSUED", "ID", "OFFICE", "NAME");
        for (size_t i = 0; i < l->n; i++) {
            const nws_product *p = &l->items[i];
            printf("%-25s  %-36s  %-6s  %s\n", str_or(p->issuance_time, "-"), p->id,
                   str_or(p->issuing_office, "-"), str_or(p->product_name, "-"));
        }
        printf("%zu products%s\n", l->n, l->skipped ? " (some items without an id skipped)" : "");
    }
    nws_product_list_free(l);
    return 0;
}

/* One series of s: a gauge without one reads as NULL. */
static int take_series(nws_series_part *p, nwps_stageflow **out, rnr_error *err)
{
    *out = p->s;
    p->s = NULL;
    if (p->rc == RNR_ERR_NOTFOUND || p->rc == RNR_OK)
        return RNR_OK;
    *err = p->err;
    return p->rc;
}

static void set_skip(site_decision *d, int reason, const char *msg)
{
    d->route = 0;
    d->reason = reason;
    snprintf(d->message, sizeof d->message, "%s", msg);
}

/* The second half of the worker's decision: series, then the request. */
static int decide_series(nws_ctx *c, const nwps_gauge *g, site_decision *d, rnr_error *err)
{
    nwps_stageflow *fc = NULL, *ob = NULL;
    nws_series s;
    int rc = nws_source_series(c->src, g->lid, &s, err);
    if (rc == RNR_OK)
        rc = take_series(&s.forecast, &fc, err);
    if (rc == RNR_ERR_PARSE) {
        nws_series_clear(&s);
        set_skip(d, NWS_SKIP_BAD_STAGEFLOW, err->msg);
        return RNR_OK;
    }
    if (rc != RNR_OK) {
        nws_series_clear(&s);
        return rc;
    }
    rc = take_series(&s.observed, &ob, err);
    nws_series_clear(&s);
    if (rc == RNR_ERR_PARSE) {
        ob = NULL; /* the worker routes without an observation then */
        rc = RNR_OK;
    }
    if (rc != RNR_OK) {
        nwps_stageflow_free(fc);
        return rc;
    }
    rnr_forecast *f = NULL;
    int reason = NWS_RUN;
    nwps_stageflow empty = {0};
    rc = nws_build_request(g, fc ? fc : &empty, ob, &f, &reason, err);
    if (rc == RNR_OK) {
        d->route = 1;
        d->rows = f->n;
        for (size_t i = 0; i < f->n; i++)
            if (i == 0 || f->flows[i] > d->peak) {
                d->peak = f->flows[i];
                d->peak_time = f->times[i];
            }
        forecast_free(f);
    } else if (reason != NWS_RUN) {
        set_skip(d, reason, err->msg);
        rc = RNR_OK;
    }
    nwps_stageflow_free(fc);
    nwps_stageflow_free(ob);
    return rc;
}

static int decide_site(nws_ctx *c, site_decision *d, rnr_error *err)
{
    nwps_gauge g;
    int rc = nws_source_gauge(c->src, d->lid, &g, err);
    if (rc == RNR_ERR_NOTFOUND) {
        set_skip(d, NWS_SKIP_GAUGE_NOT_FOUND, err->msg);
        return RNR_OK;
    }
    if (rc == RNR_ERR_PARSE) {
        set_skip(d, NWS_SKIP_BAD_GAUGE, err->msg);
        return RNR_OK;
    }
    if (rc != RNR_OK)
        return rc;
    snprintf(d->category, sizeof d->category, "%s", g.forecast_category);
    d->reach_id = g.reach_status == NWPS_REACH_OK ? g.reach_id : 0;
    int reason = NWS_RUN;
    if (!nws_decide_gauge(&g, &reason)) {
        char msg[512];
        snprintf(msg, sizeof msg, "gauge %s: %s", g.lid, nws_skip_message(reason));
        set_skip(d, reason, msg);
        return RNR_OK;
    }
    return decide_series(c, &g, d, err);
}

static void sites_table(const char *product, const site_decision *d, size_t n)
{
    printf("product %s: %zu sites\n", product, n);
    printf("%-8s  %-10s  %-12s  %s\n", "LID", "REACH", "CATEGORY", "DECISION");
    for (size_t i = 0; i < n; i++) {
        char reach[24] = "-", dec[700];
        if (d[i].reach_id)
            snprintf(reach, sizeof reach, "%lld", (long long)d[i].reach_id);
        if (d[i].route) {
            char ts[40];
            time_format_iso(d[i].peak_time, ts, sizeof ts);
            snprintf(dec, sizeof dec, "route (%zu forecast rows, peak %.3f m3/s at %s)", d[i].rows,
                     d[i].peak, ts);
        } else {
            snprintf(dec, sizeof dec, "skip %s: %s", nws_skip_name(d[i].reason), d[i].message);
        }
        printf("%-8s  %-10s  %-12s  %s\n", d[i].lid, reach, str_or(d[i].category, "-"), dec);
    }
}

static void sites_json(const char *product, const site_decision *d, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "lid", json_string(d[i].lid));
        json_object_set_new(o, "reach_id",
                            d[i].reach_id ? json_integer(d[i].reach_id) : json_null());
        json_object_set_new(o, "category", json_string(d[i].category));
        json_object_set_new(o, "decision", json_string(d[i].route ? "route" : "skip"));
        if (d[i].route) {
            char ts[40];
            time_format_iso(d[i].peak_time, ts, sizeof ts);
            json_object_set_new(o, "forecast_rows", json_integer((json_int_t)d[i].rows));
            json_object_set_new(o, "peak_flow_m3s", json_real(d[i].peak));
            json_object_set_new(o, "peak_time", json_string(ts));
        } else {
            json_object_set_new(o, "reason", json_string(nws_skip_name(d[i].reason)));
            json_object_set_new(o, "message", json_string(d[i].message));
        }
        json_array_append_new(arr, o);
    }
    json_t *top = json_object();
    json_object_set_new(top, "product", json_string(product));
    json_object_set_new(top, "sites", arr);
    print_json(top);
}

static int fetch_hml(nws_ctx *c, const char *arg, nws_hml_product **out, rnr_error *err)
{
    char url[1200];
    if (!strncmp(arg, "http://", 7) || !strncmp(arg, "https://", 8))
        snprintf(url, sizeof url, "%s", arg);
    else if (strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
             strlen(arg))
        return rnr_error_set(err, RNR_ERR_INVALID, "'%s' is neither a product id nor a URL", arg);
    else
        snprintf(url, sizeof url, "%s/products/%s", nws_source_products_base(c->src), arg);
    int rc = nws_source_product(c->src, url, out, err);
    if (rc != RNR_OK)
        rnr_error_prefix(err, "product %s", arg);
    return rc;
}

static int sites_run(nws_ctx *c, const char *arg)
{
    rnr_error err = {0, ""};
    nws_hml_product *p = NULL;
    if (fetch_hml(c, arg, &p, &err) != RNR_OK)
        return fail("sites", &err);
    site_decision *d = calloc(p->n_sites ? p->n_sites : 1, sizeof *d);
    int rc = d ? RNR_OK : rnr_error_set(&err, RNR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < p->n_sites && rc == RNR_OK; i++) {
        d[i].lid = p->sites[i].lid;
        rc = decide_site(c, &d[i], &err);
        if (rc != RNR_OK)
            rnr_error_prefix(&err, "site %s", d[i].lid);
    }
    if (rc == RNR_OK) {
        if (c->json)
            sites_json(arg, d, p->n_sites);
        else
            sites_table(arg, d, p->n_sites);
    }
    free(d);
    nws_hml_product_free(p);
    return rc == RNR_OK ? 0 : fail("sites", &err);
}

static json_t *num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

static void gauge_print(const nwps_gauge *g, int qualifies, int reason, int as_json)
{
    const char *dec =
        qualifies ? "candidate (fetch the forecast to decide)" : nws_skip_name(reason);
    if (as_json) {
        json_t *o = json_object(), *th = json_object();
        json_object_set_new(o, "lid", json_string(g->lid));
        json_object_set_new(o, "name", json_string(g->name));
        json_object_set_new(o, "state", json_string(g->state));
        json_object_set_new(o, "rfc", json_string(g->rfc));
        json_object_set_new(o, "wfo", json_string(g->wfo));
        json_object_set_new(o, "reach_id",
                            g->reach_status == NWPS_REACH_OK ? json_integer(g->reach_id)
                                                             : json_null());
        json_object_set_new(o, "downstream_lid", json_string(g->downstream_lid));
        json_object_set_new(o, "forecast_category", json_string(g->forecast_category));
        json_object_set_new(o, "observed_category", json_string(g->observed_category));
        for (int k = 0; k < NWPS_CAT_COUNT; k++)
            json_object_set_new(th, nwps_category_name(k), num_or_null(g->stage_threshold[k]));
        json_object_set_new(o, "stage_thresholds", th);
        json_object_set_new(o, "stage_units", json_string(g->stage_units));
        json_object_set_new(o, "qualifies", json_boolean(qualifies));
        json_object_set_new(o, "reason",
                            qualifies ? json_null() : json_string(nws_skip_name(reason)));
        print_json(o);
        return;
    }
    char reach[40];
    if (g->reach_status == NWPS_REACH_OK)
        snprintf(reach, sizeof reach, "%lld", (long long)g->reach_id);
    else
        snprintf(reach, sizeof reach, "%s",
                 g->reach_status == NWPS_REACH_NONE ? "(none)" : "(invalid)");
    printf(
        "lid                %s\nname               %s\nstate              %s\nrfc / wfo          %s / %s\n",
        g->lid, str_or(g->name, "-"), str_or(g->state, "-"), str_or(g->rfc, "-"),
        str_or(g->wfo, "-"));
    printf(
        "reachId            %s\ndownstream         %s\nforecast category  %s\nobserved category  %s\n",
        reach, str_or(g->downstream_lid, "-"), str_or(g->forecast_category, "-"),
        str_or(g->observed_category, "-"));
    printf("stage thresholds  ");
    for (int k = 0; k < NWPS_CAT_COUNT; k++) {
        if (isnan(g->stage_threshold[k]))
            printf(" %s -", nwps_category_name(k));
        else
            printf(" %s %g", nwps_category_name(k), g->stage_threshold[k]);
    }
    printf(" %s\n", g->stage_units);
    if (qualifies)
        printf("decision           %s\n", dec);
    else
        printf("decision           skip %s: %s\n", dec, nws_skip_message(reason));
}

static int gauge_run(nws_ctx *c, const char *lid)
{
    rnr_error err = {0, ""};
    nwps_gauge g;
    if (nws_source_gauge(c->src, lid, &g, &err) != RNR_OK)
        return fail("gauge", &err);
    int reason = NWS_RUN;
    int q = nws_decide_gauge(&g, &reason);
    gauge_print(&g, q, reason, c->json);
    return 0;
}

static int nws_run(int argc, char **argv)
{
    const char *sub = NULL, *arg = NULL;
    nws_ctx c = {NULL, 0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            c.json = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cmd_usage_error("nws", "unknown option '%s'", argv[i]);
        else if (!sub)
            sub = argv[i];
        else if (!arg)
            arg = argv[i];
        else
            return cmd_usage_error("nws", "unexpected argument '%s'", argv[i]);
    }
    if (!sub)
        return cmd_usage_error("nws", "missing subcommand (products, sites or gauge)");
    enum { NWS_PRODUCTS, NWS_SITES, NWS_GAUGE } which;
    if (!strcmp(sub, "products"))
        which = NWS_PRODUCTS;
    else if (!strcmp(sub, "sites"))
        which = NWS_SITES;
    else if (!strcmp(sub, "gauge"))
        which = NWS_GAUGE;
    else
        return cmd_usage_error("nws", "unknown subcommand '%s'", sub);
    int want_arg = which != NWS_PRODUCTS;
    if (want_arg != (arg != NULL))
        return cmd_usage_error("nws", "%s %s", sub,
                               want_arg ? "needs one argument" : "takes no argument");
    rnr_error err = {0, ""};
    if (backend_open_nws(NULL, &c.src, &err) != RNR_OK)
        return fail(sub, &err);
    nws_hml_init();
    int rc = which == NWS_PRODUCTS ? products_run(&c)
             : which == NWS_SITES  ? sites_run(&c, arg)
                                   : gauge_run(&c, arg);
    nws_source_free(c.src);
    return rc;
}

const rnr_command cmd_nws = {
    "nws", "look at NWS products, their sites and NWPS gauges as the worker sees them",
    "usage: rnr nws products [--json]\n"
    "       rnr nws sites PRODUCT-ID|URL [--json]\n"
    "       rnr nws gauge LID [--json]\n"
    "\n"
    "products  the HML products api.weather.gov lists now (issued, id, office, name);\n"
    "          --json prints them as the producer's queue messages\n"
    "sites     every site of one HML product with the worker's decision: the\n"
    "          gauge record (flood category, reachId, WFO), then for candidates\n"
    "          the NWPS forecast and observations: \"route (N forecast rows, peak\n"
    "          X m3/s at T)\" or \"skip <reason>: message\"\n"
    "gauge     one NWPS gauge record and whether it is a candidate\n"
    "\n"
    "Endpoints: NWS_API_URL (default https://api.weather.gov) and NWPS_API_URL\n"
    "(default https://api.water.noaa.gov/nwps/v1); NWS_USER_AGENT sets the\n"
    "User-Agent.\n"
    "Errors print one line and exit 1; usage errors exit 2.\n",
    nws_run};
