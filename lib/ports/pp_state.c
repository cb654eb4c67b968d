/* pp_state.c - dispatch of the post-processor's memory port to its
 * backend, and the loaded-rows buffer (see pp_state.h). */
#include "ports/pp_state.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int pp_state_lookup(rnr_pp_state *s, const store_object *o, int *known, char *lid, size_t lidn,
                    rnr_error *err)
{
    return s->ops->lookup(s->self, o, known, lid, lidn, err);
}

int pp_state_record(rnr_pp_state *s, const store_object *o, int64_t file_time, const char *lid,
                    const inundation_row *rows, size_t n, const char *note, rnr_error *err)
{
    return s->ops->record(s->self, o, file_time, lid, rows, n, note, err);
}

int pp_state_load(rnr_pp_state *s, const store_object *o, pp_rows *out, rnr_error *err)
{
    return s->ops->load(s->self, o, out, err);
}

int pp_state_mark_written(rnr_pp_state *s, rnr_error *err)
{
    return s->ops->mark_written(s->self, err);
}

void pp_state_prune(rnr_pp_state *s, int64_t cutoff)
{
    s->ops->prune(s->self, cutoff);
}

int pp_state_batch_begin(rnr_pp_state *s, rnr_error *err)
{
    return s->ops->batch_begin ? s->ops->batch_begin(s->self, err) : RNR_OK;
}

int pp_state_batch_end(rnr_pp_state *s, rnr_error *err)
{
    return s->ops->batch_end ? s->ops->batch_end(s->self, err) : RNR_OK;
}

void pp_state_free(rnr_pp_state *s)
{
    if (!s)
        return;
    s->ops->close(s->self);
    free(s);
}

int pp_rows_push(pp_rows *out, inundation_row **row)
{
    assert(out->n <= out->cap);
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        inundation_row *r = realloc(out->r, cap * sizeof *r);
        if (!r)
            return RNR_ERR_NOMEM;
        out->r = r;
        out->cap = cap;
    }
    *row = &out->r[out->n++];
    memset(*row, 0, sizeof **row);
    return RNR_OK;
}

void pp_rows_clear(pp_rows *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free((char *)rs->r[i].name);
        free((char *)rs->r[i].state);
        free((char *)rs->r[i].max_status);
        free((char *)rs->r[i].geom_wkt);
    }
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}
