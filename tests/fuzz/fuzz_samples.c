/* fuzz_samples.c — libFuzzer target for the samples file reader (`n2g fit --samples`, the
 * report's RUN/samples/L_N.json; samples.c) and what `n2g fit` does with what it accepts: fit
 * a graph against the bundled GPT-2 vocabulary, score it on the "test" rows, fit and score the
 * token and n-gram baselines on the "train" rows, write the scores as a stats.json entry and
 * read that back. Each step accepts the input or fails with a message. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "fuzz_common.h"
#include "n2g/graph/baseline.h"
#include "n2g/graph/evaluate.h"
#include "n2g/graph/export_stats.h"
#include "n2g/graph/predict.h"
#include "n2g/graph/samples.h"

static void score(const n2g_baseline *b, const n2g_samples *sm, n2g_eval *e) {
    size_t total = 0;
    for (size_t r = 0; r < sm->n_test; r++) total += (size_t)sm->test[r].len;
    float *y = malloc((total + 1) * sizeof *y), *p = malloc((total + 1) * sizeof *p);
    size_t off = 0;
    for (size_t r = 0; r < sm->n_test; r++) {
        n2g_baseline_predict(b, sm->test[r].tokens, (size_t)sm->test[r].len, p + off);
        memcpy(y + off, sm->test[r].act, (size_t)sm->test[r].len * sizeof *y);
        off += (size_t)sm->test[r].len;
    }
    n2g_eval_scores(y, p, total, 0.5f, e);
    free(y);
    free(p);
}

/* a report written as stats.json reads back (n2g_eval_from_json) */
static void stats_round_trip(const n2g_eval *ev) {
    char path[400];
    snprintf(path, sizeof path, "%s/stats.json", fuzz_dir());
    remove(path);
    n2g_err e = {0};
    if (n2g_stats_update(path, 1, 2, ev, &e)) {
        fprintf(stderr, "stats.json not written: %s\n", e.msg);
        abort();
    }
    json_doc *d = json_parse_file(path, &e);
    if (!d) {
        fprintf(stderr, "the written stats.json does not parse: %s\n", e.msg);
        abort();
    }
    n2g_eval back;
    if (n2g_eval_from_json(json_get(json_get(json_root(d), "1"), "2"), &back, path, &e)) {
        fprintf(stderr, "the written stats.json does not read back: %s\n", e.msg);
        abort();
    }
    json_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    n2g_samples sm;
    n2g_err e = {0};
    if (n2g_samples_parse((const char *)data, size, "samples.json", &sm, &e)) {
        fuzz_check_err(&e);
        return 0;
    }
    for (int normalise = 0; normalise < 2; normalise++) {
        n2g_vocab *v = fuzz_vocab(normalise);
        n2g_params p;
        n2g_params_default(&p);
        e.msg[0] = 0;
        n2g_graph *g = n2g_fit(sm.s, sm.n, v, &p, &e);
        if (!g) {
            fuzz_check_err(&e);
            continue;
        }
        if (sm.n_test) {
            n2g_eval ev;
            if (n2g_evaluate(g, v, sm.test, sm.n_test, 0.5f, &ev, &e)) {
                fuzz_check_err(&e);
            } else {
                stats_round_trip(&ev);
            }
        }
        if (sm.n_train && sm.n_test) {
            n2g_baseline *tb = n2g_token_baseline_fit(sm.train, sm.n_train, v, &e);
            if (tb) {
                n2g_eval ev;
                score(tb, &sm, &ev);
                n2g_baseline_free(tb);
            } else {
                fuzz_check_err(&e);
            }
            n2g_ngram_opts no;
            n2g_ngram_opts_default(&no);
            no.base_max = sm.base_max;
            n2g_baseline *nb = n2g_ngram_baseline_fit(sm.train, sm.n_train, v, &no, &e);
            if (nb) {
                n2g_eval ev;
                score(nb, &sm, &ev);
                n2g_baseline_free(nb);
            } else {
                fuzz_check_err(&e);
            }
        }
        n2g_graph_free(g);
    }
    n2g_samples_free(&sm);
    return 0;
}
