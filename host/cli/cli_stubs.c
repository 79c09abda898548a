/* cli_stubs.c — weak placeholders for every planned subcommand. A real cli_<name>.c defines
 * the strong symbol and replaces the placeholder at link time, so adding a subcommand never
 * edits this file or main.c's table. */
#include <stdio.h>

#include "cli.h"

#define STUB(fn, name)                                                              \
    __attribute__((weak)) int fn(int argc, char **argv) {                           \
        (void)argc;                                                                 \
        (void)argv;                                                                 \
        fprintf(stderr, "n2g: '%s' is not available in this build\n", name);        \
        return 1;                                                                   \
    }

STUB(cli_demo, "demo")
STUB(cli_devices, "devices")
STUB(cli_acts, "acts")
STUB(cli_tokenize, "tokenize")
STUB(cli_detokenize, "detokenize")
STUB(cli_scrape, "scrape")
STUB(cli_export, "export")
STUB(cli_fit, "fit")
STUB(cli_predict, "predict")
STUB(cli_search, "search")
STUB(cli_similar, "similar")
STUB(cli_plant, "plant")
STUB(cli_casings, "casings")
STUB(cli_build, "build")
STUB(cli_report, "report")
