/* cli_plant.c — `n2g plant`: write a small GPT-2 with planted neurons of known behaviour. */
#include <stdio.h>

#include "cli.h"
#include "model/gpt2_plant.h"

static const cli_cmd plant_cmd = {
    "plant",
    "Writes a 2-layer GPT-2 (n_embd 64, 4 heads, d_mlp 256, real GPT-2 vocabulary) in Hugging Face\n"
    "format whose rule neurons have known behaviour, and the ground truth beside it:\n"
    "  DIR/config.json, DIR/model.safetensors (F32), DIR/vocab.json, DIR/merges.txt, DIR/planted.json\n"
    "Rule neurons (blocks.L.mlp.hook_post, firing = activation >= 0.5 x the neuron's max):\n"
    "  0:37   fires on ' little'\n"
    "  0:150  fires on either of ' their', ' them'\n"
    "  1:200  fires on ' the' only right after ' of'\n"
    "All other neurons have small random weights.\n",
    NULL,
};

int cli_plant(int argc, char **argv) {
    const char *out = NULL;
    gpt2_plant_options opt = {.seed = GPT2_PLANT_DEFAULT_SEED, .n_ctx = GPT2_PLANT_DEFAULT_NCTX};
    char seed_help[128], nctx_help[128];
    snprintf(seed_help, sizeof seed_help, "seed of the random weights (default %u); same seed -> identical files",
             GPT2_PLANT_DEFAULT_SEED);
    snprintf(nctx_help, sizeof nctx_help, "context length / position table size, 8..%d (default %d)",
             GPT2_PLANT_MAX_NCTX, GPT2_PLANT_DEFAULT_NCTX);
    cli_opt opts[] = {
        {CLI_OPT_DIR("--out", &out, "DIR",
                     "output directory (created if missing; an earlier plant's files are replaced atomically; a "
                     "non-empty directory that n2g plant did not write is refused)"),
         .flags = CLI_REQUIRED},
        {CLI_OPT_STR("--vocab", &opt.vocab_dir, "DIR",
                     "GPT-2 tokenizer files: vocab.json + merges.txt or encoder.json + vocab.bpe (default: $N2G_VOCAB, "
                     "then the bundled GPT-2 vocabulary)")},
        {CLI_OPT_U64("--seed", &opt.seed, "N", 0, 2147483647, seed_help)},
        {CLI_OPT_INT("--n-ctx", &opt.n_ctx, "N", 8, GPT2_PLANT_MAX_NCTX, nctx_help)},
        {CLI_OPT_FLAG("--force", &opt.force,
                      "write into such a directory anyway (its config.json, model.safetensors, vocab.json, merges.txt "
                      "are replaced)")},
    };
    int rc = CLI_PARSE(&plant_cmd, opts, argc, argv);
    if (rc != CLI_RUN) return rc;
    n2g_err err = {0};
    if (gpt2_plant_write(out, &opt, &err)) return cli_error(&err);
    printf("wrote %s (planted neurons: see %s/planted.json)\n", out, out);
    return 0;
}
