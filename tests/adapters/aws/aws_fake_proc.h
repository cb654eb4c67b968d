/* aws_fake_proc.h - run rnr-aws-fake from a test: start it on an ephemeral
 * port with a request log, read its log back, stop it. Header-only so each
 * test executable carries its own copy. */
#ifndef RNR_TESTS_AWS_FAKE_PROC_H
#define RNR_TESTS_AWS_FAKE_PROC_H

#include <jansson.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_AK "AKIDFAKEEXAMPLE01"
#define FAKE_SK "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzFAKEKEY"

typedef struct fake_proc {
    pid_t pid;
    int stdin_fd; /* closing it stops the fake */
    int port;
    char dir[256];
    char log[300];
    char url[64]; /* http://127.0.0.1:PORT */
} fake_proc;

/* Remove every AWS_* variable a developer's shell might carry and point
 * HOME at an empty directory, so the credential chain sees only the test. */
static inline void fake_clean_env(const char *home)
{
    static const char *const vars[] = {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_REGION",
        "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL_ECS",
        "S3_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "RNR_ECS_CREDENTIALS_HOST",
        "APP_BUCKET_NAME", "APP_OUTPUT_S3_KEY",
        /* Requests to 127.0.0.1 must not detour through a proxy. */
        "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    if (home)
        setenv("HOME", home, 1);
}

/* argv: extra arguments after the fixed ones, NULL-terminated. 0 or -1. */
static inline int fake_start(fake_proc *f, const char *const *extra)
{
    const char *bdir = getenv("RNR_BUILD_DIR");
    char bin[512];
    snprintf(bin, sizeof bin, "%s/tools/aws_fake/rnr-aws-fake", bdir ? bdir : ".");
    snprintf(f->dir, sizeof f->dir, "/tmp/rnr-aws-fake-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->log, sizeof f->log, "%s/requests.jsonl", f->dir);
    const char *argv[64] = {bin,     "--access-key", FAKE_AK, "--secret-key",
                            FAKE_SK, "--log",        f->log,  "--exit-on-stdin-eof"};
    size_t n = 8;
    for (size_t i = 0; extra && extra[i] && n < 63; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    int in[2], out[2];
    if (pipe(in) || pipe(out))
        return -1;
    f->pid = fork();
    if (f->pid < 0)
        return -1;
    if (f->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    f->stdin_fd = in[1];
    char line[64] = {0};
    size_t got = 0;
    while (got < sizeof line - 1) {
        ssize_t r = read(out[0], line + got, 1);
        if (r <= 0 || line[got] == '\n')
            break;
        got++;
    }
    close(out[0]);
    if (sscanf(line, "port %d", &f->port) != 1 || f->port <= 0)
        return -1;
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", f->port);
    return 0;
}

static inline void fake_stop(fake_proc *f)
{
    if (f->pid <= 0)
        return;
    close(f->stdin_fd);
    int st;
    waitpid(f->pid, &st, 0);
    f->pid = 0;
    unlink(f->log);
    rmdir(f->dir);
}

/* The request log as a JSON array (one object per request). */
static inline json_t *fake_log(const fake_proc *f)
{
    json_t *all = json_array();
    FILE *fp = fopen(f->log, "r");
    char line[65536];
    while (fp && fgets(line, sizeof line, fp)) {
        json_t *j = json_loads(line, 0, NULL);
        if (j)
            json_array_append_new(all, j);
    }
    if (fp)
        fclose(fp);
    return all;
}

/* How many logged requests have field == value. */
static inline int fake_log_count(const fake_proc *f, const char *field, const char *value)
{
    json_t *all = fake_log(f), *j;
    size_t i;
    int n = 0;
    json_array_foreach(all, i, j)
    {
        const char *v = json_string_value(json_object_get(j, field));
        n += v && strcmp(v, value) == 0;
    }
    json_decref(all);
    return n;
}

/* The last logged request (new reference) or NULL. */
static inline json_t *fake_log_last(const fake_proc *f)
{
    json_t *all = fake_log(f);
    size_t n = json_array_size(all);
    json_t *j = n ? json_incref(json_array_get(all, n - 1)) : NULL;
    json_decref(all);
    return j;
}

#endif
