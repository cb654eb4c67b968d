/* cmd_version.c - `rnr version`: the version and the libraries built in. */
#include "command.h"

#include <curl/curl.h>
#include <jansson.h>
#include <netcdf.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static int version_run(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return cmd_usage_error("version", "takes no arguments");
    /* nc_inq_libvers() reads "4.9.0 of Aug  7 2022 23:41:41 $" (an RCS
     * keyword tail): keep the version number only. */
    const char *nc = nc_inq_libvers();
    printf("rnr %s\n", RNR_VERSION);
    printf("  libcurl %s, jansson %s, sqlite %s, netCDF %.*s\n",
           curl_version_info(CURLVERSION_NOW)->version, JANSSON_VERSION, sqlite3_libversion(),
           (int)strcspn(nc, " "), nc);
    return 0;
}

const rnr_command cmd_version = {
    "version", "print the version and the libraries it was built with",
    "usage: rnr version\n\nPrints the rnr version and the versions of the libraries it links.\n",
    version_run};
