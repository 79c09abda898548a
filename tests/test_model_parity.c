/* test_model_parity.c — GPT-2 hook_post of every layer against Hugging Face transformers
 * (tests/fixtures/gpt2-*: expected.json written by make_gpt2_fixtures.py from float64 HF
 * forwards), on the CPU backend (1 and 2 threads, widest ISA; 2 threads plain C) and on the Vulkan backend when one can be
 * created, in both kernel families (on lavapipe the gpu family is forced). Max abs error <= 1e-4. Each fixture runs its sequences one at a time
 * (gpt2_hook_post_all) and together as one right-padded batch stopped at every layer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/json.h"
#include "model/gpt2.h"

#define TOL 1e-4

typedef struct {
    int n;
    int32_t *tok[16];
    int len[16];
    float *exp[16]; /* [layer][pos][d_mlp] */
} expected_t;

static int read_expected(const char *path, const gpt2_model *m, expected_t *e) {
    n2g_err err = {0};
    json_doc *d = json_parse_file(path, &err);
    CHECK(d != NULL, "%s", err.msg);
    if (!d) return -1;
    const json_value *seqs = json_get(json_root(d), "sequences");
    int L = m->cfg.n_layer, D = m->cfg.d_mlp;
    memset(e, 0, sizeof *e);
    for (size_t s = 0; seqs && s < seqs->n && s < 16; s++) {
        const json_value *t = json_get(&seqs->items[s], "tokens"), *h = json_get(&seqs->items[s], "hook_post");
        int T = (int)t->n;
        e->len[s] = T;
        e->tok[s] = malloc(T * sizeof(int32_t));
        e->exp[s] = malloc((size_t)L * T * D * sizeof(float));
        for (int i = 0; i < T; i++) e->tok[s][i] = (int32_t)t->items[i].num;
        CHECK(h->n == (size_t)L, "layers in expected.json");
        for (int l = 0; l < L; l++)
            for (int p = 0; p < T; p++)
                for (int k = 0; k < D; k++)
                    e->exp[s][((size_t)l * T + p) * D + k] = (float)h->items[l].items[p].items[k].num;
        e->n++;
    }
    json_free(d);
    return 0;
}

static void free_expected(expected_t *e) {
    for (int s = 0; s < e->n; s++) free(e->tok[s]), free(e->exp[s]);
}

/* one sequence at a time, all layers */
static double run_single(gpt2_runner *r, const gpt2_model *m, const expected_t *e) {
    int L = m->cfg.n_layer, D = m->cfg.d_mlp;
    double worst = 0;
    for (int s = 0; s < e->n; s++) {
        float *got = malloc((size_t)L * e->len[s] * D * sizeof(float));
        n2g_err err = {0};
        int rc = gpt2_hook_post_all(r, e->tok[s], e->len[s], L - 1, got, &err);
        CHECK(rc == 0, "hook_post_all: %s", err.msg);
        double d = rc ? INFINITY : check_max_abs_diff(got, e->exp[s], (size_t)L * e->len[s] * D);
        if (!(d <= worst)) worst = d;
        free(got);
    }
    return worst;
}

static void keep_h(void *user, int layer, ops_buf *h, int B, int T) {
    (void)layer, (void)B, (void)T;
    *(ops_buf **)user = h;
}

/* all sequences as one batch padded on the right with token 0, stopped at each layer */
static double run_batch(gpt2_runner *r, const gpt2_model *m, const expected_t *e) {
    int B = e->n, T = 0, D = m->cfg.d_mlp;
    for (int s = 0; s < B; s++)
        if (e->len[s] > T) T = e->len[s];
    int32_t *tok = calloc((size_t)B * T, sizeof *tok);
    for (int s = 0; s < B; s++) memcpy(tok + (size_t)s * T, e->tok[s], e->len[s] * sizeof *tok);
    float *got = malloc((size_t)B * T * D * sizeof(float));
    double worst = 0;
    n2g_err err = {0};
    CHECK(gpt2_set_tokens(r, tok, B, T, &err) == 0, "set_tokens: %s", err.msg);
    for (int l = 0; l < m->cfg.n_layer; l++) {
        ops_buf *h = NULL;
        gpt2_record_forward(r, B, T, l, keep_h, &h);
        CHECK(h != NULL, "hook called");
        if (!h) break;
        CHECK(ops_run(gpt2_runner_ops(r), &err) == 0, "run: %s", err.msg);
        CHECK(ops_download(gpt2_runner_ops(r), h, 0, got, (size_t)B * T * D * sizeof(float), &err) == 0, "%s", err.msg);
        for (int s = 0; s < B; s++) {
            double d = check_max_abs_diff(got + (size_t)s * T * D, e->exp[s] + (size_t)l * e->len[s] * D,
                                          (size_t)e->len[s] * D);
            if (!(d <= worst)) worst = d;
        }
    }
    free(tok);
    free(got);
    return worst;
}

static void run_fixture(const char *name, ops_ctx **ctxs, int nctx) {
    char dir[4096], exp_path[4200];
    snprintf(dir, sizeof dir, "%s", check_src_path("tests/fixtures"));
    snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/%s", name);
    snprintf(exp_path, sizeof exp_path, "%s/expected.json", dir);
    gpt2_model *m;
    n2g_err err = {0};
    CHECK(gpt2_load(dir, &m, &err) == 0, "load %s: %s", name, err.msg);
    if (!m) return;
    expected_t e;
    if (read_expected(exp_path, m, &e)) {
        gpt2_free(m);
        return;
    }
    for (int i = 0; i < nctx; i++) {
        gpt2_runner *r;
        CHECK(gpt2_runner_create(m, ctxs[i], -1, e.n, m->cfg.n_ctx, &r, &err) == 0, "runner: %s", err.msg);
        if (!r) continue;
        double d1 = run_single(r, m, &e), d2 = run_batch(r, m, &e);
        printf("%-12s %-5s %-40s single max|diff| %.3g, batched %.3g\n", name, m->dtype, ops_device_name(ctxs[i]), d1,
               d2);
        CHECK(d1 <= TOL, "%s on %s: single-sequence max abs diff %g > %g", name, ops_device_name(ctxs[i]), d1, TOL);
        CHECK(d2 <= TOL, "%s on %s: batched max abs diff %g > %g", name, ops_device_name(ctxs[i]), d2, TOL);
        gpt2_runner_free(r);
    }
    free_expected(&e);
    gpt2_free(m);
}

int main(void) {
    ops_ctx *ctxs[5];
    int n = 0;
    n2g_err err = {0};
    ops_options o1 = {.kind = OPS_CPU, .threads = 1}, o2 = {.kind = OPS_CPU, .threads = 2};
    CHECK(ops_create(&o1, &ctxs[n], &err) == 0, "%s", err.msg) ;
    if (ctxs[n]) n++;
    CHECK(ops_create(&o2, &ctxs[n], &err) == 0, "%s", err.msg);
    if (ctxs[n]) n++;
    ops_options og = {.kind = OPS_CPU, .threads = 2, .variant = "generic"}; /* the plain-C fallback */
    CHECK(ops_create(&og, &ctxs[n], &err) == 0, "%s", err.msg);
    if (ctxs[n]) n++;
    ops_options ov = {.kind = OPS_VK, .device = -1, .quiet = 1};
    if (ops_create(&ov, &ctxs[n], &err) == 0) {
        printf("Vulkan backend: %s\n", ops_device_name(ctxs[n]));
        n++;
        /* the other kernel family too (on a CPU driver: the GPU kernels, forced) */
        int is_gpu = strstr(ops_device_name(ctxs[n - 1]), "variant=gpu") != NULL;
        ops_options ov2 = {.kind = OPS_VK, .device = -1, .quiet = 1, .variant = is_gpu ? "cpu-driver" : "gpu"};
        CHECK(ops_create(&ov2, &ctxs[n], &err) == 0, "%s", err.msg);
        if (ctxs[n]) printf("Vulkan backend: %s\n", ops_device_name(ctxs[n])), n++;
    } else {
        printf("Vulkan backend not tested: %s\n", err.msg);
    }
    const char *fixtures[] = {"gpt2-tiny", "gpt2-l3", "gpt2-lmhead", "gpt2-f16", "gpt2-bf16"};
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) run_fixture(fixtures[i], ctxs, n);
    for (int i = 0; i < n; i++) ops_destroy(ctxs[i]);
    return check_finish();
}
