/* gpt2_plant.c — builds the planted GPT-2 (see gpt2_plant.h and docs/plant.md).
 *
 * Residual stream (n_embd 64), dimension by dimension:
 *   0  D_TOKEN     FEAT on the token rule's token(s), else 0
 *   1  D_SET       FEAT on the set rule's tokens
 *   2  D_PREVSRC   FEAT on the bigram's first token(s) (read by the previous-token head)
 *   3  D_BIGRAM    FEAT on the bigram's second token(s)
 *   4,5            written by layer 0 head 0: (+A,-A) when the previous token is a bigram first
 *                  token, (-A,+A) otherwise (always zero-sum, constant norm)
 *   6..29 D_POS    wpe: for each of 8 periods P_k, the 3-phase triple R cos(2 pi t/P_k + 2 pi j/3)
 *                  (zero-sum, constant norm, and every rotation of it is linear in it)
 *   30..63 D_FREE  random per token (wte), written to by every random head and neuron
 * Every wte row is zero-sum with |row|^2 = TOK_NORM2, so LayerNorm of tok+pos is an exact
 * division by one constant; random writers write zero-sum rows into D_FREE only, so the mean
 * stays 0 and the norm moves by ~1 %. Rule neurons read only their dedicated dimensions and
 * write nothing (zero c_proj rows), so they cannot disturb each other.
 *
 * Layer 0 head 0 attends from t to t-1: q_t = beta (cos th_k (t-1), sin th_k (t-1))_k,
 * k_s = beta (cos th_k s, sin th_k s)_k, so q.k/sqrt(16) = ATT_SCALE sum_k cos(th_k (t-1-s)),
 * which is 8 * ATT_SCALE at s = t-1 and lower at any other s in [0, t] by at least
 * 1.95 * ATT_SCALE for t < 1024 and 1.58 * ATT_SCALE for t < 4096 (periods 3, 7, 17, 41, 101,
 * 251, 619, 1523): softmax weight >= 0.9999 on t-1. Its value is the
 * D_PREVSRC feature mapped to +-A, copied by c_proj into dims 4 and 5.
 */
#include "model/gpt2_plant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_write.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/outdir.h"
#include "common/paths.h"
#include "model/st_write.h"
#include "text/bpe.h"

enum { P_LAYERS = 2, P_C = 64, P_HEADS = 4, P_HD = 16, P_MLP = 256, P_V = 50257 };
enum { D_TOKEN = 0, D_SET = 1, D_PREVSRC = 2, D_BIGRAM = 3, D_PREV_POS = 4, D_PREV_NEG = 5, D_POS = 6 };
enum { N_FREQ = 8, D_FREE = D_POS + 3 * N_FREQ, N_FREE = P_C - D_FREE };
static const int PERIODS[N_FREQ] = {3, 7, 17, 41, 101, 251, 619, 1523};

#define LN_EPS 1e-5
#define FEAT 3.0       /* value of a token feature in its dedicated dimension */
#define TOK_NORM2 40.0 /* |wte[v]|^2 for every token v */
#define POS_AMP 1.0    /* amplitude of each positional triple: |wpe[t]|^2 = 1.5 * 8 * POS_AMP^2 */
#define ATT_SCALE 8.0  /* previous-token head logit per unit of cosine */
#define PREV_AMP 1.0   /* +-A written by the previous-token head */
#define ON_PRE 5.0     /* rule neuron pre-activation when the rule holds */
#define OFF_PRE (-3.0) /* ... when no part of it holds */
#define NEAR_PRE (-2.0) /* bigram: only one of the two tokens right */
/* random weights (standard deviations) */
#define R_ATT_IN 0.25
#define R_ATT_OUT 0.004
#define R_FC_IN 0.15
#define R_FC_B 0.3
#define R_FC_OUT 0.004

typedef struct rule_def {
    const char *name, *kind, *desc;
    int layer, neuron, dim;
    const char *tok[4];
    int ntok;
    const char *prev[1];
    int nprev;
} rule_def;

static const rule_def RULES[] = {
    {"token", "token", "fires on the token ' little' and nowhere else", 0, 37, D_TOKEN, {" little"}, 1, {NULL}, 0},
    {"token_set", "token_set", "fires on either of the tokens ' their', ' them'", 0, 150, D_SET, {" their", " them"}, 2,
     {NULL}, 0},
    {"bigram", "bigram", "fires on ' the' only when the token right before it is ' of'", 1, 200, D_BIGRAM, {" the"}, 1,
     {" of"}, 1},
};
enum { N_RULES = sizeof RULES / sizeof RULES[0] };

/* ---- deterministic random numbers (no libm, same on every platform) ---- */
static uint64_t sm64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double unif(uint64_t *s) { return (double)(sm64(s) >> 11) * 0x1.0p-53; }
/* Irwin-Hall approximation of N(0, 1). */
static double gauss(uint64_t *s) {
    double a = 0;
    for (int i = 0; i < 12; i++) a += unif(s);
    return a - 6.0;
}

static double gelu_new(double x) { return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))); }

static int token_id(const bpe_tokenizer *tok, const char *vocab_path, const char *s, n2g_err *err) {
    int id = bpe_token_id(tok, s, strlen(s));
    if (id < 0) return n2g_fail(err, "%s: token \"%s\" not in the vocabulary", vocab_path, s);
    return id;
}

/* ---- the weights ---- */
enum { MAX_T = 4 + 12 * P_LAYERS };
typedef struct plant_w {
    st_tensor t[MAX_T];
    char names[MAX_T][64];
    size_t nt;
} plant_w;

static float *add_tensor(plant_w *w, const char *name, int64_t d0, int64_t d1) {
    st_tensor *t = &w->t[w->nt];
    snprintf(w->names[w->nt], sizeof w->names[0], "%s", name);
    t->name = w->names[w->nt];
    t->ndim = d1 ? 2 : 1;
    t->shape[0] = d0;
    t->shape[1] = d1;
    float *p = calloc((size_t)(d0 * (d1 ? d1 : 1)), sizeof *p);
    t->data = p;
    if (p) w->nt++;
    return p;
}

static void free_w(plant_w *w) {
    for (size_t i = 0; i < w->nt; i++) free((void *)w->t[i].data);
    w->nt = 0;
}

static void fill_ones(float *p, int n) {
    for (int i = 0; i < n; i++) p[i] = 1.0f;
}

/* Random zero-sum row over D_FREE of a [*, C] output projection row. */
static void random_free_row(float *row, double sd, uint64_t *s) {
    double z[N_FREE], m = 0;
    for (int j = 0; j < N_FREE; j++) m += (z[j] = gauss(s) * sd);
    m /= N_FREE;
    for (int j = 0; j < N_FREE; j++) row[D_FREE + j] = (float)(z[j] - m);
}

/* Random heads: q, k, v columns of head h read every dimension; c_proj rows of the head
 * write zero-sum noise into D_FREE.  qkv: [C, 3C], proj: [C, C]. */
static void random_head(float *qkv, float *proj, int h, uint64_t *s) {
    for (int in = 0; in < P_C; in++)
        for (int part = 0; part < 3; part++)
            for (int i = 0; i < P_HD; i++) qkv[in * 3 * P_C + part * P_C + h * P_HD + i] = (float)(gauss(s) * R_ATT_IN);
    for (int i = 0; i < P_HD; i++) random_free_row(proj + (size_t)(h * P_HD + i) * P_C, R_ATT_OUT, s);
}

/* Layer 0 head 0: attends to the previous position and writes +-A into dims 4/5.
 * sig = LayerNorm's divisor for tok + pos. qkv: [C, 3C], qkv_b: [3C], proj: [C, C]. */
static void prev_token_head(float *qkv, float *qkv_b, float *proj, double sig) {
    double beta = sqrt(ATT_SCALE * sqrt((double)P_HD));
    for (int k = 0; k < N_FREQ; k++) {
        double th = 2.0 * M_PI / PERIODS[k];
        for (int j = 0; j < 3; j++) {
            double psi = 2.0 * M_PI * j / 3.0;
            double a = 2.0 * sig / (3.0 * POS_AMP) * cos(psi);  /* cos(th t) = sum_j a_j ln_j */
            double b = -2.0 * sig / (3.0 * POS_AMP) * sin(psi); /* sin(th t) = sum_j b_j ln_j */
            float *row = qkv + (size_t)(D_POS + 3 * k + j) * 3 * P_C;
            row[2 * k] = (float)(beta * (a * cos(th) + b * sin(th))); /* q: cos th (t-1) */
            row[2 * k + 1] = (float)(beta * (b * cos(th) - a * sin(th))); /* q: sin th (t-1) */
            row[P_C + 2 * k] = (float)(beta * a);                         /* k: cos th s */
            row[P_C + 2 * k + 1] = (float)(beta * b);                     /* k: sin th s */
        }
    }
    qkv[(size_t)D_PREVSRC * 3 * P_C + 2 * P_C] = (float)(2.0 * PREV_AMP * sig / FEAT);
    qkv_b[2 * P_C] = (float)-PREV_AMP;
    proj[D_PREV_POS] = 1.0f;
    proj[D_PREV_NEG] = -1.0f;
}

static int is_rule_neuron(int layer, int n) {
    for (int r = 0; r < N_RULES; r++)
        if (RULES[r].layer == layer && RULES[r].neuron == n) return 1;
    return 0;
}

/* Fills every tensor. ids[r][i] / prev_ids[r][i]: token ids of RULES[r]. */
static int build(plant_w *w, const gpt2_plant_options *opt, int ids[][4], int prev_ids[][1], n2g_err *err) {
    const int C = P_C, V = P_V, T = opt->n_ctx;
    char name[64];
    float *wte = add_tensor(w, "wte.weight", V, C);
    float *wpe = add_tensor(w, "wpe.weight", T, C);
    if (!wte || !wpe) return n2g_fail(err, "plant: out of memory");
    uint64_t s = opt->seed * 0x2545F4914F6CDD1Dull + 1;

    /* token embeddings: features + zero-sum random part, |row|^2 = TOK_NORM2 */
    for (int v = 0; v < V; v++) {
        float *row = wte + (size_t)v * C;
        for (int r = 0; r < N_RULES; r++) {
            for (int i = 0; i < RULES[r].ntok; i++)
                if (ids[r][i] == v) row[RULES[r].dim] = (float)FEAT;
            for (int i = 0; i < RULES[r].nprev; i++)
                if (prev_ids[r][i] == v) row[D_PREVSRC] = (float)FEAT;
        }
        double sf = 0, sf2 = 0;
        for (int d = 0; d < D_FREE; d++) sf += row[d], sf2 += (double)row[d] * row[d];
        double z[N_FREE], m = 0, n2 = 0, c = -sf / N_FREE;
        for (int j = 0; j < N_FREE; j++) m += (z[j] = gauss(&s));
        m /= N_FREE;
        for (int j = 0; j < N_FREE; j++) z[j] -= m, n2 += z[j] * z[j];
        double scale = sqrt((TOK_NORM2 - sf2 - N_FREE * c * c) / n2);
        for (int j = 0; j < N_FREE; j++) row[D_FREE + j] = (float)(c + z[j] * scale);
    }
    /* positions: 3-phase sinusoids */
    for (int t = 0; t < T; t++)
        for (int k = 0; k < N_FREQ; k++)
            for (int j = 0; j < 3; j++)
                wpe[(size_t)t * C + D_POS + 3 * k + j] =
                    (float)(POS_AMP * cos(2.0 * M_PI * ((double)(t % PERIODS[k]) / PERIODS[k] + j / 3.0)));

    double pos2 = 1.5 * N_FREQ * POS_AMP * POS_AMP;
    double sig1 = sqrt((TOK_NORM2 + pos2) / C + LN_EPS);                        /* ln_1 divisor */
    double sig2 = sqrt((TOK_NORM2 + pos2 + 2 * PREV_AMP * PREV_AMP) / C + LN_EPS); /* ln_2 divisor */

    for (int l = 0; l < P_LAYERS; l++) {
        float *p[12];
        static const char *sfx[12] = {"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
                                      "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
                                      "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"};
        static const int shp[12][2] = {{P_C, 0}, {P_C, 0}, {P_C, 3 * P_C}, {3 * P_C, 0}, {P_C, P_C}, {P_C, 0},
                                       {P_C, 0}, {P_C, 0}, {P_C, P_MLP},   {P_MLP, 0},   {P_MLP, P_C}, {P_C, 0}};
        for (int i = 0; i < 12; i++) {
            snprintf(name, sizeof name, "h.%d.%s", l, sfx[i]);
            if (!(p[i] = add_tensor(w, name, shp[i][0], shp[i][1]))) return n2g_fail(err, "plant: out of memory");
        }
        float *ln1_g = p[0], *qkv = p[2], *qkv_b = p[3], *proj = p[4], *ln2_g = p[6], *fc = p[8], *fc_b = p[9],
              *mp = p[10];
        fill_ones(ln1_g, C);
        fill_ones(ln2_g, C);
        for (int h = 0; h < P_HEADS; h++) {
            if (l == 0 && h == 0)
                prev_token_head(qkv, qkv_b, proj, sig1);
            else
                random_head(qkv, proj, h, &s);
        }
        for (int n = 0; n < P_MLP; n++) {
            if (is_rule_neuron(l, n)) continue;
            for (int in = 0; in < C; in++) fc[(size_t)in * P_MLP + n] = (float)(gauss(&s) * R_FC_IN);
            fc_b[n] = (float)(gauss(&s) * R_FC_B);
            random_free_row(mp + (size_t)n * C, R_FC_OUT, &s);
        }
        for (int r = 0; r < N_RULES; r++) {
            if (RULES[r].layer != l) continue;
            int n = RULES[r].neuron;
            if (RULES[r].nprev == 0) { /* pre = ON_PRE if the feature is present, else OFF_PRE */
                fc[(size_t)RULES[r].dim * P_MLP + n] = (float)((ON_PRE - OFF_PRE) * sig2 / FEAT);
                fc_b[n] = (float)OFF_PRE;
            } else { /* pre = U [token] + W [prev] (+-1) + b: both -> ON, one -> NEAR, none -> lower */
                double W = (ON_PRE - NEAR_PRE) / 2, U = ON_PRE - NEAR_PRE, b = NEAR_PRE - W;
                fc[(size_t)RULES[r].dim * P_MLP + n] = (float)(U * sig2 / FEAT);
                fc[(size_t)D_PREV_POS * P_MLP + n] = (float)(W * sig2 / (2 * PREV_AMP));
                fc[(size_t)D_PREV_NEG * P_MLP + n] = (float)(-W * sig2 / (2 * PREV_AMP));
                fc_b[n] = (float)b;
            }
        }
    }
    float *lnf_g = add_tensor(w, "ln_f.weight", C, 0), *lnf_b = add_tensor(w, "ln_f.bias", C, 0);
    if (!lnf_g || !lnf_b) return n2g_fail(err, "plant: out of memory");
    fill_ones(lnf_g, C);
    return 0;
}

/* ---- files ---- */
static int write_mem(const char *dir, const char *file, char *buf, size_t len, n2g_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int rc = n2g_atomic_write_buf(path, buf, len, err);
    free(buf);
    return rc;
}

static int copy_file(const char *src, const char *dir, const char *file, n2g_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return n2g_atomic_copy(src, path, err);
}

static void write_tok_list(FILE *f, const int *ids, const char *const *strs, int n) {
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s{\"id\": %d, \"text\": ", i ? ", " : "", ids[i]);
        json_write_string(f, strs[i], strlen(strs[i]));
        fputc('}', f);
    }
    fputc(']', f);
}

static int write_planted(const char *dir, const gpt2_plant_options *opt, int ids[][4], int prev_ids[][1],
                         n2g_err *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return n2g_fail(err, "plant: out of memory");
    fprintf(f, "{\n  \"format\": \"n2g-planted-1\",\n  \"seed\": %llu,\n", (unsigned long long)opt->seed);
    fprintf(f, "  \"model\": {\"n_layer\": %d, \"n_embd\": %d, \"n_head\": %d, \"d_mlp\": %d, \"n_ctx\": %d, "
               "\"vocab_size\": %d, \"activation_function\": \"gelu_new\"},\n",
            P_LAYERS, P_C, P_HEADS, P_MLP, opt->n_ctx, P_V);
    fprintf(f, "  \"hook\": \"mlp.hook_post\",\n  \"fire_threshold\": 0.5,\n  \"mask_token_id\": 1,\n");
    fprintf(f, "  \"condition\": \"fires at position t iff tok[t] in tokens and (prev_tokens is empty or (t >= 1 and "
               "tok[t-1] in prev_tokens)); firing means hook_post >= fire_threshold * the neuron's max\",\n");
    fprintf(f, "  \"designed\": {\"pre_on\": %g, \"pre_off\": %g, \"pre_near_miss\": %g, \"act_on\": %.6f, "
               "\"act_off\": %.6f, \"act_near_miss\": %.6f},\n",
            ON_PRE, OFF_PRE, NEAR_PRE, gelu_new(ON_PRE), gelu_new(OFF_PRE), gelu_new(NEAR_PRE));
    fprintf(f, "  \"prev_token_head\": {\"layer\": 0, \"head\": 0},\n  \"neurons\": [\n");
    for (int r = 0; r < N_RULES; r++) {
        const rule_def *d = &RULES[r];
        fprintf(f, "    {\"name\": \"%s\", \"rule\": \"%s\", \"layer\": %d, \"neuron\": %d, "
                   "\"hook\": \"blocks.%d.mlp.hook_post\",\n     \"description\": ",
                d->name, d->kind, d->layer, d->neuron, d->layer);
        json_write_string(f, d->desc, strlen(d->desc));
        fprintf(f, ",\n     \"tokens\": ");
        write_tok_list(f, ids[r], d->tok, d->ntok);
        fprintf(f, ",\n     \"prev_tokens\": ");
        write_tok_list(f, prev_ids[r], d->prev, d->nprev);
        fprintf(f, "}%s\n", r + 1 < N_RULES ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    if (fclose(f) != 0) {
        free(buf);
        return n2g_fail(err, "plant: out of memory");
    }
    return write_mem(dir, "planted.json", buf, len, err);
}

static int write_config(const char *dir, const gpt2_plant_options *opt, n2g_err *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return n2g_fail(err, "plant: out of memory");
    fprintf(f,
            "{\n  \"architectures\": [\"GPT2LMHeadModel\"],\n  \"model_type\": \"gpt2\",\n"
            "  \"vocab_size\": %d,\n  \"n_positions\": %d,\n  \"n_ctx\": %d,\n  \"n_embd\": %d,\n"
            "  \"n_layer\": %d,\n  \"n_head\": %d,\n  \"activation_function\": \"gelu_new\",\n"
            "  \"layer_norm_epsilon\": 1e-05,\n  \"initializer_range\": 0.02,\n  \"resid_pdrop\": 0.0,\n"
            "  \"embd_pdrop\": 0.0,\n  \"attn_pdrop\": 0.0,\n  \"scale_attn_weights\": true,\n"
            "  \"bos_token_id\": 50256,\n  \"eos_token_id\": 50256,\n  \"torch_dtype\": \"float32\"\n}\n",
            P_V, opt->n_ctx, opt->n_ctx, P_C, P_LAYERS, P_HEADS);
    if (fclose(f) != 0) {
        free(buf);
        return n2g_fail(err, "plant: out of memory");
    }
    return write_mem(dir, "config.json", buf, len, err);
}

/* Finds name_a or name_b in dir. */
static int find_in(const char *dir, const char *a, const char *b, char *out, size_t cap, n2g_err *err) {
    struct stat st;
    snprintf(out, cap, "%s/%s", dir, a);
    if (!stat(out, &st)) return 0;
    snprintf(out, cap, "%s/%s", dir, b);
    if (!stat(out, &st)) return 0;
    return n2g_fail(err, "%s: no %s or %s (expected the GPT-2 tokenizer files)", dir, a, b);
}

#define PLANT_MARKER ".n2g-plant"

/* an earlier plant's directory: planted.json in its format */
static int planted_dir(const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/planted.json", dir);
    json_doc *d = json_parse_file(path, NULL);
    const json_value *f = d ? json_get(json_root(d), "format") : NULL;
    int yes = f && f->type == JSON_STRING && !strncmp(f->str, "n2g-planted", 11);
    json_free(d);
    return yes;
}

int gpt2_plant_write(const char *out_dir, const gpt2_plant_options *opt, n2g_err *err) {
    if (opt->n_ctx < 8 || opt->n_ctx > GPT2_PLANT_MAX_NCTX)
        return n2g_failc(err, N2G_E_USAGE, "plant: n_ctx %d not in 8..%d", opt->n_ctx, GPT2_PLANT_MAX_NCTX);
    const char *vdir = opt->vocab_dir ? opt->vocab_dir : n2g_default_vocab_dir();
    char vocab_path[4096], merges_path[4096];
    if (find_in(vdir, "vocab.json", "encoder.json", vocab_path, sizeof vocab_path, err) ||
        find_in(vdir, "merges.txt", "vocab.bpe", merges_path, sizeof merges_path, err))
        return -1;
    bpe_tokenizer *tok = bpe_load_files(vocab_path, merges_path, err);
    if (!tok) return -1;
    if (bpe_vocab_size(tok) != P_V) {
        bpe_free(tok);
        return n2g_fail(err, "%s: expected the %d GPT-2 tokens, found %d", vocab_path, P_V, bpe_vocab_size(tok));
    }
    int ids[N_RULES][4], prev_ids[N_RULES][1], bad = 0;
    for (int r = 0; r < N_RULES && !bad; r++) {
        for (int i = 0; i < RULES[r].ntok && !bad; i++)
            bad = (ids[r][i] = token_id(tok, vocab_path, RULES[r].tok[i], err)) < 0;
        for (int i = 0; i < RULES[r].nprev && !bad; i++)
            bad = (prev_ids[r][i] = token_id(tok, vocab_path, RULES[r].prev[i], err)) < 0;
    }
    bpe_free(tok);
    if (bad) return -1;

    if (!opt->force && n2g_outdir_foreign(out_dir, PLANT_MARKER, planted_dir))
        return n2g_failc(err, N2G_E_USAGE,
                         "%s: the directory is not empty and was not written by n2g plant (no planted.json); choose a "
                         "new or empty directory, or pass --force to replace its model files",
                         out_dir);
    if (n2g_make_dir(out_dir, 0, err)) return -1; /* "exists and is not a directory" too */
    /* first: an interrupted plant is still recognised as n2g's own */
    if (n2g_outdir_mark(out_dir, PLANT_MARKER, "n2g plant is writing this directory\n", err)) return -1;

    plant_w w = {0};
    char path[4096];
    int rc = build(&w, opt, ids, prev_ids, err);
    if (!rc) {
        snprintf(path, sizeof path, "%s/model.safetensors", out_dir);
        rc = st_write_f32(path, w.t, w.nt, err);
    }
    free_w(&w);
    if (!rc) rc = write_config(out_dir, opt, err);
    if (!rc) rc = copy_file(vocab_path, out_dir, "vocab.json", err);
    if (!rc) rc = copy_file(merges_path, out_dir, "merges.txt", err);
    if (!rc) rc = write_planted(out_dir, opt, ids, prev_ids, err); /* last: its presence means complete */
    if (!rc) {
        snprintf(path, sizeof path, "%s/%s", out_dir, PLANT_MARKER);
        unlink(path); /* planted.json marks the directory from now on */
    }
    return rc;
}
