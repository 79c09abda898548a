/* bench_mlm.c — the cost of fill-mask augmentation (--augment mlm) on a
 * distilbert-base-uncased-shaped model (6 layers, dim 768, 12 heads, hidden 3072, vocab 30522,
 * random weights written to a temporary checkpoint), on the CPU backend and (when one can be
 * created) the Vulkan backend.
 *
 * Workload: synthetic pruned prompts of 36 pieces (BOS + 35 corpus words, pivot at 30, like the
 * reference's <= 30 tokens of prior context + <= 5 after), K important words each (default 3,
 * all before the pivot), augmented in rounds of R prompts (default 160 = 16 neurons x 10
 * training prompts) through n2g_augment_mlm: masking, WordPiece, the batched DistilBERT
 * forwards, softmax + candidate ordering over the 30,522-token vocabulary, casing and
 * substitution. Prints masked texts/s and the augmentation seconds per neuron (10 prompts).
 *
 *   bench_mlm [--device cpu|vk|all] [--rounds N] [--round-prompts R] [--important K]
 *             [--threads N] [--corpus FILE] [--keep DIR] [--profile]
 * --keep DIR writes the random checkpoint to DIR and keeps it (for `n2g build --mlm DIR`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/atomic_write.h"
#include "common/progress.h"
#include "model/st_write.h"
#include "n2g/method/augment_mlm.h"
#include "n2g/method/wordsplit.h"

enum { C = 768, L = 6, NH = 12, HID = 3072, V = 30522, P = 512, PIECES = 36, PSTAR = 30 };

static double cpu_now(void) { /* process CPU seconds (all threads, lavapipe's included) */
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static int write_checkpoint(const char *dir, n2g_err *err) {
    char path[4200];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/config.json", dir);
    char cfg[1024];
    int n = snprintf(cfg, sizeof cfg,
                     "{\"activation\": \"gelu\", \"architectures\": [\"DistilBertForMaskedLM\"], \"dim\": %d, "
                     "\"hidden_dim\": %d, \"max_position_embeddings\": %d, \"model_type\": \"distilbert\", "
                     "\"n_heads\": %d, \"n_layers\": %d, \"pad_token_id\": 0, \"sinusoidal_pos_embds\": false, "
                     "\"tie_word_embeddings\": true, \"vocab_size\": %d}\n",
                     C, HID, P, NH, L, V);
    if (n2g_atomic_write_buf(path, cfg, (size_t)n, err)) return -1;
    /* vocab: the specials, the test vocab's pieces, then synthetic words up to V */
    size_t cap = (size_t)V * 16, len = 0;
    char *voc = malloc(cap);
    const char *sp[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    for (int i = 0; i < 5; i++) len += (size_t)snprintf(voc + len, cap - len, "%s\n", sp[i]);
    int count = 5;
    FILE *f = fopen(N2G_SOURCE_DIR "/tests/fixtures/wordpiece/vocab.txt", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f) && count < V) {
        if (line[0] == '[') continue;
        len += (size_t)snprintf(voc + len, cap - len, "%s", line);
        count++;
    }
    if (f) fclose(f);
    for (int i = 0; count < V; i++, count++) {
        char w[16];
        int k = 0;
        for (int x = i + 1; x > 0 && k < 8; x /= 26) w[k++] = (char)('a' + x % 26);
        w[k] = 0;
        len += (size_t)snprintf(voc + len, cap - len, "%s%s%d\n", w, i % 3 ? "" : "##", i);
    }
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    int rc = n2g_atomic_write_buf(path, voc, len, err);
    free(voc);
    if (rc) return -1;
    /* weights: one random pool (uniform, std ~0.035) shared by every tensor, ones for LN gains */
    size_t pool_n = (size_t)V * C;
    float *pool = malloc(pool_n * sizeof *pool), *ones = malloc(HID * sizeof *ones);
    for (size_t i = 0; i < pool_n; i++) pool[i] = (float)((rnd() >> 40) / (double)(1ull << 24) * 2.0 - 1.0) * 0.06f;
    for (int i = 0; i < HID; i++) ones[i] = 1.0f;
    st_tensor t[16 + 16 * L];
    char names[16 + 16 * L][96];
    int k = 0;
#define T1(nm, d0, data)                                                            \
    do {                                                                            \
        snprintf(names[k], 96, "%s", nm);                                           \
        t[k] = (st_tensor){names[k], 1, {d0, 0, 0, 0}, data};                       \
        k++;                                                                        \
    } while (0)
#define T2(nm, d0, d1)                                                              \
    do {                                                                            \
        snprintf(names[k], 96, "%s", nm);                                           \
        t[k] = (st_tensor){names[k], 2, {d0, d1, 0, 0}, pool};                      \
        k++;                                                                        \
    } while (0)
    T2("distilbert.embeddings.word_embeddings.weight", V, C);
    T2("distilbert.embeddings.position_embeddings.weight", P, C);
    T1("distilbert.embeddings.LayerNorm.weight", C, ones);
    T1("distilbert.embeddings.LayerNorm.bias", C, pool);
    for (int l = 0; l < L; l++) {
        char nm[96];
        const char *lin[6] = {"attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin", "ffn.lin1",
                              "ffn.lin2"};
        int od[6] = {C, C, C, C, HID, C}, id[6] = {C, C, C, C, C, HID};
        for (int i = 0; i < 6; i++) {
            snprintf(nm, sizeof nm, "distilbert.transformer.layer.%d.%s.weight", l, lin[i]);
            T2(nm, od[i], id[i]);
            snprintf(nm, sizeof nm, "distilbert.transformer.layer.%d.%s.bias", l, lin[i]);
            T1(nm, od[i], pool);
        }
        const char *ln[2] = {"sa_layer_norm", "output_layer_norm"};
        for (int i = 0; i < 2; i++) {
            snprintf(nm, sizeof nm, "distilbert.transformer.layer.%d.%s.weight", l, ln[i]);
            T1(nm, C, ones);
            snprintf(nm, sizeof nm, "distilbert.transformer.layer.%d.%s.bias", l, ln[i]);
            T1(nm, C, pool);
        }
    }
    T2("vocab_transform.weight", C, C);
    T1("vocab_transform.bias", C, pool);
    T1("vocab_layer_norm.weight", C, ones);
    T1("vocab_layer_norm.bias", C, pool);
    T1("vocab_projector.bias", V, pool);
#undef T1
#undef T2
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    rc = st_write_f32(path, t, (size_t)k, err);
    free(pool), free(ones);
    return rc;
}

/* ---- synthetic prompts ---- */
typedef struct {
    char **piece;
    size_t *len;
    int n;
} pieces_t;

static const char *tokstr(void *u, int id, size_t *len) {
    pieces_t *p = u;
    *len = p->len[id];
    return p->piece[id];
}

static int encode(void *u, const char *text, size_t n, int32_t **ids, int *n_ids, n2g_err *err) {
    (void)u, (void)err;
    *ids = malloc(sizeof(int32_t) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) (*ids)[i] = (unsigned char)text[i];
    *n_ids = (int)n;
    return 0;
}

int main(int argc, char **argv) {
    const char *device = "all", *keep = NULL, *corpus = NULL;
    int rounds = 3, R = 160, K = 3, threads = 0, profile = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--profile")) {
            profile = 1;
            continue;
        }
        if (!v) break;
        if (!strcmp(a, "--device")) device = v;
        else if (!strcmp(a, "--rounds")) rounds = atoi(v);
        else if (!strcmp(a, "--round-prompts")) R = atoi(v);
        else if (!strcmp(a, "--important")) K = atoi(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--corpus")) corpus = v;
        else if (!strcmp(a, "--keep")) keep = v;
        else {
            fprintf(stderr, "bench_mlm: unknown argument %s\n", a);
            return 2;
        }
        i++;
    }
    n2g_err err = {0};
    char dir[4096];
    if (keep) snprintf(dir, sizeof dir, "%s", keep);
    else snprintf(dir, sizeof dir, "/tmp/n2g-bench-mlm-%d", (int)getpid());
    double t0 = progress_now();
    if (write_checkpoint(dir, &err)) {
        fprintf(stderr, "bench_mlm: %s\n", err.msg);
        return 1;
    }
    printf("checkpoint: %s (distilbert-base shape, random weights) written in %.1fs\n", dir, progress_now() - t0);
    /* corpus words -> prompts */
    char cpath[4096];
    if (corpus) snprintf(cpath, sizeof cpath, "%s", corpus);
    else snprintf(cpath, sizeof cpath, "%s/data/corpus/moby_dick.txt", getenv("N2G_SHARED_DIR") ? getenv("N2G_SHARED_DIR") : N2G_SHARED_DIR);
    FILE *f = fopen(cpath, "rb");
    if (!f) {
        fprintf(stderr, "bench_mlm: cannot open %s\n", cpath);
        return 1;
    }
    size_t tcap = 1 << 20;
    char *text = malloc(tcap);
    size_t tn = fread(text, 1, tcap, f);
    fclose(f);
    n2g_word *w;
    int nw = n2g_wordsplit(text, tn, &w);
    int n_prompts = R * (rounds + 1);
    pieces_t pc = {malloc(sizeof(char *) * (size_t)n_prompts * PIECES), malloc(sizeof(size_t) * (size_t)n_prompts * PIECES), 0};
    n2g_mlm_prompt *pr = calloc((size_t)n_prompts, sizeof *pr);
    int32_t *ys = malloc(sizeof(int32_t) * (size_t)n_prompts * PIECES);
    float *imps = calloc((size_t)n_prompts * PIECES * PIECES, sizeof(float));
    int wi = 0;
    for (int p = 0; p < n_prompts; p++) {
        int32_t *y = ys + (size_t)p * PIECES;
        float *imp = imps + (size_t)p * PIECES * PIECES;
        for (int k = 0; k < PIECES; k++) {
            y[k] = pc.n;
            if (k == 0) {
                pc.piece[pc.n] = "", pc.len[pc.n++] = 0;
                continue;
            }
            while (!w[wi % nw].is_word) wi++;
            char *s = malloc(w[wi % nw].len + 2);
            s[0] = ' ';
            memcpy(s + 1, text + w[wi % nw].off, w[wi % nw].len);
            pc.piece[pc.n] = s, pc.len[pc.n++] = w[wi % nw].len + 1;
            wi++;
        }
        for (int k = 0; k < K; k++) imp[(size_t)(PSTAR - 3 * k) * PIECES + PSTAR] = 1.0f;
        pr[p] = (n2g_mlm_prompt){y, PIECES, imp, PSTAR};
    }
    n2g_augment_cfg ac;
    n2g_augment_defaults(&ac);
    ac.bos = ac.eot = -1;
    for (int be = 0; be < 2; be++) {
        if (be == 0 && !strcmp(device, "vk")) continue;
        if (be == 1 && !strcmp(device, "cpu")) continue;
        ops_options oo = {.kind = be ? OPS_VK : OPS_CPU, .device = -1, .threads = threads, .quiet = 1, .profile = profile};
        ops_ctx *ctx;
        if (ops_create(&oo, &ctx, &err)) {
            printf("%s backend not available: %s\n", be ? "Vulkan" : "CPU", err.msg);
            continue;
        }
        n2g_mlm *m;
        if (n2g_mlm_open(dir, ctx, 0, &m, &err)) {
            fprintf(stderr, "bench_mlm: %s\n", err.msg);
            return 1;
        }
        double best = 1e30, best_cpu = 0;
        long masked = 0, emitted = 0;
        double fwd = 0;
        for (int r = 0; r <= rounds; r++) { /* round 0: warm-up */
            n2g_tokseq **out = calloc((size_t)R, sizeof *out);
            int *no = calloc((size_t)R, sizeof *no);
            n2g_mlm_stats before = *n2g_mlm_get_stats(m);
            double s = progress_now(), sc = cpu_now();
            if (n2g_augment_mlm(m, pr + (size_t)r * R, R, &ac, NULL, tokstr, &pc, encode, NULL, out, no, &err)) {
                fprintf(stderr, "bench_mlm: %s\n", err.msg);
                return 1;
            }
            double dt = progress_now() - s, dc = cpu_now() - sc;
            const n2g_mlm_stats *st = n2g_mlm_get_stats(m);
            if (r > 0 && dt < best) {
                best = dt, best_cpu = dc;
                masked = st->masked - before.masked, emitted = st->emitted - before.emitted;
                fwd = st->fwd_seconds - before.fwd_seconds;
            }
            for (int i = 0; i < R; i++) {
                for (int a = 0; a < no[i]; a++) free(out[i][a].tok);
                free(out[i]);
            }
            free(out), free(no);
        }
        printf("mlm %s: round of %d prompts (%ld masked texts -> %ld augmented prompts), best of %d: %.3f s wall, "
               "%.3f s CPU (forwards %.3f s, %.0f%%), %.1f masked texts/s, %.3f s per neuron (10 prompts), "
               "%.3f CPU s per neuron\n",
               ops_device_name(ctx), R, masked, emitted, rounds, best, best_cpu, fwd, 100.0 * fwd / best, masked / best,
               best * 10.0 / R, best_cpu * 10.0 / R);
        if (profile) ops_profile_print(ctx, stdout);
        n2g_mlm_close(m);
        ops_destroy(ctx);
    }
    if (!keep) {
        char p[4200];
        const char *files[] = {"config.json", "vocab.txt", "model.safetensors"};
        for (int i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s/%s", dir, files[i]);
            unlink(p);
        }
        rmdir(dir);
    }
    return 0;
}
