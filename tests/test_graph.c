/* test_graph.c — hand-made cases for every rule of the N2G graph (n2g-reference.md §7-§9).
 * Expected values are worked out by hand from the rules, in the comments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "graph_fixture.h"
#include "n2g/graph/evaluate.h"
#include "n2g/graph/predict.h"

static float pred_last(const n2g_graph *g, const n2g_vocab *v, const int *toks, int n) {
    int32_t ids[64];
    for (int i = 0; i < n; i++) ids[i] = toks[i];
    return n2g_predict_at(g, v, ids, (size_t)n - 1);
}

#define PRED(g, v, ...) pred_last(g, v, (const int[]){__VA_ARGS__}, (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)))

static n2g_graph *fit(n2g_sample *s, int n, const n2g_vocab *v) {
    n2g_err err = {0};
    n2g_graph *g = n2g_fit(s, (size_t)n, v, NULL, &err);
    if (!g) fprintf(stderr, "fit failed: %s\n", err.msg);
    return g;
}

/* Activation threshold: a line starts when act > 0.5 (strictly). */
static void test_activation_threshold(const n2g_vocab *v) {
    float vals[3] = {nextafterf(0.5f, 0.0f), 0.5f, nextafterf(0.5f, 1.0f)};
    float want[3] = {0.0f, 0.0f, vals[2]};
    for (int k = 0; k < 3; k++) {
        n2g_sample s = fx_sample(3, (int[]){T_EOS, T_cat, T_sat}, (float[]){0, 0, vals[k]}, -1);
        n2g_graph *g = fit(&s, 1, v);
        CHECK(g && PRED(g, v, T_dog, T_sat) == want[k], "activation %.9g: predicted %g, want %g", vals[k],
              g ? PRED(g, v, T_dog, T_sat) : -1, want[k]);
        n2g_graph_free(g);
        fx_free(&s, 1);
    }
}

/* The activator flag (a node's own token activated): > 0.5 strictly, as the line start. */
static void test_activator_threshold(const n2g_vocab *v) {
    float vals[3] = {nextafterf(0.5f, 0.0f), 0.5f, nextafterf(0.5f, 1.0f)};
    for (int k = 0; k < 3; k++) {
        n2g_sample s = fx_sample(3, (int[]){T_EOS, T_cat, T_sat}, (float[]){0, vals[k], 0.9f}, -1);
        fx_imp(&s, 1, 2, 0.9f);
        n2g_graph *g = fit(&s, 1, v);
        int32_t sat = n2g_trie_child(&g->trie, 0, v->cls[T_sat]);
        int32_t cat = sat >= 0 ? n2g_trie_child(&g->trie, sat, v->cls[T_cat]) : -1;
        CHECK(cat >= 0 && g->trie.nodes[cat].v.activator == (k == 2), "context activation %.9g: activator %d", vals[k],
              cat >= 0 ? g->trie.nodes[cat].v.activator : -1);
        /* the context token also starts its own line only above 0.5 */
        CHECK((n2g_trie_child(&g->trie, 0, v->cls[T_cat]) >= 0) == (k == 2), "cat line at %.9g", vals[k]);
        n2g_graph_free(g);
        fx_free(&s, 1);
    }
}

/* Importance threshold: a context token is kept when importance > 0.75, else a wildcard
 * (a trailing wildcard is dropped, so the line is just [sat, END]). */
static void test_importance_threshold(const n2g_vocab *v) {
    float vals[3] = {nextafterf(0.75f, 0.0f), 0.75f, nextafterf(0.75f, 1.0f)};
    for (int k = 0; k < 3; k++) {
        n2g_sample s = fx_sample(3, (int[]){T_EOS, T_cat, T_sat}, (float[]){0, 0, 0.8f}, -1);
        fx_imp(&s, 1, 2, vals[k]);
        n2g_graph *g = fit(&s, 1, v);
        int kept = k == 2;
        /* kept: [sat, cat, END] -> " dog sat" = 0 and " cat sat" = 0.8; else [sat, END] -> both 0.8 */
        CHECK(g && PRED(g, v, T_dog, T_sat) == (kept ? 0.0f : 0.8f), "importance %.9g: dog sat", vals[k]);
        CHECK(g && PRED(g, v, T_cat, T_sat) == 0.8f, "importance %.9g: cat sat", vals[k]);
        n2g_graph_free(g);
        fx_free(&s, 1);
    }
}

/* A wildcard matches exactly one token: [sat, IGNORE, on, END]. */
static void test_wildcard_one_token(const n2g_vocab *v) {
    n2g_sample s = fx_sample(4, (int[]){T_EOS, T_on, T_dog, T_sat}, (float[]){0, 0, 0, 0.9f}, -1);
    fx_imp(&s, 1, 3, 0.9f);
    fx_imp(&s, 2, 3, 0.1f);
    n2g_graph *g = fit(&s, 1, v);
    CHECK(PRED(g, v, T_on, T_the, T_sat) == 0.9f, "one-token gap matches");
    CHECK(PRED(g, v, T_on, T_dog, T_sat) == 0.9f, "the original gap token matches");
    CHECK(PRED(g, v, T_on, T_sat) == 0.0f, "no gap: no match");
    CHECK(PRED(g, v, T_on, T_the, T_the, T_sat) == 0.0f, "two-token gap: no match");
    n2g_graph_free(g);
    fx_free(&s, 1);
}

/* First insertion wins: the END activation of the first line is kept. */
static void test_first_insertion_wins(const n2g_vocab *v) {
    n2g_sample s[2] = {fx_sample(2, (int[]){T_EOS, T_sat}, (float[]){0, 0.8f}, -1),
                       fx_sample(2, (int[]){T_EOS, T_sat}, (float[]){0, 0.6f}, -1)};
    n2g_graph *g = fit(s, 2, v);
    CHECK(PRED(g, v, T_sat) == 0.8f, "first END kept: got %g", PRED(g, v, T_sat));
    n2g_graph_free(g);
    n2g_sample r[2] = {s[1], s[0]};
    g = fit(r, 2, v);
    CHECK(PRED(g, v, T_sat) == 0.6f, "order reversed: got %g", PRED(g, v, T_sat));
    n2g_graph_free(g);
    fx_free(s, 2);
}

/* Deepest END wins, not the largest: [sat, END .9] and [sat, cat, END .6]. */
static void test_deepest_end(const n2g_vocab *v) {
    n2g_sample s[2] = {fx_sample(2, (int[]){T_EOS, T_sat}, (float[]){0, 0.9f}, -1),
                       fx_sample(3, (int[]){T_EOS, T_cat, T_sat}, (float[]){0, 0, 0.6f}, -1)};
    fx_imp(&s[1], 1, 2, 0.9f);
    n2g_graph *g = fit(s, 2, v);
    CHECK(PRED(g, v, T_cat, T_sat) == 0.6f, "deeper END 0.6 wins over 0.9");
    CHECK(PRED(g, v, T_the, T_sat) == 0.9f, "shallow END");
    float out[3];
    n2g_predict(g, v, (const int32_t[]){T_cat, T_sat, T_sat}, 3, out);
    CHECK(out[0] == 0.0f && out[1] == 0.6f && out[2] == 0.9f, "per position: %g %g %g", out[0], out[1], out[2]);
    n2g_graph_free(g);
    fx_free(s, 2);
}

/* BOS/EOS never enter a line; an EOS that activates starts a line from the token before it,
 * which the first-token rule then only matches when that token was itself an activator. */
static void test_eos(const n2g_vocab *v) {
    n2g_sample s = fx_sample(3, (int[]){T_EOS, T_cat, T_sat}, (float[]){0.95f, 0, 0.8f}, -1);
    fx_imp(&s, 0, 2, 0.9f); /* the EOS is "important" but never enters the line */
    n2g_graph *g = fit(&s, 1, v);
    CHECK(PRED(g, v, T_sat) == 0.8f, "EOS skipped: [sat, END] (cat is a trailing wildcard)");
    CHECK(PRED(g, v, T_EOS) == 0.0f, "activating EOS predicts nothing");
    n2g_graph_free(g);
    fx_free(&s, 1);
    /* [cat(act a), EOS(act .9)], I[cat][EOS] = .9: line [cat, END .9] with cat's activator = a > .5 */
    for (int k = 0; k < 2; k++) {
        float a = k ? 0.7f : 0.2f;
        n2g_sample e = fx_sample(2, (int[]){T_cat, T_EOS}, (float[]){a, 0.9f}, -1);
        fx_imp(&e, 0, 1, 0.9f);
        fx_imp(&e, 0, 0, 0.0f);
        g = fit(&e, 1, v);
        /* with a = .7 the cat line [cat, END .7] comes first, and first insertion wins */
        float want = k ? 0.7f : 0.0f;
        CHECK(PRED(g, v, T_cat) == want, "EOS line, cat activation %g: got %g want %g", a, PRED(g, v, T_cat), want);
        n2g_graph_free(g);
        fx_free(&e, 1);
    }
}

/* Augmented samples reuse their original's important positions (by position). */
static void test_important_set_reuse(const n2g_vocab *v) {
    for (int aug = 0; aug < 2; aug++) {
        n2g_sample s[2] = {fx_sample(3, (int[]){T_EOS, T_cat, T_sat}, (float[]){0, 0, 0.9f}, -1),
                           fx_sample(3, (int[]){T_EOS, T_dog, T_sat}, (float[]){0, 0, 0.7f}, aug ? 0 : -1)};
        fx_imp(&s[0], 1, 2, 0.9f);
        fx_imp(&s[1], 1, 2, 0.1f);
        n2g_graph *g = fit(s, 2, v);
        /* augmented: [sat, dog, END .7] -> sat has children cat, dog and no END;
         * original:  [sat, END .7]      -> sat has an END */
        CHECK(PRED(g, v, T_dog, T_sat) == 0.7f, "aug=%d: dog sat", aug);
        CHECK(PRED(g, v, T_the, T_sat) == (aug ? 0.0f : 0.7f), "aug=%d: the sat = %g", aug, PRED(g, v, T_the, T_sat));
        n2g_graph_free(g);
        fx_free(s, 2);
    }
    /* Out of range: the augmentation is longer than its original; position 3 uses the
     * original's last set ({1}: position 1 is important), so the line is
     * [sat, IGNORE, cat, END .8]. */
    n2g_sample s[2] = {fx_sample(2, (int[]){T_EOS, T_sat}, (float[]){0, 0.9f}, -1),
                       fx_sample(4, (int[]){T_EOS, T_cat, T_dog, T_sat}, (float[]){0, 0, 0, 0.8f}, 0)};
    fx_imp(&s[1], 3, 3, 0.1f);
    n2g_graph *g = fit(s, 2, v);
    CHECK(PRED(g, v, T_sat) == 0.9f, "original line");
    CHECK(PRED(g, v, T_cat, T_the, T_sat) == 0.8f, "last-set hack: cat kept at position 1 (got %g)",
          PRED(g, v, T_cat, T_the, T_sat));
    CHECK(PRED(g, v, T_mat, T_the, T_sat) == 0.9f, "mat is not cat");
    n2g_graph_free(g);
    fx_free(s, 2);
}

/* merge_ignores: L1 [sat, cat, the, END .7], L2 [sat, IGNORE, on, END .6], L3 [sat, dog, END .55]. */
static void test_merge_ignores(const n2g_vocab *v) {
    n2g_sample s[3] = {fx_sample(4, (int[]){T_EOS, T_the, T_cat, T_sat}, (float[]){0, 0, 0, 0.7f}, -1),
                       fx_sample(4, (int[]){T_EOS, T_on, T_dog, T_sat}, (float[]){0, 0, 0, 0.6f}, -1),
                       fx_sample(3, (int[]){T_EOS, T_dog, T_sat}, (float[]){0, 0, 0.55f}, -1)};
    fx_imp(&s[0], 1, 3, 0.9f);
    fx_imp(&s[0], 2, 3, 0.9f);
    fx_imp(&s[1], 1, 3, 0.9f);
    fx_imp(&s[1], 2, 3, 0.1f);
    fx_imp(&s[2], 1, 2, 0.9f);
    n2g_graph *g = fit(s, 3, v);
    /* cat's continuation [the, END] is now reachable through the wildcard */
    CHECK(PRED(g, v, T_the, T_mat, T_sat) == 0.7f, "merged continuation: got %g", PRED(g, v, T_the, T_mat, T_sat));
    /* cat (non-terminal) was removed, so "on cat sat" walks the wildcard and reaches on */
    CHECK(PRED(g, v, T_on, T_cat, T_sat) == 0.6f, "non-terminal sibling removed: got %g",
          PRED(g, v, T_on, T_cat, T_sat));
    CHECK(PRED(g, v, T_the, T_cat, T_sat) == 0.7f, "original pattern still predicted");
    /* dog ends a pattern: kept; greedy exact match, no backtracking into the wildcard */
    CHECK(PRED(g, v, T_dog, T_sat) == 0.55f, "terminal sibling kept");
    CHECK(PRED(g, v, T_the, T_dog, T_sat) == 0.55f, "no backtracking: got %g", PRED(g, v, T_the, T_dog, T_sat));
    /* in the trie: sat's children are dog and IGNORE only; IGNORE's children on and the */
    int32_t sat = n2g_trie_child(&g->trie, 0, v->cls[T_sat]);
    CHECK(sat >= 0 && n2g_trie_child(&g->trie, sat, v->cls[T_cat]) < 0, "cat removed");
    CHECK(sat >= 0 && n2g_trie_child(&g->trie, sat, v->cls[T_dog]) >= 0, "dog kept");
    int32_t w = sat >= 0 ? n2g_trie_child(&g->trie, sat, N2G_KEY_IGNORE) : -1;
    CHECK(w >= 0 && n2g_trie_child(&g->trie, w, v->cls[T_the]) >= 0 && n2g_trie_child(&g->trie, w, v->cls[T_on]) >= 0,
          "wildcard children on + the");
    /* the visualisation graph is untouched: cat still there, no wildcard */
    int32_t vsat = n2g_trie_child(&g->viz, 0, v->cls[T_sat]);
    CHECK(vsat >= 0 && n2g_trie_child(&g->viz, vsat, v->cls[T_cat]) >= 0, "viz keeps cat");
    CHECK(vsat >= 0 && n2g_trie_child(&g->viz, vsat, N2G_KEY_IGNORE) < 0, "viz has no wildcard");
    n2g_graph_free(g);
    fx_free(s, 3);
}

/* Normalisation: " the" and "The" share a key, "THE" does not; off: exact strings. */
static void test_normalisation(void) {
    n2g_vocab *on = fx_vocab(1), *off = fx_vocab(0);
    CHECK(on->cls[T_the] == on->cls[T_The] && on->cls[T_THE] != on->cls[T_the], "classes with normalisation");
    CHECK(off->cls[T_the] != off->cls[T_The], "classes without normalisation");
    CHECK(on->key[T_the].n == 3 && !memcmp(on->key[T_the].s, "the", 3), "key of ' the' is 'the'");
    char buf[64];
    CHECK(n2g_normalise(" A", 2, buf, sizeof buf) == 1 && buf[0] == 'a', "' A' -> 'a'");
    CHECK(n2g_normalise("A", 1, buf, sizeof buf) == 1 && buf[0] == 'A', "single char unchanged");
    CHECK(n2g_normalise(" 1", 2, buf, sizeof buf) == 2, "no letter: not stripped");
    CHECK(n2g_normalise(" \xc3\x89t\xc3\xa9", 6, buf, sizeof buf) == 5 && !memcmp(buf, "\xc3\xa9t\xc3\xa9", 5),
          "' Été' -> 'été'");
    for (int k = 0; k < 2; k++) {
        n2g_vocab *v = k ? off : on;
        n2g_sample s = fx_sample(3, (int[]){T_EOS, T_The, T_sat}, (float[]){0, 0, 0.8f}, -1);
        fx_imp(&s, 1, 2, 0.9f);
        n2g_graph *g = fit(&s, 1, v);
        CHECK(PRED(g, v, T_the, T_sat) == (k ? 0.0f : 0.8f), "normalise=%d: ' the sat'", !k);
        CHECK(PRED(g, v, T_The, T_sat) == 0.8f, "normalise=%d: 'The sat'", !k);
        CHECK(PRED(g, v, T_THE, T_sat) == 0.0f, "normalise=%d: 'THE sat'", !k);
        n2g_graph_free(g);
        fx_free(&s, 1);
    }
    n2g_vocab_free(on);
    n2g_vocab_free(off);
}

/* Scores: firing is >= 0.5; precision 0 with no predicted positives in the report, 1 in the
 * summary (the reference convention); only neurons with class 1 are eligible. */
static void test_evaluate(void) {
    n2g_eval a, b, c;
    n2g_eval_scores((float[]){0.5f, 0.1f, 0.1f}, (float[]){0, 0, 0}, 3, 0.5f, &a);
    CHECK(a.has[0] && a.has[1], "both classes present");
    CHECK(a.cls[1].precision == 0.0 && a.cls[1].recall == 0.0 && a.cls[1].support == 1, "class 1: P 0 R 0");
    CHECK(a.cls[0].precision == 2.0 / 3.0 && a.cls[0].recall == 1.0 && a.cls[0].support == 2, "class 0");
    n2g_eval_scores((float[]){0.9f, 0.1f}, (float[]){0.9f, 0.5f}, 2, 0.5f, &b);
    CHECK(b.cls[1].precision == 0.5 && b.cls[1].recall == 1.0 && fabs(b.cls[1].f1 - 2.0 / 3.0) < 1e-15, "P .5 R 1");
    CHECK(b.accuracy == 0.5, "accuracy");
    n2g_eval_scores((float[]){0.1f, 0.2f}, (float[]){0.0f, nextafterf(0.5f, 0)}, 2, 0.5f, &c);
    CHECK(!c.has[1], "no firing anywhere: no class 1");
    n2g_summary s;
    n2g_summary_init(&s);
    n2g_summary_add(&s, &a);
    n2g_summary_add(&s, &b);
    n2g_summary_add(&s, &c);
    double mean[2][3], sd[2][3];
    n2g_summary_get(&s, mean, sd);
    CHECK(s.eligible == 2 && s.ineligible == 1 && s.precision_case == 1, "eligibility");
    CHECK(mean[1][0] == 0.75, "firing precision mean (1 + .5) / 2 = %g", mean[1][0]);
    CHECK(mean[1][1] == 0.5, "firing recall mean");
    /* correlation = 1 - MSE / Var(y): y = (1, 0), pred = (1, 0.5): MSE = .125, Var = .25 */
    n2g_eval d;
    n2g_eval_scores((float[]){1, 0}, (float[]){1, 0.5f}, 2, 0.5f, &d);
    CHECK(fabs(d.correlation - 0.5) < 1e-12, "correlation %g", d.correlation);
}

int main(void) {
    n2g_vocab *v = fx_vocab(1);
    CHECK(v != NULL, "vocabulary");
    if (!v) return check_finish();
    test_activation_threshold(v);
    test_activator_threshold(v);
    test_importance_threshold(v);
    test_wildcard_one_token(v);
    test_first_insertion_wins(v);
    test_deepest_end(v);
    test_eos(v);
    test_important_set_reuse(v);
    test_merge_ignores(v);
    test_normalisation();
    test_evaluate();
    n2g_vocab_free(v);
    return check_finish();
}
