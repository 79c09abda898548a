/* distilbert.h — a Hugging Face DistilBertForMaskedLM checkpoint and its fill-mask forward on
 * any ops backend (prefix distilbert_).
 *
 * Loading: DIR/config.json, DIR/model.safetensors (f32 / f16 / bf16; names with or without
 * the "distilbert." prefix of the encoder), DIR/vocab.txt (wordpiece.h; its size must equal
 * config vocab_size). Every tensor's name, dtype, shape and byte range is checked against the
 * config; NaN/Inf is an error; unknown tensors are an error. vocab_projector.weight may be
 * omitted (tied to the word embeddings). Hugging Face nn.Linear weights are [out, in]: they
 * are transposed at load time to the [in, out] layout of ops_matmul (q, k, v into one
 * [C, 3C] matrix).
 *
 * Forward (post-layernorm blocks, LayerNorm eps 1e-12):
 *   x = LN_emb(word[tok] + pos[t])
 *   per layer: x = LN_sa(x + out_lin(attention(q, k, v; keys < len))) ;
 *              x = LN_out(x + lin2(gelu_erf(lin1(x))))
 *   the last layer runs q, attention, out_lin, FFN and LayerNorms on the selected rows only
 *   (keys and values on all rows); the head likewise:
 *   logits = LN_vocab(gelu_erf(x W_t + b_t)) W_proj + b_proj
 */
#ifndef N2G_DISTILBERT_H
#define N2G_DISTILBERT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ops/ops.h"
#include "text/wordpiece.h"

typedef struct distilbert_config {
    int n_layers, dim, n_heads, hidden_dim, vocab_size, max_pos;
    float ln_eps; /* 1e-12 (DistilBERT's fixed LayerNorm eps) */
} distilbert_config;

typedef struct distilbert_layer_w {
    float *qkv_w, *qkv_b; /* [C, 3C], [3C] */
    float *o_w, *o_b;     /* [C, C], [C] */
    float *sa_g, *sa_b;   /* [C] */
    float *w1, *b1;       /* [C, H], [H] */
    float *w2, *b2;       /* [H, C], [C] */
    float *out_g, *out_b; /* [C] */
} distilbert_layer_w;

typedef struct distilbert_model {
    distilbert_config cfg;
    float *word;             /* [V, C] */
    float *pos;              /* [max_pos, C] */
    float *emb_g, *emb_b;    /* [C] */
    distilbert_layer_w *layers;
    float *vt_w, *vt_b;      /* [C, C], [C] */
    float *vln_g, *vln_b;    /* [C] */
    float *proj_w, *proj_b;  /* [C, V], [V] */
    int tied;                /* vocab_projector.weight absent: proj_w = word^T */
    wp_vocab *vocab;
    char dir[1024];
    char dtype[8];
    void *priv;
} distilbert_model;

/* Reads a DistilBERT config.json: dim, n_layers, n_heads, hidden_dim, vocab_size,
 * max_position_embeddings; activation must be "gelu", sinusoidal_pos_embds false. */
int distilbert_config_read(const char *path, distilbert_config *cfg, n2g_err *err);
int distilbert_load(const char *dir, distilbert_model **out, n2g_err *err);
void distilbert_free(distilbert_model *m);

/* ---- device instance ---- */
typedef struct distilbert_runner distilbert_runner;

/* Allocates weights and activations for batches of up to max_B sequences of up to max_T
 * tokens and up to max_rows head rows per batch. */
int distilbert_runner_create(const distilbert_model *m, ops_ctx *ctx, int max_B, int max_T, int max_rows,
                             distilbert_runner **out, n2g_err *err);
void distilbert_runner_free(distilbert_runner *r);

/* One batch: tok [B, T] (row-major, right-padded), lens [B] (1..T real tokens each), rows
 * [n_rows] flat indices b*T + t whose MLM logits are wanted (NULL: all B*T rows, n_rows
 * ignored); writes logits [n_rows, V] to out. Checks ids < vocab, T <= max_position_embeddings. */
int distilbert_logits(distilbert_runner *r, const int32_t *tok, const int32_t *lens, int B, int T,
                      const int32_t *rows, int n_rows, float *out, n2g_err *err);

#endif
