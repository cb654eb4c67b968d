/* amqp_config.c - the AMQP adapter's configuration: URL and query options,
 * credentials from the environment or a secret's JSON, URL building and
 * redaction. Passwords never reach a log or an error message. */
#include "adapters/urlutil.h"
#include "adapters/amqp_internal.h"
#include "adapters/amqp_queue.h"
#include "core/url.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const system_ca_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu */
    "/etc/pki/tls/certs/ca-bundle.crt",   /* Amazon Linux, RHEL */
    "/etc/ssl/cert.pem",                  /* Alpine, macOS */
};

/* Percent-encode everything but RFC 3986 unreserved characters. */
static char *pct_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out[j++] = (char)c;
        } else {
            out[j++] = '%';
            out[j++] = hex[c >> 4];
            out[j++] = hex[c & 15];
        }
    }
    out[j] = '\0';
    return out;
}

static int parse_int_opt(const char *name, const char *v, int lo, int hi, int *out, rnr_error *err)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < lo || x > hi)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "AMQP URL option %s=%s: expected an integer in %d..%d", name, v, lo,
                             hi);
    *out = (int)x;
    return RNR_OK;
}

static int apply_option(amqp_config *cfg, const char *name, const char *v, rnr_error *err)
{
    if (!strcmp(name, "heartbeat"))
        return parse_int_opt(name, v, 0, 3600, &cfg->heartbeat_s, err);
    if (!strcmp(name, "prefetch"))
        return parse_int_opt(name, v, 1, 65535, &cfg->prefetch, err);
    if (!strcmp(name, "delivery_limit"))
        return parse_int_opt(name, v, 1, 1000000, &cfg->delivery_limit, err);
    if (!strcmp(name, "connect_timeout"))
        return parse_int_opt(name, v, 1, 600000, &cfg->connect_timeout_ms, err);
    if (!strcmp(name, "confirm_timeout"))
        return parse_int_opt(name, v, 1, 3600000, &cfg->confirm_timeout_ms, err);
    if (!strcmp(name, "queue_type")) {
        if (strcmp(v, "classic") && strcmp(v, "quorum"))
            return rnr_error_set(err, RNR_ERR_INVALID,
                                 "AMQP URL option queue_type=%s: expected classic or quorum", v);
        cfg->quorum = !strcmp(v, "quorum");
        return RNR_OK;
    }
    char **slot = !strcmp(name, "dlq") ? &cfg->dlq : !strcmp(name, "mgmt") ? &cfg->mgmt_url : NULL;
    if (!slot)
        return rnr_error_set(err, RNR_ERR_INVALID, "AMQP URL: unknown option '%s'", name);
    if (!*v)
        return rnr_error_set(err, RNR_ERR_INVALID, "AMQP URL option %s is empty", name);
    free(*slot);
    *slot = strdup(v);
    return *slot ? RNR_OK : RNR_ERR_NOMEM;
}

static int parse_query(amqp_config *cfg, const char *q, rnr_error *err)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        const char *eq = memchr(q, '=', n);
        if (!eq)
            return rnr_error_set(err, RNR_ERR_INVALID, "AMQP URL option '%.*s' has no value",
                                 (int)n, q);
        char *name = url_percent_decode(q, (size_t)(eq - q));
        char *val = url_percent_decode(eq + 1, n - (size_t)(eq - q) - 1);
        int rc = name && val
                     ? apply_option(cfg, name, val, err)
                     : rnr_error_set(err, RNR_ERR_INVALID,
                                     "AMQP URL option '%.*s': bad percent escape", (int)n, q);
        free(name);
        free(val);
        if (rc)
            return rc;
        q += n;
        if (*q == '&')
            q++;
    }
    return RNR_OK;
}

static int set_str(char **dst, const char *src)
{
    *dst = strdup(src);
    return *dst ? RNR_OK : RNR_ERR_NOMEM;
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static int find_cacert(amqp_config *cfg, rnr_error *err)
{
    const char *f = getenv("RNR_AMQP_CACERT");
    if (f && *f) {
        if (access(f, R_OK))
            return rnr_error_set(err, RNR_ERR_CONFIG, "RNR_AMQP_CACERT=%s is not readable", f);
        return set_str(&cfg->cacert, f);
    }
    for (size_t i = 0; i < sizeof system_ca_bundles / sizeof *system_ca_bundles; i++)
        if (!access(system_ca_bundles[i], R_OK))
            return set_str(&cfg->cacert, system_ca_bundles[i]);
    return rnr_error_set(err, RNR_ERR_CONFIG,
                         "amqps: no CA bundle found; set RNR_AMQP_CACERT to a PEM file");
}

/* Split off the query, let rabbitmq-c parse the rest, then fill the gaps
 * (credentials from the environment, "/" for an empty vhost). */
static int parse_base(amqp_config *cfg, const char *url, rnr_error *err)
{
    size_t base_len = strcspn(url, "?");
    char *base = strndup(url, base_len);
    if (!base)
        return RNR_ERR_NOMEM;
    const char *auth = strstr(base, "://");
    size_t auth_len = auth ? strcspn(auth + 3, "/") : 0;
    int has_userinfo = auth && memchr(auth + 3, '@', auth_len) != NULL;
    struct amqp_connection_info ci;
    int st = amqp_parse_url(base, &ci);
    int rc = RNR_OK;
    if (st != AMQP_STATUS_OK || !*ci.host) {
        char *shown = amqp_url_redact(url);
        rc = rnr_error_set(
            err, RNR_ERR_INVALID,
            "AMQP URL '%s' is malformed (expected amqp[s]://[user:pass@]host[:port][/vhost])",
            shown ? shown : "?");
        free(shown);
    } else {
        cfg->port = ci.port;
        cfg->tls = ci.ssl;
        if (set_str(&cfg->host, ci.host) ||
            set_str(&cfg->user, has_userinfo ? ci.user : env_or("RABBITMQ_USERNAME", "guest")) ||
            set_str(&cfg->password,
                    has_userinfo ? ci.password : env_or("RABBITMQ_PASSWORD", "guest")) ||
            set_str(&cfg->vhost, *ci.vhost ? ci.vhost : "/"))
            rc = RNR_ERR_NOMEM;
    }
    free(base);
    return rc;
}

int amqp_config_parse(const char *url, const char *queue_name, amqp_config *cfg, rnr_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->heartbeat_s = 60;
    cfg->prefetch = 1;
    cfg->delivery_limit = 5;
    cfg->connect_timeout_ms = 10000;
    cfg->confirm_timeout_ms = 30000;
    if (!url || !*url)
        return rnr_error_set(err, RNR_ERR_CONFIG, "no AMQP URL given");
    if (queue_name && !*queue_name)
        return rnr_error_set(err, RNR_ERR_INVALID, "AMQP queue name is empty");
    int rc = parse_base(cfg, url, err);
    const char *q = strchr(url, '?');
    if (!rc && q)
        rc = parse_query(cfg, q + 1, err);
    if (!rc)
        rc = set_str(&cfg->queue, queue_name ? queue_name : "hml_files");
    if (!rc && !cfg->dlq) {
        size_t n = strlen(cfg->queue) + sizeof ".dead";
        cfg->dlq = malloc(n);
        if (!cfg->dlq)
            rc = RNR_ERR_NOMEM;
        else
            snprintf(cfg->dlq, n, "%s.dead", cfg->queue);
    }
    if (!rc) {
        size_t n = strlen(cfg->queue);
        cfg->wait_tiers = n > 6 && !strcmp(cfg->queue + n - 6, ".sites");
    }
    const char *mgmt = env_or("RNR_AMQP_MGMT_URL", NULL);
    if (!rc && !cfg->mgmt_url && mgmt)
        rc = set_str(&cfg->mgmt_url, mgmt);
    if (!rc && cfg->tls)
        rc = find_cacert(cfg, err);
    if (!rc && !strcmp(cfg->queue, cfg->dlq))
        rc = rnr_error_set(err, RNR_ERR_INVALID, "AMQP dead-letter queue must differ from '%s'",
                           cfg->queue);
    if (rc == RNR_ERR_NOMEM)
        rnr_error_set(err, rc, "out of memory parsing the AMQP URL");
    if (rc)
        amqp_config_clear(cfg);
    return rc;
}

static void wipe_free(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = 0;
        free(s);
    }
}

void amqp_config_clear(amqp_config *cfg)
{
    free(cfg->host);
    free(cfg->user);
    wipe_free(cfg->password);
    free(cfg->vhost);
    free(cfg->queue);
    free(cfg->dlq);
    free(cfg->mgmt_url);
    free(cfg->cacert);
    memset(cfg, 0, sizeof *cfg);
}

int amqp_credentials_from_json(const char *json, amqp_credentials *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json ? json_loads(json, 0, &je) : NULL;
    if (!root)
        return rnr_error_set(err, RNR_ERR_PARSE, "broker secret is not JSON");
    const char *u = json_string_value(json_object_get(root, "username"));
    const char *p = json_string_value(json_object_get(root, "password"));
    int rc = RNR_OK;
    if (!u || !p || !*u)
        rc = rnr_error_set(err, RNR_ERR_CONFIG,
                           "broker secret needs string fields \"username\" and \"password\"");
    else if (set_str(&out->username, u) || set_str(&out->password, p))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory copying the broker secret");
    json_decref(root);
    if (rc)
        amqp_credentials_clear(out);
    return rc;
}

void amqp_credentials_clear(amqp_credentials *c)
{
    free(c->username);
    wipe_free(c->password);
    c->username = c->password = NULL;
}

int amqp_url_build(const char *endpoint, const amqp_credentials *cred, char **url, rnr_error *err)
{
    *url = NULL;
    const char *sep = endpoint ? strstr(endpoint, "://") : NULL;
    if (!sep || (strncmp(endpoint, "amqp://", 7) && strncmp(endpoint, "amqps://", 8)))
        return rnr_error_set(err, RNR_ERR_CONFIG,
                             "RabbitMQ endpoint '%s' must start with amqp:// or amqps://",
                             endpoint ? endpoint : "");
    const char *host = sep + 3;
    size_t auth_len = strcspn(host, "/?");
    if (!cred || !cred->username || memchr(host, '@', auth_len))
        return (*url = strdup(endpoint)) ? RNR_OK : RNR_ERR_NOMEM;
    char *u = pct_encode(cred->username);
    char *p = pct_encode(cred->password ? cred->password : "");
    size_t n = strlen(endpoint) + (u ? strlen(u) : 0) + (p ? strlen(p) : 0) + 3;
    char *s = u && p ? malloc(n) : NULL;
    if (s)
        snprintf(s, n, "%.*s%s:%s@%s", (int)(host - endpoint), endpoint, u, p, host);
    free(u);
    wipe_free(p);
    if (!s)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory building the AMQP URL");
    *url = s;
    return RNR_OK;
}

int amqp_url_from_env(char **url, rnr_error *err)
{
    const char *ep = getenv("RABBITMQ_ENDPOINT");
    if (!ep || !*ep)
        return rnr_error_set(err, RNR_ERR_CONFIG, "RABBITMQ_ENDPOINT is not set");
    amqp_credentials c = {(char *)getenv("RABBITMQ_USERNAME"), (char *)getenv("RABBITMQ_PASSWORD")};
    return amqp_url_build(ep, c.username && *c.username ? &c : NULL, url, err);
}

/* The broker credentials from the RABBITMQ_SECRET_ARN secret. */
static int url_from_secret(secrets_open_fn open_secrets, const char *endpoint, const char *arn,
                           char **url, rnr_error *err)
{
    rnr_secrets *sec = NULL;
    int rc = open_secrets(&sec, err);
    if (rc)
        return rnr_error_prefix(err, "RABBITMQ_SECRET_ARN"), rc;
    char *value = NULL;
    rc = secrets_get(sec, arn, &value, err);
    secrets_free(sec);
    if (rc)
        return rnr_error_prefix(err, "RABBITMQ_SECRET_ARN"), rc;
    amqp_credentials cred = {0};
    rc = amqp_credentials_from_json(value, &cred, err);
    memset(value, 0, strlen(value));
    free(value);
    if (rc) {
        rnr_error_prefix(err, "RABBITMQ_SECRET_ARN");
        return RNR_ERR_CONFIG;
    }
    rc = amqp_url_build(endpoint, &cred, url, err);
    amqp_credentials_clear(&cred);
    return rc;
}

int amqp_url_resolve_env(secrets_open_fn open_secrets, char **url, rnr_error *err)
{
    *url = NULL;
    const char *endpoint = getenv("RABBITMQ_ENDPOINT");
    if (!endpoint || !*endpoint)
        return RNR_OK;
    const char *arn = getenv("RABBITMQ_SECRET_ARN");
    int rc = arn && *arn ? url_from_secret(open_secrets, endpoint, arn, url, err)
                         : amqp_url_from_env(url, err);
    /* a broker secret that cannot be fetched right now stays transient */
    if (rc && rc != RNR_ERR_CONFIG && !rnr_code_is_transient(rc)) {
        rc = RNR_ERR_CONFIG;
        if (err)
            err->code = rc;
    }
    return rc;
}

char *amqp_url_redact(const char *url)
{
    if (!url)
        return NULL;
    size_t n = strlen(url) + 4; /* "***" may be longer than the password */
    char *s = malloc(n);
    if (s)
        url_mask(url, s, n);
    return s;
}
