/* fuzz_graph.c — libFuzzer target for the graph JSON reader (`n2g predict --graph`, the build's
 * read-back of graphs/L_N.json, export_json.c). As `n2g predict` does, the input is read
 * without a vocabulary, then again against the bundled GPT-2 vocabulary; either fails with a
 * message or gives a graph that predicts on any token sequence (ids in and outside the
 * vocabulary), writes DOT, files itself in a neuron store, and saved and read back gives the
 * same file again and the same predictions. The report's drawing of a graph without Graphviz
 * (report_graph.h) reads the same input: it fails with a message or gives one SVG element whose
 * every tag is a drawing element (token text escaped). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "n2g/graph/export_dot.h"
#include "n2g/graph/export_json.h"
#include "n2g/graph/predict.h"
#include "n2g/graph/store.h"
#include "report/report_graph.h"

static void check_drawing(const uint8_t *data, size_t size) {
    n2g_err e = {0};
    char *svg = NULL;
    size_t len = 0;
    if (report_graph_svg_text((const char *)data, size, "graph.json", &svg, &len, &e)) {
        fuzz_check_err(&e);
        return;
    }
    if (!svg || len != strlen(svg) || strncmp(svg, "<svg ", 5) || len < 7 || strcmp(svg + len - 7, "</svg>\n")) abort();
    static const char *const tags[] = {"svg", "g", "rect", "line", "text", "title"};
    for (const char *p = strchr(svg, '<'); p; p = strchr(p + 1, '<')) {
        const char *t = p[1] == '/' ? p + 2 : p + 1;
        size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyz");
        int ok = 0;
        for (int k = 0; k < 6; k++) ok |= n == strlen(tags[k]) && !strncmp(t, tags[k], n);
        if (!ok) {
            fprintf(stderr, "the drawing holds a tag that is not a drawing element: %.40s\n", p);
            abort();
        }
    }
    free(svg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_drawing(data, size);
    n2g_err e = {0};
    n2g_graph *g = n2g_graph_parse_json((const char *)data, size, "graph.json", NULL, &e);
    if (!g) {
        fuzz_check_err(&e);
        return 0;
    }
    int normalise = g->normalise;
    n2g_graph_free(g);
    n2g_vocab *v = fuzz_vocab(normalise);
    g = n2g_graph_parse_json((const char *)data, size, "graph.json", v, &e);
    if (!g) {
        fuzz_check_err(&e);
        return 0;
    }
    /* tokens: the input's bytes in pairs, some outside the vocabulary */
    size_t n = size / 2 < 256 ? size / 2 : 256;
    int32_t tok[256];
    float out[256], out2[256];
    for (size_t i = 0; i < n; i++) tok[i] = (int32_t)((data[2 * i] | data[2 * i + 1] << 8) % (v->n + 16)) - 8;
    n2g_predict(g, v, tok, n, out);
    for (size_t i = 0; i < n; i++)
        if (out[i] != n2g_predict_at(g, v, tok, i) && !(isnan(out[i]) && isnan(n2g_predict_at(g, v, tok, i)))) abort();
    char a[400], b[400], dot[400];
    snprintf(a, sizeof a, "%s/a.json", fuzz_dir());
    snprintf(b, sizeof b, "%s/b.json", fuzz_dir());
    snprintf(dot, sizeof dot, "%s/g.dot", fuzz_dir());
    if (n2g_graph_write_dot(g, v, dot, &e)) fuzz_check_err(&e);
    n2g_store *st = n2g_store_new();
    if (n2g_store_add_graph(st, g, v, &e)) fuzz_check_err(&e);
    n2g_store_free(st);
    if (n2g_graph_save_json(g, v, a, &e)) {
        fprintf(stderr, "a loaded graph does not save: %s\n", e.msg);
        abort();
    }
    n2g_graph *g2 = n2g_graph_load_json(a, v, &e);
    if (!g2) {
        fprintf(stderr, "a saved graph does not load: %s\n", e.msg);
        abort();
    }
    if (n2g_graph_save_json(g2, v, b, &e)) abort();
    size_t la, lb;
    char *ta = fuzz_slurp(a, &la), *tb = fuzz_slurp(b, &lb);
    if (!ta || !tb || la != lb || memcmp(ta, tb, la)) {
        fprintf(stderr, "save(load(save(graph))) differs from save(graph)\n");
        abort();
    }
    free(ta);
    free(tb);
    n2g_predict(g2, v, tok, n, out2);
    for (size_t i = 0; i < n; i++)
        if (out[i] != out2[i] && !(isnan(out[i]) && isnan(out2[i]))) abort();
    n2g_graph_free(g2);
    n2g_graph_free(g);
    return 0;
}
