/* cli_acts.c — `n2g acts`: MLP neuron activations (TransformerLens blocks.L.mlp.hook_post) of a
 * GPT-2 checkpoint for one token sequence, at every position. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/json.h"
#include "model/gpt2.h"
#include "text/bpe.h"

typedef struct {
    const char *model, *tokens, *text, *device, *vocab;
    long layer, neuron, threads;
    int json, profile, no_bos;
} acts_args;

static const cli_cmd acts_cmd = {
    "acts",
    "Runs the model on one token sequence and prints blocks.L.mlp.hook_post (the MLP activation\n"
    "after GELU) at every position: of every layer, of one layer (--layer), or of one neuron\n"
    "(--neuron; with --layer, that neuron of that layer).\n",
    NULL,
};

static int parse_args(int argc, char **argv, acts_args *a) {
    memset(a, 0, sizeof *a);
    a->layer = a->neuron = -1;
    cli_opt opts[] = {
        {CLI_OPT_STR("--model", &a->model, "DIR",
                     "Hugging Face GPT-2 directory: config.json + model.safetensors (f32/f16/bf16)"),
         .flags = CLI_REQUIRED},
        {CLI_OPT_STR("--tokens", &a->tokens, "IDS", "token ids, comma-separated (\"50256,464,3290\"), used exactly as given"),
         .flags = CLI_REQUIRED, .group = 1},
        {CLI_OPT_STR("--text", &a->text, "S",
                     "text, tokenized with the model's vocab.json + merges.txt (or --vocab DIR; a model without "
                     "tokenizer files: the bundled GPT-2 vocabulary, with a note); <|endoftext|> (BOS) is prepended "
                     "unless --no-bos"),
         .group = 1},
        {CLI_OPT_LONG("--layer", &a->layer, "L", 0, 1 << 20, "only layer L (the forward stops after it)")},
        {CLI_OPT_LONG("--neuron", &a->neuron, "N", 0, 1 << 24, "only neuron N")},
        {CLI_OPT_DEVICE(&a->device, "'cpu' or a Vulkan device index from 'n2g devices' (default: the best Vulkan "
                                    "device, else the CPU backend)")},
        {CLI_OPT_LONG("--threads", &a->threads, "N", 0, 4096, "CPU backend threads (default: all cores)")},
        {CLI_OPT_FLAG("--json", &a->json,
                      "print {\"tokens\": [...], \"layers\": {\"L\": [[values per position]]}} on stdout (one value "
                      "per position with --neuron); the device goes to stderr")},
        {CLI_OPT_FLAG("--profile", &a->profile, "print per-op timings to stderr")},
        {CLI_OPT_FLAG("--no-bos", &a->no_bos, "with --text: do not prepend <|endoftext|>")},
        {CLI_OPT_STR("--vocab", &a->vocab, "DIR", "with --text: the tokenizer directory (default: the model's)")},
    };
    int rc = CLI_PARSE(&acts_cmd, opts, argc, argv);
    if (rc != CLI_RUN) return rc;
    if (a->no_bos && !a->text) return cli_usage("acts", "--no-bos goes with --text (--tokens are used as given)");
    return CLI_RUN;
}

/* --text -> ids with the model's tokenizer (or --vocab, or the installed GPT-2 one); BOS first */
static int text_to_tokens(const acts_args *a, int32_t **tok, size_t *n, n2g_err *err) {
    /* --vocab DIR as named; else the model's tokenizer by the rule of every command (bpe_load_model) */
    bpe_tokenizer *t = a->vocab ? bpe_load_dir(a->vocab, err) : bpe_load_model(a->model, 0, NULL, err);
    if (!t) return n2g_wrap(err, "--text needs a tokenizer");
    bpe_ids ids = {0};
    int rc = 0;
    if (!a->no_bos) {
        int bos = bpe_eot_id(t);
        if (bos < 0) rc = n2g_fail(err, "the vocabulary has no <|endoftext|> token to use as BOS (use --no-bos)");
        else if (bpe_ids_push(&ids, bos)) rc = n2g_fail(err, "out of memory");
    }
    if (!rc) rc = bpe_encode(t, a->text, strlen(a->text), BPE_SPECIAL, &ids, NULL, err);
    bpe_free(t);
    if (rc) {
        free(ids.ids);
        return -1;
    }
    *tok = ids.ids;
    *n = ids.n;
    return 0;
}

static int open_device(const acts_args *a, ops_ctx **ctx, n2g_err *err) {
    ops_options o = {0};
    if (cli_parse_device(a->device, &o, err)) return -1;
    o.threads = (int)a->threads;
    o.profile = a->profile;
    o.quiet = a->json;
    return ops_open(&o, ctx, err);
}

static void print_json(const acts_args *a, const gpt2_model *m, const int32_t *tok, size_t T, const float *h,
                       int l0, int l1) {
    int D = m->cfg.d_mlp;
    printf("{\"tokens\": [");
    for (size_t t = 0; t < T; t++) printf("%s%d", t ? ", " : "", (int)tok[t]);
    printf("],\n \"hook\": \"blocks.L.mlp.hook_post\",\n");
    if (a->neuron >= 0) printf(" \"neuron\": %ld,\n", a->neuron);
    printf(" \"layers\": {");
    for (int l = l0; l <= l1; l++) {
        printf("%s\n  \"%d\": [", l > l0 ? "," : "", l);
        for (size_t t = 0; t < T; t++) {
            const float *row = h + ((size_t)l * T + t) * D;
            printf("%s[", t ? ",\n   " : "");
            if (a->neuron >= 0) {
                json_write_float(stdout, row[a->neuron]);
            } else {
                for (int k = 0; k < D; k++) {
                    if (k) fputc(',', stdout);
                    json_write_float(stdout, row[k]);
                }
            }
            fputc(']', stdout);
        }
        printf("]");
    }
    printf("\n }\n}\n");
}

static void print_text(const acts_args *a, const gpt2_model *m, const int32_t *tok, size_t T, const float *h, int l0,
                       int l1) {
    int D = m->cfg.d_mlp;
    for (int l = l0; l <= l1; l++) {
        if (a->neuron >= 0) {
            printf("layer %d neuron %ld (blocks.%d.mlp.hook_post[:, %ld])\n%5s %8s %14s\n", l, a->neuron, l, a->neuron,
                   "pos", "token", "activation");
            for (size_t t = 0; t < T; t++) printf("%5zu %8d %14.6g\n", t, (int)tok[t], h[((size_t)l * T + t) * D + a->neuron]);
        } else {
            printf("layer %d (blocks.%d.mlp.hook_post): %zu positions x %d neurons\n", l, l, T, D);
            for (size_t t = 0; t < T; t++) {
                printf("pos %zu token %d:", t, (int)tok[t]);
                for (int k = 0; k < D; k++) printf(" %.6g", h[((size_t)l * T + t) * D + k]);
                printf("\n");
            }
        }
    }
}

int cli_acts(int argc, char **argv) {
    acts_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_RUN) return rc;
    n2g_err err = {0};
    int32_t *tok = NULL;
    size_t T = 0;
    if (a.tokens) {
        int *ids;
        if (cli_parse_int_list(a.tokens, &ids, &T) < 0 || T == 0)
            return cli_usage("acts", "--tokens: expected comma-separated integers, got '%s'", a.tokens);
        tok = (int32_t *)ids; /* int is int32_t on every supported platform */
    }
    gpt2_model *m = NULL;
    ops_ctx *ctx = NULL;
    gpt2_runner *r = NULL;
    float *h = NULL;
    rc = 1;
    if (gpt2_load(a.model, &m, &err)) goto fail;
    if (a.layer >= m->cfg.n_layer) {
        rc = cli_usage("acts", "--layer %ld: the model has %d layers (0..%d)", a.layer, m->cfg.n_layer, m->cfg.n_layer - 1);
        goto out;
    }
    if (a.neuron >= m->cfg.d_mlp) {
        rc = cli_usage("acts", "--neuron %ld: the model has %d neurons per layer (0..%d)", a.neuron, m->cfg.d_mlp,
                       m->cfg.d_mlp - 1);
        goto out;
    }
    if (a.text && text_to_tokens(&a, &tok, &T, &err)) goto fail;
    if (T == 0) {
        rc = cli_usage("acts", "--text gave no tokens");
        goto out;
    }
    if (gpt2_check_tokens(m, tok, T, &err)) {
        rc = cli_usage("acts", "%s", err.msg);
        goto out;
    }
    if (open_device(&a, &ctx, &err)) goto fail;
    fprintf(a.json ? stderr : stdout, "device: %s\n", ops_device_name(ctx));
    int l0 = a.layer >= 0 ? (int)a.layer : 0, l1 = a.layer >= 0 ? (int)a.layer : m->cfg.n_layer - 1;
    if (gpt2_runner_create(m, ctx, l1, 1, (int)T, &r, &err)) goto fail;
    h = malloc((size_t)(l1 + 1) * T * m->cfg.d_mlp * sizeof *h);
    if (!h) {
        n2g_fail(&err, "out of memory");
        goto fail;
    }
    if (gpt2_hook_post_all(r, tok, (int)T, l1, h, &err)) goto fail;
    if (a.json) print_json(&a, m, tok, T, h, l0, l1);
    else print_text(&a, m, tok, T, h, l0, l1);
    if (a.profile) ops_profile_print(ctx, stderr);
    rc = fflush(stdout) ? 1 : 0;
    goto out;
fail:
    rc = cli_error(&err);
out:
    free(h);
    gpt2_runner_free(r);
    ops_destroy(ctx);
    gpt2_free(m);
    free(tok);
    return rc;
}
