/* test_distilbert.c — DistilBertForMaskedLM logits against Hugging Face transformers
 * (tests/fixtures/distilbert-tiny*, expected.safetensors from make_distilbert_fixture.py: a
 * right-padded batch of masked texts of different lengths with its attention mask), on the
 * CPU backend (1 and 2 threads) and the Vulkan backend when one can be created (default and
 * "gpu" kernel variants); max abs error
 * <= 1e-4 at every real position. Also: each sequence alone, the head on selected rows only,
 * the f16 checkpoint, the bf16 checkpoint ([MASK] rows), and bad checkpoints / inputs with
 * their messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/distilbert.h"
#include "model/safetensors.h"

#define TOL 1e-4

typedef struct {
    int B, T, V;
    int32_t *tok, *lens;
    float *logits;   /* [B, T, V], or with mask_only [B, V]: the [MASK] rows in order */
    int mask_only;
} expected_t;

static int read_expected(const char *dir, expected_t *e) {
    n2g_err err = {0};
    char path[1024];
    snprintf(path, sizeof path, "%s/expected.safetensors", dir);
    st_file *f;
    if (st_open(path, &f, &err)) {
        CHECK(0, "%s", err.msg);
        return -1;
    }
    const st_tensor *ti = st_find(f, "input_ids"), *tm = st_find(f, "attention_mask"), *tl = st_find(f, "logits");
    e->mask_only = tl == NULL;
    if (!tl) tl = st_find(f, "mask_logits");
    CHECK(ti && tm && tl && ti->ndim == 2 && tl->ndim == 3 - e->mask_only, "expected tensors");
    e->B = (int)ti->shape[0], e->T = (int)ti->shape[1], e->V = (int)tl->shape[tl->ndim - 1];
    size_t n = (size_t)e->B * e->T;
    float *ids = malloc(n * 4), *mask = malloc(n * 4);
    e->logits = malloc(tl->numel * 4);
    e->tok = malloc(n * 4), e->lens = calloc((size_t)e->B, 4);
    CHECK(!st_read_f32(f, ti, ids, 1, &err) && !st_read_f32(f, tm, mask, 1, &err) &&
              !st_read_f32(f, tl, e->logits, 1, &err), "%s", err.msg);
    for (size_t i = 0; i < n; i++) {
        e->tok[i] = (int32_t)ids[i];
        e->lens[i / e->T] += mask[i] > 0.5f;
    }
    free(ids), free(mask);
    st_close(f);
    return 0;
}

static void run_fixture(const char *name, ops_ctx **ctxs, int nctx) {
    n2g_err err = {0};
    const char *dir = check_src_path(name);
    distilbert_model *m;
    int rc = distilbert_load(dir, &m, &err);
    CHECK(rc == 0, "%s: %s", name, err.msg);
    if (rc) return;
    CHECK(m->tied, "%s: vocab_projector tied", name);
    const char *want = strstr(name, "bf16") ? "BF16" : strstr(name, "f16") ? "F16" : "F32";
    CHECK(!strcmp(m->dtype, want), "%s: dtype %s, expected %s", name, m->dtype, want);
    expected_t e;
    if (read_expected(dir, &e)) return;
    int B = e.B, T = e.T, V = e.V;
    CHECK(V == m->cfg.vocab_size, "vocab");
    float *got = malloc((size_t)B * T * V * 4);
    for (int i = 0; i < nctx; i++) {
        distilbert_runner *r;
        rc = distilbert_runner_create(m, ctxs[i], B, T, B * T, &r, &err);
        CHECK(rc == 0, "%s", err.msg);
        if (rc) continue;
        int32_t rows[64];
        int nr = 0;
        for (int k = 0; k < B * T && nr < 64; k++)
            if (e.tok[k] == wp_specials(m->vocab)->mask) rows[nr++] = k;
        CHECK(nr == B, "one [MASK] per text (%d)", nr);
        if (e.mask_only) { /* only the [MASK] rows' logits are known */
            CHECK(distilbert_logits(r, e.tok, e.lens, B, T, rows, nr, got, &err) == 0, "%s", err.msg);
            double d = check_max_abs_diff(got, e.logits, (size_t)nr * V);
            CHECK(d <= TOL, "%s on %s: masked-rows max abs diff %g", name, ops_device_name(ctxs[i]), d);
            distilbert_runner_free(r);
            continue;
        }
        /* the padded batch, all rows */
        rc = distilbert_logits(r, e.tok, e.lens, B, T, NULL, 0, got, &err);
        CHECK(rc == 0, "%s", err.msg);
        double d = 0;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < e.lens[b]; t++) {
                size_t o = ((size_t)b * T + t) * V;
                double x = check_max_abs_diff(got + o, e.logits + o, (size_t)V);
                d = x > d ? x : d;
            }
        CHECK(d <= TOL, "%s on %s: batched max abs diff %g > %g", name, ops_device_name(ctxs[i]), d, TOL);
        /* each sequence alone, unpadded */
        d = 0;
        for (int b = 0; b < B; b++) {
            int L = e.lens[b];
            CHECK(distilbert_logits(r, e.tok + (size_t)b * T, &e.lens[b], 1, L, NULL, 0, got, &err) == 0, "%s", err.msg);
            double x = check_max_abs_diff(got, e.logits + (size_t)b * T * V, (size_t)L * V);
            d = x > d ? x : d;
        }
        CHECK(d <= TOL, "%s on %s: single-sequence max abs diff %g", name, ops_device_name(ctxs[i]), d);
        /* the head on the [MASK] rows only */
        CHECK(distilbert_logits(r, e.tok, e.lens, B, T, rows, nr, got, &err) == 0, "%s", err.msg);
        d = 0;
        for (int k = 0; k < nr; k++) {
            double x = check_max_abs_diff(got + (size_t)k * V, e.logits + (size_t)rows[k] * V, (size_t)V);
            d = x > d ? x : d;
        }
        CHECK(d <= TOL, "%s on %s: masked-rows max abs diff %g", name, ops_device_name(ctxs[i]), d);
        /* bad inputs */
        int32_t bad_len = T + 1;
        CHECK(distilbert_logits(r, e.tok, &bad_len, 1, T, NULL, 0, got, &err) != 0 && strstr(err.msg, "length"),
              "%s", err.msg);
        int32_t tok2[2] = {0, (int32_t)V}, len2 = 2;
        CHECK(distilbert_logits(r, tok2, &len2, 1, 2, NULL, 0, got, &err) != 0 &&
                  strstr(err.msg, "token id 1000 at sequence 0, index 1 is out of range (vocab_size 1000)"),
              "%s", err.msg);
        int long_T = m->cfg.max_pos + 1;
        int32_t *lt = calloc((size_t)long_T, 4), ll = long_T;
        CHECK(distilbert_logits(r, lt, &ll, 1, long_T, NULL, 0, got, &err) != 0 &&
                  strstr(err.msg, "65 tokens exceed the model's max_position_embeddings 64"),
              "%s", err.msg);
        free(lt);
        distilbert_runner *r2;
        CHECK(distilbert_runner_create(m, ctxs[i], 1, long_T, 1, &r2, &err) != 0 &&
                  strstr(err.msg, "max_position_embeddings 64"),
              "%s", err.msg);
        distilbert_runner_free(r);
    }
    free(got);
    free(e.tok), free(e.lens), free(e.logits);
    distilbert_free(m);
}

static void copy_file(const char *src, const char *dst, const char *from, const char *to) {
    FILE *f = fopen(src, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = 0;
    fclose(f);
    FILE *o = fopen(dst, "wb");
    char *p = from ? strstr(b, from) : NULL;
    if (p) {
        fwrite(b, 1, (size_t)(p - b), o);
        fputs(to, o);
        fputs(p + strlen(from), o);
    } else {
        fwrite(b, 1, got, o);
    }
    fclose(o);
    free(b);
}

/* a copy of the tiny checkpoint with one file edited */
static const char *edited(const char *file, const char *from, const char *to) {
    const char *dir = check_tmpdir("distilbert");
    const char *files[] = {"config.json", "model.safetensors", "vocab.txt"};
    char s[2048], d[2048];
    for (int i = 0; i < 3; i++) {
        snprintf(s, sizeof s, "%s/%s", check_src_path("tests/fixtures/distilbert-tiny"), files[i]);
        snprintf(d, sizeof d, "%s/%s", dir, files[i]);
        int ed = !strcmp(files[i], file);
        copy_file(s, d, ed ? from : NULL, to);
    }
    return dir;
}

static void bad_checkpoints(void) {
    n2g_err err = {0};
    distilbert_model *m;
    const char *d = edited("config.json", "\"vocab_size\": 1000", "\"vocab_size\": 1001");
    CHECK(distilbert_load(d, &m, &err) != 0 && strstr(err.msg, "vocab.txt: 1000 tokens, but config.json vocab_size is 1001"),
          "%s", err.msg);
    d = edited("vocab.txt", "[MASK]\n", "[MASK]\nzzzextra\n");
    CHECK(distilbert_load(d, &m, &err) != 0 && strstr(err.msg, "1001 tokens, but config.json vocab_size is 1000"), "%s",
          err.msg);
    d = edited("config.json", "\"max_position_embeddings\": 64", "\"max_position_embeddings\": 1099511627776");
    CHECK(distilbert_load(d, &m, &err) != 0 &&
              strstr(err.msg, "\"max_position_embeddings\" = 1099511627776 is out of range [1, "),
          "%s", err.msg);
    d = edited("config.json", "\"dim\": 32", "\"dim\": 64");
    CHECK(distilbert_load(d, &m, &err) != 0 && strstr(err.msg, "has shape [1000, 32], config.json implies [1000, 64]"),
          "%s", err.msg);
    d = edited("config.json", "\"n_layers\": 2", "\"n_layers\": 3");
    CHECK(distilbert_load(d, &m, &err) != 0 && strstr(err.msg, "missing tensor 'transformer.layer.2.attention.q_lin.weight'"),
          "%s", err.msg);
    d = edited("config.json", "\"n_layers\": 2", "\"n_layers\": 1");
    CHECK(distilbert_load(d, &m, &err) != 0 && strstr(err.msg, "unexpected tensor 'distilbert.transformer.layer.1."),
          "%s", err.msg);
    d = edited("config.json", "\"activation\": \"gelu\"", "\"activation\": \"relu\"");
    CHECK(distilbert_load(d, &m, &err) != 0 && strstr(err.msg, "\"activation\" relu is not supported"), "%s", err.msg);
    d = edited("config.json", "\"model_type\": \"distilbert\"", "\"model_type\": \"gpt2\"");
    CHECK(distilbert_load(d, &m, &err) != 0 && strstr(err.msg, "expected \"distilbert\""), "%s", err.msg);
    d = edited("config.json", "\"n_heads\": 2", "\"n_heads\": 3");
    CHECK(distilbert_load(d, &m, &err) != 0 && strstr(err.msg, "dim 32 is not a multiple of n_heads 3"), "%s", err.msg);
    CHECK(distilbert_load(check_src_path("tests/fixtures/gpt2-tiny"), &m, &err) != 0 &&
              strstr(err.msg, "expected \"distilbert\""),
          "gpt2 dir: %s", err.msg);
    /* the checks both loaders share (model/st_model.h): a sharded checkpoint, a tensor's dtype */
    d = edited("config.json", "", "");
    char p[2048];
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    char q[2100];
    snprintf(q, sizeof q, "%s.index.json", p);
    CHECK(rename(p, q) == 0, "rename");
    CHECK(distilbert_load(d, &m, &err) != 0 && strstr(err.msg, "sharded checkpoints"), "%s", err.msg);
    d = edited("config.json", "", ""); /* the first tensor's dtype F32 -> I32 (same size) in the binary header */
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    FILE *f = fopen(p, "r+b");
    char head[512];
    size_t got = f ? fread(head, 1, sizeof head, f) : 0;
    char *at = got ? memmem(head, got, "\"dtype\":\"F32\"", 13) : NULL;
    CHECK(at != NULL, "no F32 tensor in the fixture's header");
    if (at && !fseek(f, (long)(at - head) + 9, SEEK_SET)) fputc('I', f);
    if (f) fclose(f);
    CHECK(distilbert_load(d, &m, &err) != 0 && strstr(err.msg, "has dtype I32 (expected F32, F16 or BF16)"), "%s", err.msg);
}

int main(void) {
    ops_ctx *ctxs[4];
    int n = 0;
    n2g_err err = {0};
    ops_options o1 = {.kind = OPS_CPU, .threads = 1}, o2 = {.kind = OPS_CPU, .threads = 2};
    CHECK(ops_create(&o1, &ctxs[n], &err) == 0, "%s", err.msg);
    if (ctxs[n]) n++;
    CHECK(ops_create(&o2, &ctxs[n], &err) == 0, "%s", err.msg);
    if (ctxs[n]) n++;
    ops_options ov = {.kind = OPS_VK, .device = -1, .quiet = 1};
    if (ops_create(&ov, &ctxs[n], &err) == 0) {
        printf("Vulkan backend: %s\n", ops_device_name(ctxs[n]));
        n++;
        ops_options og = {.kind = OPS_VK, .device = -1, .quiet = 1, .variant = "gpu"}; /* the GPU kernels too */
        if (ops_create(&og, &ctxs[n], &err) == 0) n++;
    } else {
        printf("Vulkan backend not tested: %s\n", err.msg);
    }
    run_fixture("tests/fixtures/distilbert-tiny", ctxs, n);
    run_fixture("tests/fixtures/distilbert-tiny-f16", ctxs, n);
    run_fixture("tests/fixtures/distilbert-tiny-bf16", ctxs, n);
    bad_checkpoints();
    for (int i = 0; i < n; i++) ops_destroy(ctxs[i]);
    return check_finish();
}
