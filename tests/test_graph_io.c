/* test_graph_io.c — graph JSON round trips, bad input, DOT / SVG, neuron store, baselines. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common/json.h"
#include "graph_fixture.h"
#include "n2g/graph/baseline.h"
#include "n2g/graph/evaluate.h"
#include "n2g/graph/export_dot.h"
#include "n2g/graph/export_json.h"
#include "n2g/graph/export_stats.h"
#include "n2g/graph/predict.h"
#include "n2g/graph/samples.h"
#include "n2g/graph/store.h"

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)sz + 1);
    if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) sz = 0;
    if (b) b[sz] = 0;
    fclose(f);
    if (n) *n = (size_t)sz;
    return b;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

/* the merge_ignores case of test_graph.c: wildcards, END nodes and removed nodes */
static n2g_graph *sample_graph(const n2g_vocab *v) {
    n2g_sample s[3] = {fx_sample(4, (int[]){T_EOS, T_the, T_cat, T_sat}, (float[]){0, 0, 0, 0.7f}, -1),
                       fx_sample(4, (int[]){T_EOS, T_on, T_dog, T_sat}, (float[]){0, 0, 0.6f, 0.6f}, -1),
                       fx_sample(3, (int[]){T_EOS, T_The, T_sat}, (float[]){0, 0, 0.55f}, 1)};
    fx_imp(&s[0], 1, 3, 0.9f);
    fx_imp(&s[0], 2, 3, 0.9f);
    fx_imp(&s[1], 1, 3, 0.9f);
    fx_imp(&s[1], 2, 3, 0.1f);
    fx_imp(&s[2], 1, 2, 0.3f);
    n2g_err err = {0};
    n2g_graph *g = n2g_fit(s, 3, v, NULL, &err);
    fx_free(s, 3);
    if (g) {
        g->layer = 2;
        g->neuron = 7;
    }
    return g;
}

static void test_round_trip(const n2g_vocab *v, const char *dir) {
    n2g_graph *g = sample_graph(v);
    CHECK(g != NULL, "fit");
    if (!g) return;
    char path[512], dot1[512], dot2[512];
    snprintf(path, sizeof path, "%s/g.json", dir);
    n2g_err err = {0};
    CHECK(n2g_graph_save_json(g, v, path, &err) == 0, "save: %s", err.msg);
    n2g_graph *h = n2g_graph_load_json(path, v, &err);
    CHECK(h != NULL, "load: %s", err.msg);
    if (h) {
        /* every text of up to 4 tokens over the vocabulary: identical predictions */
        int same = 1, count = 0;
        int32_t ids[4];
        for (int n = 1; n <= 4; n++) {
            int total = 1;
            for (int k = 0; k < n; k++) total *= T_N;
            for (int c = 0; c < total; c++) {
                int x = c;
                for (int k = 0; k < n; k++, x /= T_N) ids[k] = x % T_N;
                float a[4], b[4];
                n2g_predict(g, v, ids, (size_t)n, a);
                n2g_predict(h, v, ids, (size_t)n, b);
                same &= !memcmp(a, b, (size_t)n * sizeof *a);
                count += a[n - 1] != 0;
            }
        }
        CHECK(same, "loaded graph predicts the same");
        CHECK(count > 0, "the graph predicts something");
        CHECK(h->layer == 2 && h->neuron == 7 && h->max_depth == g->max_depth, "metadata");
        snprintf(dot1, sizeof dot1, "%s/a.dot", dir);
        snprintf(dot2, sizeof dot2, "%s/b.dot", dir);
        CHECK(n2g_graph_write_dot(g, v, dot1, &err) == 0 && n2g_graph_write_dot(h, v, dot2, &err) == 0, "dot: %s",
              err.msg);
        char *d1 = slurp(dot1, NULL), *d2 = slurp(dot2, NULL);
        CHECK(d1 && d2 && !strcmp(d1, d2), "DOT of the loaded graph is the same");
        CHECK(d1 && strstr(d1, "rankdir=RL") && strstr(d1, "dir=back") && strstr(d1, "cluster_"), "DOT layout");
        /* the activating node " sat" -> label sat, red (#ff....), bold (is_end? no: has context) */
        CHECK(d1 && strstr(d1, "[label=sat fillcolor=\"#ff"), "activating node red: %s", d1 ? d1 : "");
        free(d1);
        free(d2);
        /* a second save of the loaded graph is byte-identical */
        char p2[512];
        snprintf(p2, sizeof p2, "%s/g2.json", dir);
        CHECK(n2g_graph_save_json(h, v, p2, &err) == 0, "save again");
        char *j1 = slurp(path, NULL), *j2 = slurp(p2, NULL);
        CHECK(j1 && j2 && !strcmp(j1, j2), "JSON round trip is byte-identical");
        free(j1);
        free(j2);
        n2g_graph_free(h);
    }
    /* SVG through Graphviz */
    if (access("/usr/bin/dot", X_OK) == 0 || system("command -v dot >/dev/null 2>&1") == 0) {
        char svg[512];
        snprintf(svg, sizeof svg, "%s/a.svg", dir);
        CHECK(n2g_graph_render_svg(dot1, svg, 30, &err) == 0, "render: %s", err.msg);
        char *s = slurp(svg, NULL);
        CHECK(s && strstr(s, "<svg"), "SVG written");
        free(s);
    } else {
        printf("dot not installed: SVG rendering not tested\n");
    }
    setenv("N2G_DOT", "/nonexistent/dot-program", 1);
    char svg2[512];
    snprintf(svg2, sizeof svg2, "%s/b.svg", dir);
    n2g_err_clear(&err);
    CHECK(n2g_graph_render_svg(dot1, svg2, 30, &err) == -1 && strstr(err.msg, "not found") &&
              strstr(err.msg, "graphviz"),
          "missing dot: %s", err.msg);
    CHECK(access(svg2, F_OK) != 0, "no half-written SVG");
    unsetenv("N2G_DOT");
    n2g_graph_free(g);
}

static void expect_samples_error(const char *dir, const char *text, const char *want) {
    char path[512];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    write_file(path, text);
    n2g_samples s;
    n2g_err err = {0};
    int rc = n2g_samples_load(path, &s, &err);
    CHECK(rc == -1 && strstr(err.msg, want) && strstr(err.msg, "bad.json"), "samples '%s': got '%s', want '%s'",
          text, err.msg, want);
    if (rc == 0) n2g_samples_free(&s);
}

static void test_bad_samples(const char *dir) {
    expect_samples_error(dir, "{\"samples\": [", "invalid JSON");
    expect_samples_error(dir, "[1, 2]", "expected a JSON object");
    expect_samples_error(dir, "{\"samples\": 3}", "samples: expected an array");
    expect_samples_error(dir,
                         "{\"samples\": [{\"tokens\": [1, 2, 3], \"activations\": [0.1, 0.2], "
                         "\"importance\": [[0,0,0],[0,0,0],[0,0,0]]}]}",
                         "samples[0].activations: expected 3 numbers (one per token), got 2");
    expect_samples_error(dir,
                         "{\"samples\": [{\"tokens\": [1, 2], \"activations\": [0.1, 0.2], "
                         "\"importance\": [[0,0],[0]]}]}",
                         "samples[0].importance[1]: expected 2 numbers");
    expect_samples_error(dir,
                         "{\"samples\": [{\"tokens\": [1, 2], \"activations\": [0.1, 0.2], "
                         "\"importance\": [[0,0]]}]}",
                         "samples[0].importance: expected 2 rows");
    expect_samples_error(dir,
                         "{\"samples\": [{\"tokens\": [1], \"activations\": [NaN], \"importance\": [[0]]}]}",
                         "invalid JSON");
    expect_samples_error(dir,
                         "{\"samples\": [{\"tokens\": [1], \"activations\": [1e999], \"importance\": [[0]]}]}",
                         "samples[0].activations[0]: expected a finite number");
    expect_samples_error(dir,
                         "{\"samples\": [{\"tokens\": [1], \"activations\": [0.5], \"importance\": [[1e300]]}]}",
                         "samples[0].importance[0][0]: expected a finite number");
    expect_samples_error(dir,
                         "{\"samples\": [{\"tokens\": [1.5], \"activations\": [0.5], \"importance\": [[0]]}]}",
                         "samples[0].tokens[0]: expected a non-negative integer");
    expect_samples_error(dir,
                         "{\"samples\": [{\"tokens\": [1], \"activations\": [0.5], \"importance\": [[0]], "
                         "\"parent\": 0}]}",
                         "samples[0].parent: expected null or the index of an earlier sample");
    expect_samples_error(dir,
                         "{\"samples\": [{\"tokens\": [1], \"activations\": [0.5], \"importance\": [[0]]}],"
                         " \"test\": [{\"tokens\": [1, 2], \"activations\": [0.5]}]}",
                         "test[0].activations: expected 2 numbers");
    /* a token outside the vocabulary is caught by fit */
    n2g_vocab *v = fx_vocab(1);
    n2g_sample s = fx_sample(1, (int[]){T_N + 5}, (float[]){0.9f}, -1);
    n2g_err err = {0};
    CHECK(n2g_fit(&s, 1, v, NULL, &err) == NULL && strstr(err.msg, "outside the vocabulary"), "fit: %s", err.msg);
    fx_free(&s, 1);
    n2g_vocab_free(v);
}

static void expect_graph_error(const n2g_vocab *v, const char *text, const char *want) {
    n2g_err err = {0};
    n2g_graph *g = n2g_graph_parse_json(text, strlen(text), "g.json", v, &err);
    CHECK(!g && strstr(err.msg, want), "graph: got '%s', want '%s'", err.msg, want);
    n2g_graph_free(g);
}

static void test_bad_graph(const n2g_vocab *v, const char *dir) {
    n2g_graph *g = sample_graph(v);
    char path[512];
    snprintf(path, sizeof path, "%s/g.json", dir);
    n2g_err err = {0};
    n2g_graph_save_json(g, v, path, &err);
    n2g_graph_free(g);
    size_t n;
    char *text = slurp(path, &n);
    char *p = text ? strstr(text, "\"version\": 1") : NULL;
    CHECK(p != NULL, "version field");
    if (!p) return;
    p[11] = '2';
    expect_graph_error(v, text, "graph format version 2 is not supported");
    p[11] = '1';
    char *f = strstr(text, "n2g-graph");
    f[0] = 'x';
    expect_graph_error(v, text, "not an n2g graph");
    f[0] = 'n';
    expect_graph_error(v, "{\"format\": \"n2g-graph\"}", "version");
    /* a different vocabulary: the normalised classes differ */
    n2g_vocab *off = fx_vocab(0);
    expect_graph_error(off, text, "normalisation");
    n2g_vocab_free(off);
    char *d = strstr(text, "\"depth\": 0");
    CHECK(d != NULL, "depth field");
    free(text);
}

static void test_store(const n2g_vocab *v, const char *dir) {
    n2g_graph *g = sample_graph(v);
    n2g_store *s = n2g_store_new();
    n2g_err err = {0};
    CHECK(n2g_store_add_graph(s, g, v, &err) == 0, "add graph");
    g->neuron = 8; /* the same graph as another neuron: a similar pair */
    CHECK(n2g_store_add_graph(s, g, v, &err) == 0, "add graph 2");
    CHECK(n2g_store_add(s, N2G_ACTIVATING, "zzz", 3, "5_1", &err) == 0, "add one");
    char path[512];
    snprintf(path, sizeof path, "%s/neuron_store.json", dir);
    CHECK(n2g_store_save(s, path, &err) == 0, "save: %s", err.msg);
    n2g_store *t = n2g_store_load(path, 0, &err);
    CHECK(t != NULL, "load: %s", err.msg);
    const char **names = NULL;
    size_t k = 0;
    /* " sat" activates (filed as "sat"); "the" is a context token; "on" too; the dog token was
     * activating (0.6) in sample 1 but is a wildcard there, so it never enters the trie */
    const char *q1[] = {"sat"};
    n2g_store_search(t, q1, 1, N2G_ACTIVATING, 0, &names, &k, &err);
    CHECK(k == 2 && !strcmp(names[0], "2_7") && !strcmp(names[1], "2_8"), "search sat: %zu", k);
    free(names);
    const char *q2[] = {" The", "on"}; /* " The" also matches its normalised form "the" */
    n2g_store_search(t, q2, 2, N2G_IMPORTANT, 0, &names, &k, &err);
    CHECK(k == 2, "search the+on: %zu", k);
    free(names);
    n2g_store_search(t, q2, 2, N2G_IMPORTANT, 1, &names, &k, &err);
    CHECK(k == 0, "exact search: ' The' is not filed: %zu", k);
    free(names);
    const char *q3[] = {"sat", "zzz"};
    n2g_store_search(t, q3, 2, N2G_ANY, 0, &names, &k, &err);
    CHECK(k == 0, "intersection empty");
    free(names);
    n2g_store_search(t, q2, 2, N2G_ACTIVATING, 0, &names, &k, &err);
    CHECK(k == 0, "type filter");
    free(names);
    n2g_pair *sim, *sub;
    size_t ns, nu;
    CHECK(n2g_store_similar(t, 0.9, &sim, &ns, &sub, &nu, &err) == 0, "similar");
    CHECK(ns == 1 && !strcmp(sim[0].a, "2_8") && !strcmp(sim[0].b, "2_7"), "one similar pair: %zu", ns);
    CHECK(nu == 0, "no subset pairs: %zu", nu);
    free(sim);
    free(sub);
    /* subset: neuron 3_0 has a subset of 2_7's tokens */
    n2g_store_add(t, N2G_ACTIVATING, "sat", 3, "3_0", &err);
    n2g_store_add(t, N2G_IMPORTANT, "the", 3, "3_0", &err);
    CHECK(n2g_store_similar(t, 0.9, &sim, &ns, &sub, &nu, &err) == 0, "similar 2");
    CHECK(nu == 2 && !strcmp(sub[0].b, "3_0") && !strcmp(sub[1].b, "3_0"), "subset pairs: %zu", nu);
    free(sim);
    free(sub);
    n2g_store_free(t);
    n2g_store_free(s);
    n2g_graph_free(g);
    write_file(path, "{\"activating\": {\"a\": [1]}}");
    CHECK(n2g_store_load(path, 0, &err) == NULL && strstr(err.msg, "expected a neuron name"), "bad store: %s",
          err.msg);
}

static void test_baselines(const n2g_vocab *v) {
    n2g_row rows[1] = {{(int32_t[]){T_the, T_sat, T_cat, T_sat}, (float[]){0.2f, 0.6f, 0.3f, 0.4f}, 4}};
    n2g_err err = {0};
    n2g_baseline *tb = n2g_token_baseline_fit(rows, 1, v, &err);
    float out[4];
    n2g_baseline_predict(tb, (const int32_t[]){T_sat, T_dog, T_the, T_The}, 4, out);
    CHECK(out[0] == 0.6f && out[1] == 0 && out[2] == 0.2f && out[3] == 0, "token lookup: max per exact string");
    n2g_baseline_free(tb);
    n2g_ngram_opts o;
    n2g_ngram_opts_default(&o);
    o.prior = 1;
    n2g_baseline *nb = n2g_ngram_baseline_fit(rows, 1, v, &o, &err);
    n2g_baseline_predict(nb, (const int32_t[]){T_the, T_sat, T_cat, T_sat}, 4, out);
    /* only " the sat" (0.6 >= 0.5) is stored; " cat sat" has an activating last token but an
     * unseen context */
    CHECK(out[0] == 0 && out[1] == 0.6f && out[2] == 0 && out[3] == 0, "n-gram: %g %g %g %g", out[0], out[1], out[2],
          out[3]);
    n2g_baseline_free(nb);
    /* the reference's bug: raw activation (normalised * base_max = 0.6 * 0.5 = 0.3) < 0.5 */
    o.raw_threshold = 1;
    o.base_max = 0.5;
    nb = n2g_ngram_baseline_fit(rows, 1, v, &o, &err);
    n2g_baseline_predict(nb, (const int32_t[]){T_the, T_sat}, 2, out);
    CHECK(out[1] == 0, "raw threshold: nothing stored");
    n2g_baseline_free(nb);
    o.base_max = 2.0; /* 0.3 * 2 = 0.6 passes: " cat" is stored with its normalised 0.3 */
    nb = n2g_ngram_baseline_fit(rows, 1, v, &o, &err);
    n2g_baseline_predict(nb, (const int32_t[]){T_sat, T_cat}, 2, out);
    CHECK(out[1] == 0.3f, "raw threshold: low normalised value stored: %g", out[1]);
    n2g_baseline_free(nb);
}

static void test_stats_json(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/stats.json", dir);
    n2g_eval a, b;
    n2g_eval_scores((float[]){0.9f, 0.1f}, (float[]){0.9f, 0.9f}, 2, 0.5f, &a);
    n2g_eval_scores((float[]){0.9f, 0.1f}, (float[]){0.0f, 0.0f}, 2, 0.5f, &b);
    n2g_err err = {0};
    CHECK(n2g_stats_update(path, 0, 3, &a, &err) == 0, "stats 1: %s", err.msg);
    CHECK(n2g_stats_update(path, 0, 4, &b, &err) == 0, "stats 2");
    CHECK(n2g_stats_update(path, 1, 0, &a, &err) == 0, "stats 3");
    CHECK(n2g_stats_update(path, 0, 3, &a, &err) == 0, "stats replace");
    char *text = slurp(path, NULL);
    CHECK(text && strstr(text, "\"0\": {") && strstr(text, "\"4\": {") && strstr(text, "\"f1-score\"") &&
              strstr(text, "\"macro avg\"") && strstr(text, "\"correlation\""),
          "shape");
    free(text);
    struct {
        int layers;
        double p1[2];
    } ctx = {0, {0, 0}};
    void fn(void *c, const char *layer, const n2g_summary *s);
    CHECK(n2g_stats_summarise(path, fn, &ctx, &err) == 0, "summary: %s", err.msg);
    CHECK(ctx.layers == 2, "two layers");
    /* layer 0: neuron 3 P1 = .5, neuron 4 predicted nothing -> counts as 1: mean .75 */
    CHECK(ctx.p1[0] == 0.75, "layer 0 firing precision %g", ctx.p1[0]);
    /* found by fuzz_stats: another entry's 1e999 (read as inf) was rewritten as "inf", not JSON */
    FILE *f = fopen(path, "w");
    fputs("{\"7\": {\"1\": {\"x\": 1e999, \"y\": [-1e400, 0.5]}}}\n", f);
    fclose(f);
    CHECK(n2g_stats_update(path, 0, 3, &a, &err) == 0, "stats over inf: %s", err.msg);
    json_doc *d = json_parse_file(path, &err);
    CHECK(d != NULL, "an updated stats.json with an infinite value does not parse: %s", err.msg);
    if (d) {
        const json_value *e7 = json_get(json_get(json_root(d), "7"), "1");
        const json_value *y = json_get(e7, "y");
        CHECK(json_get(e7, "x") && json_get(e7, "x")->num == INFINITY && y && y->n == 2 && y->items[0].num == -INFINITY &&
                  y->items[1].num == 0.5,
              "the other entry kept as it was");
        json_free(d);
    }
}

void fn(void *c, const char *layer, const n2g_summary *s) {
    struct {
        int layers;
        double p1[2];
    } *ctx = c;
    double mean[2][3], sd[2][3];
    n2g_summary_get(s, mean, sd);
    if (ctx->layers < 2) ctx->p1[ctx->layers] = mean[1][0];
    ctx->layers++;
    (void)layer;
}

int main(void) {
    const char *dir = check_tmpdir("graphio");
    n2g_vocab *v = fx_vocab(1);
    test_round_trip(v, dir);
    test_bad_samples(dir);
    test_bad_graph(v, dir);
    test_store(v, dir);
    test_baselines(v);
    test_stats_json(dir);
    n2g_vocab_free(v);
    return check_finish();
}
