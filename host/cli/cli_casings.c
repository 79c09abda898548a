/* cli_casings.c — `n2g casings`: build a word_to_casings.json table from a corpus. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "n2g/method/casings.h"

static const cli_cmd casings_cmd = {
    "casings",
    "Counts every word of the corpus (the reference's word splitter: runs of letters and\n"
    "apostrophes) by its lowercase form and writes word_to_casings.json:\n"
    "    {\"the\": [[\"the\", 5123], [\"The\", 801], [\"THE\", 3]], ...}\n"
    "(most frequent casing first; ties in byte order). `n2g build --casings FILE` reads it.\n",
    NULL,
};

int cli_casings(int argc, char **argv) {
    const char *out = NULL;
    cli_list paths = {0};
    int quiet = 0;
    cli_opt opts[] = {
        {CLI_OPT_LIST("--corpus", &paths, "PATH",
                      "text files (one document each), *.jsonl files (the \"text\" field of each line) or "
                      "directories (their *.txt / *.jsonl files, recursively, sorted)"),
         .flags = CLI_REQUIRED},
        {CLI_OPT_STR("--out", &out, "FILE", "the table to write (atomically)"), .flags = CLI_REQUIRED},
        {CLI_OPT_FLAG("--quiet", &quiet, "no progress, no summary line")},
    };
    int rc = CLI_PARSE(&casings_cmd, opts, argc, argv);
    if (rc != CLI_RUN) return rc;
    n2g_err err = {0};
    n2g_casings *t = n2g_casings_new();
    rc = t ? 0 : n2g_fail(&err, "out of memory");
    for (int i = 0; i < paths.n && rc == 0; i++) rc = n2g_casings_count_path(t, paths.v[i], 1, quiet, &err);
    if (rc == 0) rc = n2g_casings_save(t, out, &err);
    if (rc == 0 && !quiet) fprintf(stderr, "n2g casings: %zu words -> %s\n", n2g_casings_words(t), out);
    n2g_casings_free(t);
    free(paths.v);
    return rc == 0 ? 0 : cli_error(&err);
}
