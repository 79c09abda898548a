/* build_outputs.c — one finished neuron's files: its graph fitted from the samples and scored
 * on the test rows (graphs/L_N.json, .dot, .svg), its samples (samples/L_N.json) and, last, its
 * result (build/L_N.json; see build.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_write.h"
#include "common/json.h"
#include "n2g/build/builder.h"
#include "n2g/graph/evaluate.h"
#include "n2g/graph/export_dot.h"
#include "n2g/graph/export_json.h"
#include "n2g/graph/graph.h"

typedef struct result_ctx {
    const n2g_job *j;
    const n2g_eval *ev;
    const build_record *rec;
    int n_samples, n_orig;
} result_ctx;

static int write_result(FILE *f, void *u, n2g_err *err) {
    result_ctx *r = u;
    const n2g_job *j = r->j;
    fprintf(f, "{\"layer\": %d, \"neuron\": %d, \"base_max\": ", j->layer, j->neuron);
    json_write_float(f, j->base_max);
    long toks = 0;
    for (int q = 0; q < j->n_prompts; q++) toks += j->prompts[q].len;
    fprintf(f, ", \"examples\": %d, \"train\": %d, \"test\": %d, \"samples\": %d, \"pruned\": %d, \"sample_tokens\": %ld",
            j->n_ex, j->n_train, j->n_test, r->n_samples, r->n_orig, toks);
    fputs(", \"options\": ", f);
    n2g_build_record_write(f, r->rec);
    if (j->skip_reason[0]) {
        fprintf(f, ", \"graph\": false, \"reason\": ");
        json_write_string(f, j->skip_reason, strlen(j->skip_reason));
    } else {
        fprintf(f, ", \"graph\": true, \"stats\": ");
        n2g_eval_write_json(f, r->ev, 2);
    }
    fprintf(f, "}\n");
    return ferror(f) ? n2g_fail(err, "write failed") : 0;
}

static int write_samples(FILE *f, void *u, n2g_err *err) { return n2g_samples_write(f, u, err); }

enum { F_JSON, F_DOT, F_SVG, F_SAMPLES, F_COUNT };

/* the graph's files: JSON, DOT, the SVG (or none), what the method did as `n2g fit --samples`
 * reads it: the samples in fitting order (not the test rows: whole rows, they would make the
 * file ~9x larger; bench/RESULTS.md) */
static int write_graph(const builder *b, const n2g_graph *g, const n2g_samples *smp, char path[F_COUNT][4096],
                       int *svg_missing, n2g_err *err) {
    int r = n2g_graph_save_json(g, b->vocab, path[F_JSON], err);
    if (r == 0) r = n2g_graph_write_dot(g, b->vocab, path[F_DOT], err);
    if (r == 0 && b->want_svg) r = n2g_graph_render_svg(path[F_DOT], path[F_SVG], 60.0, err);
    else if (r == 0) r = n2g_build_remove_stale(path[F_SVG], err);
    if (r == 0 && !b->o->no_svg && !b->want_svg) *svg_missing = 1;
    if (r == 0 && !b->o->no_samples) r = n2g_atomic_write(path[F_SAMPLES], write_samples, (void *)smp, err);
    else if (r == 0) r = n2g_build_remove_stale(path[F_SAMPLES], err);
    return r;
}

/* the samples fitted into a graph, scored on the test rows (*ev), its files written */
static int fit_and_score(const builder *b, const n2g_job *j, n2g_eval *ev, char path[F_COUNT][4096],
                         int *svg_missing, n2g_err *err) {
    n2g_sample *s = calloc((size_t)j->n_prompts, sizeof *s);
    n2g_row *rows = calloc((size_t)j->n_test + 1, sizeof *rows);
    float *norm = malloc(sizeof(float) * (size_t)b->m.ctx_len * (size_t)(j->n_test + 1));
    if (!s || !rows || !norm) {
        free(s), free(rows), free(norm);
        return n2g_fail(err, "out of memory");
    }
    int ns = n2g_job_samples(j, s);
    n2g_params prm;
    n2g_params_default(&prm);
    n2g_graph *g = n2g_fit(s, (size_t)j->n_prompts, b->vocab, &prm, err);
    if (!g) {
        free(s), free(rows), free(norm);
        return n2g_wrap(err, "neuron %d:%d: fit", j->layer, j->neuron);
    }
    g->layer = j->layer, g->neuron = j->neuron;
    n2g_job_test_rows(&b->m, j, rows, norm);
    int r = n2g_evaluate(g, b->vocab, rows, (size_t)j->n_test, N2G_FIRE_THRESHOLD, ev, err);
    if (j->n_listed) ev->correlation = NAN; /* needs every activation; a firing list has only those that fire */
    n2g_samples smp = {j->layer, j->neuron, j->base_max, s, (size_t)ns, NULL, NULL, 0, 0};
    if (r == 0) r = write_graph(b, g, &smp, path, svg_missing, err);
    n2g_graph_free(g);
    free(s), free(rows), free(norm);
    return r != 0 ? n2g_wrap(err, "neuron %d:%d", j->layer, j->neuron) : 0;
}

int n2g_build_outputs_files(const builder *b, n2g_job *j, n2g_eval *ev, int *svg_missing, n2g_err *err) {
    static const char *const sub[F_COUNT] = {"graphs", "graphs", "graphs", "samples"};
    static const char *const ext[F_COUNT] = {".json", ".dot", ".svg", ".json"};
    char path[F_COUNT][4096];
    memset(ev, 0, sizeof *ev);
    *svg_missing = 0;
    if (!j->skip_reason[0] && j->n_prompts == 0)
        snprintf(j->skip_reason, sizeof j->skip_reason, "no training example kept a positive activation after pruning");
    for (int k = 0; k < F_COUNT; k++) n2g_build_path(path[k], sizeof path[k], b->run_dir, sub[k], j->layer, j->neuron, ext[k]);
    if (!j->skip_reason[0]) return fit_and_score(b, j, ev, path, svg_missing, err);
    /* no graph: nothing of an earlier build (--force) may stay beside the new result */
    for (int k = 0; k < F_COUNT; k++)
        if (n2g_build_remove_stale(path[k], err) != 0) return -1;
    return 0;
}

int n2g_build_outputs_result(const builder *b, const n2g_job *j, const n2g_eval *ev, n2g_err *err) {
    char res[4096];
    result_ctx rc = {j, ev, &b->rec, j->n_prompts, 0};
    for (int q = 0; q < j->n_prompts; q++) rc.n_orig += j->prompts[q].parent < 0;
    n2g_build_path(res, sizeof res, b->run_dir, "build", j->layer, j->neuron, ".json");
    return n2g_atomic_write(res, write_result, &rc, err);
}
