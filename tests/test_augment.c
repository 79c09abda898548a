/* test_augment.c — casing augmentation (n2g-reference §6 with the casing table): which words
 * are substituted (importance >= 0.8 at the pivot, not <|endoftext|>, only up to the pivot),
 * with which casings (table order, not the word itself, at most n), and the reference's
 * title-case rule for MLM candidates. Expected texts are worked out by hand from §6. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "n2g/method/augment.h"

/* a toy tokenizer: pieces " ?[A-Za-z']+" or one other byte; the vocabulary grows as needed */
static char *vocab[256];
static int nvocab;

static int piece_id(const char *s, size_t n) {
    for (int i = 0; i < nvocab; i++)
        if (strlen(vocab[i]) == n && !memcmp(vocab[i], s, n)) return i;
    vocab[nvocab] = strndup(s, n);
    return nvocab++;
}
static const char *toy_str(void *u, int id, size_t *len) {
    (void)u;
    *len = strlen(vocab[id]);
    return vocab[id];
}
static int isw(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\''; }
static int toy_encode(void *u, const char *t, size_t n, int32_t **ids, int *nid, n2g_err *err) {
    (void)u, (void)err;
    *ids = malloc(sizeof(int32_t) * (n + 1));
    *nid = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + (t[i] == ' ' && i + 1 < n && isw(t[i + 1]));
        if (isw(t[j]))
            while (j < n && isw(t[j])) j++;
        else
            j = i + 1;
        (*ids)[(*nid)++] = piece_id(t + i, j - i);
        i = j;
    }
    return 0;
}
static char *detok(const n2g_tokseq *s) {
    static char b[512];
    b[0] = 0;
    for (int i = 1; i < s->len; i++) strcat(b, vocab[s->tok[i]]);
    return b;
}

int main(void) {
    n2g_err err = {0};
    piece_id("<|endoftext|>", 13); /* id 0 = BOS / EOT */
    int32_t y[6] = {0, piece_id(" The", 4), piece_id(" cat", 4), piece_id(" sat", 4), piece_id(" cat", 4),
                    piece_id(".", 1)};
    int L = 6, pstar = 2;
    float imp[36] = {0};
    imp[0 * L + pstar] = 1.0f; /* BOS important but <|endoftext|>: excluded */
    imp[2 * L + pstar] = 0.9f; /* " cat" -> word "cat" (both occurrences qualify; the 2nd is after the pivot) */
    imp[3 * L + pstar] = 0.85f; /* " sat": after the pivot -> loop stops before it */
    imp[1 * L + pstar] = 0.79f; /* " The": below 0.8 */
    n2g_casings *tab = n2g_casings_new();
    const char *corpus = "cat cat cat cat Cat Cat CAT sat Sat The THE the";
    n2g_casings_count_text(tab, corpus, strlen(corpus), &err);
    n2g_casings_sort(tab);
    n2g_augment_cfg cfg;
    n2g_augment_defaults(&cfg);
    cfg.bos = cfg.eot = 0;
    n2g_tokseq *out = NULL;
    int n = 0;
    CHECK(n2g_augment_casings(y, L, imp, pstar, &cfg, tab, toy_str, NULL, toy_encode, NULL, &out, &n, &err) == 0, "%s",
          err.msg);
    /* "cat" occurs at offsets 4 (<= maxpos) and 12 (> maxpos, the loop breaks there) */
    CHECK(n == 2, "expected 2 augmentations, got %d", n);
    if (n == 2) {
        CHECK(!strcmp(detok(&out[0]), " The Cat sat cat."), "aug 0: '%s'", detok(&out[0]));
        CHECK(!strcmp(detok(&out[1]), " The CAT sat cat."), "aug 1: '%s'", detok(&out[1]));
        CHECK(out[0].tok[0] == 0, "BOS prepended");
    }
    for (int i = 0; i < n; i++) free(out[i].tok);
    free(out);
    /* n = 1 caps substitutions per word; pivot word itself augmented when important */
    cfg.n = 1;
    out = NULL;
    n = 0;
    imp[2 * L + pstar] = 0.5f;
    imp[1 * L + pstar] = 0.95f; /* " The" */
    CHECK(n2g_augment_casings(y, L, imp, pstar, &cfg, tab, toy_str, NULL, toy_encode, NULL, &out, &n, &err) == 0, "%s",
          err.msg);
    CHECK(n == 1 && !strcmp(detok(&out[0]), " THE cat sat cat."), "n=1: %d '%s'", n, n ? detok(&out[0]) : "");
    for (int i = 0; i < n; i++) free(out[i].tok);
    free(out);
    /* nothing important -> nothing */
    memset(imp, 0, sizeof imp);
    out = NULL;
    n = 0;
    CHECK(n2g_augment_casings(y, L, imp, pstar, &cfg, tab, toy_str, NULL, toy_encode, NULL, &out, &n, &err) == 0 &&
              n == 0,
          "no important words: %d", n);
    free(out);
    /* the reference's casing of MLM candidates: title-case original -> c.title(), else table[c][0] */
    char buf[64];
    CHECK(n2g_augment_case_candidate("The", 3, "dog", 3, tab, buf, sizeof buf) == 3 && !strcmp(buf, "Dog"), "%s", buf);
    CHECK(n2g_augment_case_candidate("the", 3, "cat", 3, tab, buf, sizeof buf) == 3 && !strcmp(buf, "cat"), "%s", buf);
    CHECK(n2g_augment_case_candidate("the", 3, "sat", 3, tab, buf, sizeof buf) == 3 && !strcmp(buf, "Sat"), "%s", buf);
    CHECK(n2g_augment_case_candidate("THE", 3, "zebra", 5, tab, buf, sizeof buf) == 5 && !strcmp(buf, "zebra"), "%s",
          buf);
    n2g_casings_free(tab);
    for (int i = 0; i < nvocab; i++) free(vocab[i]);
    return check_finish();
}
