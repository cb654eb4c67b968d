/* embedded.c - secrets from the environment or files, and metrics to the
 * log (and optionally a JSON-lines file), for running on one machine. */
#include "adapters/embedded.h"

#include "adapters/backends.h"
#include "core/url.h"
#include "adapters/file_store.h"
#include "core/log.h"
#include "core/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_MAX (64 * 1024)

enum secrets_kind { SECRETS_ENV, SECRETS_FILE_ABS, SECRETS_FILE_DIR };

typedef struct embedded_secrets {
    int kind;
    char *arg; /* env prefix or directory */
} embedded_secrets;

/* Secret names are often ARNs or paths ("rnr/mq-creds"), which are not
 * variable names: the fallback spelling upper-cases letters and turns
 * every other non-alphanumeric byte into '_' ("RNR_MQ_CREDS"). */
static void env_normalise(char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 'a' && c <= 'z')
            *s = (char)(c - 'a' + 'A');
        else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            *s = '_';
    }
}

static int env_secret(embedded_secrets *s, const char *name, char **value, rnr_error *err)
{
    size_t pl = strlen(s->arg), nl = strlen(name);
    char *var = malloc(pl + nl + 1);
    if (!var)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory reading secret '%s'", name);
    memcpy(var, s->arg, pl);
    memcpy(var + pl, name, nl + 1);
    const char *v = getenv(var);
    char *exact = NULL;
    if (!v && (exact = strdup(var)) != NULL) {
        env_normalise(var + pl);
        v = getenv(var);
    }
    int rc = RNR_OK;
    if (!v && exact && strcmp(exact, var) != 0)
        rc = rnr_error_set(err, RNR_ERR_NOTFOUND,
                           "secret '%s': neither environment variable %s nor %s is set", name,
                           exact, var);
    else if (!v)
        rc = rnr_error_set(err, RNR_ERR_NOTFOUND, "secret '%s': environment variable %s is not set",
                           name, var);
    else if (!(*value = strdup(v)))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory reading secret '%s'", name);
    free(exact);
    free(var);
    return rc;
}

/* Read a whole small file, dropping one trailing newline. */
static int read_secret_file(const char *name, const char *path, char **value, rnr_error *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return rnr_error_set(err, errno == ENOENT ? RNR_ERR_NOTFOUND : RNR_ERR_IO,
                             "secret '%s': cannot read '%s': %s", name, path, strerror(errno));
    char *buf = malloc(SECRET_MAX + 1);
    size_t n = 0;
    int rc = buf ? RNR_OK : rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    while (rc == RNR_OK) {
        ssize_t r = read(fd, buf + n, SECRET_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = rnr_error_set(err, RNR_ERR_IO, "secret '%s': cannot read '%s': %s", name, path,
                               strerror(errno));
        else if (r == 0)
            break;
        else if ((n += (size_t)r) > SECRET_MAX)
            rc = rnr_error_set(err, RNR_ERR_LIMIT, "secret '%s': file '%s' is over 64 KiB", name,
                               path);
    }
    close(fd);
    if (rc != RNR_OK) {
        free(buf);
        return rc;
    }
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    *value = buf;
    return RNR_OK;
}

static int es_get(void *self, const char *name, char **value, rnr_error *err)
{
    embedded_secrets *s = self;
    *value = NULL;
    if (!name || !*name)
        return rnr_error_set(err, RNR_ERR_INVALID, "secret name is empty");
    if (s->kind == SECRETS_ENV)
        return env_secret(s, name, value, err);
    if (s->kind == SECRETS_FILE_ABS) {
        if (name[0] != '/')
            return rnr_error_set(err, RNR_ERR_INVALID,
                                 "secret '%s': with the file: backend a secret name is an "
                                 "absolute file path",
                                 name);
        return read_secret_file(name, name, value, err);
    }
    int rc = file_store_check_key(name, err);
    if (rc != RNR_OK)
        return rnr_error_prefix(err, "secret name");
    size_t dl = strlen(s->arg), nl = strlen(name);
    char *path = malloc(dl + nl + 2);
    if (!path)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory reading secret '%s'", name);
    snprintf(path, dl + nl + 2, "%s/%s", s->arg, name);
    rc = read_secret_file(name, path, value, err);
    free(path);
    return rc;
}

static void es_close(void *self)
{
    embedded_secrets *s = self;
    if (s) {
        free(s->arg);
        free(s);
    }
}

static const secrets_ops embedded_secrets_ops = {.get = es_get, .close = es_close};

int embedded_secrets_open(const char *url, rnr_secrets **out, rnr_error *err)
{
    *out = NULL;
    char masked[256];
    url_mask(url ? url : "", masked, sizeof masked);
    embedded_secrets *s = calloc(1, sizeof *s);
    rnr_secrets *h = calloc(1, sizeof *h);
    int rc = (!s || !h) ? rnr_error_set(err, RNR_ERR_NOMEM, "out of memory") : RNR_OK;
    if (rc == RNR_OK && url && strncasecmp(url, "env:", 4) == 0) {
        s->kind = SECRETS_ENV;
        s->arg = strdup(url + 4);
    } else if (rc == RNR_OK && url && strcasecmp(url, "file:") == 0) {
        s->kind = SECRETS_FILE_ABS;
        s->arg = strdup("");
    } else if (rc == RNR_OK && url && strncasecmp(url, "file:", 5) == 0) {
        backend_local_url u;
        s->kind = SECRETS_FILE_DIR;
        rc = backend_local_url_parse(url, "file", &u, err);
        if (rc == RNR_OK && *u.query)
            rc =
                rnr_error_set(err, RNR_ERR_INVALID, "secrets URL '%s' takes no parameters", masked);
        if (rc == RNR_OK) {
            s->arg = u.path;
            u.path = NULL;
        }
        backend_local_url_clear(&u);
    } else if (rc == RNR_OK) {
        rc =
            rnr_error_set(err, RNR_ERR_INVALID,
                          "secrets URL '%s' is not env:, env:PREFIX, file: or file:///dir", masked);
    }
    if (rc == RNR_OK && !s->arg)
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    if (rc != RNR_OK) {
        es_close(s);
        free(h);
        return rc;
    }
    h->ops = &embedded_secrets_ops;
    h->self = s;
    *out = h;
    return RNR_OK;
}

typedef struct embedded_metrics {
    char *path; /* JSON-lines file, or NULL */
} embedded_metrics;

static int append_line(const char *path, const char *line, rnr_error *err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0)
        return rnr_error_set(err, RNR_ERR_IO, "metrics file '%s': %s", path, strerror(errno));
    /* One write per line keeps lines whole when processes share the file. */
    size_t len = strlen(line);
    ssize_t w;
    do
        w = write(fd, line, len);
    while (w < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    if (w != (ssize_t)len)
        return rnr_error_set(err, RNR_ERR_IO, "metrics file '%s': short write: %s", path,
                             w < 0 ? strerror(e) : "disk full?");
    return RNR_OK;
}

static int metrics_json(const char *path, const char *ns, const char *name, double value,
                        const char *unit, const metric_dim *dims, size_t ndims, rnr_error *err)
{
    char when[40];
    time_format_iso(time_now(), when, sizeof when);
    json_t *d = json_object();
    for (size_t i = 0; d && i < ndims; i++)
        json_object_set_new(d, dims[i].name, json_string(dims[i].value ? dims[i].value : ""));
    json_t *o = json_pack("{s:s, s:s, s:s, s:f, s:s, s:o}", "time", when, "namespace", ns, "name",
                          name, "value", value, "unit", unit ? unit : "None", "dimensions", d);
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!text)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "metric %s/%s: cannot encode as JSON (not UTF-8, or not finite)", ns,
                             name);
    size_t len = strlen(text);
    char *line = realloc(text, len + 2);
    if (!line) {
        free(text);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    }
    line[len] = '\n';
    line[len + 1] = '\0';
    int rc = append_line(path, line, err);
    free(line);
    return rc;
}

static int em_put(void *self, const char *ns, const char *name, double value, const char *unit,
                  const metric_dim *dims, size_t ndims, rnr_error *err)
{
    embedded_metrics *m = self;
    if (!ns || !*ns || !name || !*name)
        return rnr_error_set(err, RNR_ERR_INVALID, "metric needs a namespace and a name");
    for (size_t i = 0; i < ndims; i++)
        if (!dims[i].name || !*dims[i].name)
            return rnr_error_set(err, RNR_ERR_INVALID, "metric %s/%s: dimension %zu has no name",
                                 ns, name, i);
    char dimtext[512];
    size_t off = 0;
    dimtext[0] = '\0';
    for (size_t i = 0; i < ndims && off < sizeof dimtext; i++)
        off += (size_t)snprintf(dimtext + off, sizeof dimtext - off, " %s=%s", dims[i].name,
                                dims[i].value ? dims[i].value : "");
    log_info("metrics", "metric %s/%s=%.17g %s%s", ns, name, value, unit ? unit : "None", dimtext);
    return m->path ? metrics_json(m->path, ns, name, value, unit, dims, ndims, err) : RNR_OK;
}

static void em_close(void *self)
{
    embedded_metrics *m = self;
    if (m) {
        free(m->path);
        free(m);
    }
}

static const metrics_ops embedded_metrics_ops = {.put = em_put, .close = em_close};

int embedded_metrics_open(const char *url, rnr_metrics **out, rnr_error *err)
{
    *out = NULL;
    char masked[256];
    url_mask(url ? url : "", masked, sizeof masked);
    embedded_metrics *m = calloc(1, sizeof *m);
    rnr_metrics *h = calloc(1, sizeof *h);
    int rc = (!m || !h) ? rnr_error_set(err, RNR_ERR_NOMEM, "out of memory") : RNR_OK;
    if (rc == RNR_OK && url && strncasecmp(url, "file:", 5) == 0) {
        backend_local_url u;
        rc = backend_local_url_parse(url, "file", &u, err);
        if (rc == RNR_OK && *u.query)
            rc =
                rnr_error_set(err, RNR_ERR_INVALID, "metrics URL '%s' takes no parameters", masked);
        if (rc == RNR_OK) {
            m->path = u.path;
            u.path = NULL;
        }
        backend_local_url_clear(&u);
    } else if (rc == RNR_OK && !(url && strcasecmp(url, "log:") == 0)) {
        rc = rnr_error_set(err, RNR_ERR_INVALID,
                           "metrics URL '%s' is not log: or file:///abs/metrics.jsonl", masked);
    }
    if (rc != RNR_OK) {
        em_close(m);
        free(h);
        return rc;
    }
    h->ops = &embedded_metrics_ops;
    h->self = m;
    *out = h;
    return RNR_OK;
}
