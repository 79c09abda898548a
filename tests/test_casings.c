/* test_casings.c — word splitter and casing helpers against the reference's Python
 * (tests/fixtures/wordsplit_cases.json, written by make_wordsplit_fixture.py), and the
 * word-casing table: counting, save/load round trip, bad files. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/json.h"
#include "n2g/method/casings.h"
#include "n2g/method/wordsplit.h"

static void write_file(const char *path, const char *s) {
    FILE *f = fopen(path, "w");
    fputs(s, f);
    fclose(f);
}

static void test_fixture(void) {
    n2g_err err = {0};
    json_doc *d = json_parse_file(check_src_path("tests/fixtures/wordsplit_cases.json"), &err);
    CHECK(d != NULL, "%s", err.msg);
    if (!d) return;
    const json_value *r = json_root(d);
    char buf[512];
    for (size_t i = 0; i < r->n; i++) {
        const json_value *c = &r->items[i];
        const json_value *t = json_get(c, "text"), *toks = json_get(c, "tokens");
        n2g_word *w = NULL;
        int nw = n2g_wordsplit(t->str, t->n, &w);
        int ok = nw == (int)toks->n;
        for (int k = 0; ok && k < nw; k++)
            ok = w[k].len == toks->items[k].n && !memcmp(t->str + w[k].off, toks->items[k].str, w[k].len);
        CHECK(ok, "wordsplit(\"%s\"): %d tokens, python %zu", t->str, nw, toks->n);
        free(w);
        CHECK(n2g_istitle(t->str, t->n) == (json_get(c, "istitle")->type == JSON_TRUE), "istitle(\"%s\")", t->str);
        CHECK(n2g_has_alpha(t->str, t->n) == (json_get(c, "has_alpha")->type == JSON_TRUE), "has_alpha(\"%s\")",
              t->str);
        const char *keys[3] = {"title", "lower", "norm"};
        for (int k = 0; k < 3; k++) {
            size_t n = k == 0 ? n2g_title(t->str, t->n, buf) : k == 1 ? n2g_lower(t->str, t->n, buf)
                                                                     : n2g_word_norm(t->str, t->n, buf);
            const json_value *want = json_get(c, keys[k]);
            CHECK(n == want->n && !memcmp(buf, want->str, n), "%s(\"%s\") = \"%s\", python \"%s\"", keys[k], t->str,
                  buf, want->str);
        }
    }
    CHECK(r->n >= 15, "fixture has %zu cases", r->n);
    json_free(d);
}

static void test_table(void) {
    n2g_err err = {0};
    n2g_casings *t = n2g_casings_new();
    const char *text = "The cat. the Cat and THE cat, the end. Don't don't";
    CHECK(n2g_casings_count_text(t, text, strlen(text), &err) == 0, "%s", err.msg);
    const char *dir = check_tmpdir("casings");
    char path[1024];
    snprintf(path, sizeof path, "%s/w.json", dir);
    CHECK(n2g_casings_save(t, path, &err) == 0, "%s", err.msg);
    n2g_casings_free(t);
    t = NULL;
    CHECK(n2g_casings_load(path, &t, &err) == 0, "%s", err.msg);
    if (!t) return;
    int n;
    const n2g_casing *c = n2g_casings_get(t, "the", 3, &n);
    /* the:2, The:1, THE:1 -> count desc, ties by bytes ("THE" < "The") */
    CHECK(n == 3, "the: %d casings", n);
    if (n == 3) {
        CHECK(c[0].len == 3 && !memcmp(c[0].text, "the", 3) && c[0].count == 2, "most frequent first");
        CHECK(!memcmp(c[1].text, "THE", 3) && !memcmp(c[2].text, "The", 3), "tie order by bytes");
    }
    c = n2g_casings_get(t, "cat", 3, &n);
    CHECK(n == 2 && c[0].count == 2 && !memcmp(c[0].text, "cat", 3), "cat");
    c = n2g_casings_get(t, "don't", 5, &n);
    CHECK(n == 2, "apostrophe words kept whole (%d)", n);
    CHECK(n2g_casings_get(t, "dog", 3, &n) == NULL && n == 0, "absent word");
    CHECK(n2g_casings_words(t) == 5, "5 words, got %zu", n2g_casings_words(t));
    n2g_casings_free(t);

    /* bad files: messages name the file and what was expected */
    const char *bad[][2] = {{"[1,2]", "expected an object"},
                            {"{\"a\": 3}", "word \"a\": expected an array"},
                            {"{\"a\": [[\"A\"]]}", "expected [casing string, count number]"},
                            {"{\"a\": [[1, 2]]}", "expected [casing string, count number]"},
                            /* found by fuzz_casings: inf was accepted, then saved as "inf" (not JSON) */
                            {"{\"a\": [[\"A\", 1e999]]}", "entry 0: count inf is out of range (0 .. 2^53)"},
                            {"{\"a\": [[\"A\", 2], [\"a\", -1]]}", "entry 1: count -1 is out of range"},
                            {"{\"a\": [", "w_bad.json"}};
    snprintf(path, sizeof path, "%s/w_bad.json", dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i][0]);
        n2g_err e2 = {0};
        t = NULL;
        CHECK(n2g_casings_load(path, &t, &e2) == -1 && t == NULL, "bad file %zu accepted", i);
        CHECK(strstr(e2.msg, bad[i][1]) && strstr(e2.msg, "w_bad.json"), "message for %zu: %s", i, e2.msg);
    }
    n2g_err e3 = {0};
    CHECK(n2g_casings_load("/nonexistent/w.json", &t, &e3) == -1 && strstr(e3.msg, "/nonexistent/w.json"),
          "missing file: %s", e3.msg);
}

int main(void) {
    test_fixture();
    test_table();
    return check_finish();
}
