/* test_wordpiece.c — the BERT uncased tokenizer against Hugging Face: golden ids from
 * BertTokenizer and BertTokenizerFast (tests/fixtures/wordpiece/golden.json, made by
 * tests/fixtures/make_distilbert_fixture.py with a vocab trained by tokenizers'
 * BertWordPieceTokenizer on the shared corpora); the basic tokenizer's words against
 * tokenizers' normalizer + pre-tokenizer on more scripts (basic_golden.json); and bad
 * vocabularies with their messages. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/json.h"
#include "text/wordpiece.h"

typedef struct {
    char buf[4096];
    size_t n;
    int words;
} collect_t;

static int collect(void *u, const char *w, size_t n) {
    collect_t *c = u;
    if (c->n + n + 1 < sizeof c->buf) {
        memcpy(c->buf + c->n, w, n);
        c->buf[c->n + n] = '|';
        c->n += n + 1;
    }
    c->words++;
    return 0;
}

/* the basic tokenizer's words against tokenizers' normalizer + pre-tokenizer */
static void basic_golden(void) {
    n2g_err err = {0};
    json_doc *d = json_parse_file(check_src_path("tests/fixtures/wordpiece/basic_golden.json"), &err);
    CHECK(d != NULL, "%s", err.msg);
    const json_value *g = d ? json_root(d) : NULL;
    size_t cases = 0;
    for (size_t i = 0; g && i < g->n; i++, cases++) {
        const json_value *text = json_get(&g->items[i], "text"), *words = json_get(&g->items[i], "words");
        collect_t got = {{0}, 0, 0}, want = {{0}, 0, 0};
        CHECK(wp_basic_tokenize(text->str, text->n, collect, &got, &err) == 0, "%s", err.msg);
        for (size_t k = 0; k < words->n; k++) collect(&want, words->items[k].str, words->items[k].n);
        CHECK(got.n == want.n && !memcmp(got.buf, want.buf, got.n), "basic case %zu: got '%.*s', expected '%.*s'", i,
              (int)got.n, got.buf, (int)want.n, want.buf);
    }
    CHECK(cases >= 28, "basic golden cases: %zu", cases);
    json_free(d);
}

static void write_file(const char *path, const char *s) {
    FILE *f = fopen(path, "wb");
    fputs(s, f);
    fclose(f);
}

int main(void) {
    n2g_err err = {0};
    wp_vocab *v = NULL;
    int rc = wp_load(check_src_path("tests/fixtures/wordpiece/vocab.txt"), &v, &err);
    CHECK(rc == 0, "%s", err.msg);
    if (rc) return check_finish();
    CHECK(wp_size(v) == 1000, "vocab size %d", wp_size(v));
    const wp_special_ids *sp = wp_specials(v);
    CHECK(sp->pad == 0 && sp->unk == 1 && sp->cls == 2 && sp->sep == 3 && sp->mask == 4, "special ids");
    size_t tl;
    const char *t = wp_token(v, sp->mask, &tl);
    CHECK(t && tl == 6 && !strcmp(t, "[MASK]"), "token text");
    CHECK(wp_token(v, 1000, NULL) == NULL && wp_token(v, -1, NULL) == NULL, "out of range id");

    json_doc *d = json_parse_file(check_src_path("tests/fixtures/wordpiece/golden.json"), &err);
    CHECK(d != NULL, "%s", err.msg);
    const json_value *g = d ? json_root(d) : NULL;
    int cases = 0;
    for (size_t i = 0; g && i < g->n; i++) {
        const json_value *text = json_get(&g->items[i], "text");
        wp_ids ids = {0};
        CHECK(wp_encode(v, text->str, text->n, &ids, &err) == 0, "%s", err.msg);
        const char *which[2] = {"slow", "fast"};
        for (int w = 0; w < 2; w++) {
            const json_value *e = json_get(&g->items[i], which[w]);
            int ok = e->n == ids.n;
            for (size_t k = 0; ok && k < ids.n; k++) ok = (int)e->items[k].num == ids.ids[k];
            CHECK(ok, "case %zu (%s tokenizer): %zu ids, expected %zu; text '%.60s'", i, which[w], ids.n, e->n,
                  text->str);
            if (!ok)
                for (size_t k = 0; k < ids.n || k < e->n; k++)
                    fprintf(stderr, "  [%zu] got %d expected %d\n", k, k < ids.n ? ids.ids[k] : -1,
                            k < e->n ? (int)e->items[k].num : -1);
        }
        free(ids.ids);
        cases++;
    }
    CHECK(cases >= 15, "golden cases: %d", cases);
    json_free(d);
    wp_free(v);
    basic_golden();

    /* bad vocabularies */
    const char *dir = check_tmpdir("wordpiece");
    char path[1024];
    snprintf(path, sizeof path, "%s/dup.txt", dir);
    write_file(path, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nof\nthe\n");
    CHECK(wp_load(path, &v, &err) != 0 && strstr(err.msg, "'the' appears twice (lines 6 and 8)"), "%s", err.msg);
    snprintf(path, sizeof path, "%s/nomask.txt", dir);
    write_file(path, "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nthe\r\n");
    CHECK(wp_load(path, &v, &err) != 0 && strstr(err.msg, "no [MASK] token"), "%s", err.msg);
    snprintf(path, sizeof path, "%s/missing.txt", dir);
    CHECK(wp_load(path, &v, &err) != 0 && strstr(err.msg, "cannot open"), "%s", err.msg);
    snprintf(path, sizeof path, "%s/crlf.txt", dir);
    write_file(path, "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[MASK]\r\nthe\r\n##s\r\n");
    CHECK(wp_load(path, &v, &err) == 0, "%s", err.msg);
    if (v) {
        wp_ids ids = {0};
        CHECK(wp_encode(v, "The thes xyz", 12, &ids, &err) == 0, "%s", err.msg);
        CHECK(ids.n == 4 && ids.ids[0] == 5 && ids.ids[1] == 5 && ids.ids[2] == 6 && ids.ids[3] == 1, "crlf vocab ids");
        free(ids.ids);
        wp_free(v);
    }
    return check_finish();
}
