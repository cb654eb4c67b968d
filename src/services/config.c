/* config.c - rnr_config from the environment: the reference deployment's
 * variable names first, RNR_* overrides, embedded defaults under the state
 * directory. Numeric and enumerated variables are parsed strictly so a typo
 * stops the service at start instead of changing its behaviour. */
#include "services/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/envutil.h"
#include "core/log.h"
#include "core/url.h"
#include "hydro/forcing.h"
#include "ports/backends.h"
#include "services/hf_fetch.h"

/* Non-empty value of name, else NULL. */
static const char *env_get(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int config_set(char **field, const char *value)
{
    char *copy = NULL;
    if (value) {
        copy = strdup(value);
        if (!copy)
            return RNR_ERR_NOMEM;
    }
    free(*field);
    *field = copy;
    return RNR_OK;
}

static int set_env_or(char **field, const char *name, const char *def)
{
    const char *v = env_get(name);
    return config_set(field, v ? v : def);
}

static int env_bool(const char *name, int def, int *out, rnr_error *err)
{
    const char *v = env_get(name);
    *out = def;
    if (!v)
        return RNR_OK;
    if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"))
        *out = 1;
    else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
        *out = 0;
    else
        return rnr_error_set(err, RNR_ERR_CONFIG, "%s=\"%s\": expected 0 or 1", name, v);
    return RNR_OK;
}

static int env_forcing(int *out, rnr_error *err)
{
    const char *v = env_get("RNR_FORCING");
    *out = FORCING_TIMECORRECT;
    if (!v || !strcmp(v, "timecorrect"))
        return RNR_OK;
    if (!strcmp(v, "troute")) {
        *out = FORCING_TROUTE;
        return RNR_OK;
    }
    return rnr_error_set(err, RNR_ERR_CONFIG, "RNR_FORCING=\"%s\": expected timecorrect or troute",
                         v);
}

/* RNR_HYDROFABRIC_FETCH: how a parquet prefix comes from the store,
 * "ranged" (default: footers and needed column chunks, cached by ETag) or
 * "whole" (whole files). */
static int env_hf_fetch(int *whole, rnr_error *err)
{
    const char *v = env_get("RNR_HYDROFABRIC_FETCH");
    *whole = v && !strcmp(v, "whole");
    if (!v || *whole || !strcmp(v, "ranged"))
        return RNR_OK;
    return rnr_error_set(err, RNR_ERR_CONFIG,
                         "RNR_HYDROFABRIC_FETCH=\"%s\": expected ranged or whole", v);
}

/* RNR_POSTPROCESS_COMPAT: "reference" keeps the reference's table (a row
 * per segment and output, flow at each file's peak time); unset or
 * "merged" gives one row per segment. */
static int env_pp_compat(int *out, rnr_error *err)
{
    const char *v = env_get("RNR_POSTPROCESS_COMPAT");
    *out = 0;
    if (!v || !strcmp(v, "merged"))
        return RNR_OK;
    if (!strcmp(v, "reference")) {
        *out = 1;
        return RNR_OK;
    }
    return rnr_error_set(err, RNR_ERR_CONFIG,
                         "RNR_POSTPROCESS_COMPAT=\"%s\": expected merged or reference", v);
}

/* mkdir -p, then the absolute path of dir (malloc'd) in *abs. */
static int state_dir_prepare(const char *dir, char **abs, rnr_error *err)
{
    char buf[PATH_MAX];
    if (strlen(dir) >= sizeof buf)
        return rnr_error_set(err, RNR_ERR_CONFIG, "RNR_STATE_DIR is too long");
    strcpy(buf, dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return rnr_error_set(err, RNR_ERR_CONFIG, "RNR_STATE_DIR: cannot create %s: %s", buf,
                                 strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return rnr_error_set(err, RNR_ERR_CONFIG, "RNR_STATE_DIR: cannot create %s: %s", dir,
                             strerror(errno));
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return rnr_error_set(err, RNR_ERR_CONFIG, "RNR_STATE_DIR %s: %s", dir, strerror(errno));
    *abs = strdup(real);
    return *abs ? RNR_OK : RNR_ERR_NOMEM;
}

/* The backend URLs: each backend's adapter reads its own variables (the
 * composition root, ports/backends.h, says which and in what order). */
static int load_backends(rnr_config *c, rnr_error *err)
{
    backend_urls u;
    int rc = backend_urls_from_env(c->state_dir, &u, err);
    if (rc)
        return rc;
    c->queue_url = u.queue;
    c->cache_url = u.cache;
    c->store_url = u.store;
    c->nws_url = u.nws;
    c->nwps_url = u.nwps;
    return RNR_OK;
}

static int load_strings(rnr_config *c)
{
    int rc = 0;
    rc |= set_env_or(&c->queue_name, "MQ_QUEUE_NAME", "hml_files");
    rc |= set_env_or(&c->output_prefix, "APP_OUTPUT_S3_KEY", "replace_and_route");
    rc |= set_env_or(&c->postprocess_prefix, "POSTPROCESS_OUTPUT_S3_KEY", "rnr_postprocess");
    rc |= set_env_or(&c->hydrofabric_path, "RNR_HYDROFABRIC", NULL);
    rc |= set_env_or(&c->hydrofabric_key, "HYDROFABRIC_S3_KEY", NULL);
    rc |= set_env_or(&c->user_agent, "NWS_USER_AGENT", NULL);
    rc |= set_env_or(&c->metrics_url, "RNR_METRICS_URL", "log:");
    rc |= set_env_or(&c->ecs_cluster, "ECS_CLUSTER_NAME", NULL);
    rc |= set_env_or(&c->ecs_service, "ECS_SERVICE_NAME", NULL);
    rc |= set_env_or(&c->mq_broker_name, "MQ_BROKER_NAME", NULL);
    rc |= set_env_or(&c->region, "AWS_REGION", NULL);
    rc |= set_env_or(&c->health_file, "RNR_HEALTH_FILE", NULL);
    return rc ? RNR_ERR_NOMEM : RNR_OK;
}

/* The key prefixes become the first components of every output key: check
 * them now, with the store's key rules, rather than after a product has
 * been routed. */
static int check_prefixes(const rnr_config *c, rnr_error *err)
{
    const struct {
        const char *var, *value;
    } p[] = {{"APP_OUTPUT_S3_KEY", c->output_prefix},
             {"POSTPROCESS_OUTPUT_S3_KEY", c->postprocess_prefix}};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        int rc = backend_store_check_key(p[i].value, err);
        if (rc != RNR_OK) {
            err->code = RNR_ERR_CONFIG;
            return rnr_error_prefix(err, "%s", p[i].var);
        }
    }
    return RNR_OK;
}

static int load_numbers(rnr_config *c, rnr_error *err)
{
    long v;
    int rc = env_long("RNR_DEDUP_TTL", 604800, 1, 315360000L, &v, err);
    if (rc)
        return rc;
    c->dedup_ttl_s = v;
    if ((rc = env_long("RNR_GRACE_SECONDS", 30, 0, 86400, &v, err)))
        return rc;
    c->grace_s = (int)v;
    /* Up to ten years, so replays of dated data (the bundled sample is from
     * 2026-03-14) keep working for years without a clock override. */
    if ((rc = env_long("RNR_POSTPROCESS_WINDOW", 86400, 60, 315360000L, &v, err)))
        return rc;
    c->postprocess_window_s = (int)v;
    if ((rc = env_long("RNR_POSTPROCESS_READ_TIMEOUT", 60, 0, 86400, &v, err)))
        return rc;
    c->postprocess_read_timeout_s = (int)v;
    if ((rc = env_forcing(&c->forcing_mode, err)) ||
        (rc = env_pp_compat(&c->postprocess_compat, err)) ||
        (rc = env_hf_fetch(&c->hydrofabric_whole, err)))
        return rc;
    int publish;
    if ((rc = env_bool("RNR_HYDROFABRIC_PUBLISH", 1, &publish, err)))
        return rc;
    c->hydrofabric_no_publish = !publish;
    return env_bool("RNR_PLOTS", 0, &c->write_plots, err);
}

/* The state directory when RNR_STATE_DIR is unset: ./rnr-state, except
 * under the Lambda runtime, whose task directory (also the cwd) is
 * read-only and where only /tmp (or $TMPDIR when set) is writable. */
static void state_dir_default(char *buf, size_t n)
{
    const char *tmp = env_get("TMPDIR");
    if (!env_get("AWS_LAMBDA_RUNTIME_API"))
        snprintf(buf, n, "./rnr-state");
    else
        snprintf(buf, n, "%s/rnr-state", tmp && tmp[0] == '/' ? tmp : "/tmp");
}

int config_load(rnr_config *c, rnr_error *err)
{
    memset(c, 0, sizeof *c);
    char def[PATH_MAX];
    state_dir_default(def, sizeof def);
    const char *sd = env_get("RNR_STATE_DIR");
    int rc = state_dir_prepare(sd ? sd : def, &c->state_dir, err);
    if (!rc)
        rc = load_numbers(c, err);
    if (!rc)
        rc = load_strings(c);
    if (!rc)
        rc = check_prefixes(c, err);
    if (!rc)
        rc = load_backends(c, err);
    if (rc == RNR_ERR_NOMEM)
        rnr_error_set(err, rc, "out of memory loading the configuration");
    if (rc)
        config_clear(c);
    return rc;
}

void config_clear(rnr_config *c)
{
    char **fields[] = {
        &c->state_dir,       &c->queue_url,     &c->queue_name,         &c->cache_url,
        &c->store_url,       &c->output_prefix, &c->postprocess_prefix, &c->hydrofabric_path,
        &c->hydrofabric_key, &c->nws_url,       &c->nwps_url,           &c->user_agent,
        &c->metrics_url,     &c->ecs_cluster,   &c->ecs_service,        &c->mq_broker_name,
        &c->region,          &c->health_file};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
    memset(c, 0, sizeof *c);
}

void config_describe(const rnr_config *c, char *buf, size_t n)
{
    char q[512], k[512], s[512], nws[512], nwps[512];
    url_mask(c->nws_url ? c->nws_url : "-", nws, sizeof nws);
    url_mask(c->nwps_url ? c->nwps_url : "-", nwps, sizeof nwps);
    url_mask(c->queue_url ? c->queue_url : "", q, sizeof q);
    url_mask(c->cache_url ? c->cache_url : "", k, sizeof k);
    url_mask(c->store_url ? c->store_url : "", s, sizeof s);
    const char *hf = c->hydrofabric_path  ? c->hydrofabric_path
                     : c->hydrofabric_key ? c->hydrofabric_key
                                          : "-";
    snprintf(n ? buf : NULL, n,
             "state_dir=%s queue=%s queue_name=%s cache=%s store=%s output=%s hydrofabric=%s "
             "nws=%s nwps=%s forcing=%s plots=%d grace=%ds dedup_ttl=%llds",
             c->state_dir ? c->state_dir : "-", q, c->queue_name ? c->queue_name : "-", k, s,
             c->output_prefix ? c->output_prefix : "-", hf, nws, nwps,
             c->forcing_mode == FORCING_TROUTE ? "troute" : "timecorrect", c->write_plots,
             c->grace_s, (long long)c->dedup_ttl_s);
}

/* The reference's layout: parquet layers under a key prefix, cached in
 * state_dir/hf-<prefix>/ (hf_fetch.c). Errors say HYDROFABRIC_S3_KEY and
 * name the key. */
static int open_parquet_prefix(const rnr_config *c, rnr_store *store, const char *prefix,
                               hf_db **out, rnr_error *err)
{
    char dir[1200], ip[1300];
    snprintf(dir, sizeof dir, "%s/hf-", c->state_dir);
    size_t k = strlen(dir);
    for (const char *p = prefix; *p && k + 1 < sizeof dir; p++)
        dir[k++] = (*p == '/' || *p == '.') ? '_' : *p;
    dir[k] = 0;
    snprintf(ip, sizeof ip, "%s.rnrindex", dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return rnr_error_set(err, RNR_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    hf_fetch_opts fo = {.publish = !c->hydrofabric_no_publish};
    int rc = c->hydrofabric_whole ? hf_fetch_whole(store, prefix, dir, ip, &fo, err)
                                  : hf_fetch_ranged(store, prefix, dir, ip, &fo, out, err);
    if (!rc && c->hydrofabric_whole)
        rc = hf_open_index(dir, ip, out, err);
    return rc ? rnr_error_prefix(err, "HYDROFABRIC_S3_KEY") : RNR_OK;
}

int config_open_hydrofabric(const rnr_config *c, rnr_store *store, hf_db **out, rnr_error *err)
{
    *out = NULL;
    if (c->hydrofabric_path && *c->hydrofabric_path)
        return hf_open(c->hydrofabric_path, out, err);
    if (!c->hydrofabric_key || !*c->hydrofabric_key)
        return rnr_error_set(err, RNR_ERR_CONFIG,
                             "no hydrofabric: set RNR_HYDROFABRIC or HYDROFABRIC_S3_KEY");
    size_t kn = strlen(c->hydrofabric_key);
    if (kn < 5 || strcmp(c->hydrofabric_key + kn - 5, ".gpkg") != 0) {
        /* the reference's meaning: a prefix holding the parquet layers */
        char prefix[512];
        snprintf(prefix, sizeof prefix, "%s", c->hydrofabric_key);
        for (size_t n = strlen(prefix); n > 1 && prefix[n - 1] == '/'; n--)
            prefix[n - 1] = 0;
        return open_parquet_prefix(c, store, prefix, out, err);
    }
    const char *base = strrchr(c->hydrofabric_key, '/');
    base = base ? base + 1 : c->hydrofabric_key;
    char local[1200];
    snprintf(local, sizeof local, "%s/hf-%s", c->state_dir, base);
    if (access(local, R_OK) != 0) {
        log_info("config", "downloading hydrofabric key=%s to %s", c->hydrofabric_key, local);
        int rc = store_get_file(store, c->hydrofabric_key, local, err);
        if (rc != RNR_OK)
            return rnr_error_prefix(err, "HYDROFABRIC_S3_KEY");
    }
    return hf_open(local, out, err);
}
