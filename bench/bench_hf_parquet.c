/* bench_hf_parquet.c - a worker's readiness on a parquet hydrofabric:
 * config_open_hydrofabric (what the worker and the post-process call) from
 * a local directory (RNR_HYDROFABRIC) or from an object store prefix
 * (HYDROFABRIC_S3_KEY semantics: download into the state dir, index
 * there), then one cut; wall time and VmHWM of this process.
 *
 *   bench_hf_parquet --dir DIR REACH            local directory
 *   bench_hf_parquet --store URL --key PREFIX --state DIR [--whole] REACH
 *   bench_hf_parquet --store URL --key PREFIX --upload DIR [--no-index]
 *                    put the layers (and DIR.rnrindex, if any, unless --no-index)
 *
 * Prints one line "ready_ms=... cpu_ms=... hwm_mb=... cut=N" for
 * bench/run_hf_parquet.sh to take medians of. --whole downloads whole
 * files (RNR_HYDROFABRIC_FETCH=whole) instead of ranged reads.
 */
#include "adapters/backends.h"
#include "core/timeutil.h"
#include "hydrofabric/hf.h"
#include "services/config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

static long cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static int upload(const char *url, const char *prefix, const char *dir, int with_index)
{
    static const char *const names[] = {"network", "flowpaths", "flowpath-attributes", "lakes",
                                        "nexus"};
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
    if (!rc && with_index && access(path, R_OK) == 0 &&
        (rc = store_put_file(s, key, path, NULL, &err)))
        fprintf(stderr, "%s\n", err.msg);
    store_free(s);
    return rc ? 1 : 0;
}

static int unpublish_index(const char *url, const char *prefix)
{
    rnr_store *s;
    rnr_error err = {0};
    char key[1024];
    snprintf(key, sizeof key, "%s/rnr.rnrindex", prefix);
    if (backend_open_store(url, &s, &err))
        return fprintf(stderr, "%s\n", err.msg), 1;
    int rc = store_delete(s, key, &err);
    if (rc == RNR_ERR_NOTFOUND)
        rc = RNR_OK;
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    store_free(s);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* as rnr's main does */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    const char *dir = NULL, *url = NULL, *key = NULL, *state = NULL, *reach = NULL, *up = NULL;
    int whole = 0, with_index = 1, publish = 0, unpublish = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--whole") == 0) {
            whole = 1;
            continue;
        }
        if (strcmp(argv[i], "--publish") == 0 || strcmp(argv[i], "--unpublish") == 0) {
            publish += argv[i][2] == 'p';
            unpublish += argv[i][2] == 'u';
            continue;
        }
        if (strcmp(argv[i], "--no-index") == 0) {
            with_index = 0;
            continue;
        }
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
        return upload(url, key, up, with_index);
    if (unpublish && url && key) /* remove the index a --publish run put */
        return unpublish_index(url, key);
    if (!reach || (!dir && !(url && key && state))) {
        fprintf(
            stderr,
            "usage: bench_hf_parquet (--dir DIR | --store URL --key PREFIX --state DIR [--publish])"
            " REACH\n       bench_hf_parquet --store URL --key PREFIX --unpublish\n");
        return 2;
    }
    rnr_error err = {0};
    rnr_config c;
    memset(&c, 0, sizeof c);
    c.hydrofabric_path = (char *)dir;
    c.hydrofabric_key = (char *)key;
    c.state_dir = (char *)state;
    c.hydrofabric_whole = whole;
    c.hydrofabric_no_publish = !publish; /* a run measures one start: publish only when asked */
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
    printf("ready_ms=%lld cpu_ms=%ld hwm_mb=%ld indexed=%d flowpaths=%zu cut=%zu%s%s\n",
           (long long)(t1 - t0), cpu_ms(), status_kb("VmHWM:") / 1024, info.indexed, info.flowpaths,
           rc ? 0 : cut->n, rc ? " error: " : "", rc ? err.msg : "");
    if (!rc)
        hf_cut_free(cut);
    hf_close(h);
    store_free(s);
    return rc ? 1 : 0;
}
