/* command.h - how a subcommand of `rnr` registers itself.
 *
 * Each src/cmd_<name>.c defines `const rnr_command cmd_<name>`; the build
 * generates the table from the file names. A command's run() returns the
 * process exit status: 0 success, 1 failure of the work, 2 usage error. */
#ifndef RNR_COMMAND_H
#define RNR_COMMAND_H

#include <stddef.h>

typedef struct rnr_command {
    const char *name;
    const char *summary;               /* one line for `rnr --help` */
    const char *usage;                 /* full text for `rnr <name> --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} rnr_command;

/* Print "rnr <cmd>: <message>" on stderr and return 2 (usage error). */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#ifdef __clang_analyzer__
/* The analyzer sees only this file: say that the result is always 2, so a
 * caller's "return cmd_usage_error(...)" never reads as success. */
#define cmd_usage_error(...) (cmd_usage_error(__VA_ARGS__), 2)
#endif
/* True when argv holds -h or --help (before any "--"). */
int cmd_wants_help(int argc, char **argv);

/* The canonical name of a flag: the same spelling in every command
 * (--queue-url, --store-url, --cache-url); an old alias (--queue, --store,
 * --cache) maps to it, anything else is returned as is. */
const char *cmd_flag_name(const char *arg);

struct json_t;
/* Print o on stdout as one compact line (--json) and release it; a NULL o
 * is a build that ran out of memory. On failure prints "rnr <cmd>: out of
 * memory" on stderr and returns 1, else 0. */
int cmd_print_json(const char *cmd, struct json_t *o);

/* A long command's progress: one line on stderr, redrawn in place (\r)
 * while stderr is a terminal, and nothing at all otherwise, so tests and
 * logs stay clean. */
typedef struct cmd_progress {
    const char *cmd; /* "hydrofabric generate" */
    int on;          /* stderr is a terminal */
    int shown;       /* a line is on screen */
    char phase[48];  /* last drawn */
    long permille;   /* last drawn, -1 for none */
} cmd_progress;
void cmd_progress_init(cmd_progress *p, const char *cmd);
/* Show "rnr <cmd>: <phase> done/total (x.y%)", or just the phase when total
 * is 0; redraws only when the phase or the tenth of a percent changes. */
void cmd_progress_update(cmd_progress *p, const char *phase, size_t done, size_t total);
/* Erase the line, so what is printed next starts clean. */
void cmd_progress_end(cmd_progress *p);

struct rnr_config;
/* config_load for command cmd, with state_dir (a --state-dir flag, or NULL)
 * put into RNR_STATE_DIR first: it decides the embedded defaults, and the
 * processes we start read the same environment. On failure prints
 * "rnr <cmd>: <why>" on stderr and returns 1, else 0. */
int cmd_load_config(const char *cmd, const char *state_dir, struct rnr_config *cfg);

#endif
