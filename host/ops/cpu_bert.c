/* cpu_bert.c — the encoder ops on the CPU backend (see ops_bert.h). */
#include <math.h>
#include <stdint.h>

#include "cpu_backend.h"
#include "ops_bert.h"

typedef struct {
    float *out;
    const float *qkv;
    const int32_t *lens, *rows; /* rows: NULL = every row, in order */
    int T, C, NH;
} attn_args;

/* item = (r, h): one query row of one head; r = b*T + t, or the r-th selected row */
static void attn_items(void *arg, size_t begin, size_t end, int thread) {
    attn_args *a = arg;
    (void)thread;
    int T = a->T, C = a->C, NH = a->NH, HS = C / NH;
    float scale = 1.0f / sqrtf((float)HS);
    for (size_t it = begin; it < end; it++) {
        size_t r = it / (size_t)NH, row = a->rows ? (size_t)a->rows[r] : r;
        int h = (int)(it % (size_t)NH), b = (int)(row / (size_t)T);
        int len = a->lens[b];
        const float *q = a->qkv + row * 3 * C + (size_t)h * HS;
        float *o = a->out + r * C + (size_t)h * HS;
        float m = -INFINITY, l = 0;
        for (int d = 0; d < HS; d++) o[d] = 0;
        for (int s = 0; s < len; s++) { /* online softmax */
            const float *k = a->qkv + ((size_t)b * T + s) * 3 * C + C + (size_t)h * HS, *v = k + C;
            float x = 0;
            for (int d = 0; d < HS; d++) x += q[d] * k[d];
            x *= scale;
            float mn = x > m ? x : m, corr = expf(m - mn), p = expf(x - mn);
            l = l * corr + p;
            for (int d = 0; d < HS; d++) o[d] = o[d] * corr + p * v[d];
            m = mn;
        }
        float il = l > 0 ? 1.0f / l : 0.0f;
        for (int d = 0; d < HS; d++) o[d] *= il;
    }
}

/* out [B*T, C]; qkv [B*T, 3C]; lens int32 [B] */
void cpu_bert_attention(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *lens, size_t lens_off, int B,
                        int T, int C, int NH) {
    attn_args a = {cpu_buf_ptr(out), cpu_buf_ptr(qkv), (const int32_t *)cpu_buf_ptr(lens) + lens_off, NULL, T, C, NH};
    cpu_parallel_for(ctx, (size_t)B * NH * T, 16, attn_items, &a);
}

/* out [R, C]; qkv [B*T, 3C]; lens int32 [B]; rows int32 [R] */
void cpu_bert_attention_rows(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *lens, size_t lens_off,
                             const ops_buf *rows, size_t rows_off, int R, int B, int T, int C, int NH) {
    (void)B;
    attn_args a = {cpu_buf_ptr(out), cpu_buf_ptr(qkv), (const int32_t *)cpu_buf_ptr(lens) + lens_off,
                   (const int32_t *)cpu_buf_ptr(rows) + rows_off, T, C, NH};
    cpu_parallel_for(ctx, (size_t)R * NH, 4, attn_items, &a);
}

static void gelu_items(void *arg, size_t begin, size_t end, int thread) {
    (void)thread;
    float *x = arg;
    for (size_t i = begin; i < end; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

/* x [n] in place */
void cpu_gelu_erf(ops_ctx *ctx, ops_buf *x, size_t n) { cpu_parallel_for(ctx, n, 16384, gelu_items, cpu_buf_ptr(x)); }
