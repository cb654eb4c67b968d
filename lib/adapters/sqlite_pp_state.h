/* sqlite_pp_state.h - the post-processor's memory (ports/pp_state.h) in a
 * SQLite database file ({state_dir}/postprocess.db). */
#ifndef RNR_ADAPTERS_SQLITE_PP_STATE_H
#define RNR_ADAPTERS_SQLITE_PP_STATE_H

#include "core/error.h"
#include "ports/pp_state.h"

/* Open (creating, and bringing an older schema up to date) the memory at
 * path. Free *out with pp_state_free. */
int sqlite_pp_state_open(const char *path, rnr_pp_state **out, rnr_error *err) RNR_WARN_UNUSED;

#endif
