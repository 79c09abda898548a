/* ops_impl.h — what a backend implements. Private to host/ops/.
 * A backend's context struct begins with `ops_ctx base;` and fills base.vt. */
#ifndef N2G_OPS_IMPL_H
#define N2G_OPS_IMPL_H

#include "ops.h"

typedef struct ops_vtable {
    void (*destroy)(ops_ctx *ctx);
    ops_buf *(*alloc)(ops_ctx *ctx, size_t bytes, n2g_err *err);
    void (*free)(ops_ctx *ctx, ops_buf *b);
    size_t (*buf_bytes)(const ops_buf *b);
    int (*upload)(ops_ctx *ctx, ops_buf *dst, size_t off, const void *src, size_t bytes, n2g_err *err);
    int (*download)(ops_ctx *ctx, const ops_buf *src, size_t off, void *dst, size_t bytes, n2g_err *err);
    int (*run)(ops_ctx *ctx, n2g_err *err);
    void (*embed)(ops_ctx *, ops_buf *, const ops_buf *, size_t, const ops_buf *, const ops_buf *, int, int, int);
    void (*layernorm)(ops_ctx *, ops_buf *, const ops_buf *, const ops_buf *, size_t, const ops_buf *, size_t, int,
                      int, float);
    void (*matmul)(ops_ctx *, ops_buf *, const ops_buf *, const ops_buf *, size_t, const ops_buf *, size_t, int, int,
                   int);
    /* epi 1: out = gelu_new(x @ w + bias); epi 2: out += x @ w + bias */
    void (*matmul_ep)(ops_ctx *, ops_buf *, const ops_buf *, const ops_buf *, size_t, const ops_buf *, size_t, int,
                      int, int, int);
    void (*gelu)(ops_ctx *, ops_buf *, size_t);
    void (*attention)(ops_ctx *, ops_buf *, const ops_buf *, int, int, int, int);
    void (*add)(ops_ctx *, ops_buf *, const ops_buf *, size_t);
    void (*embed_pos)(ops_ctx *, ops_buf *, const ops_buf *, size_t, const ops_buf *, size_t, const ops_buf *,
                      const ops_buf *, int, int);
    void (*attention_tree)(ops_ctx *, ops_buf *, const ops_buf *, const ops_buf *, size_t, int, int, int, int);
    void (*profile_print)(ops_ctx *, FILE *);
    void (*profile_reset)(ops_ctx *);
} ops_vtable;

struct ops_ctx {
    ops_kind kind;
    const ops_vtable *vt;
    char name[256];
};

int ops_cpu_create(const ops_options *opt, ops_ctx **out, n2g_err *err);
int ops_vk_create(const ops_options *opt, ops_ctx **out, n2g_err *err);

#endif
