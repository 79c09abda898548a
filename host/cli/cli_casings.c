/* cli_casings.c — `n2g casings`: build a word_to_casings.json table from a corpus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "n2g/method/casings.h"

static const char *casings_help =
    "usage: n2g casings --corpus PATH [PATH...] --out FILE [--quiet]\n"
    "\n"
    "Counts every word of the corpus (the reference's word splitter: runs of letters and\n"
    "apostrophes) by its lowercase form and writes word_to_casings.json:\n"
    "    {\"the\": [[\"the\", 5123], [\"The\", 801], [\"THE\", 3]], ...}\n"
    "(most frequent casing first; ties in byte order). `n2g build --casings FILE` reads it.\n"
    "  --corpus PATH...  text files (one document each), *.jsonl files (the \"text\" field of each\n"
    "                    line) or directories (their *.txt / *.jsonl files, recursively, sorted)\n"
    "  --out FILE        the table to write (atomically)\n";

int cli_casings(int argc, char **argv) {
    const char *out = NULL;
    const char **paths = calloc((size_t)argc, sizeof *paths);
    int np = 0, quiet = 0;
    if (!paths) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(casings_help, stdout);
            free(paths);
            return 0;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--out")) {
            if (i + 1 >= argc) {
                free(paths);
                return cli_usage("casings", "--out needs a value");
            }
            out = argv[++i];
        } else if (!strcmp(a, "--corpus")) {
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2)) paths[np++] = argv[++i];
        } else {
            free(paths);
            return cli_unknown("casings", a);
        }
    }
    if (!np || !out) {
        free(paths);
        return cli_usage("casings", "%s", !np ? "--corpus PATH is required" : "--out FILE is required");
    }
    n2g_err err = {0};
    n2g_casings *t = n2g_casings_new();
    int rc = t ? 0 : n2g_fail(&err, "out of memory");
    for (int i = 0; i < np && rc == 0; i++) rc = n2g_casings_count_path(t, paths[i], 1, quiet, &err);
    if (rc == 0) rc = n2g_casings_save(t, out, &err);
    if (rc == 0 && !quiet) fprintf(stderr, "n2g casings: %zu words -> %s\n", n2g_casings_words(t), out);
    n2g_casings_free(t);
    free(paths);
    return rc == 0 ? 0 : cli_error(&err);
}
