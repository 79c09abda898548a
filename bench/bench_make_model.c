/* bench_make_model.c — writes a randomly initialised GPT-2-shaped model in Hugging Face format
 * (config.json + model.safetensors, F32; GPT-2's initialisation: weights ~ N(0, 0.02), the
 * residual projections ~ N(0, 0.02 / sqrt(2 L)), LayerNorm gains 1 and biases 0) for the
 * benchmarks (bench/gpu.sh) without PyTorch. The tokenizer files are the caller's to copy.
 *
 *   bench_make_model --out DIR [--layers 12] [--embd 768] [--heads 12] [--ctx 1024] [--vocab 50257] [--seed 1] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomic_write.h"
#include "model/st_write.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double unif(void) { /* (0, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return ((rng >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static float *normal(size_t n, double sd) {
    float *a = malloc(n * sizeof *a);
    for (size_t i = 0; i < n; i += 2) { /* Box-Muller */
        double r = sqrt(-2.0 * log(unif())), th = 6.283185307179586 * unif();
        a[i] = (float)(sd * r * cos(th));
        if (i + 1 < n) a[i + 1] = (float)(sd * r * sin(th));
    }
    return a;
}
static float *fill(size_t n, float v) {
    float *a = malloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++) a[i] = v;
    return a;
}

int main(int argc, char **argv) {
    const char *out = NULL;
    int L = 12, C = 768, NH = 12, P = 1024, V = 50257;
    unsigned long long seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bench_make_model: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--layers")) L = atoi(v);
        else if (!strcmp(a, "--embd")) C = atoi(v);
        else if (!strcmp(a, "--heads")) NH = atoi(v);
        else if (!strcmp(a, "--ctx")) P = atoi(v);
        else if (!strcmp(a, "--vocab")) V = atoi(v);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else {
            fprintf(stderr, "bench_make_model: unknown option %s\n", a);
            return 2;
        }
    }
    if (!out || L < 1 || C < 1 || NH < 1 || C % NH || P < 1 || V < 1) {
        fprintf(stderr, "usage: bench_make_model --out DIR [--layers L] [--embd C] [--heads NH] [--ctx N] [--vocab V] "
                        "[--seed S] (C a multiple of NH)\n");
        return 2;
    }
    rng ^= seed * 0x2545F4914F6CDD1Dull;
    mkdir(out, 0777);
    size_t D = 4 * (size_t)C, nt = 0, cap = 4 + 12 * (size_t)L;
    st_tensor *t = calloc(cap, sizeof *t);
    char (*names)[64] = calloc(cap, sizeof *names);
#define T1(nm, n0, d) (snprintf(names[nt], 64, "%s", nm), t[nt] = (st_tensor){names[nt], 1, {(n0)}, (d)}, nt++)
#define T2(nm, n0, n1, d) (snprintf(names[nt], 64, "%s", nm), t[nt] = (st_tensor){names[nt], 2, {(n0), (n1)}, (d)}, nt++)
    double sd = 0.02, sdp = 0.02 / sqrt(2.0 * L);
    T2("wte.weight", V, C, normal((size_t)V * C, sd));
    T2("wpe.weight", P, C, normal((size_t)P * C, 0.01));
    for (int l = 0; l < L; l++) {
        char n[64];
#define NM(s) (snprintf(n, sizeof n, "h.%d.%s", l, s), n)
        T1(NM("ln_1.weight"), C, fill(C, 1));
        T1(NM("ln_1.bias"), C, fill(C, 0));
        T2(NM("attn.c_attn.weight"), C, 3 * C, normal((size_t)C * 3 * C, sd));
        T1(NM("attn.c_attn.bias"), 3 * C, fill(3 * (size_t)C, 0));
        T2(NM("attn.c_proj.weight"), C, C, normal((size_t)C * C, sdp));
        T1(NM("attn.c_proj.bias"), C, fill(C, 0));
        T1(NM("ln_2.weight"), C, fill(C, 1));
        T1(NM("ln_2.bias"), C, fill(C, 0));
        T2(NM("mlp.c_fc.weight"), C, D, normal((size_t)C * D, sd));
        T1(NM("mlp.c_fc.bias"), D, fill(D, 0));
        T2(NM("mlp.c_proj.weight"), D, C, normal(D * C, sdp));
        T1(NM("mlp.c_proj.bias"), C, fill(C, 0));
#undef NM
    }
    T1("ln_f.weight", C, fill(C, 1));
    T1("ln_f.bias", C, fill(C, 0));
    char path[4096], cfg[1024];
    n2g_err e = {0};
    snprintf(path, sizeof path, "%s/model.safetensors", out);
    int rc = st_write_f32(path, t, nt, &e);
    if (!rc) {
        int k = snprintf(cfg, sizeof cfg,
                         "{\"model_type\": \"gpt2\", \"architectures\": [\"GPT2LMHeadModel\"], \"n_layer\": %d, "
                         "\"n_embd\": %d, \"n_head\": %d, \"n_positions\": %d, \"n_ctx\": %d, \"vocab_size\": %d, "
                         "\"n_inner\": null, \"layer_norm_epsilon\": 1e-05, \"activation_function\": \"gelu_new\", "
                         "\"bos_token_id\": 50256, \"eos_token_id\": 50256}\n",
                         L, C, NH, P, P, V);
        snprintf(path, sizeof path, "%s/config.json", out);
        rc = n2g_atomic_write_buf(path, cfg, (size_t)k, &e);
    }
    for (size_t i = 0; i < nt; i++) free((void *)t[i].data);
    free(t), free(names);
    if (rc) {
        fprintf(stderr, "bench_make_model: %s\n", e.msg);
        return 1;
    }
    printf("%s: GPT-2 of %d layers, %d wide, %d heads, %d positions, %d tokens (random)\n", out, L, C, NH, P, V);
    return 0;
}
