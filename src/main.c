/* main.c - the `rnr` command line: dispatch to subcommands. */
#include "command.h"
#include "commands_gen.h"
#include "core/log.h"
#include "services/config.h"

#include <jansson.h>
#include <stdarg.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The name in parentheses: command.h makes cmd_usage_error a macro for
 * the analyzer. */
int(cmd_usage_error)(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "rnr %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'rnr %s --help')\n", cmd);
    return 2;
}

int cmd_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

const char *cmd_flag_name(const char *arg)
{
    /* the old spellings, still accepted: worker, producer, postprocess,
     * queue and autoscaler said --queue/--store/--cache where up and serve
     * said --queue-url/--store-url/--cache-url */
    static const char *const aliases[][2] = {
        {"--queue", "--queue-url"}, {"--store", "--store-url"}, {"--cache", "--cache-url"}};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(arg, aliases[i][0]) == 0)
            return aliases[i][1];
    return arg;
}

int cmd_print_json(const char *cmd, json_t *o)
{
    int rc = o && json_dumpf(o, stdout, JSON_COMPACT) == 0 && putchar('\n') != EOF ? 0 : 1;
    json_decref(o);
    if (rc)
        fprintf(stderr, "rnr %s: out of memory\n", cmd);
    return rc;
}

void cmd_progress_init(cmd_progress *p, const char *cmd)
{
    *p = (cmd_progress){.cmd = cmd, .on = isatty(STDERR_FILENO), .permille = -1};
}

void cmd_progress_update(cmd_progress *p, const char *phase, size_t done, size_t total)
{
    if (!p->on)
        return;
    long pm = total ? (long)((double)done * 1000.0 / (double)total) : -1;
    if (p->shown && strcmp(p->phase, phase) == 0 && pm == p->permille)
        return;
    if (total)
        fprintf(stderr, "\rrnr %s: %s %zu/%zu (%.1f%%)\033[K", p->cmd, phase, done, total,
                (double)pm / 10.0);
    else
        fprintf(stderr, "\rrnr %s: %s\033[K", p->cmd, phase);
    fflush(stderr);
    snprintf(p->phase, sizeof p->phase, "%s", phase);
    p->permille = pm;
    p->shown = 1;
}

void cmd_progress_end(cmd_progress *p)
{
    if (p->on && p->shown)
        fputs("\r\033[K", stderr);
    p->shown = 0;
}

int cmd_load_config(const char *cmd, const char *state_dir, rnr_config *cfg)
{
    if (state_dir && setenv("RNR_STATE_DIR", state_dir, 1) != 0) {
        fprintf(stderr, "rnr %s: cannot set the state directory\n", cmd);
        return 1;
    }
    rnr_error err = {0};
    if (config_load(cfg, &err) != RNR_OK) {
        fprintf(stderr, "rnr %s: %s\n", cmd, err.msg);
        return 1;
    }
    return 0;
}

static void print_help(FILE *f)
{
    fprintf(f,
            "rnr %s - Replace and Route flood-forecast routing\n\n"
            "usage: rnr <command> [options]\n       rnr <command> --help\n\ncommands:\n",
            RNR_VERSION);
    for (size_t i = 0; rnr_commands[i]; i++)
        fprintf(f, "  %-14s %s\n", rnr_commands[i]->name, rnr_commands[i]->summary);
    fprintf(f,
            "\nenvironment: RNR_LOG_LEVEL (debug|info|warn|error), RNR_LOG_FORMAT (text|json)\n");
}

/* Levenshtein distance of two short words, capped at 3 (enough to tell a
 * typo from another word). */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31)
        return 3;
    int row[32];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb] < 3 ? row[lb] : 3;
}

/* The command closest to a mistyped name, or NULL when none is close. */
static const char *closest_command(const char *name)
{
    const char *best = NULL;
    int best_d = 3;
    for (size_t i = 0; rnr_commands[i]; i++) {
        int d = edit_distance(name, rnr_commands[i]->name);
        if (d < best_d) {
            best_d = d;
            best = rnr_commands[i]->name;
        }
    }
    return best;
}

/* Lambda's custom runtime executes a file named `bootstrap` with no
 * arguments: when rnr is installed under that name it is `rnr lambda`. */
static int invoked_as_bootstrap(const char *argv0)
{
    const char *base = argv0 ? strrchr(argv0, '/') : NULL;
    base = base ? base + 1 : argv0;
    return base && strcmp(base, "bootstrap") == 0;
}

int main(int argc, char **argv)
{
    /* The parquet reader allocates and frees buffers of a few hundred KiB
     * per column chunk; glibc's defaults hand them back to the kernel and
     * fault them in again each time (a sixth of the CPU of an index build
     * on this VM). Keep up to 64 MiB of free heap instead. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    log_init();
    if (invoked_as_bootstrap(argv[0])) {
        for (size_t i = 0; rnr_commands[i]; i++) {
            if (strcmp(rnr_commands[i]->name, "lambda") != 0)
                continue;
            if (cmd_wants_help(argc, argv)) {
                fputs(rnr_commands[i]->usage, stdout);
                return 0;
            }
            return rnr_commands[i]->run(argc, argv);
        }
    }
    if (argc < 2) {
        print_help(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0) {
        printf("rnr %s\n", RNR_VERSION);
        return 0;
    }
    for (size_t i = 0; rnr_commands[i]; i++) {
        const rnr_command *c = rnr_commands[i];
        if (strcmp(c->name, name) != 0)
            continue;
        if (cmd_wants_help(argc - 1, argv + 1)) {
            fputs(c->usage, stdout);
            return 0;
        }
        return c->run(argc - 1, argv + 1);
    }
    if (name[0] == '-')
        fprintf(stderr, "rnr: unknown option '%s' (see 'rnr --help')\n", name);
    else if (closest_command(name))
        fprintf(stderr, "rnr: unknown command '%s'; did you mean '%s'? (see 'rnr --help')\n", name,
                closest_command(name));
    else
        fprintf(stderr, "rnr: unknown command '%s' (see 'rnr --help')\n", name);
    return 2;
}
