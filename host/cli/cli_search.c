/* cli_search.c — `n2g search`: neurons whose graphs hold every given token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/json.h"
#include "n2g/graph/store.h"

static const cli_cmd search_cmd = {
    "search",
    "Lists the neurons (L_N) filed under every given token in DIR/neuron_store.json (written by\n"
    "'n2g fit' / 'n2g build'), one per line. --type limits the match to tokens that activate the\n"
    "neuron or to context tokens; by default either counts. A token also matches its normalised\n"
    "form (\" The\" finds \"the\"); --exact matches the stored string only, as the reference.\n",
    NULL,
};

static const char *const type_names[] = {"activating", "important", NULL};
static const int type_values[] = {N2G_ACTIVATING, N2G_IMPORTANT};

int cli_search(int argc, char **argv) {
    const char *dir = NULL;
    cli_list toks = {0};
    int type = N2G_ANY, json = 0, exact = 0;
    cli_opt opts[] = {
        {CLI_OPT_DIR("--graphs", &dir, "DIR", "the folder of neuron_store.json"), .flags = CLI_REQUIRED},
        {CLI_OPT_MULTI("--token", &toks, "S", "a token the neuron's graph must hold (repeat: all of them)"),
         .flags = CLI_REQUIRED},
        {CLI_OPT_ENUM("--type", &type, "activating|important", type_names, type_values,
                      "only tokens that activate the neuron, or only context tokens (default: either)")},
        {CLI_OPT_FLAG("--exact", &exact, "match the stored string only")},
        {CLI_OPT_FLAG("--json", &json, "print {\"neurons\": [...]}")},
    };
    int prc = CLI_PARSE(&search_cmd, opts, argc, argv);
    if (prc != CLI_RUN) return prc;
    size_t nt = (size_t)toks.n;
    char path[4096];
    snprintf(path, sizeof path, "%s/neuron_store.json", dir);
    n2g_err err = {0};
    n2g_store *s = n2g_store_load(path, 0, &err);
    const char **names = NULL;
    size_t n = 0;
    int rc = 0;
    if (!s || n2g_store_search(s, toks.v, nt, type, exact, &names, &n, &err)) {
        rc = cli_error(&err);
    } else if (json) {
        fputs("{\"neurons\": [", stdout);
        for (size_t i = 0; i < n; i++) {
            if (i) fputs(", ", stdout);
            json_write_string(stdout, names[i], strlen(names[i]));
        }
        fputs("]}\n", stdout);
    } else {
        for (size_t i = 0; i < n; i++) puts(names[i]);
    }
    free(names);
    n2g_store_free(s);
    free(toks.v);
    return rc;
}
