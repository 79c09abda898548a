/* test_vk_runtime.c — the Vulkan runtime: device listing, bad device index / variant errors,
 * buffers larger than maxStorageBufferRange (round trip, ops reading and writing them),
 * hazard barriers in a chain of dependent ops, validation mode (clean run and a caught error),
 * timestamp profiling. No Vulkan device: fails, unless N2G_ALLOW_NO_VK=1. */
#include <libgen.h>
#include <math.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ops/ops.h"
#include "ops/vk_backend_impl.h"
#include "vk/vk_rt.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float frand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / (1 << 23)) - 1.0);
}
static void fill(float *a, size_t n, float s) {
    for (size_t i = 0; i < n; i++) a[i] = frand() * s;
}

static ops_ctx *open_vk_variant(int device, int validation, int profile, const char *variant) {
    ops_options o = {.kind = OPS_VK, .device = device, .validation = validation, .profile = profile, .quiet = 1,
                     .variant = variant};
    ops_ctx *c = NULL;
    n2g_err e = {0};
    int rc = ops_create(&o, &c, &e);
    CHECK(rc == 0, "ops_create(vk:%d): %s", device, e.msg);
    return c;
}
static ops_ctx *open_vk(int device, int validation, int profile) { return open_vk_variant(device, validation, profile, NULL); }

static void test_listing(const vk_device_info *d, int n) {
    CHECK(n >= 1, "devices");
    int def = vk_default_device(d, n);
    CHECK(def >= 0 && def < n, "default %d", def);
    for (int i = 0; i < n; i++) {
        CHECK(d[i].index == i && d[i].name[0], "device %d name", i);
        CHECK(d[i].max_storage_range > 0 && d[i].subgroup_size > 0 && d[i].n_heaps > 0, "device %d limits", i);
        char buf[2048];
        vk_device_describe(&d[i], buf, sizeof buf);
        CHECK(strstr(buf, d[i].name) && strstr(buf, "maxStorageBufferRange") && strstr(buf, "subgroup size"),
              "describe: %s", buf);
    }
    /* the preference order, on synthetic lists */
    vk_device_info f[3] = {{0}};
    f[0].type = VK_PHYSICAL_DEVICE_TYPE_CPU, f[1].type = VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU,
    f[2].type = VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
    for (int i = 0; i < 3; i++) f[i].api_version = VK_API_VERSION_1_2, f[i].has_push_descriptor = 1;
    CHECK(vk_default_device(f, 3) == 2, "discrete first");
    CHECK(vk_default_device(f, 2) == 1, "then integrated");
    CHECK(vk_default_device(f, 1) == 0, "then anything");
}

static void test_bad_args(int n) {
    ops_options o = {.kind = OPS_VK, .device = n + 3, .quiet = 1};
    ops_ctx *c = NULL;
    n2g_err e = {0};
    CHECK(ops_create(&o, &c, &e) == -1 && c == NULL, "bad index accepted");
    CHECK(strstr(e.msg, "no such Vulkan device") != NULL, "message: %s", e.msg);
    o.device = -1;
    o.variant = "turbo";
    n2g_err_clear(&e);
    CHECK(ops_create(&o, &c, &e) == -1 && c == NULL && strstr(e.msg, "unknown kernel variant 'turbo'"), "variant: %s",
          e.msg);
}

/* A buffer larger than maxStorageBufferRange: round trip, an embedding read from its far end, a
 * matmul whose weights lie past the limit, and element-wise ops over all of it (split dispatches).
 * The table also exceeds maxTexelBufferElements R32F texels where that limit is at most the
 * storage range in bytes / 4 (NVIDIA: 4 GiB vs 2^27 texels; and under N2G_VK_SIM_BINDING_MIB). */
static void test_large(ops_ctx *c) {
    vkb *vk = vkb_from_ops(c);
    uint64_t lim = vk->max_range; /* maxStorageBufferRange, or the simulated limit */
    n2g_err e = {0};
    const int C = 64;
    size_t V = (size_t)(lim / (C * 4)) + 4096; /* rows: the table exceeds the limit */
    size_t n = V * C, bytes = n * 4;
    CHECK(bytes > lim, "test buffer %zu <= limit %llu", bytes, (unsigned long long)lim);
    float *wte = malloc(bytes), *back = malloc(bytes);
    for (size_t i = 0; i < n; i++) wte[i] = (float)(i % 1000003) * 0.001f - 7.0f;
    ops_buf *b = ops_alloc(c, bytes, &e);
    CHECK(b != NULL, "alloc %zu: %s", bytes, e.msg);
    if (!b) return;
    CHECK(ops_upload(c, b, 0, wte, bytes, &e) == 0, "upload: %s", e.msg);
    memset(back, 0, bytes);
    CHECK(ops_download(c, b, 0, back, bytes, &e) == 0, "download: %s", e.msg);
    CHECK(!memcmp(wte, back, bytes), "round trip differs");

    /* embed: tokens from the last rows (past the storage-range limit) and the first */
    const int B = 2, T = 3;
    int tok[6] = {(int)V - 1, (int)V - 2, 0, (int)(V / 2), (int)V - 4096, 5};
    float wpe[3 * 64];
    fill(wpe, 3 * 64, 1);
    ops_buf *bt = ops_alloc(c, sizeof tok, &e), *bp = ops_alloc(c, sizeof wpe, &e), *bo = ops_alloc(c, B * T * C * 4, &e);
    ops_upload(c, bt, 0, tok, sizeof tok, &e);
    ops_upload(c, bp, 0, wpe, sizeof wpe, &e);
    ops_embed(c, bo, bt, 0, b, bp, B, T, C);
    float out[6 * 64];
    CHECK(ops_run(c, &e) == 0, "run: %s", e.msg);
    ops_download(c, bo, 0, out, sizeof out, &e);
    int bad = 0;
    for (int r = 0; r < B * T; r++)
        for (int k = 0; k < C; k++) bad += out[r * C + k] != wte[(size_t)tok[r] * C + k] + wpe[(r % T) * C + k];
    CHECK(bad == 0, "embed from a large table (%s): %d wrong", ops_device_name(c), bad);

    /* matmul with w at an element offset past the storage-range limit: out[4, 8] = x[4, 16] @ w */
    size_t w_off = n - 16 * 8 - 4;
    float x[4 * 16], mo[4 * 8];
    fill(x, 64, 1);
    ops_buf *bx = ops_alloc(c, sizeof x, &e), *bmo = ops_alloc(c, sizeof mo, &e);
    ops_upload(c, bx, 0, x, sizeof x, &e);
    ops_matmul(c, bmo, bx, b, w_off, NULL, 0, 4, 16, 8);
    CHECK(ops_run(c, &e) == 0, "run: %s", e.msg);
    ops_download(c, bmo, 0, mo, sizeof mo, &e);
    double md = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) {
            double s = 0;
            for (int k = 0; k < 16; k++) s += (double)x[i * 16 + k] * wte[w_off + (size_t)k * 8 + j];
            md = fmax(md, fabs(s - mo[i * 8 + j]));
        }
    CHECK(md < 1e-3, "matmul on a large buffer: max diff %g", md);

    /* element-wise ops over the whole buffer: add it to itself on n - 1 elements (storage path,
     * split into several dispatches), then gelu on all n (vec4 image path) */
    ops_add(c, b, b, n - 1);
    ops_gelu(c, b, n);
    CHECK(ops_run(c, &e) == 0, "run: %s", e.msg);
    ops_download(c, b, 0, back, bytes, &e);
    bad = 0;
    for (size_t j = 0; j <= n / 997; j++) { /* every 997th element, and the last */
        size_t i = j < n / 997 ? j * 997 : n - 1;
        double v = i < n - 1 ? 2.0 * wte[i] : wte[i];
        double g = 0.5 * v * (1 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
        bad += fabs(g - back[i]) > 1e-4 * (1 + fabs(g));
    }
    CHECK(bad == 0, "add+gelu over %zu elements: %d wrong", n, bad);
    ops_free(c, b), ops_free(c, bt), ops_free(c, bp), ops_free(c, bo), ops_free(c, bx), ops_free(c, bmo);
    free(wte), free(back);
}

/* A chain of dependent ops in one run, checked against the CPU backend; barriers only where
 * needed (two independent matmuls reading one input share no barrier). */
static void test_chain(ops_ctx *c, ops_ctx *cpu) {
    const int B = 2, T = 9, C = 16, NH = 2, V = 40, N = B * T;
    int tok[18];
    for (int i = 0; i < N; i++) tok[i] = (i * 7 + 3) % V;
    float *wte = malloc(V * C * 4), *wpe = malloc(T * C * 4), *g = malloc(C * 4), *bb = malloc(C * 4);
    float *wqkv = malloc(C * 3 * C * 4), *bqkv = malloc(3 * C * 4), *wfc = malloc(C * 4 * C * 4);
    fill(wte, V * C, 1), fill(wpe, T * C, 1), fill(g, C, 1), fill(bb, C, 1), fill(wqkv, 3 * C * C, 0.5f),
        fill(bqkv, 3 * C, 1), fill(wfc, 4 * C * C, 0.5f);
    float res[2][18 * 64];
    for (int k = 0; k < 2; k++) {
        ops_ctx *o = k ? cpu : c;
        n2g_err e = {0};
#define A(bytes) ops_alloc(o, (bytes), &e)
        ops_buf *btok = A(sizeof tok), *bwte = A(V * C * 4), *bwpe = A(T * C * 4), *bg = A(C * 4), *bB = A(C * 4),
                *bwq = A(3 * C * C * 4), *bbq = A(3 * C * 4), *bwf = A(4 * C * C * 4), *x = A(N * C * 4),
                *ln = A(N * C * 4), *qkv = A(N * 3 * C * 4), *att = A(N * C * 4), *fc = A(N * 4 * C * 4),
                *fc2 = A(N * 4 * C * 4);
#undef A
        ops_upload(o, btok, 0, tok, sizeof tok, &e), ops_upload(o, bwte, 0, wte, V * C * 4, &e);
        ops_upload(o, bwpe, 0, wpe, T * C * 4, &e), ops_upload(o, bg, 0, g, C * 4, &e);
        ops_upload(o, bB, 0, bb, C * 4, &e), ops_upload(o, bwq, 0, wqkv, 3 * C * C * 4, &e);
        ops_upload(o, bbq, 0, bqkv, 3 * C * 4, &e), ops_upload(o, bwf, 0, wfc, 4 * C * C * 4, &e);
        vkb *vk = vkb_from_ops(o);
        long b0 = vk ? vk->nbarriers : 0;
        ops_embed(o, x, btok, 0, bwte, bwpe, B, T, C);
        ops_layernorm(o, ln, x, bg, 0, bB, 0, N, C, 1e-5f);          /* RAW on x: barrier */
        ops_matmul(o, qkv, ln, bwq, 0, bbq, 0, N, C, 3 * C);         /* RAW on ln: barrier */
        ops_attention(o, att, qkv, B, T, C, NH);                     /* RAW on qkv */
        ops_add(o, x, att, N * C);                                   /* RAW on att, WAR on x */
        ops_layernorm(o, ln, x, bg, 0, bB, 0, N, C, 1e-5f);          /* RAW on x, WAR on ln */
        long b1 = vk ? vk->nbarriers : 0;
        ops_matmul(o, fc, ln, bwf, 0, NULL, 0, N, C, 4 * C);         /* RAW on ln */
        long b2 = vk ? vk->nbarriers : 0;
        ops_matmul(o, fc2, ln, bwf, 0, NULL, 0, N, C, 4 * C);        /* independent of the previous */
        long b3 = vk ? vk->nbarriers : 0;
        ops_gelu(o, fc, (size_t)N * 4 * C);                          /* RAW on fc */
        ops_add(o, fc, fc2, (size_t)N * 4 * C);                      /* RAW on fc */
        CHECK(ops_run(o, &e) == 0, "run: %s", e.msg);
        if (vk) {
            CHECK(b1 - b0 == 5, "barriers in the first six ops: %ld (want 5)", b1 - b0);
            CHECK(b2 - b1 == 1 && b3 == b2, "independent matmuls: %ld then %ld barriers (want 1, 0)", b2 - b1, b3 - b2);
        }
        ops_download(o, fc, 0, res[k], (size_t)N * 4 * C * 4, &e);
        ops_buf *all[] = {btok, bwte, bwpe, bg, bB, bwq, bbq, bwf, x, ln, qkv, att, fc, fc2};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) ops_free(o, all[i]);
    }
    double md = check_max_abs_diff(res[0], res[1], (size_t)N * 4 * C);
    CHECK(md < 1e-4, "chain of dependent ops: vk vs cpu max diff %g", md);
    free(wte), free(wpe), free(g), free(bb), free(wqkv), free(bqkv), free(wfc);
}

/* Validation on: a clean run passes; a deliberately invalid command makes ops_run fail. Without
 * the layer installed the case is skipped with a message (returns 0), never failed. */
static int test_validation(int dev) {
    if (!vk_rt_validation_available()) {
        printf("validation case skipped: VK_LAYER_KHRONOS_validation is not installed (Debian package "
               "vulkan-validationlayers)\n");
        return 0;
    }
    ops_ctx *c = open_vk(dev, 1, 0);
    if (!c) return 1;
    n2g_err e = {0};
    ops_buf *b = ops_alloc(c, 1024, &e);
    ops_gelu(c, b, 256);
    CHECK(ops_run(c, &e) == 0, "clean run under validation: %s", e.msg);
    vkb *vk = vkb_from_ops(c);
    CHECK(vkb_rt(vk)->validation && vkb_rt(vk)->messenger, "validation not active");
    /* vkCmdFillBuffer with an offset that is not a multiple of 4 is invalid usage */
    vkCmdFillBuffer(vkb_cmd(vk), vkb_buffer_handle(b), 2, 16, 0);
    int rc = ops_run(c, &e);
    CHECK(rc == -1 && strstr(e.msg, "validation"), "validation error not reported: rc %d '%s'", rc, e.msg);
    n2g_err_clear(&e);
    ops_gelu(c, b, 256);
    CHECK(ops_run(c, &e) == 0, "next run after a reported error: %s", e.msg);
    ops_free(c, b);
    ops_destroy(c);
    return 1;
}

/* The layer hidden (VK_LAYER_PATH naming an empty place): the validation case skips, and a
 * context asked for validation fails with a message naming the package. */
static void test_validation_missing(int dev) {
    const char *old = getenv("VK_LAYER_PATH");
    char *keep = old ? strdup(old) : NULL;
    setenv("VK_LAYER_PATH", "/nonexistent/n2g-layers", 1);
    int f0 = check_failed;
    CHECK(!vk_rt_validation_available(), "the validation layer is still found with VK_LAYER_PATH unset");
    CHECK(test_validation(dev) == 0 && check_failed == f0, "validation case without the layer: not skipped");
    ops_options o = {.kind = OPS_VK, .device = dev, .validation = 1, .quiet = 1};
    ops_ctx *c = NULL;
    n2g_err e = {0};
    CHECK(ops_create(&o, &c, &e) == -1 && strstr(e.msg, "vulkan-validationlayers"), "no layer: %s", e.msg);
    if (c) ops_destroy(c);
    if (keep) setenv("VK_LAYER_PATH", keep, 1);
    else unsetenv("VK_LAYER_PATH");
    free(keep);
}

static void test_profile(int dev) {
    ops_ctx *c = open_vk(dev, 0, 1);
    if (!c) return;
    n2g_err e = {0};
    ops_buf *x = ops_alloc(c, 64 * 64 * 4, &e), *w = ops_alloc(c, 64 * 64 * 4, &e), *o = ops_alloc(c, 64 * 64 * 4, &e);
    for (int i = 0; i < 3; i++) ops_matmul(c, o, x, w, 0, NULL, 0, 64, 64, 64);
    ops_gelu(c, o, 64 * 64);
    CHECK(ops_run(c, &e) == 0, "run: %s", e.msg);
    char *txt = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&txt, &len);
    ops_profile_print(c, f);
    fclose(f);
    CHECK(txt && strstr(txt, "matmul") && strstr(txt, "gelu") && strstr(txt, "GFLOP/s"), "profile: %s", txt);
    CHECK(txt && strstr(txt, "       3 "), "matmul calls: %s", txt);
    free(txt);
    ops_free(c, x), ops_free(c, w), ops_free(c, o);
    ops_destroy(c);
}

/* The staging path (device memory not mapped, as on discrete GPUs): zero-initialised buffers,
 * upload / download at odd offsets, an op in between. */
static void test_staging(int dev) {
    setenv("N2G_VK_NO_MAP", "1", 1);
    ops_ctx *c = open_vk(dev, 0, 0);
    unsetenv("N2G_VK_NO_MAP");
    if (!c) return;
    CHECK(vkb_rt(vkb_from_ops(c))->no_map, "no_map not set");
    n2g_err e = {0};
    size_t n = (5u << 20) + 7; /* more than one 16 MiB staging chunk in bytes */
    float *h = malloc(n * 4), *g = malloc(n * 4);
    ops_buf *b = ops_alloc(c, n * 4, &e), *y = ops_alloc(c, n * 4, &e);
    CHECK(ops_download(c, b, 0, g, n * 4, &e) == 0, "download: %s", e.msg);
    size_t nz = 0;
    for (size_t i = 0; i < n; i++) nz += g[i] != 0.0f;
    CHECK(nz == 0, "fresh buffer not zero: %zu", nz);
    fill(h, n, 1);
    CHECK(ops_upload(c, b, 0, h, n * 4, &e) == 0, "upload: %s", e.msg);
    CHECK(ops_upload(c, y, 4, h, (n - 1) * 4, &e) == 0, "upload at offset: %s", e.msg);
    ops_add(c, b, y, n); /* b[i] = h[i] + h[i-1] (h[-1] = 0) */
    CHECK(ops_run(c, &e) == 0, "run: %s", e.msg);
    CHECK(ops_download(c, b, 8, g, (n - 2) * 4, &e) == 0, "download at offset: %s", e.msg);
    size_t bad = 0;
    for (size_t i = 2; i < n; i++) bad += g[i - 2] != h[i] + h[i - 1];
    CHECK(bad == 0, "staging round trip: %zu wrong", bad);
    ops_free(c, b), ops_free(c, y);
    free(h), free(g);
    ops_destroy(c);
}

/* A recording error (binding outside the buffer) surfaces from ops_run, not as a crash. */
static void test_recording_error(ops_ctx *c) {
    n2g_err e = {0};
    ops_buf *x = ops_alloc(c, 16, &e);
    ops_gelu(c, x, 100); /* 100 floats in a 4-float buffer */
    int rc = ops_run(c, &e);
    CHECK(rc == -1 && strstr(e.msg, "exceed the buffer"), "rc %d: %s", rc, e.msg);
    ops_gelu(c, x, 4);
    CHECK(ops_run(c, &e) == 0, "recovers: %s", e.msg);
    ops_free(c, x);
}

/* `n2g devices` (the binary sits beside this test): every device, the default marked, the CPU
 * backend line; a stray argument is a usage error. */
static void test_cli(int n) {
    char exe[4096], cmd[4200], bad[4200];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0) return;
    exe[k] = 0;
    const char *dir = dirname(exe);
    snprintf(cmd, sizeof cmd, "%s/n2g devices 2>&1", dir);
    snprintf(bad, sizeof bad, "%s/n2g devices --bogus >/dev/null 2>&1", dir);
    FILE *f = popen(cmd, "r");
    CHECK(f != NULL, "popen");
    if (!f) return;
    char out[16384];
    size_t len = fread(out, 1, sizeof out - 1, f);
    out[len] = 0;
    int st = pclose(f);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "n2g devices exit %d: %s", st, out);
    CHECK(strstr(out, "* vk:") && strstr(out, "  cpu ") && strstr(out, "maxStorageBufferRange"), "output: %s", out);
    char want[32];
    snprintf(want, sizeof want, "vk:%d ", n - 1);
    CHECK(strstr(out, want) != NULL, "last device missing: %s", out);
    st = system(bad);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2, "n2g devices --bogus: exit %d (want 2)", st);
    /* no Vulkan driver at all: a message on stderr, the CPU backend still listed */
    snprintf(cmd, sizeof cmd, "VK_ICD_FILENAMES=/nonexistent/n2g.json VK_DRIVER_FILES=/nonexistent/n2g.json %s/n2g devices 2>&1",
             dir);
    f = popen(cmd, "r");
    len = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[len] = 0;
    st = f ? pclose(f) : -1;
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && strstr(out, "no Vulkan driver installed") && strstr(out, "  cpu "),
          "devices without a driver: exit %d: %s", st, out);
}

/* No Vulkan driver: ops_create fails with a message that says so (never a crash). */
static void test_no_driver(void) {
    setenv("VK_ICD_FILENAMES", "/nonexistent/n2g.json", 1);
    setenv("VK_DRIVER_FILES", "/nonexistent/n2g.json", 1);
    ops_options o = {.kind = OPS_VK, .device = -1, .quiet = 1};
    ops_ctx *c = NULL;
    n2g_err e = {0};
    int rc = ops_create(&o, &c, &e);
    unsetenv("VK_ICD_FILENAMES");
    unsetenv("VK_DRIVER_FILES");
    CHECK(rc == -1 && c == NULL && strstr(e.msg, "no Vulkan driver installed"), "rc %d: %s", rc, e.msg);
    if (c) ops_destroy(c);
}

int main(void) {
    n2g_err e = {0};
    vk_device_info *d = NULL;
    int n = 0;
    const char *ev = getenv("N2G_VALIDATION");
    if (ev && *ev && strcmp(ev, "0") && !vk_rt_validation_available()) { /* e.g. a GPU machine without the layer */
        printf("N2G_VALIDATION is set but VK_LAYER_KHRONOS_validation is not installed: running without "
               "validation; the validation case is skipped\n");
        unsetenv("N2G_VALIDATION");
    }
    check_need_vulkan(&d, &n);
    test_listing(d, n);
    test_bad_args(n);
    test_cli(n);
    test_no_driver();
    ops_options co = {.kind = OPS_CPU, .threads = 2};
    ops_ctx *cpu = NULL;
    CHECK(ops_create(&co, &cpu, &e) == 0, "cpu: %s", e.msg);
    for (int i = 0; i < n; i++) {
        ops_ctx *c = open_vk(i, 0, 0);
        if (!c) continue;
        test_large(c);
        if (cpu) test_chain(c, cpu);
        test_recording_error(c);
        ops_destroy(c);
        /* the same large-table paths with binding limits of 16 MiB (storage bytes, R32F texels * 4),
           as a device whose table exceeds both limits (NVIDIA: 4 GiB storage range, 2^27 texels) */
        setenv("N2G_VK_SIM_BINDING_MIB", "16", 1);
        for (int v = 0; v < VKB_NVARIANTS; v++) {
            c = open_vk_variant(i, 0, 0, vkb_variant_names[v]);
            if (!c) continue;
            vkb *vk = vkb_from_ops(c);
            CHECK(vk->max_range == 16u << 20 && vk->max_texels <= 4u << 20, "simulated limits: %llu bytes, %u texels",
                  (unsigned long long)vk->max_range, vk->max_texels);
            test_large(c);
            ops_destroy(c);
        }
        unsetenv("N2G_VK_SIM_BINDING_MIB");
        test_validation(i);
        if (i == 0) test_validation_missing(i);
        test_profile(i);
        test_staging(i);
    }
    ops_destroy(cpu);
    free(d);
    return check_finish();
}
