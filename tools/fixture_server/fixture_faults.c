/* fixture_faults.c - parse, store and consume fault rules. */
#include "fixture_faults.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void faults_init(fault_table *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
}

void faults_clear(fault_table *t)
{
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < t->n; i++)
        free(t->rules[i].body);
    t->n = 0;
    pthread_mutex_unlock(&t->mu);
}

void faults_destroy(fault_table *t)
{
    faults_clear(t);
    pthread_mutex_destroy(&t->mu);
}

static int int_field(json_t *o, const char *k, int def)
{
    json_t *v = json_object_get(o, k);
    if (json_is_integer(v))
        return (int)json_integer_value(v);
    if (json_is_boolean(v))
        return json_is_true(v);
    return def;
}

static int rule_from_json(json_t *o, fault *f, char *msg, size_t msgn)
{
    memset(f, 0, sizeof *f);
    const char *path = json_string_value(json_object_get(o, "path"));
    if (!json_is_object(o) || !path || path[0] != '/' || strlen(path) >= sizeof f->path) {
        snprintf(msg, msgn, "fault: each rule needs a \"path\" starting with /");
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s", path);
    f->times = int_field(o, "times", -1);
    f->latency_ms = int_field(o, "latency_ms", 0);
    f->status = int_field(o, "status", 0);
    f->retry_after = int_field(o, "retry_after", 0);
    f->truncate = int_field(o, "truncate", 0);
    f->drop = int_field(o, "drop", 0);
    const char *ct = json_string_value(json_object_get(o, "content_type"));
    snprintf(f->content_type, sizeof f->content_type, "%s", ct ? ct : "");
    const char *body = json_string_value(json_object_get(o, "body"));
    if (f->status && (f->status < 100 || f->status > 599)) {
        snprintf(msg, msgn, "fault %s: status %d is not an HTTP status", path, f->status);
        return -1;
    }
    if (f->latency_ms < 0 || f->latency_ms > 600000) {
        snprintf(msg, msgn, "fault %s: latency_ms must be 0..600000", path);
        return -1;
    }
    if (body && !(f->body = strdup(body))) {
        snprintf(msg, msgn, "fault: out of memory");
        return -1;
    }
    return 0;
}

int faults_add_json(fault_table *t, const char *text, char *msg, size_t msgn)
{
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    if (!root) {
        snprintf(msg, msgn, "fault: bad JSON at line %d: %s", je.line, je.text);
        return -1;
    }
    size_t n = json_is_array(root) ? json_array_size(root) : 1;
    int added = 0;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_is_array(root) ? json_array_get(root, i) : root;
        if (t->n >= FAULT_MAX) {
            snprintf(msg, msgn, "fault: more than %d rules", FAULT_MAX);
            added = -1;
            break;
        }
        if (rule_from_json(o, &t->rules[t->n], msg, msgn) != 0) {
            added = -1;
            break;
        }
        t->n++;
        added++;
    }
    pthread_mutex_unlock(&t->mu);
    json_decref(root);
    return added;
}

static int path_matches(const char *rule, const char *path)
{
    size_t n = strlen(rule);
    if (n > 0 && rule[n - 1] == '*')
        return strncmp(rule, path, n - 1) == 0;
    return strcmp(rule, path) == 0;
}

int faults_take(fault_table *t, const char *path, fault *out)
{
    int found = 0;
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < t->n; i++) {
        fault *f = &t->rules[i];
        if (f->times == 0 || !path_matches(f->path, path))
            continue;
        if (f->times > 0)
            f->times--;
        *out = *f;
        out->body = f->body ? strdup(f->body) : NULL;
        found = 1;
        break;
    }
    pthread_mutex_unlock(&t->mu);
    return found;
}
