/* gpt2.h — a Hugging Face GPT-2 checkpoint and its forward pass on any ops backend.
 *
 * Loading: DIR/config.json + DIR/model.safetensors (f32 / f16 / bf16; tensor names with or
 * without the "transformer." prefix; h.N.attn.bias mask buffers ignored). Every tensor's
 * name, dtype, shape and byte range is checked against the config before use; NaN/Inf in
 * weights is an error. Weights are converted to fp32 on the host.
 *
 * Forward (llm.c style, one function per layer):
 *   x = wte[tok] + wpe[pos]
 *   for l in 0..last_layer:
 *     x += attn_proj(attention(ln1(x) @ W_qkv + b_qkv)) ;  h = gelu(ln2(x) @ W_fc + b_fc)  <- hook_post
 *     x += h @ W_proj + b_proj        (skipped for the last requested layer: not needed)
 * hook_post of layer l = TransformerLens blocks.l.mlp.hook_post, [B*T, d_mlp].
 */
#ifndef N2G_GPT2_H
#define N2G_GPT2_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ops/ops.h"

typedef struct gpt2_config {
    int n_layer, n_embd, n_head, n_ctx, n_positions, vocab_size, d_mlp; /* d_mlp = n_inner or 4*n_embd */
    float ln_eps;                                                       /* layer_norm_epsilon, default 1e-5 */
    char activation[32];                                                /* "gelu_new" (others rejected) */
} gpt2_config;

typedef struct gpt2_layer_w {
    const float *ln1_g, *ln1_b;   /* [C] */
    const float *qkv_w, *qkv_b;   /* [C, 3C], [3C] */
    const float *proj_w, *proj_b; /* [C, C], [C] */
    const float *ln2_g, *ln2_b;   /* [C] */
    const float *fc_w, *fc_b;     /* [C, 4C], [4C] */
    const float *mproj_w, *mproj_b; /* [4C, C], [C] */
} gpt2_layer_w;

typedef struct gpt2_model {
    gpt2_config cfg;
    const float *wte;  /* [V, C] */
    const float *wpe;  /* [n_positions, C] */
    const float *lnf_g, *lnf_b;
    gpt2_layer_w *layers; /* [n_layer] */
    char dir[1024];
    char dtype[8];        /* dtype of the file's tensors: "F32", "F16", "BF16" */
    uint64_t file_bytes;  /* size of model.safetensors */
    void *priv;
} gpt2_model;

/* Reads a GPT-2 config.json: n_layer, n_embd, n_head, vocab_size, n_positions (or n_ctx;
 * cfg.n_ctx = min of the two when both are present), n_inner (null = 4 * n_embd),
 * layer_norm_epsilon (default 1e-5), activation_function (must be gelu_new). */
int gpt2_config_read(const char *path, gpt2_config *cfg, n2g_err *err);
/* Reads DIR/config.json and DIR/model.safetensors. */
int gpt2_load(const char *dir, gpt2_model **out, n2g_err *err);
void gpt2_free(gpt2_model *m);

/* Checks token ids (< vocab) and length (<= n_ctx); message names the offending index. */
int gpt2_check_tokens(const gpt2_model *m, const int32_t *tok, size_t n, n2g_err *err);

/* ---- device instance ---- */
typedef struct gpt2_runner gpt2_runner;

/* Uploads the weights of layers 0..max_layer (all when -1) and allocates activations for
 * batches of up to max_B sequences of up to max_T tokens. */
int gpt2_runner_create(const gpt2_model *m, ops_ctx *ctx, int max_layer, int max_B, int max_T, gpt2_runner **out,
                       n2g_err *err);
/* A runner for batches of max_B x max_T that uses src's weights on the device (no second
 * copy), and src's activation buffers too when max_B * max_T fits in them: the two runners
 * then must not have forwards in flight at the same time. src must outlive it. */
int gpt2_runner_create_like(gpt2_runner *src, int max_B, int max_T, gpt2_runner **out, n2g_err *err);
void gpt2_runner_free(gpt2_runner *r);
ops_ctx *gpt2_runner_ops(gpt2_runner *r);

/* Called while recording, right after layer `layer`'s GELU; hook_post is [B*T, d_mlp]
 * (row b*T + t) and is overwritten by the next layer, so record any consumer now. */
typedef void (*gpt2_hook_fn)(void *user, int layer, ops_buf *hook_post, int B, int T);

/* Uploads B*T token ids (row-major [B, T]); checks ids < vocab and T <= n_ctx. */
int gpt2_set_tokens(gpt2_runner *r, const int32_t *tok, int B, int T, n2g_err *err);
/* Uploads a tree-packed batch (ops.h, "tree-packed rows"): tokens and position ids [B*T] and key
 * spans [B*T, 3] (r0, np, s0: row t attends to keys [r0, r0 + np) and [s0, t] of its row).
 * Checks ids, positions < n_ctx and 0 <= r0 <= r0 + np <= s0 <= t. The next gpt2_record_forward runs it; a later
 * gpt2_set_tokens returns to plain causal batches. */
int gpt2_set_tokens_tree(gpt2_runner *r, const int32_t *tok, const int32_t *pos, const int32_t *span, int B, int T,
                         n2g_err *err);
/* Records the forward for the current tokens through layer last_layer (its MLP GELU);
 * calls hook(user, l, ...) after each layer l's GELU for l in 0..last_layer.
 * The caller then calls ops_run(). */
void gpt2_record_forward(gpt2_runner *r, int B, int T, int last_layer, gpt2_hook_fn hook, void *user);

/* Convenience: runs tokens [T] (one sequence) and copies hook_post of every layer in
 * 0..last_layer to out[(l * T + t) * d_mlp + n]. */
int gpt2_hook_post_all(gpt2_runner *r, const int32_t *tok, int T, int last_layer, float *out, n2g_err *err);

#endif
