/* cli_similar.c — `n2g similar`: neuron pairs whose graphs share their tokens. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/json.h"
#include "n2g/graph/store.h"

static const char *similar_help =
    "usage: n2g similar --graphs DIR [--threshold X] [--json]\n"
    "\n"
    "Reads DIR/neuron_store.json and prints neuron pairs whose activating and important token sets\n"
    "both overlap by at least X (default 0.9) of the larger set ('similar A B'), and, among the\n"
    "rest, pairs that overlap by X of the smaller set ('subset SUPERSET SUBSET').\n";

int cli_similar(int argc, char **argv) {
    const char *dir = NULL;
    double thr = 0.9;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(similar_help, stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (strcmp(a, "--graphs") && strcmp(a, "--threshold")) {
            return cli_unknown("similar", a);
        } else if (i + 1 >= argc) {
            return cli_usage("similar", "%s needs a value", a);
        } else if (!strcmp(a, "--graphs")) {
            dir = cli_dir(argv[++i]);
        } else if (!strcmp(a, "--threshold")) {
            char *end;
            errno = 0;
            thr = strtod(argv[++i], &end);
            if (*end || errno || !isfinite(thr) || thr < 0 || thr > 1)
                return cli_usage("similar", "--threshold: expected a number in 0..1, got '%s'", argv[i]);
        }
    }
    if (!dir) return cli_usage("similar", "--graphs DIR is required");
    char path[4096];
    snprintf(path, sizeof path, "%s/neuron_store.json", dir);
    n2g_err err = {0};
    n2g_store *s = n2g_store_load(path, 0, &err);
    n2g_pair *sim = NULL, *sub = NULL;
    size_t ns = 0, nu = 0;
    int rc = 0;
    if (!s || n2g_store_similar(s, thr, &sim, &ns, &sub, &nu, &err)) {
        rc = cli_error(&err);
    } else if (json) {
        for (int k = 0; k < 2; k++) {
            n2g_pair *p = k ? sub : sim;
            size_t n = k ? nu : ns;
            fputs(k ? ",\n \"subset\": [" : "{\"similar\": [", stdout);
            for (size_t i = 0; i < n; i++) {
                fputs(i ? ", [" : "[", stdout);
                json_write_string(stdout, p[i].a, strlen(p[i].a));
                fputs(", ", stdout);
                json_write_string(stdout, p[i].b, strlen(p[i].b));
                fputs("]", stdout);
            }
            fputs("]", stdout);
        }
        fputs("}\n", stdout);
    } else {
        for (size_t i = 0; i < ns; i++) printf("similar %s %s\n", sim[i].a, sim[i].b);
        for (size_t i = 0; i < nu; i++) printf("subset %s %s\n", sub[i].a, sub[i].b);
    }
    free(sim);
    free(sub);
    n2g_store_free(s);
    return rc;
}
