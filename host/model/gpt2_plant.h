/* gpt2_plant.h — a small GPT-2 whose chosen MLP neurons implement known rules.
 *
 * `n2g plant` writes a Hugging Face GPT-2 directory (config.json, model.safetensors in F32,
 * vocab.json + merges.txt copied from the real GPT-2 tokenizer) plus planted.json, the ground
 * truth: for each rule neuron (layer, neuron) it fires (hook_post >= 0.5 x its max) exactly at
 * the positions t where
 *     tok[t] in tokens  and  (prev_tokens is empty  or  (t >= 1 and tok[t-1] in prev_tokens)).
 * Every other neuron has small random weights. How the weights make the rules hold (dedicated
 * residual dimensions, constant-norm embeddings so LayerNorm is an exact rescale, a
 * previous-token attention head built from sinusoidal position features) is explained in
 * gpt2_plant.c and docs/plant.md.
 */
#ifndef N2G_GPT2_PLANT_H
#define N2G_GPT2_PLANT_H

#include <stdint.h>

#include "common/err.h"

#define GPT2_PLANT_DEFAULT_SEED 1234u
#define GPT2_PLANT_DEFAULT_NCTX 256
#define GPT2_PLANT_MAX_NCTX 4096

typedef struct gpt2_plant_options {
    uint64_t seed;             /* random weights; same seed -> byte-identical files */
    int n_ctx;                 /* n_positions = n_ctx, 8..GPT2_PLANT_MAX_NCTX */
    const char *vocab_dir;     /* vocab.json + merges.txt or encoder.json + vocab.bpe;
                                  NULL = n2g_default_vocab_dir() ($N2G_VOCAB, else the bundled copy) */
    int force;                 /* write into a non-empty directory that n2g plant did not write */
} gpt2_plant_options;

/* Creates out_dir if needed (one level) and writes config.json, model.safetensors,
 * vocab.json, merges.txt and planted.json into it, each atomically. A non-empty out_dir that is
 * not an earlier plant's (planted.json, or the marker .n2g-plant of an interrupted one) is
 * refused (N2G_E_USAGE) unless opt->force. */
int gpt2_plant_write(const char *out_dir, const gpt2_plant_options *opt, n2g_err *err);

#endif
