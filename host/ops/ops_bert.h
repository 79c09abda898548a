/* ops_bert.h — the ops an encoder (DistilBERT) adds to the op interface. Both backends
 * (cpu_bert.c, vk_bert.c + shaders/bert_*.comp); dispatch on ops_kind_of(ctx).
 *
 *   ops_bert_attention: bidirectional multi-head self-attention with a key-padding mask.
 *     qkv [B*T, 3C] (q | k | v, each C = NH * HS wide, head h at columns h*HS..), lens int32 [B]
 *     at element lens_off (1 <= lens[b] <= T); out [B*T, C]. Row t of sequence b attends to
 *     keys 0..lens[b]-1 with softmax(q.k / sqrt(HS)) (Hugging Face fills masked scores with the
 *     float minimum, i.e. weight 0). Padded query rows (t >= lens[b]) are computed the same way.
 *   ops_bert_attention_rows: the same for R selected query rows only: out [R, C] row r is the
 *     attention output of row rows[r] = b*T + t (int32 [R] at element rows_off) of qkv [B*T, 3C],
 *     over keys 0..lens[b]-1 of its sequence. (The last encoder block needs only the [MASK] rows.)
 *   ops_gelu_erf: x[i] = 0.5 x (1 + erf(x / sqrt 2)) in place (torch's exact GELU). The CPU
 *     uses libm erff; the shader a rational approximation (|error| < 2e-7).
 */
#ifndef N2G_OPS_BERT_H
#define N2G_OPS_BERT_H

#include "ops.h"

void cpu_bert_attention(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *lens, size_t lens_off, int B,
                        int T, int C, int NH);
void vk_bert_attention(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *lens, size_t lens_off, int B,
                       int T, int C, int NH);
void cpu_bert_attention_rows(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *lens, size_t lens_off,
                             const ops_buf *rows, size_t rows_off, int R, int B, int T, int C, int NH);
void vk_bert_attention_rows(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *lens, size_t lens_off,
                            const ops_buf *rows, size_t rows_off, int R, int B, int T, int C, int NH);
void cpu_gelu_erf(ops_ctx *ctx, ops_buf *x, size_t n);
void vk_gelu_erf(ops_ctx *ctx, ops_buf *x, size_t n);

static inline void ops_bert_attention(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *lens,
                                      size_t lens_off, int B, int T, int C, int NH) {
    if (ops_kind_of(ctx) == OPS_CPU)
        cpu_bert_attention(ctx, out, qkv, lens, lens_off, B, T, C, NH);
    else
        vk_bert_attention(ctx, out, qkv, lens, lens_off, B, T, C, NH);
}

static inline void ops_bert_attention_rows(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *lens,
                                           size_t lens_off, const ops_buf *rows, size_t rows_off, int R, int B, int T,
                                           int C, int NH) {
    if (R == 0) return;
    if (ops_kind_of(ctx) == OPS_CPU)
        cpu_bert_attention_rows(ctx, out, qkv, lens, lens_off, rows, rows_off, R, B, T, C, NH);
    else
        vk_bert_attention_rows(ctx, out, qkv, lens, lens_off, rows, rows_off, R, B, T, C, NH);
}

static inline void ops_gelu_erf(ops_ctx *ctx, ops_buf *x, size_t n) {
    if (n == 0) return;
    if (ops_kind_of(ctx) == OPS_CPU)
        cpu_gelu_erf(ctx, x, n);
    else
        vk_gelu_erf(ctx, x, n);
}

#endif
