/* command.h - how a subcommand of `rnr` registers itself.
 *
 * Each src/cmd_<name>.c defines `const rnr_command cmd_<name>`; the build
 * generates the table from the file names. A command's run() returns the
 * process exit status: 0 success, 1 failure of the work, 2 usage error. */
#ifndef RNR_COMMAND_H
#define RNR_COMMAND_H

typedef struct rnr_command {
    const char *name;
    const char *summary; /* one line for `rnr --help` */
    const char *usage;   /* full text for `rnr <name> --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} rnr_command;

/* Print "rnr <cmd>: <message>" on stderr and return 2 (usage error). */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when argv holds -h or --help (before any "--"). */
int cmd_wants_help(int argc, char **argv);

#endif
