/* ops_vk.c — the Vulkan backend of the GPT-2 ops: kernel variant choice and the op recorders.
 * The machinery (buffers, pipelines, dispatch, barriers, profiling) is in vk_backend.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops_impl.h"
#include "ops/vk_backend_impl.h"
#include "ops/vk_gpt2.h"

typedef struct vk_gpt2_ctx {
    vkb vk; /* must be first */
    vk_gpt2_tune tune;
    /* cpu-driver matmul_add: the product before the add (that family's matmul kernel has no
       epilogues: each pipeline variant costs lavapipe ~20 s of compiling) */
    ops_buf *ep_tmp;
} vk_gpt2_ctx;

static vk_gpt2_ctx *G(ops_ctx *c) { return (vk_gpt2_ctx *)c; }
static vkb *V(ops_ctx *c) { return (vkb *)c; }
static uint32_t cdiv(size_t a, size_t b) { return (uint32_t)((a + b - 1) / b); }
static size_t zmin(size_t a, size_t b) { return a < b ? a : b; }

void vk_gpt2_default_tune(vkb_variant v, vk_gpt2_tune *t) {
    (void)v;
    memset(t, 0, sizeof *t);
    t->mm_lx = 8;
    t->mm_rows = 32;
    t->mm_cols4 = 8; /* 32 rows x 32 columns: measured best on lavapipe (bench_kernels --sweep) */
    t->attn_lx = 8; /* measured on lavapipe: bench_kernels --sweep */
    t->attn_qr = 8;
    /* gpu family: tiles of the classic register-blocked SGEMM designs (8 x 8 outputs per invocation in
       the large tile, 0.25 shared loads per FMA); 256 invocations per workgroup */
    t->gpu_v = 2;
    t->mm_tile[0] = (vk_mm_tile){128, 128, 8, 8, 8};
    t->mm_tile[1] = (vk_mm_tile){128, 64, 8, 8, 4};
    t->mm_tile[2] = (vk_mm_tile){64, 64, 16, 4, 4};
    t->mm_groups = 256;
    /* flash attention: 64 invocations (8 row groups of 8), 8 x 4 scores and 8 x 8 outputs per
       invocation at BR = 64, BC = 32, HS = 64 (45 KiB of shared memory) */
    t->fa_nrg = 8;
    t->fa_tc = 8;
    t->fa_br[0] = 64, t->fa_br[1] = 32, t->fa_br[2] = 16;
    t->fa_bc = 32;
    t->fa_groups = 256;
    t->fa_shuffle = 1;
}

/* The per-device table: no GPU has tuned it yet (bench_kernels --sweep on one will); the entries
 * follow the devices' limits. NVIDIA: 48 KiB of shared memory per workgroup, 32-wide subgroups,
 * ~100+ SMs on data-centre parts; AMD: 64 KiB, 64-wide; Intel and other integrated GPUs: fewer
 * cores (smaller tiles, fewer workgroups wanted); CPU drivers forced to the gpu family (tests):
 * small workgroups. Shared-memory fit is checked per dispatch anyway. */
static void device_tune(const vkb *vk, vk_gpt2_tune *t) {
    vk_gpt2_default_tune(vk->variant, t);
    uint32_t vendor = vk->rt.info.vendor_id;
    VkPhysicalDeviceType type = vk->rt.info.type;
    if (type == VK_PHYSICAL_DEVICE_TYPE_CPU) {
        t->mm_tile[0] = (vk_mm_tile){64, 64, 8, 8, 8};
        t->mm_tile[1] = (vk_mm_tile){32, 32, 8, 4, 4};
        t->mm_tile[2] = (vk_mm_tile){16, 16, 8, 4, 4};
        t->mm_groups = 16;
        t->fa_br[0] = 32, t->fa_br[1] = 16, t->fa_br[2] = 8;
        t->fa_groups = 16;
    } else if (vendor == 0x1002) { /* AMD */
        t->fa_bc = 64;
    } else if (vendor == 0x8086 || type == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU) {
        t->mm_tile[0] = (vk_mm_tile){128, 64, 8, 8, 4};
        t->mm_tile[1] = (vk_mm_tile){64, 64, 16, 4, 4};
        t->mm_tile[2] = (vk_mm_tile){32, 32, 16, 4, 4};
        t->mm_groups = 64;
        t->fa_groups = 64;
    }
}

static int pow2(int x) { return x > 0 && (x & (x - 1)) == 0; }

int vk_gpt2_set_tune(ops_ctx *ctx, const vk_gpt2_tune *t) {
    if (!vkb_from_ops(ctx)) return -1;
    if (t->mm_lx < 1 || t->mm_lx > 256 || t->mm_rows < 1 || t->mm_rows > 64 || t->mm_cols4 < 1 || t->mm_cols4 > 16 ||
        t->attn_lx < 1 || t->attn_lx > 256 || t->attn_qr < 1 || t->attn_qr > 16)
        return -1;
    if (t->gpu_v < 1 || t->gpu_v > 2 || t->mm_groups < 1 || t->fa_groups < 1) return -1;
    for (int i = 0; i < 3; i++) {
        const vk_mm_tile *m = &t->mm_tile[i];
        if (m->tm < 4 || m->tn < 4 || m->bk < 4 || m->tm % 4 || m->tn % 4 || m->bk % 4 || m->bk > 64 ||
            m->bm < m->tm || m->bn < m->tn || m->bm % m->tm || m->bn % m->tn || m->tm > 16 || m->tn > 16 ||
            (m->bm / m->tm) * (m->bn / m->tn) > 1024)
            return -1;
    }
    if (!pow2(t->fa_tc) || t->fa_tc > 32 || t->fa_nrg < 1 || t->fa_nrg * t->fa_tc > 1024 || t->fa_bc < t->fa_tc ||
        t->fa_bc % t->fa_tc || t->fa_bc > 256)
        return -1;
    for (int i = 0; i < 3; i++)
        if (t->fa_br[i] < t->fa_nrg || t->fa_br[i] % t->fa_nrg || t->fa_br[i] / t->fa_nrg > 16) return -1;
    G(ctx)->tune = *t;
    return 0;
}

int vk_gpt2_get_tune(ops_ctx *ctx, vk_gpt2_tune *t) {
    if (!vkb_from_ops(ctx)) return -1;
    *t = G(ctx)->tune;
    return 0;
}

/* ---- ops ---- */

/* out [N, C] = wte [V, C] rows tok [N] (int32, at tok_off) + wpe [n_pos, C] rows: row n % T
 * (row n of the whole batch), or pos [n] (int32 [N], at pos_off) when pos is given; wpe_n: the
 * wpe elements to bind. Split by rows; a table larger than one texel binding (GPT-2's fp32 wte
 * on a device with 2^27 texels per binding is not, a 4 GiB one is) is bound part by part, each
 * dispatch writing the rows whose token lies in its part. */
static void embed_rows(vkb *vk, ops_buf *out, const ops_buf *tok, size_t tok_off, const ops_buf *pos, size_t pos_off,
                       const ops_buf *wte, const ops_buf *wpe, size_t wpe_n, size_t N, int T, int C) {
    static const vkb_kind kinds[] = {VKB_STORAGE, VKB_STORAGE, VKB_TEXEL_R32F, VKB_TEXEL_R32F, VKB_STORAGE};
    uint32_t spec[] = {64};
    vkb_pipe *p = vkb_pipeline(vk, pos ? "embed_pos" : "embed", pos ? 5 : 4, kinds, 1, spec);
    size_t rmax = zmin(vk->lim.max_storage_elems / (size_t)C, 65535u * 16);
    size_t V = ops_buf_bytes(wte) / 4 / (size_t)C, vpart = vk->lim.max_texel_elems / (size_t)C;
    if (vpart == 0) {
        vkb_fail(vk, "embed: one row of %d floats exceeds the device's texel binding range", C);
        return;
    }
    for (size_t r0 = 0; r0 < N; r0 += rmax) {
        size_t rows = zmin(rmax, N - r0);
        for (size_t v0 = 0; v0 < V; v0 += vpart) {
            size_t nv = zmin(vpart, V - v0);
            vkb_binding b[] = {{out, r0 * C, rows * C, 1},
                               {tok, tok_off + r0, rows, 0},
                               {wte, v0 * C, nv * C, 0},
                               {wpe, 0, wpe_n, 0},
                               {pos, pos_off + r0, rows, 0}};
            struct { uint32_t N, T, C, row0, v0, nv; } pc = {(uint32_t)rows, (uint32_t)T, (uint32_t)C, (uint32_t)r0,
                                                             (uint32_t)v0, (uint32_t)nv};
            struct { uint32_t N, C, v0, nv; } pcp = {(uint32_t)rows, (uint32_t)C, (uint32_t)v0, (uint32_t)nv};
            vkb_dispatch(vk, p, b, pos ? (const void *)&pcp : (const void *)&pc, pos ? sizeof pcp : sizeof pc,
                         cdiv(C, 64), (uint32_t)zmin(rows, 65535), 1, "embed", 0.0);
        }
    }
}

/* out [B*T, C] = wte [V, C] rows tok [B*T] (int32, at tok_off) + wpe [T, C]; split by rows. */
static void vk_embed(ops_ctx *c, ops_buf *out, const ops_buf *tok, size_t tok_off, const ops_buf *wte,
                     const ops_buf *wpe, int B, int T, int C) {
    embed_rows(V(c), out, tok, tok_off, NULL, 0, wte, wpe, (size_t)T * C, (size_t)B * T, T, C);
}

/* out [N, C] = wte [V, C] rows tok [N] (int32, at tok_off) + wpe [n_pos, C] rows pos [N] (int32,
 * at pos_off); split by rows. */
static void vk_embed_pos(ops_ctx *c, ops_buf *out, const ops_buf *tok, size_t tok_off, const ops_buf *pos,
                         size_t pos_off, const ops_buf *wte, const ops_buf *wpe, int N, int C) {
    vkb *vk = V(c);
    embed_rows(vk, out, tok, tok_off, pos, pos_off, wte, wpe, zmin(ops_buf_bytes(wpe) / 4, vk->lim.max_texel_elems),
               (size_t)N, 1, C);
}

/* out [N, C] = layernorm(x [N, C]) * g [C] + b [C]; split by rows. */
static void vk_layernorm(ops_ctx *c, ops_buf *out, const ops_buf *x, const ops_buf *g, size_t g_off,
                         const ops_buf *bb, size_t b_off, int N, int C, float eps) {
    vkb *vk = V(c);
    vkb_pipe *p;
    int cpu = vk->variant == VKB_VARIANT_CPU;
    if (cpu) {
        static const vkb_kind kinds[] = {VKB_STORAGE, VKB_TEXEL_R32F, VKB_TEXEL_R32F, VKB_TEXEL_R32F};
        uint32_t spec[] = {64};
        p = vkb_pipeline(vk, "layernorm_cpu", 4, kinds, 1, spec);
    } else {
        static const vkb_kind kinds[] = {VKB_STORAGE, VKB_STORAGE, VKB_STORAGE, VKB_STORAGE};
        p = vkb_pipeline(vk, vk->lim.subgroup_arith ? "layernorm_gpu_sg" : "layernorm_gpu", 4, kinds, 0, NULL);
    }
    size_t rmax = zmin(zmin(vk->lim.max_storage_elems, vk->lim.max_texel_elems) / (size_t)C, 65535u * 64);
    for (size_t r0 = 0; r0 < (size_t)N; r0 += rmax) {
        size_t rows = zmin(rmax, (size_t)N - r0);
        vkb_binding b[] = {{out, r0 * C, rows * C, 1}, {x, r0 * C, rows * C, 0}, {g, g_off, (size_t)C, 0},
                           {bb, b_off, (size_t)C, 0}};
        struct { uint32_t N, C; float eps; } pc = {(uint32_t)rows, (uint32_t)C, eps};
        vkb_dispatch(vk, p, b, &pc, sizeof pc, cpu ? cdiv(rows, 64) : (uint32_t)zmin(rows, 65535), 1, 1, "layernorm",
                     8.0 * rows * C);
    }
}

static void vk_gelu(ops_ctx *c, ops_buf *x, size_t n);
static void vk_add(ops_ctx *c, ops_buf *x, const ops_buf *y, size_t n);

/* Shared memory (bytes) of the gpu matmul with tile m. */
static size_t mm_shared(const vk_mm_tile *m) {
    return 2 * (size_t)m->bk * ((size_t)m->bm / 4 + 1) * 16 + 2 * (size_t)m->bk * ((size_t)m->bn / 4) * 16;
}
static int mm_fits(const vkb *vk, const vk_mm_tile *m) {
    return mm_shared(m) <= vk->lim.max_shared &&
           (uint32_t)((m->bm / m->tm) * (m->bn / m->tn)) <= vk->lim.max_wg_invocations;
}

/* The gpu matmul's tile class for N x OC outputs: the largest whose workgroups reach mm_groups. */
static int mm_class(const vkb *vk, const vk_gpt2_tune *t, size_t N, int OC) {
    int last = -1;
    for (int i = 0; i < 3; i++) {
        const vk_mm_tile *m = &t->mm_tile[i];
        if (!mm_fits(vk, m)) continue;
        last = i;
        if ((size_t)cdiv(N, m->bm) * cdiv(OC, m->bn) >= (size_t)t->mm_groups) return i;
    }
    return last;
}

int vk_gpt2_mm_class(ops_ctx *ctx, size_t N, int OC) {
    vkb *vk = vkb_from_ops(ctx);
    return vk ? mm_class(vk, &G(ctx)->tune, N, OC) : -1;
}

/* out [N, OC] = EPI(x [N, IC] @ w [IC, OC] (at w_off) + bias [OC] (optional)), EPI: MM_PLAIN, MM_GELU
 * (gelu_new), MM_ADD (out += ...); split by rows. */
enum { MM_PLAIN = 0, MM_GELU = 1, MM_ADD = 2 };
static void matmul_ep(ops_ctx *c, ops_buf *out, const ops_buf *x, const ops_buf *w, size_t w_off, const ops_buf *bias,
                      size_t bias_off, int N, int IC, int OC, int epi) {
    vkb *vk = V(c);
    const vk_gpt2_tune *t = &G(c)->tune;
    int cpu = vk->variant == VKB_VARIANT_CPU;
    int aligned = IC % 4 == 0 && OC % 4 == 0 && w_off % 4 == 0;
    vkb_pipe *p;
    size_t rmax, rows_per_group, cols_per_group;
    int cls = cpu || t->gpu_v == 1 ? -1 : mm_class(vk, t, (size_t)N, OC);
    const vk_mm_tile *m = cls >= 0 ? &t->mm_tile[cls] : NULL;
    const char *prof = epi == MM_GELU ? "matmul+gelu" : epi == MM_ADD ? "matmul+add" : "matmul";
    if (cpu && epi != MM_PLAIN) { /* the cpu-driver family: the two passes */
        if (epi == MM_GELU) {
            matmul_ep(c, out, x, w, w_off, bias, bias_off, N, IC, OC, MM_PLAIN);
            vk_gelu(c, out, (size_t)N * OC);
            return;
        }
        vk_gpt2_ctx *g = G(c);
        size_t bytes = (size_t)N * OC * 4;
        if (!g->ep_tmp || ops_buf_bytes(g->ep_tmp) < bytes) {
            n2g_err e = {0};
            if (g->ep_tmp) vkb_free(vk, g->ep_tmp); /* runs what is recorded (on it) first */
            if (!(g->ep_tmp = vkb_alloc(vk, bytes, &e))) {
                vkb_fail(vk, "matmul_add: %s", e.msg);
                return;
            }
        }
        matmul_ep(c, g->ep_tmp, x, w, w_off, bias, bias_off, N, IC, OC, MM_PLAIN);
        vk_add(c, out, g->ep_tmp, (size_t)N * OC);
        return;
    }
    if (cpu) {
        vkb_kind kinds[] = {aligned ? VKB_IMAGE_RGBA32F : VKB_STORAGE, aligned ? VKB_TEXEL_RGBA32F : VKB_TEXEL_R32F,
                            aligned ? VKB_TEXEL_RGBA32F : VKB_TEXEL_R32F, VKB_TEXEL_R32F};
        /* a register block taller than N would compute clamped duplicate rows: shrink it */
        uint32_t rows = (uint32_t)t->mm_rows;
        if ((size_t)N < rows) {
            uint32_t r2 = 1;
            while (r2 < (uint32_t)N) r2 *= 2;
            rows = r2 < rows ? r2 : rows;
        }
        uint32_t spec[] = {(uint32_t)t->mm_lx, rows, (uint32_t)t->mm_cols4};
        p = vkb_pipeline(vk, aligned ? "matmul_cpu_vec4" : "matmul_cpu", 4, kinds, 3, spec);
        rows_per_group = rows;
        cols_per_group = 4 * (size_t)t->mm_cols4 * t->mm_lx;
        size_t xt = aligned ? vk->lim.max_texel_elems * 4 : vk->lim.max_texel_elems;
        rmax = zmin((aligned ? xt : vk->lim.max_storage_elems) / (size_t)OC, xt / (size_t)IC);
    } else if (m) {
        static const vkb_kind kinds[] = {VKB_STORAGE, VKB_STORAGE, VKB_STORAGE, VKB_STORAGE};
        uint32_t spec[] = {(uint32_t)((m->bm / m->tm) * (m->bn / m->tn)), (uint32_t)m->bm, (uint32_t)m->bn,
                           (uint32_t)m->bk, (uint32_t)m->tm, (uint32_t)m->tn, (uint32_t)epi};
        p = vkb_pipeline(vk, aligned ? "matmul_gpu_vec4" : "matmul_gpu", 4, kinds, 7, spec);
        rows_per_group = (size_t)m->bm;
        cols_per_group = (size_t)m->bn;
        rmax = zmin(vk->lim.max_storage_elems / (size_t)OC, vk->lim.max_storage_elems / (size_t)IC);
    } else { /* v1 (bench comparison) */
        static const vkb_kind kinds[] = {VKB_STORAGE, VKB_STORAGE, VKB_STORAGE, VKB_STORAGE};
        uint32_t spec[] = {(uint32_t)epi};
        p = vkb_pipeline(vk, "matmul_gpu_v1", 4, kinds, 1, spec);
        rows_per_group = cols_per_group = 64;
        rmax = zmin(vk->lim.max_storage_elems / (size_t)OC, vk->lim.max_storage_elems / (size_t)IC);
    }
    rmax = zmin(rmax, (size_t)vk->lim.max_groups[1] * rows_per_group);
    if (rmax > rows_per_group) rmax = rmax / rows_per_group * rows_per_group;
    for (size_t r0 = 0; r0 < (size_t)N; r0 += rmax) {
        size_t rows = zmin(rmax, (size_t)N - r0);
        vkb_binding b[] = {{out, r0 * OC, rows * OC, 1},
                           {x, r0 * IC, rows * IC, 0},
                           {w, w_off, (size_t)IC * OC, 0},
                           {bias ? bias : vk->dummy, bias ? bias_off : 0, bias ? (size_t)OC : 1, 0}};
        struct { uint32_t N, IC, OC, has_bias; } pc = {(uint32_t)rows, (uint32_t)IC, (uint32_t)OC, bias != NULL};
        uint32_t gx = cpu ? cdiv(cdiv(OC, 4), cols_per_group / 4) : cdiv(OC, cols_per_group);
        vkb_dispatch(vk, p, b, &pc, sizeof pc, gx, cdiv(rows, rows_per_group), 1, prof, 2.0 * rows * IC * OC);
    }
}

/* out [N, OC] = x [N, IC] @ w [IC, OC] (at w_off) + bias [OC] (optional) */
static void vk_matmul(ops_ctx *c, ops_buf *out, const ops_buf *x, const ops_buf *w, size_t w_off,
                      const ops_buf *bias, size_t bias_off, int N, int IC, int OC) {
    matmul_ep(c, out, x, w, w_off, bias, bias_off, N, IC, OC, MM_PLAIN);
}

/* out [N, OC] = gelu_new(x @ w + bias) (epi 1), or out [N, OC] += x @ w + bias (epi 2) */
static void vk_matmul_ep(ops_ctx *c, ops_buf *out, const ops_buf *x, const ops_buf *w, size_t w_off,
                         const ops_buf *bias, size_t bias_off, int N, int IC, int OC, int epi) {
    matmul_ep(c, out, x, w, w_off, bias, bias_off, N, IC, OC, epi == 1 ? MM_GELU : MM_ADD);
}

/* x[n] (op)= y[n]: RGBA32F image path when n and the offsets allow, storage path otherwise;
 * split into dispatches that each fit one binding. */
static void elementwise(vkb *vk, const char *shader, const char *prof, double flops_per, ops_buf *x, const ops_buf *y,
                        size_t n) {
    int nb = y ? 2 : 1;
    uint32_t spec[] = {256};
    int vec4 = n % 4 == 0;
    vkb_pipe *p;
    char name[32];
    size_t cmax;
    if (vec4) {
        static const vkb_kind kinds[] = {VKB_IMAGE_RGBA32F, VKB_TEXEL_RGBA32F};
        snprintf(name, sizeof name, "%s_vec4", shader);
        p = vkb_pipeline(vk, name, nb, kinds, 1, spec);
        cmax = vk->lim.max_texel_elems * 4;
    } else {
        static const vkb_kind kinds[] = {VKB_STORAGE, VKB_STORAGE};
        p = vkb_pipeline(vk, shader, nb, kinds, 1, spec);
        cmax = vk->lim.max_storage_elems;
    }
    for (size_t i0 = 0; i0 < n; i0 += cmax) {
        size_t cnt = zmin(cmax, n - i0);
        vkb_binding b[] = {{x, i0, cnt, 1}, {y, i0, cnt, 0}};
        uint32_t pc = (uint32_t)(vec4 ? cnt / 4 : cnt);
        vkb_dispatch(vk, p, b, &pc, sizeof pc, (uint32_t)zmin(cdiv(pc, 256), 4096), 1, 1, prof, flops_per * cnt);
    }
}

/* x [n] = gelu_new(x [n]) */
static void vk_gelu(ops_ctx *c, ops_buf *x, size_t n) { elementwise(V(c), "gelu", "gelu", 10.0, x, NULL, n); }
/* x [n] += y [n] */
static void vk_add(ops_ctx *c, ops_buf *x, const ops_buf *y, size_t n) { elementwise(V(c), "add", "add", 1.0, x, y, n); }

/* Shared memory (bytes) of the flash attention kernel (attention_gpu.comp). */
static size_t fa_shared(int br, int bc, int hs, int tc, int shuffle, int tree) {
    size_t hs4 = ((size_t)hs + 3) / 4, qs = hs4 + 1;
    return 16 * ((size_t)br * qs + (size_t)bc * qs + (size_t)bc * hs4) + 4 * (size_t)br * (bc + 1) +
           (shuffle ? 0 : 4 * (size_t)br * tc) + (tree ? 12 : 0);
}

/* The flash attention's block sizes for B sequences of T rows, NH heads of HS: BR the largest
 * candidate whose workgroups reach fa_groups, BC fa_bc; halved (BC first, then BR) until the
 * kernel fits the device's shared memory. 0 when it cannot fit (or v1 is asked for). */
static int fa_pick(const vkb *vk, const vk_gpt2_tune *t, int B, int T, int NH, int HS, int tree, int *br, int *bc,
                   int *shuffle) {
    if (t->gpu_v != 2) return 0;
    *shuffle = t->fa_shuffle && vk->lim.subgroup_shuffle && t->fa_tc <= 8 && (uint32_t)t->fa_tc <= vk->lim.subgroup_size;
    if ((uint32_t)(t->fa_nrg * t->fa_tc) > vk->lim.max_wg_invocations) return 0;
    int r = t->fa_br[2];
    for (int i = 0; i < 3; i++)
        if ((size_t)cdiv(T, t->fa_br[i]) * NH * B >= (size_t)t->fa_groups) {
            r = t->fa_br[i];
            break;
        }
    int c = t->fa_bc;
    while (fa_shared(r, c, HS, t->fa_tc, *shuffle, tree) > vk->lim.max_shared) {
        if (c / 2 >= t->fa_tc && (c / 2) % t->fa_tc == 0) c /= 2;
        else if (r / 2 >= t->fa_nrg && (r / 2) % t->fa_nrg == 0) r /= 2;
        else return 0;
    }
    *br = r, *bc = c;
    return 1;
}

int vk_gpt2_fa_config(ops_ctx *ctx, int B, int T, int NH, int HS, int *br, int *bc, int *shuffle) {
    vkb *vk = vkb_from_ops(ctx);
    if (!vk || vk->variant != VKB_VARIANT_GPU) return -1;
    return fa_pick(vk, &G(ctx)->tune, B, T, NH, HS, 1, br, bc, shuffle) ? 0 : -1;
}

/* out [B*T, C] = attention over qkv [B*T, 3C], NH heads of C/NH: causal, or, given span (int32
 * [B*T, 3] at span_off), over each row's keys [r0, r0 + np) U [s0, t] (ops_attention_tree; the *_tree
 * shaders). gpu family: the flash kernel (v1: one workgroup per query row, HS <= 128); a head that
 * fits neither runs the cpu-driver kernel. Split by sequences. */
static void attention(ops_ctx *c, ops_buf *out, const ops_buf *qkv, const ops_buf *span, size_t span_off, int B,
                      int T, int C, int NH) {
    vkb *vk = V(c);
    const vk_gpt2_tune *tu = &G(c)->tune;
    int HS = C / NH, tree = span != NULL;
    int br = 0, bc = 0, shuffle = 0;
    int flash = vk->variant == VKB_VARIANT_GPU && fa_pick(vk, tu, B, T, NH, HS, tree, &br, &bc, &shuffle);
    int v1 = vk->variant == VKB_VARIANT_GPU && !flash && tu->gpu_v == 1 && HS <= 128;
    int gpu = flash || v1;
    int vec4 = !gpu && HS % 4 == 0 && C % 4 == 0;
    vkb_pipe *p;
    char name[40];
    const char *sfx = tree ? "_tree" : "";
    uint32_t lx = (uint32_t)tu->attn_lx, qr = (uint32_t)tu->attn_qr;
    while (qr > 1 && (size_t)lx * (qr / 2) >= (size_t)T) qr /= 2; /* short sequences: fewer idle rows */
    if (flash) {
        static const vkb_kind kinds[] = {VKB_STORAGE, VKB_STORAGE, VKB_STORAGE};
        uint32_t spec[] = {(uint32_t)(tu->fa_nrg * tu->fa_tc), (uint32_t)br, (uint32_t)bc, (uint32_t)HS,
                           (uint32_t)tu->fa_tc, (uint32_t)(br / tu->fa_nrg)};
        snprintf(name, sizeof name, "%s%s", shuffle ? "attention_gpu_sh" : "attention_gpu", sfx);
        p = vkb_pipeline(vk, name, 2 + tree, kinds, 6, spec);
    } else if (v1) {
        static const vkb_kind kinds[] = {VKB_STORAGE, VKB_STORAGE, VKB_STORAGE};
        snprintf(name, sizeof name, "%s%s", vk->lim.subgroup_arith ? "attention_gpu_v1_sg" : "attention_gpu_v1", sfx);
        p = vkb_pipeline(vk, name, 2 + tree, kinds, 0, NULL);
    } else if (vec4) {
        static const vkb_kind kinds[] = {VKB_IMAGE_RGBA32F, VKB_TEXEL_RGBA32F, VKB_STORAGE};
        uint32_t spec[] = {lx, (uint32_t)HS, qr};
        snprintf(name, sizeof name, "attention_cpu4%s", sfx);
        p = vkb_pipeline(vk, name, 2 + tree, kinds, 3, spec);
    } else {
        static const vkb_kind kinds[] = {VKB_STORAGE, VKB_TEXEL_R32F, VKB_STORAGE};
        uint32_t spec[] = {lx, (uint32_t)HS};
        snprintf(name, sizeof name, "attention_cpu%s", sfx);
        p = vkb_pipeline(vk, name, 2 + tree, kinds, 2, spec);
    }
    size_t seq = (size_t)T * C;
    size_t in_max = gpu ? vk->lim.max_storage_elems : vk->lim.max_texel_elems * (vec4 ? 4 : 1);
    size_t out_max = vec4 ? vk->lim.max_texel_elems * 4 : vk->lim.max_storage_elems;
    size_t bmax = zmin(zmin(out_max / seq, in_max / (3 * seq)), vk->lim.max_groups[2]);
    if (tree) bmax = zmin(bmax, vk->lim.max_storage_elems / (3 * (size_t)T)); /* the span binding */
    if (bmax == 0) {
        vkb_fail(vk, "attention: one sequence (T=%d, C=%d) exceeds the device's binding range", T, C);
        return;
    }
    for (size_t b0 = 0; b0 < (size_t)B; b0 += bmax) {
        size_t nb = zmin(bmax, (size_t)B - b0);
        vkb_binding b[] = {{out, b0 * seq, nb * seq, 1},
                           {qkv, b0 * 3 * seq, nb * 3 * seq, 0},
                           {span, span_off + b0 * 3 * T, nb * 3 * T, 0}};
        /* tree rows: the keys each row takes are on the device; no work figure */
        double flops = tree ? 0.0 : 4.0 * HS * NH * nb * ((double)T * (T + 1) / 2);
        if (flash) {
            struct { uint32_t T, C, aligned; float scale; } pc = {(uint32_t)T, (uint32_t)C, C % 4 == 0 && HS % 4 == 0,
                                                                  1.0f / sqrtf((float)HS)};
            vkb_dispatch(vk, p, b, &pc, sizeof pc, cdiv(T, br), (uint32_t)NH, (uint32_t)nb, "attention", flops);
        } else if (v1) {
            struct { uint32_t T, C, HS; float scale; } pc = {(uint32_t)T, (uint32_t)C, (uint32_t)HS,
                                                             1.0f / sqrtf((float)HS)};
            vkb_dispatch(vk, p, b, &pc, sizeof pc, (uint32_t)T, (uint32_t)NH, (uint32_t)nb, "attention", flops);
        } else {
            struct { uint32_t T, C; float scale; } pc = {(uint32_t)T, (uint32_t)C, 1.0f / sqrtf((float)HS)};
            uint32_t rows = vec4 ? lx * qr : lx;
            vkb_dispatch(vk, p, b, &pc, sizeof pc, cdiv(T, rows), (uint32_t)NH, (uint32_t)nb, "attention", flops);
        }
    }
}

/* out [B*T, C] = causal attention over qkv [B*T, 3C], NH heads of C/NH. */
static void vk_attention(ops_ctx *c, ops_buf *out, const ops_buf *qkv, int B, int T, int C, int NH) {
    attention(c, out, qkv, NULL, 0, B, T, C, NH);
}

/* out [B*T, C] = attention over qkv [B*T, 3C], row t of sequence b taking the keys [r0, r0 + np) U
 * [s0, t] of span [B*T, 3] (int32, at span_off). */
static void vk_attention_tree(ops_ctx *c, ops_buf *out, const ops_buf *qkv, const ops_buf *span, size_t span_off,
                              int B, int T, int C, int NH) {
    attention(c, out, qkv, span, span_off, B, T, C, NH);
}

/* ---- vtable glue ---- */

static void vk_destroy(ops_ctx *c) {
    if (G(c)->ep_tmp) vkb_free(V(c), G(c)->ep_tmp);
    vkb_close(V(c));
    free(c);
}
static ops_buf *vk_alloc_(ops_ctx *c, size_t bytes, n2g_err *err) { return vkb_alloc(V(c), bytes, err); }
static void vk_free_(ops_ctx *c, ops_buf *b) { vkb_free(V(c), b); }
static size_t vk_buf_bytes(const ops_buf *b) { return *(const size_t *)b; }
static int vk_upload_(ops_ctx *c, ops_buf *d, size_t off, const void *s, size_t n, n2g_err *err) {
    return vkb_upload(V(c), d, off, s, n, err);
}
static int vk_download_(ops_ctx *c, const ops_buf *s, size_t off, void *d, size_t n, n2g_err *err) {
    return vkb_download(V(c), s, off, d, n, err);
}
static int vk_run_(ops_ctx *c, n2g_err *err) { return vkb_run(V(c), err); }
static void vk_prof_print(ops_ctx *c, FILE *f) { vkb_profile_print(V(c), f); }
static void vk_prof_reset(ops_ctx *c) { vkb_profile_reset(V(c)); }

static const ops_vtable vk_vt = {
    .destroy = vk_destroy,
    .alloc = vk_alloc_,
    .free = vk_free_,
    .buf_bytes = vk_buf_bytes,
    .upload = vk_upload_,
    .download = vk_download_,
    .run = vk_run_,
    .embed = vk_embed,
    .layernorm = vk_layernorm,
    .matmul = vk_matmul,
    .matmul_ep = vk_matmul_ep,
    .gelu = vk_gelu,
    .attention = vk_attention,
    .add = vk_add,
    .embed_pos = vk_embed_pos,
    .attention_tree = vk_attention_tree,
    .profile_print = vk_prof_print,
    .profile_reset = vk_prof_reset,
};

int vk_variant_parse(const char *s, int *out) {
    if (!s || !*s || !strcmp(s, "auto")) {
        *out = -1;
        return 0;
    }
    for (int i = 0; i < VKB_NVARIANTS; i++)
        if (!strcmp(s, vkb_variant_names[i])) {
            *out = i;
            return 0;
        }
    return -1;
}

int ops_vk_create(const ops_options *opt, ops_ctx **out, n2g_err *err) {
    *out = NULL;
    const char *vs = opt->variant ? opt->variant : getenv("N2G_VARIANT");
    int forced;
    if (vk_variant_parse(vs, &forced))
        return n2g_failc(err, N2G_E_USAGE, "unknown kernel variant '%s' (expected cpu-driver, gpu or auto)", vs);
    vk_gpt2_ctx *g = calloc(1, sizeof *g);
    if (!g) return n2g_fail(err, "out of memory");
    vkb *vk = &g->vk;
    vk->base.kind = OPS_VK;
    vk->base.vt = &vk_vt;
    vk->quiet = opt->quiet;
    if (vkb_open(vk, opt, err)) {
        vkb_close(vk);
        free(g);
        return -1;
    }
    int is_cpu = vk->rt.info.type == VK_PHYSICAL_DEVICE_TYPE_CPU;
    vk->variant = forced >= 0 ? (vkb_variant)forced : is_cpu ? VKB_VARIANT_CPU : VKB_VARIANT_GPU;
    device_tune(vk, &g->tune);
    snprintf(vk->base.name, sizeof vk->base.name, "vk:%d %.150s [%s] variant=%s", vk->rt.info.index, vk->rt.info.name,
             vk->rt.info.type_name, vkb_variant_names[vk->variant]);
    if (is_cpu && !opt->quiet)
        fprintf(stderr, "n2g: warning: running on a CPU Vulkan driver (%s): slow; a GPU is much faster\n",
                vk->rt.info.name);
    *out = &vk->base;
    return 0;
}
