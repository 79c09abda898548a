/* test_plant.c — the planted model's rules hold under the project's own forward pass.
 *
 * Plants a model in a temp dir, tokenizes the first 16 rows of fixture_small.txt (BOS + 255
 * tokens each), runs gpt2_hook_post_all on the CPU backend
 * (and on Vulkan when a device exists) and checks, for every rule neuron of planted.json, at every
 * position: firing (act >= 0.5 x max over the sample) <=> the rule read from planted.json,
 *     tok[t] in tokens and (no prev_tokens or (t >= 1 and tok[t-1] in prev_tokens)).
 * The oracle is that rule applied to the token ids, not numbers the forward pass produced.
 * Then replays N2G's masking (id 1) on firing positions: masking the firing token, or for the
 * bigram the token before it, drops the activation by > 75 %; masking another earlier token
 * changes it by < 25 %. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/json.h"
#include "model/gpt2.h"
#include "model/gpt2_plant.h"
#include "text/bpe.h"

enum { T = 256, ROWS = 16, MAXR = 8, MASK = 1, BOS = 50256 };

typedef struct rule {
    int layer, neuron, ntok, nprev, tok[8], prev[8];
    char name[32];
} rule;

static int in(const int *v, int n, int x) {
    for (int i = 0; i < n; i++)
        if (v[i] == x) return 1;
    return 0;
}
static int fires(const rule *r, const int32_t *row, int t) {
    return in(r->tok, r->ntok, row[t]) && (r->nprev == 0 || (t >= 1 && in(r->prev, r->nprev, row[t - 1])));
}

static int read_rules(const char *path, rule *rs) {
    n2g_err e = {0};
    json_doc *d = json_parse_file(path, &e);
    CHECK(d != NULL, "%s", e.msg);
    if (!d) return 0;
    const json_value *ns = json_get(json_root(d), "neurons");
    int n = 0;
    for (size_t i = 0; ns && i < ns->n && n < MAXR; i++, n++) {
        rule *r = &rs[n];
        memset(r, 0, sizeof *r);
        json_get_int(&ns->items[i], "layer", "n", &r->layer, &e);
        json_get_int(&ns->items[i], "neuron", "n", &r->neuron, &e);
        snprintf(r->name, sizeof r->name, "%s", json_get(&ns->items[i], "name")->str);
        const json_value *t = json_get(&ns->items[i], "tokens"), *p = json_get(&ns->items[i], "prev_tokens");
        for (size_t k = 0; k < t->n && k < 8; k++) json_get_int(&t->items[k], "id", "t", &r->tok[r->ntok++], &e);
        for (size_t k = 0; k < p->n && k < 8; k++) json_get_int(&p->items[k], "id", "t", &r->prev[r->nprev++], &e);
    }
    json_free(d);
    return n;
}

/* hook_post of rule r for row [T] (all layers computed into buf [2, T, d_mlp]) */
static float act_at(gpt2_runner *run, const gpt2_model *m, const rule *r, const int32_t *row, int t, float *buf) {
    n2g_err e = {0};
    CHECK(gpt2_hook_post_all(run, row, T, m->cfg.n_layer - 1, buf, &e) == 0, "%s", e.msg);
    return buf[((size_t)r->layer * T + t) * m->cfg.d_mlp + r->neuron];
}

static void check_backend(ops_ctx *ctx, const gpt2_model *m, const rule *rs, int nr, int32_t rows[ROWS][T]) {
    n2g_err e = {0};
    gpt2_runner *run = NULL;
    CHECK(gpt2_runner_create(m, ctx, -1, 1, T, &run, &e) == 0, "runner: %s", e.msg);
    if (!run) return;
    printf("%s\n", ops_device_name(ctx));
    size_t D = (size_t)m->cfg.d_mlp, L = (size_t)m->cfg.n_layer;
    float *all = malloc((size_t)ROWS * L * T * D * sizeof(float)), *buf = malloc(L * T * D * sizeof(float));
    for (int i = 0; i < ROWS; i++)
        CHECK(gpt2_hook_post_all(run, rows[i], T, (int)L - 1, all + (size_t)i * L * T * D, &e) == 0, "%s", e.msg);
#define ACT(i, r, t) all[(((size_t)(i) * L + (size_t)(r)->layer) * T + (size_t)(t)) * D + (size_t)(r)->neuron]
    for (int k = 0; k < nr; k++) {
        const rule *r = &rs[k];
        float mx = -1e30f;
        for (int i = 0; i < ROWS; i++)
            for (int t = 0; t < T; t++)
                if (ACT(i, r, t) > mx) mx = ACT(i, r, t);
        int tp = 0, fp = 0, fn = 0, tn = 0, masked = 0;
        float on_min = 1e30f, off_max = -1e30f;
        for (int i = 0; i < ROWS; i++)
            for (int t = 0; t < T; t++) {
                float a = ACT(i, r, t);
                int want = fires(r, rows[i], t), got = a >= 0.5f * mx;
                tp += want && got, fn += want && !got, fp += got && !want, tn += !want && !got;
                if (want && a < on_min) on_min = a;
                if (!want && a > off_max) off_max = a;
                if (!want || masked >= 4) continue;
                /* N2G masking at this firing position */
                int32_t mrow[T];
                memcpy(mrow, rows[i], sizeof mrow);
                mrow[t] = MASK;
                float self = act_at(run, m, r, mrow, t, buf);
                CHECK(1 - self / a > 0.75f, "%s: masking the firing token at %d:%d keeps %.3f of %.3f", r->name, i, t,
                      self, a);
                if (r->nprev) {
                    memcpy(mrow, rows[i], sizeof mrow);
                    mrow[t - 1] = MASK;
                    float prev = act_at(run, m, r, mrow, t, buf);
                    CHECK(1 - prev / a > 0.75f, "%s: masking the previous token at %d:%d keeps %.3f of %.3f", r->name,
                          i, t, prev, a);
                }
                int other = t >= 3 ? t - 2 - (t * 7) % (t - 2) : -1; /* some earlier position, not t-1 */
                if (other >= 0) {
                    memcpy(mrow, rows[i], sizeof mrow);
                    mrow[other] = MASK;
                    float o = act_at(run, m, r, mrow, t, buf);
                    CHECK(o / a > 0.75f && o / a < 1.25f, "%s: masking context %d at %d:%d moves %.3f to %.3f",
                          r->name, other, i, t, a, o);
                }
                masked++;
            }
        printf("  %d:%-4d %-10s max %.4f on/max >= %.4f off/max <= %.4f  TP %d FN %d FP %d TN %d\n", r->layer, r->neuron, r->name, mx, on_min / mx, off_max / mx, tp, fn, fp, tn);
        CHECK(fp == 0 && fn == 0, "%s: %d false positives, %d false negatives", r->name, fp, fn);
        CHECK(tp >= 5, "%s: only %d firings in the sample (the test would be weak)", r->name, tp);
        CHECK(on_min / mx >= 0.8f, "%s: firing activations not near-equal (min %.3f of max)", r->name, on_min / mx);
        CHECK(off_max / mx <= 0.05f, "%s: non-firing activation up to %.3f of max", r->name, off_max / mx);
    }
#undef ACT
    free(all);
    free(buf);
    gpt2_runner_free(run);
}

int main(void) {
    n2g_err e = {0};
    const char *dir = check_tmpdir("plantfwd");
    gpt2_plant_options o = {.seed = GPT2_PLANT_DEFAULT_SEED, .n_ctx = T, .vocab_dir = NULL};
    CHECK(gpt2_plant_write(dir, &o, &e) == 0, "plant: %s", e.msg);
    char path[4200];
    snprintf(path, sizeof path, "%s/planted.json", dir);
    rule rs[MAXR];
    int nr = read_rules(path, rs);
    CHECK(nr == 3, "3 rules, got %d", nr);

    /* the first ROWS rows of fixture_small.txt (Moby-Dick ch. 1-2), BOS + 255 tokens each */
    bpe_tokenizer *tok = bpe_load_dir(dir, &e);
    CHECK(tok != NULL, "tokenizer: %s", e.msg);
    FILE *f = fopen(check_shared_path("data/corpus/fixture_small.txt"), "rb");
    CHECK(f != NULL, "fixture_small.txt");
    if (!tok || !f) return check_finish();
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    bpe_ids ids = {0};
    CHECK(bpe_encode(tok, text, len, BPE_ORDINARY, &ids, NULL, &e) == 0, "%s", e.msg);
    bpe_free(tok);
    static int32_t rows[ROWS][T];
    for (int i = 0; i < ROWS; i++) {
        size_t off = (size_t)i * (T - 1);
        rows[i][0] = BOS;
        memcpy(&rows[i][1], ids.ids + off, (T - 1) * sizeof(int32_t));
    }
    free(ids.ids);

    gpt2_model *m = NULL;
    CHECK(gpt2_load(dir, &m, &e) == 0, "load: %s", e.msg);
    if (!m) return check_finish();
    CHECK(m->cfg.n_layer == 2 && m->cfg.d_mlp == 256 && m->cfg.n_ctx == T, "config as planted");
    ops_ctx *ctx = NULL;
    ops_options oc = {.kind = OPS_CPU, .threads = 2};
    CHECK(ops_create(&oc, &ctx, &e) == 0, "%s", e.msg);
    if (ctx) {
        check_backend(ctx, m, rs, nr, rows);
        ops_destroy(ctx);
    }
    ops_options ov = {.kind = OPS_VK, .device = -1, .quiet = 1};
    if (ops_create(&ov, &ctx, &e) == 0) {
        check_backend(ctx, m, rs, nr, rows);
        ops_destroy(ctx);
    } else {
        printf("Vulkan backend not tested: %s\n", e.msg);
    }
    gpt2_free(m);
    return check_finish();
}
