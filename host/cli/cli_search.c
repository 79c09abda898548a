/* cli_search.c — `n2g search`: neurons whose graphs hold every given token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/json.h"
#include "n2g/graph/store.h"

static const char *search_help =
    "usage: n2g search --graphs DIR --token S [--token S2 ...] [--type activating|important] [--exact] [--json]\n"
    "\n"
    "Lists the neurons (L_N) filed under every given token in DIR/neuron_store.json (written by\n"
    "'n2g fit' / 'n2g build'), one per line. --type limits the match to tokens that activate the\n"
    "neuron or to context tokens; by default either counts. A token also matches its normalised\n"
    "form (\" The\" finds \"the\"); --exact matches the stored string only, as the reference.\n";

int cli_search(int argc, char **argv) {
    const char *dir = NULL;
    const char **toks = calloc((size_t)argc + 1, sizeof *toks);
    size_t nt = 0;
    int type = N2G_ANY, json = 0, exact = 0;
    if (!toks) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(search_help, stdout);
            free(toks);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--exact")) {
            exact = 1;
        } else if (strcmp(a, "--graphs") && strcmp(a, "--token") && strcmp(a, "--type")) {
            free(toks);
            return cli_unknown("search", a);
        } else if (i + 1 >= argc) {
            free(toks);
            return cli_usage("search", "%s needs a value", a);
        } else if (!strcmp(a, "--graphs")) {
            dir = cli_dir(argv[++i]);
        } else if (!strcmp(a, "--token")) {
            toks[nt++] = argv[++i];
        } else if (!strcmp(a, "--type")) {
            const char *t = argv[++i];
            if (!strcmp(t, "activating")) type = N2G_ACTIVATING;
            else if (!strcmp(t, "important")) type = N2G_IMPORTANT;
            else {
                free(toks);
                return cli_usage("search", "--type: expected 'activating' or 'important', got '%s'", t);
            }
        }
    }
    if (!dir || !nt) {
        free(toks);
        return cli_usage("search", "--graphs DIR and at least one --token are required");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/neuron_store.json", dir);
    n2g_err err = {0};
    n2g_store *s = n2g_store_load(path, 0, &err);
    const char **names = NULL;
    size_t n = 0;
    int rc = 0;
    if (!s || n2g_store_search(s, toks, nt, type, exact, &names, &n, &err)) {
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
    free(toks);
    return rc;
}
