/* test_model_bad.c — bad checkpoints and bad tokens: each must fail with a message naming the
 * problem (no crash). Corrupt files are built here from the good gpt2-l3 fixture (copy + edit of
 * its safetensors header, data or config.json). Also checks the f16 / bf16 converters. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/gpt2.h"
#include "model/safetensors.h"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void spit(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

/* the good fixture, split */
static char *g_cfg, *g_header, *g_data;
static size_t g_cfg_len, g_data_len;

static const char *fixture(const char *rel) {
    static char b[4096];
    snprintf(b, sizeof b, "%s/%s", check_src_path("tests/fixtures/gpt2-l3"), rel);
    return b;
}

static void load_good(void) {
    size_t n;
    char *st = slurp(fixture("model.safetensors"), &n);
    g_cfg = slurp(fixture("config.json"), &g_cfg_len);
    if (!st || !g_cfg) {
        fprintf(stderr, "cannot read the gpt2-l3 fixture\n");
        exit(1);
    }
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = hl << 8 | (uint8_t)st[i];
    g_header = malloc(hl + 1);
    memcpy(g_header, st + 8, hl);
    g_header[hl] = 0;
    g_data_len = n - 8 - hl;
    g_data = malloc(g_data_len);
    memcpy(g_data, st + 8 + hl, g_data_len);
    free(st);
}

static char made[64][4096]; /* directories to remove at the end */
static int n_made;

static void remove_made(void) {
    for (int i = 0; i < n_made; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%.4000s/config.json", made[i]);
        remove(p);
        snprintf(p, sizeof p, "%.4000s/model.safetensors", made[i]);
        remove(p);
        remove(made[i]);
    }
}

/* writes DIR/config.json and DIR/model.safetensors from parts; returns DIR */
static const char *write_model(const char *cfg, const char *header, const char *data, size_t data_len) {
    const char *dir = check_tmpdir("bad");
    if (n_made < 64) snprintf(made[n_made++], sizeof made[0], "%s", dir);
    char p[4200];
    snprintf(p, sizeof p, "%s/config.json", dir);
    spit(p, cfg, strlen(cfg));
    size_t hl = strlen(header);
    char *buf = malloc(8 + hl + data_len);
    for (int i = 0; i < 8; i++) buf[i] = (char)(((uint64_t)hl >> (8 * i)) & 0xff);
    memcpy(buf + 8, header, hl);
    memcpy(buf + 8 + hl, data, data_len);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    spit(p, buf, 8 + hl + data_len);
    free(buf);
    return dir;
}

/* returns a copy of s with the first `old` found after `anchor` replaced by `new` */
static char *edit(const char *s, const char *anchor, const char *old, const char *new) {
    const char *a = anchor ? strstr(s, anchor) : s;
    const char *o = a ? strstr(a, old) : NULL;
    if (!o) {
        fprintf(stderr, "edit: '%s' after '%s' not found\n", old, anchor ? anchor : "");
        exit(1);
    }
    size_t n = strlen(s) - strlen(old) + strlen(new);
    char *r = malloc(n + 1);
    size_t pre = (size_t)(o - s);
    memcpy(r, s, pre);
    strcpy(r + pre, new);
    strcat(r, o + strlen(old));
    return r;
}

/* loads DIR and expects failure whose message contains every NULL-terminated needle */
static void expect_fail(const char *what, const char *dir, ...) {
    gpt2_model *m = NULL;
    n2g_err e = {0};
    int rc = gpt2_load(dir, &m, &e);
    CHECK(rc == -1 && m == NULL, "%s: load should fail", what);
    va_list ap;
    va_start(ap, dir);
    for (const char *n; (n = va_arg(ap, const char *));) CHECK(strstr(e.msg, n) != NULL, "%s: message '%s' lacks '%s'", what, e.msg, n);
    va_end(ap);
    printf("%-26s -> %s\n", what, e.msg);
    gpt2_free(m);
}

static void expect_fail_header(const char *what, const char *header, const char *needle1, const char *needle2) {
    expect_fail(what, write_model(g_cfg, header, g_data, g_data_len), needle1, needle2, (const char *)NULL);
}

int main(void) {
    load_good();
    n2g_err e = {0};

    /* the untouched copy loads (the test's own plumbing is right) */
    gpt2_model *m = NULL;
    const char *good = write_model(g_cfg, g_header, g_data, g_data_len);
    CHECK(gpt2_load(good, &m, &e) == 0, "good copy: %s", e.msg);


    /* truncated files */
    {
        const char *dir = write_model(g_cfg, g_header, g_data, g_data_len);
        char p[4200];
        snprintf(p, sizeof p, "%s/model.safetensors", dir);
        spit(p, "\x10\0\0", 3);
        expect_fail("file of 3 bytes", dir, "truncated", "shorter than the 8-byte header length", (const char *)NULL);
        spit(p, "", 0);
        expect_fail("empty file", dir, "truncated", (const char *)NULL);
        /* cut inside the header */
        size_t n;
        char *whole = slurp(fixture("model.safetensors"), &n);
        spit(p, whole, 100);
        expect_fail("cut inside the header", dir, "header length 3264 runs past the end of the file (100 bytes)",
                    (const char *)NULL);
        /* cut inside the data: the last tensors' data_offsets now point past the end */
        spit(p, whole, n - 1000);
        expect_fail("cut inside the data", dir, "out of range", "data_offsets", (const char *)NULL);
        /* header length field far past the end */
        memset(whole, 0xff, 8);
        whole[7] = 0x7f;
        spit(p, whole, n);
        expect_fail("header length huge", dir, "runs past the end of the file", (const char *)NULL);
        free(whole);
    }

    /* header edits */
    char *h;
    h = edit(g_header, "\"h.0.attn.c_attn.bias\"", "[0,576]", "[0,99999999]");
    expect_fail_header("data_offsets out of range", h, "'h.0.attn.c_attn.bias'", "out of range");
    free(h);
    h = edit(g_header, "\"h.0.attn.c_attn.bias\"", "[0,576]", "[576,0]");
    expect_fail_header("data_offsets reversed", h, "'h.0.attn.c_attn.bias'", "out of range");
    free(h);
    /* two 48-float tensors made to share bytes: same size, so only the overlap check can see it */
    h = edit(g_header, "\"h.0.attn.c_proj.bias\"", "[28224,28416]", "[28240,28432]");
    expect_fail_header("overlapping tensors", h, "overlap", "h.0.attn.c_proj.bias");
    free(h);
    h = edit(g_header, "\"h.0.attn.c_attn.bias\"", "[144]", "[145]");
    expect_fail_header("offsets vs dtype x shape", h, "'h.0.attn.c_attn.bias'", "needs 580");
    free(h);
    h = edit(g_header, "\"h.0.attn.c_attn.bias\"", "\"F32\"", "\"F33\"");
    expect_fail_header("unknown dtype", h, "'h.0.attn.c_attn.bias'", "unknown dtype \"F33\"");
    free(h);
    h = edit(g_header, "\"h.0.attn.c_attn.bias\"", "\"F32\",\"shape\":[144]", "\"I32\",\"shape\":[144]");
    expect_fail_header("integer dtype", h, "'h.0.attn.c_attn.bias'", "dtype I32");
    free(h);
    /* a repeated key: the first "shape" counts, and it does not match the offsets */
    h = edit(g_header, "\"h.0.attn.c_attn.bias\"", "\"shape\"", "\"shape\":[1],\"x\"");
    expect_fail_header("repeated key in an entry", h, "'h.0.attn.c_attn.bias'", "needs 4");
    free(h);
    h = edit(g_header, NULL, "{\"__metadata__\"", "{\"__metadata__\" ");
    h[strlen(h) - 1] = ','; /* trailing comma instead of the closing brace */
    expect_fail_header("bad JSON", h, "bad safetensors header", NULL);
    free(h);
    /* wrong shape: c_fc [48, 100] stored as [100, 48] (same byte count) */
    h = edit(g_header, "\"h.1.mlp.c_fc.weight\"", "[48,100]", "[100,48]");
    expect_fail_header("wrong shape", h, "'h.1.mlp.c_fc.weight' has shape [100, 48]", "implies [48, 100]");
    free(h);
    /* missing tensor: rename it so that it is unexpected and the expected one is missing */
    h = edit(g_header, NULL, "\"h.2.ln_2.bias\"", "\"h.2.ln_2.bias_x\"");
    expect_fail_header("missing tensor", h, "missing tensor 'h.2.ln_2.bias'", NULL);
    free(h);

    /* config / tensor mismatches */
    char *c;
    c = edit(g_cfg, NULL, "\"n_layer\": 3", "\"n_layer\": 2");
    expect_fail("config n_layer too small", write_model(c, g_header, g_data, g_data_len), "unexpected tensor 'h.2.",
                (const char *)NULL);
    free(c);
    c = edit(g_cfg, NULL, "\"n_layer\": 3", "\"n_layer\": 4");
    expect_fail("config n_layer too large", write_model(c, g_header, g_data, g_data_len), "missing tensor 'h.3.",
                (const char *)NULL);
    free(c);
    c = edit(g_cfg, NULL, "\"vocab_size\": 300", "\"vocab_size\": 301");
    expect_fail("config vocab_size", write_model(c, g_header, g_data, g_data_len), "'wte.weight' has shape [300, 48]",
                "implies [301, 48]", (const char *)NULL);
    free(c);
    c = edit(g_cfg, NULL, "\"n_inner\": 100", "\"n_inner\": null");
    expect_fail("config n_inner", write_model(c, g_header, g_data, g_data_len), "'h.0.mlp.c_fc.weight'",
                "implies [48, 192]", (const char *)NULL);
    free(c);
    c = edit(g_cfg, NULL, "\"gelu_new\"", "\"relu\"");
    expect_fail("activation relu", write_model(c, g_header, g_data, g_data_len), "activation_function",
                "\"relu\" is not supported", (const char *)NULL);
    free(c);
    c = edit(g_cfg, NULL, "\"n_head\": 3", "\"n_head\": 5");
    expect_fail("n_embd % n_head", write_model(c, g_header, g_data, g_data_len), "not a multiple of n_head 5",
                (const char *)NULL);
    free(c);
    c = edit(g_cfg, NULL, "\"n_embd\": 48", "\"n_embd\": \"48\"");
    expect_fail("n_embd a string", write_model(c, g_header, g_data, g_data_len), "n_embd", (const char *)NULL);
    free(c);
    /* integers printed exactly: out of range is said so, a fraction is not an integer */
    c = edit(g_cfg, NULL, "\"n_positions\": 40", "\"n_positions\": 1099511627776");
    expect_fail("n_positions huge", write_model(c, g_header, g_data, g_data_len),
                "\"n_positions\" = 1099511627776 is out of range [1, ", (const char *)NULL);
    free(c);
    c = edit(g_cfg, NULL, "\"n_positions\": 40", "\"n_positions\": 40.5");
    expect_fail("n_positions fraction", write_model(c, g_header, g_data, g_data_len),
                "\"n_positions\" is 40.5, expected an integer", (const char *)NULL);
    free(c);
    c = edit(g_cfg, NULL, "\"n_layer\": 3", "\"n_layer\": 123456789");
    expect_fail("n_layer big", write_model(c, g_header, g_data, g_data_len), "\"n_layer\" = 123456789 is out of range",
                (const char *)NULL);
    free(c);
    expect_fail("config not JSON", write_model("{\"n_layer\": 3,,}", g_header, g_data, g_data_len), "config.json",
                (const char *)NULL);
    expect_fail("no such directory", "/nonexistent/n2g-model", "config.json", (const char *)NULL);

    /* NaN and Inf in the weights (c_attn.bias holds data bytes [0, 576)) */
    {
        char *d = malloc(g_data_len);
        memcpy(d, g_data, g_data_len);
        float nan = NAN, inf = -INFINITY;
        memcpy(d + 4 * 7, &nan, 4);
        expect_fail("NaN in weights", write_model(g_cfg, g_header, d, g_data_len),
                    "tensor 'h.0.attn.c_attn.bias': element 7 is NaN", (const char *)NULL);
        memcpy(d, g_data, g_data_len);
        memcpy(d + 576 + 4 * 100, &inf, 4);
        expect_fail("Inf in weights", write_model(g_cfg, g_header, d, g_data_len),
                    "tensor 'h.0.attn.c_attn.weight': element 100 is Inf", (const char *)NULL);
        free(d);
    }

    /* tokens: id >= vocab, negative id, more tokens than n_ctx (40) */
    if (m) {
        ops_options o = {.kind = OPS_CPU, .threads = 1};
        ops_ctx *ctx;
        gpt2_runner *r = NULL;
        CHECK(ops_create(&o, &ctx, &e) == 0, "%s", e.msg);
        CHECK(gpt2_runner_create(m, ctx, -1, 2, 40, &r, &e) == 0, "%s", e.msg);
        int32_t tok[41] = {1, 2, 300, 4};
        float *out = malloc((size_t)3 * 41 * 100 * sizeof(float));
        CHECK(gpt2_hook_post_all(r, tok, 4, 2, out, &e) == -1 && strstr(e.msg, "token id 300 at index 2") &&
                  strstr(e.msg, "vocab_size 300"),
              "id >= vocab: %s", e.msg);
        tok[2] = -1;
        CHECK(gpt2_check_tokens(m, tok, 4, &e) == -1 && strstr(e.msg, "token id -1 at index 2"), "negative: %s", e.msg);
        for (int i = 0; i < 41; i++) tok[i] = i;
        CHECK(gpt2_check_tokens(m, tok, 41, &e) == -1 && strstr(e.msg, "41 tokens exceed the model's context of 40"),
              "too long: %s", e.msg);
        CHECK(gpt2_set_tokens(r, tok, 1, 41, &e) == -1 && strstr(e.msg, "41 tokens exceed"), "set_tokens: %s", e.msg);
        CHECK(gpt2_check_tokens(m, tok, 40, &e) == 0, "40 tokens fit: %s", e.msg);
        tok[40 + 0] = 5;
        int32_t two[6] = {1, 2, 3, 4, 999, 6};
        CHECK(gpt2_set_tokens(r, two, 2, 3, &e) == -1 && strstr(e.msg, "sequence 1") && strstr(e.msg, "index 1"),
              "batch: %s", e.msg);
        gpt2_runner *r2 = NULL;
        CHECK(gpt2_runner_create(m, ctx, 3, 1, 8, &r2, &e) == -1 && strstr(e.msg, "layer 3 out of range"), "layer: %s",
              e.msg);
        CHECK(gpt2_runner_create(m, ctx, -1, 1, 41, &r2, &e) == -1 && strstr(e.msg, "context of 40"), "max_T: %s",
              e.msg);
        free(out);
        gpt2_runner_free(r);
        ops_destroy(ctx);
    }
    gpt2_free(m);

    /* f16 / bf16 conversions against values computed by hand */
    CHECK(st_f16_to_f32(0x3c00) == 1.0f && st_f16_to_f32(0xc000) == -2.0f, "f16 normal");
    CHECK(st_f16_to_f32(0x0001) == ldexpf(1, -24) && st_f16_to_f32(0x03ff) == ldexpf(1023, -24), "f16 subnormal");
    CHECK(st_f16_to_f32(0x7bff) == 65504.0f && isinf(st_f16_to_f32(0x7c00)) && isnan(st_f16_to_f32(0x7e00)), "f16 max/inf/nan");
    CHECK(st_f16_to_f32(0x8000) == 0.0f && signbit(st_f16_to_f32(0x8000)), "f16 -0");
    CHECK(st_bf16_to_f32(0x3f80) == 1.0f && st_bf16_to_f32(0xc0a0) == -5.0f, "bf16");

    free(g_cfg), free(g_header), free(g_data);
    remove_made();
    return check_finish();
}
