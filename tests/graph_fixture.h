/* graph_fixture.h — a small synthetic vocabulary and sample builder for the graph tests. */
#ifndef N2G_GRAPH_FIXTURE_H
#define N2G_GRAPH_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "n2g/graph/graph.h"
#include "n2g/graph/vocab.h"

enum { T_EOS, T_the, T_The, T_cat, T_sat, T_on, T_mat, T_THE, T_dog, T_N };

static inline n2g_vocab *fx_vocab(int normalise) {
    static const char *s[T_N] = {"<|endoftext|>", " the", "The", " cat", " sat", " on", " mat", "THE", " dog"};
    uint32_t lens[T_N];
    for (int i = 0; i < T_N; i++) lens[i] = (uint32_t)strlen(s[i]);
    n2g_err err = {0};
    return n2g_vocab_new(T_N, s, lens, normalise, &err);
}

/* A sample of len tokens; importance all 0 except I[k][k] = 1 (set more with fx_imp). */
static inline n2g_sample fx_sample(int len, const int *toks, const float *acts, int parent) {
    n2g_sample s;
    s.len = len;
    s.parent = parent;
    s.tokens = malloc((size_t)len * sizeof *s.tokens);
    s.act = malloc((size_t)len * sizeof *s.act);
    s.imp = calloc((size_t)len * (size_t)len, sizeof *s.imp);
    for (int i = 0; i < len; i++) {
        s.tokens[i] = toks[i];
        s.act[i] = acts[i];
        s.imp[(size_t)i * (size_t)len + (size_t)i] = 1.0f;
    }
    return s;
}

/* I[k][j] = v: importance of token k for the activation at j. */
static inline void fx_imp(n2g_sample *s, int k, int j, float v) { s->imp[(size_t)k * (size_t)s->len + (size_t)j] = v; }

static inline void fx_free(n2g_sample *s, int n) {
    for (int i = 0; i < n; i++) {
        free(s[i].tokens);
        free(s[i].act);
        free(s[i].imp);
    }
}

#endif
