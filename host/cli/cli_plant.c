/* cli_plant.c — `n2g plant`: write a small GPT-2 with planted neurons of known behaviour. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "model/gpt2_plant.h"

static void help(void) {
    printf("usage: n2g plant --out DIR [--vocab DIR] [--seed N] [--n-ctx N] [--force]\n\n"
           "Writes a 2-layer GPT-2 (n_embd 64, 4 heads, d_mlp 256, real GPT-2 vocabulary) in Hugging Face\n"
           "format whose rule neurons have known behaviour, and the ground truth beside it:\n"
           "  DIR/config.json, DIR/model.safetensors (F32), DIR/vocab.json, DIR/merges.txt, DIR/planted.json\n"
           "Rule neurons (blocks.L.mlp.hook_post, firing = activation >= 0.5 x the neuron's max):\n"
           "  0:37   fires on ' little'\n"
           "  0:150  fires on either of ' their', ' them'\n"
           "  1:200  fires on ' the' only right after ' of'\n"
           "All other neurons have small random weights.\n\n"
           "options:\n"
           "  --out DIR        output directory (created if missing; an earlier plant's files are replaced\n"
           "                   atomically; a non-empty directory that n2g plant did not write is refused)\n"
           "  --force          write into such a directory anyway (its config.json, model.safetensors,\n"
           "                   vocab.json, merges.txt are replaced)\n"
           "  --vocab DIR      GPT-2 tokenizer files: vocab.json + merges.txt or encoder.json + vocab.bpe\n"
           "                   (default: $N2G_VOCAB, then the bundled GPT-2 vocabulary)\n"
           "  --seed N         seed of the random weights (default %u); same seed -> identical files\n"
           "  --n-ctx N        context length / position table size, 8..%d (default %d)\n",
           GPT2_PLANT_DEFAULT_SEED, GPT2_PLANT_MAX_NCTX, GPT2_PLANT_DEFAULT_NCTX);
}

int cli_plant(int argc, char **argv) {
    const char *sub = "plant", *out = NULL;
    gpt2_plant_options opt = {.seed = GPT2_PLANT_DEFAULT_SEED, .n_ctx = GPT2_PLANT_DEFAULT_NCTX};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help();
            return 0;
        }
        if (!strcmp(a, "--force")) {
            opt.force = 1;
            continue;
        }
        if (strcmp(a, "--out") && strcmp(a, "--vocab") && strcmp(a, "--seed") && strcmp(a, "--n-ctx"))
            return cli_unknown(sub, a);
        if (i + 1 >= argc) return cli_usage(sub, "%s needs a value", a);
        const char *v = argv[++i];
        long x;
        if (!strcmp(a, "--out")) {
            if (!*v) return cli_usage(sub, "--out: empty path");
            out = cli_dir(argv[i]);
        } else if (!strcmp(a, "--vocab")) {
            opt.vocab_dir = v;
        } else if (!strcmp(a, "--seed")) {
            if (cli_parse_int(v, 0, 2147483647L, &x)) return cli_usage(sub, "--seed: expected an integer 0..2147483647, got '%s'", v);
            opt.seed = (uint64_t)x;
        } else {
            if (cli_parse_int(v, 8, GPT2_PLANT_MAX_NCTX, &x))
                return cli_usage(sub, "--n-ctx: expected an integer 8..%d, got '%s'", GPT2_PLANT_MAX_NCTX, v);
            opt.n_ctx = (int)x;
        }
    }
    if (!out) return cli_usage(sub, "--out DIR is required");
    n2g_err err = {0};
    if (gpt2_plant_write(out, &opt, &err)) return cli_error(&err);
    printf("wrote %s (planted neurons: see %s/planted.json)\n", out, out);
    return 0;
}
