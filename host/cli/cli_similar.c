/* cli_similar.c — `n2g similar`: neuron pairs whose graphs share their tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/json.h"
#include "n2g/graph/store.h"

static const cli_cmd similar_cmd = {
    "similar",
    "Reads DIR/neuron_store.json and prints neuron pairs whose activating and important token sets\n"
    "both overlap by at least X (default 0.9) of the larger set ('similar A B'), and, among the\n"
    "rest, pairs that overlap by X of the smaller set ('subset SUPERSET SUBSET').\n",
    NULL,
};

int cli_similar(int argc, char **argv) {
    const char *dir = NULL;
    double thr = 0.9;
    int json = 0;
    cli_opt opts[] = {
        {CLI_OPT_DIR("--graphs", &dir, "DIR", "the folder of neuron_store.json"), .flags = CLI_REQUIRED},
        {CLI_OPT_DOUBLE("--threshold", &thr, "X", 0, 1, "the overlap (default 0.9)")},
        {CLI_OPT_FLAG("--json", &json, "print {\"similar\": [[A, B], ...], \"subset\": [[SUPERSET, SUBSET], ...]}")},
    };
    int prc = CLI_PARSE(&similar_cmd, opts, argc, argv);
    if (prc != CLI_RUN) return prc;
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
