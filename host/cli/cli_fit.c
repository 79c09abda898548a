/* cli_fit.c — `n2g fit`: a neuron graph from a samples file (host/n2g/samples.h). */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/fileio.h"
#include "n2g/graph/baseline.h"
#include "n2g/graph/evaluate.h"
#include "n2g/graph/export_dot.h"
#include "n2g/graph/export_json.h"
#include "n2g/graph/export_stats.h"
#include "n2g/graph/samples.h"
#include "n2g/graph/store.h"
#include "n2g/graph/vocab_bpe.h"

static const cli_cmd fit_cmd = {
    "fit",
    "Builds a neuron's N2G graph from its samples (pruned prompts and their augmentations with\n"
    "normalised activations and importance matrices; format in docs/graph.md) and writes\n"
    "  DIR/L_N.json          the graph (loadable by 'n2g predict')\n"
    "  DIR/L_N.dot, L_N.svg  the picture (Graphviz 'dot' renders the SVG)\n"
    "  DIR/neuron_store.json the neuron filed under its tokens (updated, for 'n2g search')\n"
    "  DIR/stats.json        scores on the file's \"test\" rows, when it has some (updated)\n"
    "  DIR/stats_token.json, DIR/stats_ngram.json   baselines, when it also has \"train\" rows\n",
    NULL,
};

static int score_baseline(n2g_baseline *b, const n2g_samples *sm, float thr, n2g_eval *e, n2g_err *err) {
    size_t total = 0;
    for (size_t r = 0; r < sm->n_test; r++) total += (size_t)sm->test[r].len;
    float *y = malloc((total + 1) * sizeof *y), *p = malloc((total + 1) * sizeof *p);
    if (!y || !p) {
        free(y);
        free(p);
        return n2g_fail(err, "baseline: out of memory");
    }
    size_t off = 0;
    for (size_t r = 0; r < sm->n_test; r++) {
        n2g_baseline_predict(b, sm->test[r].tokens, (size_t)sm->test[r].len, p + off);
        memcpy(y + off, sm->test[r].act, (size_t)sm->test[r].len * sizeof *y);
        off += (size_t)sm->test[r].len;
    }
    n2g_eval_scores(y, p, total, thr, e);
    free(y);
    free(p);
    return 0;
}

int cli_fit(int argc, char **argv) {
    const char *samples_path = NULL, *out = NULL, *vocab_path = NULL;
    long layer = -2, neuron = -2, prior = 5;
    int no_normalise = 0, no_svg = 0, quiet = 0, raw_thr = 0;
    n2g_params params;
    n2g_params_default(&params);
    float fire = 0.5f;
    cli_opt opts[] = {
        {CLI_OPT_STR("--samples", &samples_path, "FILE", "the samples file (JSON)"), .flags = CLI_REQUIRED},
        {CLI_OPT_DIR("--out", &out, "DIR", "where the files above go (created if missing)"), .flags = CLI_REQUIRED},
        {CLI_OPT_LONG("--layer", &layer, "L", 0, 100000, "the neuron's name, with --neuron (default: the file's \"layer\")")},
        {CLI_OPT_LONG("--neuron", &neuron, "N", 0, 100000000, "(default: the file's \"neuron\")")},
        {CLI_OPT_STR("--vocab", &vocab_path, "PATH",
                     "tokenizer directory, or an encoder.json-style file (default: GPT-2)")},
        {CLI_OPT_STR("--model", &vocab_path, "PATH", NULL)}, /* the older name of --vocab */
        {CLI_OPT_FLAG("--no-normalise", &no_normalise,
                      "key the graph on exact token strings (reference: title case -> lower case and surrounding "
                      "whitespace stripped)")},
        {CLI_OPT_FLOAT("--activation-threshold", &params.activation_threshold, "X", -FLT_MAX, FLT_MAX,
                       "line start / activator threshold (default 0.5)")},
        {CLI_OPT_FLOAT("--importance-threshold", &params.importance_threshold, "X", -FLT_MAX, FLT_MAX,
                       "context token kept when importance > X (default 0.75)")},
        {CLI_OPT_FLOAT("--fire-threshold", &fire, "X", -FLT_MAX, FLT_MAX, "firing threshold for the scores (default 0.5)")},
        {CLI_OPT_LONG("--ngram-prior", &prior, "N", 0, 1000, "context tokens of the n-gram baseline (default 5)")},
        {CLI_OPT_FLAG("--ngram-raw-threshold", &raw_thr,
                      "restore the reference bug: compare the raw activation (needs \"base_max\" in the samples file) "
                      "to the n-gram threshold")},
        {CLI_OPT_FLAG("--no-svg", &no_svg, "do not run Graphviz (the .dot is still written)")},
        {CLI_OPT_FLAG("--quiet", &quiet, "print nothing on success")},
    };
    int prc = CLI_PARSE(&fit_cmd, opts, argc, argv);
    if (prc != CLI_RUN) return prc;
    int normalise = !no_normalise, svg = !no_svg;
    if ((layer == -2) != (neuron == -2)) return cli_usage("fit", "give --layer and --neuron together");

    n2g_err err = {0};
    n2g_samples sm;
    n2g_vocab *vocab = NULL;
    n2g_graph *g = NULL;
    n2g_store *store = NULL;
    int rc = 1;
    if (n2g_samples_load(samples_path, &sm, &err)) return cli_error(&err);
    if (layer != -2) {
        sm.layer = (int)layer;
        sm.neuron = (int)neuron;
    }
    if (sm.layer < 0 || sm.neuron < 0) {
        n2g_samples_free(&sm);
        return cli_usage("fit", "the samples file names no layer/neuron: give --layer and --neuron");
    }
    if (raw_thr && sm.base_max == 0) {
        n2g_samples_free(&sm);
        return cli_usage("fit", "--ngram-raw-threshold needs \"base_max\" in the samples file");
    }
    vocab = n2g_vocab_open(vocab_path, normalise, NULL, &err);
    if (!vocab) goto fail;
    g = n2g_fit(sm.s, sm.n, vocab, &params, &err);
    if (!g) {
        n2g_wrap(&err, "%s", samples_path);
        goto fail;
    }
    g->layer = sm.layer;
    g->neuron = sm.neuron;
    if (n2g_make_dir(out, 0, &err)) goto fail;
    char path[4096], dot[4096];
    snprintf(path, sizeof path, "%s/%d_%d.json", out, g->layer, g->neuron);
    if (n2g_graph_save_json(g, vocab, path, &err)) goto fail;
    snprintf(dot, sizeof dot, "%s/%d_%d.dot", out, g->layer, g->neuron);
    if (n2g_graph_write_dot(g, vocab, dot, &err)) goto fail;
    if (svg) {
        snprintf(path, sizeof path, "%s/%d_%d.svg", out, g->layer, g->neuron);
        if (n2g_graph_render_svg(dot, path, 60.0, &err)) {
            n2g_wrap(&err, "(use --no-svg to skip the picture)");
            goto fail;
        }
    }
    snprintf(path, sizeof path, "%s/neuron_store.json", out);
    store = n2g_store_load(path, 1, &err);
    if (!store || n2g_store_add_graph(store, g, vocab, &err) || n2g_store_save(store, path, &err)) goto fail;
    if (sm.n_test) {
        n2g_eval e;
        if (n2g_evaluate(g, vocab, sm.test, sm.n_test, fire, &e, &err)) goto fail;
        snprintf(path, sizeof path, "%s/stats.json", out);
        if (n2g_stats_update(path, g->layer, g->neuron, &e, &err)) goto fail;
        if (!quiet)
            printf("%d_%d: firing P %.3f R %.3f F1 %.3f (support %ld of %ld tokens)\n", g->layer, g->neuron,
                   e.cls[1].precision, e.cls[1].recall, e.cls[1].f1, e.cls[1].support, e.n_tokens);
        if (sm.n_train) {
            n2g_baseline *tb = n2g_token_baseline_fit(sm.train, sm.n_train, vocab, &err);
            if (!tb) goto fail;
            int r = score_baseline(tb, &sm, fire, &e, &err);
            n2g_baseline_free(tb);
            snprintf(path, sizeof path, "%s/stats_token.json", out);
            if (r || n2g_stats_update(path, g->layer, g->neuron, &e, &err)) goto fail;
            n2g_ngram_opts no;
            n2g_ngram_opts_default(&no);
            no.prior = (int)prior;
            no.threshold = fire;
            no.raw_threshold = raw_thr;
            no.base_max = sm.base_max;
            n2g_baseline *nb = n2g_ngram_baseline_fit(sm.train, sm.n_train, vocab, &no, &err);
            if (!nb) goto fail;
            r = score_baseline(nb, &sm, fire, &e, &err);
            n2g_baseline_free(nb);
            snprintf(path, sizeof path, "%s/stats_ngram.json", out);
            if (r || n2g_stats_update(path, g->layer, g->neuron, &e, &err)) goto fail;
        }
    }
    if (!quiet) printf("%d_%d: graph written to %s/%d_%d.json\n", g->layer, g->neuron, out, g->layer, g->neuron);
    rc = 0;
fail:
    if (rc) rc = cli_error(&err);
    n2g_store_free(store);
    n2g_graph_free(g);
    n2g_vocab_free(vocab);
    n2g_samples_free(&sm);
    return rc;
}
