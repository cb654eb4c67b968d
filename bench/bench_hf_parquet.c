/* bench_hf_parquet.c - a worker's readiness on a parquet hydrofabric:
 * config_open_hydrofabric (what the worker and the post-process call) from
 * a local directory (RNR_HYDROFABRIC) or from an object store prefix
 * (HYDROFABRIC_S3_KEY semantics: download into the state dir, index
 * there), then one cut; wall time and VmHWM of this process.
 *
 *   bench_hf_parquet --dir DIR REACH            local directory
 *   bench_hf_parquet --store URL --key PREFIX --state DIR REACH
 *   bench_hf_parquet --store URL --key PREFIX --upload DIR     put the layers
 *                                                   (and DIR.rnrindex, if any)
 */
#include "adapters/backends.h"
#include "core/timeutil.h"
#include "hydrofabric/hf.h"
#include "services/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long status_kb(const char *key)
{
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0)
            v = strtol(line + strlen(key), NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static int upload(const char *url, const char *prefix, const char *dir)
{
    static const char *const names[] = {"network", "flowpaths", "flowpath-attributes", "lakes", "nexus"};
    rnr_store *s;
    rnr_error err = {0};
    if (backend_open_store(url, &s, &err))
        return fprintf(stderr, "%s\n", err.msg), 1;
    int rc = 0;
    for (size_t i = 0; !rc && i < 5; i++) {
        char path[4096], key[1024];
        snprintf(path, sizeof path, "%s/%s.parquet", dir, names[i]);
        snprintf(key, sizeof key, "%s/%s.parquet", prefix, names[i]);
        if ((rc = store_put_file(s, key, path, NULL, &err)))
            fprintf(stderr, "%s\n", err.msg);
    }
    /* the sidecar index, published beside the layers, when there is one */
    char path[4096], key[1024];
    snprintf(path, sizeof path, "%s.rnrindex", dir);
    snprintf(key, sizeof key, "%s/rnr.rnrindex", prefix);
    if (!rc && access(path, R_OK) == 0 && (rc = store_put_file(s, key, path, NULL, &err)))
        fprintf(stderr, "%s\n", err.msg);
    store_free(s);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *url = NULL, *key = NULL, *state = NULL, *reach = NULL, *up = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--dir") == 0)
            dir = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--store") == 0)
            url = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--key") == 0)
            key = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--state") == 0)
            state = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--upload") == 0)
            up = argv[++i];
        else
            reach = argv[i];
    }
    if (up && url && key)
        return upload(url, key, up);
    if (!reach || (!dir && !(url && key && state))) {
        fprintf(stderr, "usage: bench_hf_parquet (--dir DIR | --store URL --key PREFIX --state DIR) REACH\n");
        return 2;
    }
    rnr_error err = {0};
    rnr_config c;
    memset(&c, 0, sizeof c);
    c.hydrofabric_path = (char *)dir;
    c.hydrofabric_key = (char *)key;
    c.state_dir = (char *)state;
    rnr_store *s = NULL;
    if (url && backend_open_store(url, &s, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int64_t t0 = time_mono_ms();
    hf_db *h;
    if (config_open_hydrofabric(&c, s, &h, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    hf_cut *cut;
    int rc = hf_cut_reach(h, strtoll(reach, NULL, 10), &cut, &err);
    int64_t t1 = time_mono_ms();
    hf_info info;
    hf_get_info(h, &info);
    printf("ready in %lld ms (indexed=%d, %zu flowpaths): cut of %zu flowpaths%s; VmHWM %ld MB\n",
           (long long)(t1 - t0), info.indexed, info.flowpaths, rc ? 0 : cut->n, rc ? err.msg : "",
           status_kb("VmHWM:") / 1024);
    if (!rc)
        hf_cut_free(cut);
    hf_close(h);
    store_free(s);
    return rc ? 1 : 0;
}
