/* build_aggregate.c — stats.json, neuron_store.json and the per-layer P/R/F1 table over every
 * finished neuron of the run (build/L_N.json with a graph), written by rank 0 at the end. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_write.h"
#include "common/json.h"
#include "n2g/build/builder.h"
#include "n2g/graph/evaluate.h"
#include "n2g/graph/export_json.h"
#include "n2g/graph/store.h"

static int cmp_pair(const void *a, const void *b) {
    const int *x = a, *y = b;
    return x[0] != y[0] ? x[0] - y[0] : x[1] - y[1];
}

typedef struct agg_ctx {
    int *ids; /* layer, neuron pairs: every result, then those with a graph */
    size_t n;
    n2g_eval *evs;
} agg_ctx;

/* the results in RUN/build (L_N.json), sorted: a->ids, a->n; room for their scores in a->evs */
static int list_results(const builder *b, agg_ctx *a, n2g_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/build", b->run_dir);
    DIR *d = opendir(path);
    if (!d) return n2g_fail(err, "%s: cannot open", path);
    size_t cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        int l, k;
        char tail[8];
        if (sscanf(de->d_name, "%d_%d%7s", &l, &k, tail) != 3 || strcmp(tail, ".json")) continue;
        if (a->n == cap) {
            cap = cap ? cap * 2 : 256;
            int *ni = realloc(a->ids, sizeof(int) * 2 * cap);
            if (ni) a->ids = ni;
            n2g_eval *ne = realloc(a->evs, sizeof *ne * cap);
            if (ne) a->evs = ne;
            if (!ni || !ne) {
                rc = n2g_fail(err, "out of memory");
                break;
            }
        }
        a->ids[2 * a->n] = l, a->ids[2 * a->n + 1] = k;
        a->n++;
    }
    closedir(d);
    if (rc == 0) qsort(a->ids, a->n, sizeof(int) * 2, cmp_pair);
    return rc;
}

/* the results with a graph: their scores (a->evs) and graphs (into store); a keeps only those */
static int read_results(const builder *b, agg_ctx *a, n2g_store *store, const n2g_vocab *vocab, n2g_err *err) {
    char path[4096];
    size_t m = 0;
    int rc = 0;
    for (size_t i = 0; i < a->n && rc == 0; i++) {
        n2g_build_path(path, sizeof path, b->run_dir, "build", a->ids[2 * i], a->ids[2 * i + 1], ".json");
        json_doc *doc = json_parse_file(path, err);
        if (!doc) {
            rc = -1;
            break;
        }
        const json_value *r = json_root(doc);
        const json_value *gr = json_get(r, "graph");
        if (gr && gr->type == JSON_TRUE) {
            if (n2g_eval_from_json(json_get(r, "stats"), &a->evs[m], path, err) != 0) rc = -1;
            n2g_build_path(path, sizeof path, b->run_dir, "graphs", a->ids[2 * i], a->ids[2 * i + 1], ".json");
            n2g_graph *g = rc ? NULL : n2g_graph_load_json(path, vocab, err);
            if (!rc && !g) rc = -1;
            if (g) {
                rc = n2g_store_add_graph(store, g, vocab, err);
                n2g_graph_free(g);
            }
            a->ids[2 * m] = a->ids[2 * i], a->ids[2 * m + 1] = a->ids[2 * i + 1];
            m++;
        }
        json_free(doc);
    }
    a->n = m;
    return rc;
}

static int write_stats(FILE *f, void *u, n2g_err *err) {
    agg_ctx *a = u;
    fputs("{", f);
    for (size_t i = 0; i < a->n; i++) {
        int l = a->ids[2 * i], n = a->ids[2 * i + 1];
        if (i == 0 || l != a->ids[2 * (i - 1)]) fprintf(f, "%s\n  \"%d\": {", i ? "\n  }," : "", l);
        else fputs(",", f);
        fprintf(f, "\n    \"%d\": ", n);
        n2g_eval_write_json(f, &a->evs[i], 6);
    }
    fputs(a->n ? "\n  }\n}\n" : "}\n", f);
    return ferror(f) ? n2g_fail(err, "stats.json: write failed") : 0;
}

/* one line per layer: neurons, mean P / R / F1 of each class */
static void write_table(FILE *f, const agg_ctx *a) {
    fprintf(f, "%-6s %7s | %-26s | %-26s\n", "layer", "neurons", "firing P / R / F1", "non-firing P / R / F1");
    for (size_t i = 0; i < a->n;) {
        size_t e = i;
        n2g_summary s;
        n2g_summary_init(&s);
        while (e < a->n && a->ids[2 * e] == a->ids[2 * i]) n2g_summary_add(&s, &a->evs[e++]);
        double mean[2][3], sd[2][3];
        n2g_summary_get(&s, mean, sd);
        fprintf(f, "%-6d %7zu | %6.3f / %6.3f / %6.3f   | %6.3f / %6.3f / %6.3f\n", a->ids[2 * i], e - i, mean[1][0],
                mean[1][1], mean[1][2], mean[0][0], mean[0][1], mean[0][2]);
        i = e;
    }
}

int n2g_build_aggregate(builder *b, n2g_err *err) {
    char path[4096];
    agg_ctx a = {0};
    int rc = list_results(b, &a, err);
    n2g_store *store = rc ? NULL : n2g_store_new();
    if (rc == 0 && !store) rc = n2g_fail(err, "out of memory");
    n2g_vocab *vocab = b->vocab;
    if (rc == 0 && !vocab && a.n > 0 && !(vocab = n2g_vocab_load(scrape_run_model_dir(b->run), 1, err))) rc = -1;
    if (rc == 0) rc = read_results(b, &a, store, vocab, err);
    if (vocab != b->vocab) n2g_vocab_free(vocab);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/stats.json", b->run_dir);
        rc = n2g_atomic_write(path, write_stats, &a, err);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/neuron_store.json", b->run_dir);
        rc = n2g_store_save(store, path, err);
    }
    n2g_store_free(store);
    if (rc == 0 && b->o->table) write_table(b->o->table, &a);
    free(a.ids);
    free(a.evs);
    return rc;
}
