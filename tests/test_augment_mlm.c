/* test_augment_mlm.c — fill-mask augmentation against a Python transcription of the
 * reference's FastAugmenter.augment with bugs (a) and (b) fixed, run with Hugging Face
 * transformers on the tiny DistilBERT (tests/fixtures/distilbert-tiny/augment_golden.json,
 * made by make_distilbert_fixture.py): the augmented texts of every case, in order, on the
 * CPU and Vulkan backends, all cases in one call and in small batches; bad inputs (a masked
 * text longer than max_position_embeddings, a bad --mlm directory) with their messages. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/json.h"
#include "n2g/method/augment_mlm.h"

#define MAXP 16
#define MAXG 128

typedef struct {
    const char *piece[MAXG];
    size_t len[MAXG];
} pieces_t;

static const char *tokstr(void *u, int id, size_t *len) {
    pieces_t *p = u;
    *len = p->len[id];
    return p->piece[id];
}

/* ids = bytes + 1000 (decoded back by the test) */
static int encode(void *u, const char *text, size_t n, int32_t **ids, int *n_ids, n2g_err *err) {
    (void)u, (void)err;
    *ids = malloc(sizeof(int32_t) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) (*ids)[i] = 1000 + (unsigned char)text[i];
    *n_ids = (int)n;
    return 0;
}

typedef struct {
    pieces_t pc;
    int32_t y[MAXP];
    int L, pstar;
    float imp[MAXP * MAXP];
    const json_value *expect;
} case_t;

static void run_all(n2g_mlm *m, case_t *cs, int nc, const n2g_casings *table, const char *what) {
    n2g_err err = {0};
    n2g_augment_cfg c;
    n2g_augment_defaults(&c);
    c.bos = c.eot = 0;
    n2g_mlm_prompt p[16];
    n2g_tokseq *out[16] = {0};
    int nout[16] = {0};
    for (int i = 0; i < nc; i++) p[i] = (n2g_mlm_prompt){cs[i].y, cs[i].L, cs[i].imp, cs[i].pstar};
    /* all cases in one call over one piece table (ids offset per case) */
    static pieces_t all;
    static int32_t ys[16][MAXP];
    int np = 0;
    for (int i = 0; i < nc; i++) {
        for (int k = 0; k < cs[i].L; k++) {
            all.piece[np + k] = cs[i].pc.piece[k], all.len[np + k] = cs[i].pc.len[k];
            ys[i][k] = np + k;
        }
        p[i].y = ys[i];
        np += cs[i].L;
    }
    c.bos = c.eot = -7; /* the cases' BOS pieces ("<|endoftext|>") are never important in the golden */
    int rc = n2g_augment_mlm(m, p, nc, &c, table, tokstr, &all, encode, NULL, out, nout, &err);
    CHECK(rc == 0, "%s: %s", what, err.msg);
    for (int i = 0; i < nc; i++) {
        const json_value *e = cs[i].expect;
        CHECK((size_t)nout[i] == e->n, "%s case %d: %d augmentations, expected %zu", what, i, nout[i], e->n);
        for (int a = 0; a < nout[i]; a++) {
            char buf[512];
            int L = out[i][a].len - 1;
            CHECK(out[i][a].tok[0] == -7, "BOS first");
            for (int k = 0; k < L && k < 511; k++) buf[k] = (char)(out[i][a].tok[k + 1] - 1000);
            buf[L < 511 ? L : 511] = 0;
            int ok = (size_t)a < e->n && !strcmp(buf, e->items[a].str);
            CHECK(ok, "%s case %d #%d: '%s', expected '%s'", what, i, a, buf, (size_t)a < e->n ? e->items[a].str : "-");
            free(out[i][a].tok);
        }
        free(out[i]);
        out[i] = NULL, nout[i] = 0;
    }
}

int main(void) {
    n2g_err err = {0};
    json_doc *d = json_parse_file(check_src_path("tests/fixtures/distilbert-tiny/augment_golden.json"), &err);
    CHECK(d != NULL, "%s", err.msg);
    if (!d) return check_finish();
    n2g_casings *table = NULL;
    CHECK(n2g_casings_load(check_src_path("tests/fixtures/distilbert-tiny/augment_casings.json"), &table, &err) == 0,
          "%s", err.msg);
    const json_value *cases = json_get(json_root(d), "cases");
    case_t cs[16];
    int nc = 0, total = 0;
    for (size_t i = 0; i < cases->n && nc < 16; i++, nc++) {
        case_t *x = &cs[nc];
        memset(x, 0, sizeof *x);
        const json_value *pcs = json_get(&cases->items[i], "pieces"), *imp = json_get(&cases->items[i], "important");
        x->L = (int)pcs->n;
        for (int k = 0; k < x->L; k++) x->pc.piece[k] = pcs->items[k].str, x->pc.len[k] = pcs->items[k].n, x->y[k] = k;
        json_get_int(&cases->items[i], "pstar", "golden", &x->pstar, &err);
        for (size_t k = 0; k < imp->n; k++) x->imp[(int)imp->items[k].num * x->L + x->pstar] = 1.0f;
        x->expect = json_get(&cases->items[i], "augmented");
        total += (int)x->expect->n;
    }
    CHECK(nc == 5 && total > 20, "golden: %d cases, %d augmentations", nc, total);

    ops_ctx *ctxs[2];
    int n = 0;
    ops_options o1 = {.kind = OPS_CPU, .threads = 2};
    CHECK(ops_create(&o1, &ctxs[n], &err) == 0, "%s", err.msg);
    if (ctxs[n]) n++;
    ops_options ov = {.kind = OPS_VK, .device = -1, .quiet = 1};
    if (ops_create(&ov, &ctxs[n], &err) == 0) n++;
    else printf("Vulkan backend not tested: %s\n", err.msg);
    const char *dir = check_src_path("tests/fixtures/distilbert-tiny");
    for (int i = 0; i < n; i++) {
        int sizes[2] = {0, 8}; /* default batches; and one text per batch */
        for (int s = 0; s < 2; s++) {
            n2g_mlm *m;
            int rc = n2g_mlm_open(dir, ctxs[i], sizes[s], &m, &err);
            CHECK(rc == 0, "%s", err.msg);
            if (rc) continue;
            char what[256];
            snprintf(what, sizeof what, "%s, max_tokens %d", ops_device_name(ctxs[i]), sizes[s]);
            run_all(m, cs, nc, table, what);
            const n2g_mlm_stats *st = n2g_mlm_get_stats(m);
            CHECK(st->emitted == total && st->prompts == nc && st->masked >= nc, "stats: %ld emitted, %ld masked",
                  st->emitted, st->masked);
            if (s == 1) CHECK(st->batches == st->masked, "one text per batch: %ld batches", st->batches);
            n2g_augment_cfg c;
            n2g_augment_defaults(&c);
            c.bos = c.eot = 0;
            /* the same prompt twice in one call (two neurons sharing a pruned prompt): its
             * masked texts run once, both get the golden augmentations */
            n2g_mlm_prompt twice[2] = {{cs[2].y, cs[2].L, cs[2].imp, cs[2].pstar}, {cs[2].y, cs[2].L, cs[2].imp, cs[2].pstar}};
            n2g_tokseq *o2[2] = {0};
            int n2[2] = {0};
            long m0 = st->masked, u0 = st->unique;
            rc = n2g_augment_mlm(m, twice, 2, &c, table, tokstr, &cs[2].pc, encode, NULL, o2, n2, &err);
            CHECK(rc == 0, "%s", err.msg);
            CHECK(st->masked - m0 == 2 * (st->unique - u0) && st->unique > u0, "duplicates run once: %ld masked, %ld unique",
                  st->masked - m0, st->unique - u0);
            for (int k = 0; k < 2; k++) {
                CHECK((size_t)n2[k] == cs[2].expect->n, "twice #%d: %d augmentations", k, n2[k]);
                for (int a = 0; a < n2[k]; a++) {
                    int ok = (size_t)(o2[k][a].len - 1) == cs[2].expect->items[a].n;
                    for (int b = 1; ok && b < o2[k][a].len; b++)
                        ok = o2[k][a].tok[b] - 1000 == (unsigned char)cs[2].expect->items[a].str[b - 1];
                    CHECK(ok, "twice #%d, augmentation %d", k, a);
                    free(o2[k][a].tok);
                }
                free(o2[k]);
            }
            /* a masked text longer than max_position_embeddings (64) */
            pieces_t lp = {{0}, {0}};
            int32_t ly[MAXP];
            static float limp[MAXP * MAXP];
            static const char *words = " whale whale whale whale whale whale whale whale whale whale";
            lp.piece[0] = "", lp.len[0] = 0;
            for (int k = 1; k < 8; k++) lp.piece[k] = words, lp.len[k] = strlen(words);
            lp.piece[1] = " whale", lp.len[1] = 6; /* the important word; the rest is long filler */
            for (int k = 0; k < 8; k++) ly[k] = k;
            limp[1 * 8 + 7] = 1.0f;
            n2g_mlm_prompt p = {ly, 8, limp, 7};
            n2g_tokseq *out = NULL;
            int no = 0;
            rc = n2g_augment_mlm(m, &p, 1, &c, table, tokstr, &lp, encode, NULL, &out, &no, &err);
            CHECK(rc != 0 && strstr(err.msg, "more than the model's max_position_embeddings 64"), "%s", err.msg);
            CHECK(no == 0, "nothing emitted on error");
            free(out);
            n2g_mlm_close(m);
        }
    }
    n2g_mlm *m;
    CHECK(n2g_mlm_open(check_src_path("tests/fixtures/gpt2-tiny"), ctxs[0], 0, &m, &err) != 0 &&
              strstr(err.msg, "--mlm ") && strstr(err.msg, "distilbert"),
          "%s", err.msg);
    CHECK(n2g_mlm_open("/nonexistent-mlm", ctxs[0], 0, &m, &err) != 0 && strstr(err.msg, "/nonexistent-mlm/config.json"),
          "%s", err.msg);
    for (int i = 0; i < n; i++) ops_destroy(ctxs[i]);
    n2g_casings_free(table);
    json_free(d);
    return check_finish();
}
