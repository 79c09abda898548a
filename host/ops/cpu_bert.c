/* cpu_bert.c — the encoder ops on the CPU backend (see ops_bert.h). */
#include <math.h>
#include <stdint.h>

#include "cpu_backend.h"
#include "ops_bert.h"

typedef struct {
    float *out;
    const float *qkv;
    const int32_t *lens;
    int T, C, NH;
} attn_args;

/* item = (b, h, t): one query row of one head */
static void attn_items(void *arg, size_t begin, size_t end, int thread) {
    attn_args *a = arg;
    (void)thread;
    int T = a->T, C = a->C, NH = a->NH, HS = C / NH;
    float scale = 1.0f / sqrtf((float)HS);
    for (size_t it = begin; it < end; it++) {
        int t = (int)(it % (size_t)T), h = (int)(it / (size_t)T % (size_t)NH), b = (int)(it / ((size_t)T * NH));
        int len = a->lens[b];
        const float *q = a->qkv + ((size_t)b * T + t) * 3 * C + (size_t)h * HS;
        float *o = a->out + ((size_t)b * T + t) * C + (size_t)h * HS;
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
    attn_args a = {cpu_buf_ptr(out), cpu_buf_ptr(qkv), (const int32_t *)cpu_buf_ptr(lens) + lens_off, T, C, NH};
    cpu_parallel_for(ctx, (size_t)B * NH * T, 16, attn_items, &a);
}

static void gelu_items(void *arg, size_t begin, size_t end, int thread) {
    (void)thread;
    float *x = arg;
    for (size_t i = begin; i < end; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

/* x [n] in place */
void cpu_gelu_erf(ops_ctx *ctx, ops_buf *x, size_t n) { cpu_parallel_for(ctx, n, 16384, gelu_items, cpu_buf_ptr(x)); }
