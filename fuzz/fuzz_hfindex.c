/* fuzz_hfindex.c - the hydrofabric sidecar index (`<gpkg>.rnrindex`, an
 * SQLite file rnr writes but may find damaged): open a six-flowpath
 * GeoPackage (fuzz/data/hf_tiny.gpkg, from `rnr hydrofabric generate
 * --flowpaths 6 --seed 7`; small, so the fallback to an in-memory index
 * stays fast) through a mutated index, then cut reaches and load networks and
 * flowpaths from it. A damaged index must give an error or fall back to
 * the GeoPackage, never a crash or an endless walk. */
#include "core/error.h"
#include "hydrofabric/hf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char index_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(index_path, sizeof index_path, "/tmp/rnr-fuzz-hfindex.%ld", (long)getpid());
    return 0;
}

static void walk(hf_db *db)
{
    rnr_error err = {0};
    hf_info info;
    hf_get_info(db, &info);
    /* reaches of hf_tiny.gpkg and an id it does not have */
    const int64_t ids[] = {1000001, 1000004, 0};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        hf_cut *cut = NULL;
        if (hf_cut_reach(db, ids[i], &cut, &err) == RNR_OK) {
            if (hf_cut_load_geometry(db, cut, &err) != RNR_OK && !err.msg[0])
                abort();
            hf_cut_free(cut);
        }
        hf_flowpath fp;
        if (hf_flowpath_lookup(db, ids[i], &fp, &err) == RNR_OK)
            hf_flowpath_clear(&fp);
    }
    hydro_segment *segs = NULL;
    size_t n = 0;
    if (hf_load_network(db, 0, &segs, &n, &err) == RNR_OK)
        free(segs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    FILE *f = fopen(index_path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    hf_db *db = NULL;
    rnr_error err = {0};
    if (hf_open_index(RNR_FUZZ_HF_TINY, index_path, &db, &err) == RNR_OK) {
        walk(db);
        hf_close(db);
    } else if (!err.msg[0]) {
        abort();
    }
    unlink(index_path);
    return 0;
}
