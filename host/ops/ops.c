/* ops.c — the device policy (ops_open) and the dispatch of the public op interface to the
 * chosen backend. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ops_impl.h"
#include "vk/vk_rt.h"

int ops_create(const ops_options *opt, ops_ctx **out, n2g_err *err) {
    ops_options def = {0};
    if (!opt) opt = &def;
    *out = NULL;
    if (opt->kind == OPS_CPU) return ops_cpu_create(opt, out, err);
    return ops_vk_create(opt, out, err);
}

/* The CPU backend; the cores shared among the processes of this machine. */
static int open_cpu(const ops_options *opt, ops_ctx **out, n2g_err *err) {
    ops_options c = *opt;
    c.kind = OPS_CPU;
    if (!c.threads && c.local_size > 1) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        c.threads = cores / c.local_size > 1 ? (int)(cores / c.local_size) : 1;
    }
    return ops_cpu_create(&c, out, err);
}

/* An explicit index against the listing: the usage error for one that does not exist. */
static int index_exists(int index, int listed, int n, const n2g_err *why, n2g_err *err) {
    if (!listed) return n2g_failc(err, N2G_E_USAGE, "--device %d: no such Vulkan device (none found: %s)", index, why->msg);
    if (index >= n)
        return n2g_failc(err, N2G_E_USAGE, "--device %d: no such Vulkan device (%d found, indices 0..%d; see 'n2g devices')",
                         index, n, n - 1);
    return 0;
}

int ops_check_device(const ops_options *opt, n2g_err *err) {
    if (opt->kind == OPS_CPU || opt->device < 0) return 0;
    vk_device_info *d = NULL;
    int n = 0;
    n2g_err why = {0};
    int listed = vk_list_devices(&d, &n, &why) == 0;
    free(d);
    return index_exists(opt->device, listed, n, &why, err);
}

int ops_open(const ops_options *opt, ops_ctx **out, n2g_err *err) {
    *out = NULL;
    if (opt->kind == OPS_CPU) return open_cpu(opt, out, err);
    vk_device_info *d = NULL;
    int n = 0;
    n2g_err why = {0};
    int listed = vk_list_devices(&d, &n, &why) == 0;
    int index = opt->device;
    if (index < 0 && listed) {
        index = vk_default_device_spread(d, n, opt->local_rank, opt->local_size);
        if (index < 0)
            snprintf(why.msg, sizeof why.msg, "%d found, none with Vulkan 1.2 and VK_KHR_push_descriptor", n);
    }
    free(d);
    if (opt->device >= 0 && index_exists(opt->device, listed, n, &why, err)) return -1;
    if (index < 0) { /* the default, and no Vulkan device n2g can use: the CPU backend */
        if (!opt->quiet) fprintf(stderr, "n2g: no Vulkan device (%s); using the CPU backend\n", why.msg);
        ops_options c = *opt;
        c.variant = NULL; /* a Vulkan kernel family; the CPU backend's ISA is its own (N2G_CPU_ISA) */
        return open_cpu(&c, out, err);
    }
    ops_options v = *opt;
    v.device = index;
    return ops_vk_create(&v, out, err);
}

void ops_destroy(ops_ctx *ctx) {
    if (ctx) ctx->vt->destroy(ctx);
}
ops_kind ops_kind_of(const ops_ctx *ctx) { return ctx->kind; }
const char *ops_device_name(const ops_ctx *ctx) { return ctx->name; }

ops_buf *ops_alloc(ops_ctx *ctx, size_t bytes, n2g_err *err) { return ctx->vt->alloc(ctx, bytes, err); }
void ops_free(ops_ctx *ctx, ops_buf *b) {
    if (b) ctx->vt->free(ctx, b);
}
size_t ops_buf_bytes(const ops_buf *b) {
    /* every backend's buffer struct starts with its size in bytes */
    return *(const size_t *)b;
}
int ops_upload(ops_ctx *ctx, ops_buf *dst, size_t off, const void *src, size_t bytes, n2g_err *err) {
    if (off > ops_buf_bytes(dst) || bytes > ops_buf_bytes(dst) - off)
        return n2g_fail(err, "ops_upload: %zu bytes at offset %zu exceed the buffer (%zu bytes)", bytes, off,
                        ops_buf_bytes(dst));
    return ctx->vt->upload(ctx, dst, off, src, bytes, err);
}
int ops_download(ops_ctx *ctx, const ops_buf *src, size_t off, void *dst, size_t bytes, n2g_err *err) {
    if (off > ops_buf_bytes(src) || bytes > ops_buf_bytes(src) - off)
        return n2g_fail(err, "ops_download: %zu bytes at offset %zu exceed the buffer (%zu bytes)", bytes, off,
                        ops_buf_bytes(src));
    return ctx->vt->download(ctx, src, off, dst, bytes, err);
}
int ops_run(ops_ctx *ctx, n2g_err *err) { return ctx->vt->run(ctx, err); }

void ops_embed(ops_ctx *ctx, ops_buf *out, const ops_buf *tok, size_t tok_off, const ops_buf *wte, const ops_buf *wpe,
               int B, int T, int C) {
    ctx->vt->embed(ctx, out, tok, tok_off, wte, wpe, B, T, C);
}
void ops_layernorm(ops_ctx *ctx, ops_buf *out, const ops_buf *x, const ops_buf *g, size_t g_off, const ops_buf *b,
                   size_t b_off, int N, int C, float eps) {
    ctx->vt->layernorm(ctx, out, x, g, g_off, b, b_off, N, C, eps);
}
void ops_matmul(ops_ctx *ctx, ops_buf *out, const ops_buf *x, const ops_buf *w, size_t w_off, const ops_buf *bias,
                size_t bias_off, int N, int IC, int OC) {
    ctx->vt->matmul(ctx, out, x, w, w_off, bias, bias_off, N, IC, OC);
}
void ops_matmul_gelu(ops_ctx *ctx, ops_buf *out, const ops_buf *x, const ops_buf *w, size_t w_off, const ops_buf *bias,
                     size_t bias_off, int N, int IC, int OC) {
    ctx->vt->matmul_ep(ctx, out, x, w, w_off, bias, bias_off, N, IC, OC, 1);
}
void ops_matmul_add(ops_ctx *ctx, ops_buf *out, const ops_buf *x, const ops_buf *w, size_t w_off, const ops_buf *bias,
                    size_t bias_off, int N, int IC, int OC) {
    ctx->vt->matmul_ep(ctx, out, x, w, w_off, bias, bias_off, N, IC, OC, 2);
}
void ops_gelu(ops_ctx *ctx, ops_buf *x, size_t n) { ctx->vt->gelu(ctx, x, n); }
void ops_attention(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, int B, int T, int C, int NH) {
    ctx->vt->attention(ctx, out, qkv, B, T, C, NH);
}
void ops_add(ops_ctx *ctx, ops_buf *x, const ops_buf *y, size_t count) { ctx->vt->add(ctx, x, y, count); }
void ops_embed_pos(ops_ctx *ctx, ops_buf *out, const ops_buf *tok, size_t tok_off, const ops_buf *pos, size_t pos_off,
                   const ops_buf *wte, const ops_buf *wpe, int N, int C) {
    ctx->vt->embed_pos(ctx, out, tok, tok_off, pos, pos_off, wte, wpe, N, C);
}
void ops_attention_tree(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *span, size_t span_off, int B,
                        int T, int C, int NH) {
    ctx->vt->attention_tree(ctx, out, qkv, span, span_off, B, T, C, NH);
}
void ops_profile_print(ops_ctx *ctx, FILE *f) {
    if (ctx->vt->profile_print) ctx->vt->profile_print(ctx, f);
}
void ops_profile_reset(ops_ctx *ctx) {
    if (ctx->vt->profile_reset) ctx->vt->profile_reset(ctx);
}
