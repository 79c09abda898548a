/* ops_cpu.c — the CPU backend: host-memory buffers, a thread pool, eager execution of the
 * kernels in cpu_*.c, per-op profiling. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu_backend.h"
#include "cpu_kernels.h"
#include "cpu_pool.h"
#include "ops_impl.h"

/* a packed matmul weight kept with its buffer (cpu_pack_cache) */
typedef struct pack_entry {
    size_t w_off, bytes;
    int IC, OC, NR;
    float *data;
    struct pack_entry *next;
} pack_entry;

typedef struct cpu_buf {
    size_t bytes; /* first: ops_buf_bytes reads it */
    void *data;
    struct cpu_ctx *ctx;
    int op_written; /* an op has written it: its packed copies could go stale, so none are kept */
    pack_entry *packs;
} cpu_buf;

enum { P_EMBED, P_LN, P_MATMUL, P_GELU, P_ATTN, P_ADD, P_COUNT };
static const char *const prof_names[P_COUNT] = {"embed", "layernorm", "matmul", "gelu", "attention", "add"};

typedef struct cpu_ctx {
    ops_ctx base;
    cpu_pool *pool;
    void **scratch; /* [threads] */
    size_t scratch_bytes;
    void *shared;
    size_t shared_bytes;
    float *ep_tmp; /* ops_matmul_add's product before the add */
    size_t ep_bytes;
    cpu_isa isa;
    int failed;     /* an op could not get scratch memory: ops_run reports it */
    size_t pack_bytes, pack_limit; /* packed weights kept, and the most that may be */
    int profile;
    struct {
        long calls;
        double ms, flops;
    } prof[P_COUNT];
} cpu_ctx;

static cpu_ctx *C_(ops_ctx *c) { return (cpu_ctx *)c; }

void *cpu_buf_ptr(const ops_buf *b) { return ((const cpu_buf *)b)->data; }

static void drop_packs(cpu_buf *b) {
    while (b->packs) {
        pack_entry *e = b->packs;
        b->packs = e->next;
        b->ctx->pack_bytes -= e->bytes;
        free(e->data);
        free(e);
    }
}

void cpu_buf_written(ops_buf *b_) {
    cpu_buf *b = (cpu_buf *)b_;
    b->op_written = 1;
    drop_packs(b);
}

float *cpu_pack_cache(ops_ctx *ctx, const ops_buf *w_, size_t w_off, int IC, int OC, int NR, size_t floats,
                      int *valid) {
    cpu_ctx *c = C_(ctx);
    cpu_buf *w = (cpu_buf *)w_;
    *valid = 0;
    if (w->op_written) return NULL;
    for (pack_entry *e = w->packs; e; e = e->next)
        if (e->w_off == w_off && e->IC == IC && e->OC == OC && e->NR == NR) {
            *valid = 1;
            return e->data;
        }
    size_t bytes = (floats * sizeof(float) + 63) & ~(size_t)63;
    if (bytes > c->pack_limit || c->pack_bytes > c->pack_limit - bytes) return NULL;
    pack_entry *e = calloc(1, sizeof *e);
    float *d = aligned_alloc(64, bytes);
    if (!e || !d) {
        free(e);
        free(d);
        return NULL;
    }
    *e = (pack_entry){w_off, bytes, IC, OC, NR, d, w->packs};
    w->packs = e;
    c->pack_bytes += bytes;
    return d;
}
int cpu_threads(const ops_ctx *ctx) { return cpu_pool_threads(((const cpu_ctx *)ctx)->pool); }
void cpu_parallel_for(ops_ctx *ctx, size_t n, size_t grain, cpu_task_fn fn, void *arg) {
    cpu_pool_run(C_(ctx)->pool, n, grain, fn, arg);
}

int cpu_scratch_reserve(ops_ctx *ctx, size_t bytes) {
    cpu_ctx *c = C_(ctx);
    if (bytes <= c->scratch_bytes) return 0;
    bytes = (bytes + 63) & ~(size_t)63;
    int n = cpu_threads(ctx);
    for (int i = 0; i < n; i++) {
        free(c->scratch[i]);
        c->scratch[i] = aligned_alloc(64, bytes);
        if (!c->scratch[i]) {
            for (int j = 0; j < n; j++) {
                free(c->scratch[j]);
                c->scratch[j] = NULL;
            }
            c->scratch_bytes = 0;
            return -1;
        }
    }
    c->scratch_bytes = bytes;
    return 0;
}
void *cpu_scratch(ops_ctx *ctx, int thread) { return C_(ctx)->scratch[thread]; }

void *cpu_shared_scratch(ops_ctx *ctx, size_t bytes) {
    cpu_ctx *c = C_(ctx);
    if (bytes > c->shared_bytes) {
        free(c->shared);
        c->shared_bytes = 0;
        bytes = (bytes + 63) & ~(size_t)63;
        if (!(c->shared = aligned_alloc(64, bytes))) return NULL;
        c->shared_bytes = bytes;
    }
    return c->shared;
}

cpu_isa cpu_isa_of(ops_ctx *ctx) { return C_(ctx)->isa; }
const cpu_vec_fns *cpu_vec_of(ops_ctx *ctx) {
    cpu_isa i = C_(ctx)->isa;
    return i == CPU_ISA_AVX512 ? &cpu_vec_avx512 : i == CPU_ISA_AVX2 ? &cpu_vec_avx2 : &cpu_vec_generic;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
#define PROF_BEGIN(c) double t0_ = (c)->profile ? now_ms() : 0
#define PROF_END(c, k, fl)                               \
    do {                                                 \
        if ((c)->profile) {                              \
            (c)->prof[k].calls++;                        \
            (c)->prof[k].ms += now_ms() - t0_;           \
            (c)->prof[k].flops += (fl);                  \
        }                                                \
    } while (0)

static void cpu_destroy(ops_ctx *ctx) {
    cpu_ctx *c = C_(ctx);
    if (c->pool) {
        for (int i = 0; i < cpu_threads(ctx); i++) free(c->scratch[i]);
        cpu_pool_destroy(c->pool);
    }
    free(c->scratch);
    free(c->shared);
    free(c->ep_tmp);
    free(c);
}

static ops_buf *cpu_alloc(ops_ctx *ctx, size_t bytes, n2g_err *err) {
    cpu_buf *b = calloc(1, sizeof *b);
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded < bytes) rounded = 0;
    void *d = rounded || !bytes ? aligned_alloc(64, rounded ? rounded : 64) : NULL;
    if (!b || !d) {
        free(b);
        free(d);
        n2g_fail(err, "cpu backend: out of memory allocating %zu bytes", bytes);
        return NULL;
    }
    memset(d, 0, rounded ? rounded : 64);
    b->bytes = bytes;
    b->data = d;
    b->ctx = C_(ctx);
    return (ops_buf *)b;
}

static void cpu_free(ops_ctx *ctx, ops_buf *b_) {
    (void)ctx;
    cpu_buf *b = (cpu_buf *)b_;
    drop_packs(b);
    free(b->data);
    free(b);
}

static size_t cpu_buf_bytes(const ops_buf *b) { return ((const cpu_buf *)b)->bytes; }

static int cpu_upload(ops_ctx *ctx, ops_buf *dst, size_t off, const void *src, size_t bytes, n2g_err *err) {
    (void)ctx;
    (void)err;
    drop_packs((cpu_buf *)dst);
    memcpy((char *)cpu_buf_ptr(dst) + off, src, bytes);
    return 0;
}

static int cpu_download(ops_ctx *ctx, const ops_buf *src, size_t off, void *dst, size_t bytes, n2g_err *err) {
    (void)ctx;
    (void)err;
    memcpy(dst, (const char *)cpu_buf_ptr(src) + off, bytes);
    return 0;
}

static int cpu_run(ops_ctx *ctx, n2g_err *err) {
    cpu_ctx *c = C_(ctx);
    if (c->failed) {
        c->failed = 0;
        return n2g_fail(err, "cpu backend: out of memory for an op's scratch space");
    }
    return 0;
}

static float *F(const ops_buf *b, size_t off) { return (float *)cpu_buf_ptr(b) + off; }

static void cpu_op_embed(ops_ctx *ctx, ops_buf *out, const ops_buf *tok, size_t tok_off, const ops_buf *wte,
                         const ops_buf *wpe, int B, int T, int C) {
    cpu_ctx *c = C_(ctx);
    PROF_BEGIN(c);
    size_t V = cpu_buf_bytes(wte) / sizeof(float) / (size_t)C;
    cpu_embed(ctx, F(out, 0), (const int32_t *)cpu_buf_ptr(tok) + tok_off, F(wte, 0), V, F(wpe, 0), B, T, C);
    cpu_buf_written(out);
    PROF_END(c, P_EMBED, 0);
}

static void cpu_op_layernorm(ops_ctx *ctx, ops_buf *out, const ops_buf *x, const ops_buf *g, size_t g_off,
                             const ops_buf *b, size_t b_off, int N, int C, float eps) {
    cpu_ctx *c = C_(ctx);
    PROF_BEGIN(c);
    cpu_layernorm(ctx, F(out, 0), F(x, 0), F(g, g_off), F(b, b_off), N, C, eps);
    cpu_buf_written(out);
    PROF_END(c, P_LN, 0);
}

static void cpu_op_matmul(ops_ctx *ctx, ops_buf *out, const ops_buf *x, const ops_buf *w, size_t w_off,
                          const ops_buf *bias, size_t bias_off, int N, int IC, int OC) {
    cpu_ctx *c = C_(ctx);
    PROF_BEGIN(c);
    if (cpu_matmul(ctx, F(out, 0), F(x, 0), F(w, w_off), bias ? F(bias, bias_off) : NULL, N, IC, OC, w, w_off))
        c->failed = 1;
    cpu_buf_written(out);
    PROF_END(c, P_MATMUL, 2.0 * N * IC * OC);
}

/* The fused epilogues as their two ops (the same results bit for bit): gelu in place on out, or
 * the product into a temporary added to out. */
static void cpu_op_matmul_ep(ops_ctx *ctx, ops_buf *out, const ops_buf *x, const ops_buf *w, size_t w_off,
                             const ops_buf *bias, size_t bias_off, int N, int IC, int OC, int epi) {
    cpu_ctx *c = C_(ctx);
    size_t n = (size_t)N * OC;
    float *dst = F(out, 0);
    if (epi == 2) {
        if (n * sizeof(float) > c->ep_bytes) {
            free(c->ep_tmp);
            c->ep_bytes = 0;
            if (!(c->ep_tmp = aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63))) {
                c->failed = 1;
                return;
            }
            c->ep_bytes = (n * sizeof(float) + 63) & ~(size_t)63;
        }
        dst = c->ep_tmp;
    }
    {
        PROF_BEGIN(c);
        if (cpu_matmul(ctx, dst, F(x, 0), F(w, w_off), bias ? F(bias, bias_off) : NULL, N, IC, OC, w, w_off))
            c->failed = 1;
        PROF_END(c, P_MATMUL, 2.0 * N * IC * OC);
    }
    PROF_BEGIN(c);
    if (epi == 1) cpu_gelu(ctx, dst, n);
    else cpu_add(ctx, F(out, 0), c->ep_tmp, n);
    cpu_buf_written(out);
    PROF_END(c, epi == 1 ? P_GELU : P_ADD, 0);
}

static void cpu_op_gelu(ops_ctx *ctx, ops_buf *x, size_t n) {
    cpu_ctx *c = C_(ctx);
    PROF_BEGIN(c);
    cpu_gelu(ctx, F(x, 0), n);
    cpu_buf_written(x);
    PROF_END(c, P_GELU, 0);
}

static void cpu_op_attention(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, int B, int T, int C, int NH) {
    cpu_ctx *c = C_(ctx);
    PROF_BEGIN(c);
    if (cpu_attention(ctx, F(out, 0), F(qkv, 0), B, T, C, NH)) c->failed = 1;
    cpu_buf_written(out);
    /* q.k and p.v over the causal triangle */
    PROF_END(c, P_ATTN, 2.0 * 2.0 * B * C * ((double)T * (T + 1) / 2));
}

static void cpu_op_embed_pos(ops_ctx *ctx, ops_buf *out, const ops_buf *tok, size_t tok_off, const ops_buf *pos,
                             size_t pos_off, const ops_buf *wte, const ops_buf *wpe, int N, int C) {
    cpu_ctx *c = C_(ctx);
    PROF_BEGIN(c);
    size_t V = cpu_buf_bytes(wte) / sizeof(float) / (size_t)C;
    cpu_embed_pos(ctx, F(out, 0), (const int32_t *)cpu_buf_ptr(tok) + tok_off, (const int32_t *)cpu_buf_ptr(pos) + pos_off,
                  F(wte, 0), V, F(wpe, 0), N, C);
    cpu_buf_written(out);
    PROF_END(c, P_EMBED, 0);
}

static void cpu_op_attention_tree(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *span, size_t span_off,
                                  int B, int T, int C, int NH) {
    cpu_ctx *c = C_(ctx);
    PROF_BEGIN(c);
    const int32_t *sp = (const int32_t *)cpu_buf_ptr(span) + span_off;
    if (cpu_attention_tree(ctx, F(out, 0), F(qkv, 0), sp, B, T, C, NH)) c->failed = 1;
    cpu_buf_written(out);
    double keys = 0; /* q.k and p.v over each row's keys */
    for (size_t n = 0; c->profile && n < (size_t)B * (size_t)T; n++)
        keys += sp[3 * n + 1] + (double)(n % (size_t)T) - sp[3 * n + 2] + 1;
    PROF_END(c, P_ATTN, 2.0 * 2.0 * C * keys);
}

static void cpu_op_add(ops_ctx *ctx, ops_buf *x, const ops_buf *y, size_t n) {
    cpu_ctx *c = C_(ctx);
    PROF_BEGIN(c);
    cpu_add(ctx, F(x, 0), F(y, 0), n);
    cpu_buf_written(x);
    PROF_END(c, P_ADD, 0);
}

static void cpu_profile_print(ops_ctx *ctx, FILE *f) {
    cpu_ctx *c = C_(ctx);
    if (!c->profile) {
        fprintf(f, "profile: not enabled (ops_options.profile)\n");
        return;
    }
    double total = 0;
    fprintf(f, "%-10s %7s %10s %9s\n", "op", "calls", "ms", "GFLOP/s");
    for (int k = 0; k < P_COUNT; k++) {
        if (!c->prof[k].calls) continue;
        total += c->prof[k].ms;
        fprintf(f, "%-10s %7ld %10.3f", prof_names[k], c->prof[k].calls, c->prof[k].ms);
        if (c->prof[k].flops > 0 && c->prof[k].ms > 0)
            fprintf(f, " %9.1f\n", c->prof[k].flops / (c->prof[k].ms * 1e6));
        else
            fprintf(f, " %9s\n", "-");
    }
    fprintf(f, "%-10s %7s %10.3f\n", "total", "", total);
}

static void cpu_profile_reset(ops_ctx *ctx) { memset(C_(ctx)->prof, 0, sizeof C_(ctx)->prof); }

static const ops_vtable cpu_vt = {
    .destroy = cpu_destroy,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .buf_bytes = cpu_buf_bytes,
    .upload = cpu_upload,
    .download = cpu_download,
    .run = cpu_run,
    .embed = cpu_op_embed,
    .layernorm = cpu_op_layernorm,
    .matmul = cpu_op_matmul,
    .matmul_ep = cpu_op_matmul_ep,
    .gelu = cpu_op_gelu,
    .attention = cpu_op_attention,
    .add = cpu_op_add,
    .embed_pos = cpu_op_embed_pos,
    .attention_tree = cpu_op_attention_tree,
    .profile_print = cpu_profile_print,
    .profile_reset = cpu_profile_reset,
};

int ops_cpu_create(const ops_options *opt, ops_ctx **out, n2g_err *err) {
    *out = NULL;
    int threads = opt->threads > 0 ? opt->threads : cpu_pool_online_cores();
    cpu_isa isa = cpu_isa_best();
    const char *force = getenv("N2G_CPU_ISA");
    /* the Vulkan backend's variant families mean nothing here; anything else names a CPU ISA */
    if (opt->variant && strcmp(opt->variant, "cpu-driver") && strcmp(opt->variant, "gpu")) force = opt->variant;
    if (force && *force && cpu_isa_parse(force, &isa, err)) return -1;
    cpu_ctx *c = calloc(1, sizeof *c);
    if (!c) return n2g_fail(err, "cpu backend: out of memory");
    c->base.kind = OPS_CPU;
    c->base.vt = &cpu_vt;
    c->profile = opt->profile;
    c->isa = isa;
    const char *lim = getenv("N2G_CPU_PACK_CACHE_MB");
    c->pack_limit = (size_t)(lim && *lim ? strtoull(lim, NULL, 10) : 4096) << 20;
    c->pool = cpu_pool_create(threads);
    c->scratch = calloc((size_t)threads, sizeof *c->scratch);
    if (!c->pool || !c->scratch) {
        cpu_destroy(&c->base);
        return n2g_fail(err, "cpu backend: cannot start %d threads", threads);
    }
    snprintf(c->base.name, sizeof c->base.name, "cpu (%d thread%s, %s)", threads, threads == 1 ? "" : "s",
             cpu_isa_name(isa));
    *out = &c->base;
    return 0;
}
