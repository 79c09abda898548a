/* export_json.c — graph JSON writer and strict reader (see export_json.h). */
#include "n2g/graph/export_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/atomic_write.h"

static const char *kind_of(const n2g_elem *e) {
    if (e->key == N2G_KEY_ROOT) return "root";
    if (e->key == N2G_KEY_END) return "end";
    if (e->key == N2G_KEY_IGNORE) return "ignore";
    return "token";
}

static int write_trie(FILE *f, const n2g_trie *t, const n2g_vocab *vocab) {
    /* preorder with an explicit stack of (node, new parent index) */
    int32_t *stack = malloc((size_t)t->n * 2 * sizeof *stack);
    if (!stack) return -1;
    size_t sn = 0;
    int32_t idx = 0;
    stack[sn++] = 0;
    stack[sn++] = -1;
    fputs("[", f);
    while (sn) {
        int32_t parent = stack[--sn], x = stack[--sn];
        const n2g_node *nd = &t->nodes[x];
        const n2g_elem *e = &nd->v;
        fprintf(f, "%s\n    {\"parent\": %d, \"kind\": \"%s\", \"token\": %d, \"key\": %lld, \"text\": ", idx ? "," : "",
                parent, kind_of(e), e->token,
                e->key >= N2G_KEY_ROOT ? -1LL : (long long)e->key);
        if (e->key == N2G_KEY_ROOT) fputs("\"**ROOT**\"", f);
        else if (e->key == N2G_KEY_END) fputs("\"**END**\"", f);
        else if (e->key == N2G_KEY_IGNORE) fputs("\"**IGNORE**\"", f);
        else if (vocab && e->token >= 0 && e->token < vocab->n) json_write_string(f, vocab->key[e->token].s, vocab->key[e->token].n);
        else fputs("\"\"", f);
        fputs(", \"importance\": ", f);
        json_write_float(f, e->importance);
        fputs(", \"activation\": ", f);
        json_write_float(f, e->activation);
        fprintf(f, ", \"important\": %s, \"activator\": %s, \"ignore\": %s, \"is_end\": %s, \"depth\": %d}",
                e->important ? "true" : "false", e->activator ? "true" : "false", e->ignore ? "true" : "false",
                e->is_end ? "true" : "false", nd->depth);
        /* children in reverse so the first child is written first */
        size_t mark = sn;
        for (int32_t c = nd->first; c >= 0; c = t->nodes[c].next) {
            stack[sn++] = c;
            stack[sn++] = idx;
        }
        for (size_t a = mark, z = sn >= mark + 2 ? sn - 2 : mark; a < z; a += 2, z -= 2) {
            int32_t t0 = stack[a], t1 = stack[a + 1];
            stack[a] = stack[z];
            stack[a + 1] = stack[z + 1];
            stack[z] = t0;
            stack[z + 1] = t1;
        }
        idx++;
    }
    fputs("\n  ]", f);
    free(stack);
    return 0;
}

int n2g_graph_save_json(const n2g_graph *g, const n2g_vocab *vocab, const char *path, n2g_err *err) {
    n2g_afile o;
    if (n2g_afile_open(&o, path, 0, err)) return -1;
    FILE *f = o.f;
    fprintf(f, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n  \"layer\": %d,\n  \"neuron\": %d,\n", N2G_GRAPH_FORMAT,
            N2G_GRAPH_VERSION, g->layer, g->neuron);
    fputs("  \"activation_threshold\": ", f);
    json_write_float(f, g->params.activation_threshold);
    fputs(",\n  \"importance_threshold\": ", f);
    json_write_float(f, g->params.importance_threshold);
    fprintf(f, ",\n  \"normalise\": %s,\n  \"vocab_size\": %d,\n  \"max_depth\": %d,\n  \"graph\": ",
            g->normalise ? "true" : "false", g->vocab_size, g->max_depth);
    if (write_trie(f, &g->viz, vocab)) goto oom;
    fputs(",\n  \"trie\": ", f);
    if (write_trie(f, &g->trie, vocab)) goto oom;
    fputs("\n}\n", f);
    return n2g_afile_commit(&o, err);
oom:
    n2g_afile_abort(&o);
    return n2g_fail(err, "%s: out of memory", path);
}

static int get_bool(const json_value *o, const char *k, const char *what, size_t i, const char *arr, uint8_t *out,
                    n2g_err *err) {
    const json_value *v = json_get(o, k);
    if (!v || (v->type != JSON_TRUE && v->type != JSON_FALSE))
        return n2g_fail(err, "%s: %s[%zu].%s: expected true or false", what, arr, i, k);
    *out = v->type == JSON_TRUE;
    return 0;
}

static int get_f(const json_value *o, const char *k, const char *what, size_t i, const char *arr, float *out,
                 n2g_err *err) {
    const json_value *v = json_get(o, k);
    if (!v || v->type != JSON_NUMBER || !isfinite((float)v->num))
        return n2g_fail(err, "%s: %s[%zu].%s: expected a finite number", what, arr, i, k);
    *out = (float)v->num;
    return 0;
}

static int get_i(const json_value *o, const char *k, const char *what, size_t i, const char *arr, long lo, long hi,
                 long *out, n2g_err *err) {
    const json_value *v = json_get(o, k);
    if (!v || v->type != JSON_NUMBER || v->num != floor(v->num) || v->num < (double)lo || v->num > (double)hi)
        return n2g_fail(err, "%s: %s[%zu].%s: expected an integer in %ld..%ld", what, arr, i, k, lo, hi);
    *out = (long)v->num;
    return 0;
}

static int read_trie(const json_value *a, const char *what, const char *arr, n2g_trie *t, const n2g_vocab *vocab,
                     int vocab_size, n2g_err *err) {
    if (!a || a->type != JSON_ARRAY || a->n == 0)
        return n2g_fail(err, "%s: %s: expected a non-empty array of nodes", what, arr);
    for (size_t i = 0; i < a->n; i++) {
        const json_value *o = &a->items[i];
        if (o->type != JSON_OBJECT) return n2g_fail(err, "%s: %s[%zu]: expected a node object", what, arr, i);
        long parent = 0, token = 0, key = 0, depth = 0;
        n2g_elem e;
        memset(&e, 0, sizeof e);
        if (get_i(o, "parent", what, i, arr, -1, (long)i - 1, &parent, err) ||
            get_i(o, "token", what, i, arr, -1, vocab_size - 1, &token, err) ||
            get_i(o, "key", what, i, arr, -1, vocab_size - 1, &key, err) ||
            get_i(o, "depth", what, i, arr, -1, 1 << 20, &depth, err) ||
            get_f(o, "importance", what, i, arr, &e.importance, err) ||
            get_f(o, "activation", what, i, arr, &e.activation, err) ||
            get_bool(o, "important", what, i, arr, &e.important, err) ||
            get_bool(o, "activator", what, i, arr, &e.activator, err) ||
            get_bool(o, "ignore", what, i, arr, &e.ignore, err) ||
            get_bool(o, "is_end", what, i, arr, &e.is_end, err))
            return -1;
        const json_value *kv = json_get(o, "kind");
        const char *kind = kv && kv->type == JSON_STRING ? kv->str : "";
        if ((i == 0) != (parent == -1) || (i == 0) != !strcmp(kind, "root"))
            return n2g_fail(err, "%s: %s[%zu]: only the first node is the root (parent -1, kind \"root\")", what, arr, i);
        e.token = (int32_t)token;
        if (!strcmp(kind, "root")) e.key = N2G_KEY_ROOT;
        else if (!strcmp(kind, "end")) e.key = N2G_KEY_END;
        else if (!strcmp(kind, "ignore")) e.key = N2G_KEY_IGNORE;
        else if (!strcmp(kind, "token")) {
            if (key < 0 || token < 0)
                return n2g_fail(err, "%s: %s[%zu]: a token node needs a token id and a key", what, arr, i);
            e.key = (uint32_t)key;
            if (vocab && vocab->cls[token] != e.key)
                return n2g_fail(err,
                                "%s: %s[%zu]: token %ld has class %u in this vocabulary but %ld in the graph "
                                "(fitted with another vocabulary?)",
                                what, arr, i, token, vocab->cls[token], key);
        } else {
            return n2g_fail(err, "%s: %s[%zu].kind: expected \"root\", \"token\", \"ignore\" or \"end\"", what, arr, i);
        }
        if (i == 0) {
            t->nodes[0].v = e;
            t->nodes[0].depth = (int32_t)depth;
            continue;
        }
        if (n2g_trie_child(t, (int32_t)parent, e.key) >= 0)
            return n2g_fail(err, "%s: %s[%zu]: node %ld already has a child with this key", what, arr, i, parent);
        if (n2g_trie_append(t, (int32_t)parent, &e, (int32_t)depth) < 0) return n2g_fail(err, "%s: out of memory", what);
    }
    return 0;
}

static n2g_graph *from_doc(json_doc *doc, const char *what, const n2g_vocab *vocab, n2g_err *err);

n2g_graph *n2g_graph_parse_json(const char *text, size_t len, const char *what, const n2g_vocab *vocab,
                                n2g_err *err) {
    json_doc *doc = json_parse(text, len, what, err);
    return doc ? from_doc(doc, what, vocab, err) : NULL;
}

n2g_graph *n2g_graph_load_json(const char *path, const n2g_vocab *vocab, n2g_err *err) {
    json_doc *doc = json_parse_file(path, err);
    return doc ? from_doc(doc, path, vocab, err) : NULL;
}

/* Builds a graph from a parsed graph file; frees doc. */
static n2g_graph *from_doc(json_doc *doc, const char *what, const n2g_vocab *vocab, n2g_err *err) {
    const json_value *r = json_root(doc);
    n2g_graph *g = NULL;
    const json_value *fv = json_get(r, "format");
    if (r->type != JSON_OBJECT || !fv || fv->type != JSON_STRING || strcmp(fv->str, N2G_GRAPH_FORMAT)) {
        n2g_fail(err, "%s: not an n2g graph (expected \"format\": \"%s\")", what, N2G_GRAPH_FORMAT);
        goto done;
    }
    int version;
    if (json_get_int(r, "version", what, &version, err)) goto done;
    if (version != N2G_GRAPH_VERSION) {
        n2g_fail(err, "%s: graph format version %d is not supported (this build reads version %d)", what, version,
                 N2G_GRAPH_VERSION);
        goto done;
    }
    g = n2g_graph_new();
    if (!g) {
        n2g_fail(err, "%s: out of memory", what);
        goto done;
    }
    double at, it;
    const json_value *nv = json_get(r, "normalise");
    if (json_get_int(r, "layer", what, &g->layer, err) || json_get_int(r, "neuron", what, &g->neuron, err) ||
        json_get_double(r, "activation_threshold", what, &at, err) ||
        json_get_double(r, "importance_threshold", what, &it, err) ||
        json_get_int(r, "vocab_size", what, &g->vocab_size, err) ||
        json_get_int(r, "max_depth", what, &g->max_depth, err))
        goto fail;
    if (!nv || (nv->type != JSON_TRUE && nv->type != JSON_FALSE)) {
        n2g_fail(err, "%s: normalise: expected true or false", what);
        goto fail;
    }
    if (g->vocab_size <= 0) {
        n2g_fail(err, "%s: vocab_size: expected a positive integer", what);
        goto fail;
    }
    g->normalise = nv->type == JSON_TRUE;
    g->params.activation_threshold = (float)at;
    g->params.importance_threshold = (float)it;
    if (vocab) {
        if (vocab->n != g->vocab_size) {
            n2g_fail(err, "%s: graph was fitted with a vocabulary of %d tokens, this one has %d", what, g->vocab_size,
                     vocab->n);
            goto fail;
        }
        if (vocab->normalise != g->normalise) {
            n2g_fail(err, "%s: graph was fitted with normalisation %s; load the vocabulary the same way", what,
                     g->normalise ? "on" : "off (--no-normalise)");
            goto fail;
        }
    }
    if (read_trie(json_get(r, "graph"), what, "graph", &g->viz, vocab, g->vocab_size, err) ||
        read_trie(json_get(r, "trie"), what, "trie", &g->trie, vocab, g->vocab_size, err))
        goto fail;
    if (n2g_graph_freeze(g)) {
        n2g_fail(err, "%s: out of memory", what);
        goto fail;
    }
    goto done;
fail:
    n2g_graph_free(g);
    g = NULL;
done:
    json_free(doc);
    return g;
}
