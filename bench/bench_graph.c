/* bench_graph.c — fit and predict throughput of the N2G graph core on the GPT-2 vocabulary.
 *
 * Synthetic but shaped like the real thing (n2g-reference.md §3-§6): per neuron, 10 pruned
 * prompts of BOS + up to 30 prior + 5 post tokens, each with ~4 augmentations (one per
 * important word, ≤5 substitutions), activations mostly low with 1-3 tokens above 0.5,
 * importance mostly low with a few context tokens above 0.75; evaluation on 10 test rows of
 * 1024 tokens. Tokens are Zipf-distributed over the 50,257 GPT-2 ids so graphs share keys.
 *
 * usage: bench_graph [--samples N (10000)] [--per-neuron K (50)] [--seed S] [--vocab PATH]
 *                    [--dump FILE --dump-neurons M]
 * --dump writes the first M neurons' samples and the test text as token strings, for
 * bench/bench_graph_reference.py (the Python transcription of the reference, timed on the
 * same data). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "n2g/graph/evaluate.h"
#include "n2g/graph/export_dot.h"
#include "n2g/graph/graph.h"
#include "n2g/graph/predict.h"
#include "n2g/graph/vocab_bpe.h"
#include "common/json.h"

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static double *zipf_cdf;
static int zipf_n;
static int32_t zipf_token(void) {
    double u = unif();
    int lo = 0, hi = zipf_n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (zipf_cdf[mid] < u) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* CPU time of this process: the machine is shared, so wall time is reported apart. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void make_sample(n2g_sample *s, int parent, const n2g_sample *orig, int eos) {
    int L = parent < 0 ? 6 + (int)(rnd() % 31) : orig->len + (int)(rnd() % 3) - 1;
    if (L < 2) L = 2;
    s->len = L;
    s->parent = parent;
    s->tokens = malloc((size_t)L * sizeof *s->tokens);
    s->act = malloc((size_t)L * sizeof *s->act);
    s->imp = malloc((size_t)L * (size_t)L * sizeof *s->imp);
    for (int i = 0; i < L; i++) {
        if (i == 0) s->tokens[i] = eos;
        else if (parent >= 0 && i < orig->len && unif() < 0.9) s->tokens[i] = orig->tokens[i];
        else s->tokens[i] = zipf_token();
        s->act[i] = (float)(unif() * 0.3);
    }
    int pivot = L > 6 ? L - 1 - (int)(rnd() % 6) : L - 1;
    s->act[pivot] = (float)(0.6 + 0.6 * unif());
    int extra = (int)(rnd() % 3);
    for (int e = 0; e < extra; e++) s->act[1 + rnd() % (unsigned)(L - 1)] = (float)(0.5 + 0.5 * unif());
    for (int k = 0; k < L; k++)
        for (int j = 0; j < L; j++) {
            float v = (float)(unif() * 0.4 - 0.05);
            if (k == j) v = (float)(0.8 + 0.4 * unif());
            else if (k < j && j - k <= 6 && unif() < 0.25) v = (float)(0.75 + 0.4 * unif());
            s->imp[(size_t)k * (size_t)L + (size_t)j] = v;
        }
}

int main(int argc, char **argv) {
    long nsamples = 10000, per_neuron = 50;
    const char *vocab_path = NULL, *dump = NULL;
    long dump_neurons = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--samples")) nsamples = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--per-neuron")) per_neuron = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed")) rng_state = strtoull(argv[i + 1], NULL, 10) | 1;
        else if (!strcmp(argv[i], "--vocab")) vocab_path = argv[i + 1];
        else if (!strcmp(argv[i], "--dump")) dump = argv[i + 1];
        else if (!strcmp(argv[i], "--dump-neurons")) dump_neurons = atol(argv[i + 1]);
    }
    n2g_err err = {0};
    double t0 = now();
    n2g_vocab *v = n2g_vocab_open(vocab_path, 1, NULL, &err);
    if (!v) {
        fprintf(stderr, "bench_graph: %s\n", err.msg);
        return 1;
    }
    double t_vocab = now() - t0;
    int eos = n2g_vocab_find_text(v, "<|endoftext|>", 13);
    zipf_n = v->n;
    zipf_cdf = malloc((size_t)zipf_n * sizeof *zipf_cdf);
    double z = 0;
    for (int i = 0; i < zipf_n; i++) z += 1.0 / (i + 10.0);
    double acc = 0;
    for (int i = 0; i < zipf_n; i++) zipf_cdf[i] = (acc += 1.0 / (i + 10.0) / z);

    /* samples: groups of one original + ~4 augmentations; per_neuron samples per graph */
    n2g_sample *s = calloc((size_t)nsamples, sizeof *s);
    long ntok = 0;
    for (long i = 0; i < nsamples;) {
        long start = i;
        make_sample(&s[i], -1, NULL, eos);
        ntok += s[i].len;
        i++;
        int naug = (int)(rnd() % 9);
        for (int a = 0; a < naug && i < nsamples && (i % per_neuron) != 0; a++, i++) {
            make_sample(&s[i], (int)(start % per_neuron), &s[start], eos);
            ntok += s[i].len;
        }
    }
    /* parents are indices within each neuron's block */
    for (long i = 0; i < nsamples; i++)
        if (s[i].parent >= 0 && (i / per_neuron) * per_neuron + s[i].parent >= i) s[i].parent = -1;
    long nneurons = (nsamples + per_neuron - 1) / per_neuron;
    n2g_graph **g = calloc((size_t)nneurons, sizeof *g);
    double t1 = now(), w1 = wall();
    long nodes = 0;
    for (long k = 0; k < nneurons; k++) {
        long lo = k * per_neuron, n = nsamples - lo < per_neuron ? nsamples - lo : per_neuron;
        g[k] = n2g_fit(s + lo, (size_t)n, v, NULL, &err);
        if (!g[k]) {
            fprintf(stderr, "bench_graph: fit: %s\n", err.msg);
            return 1;
        }
        nodes += g[k]->trie.n + g[k]->viz.n;
    }
    double t_fit = now() - t1, w_fit = wall() - w1;

    /* one big graph of all samples (a worst case for fan-out) */
    for (long i = 0; i < nsamples; i++)
        if (s[i].parent >= 0) s[i].parent += (int)((i / per_neuron) * per_neuron);
    double t2 = now();
    n2g_graph *big = n2g_fit(s, (size_t)nsamples, v, NULL, &err);
    double t_big = now() - t2;
    if (!big) {
        fprintf(stderr, "bench_graph: fit: %s\n", err.msg);
        return 1;
    }

    /* predict: 10 test rows of 1024 tokens per neuron */
    const int rows = 10, row_len = 1024;
    int32_t *text = malloc((size_t)rows * row_len * sizeof *text);
    float *out = malloc((size_t)rows * row_len * sizeof *out);
    for (int i = 0; i < rows * row_len; i++) text[i] = (i % row_len) == 0 ? eos : zipf_token();
    double t3 = now(), w3 = wall();
    double checksum = 0;
    for (long k = 0; k < nneurons; k++) {
        n2g_predict(g[k], v, text, (size_t)rows * row_len, out);
        checksum += out[k % (rows * row_len)];
    }
    double t_pred = now() - t3, w_pred = wall() - w3;
    double t4 = now();
    n2g_predict(big, v, text, (size_t)rows * row_len, out);
    double t_pred_big = now() - t4;

    if (dump) {
        FILE *f = fopen(dump, "w");
        if (!f) {
            fprintf(stderr, "bench_graph: cannot write %s\n", dump);
            return 1;
        }
        fputs("{\"neurons\": [", f);
        for (long k = 0; k < dump_neurons && k < nneurons; k++) {
            fputs(k ? ",\n[" : "\n[", f);
            long lo = k * per_neuron, n = nsamples - lo < per_neuron ? nsamples - lo : per_neuron;
            for (long i = lo; i < lo + n; i++) {
                const n2g_sample *x = &s[i];
                fprintf(f, "%s{\"parent\": %d, \"tokens\": [", i > lo ? ",\n " : "", x->parent >= 0 ? x->parent - (int)lo : -1);
                for (int j = 0; j < x->len; j++) {
                    if (j) fputc(',', f);
                    json_write_string(f, v->text[x->tokens[j]].s, v->text[x->tokens[j]].n);
                }
                fputs("], \"activations\": [", f);
                for (int j = 0; j < x->len; j++) {
                    if (j) fputc(',', f);
                    json_write_float(f, x->act[j]);
                }
                fputs("], \"importance\": [", f);
                for (int j = 0; j < x->len * x->len; j++) {
                    if (j) fputc(',', f);
                    json_write_float(f, x->imp[j]);
                }
                fputs("]}", f);
            }
            fputs("]", f);
        }
        fputs("],\n\"text\": [", f);
        for (int i = 0; i < rows * row_len; i++) {
            if (i) fputc(',', f);
            json_write_string(f, v->text[text[i]].s, v->text[text[i]].n);
        }
        fprintf(f, "], \"row_len\": %d}\n", row_len);
        fclose(f);
    }
    /* DOT source of every graph (to /dev/null) and of the big one */
    FILE *devnull = fopen("/dev/null", "w");
    double t5 = now();
    for (long k = 0; k < nneurons && devnull; k++) n2g_graph_write_dot_file(g[k], v, devnull, &err);
    double t_dot = now() - t5;
    double t6 = now();
    if (devnull) n2g_graph_write_dot_file(big, v, devnull, &err);
    double t_dot_big = now() - t6;
    if (devnull) fclose(devnull);
    long ptok = (long)rows * row_len * nneurons;
    double per_neuron_ms = (t_fit + t_pred) / (double)nneurons * 1e3;
    printf("times are CPU time of this process\n");
    printf("vocabulary + class table (50,257 ids): %.1f ms (once per process)\n", t_vocab * 1e3);
    printf("fit: %ld samples (%ld tokens) into %ld graphs of %ld samples: %.1f ms = %.0f samples/s, %.0f tokens/s"
           " (%ld nodes)\n",
           nsamples, ntok, nneurons, per_neuron, t_fit * 1e3, nsamples / t_fit, ntok / t_fit, nodes);
    printf("fit: all %ld samples into one graph: %.1f ms = %.0f samples/s (%d trie nodes)\n", nsamples, t_big * 1e3,
           nsamples / t_big, big->trie.n);
    printf("predict: %ld graphs x %d tokens: %.1f ms = %.2f M tokens/s (checksum %.3f)\n", nneurons, rows * row_len,
           t_pred * 1e3, ptok / t_pred / 1e6, checksum);
    printf("predict: the one big graph x %d tokens: %.2f ms = %.2f M tokens/s\n", rows * row_len, t_pred_big * 1e3,
           rows * row_len / t_pred_big / 1e6);
    printf("dot: %ld graphs: %.1f ms = %.3f ms/graph; the big graph (%d nodes): %.1f ms\n", nneurons, t_dot * 1e3,
           t_dot / (double)nneurons * 1e3, big->viz.n, t_dot_big * 1e3);
    printf("per neuron (fit %ld samples + predict %d tokens): %.3f ms CPU (%.3f ms wall)\n", per_neuron,
           rows * row_len, per_neuron_ms, (w_fit + w_pred) / (double)nneurons * 1e3);
    for (long k = 0; k < nneurons; k++) n2g_graph_free(g[k]);
    n2g_graph_free(big);
    for (long i = 0; i < nsamples; i++) {
        free(s[i].tokens);
        free(s[i].act);
        free(s[i].imp);
    }
    free(s);
    free(g);
    free(text);
    free(out);
    free(zipf_cdf);
    n2g_vocab_free(v);
    return 0;
}
