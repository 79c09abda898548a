/* cli_predict.c — `n2g predict`: a fitted graph's predicted activation per token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/json.h"
#include "n2g/graph/export_json.h"
#include "n2g/graph/predict.h"
#include "n2g/graph/vocab_bpe.h"

static const cli_cmd predict_cmd = {
    "predict",
    "Prints the graph's predicted (normalised) activation for every token: one line per token,\n"
    "'position<TAB>id<TAB>token<TAB>activation', or with --json {\"tokens\": [...], \"activations\": [...]}.\n",
    NULL,
};

static int print_one(const n2g_graph *g, const n2g_vocab *v, const int32_t *ids, size_t n, int json) {
    float *out = malloc((n ? n : 1) * sizeof *out);
    if (!out) {
        fprintf(stderr, "n2g: out of memory\n");
        return 1;
    }
    n2g_predict(g, v, ids, n, out);
    if (json) {
        fputs("{\"tokens\": [", stdout);
        for (size_t i = 0; i < n; i++) printf("%s%d", i ? ", " : "", ids[i]);
        fputs("], \"activations\": [", stdout);
        for (size_t i = 0; i < n; i++) {
            if (i) fputs(", ", stdout);
            json_write_float(stdout, out[i]);
        }
        fputs("]}\n", stdout);
    } else {
        for (size_t i = 0; i < n; i++) {
            printf("%zu\t%d\t", i, ids[i]);
            json_write_string(stdout, v->text[ids[i]].s, v->text[ids[i]].n);
            putchar('\t');
            json_write_float(stdout, out[i]);
            putchar('\n');
        }
    }
    free(out);
    return 0;
}

static int run_batch(const n2g_graph *g, const n2g_vocab *v, const char *path, n2g_err *err) {
    json_doc *doc = json_parse_file(path, err);
    if (!doc) return -1;
    const json_value *r = json_root(doc);
    int rc = -1;
    if (r->type != JSON_ARRAY) {
        n2g_fail(err, "%s: expected an array of token-id arrays", path);
        goto done;
    }
    for (size_t k = 0; k < r->n; k++) {
        const json_value *a = &r->items[k];
        if (a->type != JSON_ARRAY) {
            n2g_fail(err, "%s: [%zu]: expected an array of token ids", path, k);
            goto done;
        }
        for (size_t i = 0; i < a->n; i++) {
            const json_value *x = &a->items[i];
            if (x->type != JSON_NUMBER || x->num < 0 || x->num >= v->n || x->num != (double)(int)x->num) {
                n2g_fail(err, "%s: [%zu][%zu]: expected a token id in 0..%d", path, k, i, v->n - 1);
                goto done;
            }
        }
    }
    fputs("[", stdout);
    for (size_t k = 0; k < r->n; k++) {
        const json_value *a = &r->items[k];
        int32_t *ids = malloc((a->n + 1) * sizeof *ids);
        float *out = malloc((a->n + 1) * sizeof *out);
        if (!ids || !out) {
            free(ids);
            free(out);
            n2g_fail(err, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < a->n; i++) ids[i] = (int32_t)a->items[i].num;
        n2g_predict(g, v, ids, a->n, out);
        fputs(k ? ",\n [" : "\n [", stdout);
        for (size_t i = 0; i < a->n; i++) {
            if (i) fputs(", ", stdout);
            json_write_float(stdout, out[i]);
        }
        fputs("]", stdout);
        free(ids);
        free(out);
    }
    fputs("\n]\n", stdout);
    rc = 0;
done:
    json_free(doc);
    return rc;
}

int cli_predict(int argc, char **argv) {
    const char *graph = NULL, *tokens = NULL, *text = NULL, *batch = NULL, *vocab_path = NULL;
    int json = 0;
    cli_opt opts[] = {
        {CLI_OPT_STR("--graph", &graph, "FILE", "a graph written by 'n2g fit' (L_N.json)"), .flags = CLI_REQUIRED},
        {CLI_OPT_STR("--tokens", &tokens, "IDS", "token ids separated by commas"), .flags = CLI_REQUIRED, .group = 1},
        {CLI_OPT_STR("--text", &text, "S", "text, encoded with the GPT-2 tokenizer (<|endoftext|> becomes its id)"),
         .group = 1},
        {CLI_OPT_STR("--batch", &batch, "FILE",
                     "a JSON array of token-id arrays; prints a JSON array of activation arrays"),
         .group = 1},
        {CLI_OPT_STR("--vocab", &vocab_path, "PATH",
                     "tokenizer directory, or an encoder.json-style file (default: GPT-2); it must be the vocabulary "
                     "the graph was fitted with")},
        {CLI_OPT_STR("--model", &vocab_path, "PATH", NULL)}, /* the older name of --vocab */
        {CLI_OPT_FLAG("--json", &json, "print {\"tokens\": [...], \"activations\": [...]}")},
    };
    int prc = CLI_PARSE(&predict_cmd, opts, argc, argv);
    if (prc != CLI_RUN) return prc;
    int32_t *ids = NULL;
    size_t n = 0;
    if (tokens) {
        int *v;
        if (cli_parse_int_list(tokens, &v, &n) < 0 || n == 0)
            return cli_usage("predict", "--tokens: expected comma-separated token ids");
        ids = malloc(n * sizeof *ids);
        if (!ids) {
            free(v);
            return 1;
        }
        for (size_t i = 0; i < n; i++) ids[i] = v[i];
        free(v);
    }
    n2g_err err = {0};
    /* the graph says whether its keys are normalised; read that before opening the vocabulary */
    n2g_graph *g = n2g_graph_load_json(graph, NULL, &err);
    n2g_vocab *v = NULL;
    bpe_tokenizer *tok = NULL;
    int rc = 1;
    if (!g) goto fail;
    v = n2g_vocab_open(vocab_path, g->normalise, text ? &tok : NULL, &err);
    if (!v) goto fail;
    n2g_graph_free(g);
    g = n2g_graph_load_json(graph, v, &err); /* again, now checked against the vocabulary */
    if (!g) goto fail;
    if (text) {
        if (!tok) {
            n2g_fail(&err, "--text needs a tokenizer directory (--vocab DIR with merges), not a plain vocabulary file");
            goto fail;
        }
        bpe_ids out = {0};
        if (bpe_encode(tok, text, strlen(text), BPE_SPECIAL, &out, NULL, &err)) goto fail;
        ids = out.ids;
        n = out.n;
    }
    if (ids)
        for (size_t i = 0; i < n; i++)
            if (ids[i] < 0 || ids[i] >= v->n) {
                n2g_failc(&err, tokens ? N2G_E_USAGE : N2G_E_FAIL,
                          "%s: id %d at position %zu is outside the vocabulary (0..%d)", tokens ? "--tokens" : "--text",
                          ids[i], i, v->n - 1);
                goto fail;
            }
    if (batch) {
        if (run_batch(g, v, batch, &err)) goto fail;
        rc = 0;
    } else {
        rc = print_one(g, v, ids, n, json);
    }
fail:
    if (rc && err.msg[0]) rc = cli_error(&err);
    free(ids);
    bpe_free(tok);
    n2g_graph_free(g);
    n2g_vocab_free(v);
    return rc;
}
