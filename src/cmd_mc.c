/* cmd_mc.c - `rnr mc eval CASES.csv`: check the Muskingum-Cunge kernel
 * against an oracle table (the columns of single_segment_public.csv),
 * bit for bit. */
#include "command.h"
#include "services/mc_eval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int mc_eval_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "rnr mc: %s: %s\n", path, strerror(errno));
        return 1;
    }
    long passed, failed;
    rnr_error err = {0, ""};
    int rc = mc_eval_stream(fp, path, stdout, &passed, &failed, &err);
    fclose(fp);
    if (rc != RNR_OK) {
        fprintf(stderr, "rnr mc: %s\n", err.msg);
        return 1;
    }
    printf("%ld passed, %ld failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

static int mc_run(int argc, char **argv)
{
    if (argc < 2)
        return cmd_usage_error("mc", "missing subcommand (eval)");
    if (strcmp(argv[1], "eval") != 0)
        return cmd_usage_error("mc", "unknown subcommand '%s'", argv[1]);
    if (argc != 3)
        return cmd_usage_error("mc", "eval takes exactly one CSV file");
    return mc_eval_file(argv[2]);
}

const rnr_command cmd_mc = {
    "mc", "check the Muskingum-Cunge kernel against an oracle table",
    "usage: rnr mc eval CASES.csv\n\n"
    "Runs every row of CASES.csv (columns as in single_segment_public.csv, found\n"
    "by name) through the kernel with the carried residual set from qj0_in and\n"
    "compares qdc, velc, depthc, ck, cn, X and qj0_out bit for bit (NaN equals\n"
    "NaN); rows with status error_stop must be rejected by the parameter guard.\n"
    "Prints 'N passed, M failed' and the first 10 mismatches.\n\n"
    "exit status: 0 all rows pass (at least one row), 1 a mismatch or unreadable\n"
    "input, 2 usage error\n",
    mc_run};
