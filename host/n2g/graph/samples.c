/* samples.c — strict reader for the samples file (see samples.h). */
#include "n2g/graph/samples.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

static int read_ints(const json_value *a, const char *what, const char *field, size_t idx, int32_t **out,
                     int *len, n2g_err *err) {
    if (!a || a->type != JSON_ARRAY)
        return n2g_fail(err, "%s: %s[%zu].tokens: expected an array of token ids", what, field, idx);
    if (a->n == 0) return n2g_fail(err, "%s: %s[%zu].tokens: expected at least one token", what, field, idx);
    if (a->n > 1000000) return n2g_fail(err, "%s: %s[%zu].tokens: too long (%zu)", what, field, idx, a->n);
    int32_t *v = malloc(a->n * sizeof *v);
    if (!v) return n2g_fail(err, "%s: out of memory", what);
    for (size_t i = 0; i < a->n; i++) {
        const json_value *x = &a->items[i];
        if (x->type != JSON_NUMBER || x->num < 0 || x->num > 2147483647.0 || x->num != floor(x->num)) {
            free(v);
            return n2g_fail(err, "%s: %s[%zu].tokens[%zu]: expected a non-negative integer token id", what, field,
                            idx, i);
        }
        v[i] = (int32_t)x->num;
    }
    *out = v;
    *len = (int)a->n;
    return 0;
}

static int read_floats(const json_value *a, size_t want, const char *what, const char *field, size_t idx,
                       const char *name, float *out, n2g_err *err) {
    if (!a || a->type != JSON_ARRAY)
        return n2g_fail(err, "%s: %s[%zu].%s: expected an array of %zu numbers", what, field, idx, name, want);
    if (a->n != want)
        return n2g_fail(err, "%s: %s[%zu].%s: expected %zu numbers (one per token), got %zu", what, field, idx,
                        name, want, a->n);
    for (size_t i = 0; i < a->n; i++) {
        const json_value *x = &a->items[i];
        if (x->type != JSON_NUMBER || !isfinite(x->num) || !isfinite((float)x->num))
            return n2g_fail(err, "%s: %s[%zu].%s[%zu]: expected a finite number, got %s", what, field, idx, name, i,
                            x->type == JSON_NUMBER ? "an out-of-range number" : json_type_name(x->type));
        out[i] = (float)x->num;
    }
    return 0;
}

static int read_rows(const json_value *a, const char *what, const char *field, n2g_row **rows, size_t *n,
                     n2g_err *err) {
    *rows = NULL;
    *n = 0;
    if (!a) return 0;
    if (a->type != JSON_ARRAY) return n2g_fail(err, "%s: %s: expected an array of rows", what, field);
    *rows = calloc(a->n ? a->n : 1, sizeof **rows);
    if (!*rows) return n2g_fail(err, "%s: out of memory", what);
    for (size_t i = 0; i < a->n; i++) {
        const json_value *r = &a->items[i];
        if (r->type != JSON_OBJECT) return n2g_fail(err, "%s: %s[%zu]: expected an object", what, field, i);
        n2g_row *row = &(*rows)[i];
        *n = i + 1;
        if (read_ints(json_get(r, "tokens"), what, field, i, &row->tokens, &row->len, err)) return -1;
        row->act = malloc((size_t)row->len * sizeof *row->act);
        if (!row->act) return n2g_fail(err, "%s: out of memory", what);
        if (read_floats(json_get(r, "activations"), (size_t)row->len, what, field, i, "activations", row->act, err))
            return -1;
    }
    return 0;
}

static int from_doc(json_doc *doc, const char *what, n2g_samples *out, n2g_err *err);

int n2g_samples_parse(const char *text, size_t len, const char *what, n2g_samples *out, n2g_err *err) {
    memset(out, 0, sizeof *out);
    out->layer = out->neuron = -1;
    json_doc *doc = json_parse(text, len, what, err);
    return doc ? from_doc(doc, what, out, err) : -1;
}

int n2g_samples_load(const char *path, n2g_samples *out, n2g_err *err) {
    memset(out, 0, sizeof *out);
    out->layer = out->neuron = -1;
    json_doc *doc = json_parse_file(path, err);
    return doc ? from_doc(doc, path, out, err) : -1;
}

/* samples[i] (o) into out->s[i]; its parent must be an earlier original */
static int read_sample(const json_value *o, size_t i, const char *what, n2g_samples *out, n2g_err *err) {
    n2g_sample *s = &out->s[i];
    s->parent = -1;
    if (o->type != JSON_OBJECT) return n2g_fail(err, "%s: samples[%zu]: expected an object", what, i);
    if (read_ints(json_get(o, "tokens"), what, "samples", i, &s->tokens, &s->len, err)) return -1;
    size_t L = (size_t)s->len;
    if (L > 8192) return n2g_fail(err, "%s: samples[%zu]: %zu tokens; a pruned sample has at most 8192", what, i, L);
    s->act = malloc(L * sizeof *s->act);
    s->imp = malloc(L * L * sizeof *s->imp);
    if (!s->act || !s->imp) return n2g_fail(err, "%s: out of memory", what);
    if (read_floats(json_get(o, "activations"), L, what, "samples", i, "activations", s->act, err)) return -1;
    const json_value *im = json_get(o, "importance");
    if (!im || im->type != JSON_ARRAY || im->n != L)
        return n2g_fail(err, "%s: samples[%zu].importance: expected %zu rows of %zu numbers (an L x L matrix), got %s%s",
                        what, i, L, L, im && im->type == JSON_ARRAY ? "" : im ? json_type_name(im->type) : "nothing",
                        im && im->type == JSON_ARRAY ? "a different row count" : "");
    for (size_t k = 0; k < L; k++) {
        char name[48];
        snprintf(name, sizeof name, "importance[%zu]", k);
        if (read_floats(&im->items[k], L, what, "samples", i, name, s->imp + k * L, err)) return -1;
    }
    const json_value *pv = json_get(o, "parent");
    if (!pv || pv->type == JSON_NULL) return 0;
    if (pv->type != JSON_NUMBER || pv->num != floor(pv->num) || pv->num < 0 || pv->num >= (double)i)
        return n2g_fail(err, "%s: samples[%zu].parent: expected null or the index of an earlier sample", what, i);
    s->parent = (int)pv->num;
    if (out->s[s->parent].parent >= 0)
        return n2g_fail(err, "%s: samples[%zu].parent: sample %d is itself augmented; name its original", what, i,
                        s->parent);
    return 0;
}

/* Fills out from a parsed samples file; frees doc. */
static int from_doc(json_doc *doc, const char *what, n2g_samples *out, n2g_err *err) {
    const json_value *root = json_root(doc);
    int rc = -1;
    if (root->type != JSON_OBJECT) {
        n2g_fail(err, "%s: expected a JSON object with a \"samples\" array", what);
        goto done;
    }
    const json_value *lv = json_get(root, "layer"), *nv = json_get(root, "neuron"), *bm = json_get(root, "base_max");
    if (lv && json_get_int(root, "layer", what, &out->layer, err)) goto done;
    if (nv && json_get_int(root, "neuron", what, &out->neuron, err)) goto done;
    if (bm) {
        if (bm->type != JSON_NUMBER || !isfinite(bm->num) || bm->num == 0) {
            n2g_fail(err, "%s: base_max: expected a finite non-zero number", what);
            goto done;
        }
        out->base_max = bm->num;
    }
    const json_value *sa = json_get(root, "samples");
    if (!sa || sa->type != JSON_ARRAY) {
        n2g_fail(err, "%s: samples: expected an array of samples", what);
        goto done;
    }
    out->s = calloc(sa->n ? sa->n : 1, sizeof *out->s);
    if (!out->s) {
        n2g_fail(err, "%s: out of memory", what);
        goto done;
    }
    for (size_t i = 0; i < sa->n; i++) {
        out->n = i + 1;
        if (read_sample(&sa->items[i], i, what, out, err)) goto done;
    }
    if (read_rows(json_get(root, "test"), what, "test", &out->test, &out->n_test, err)) goto done;
    if (read_rows(json_get(root, "train"), what, "train", &out->train, &out->n_train, err)) goto done;
    rc = 0;
done:
    json_free(doc);
    if (rc) n2g_samples_free(out);
    return rc;
}

static void rows_free(n2g_row *r, size_t n) {
    for (size_t i = 0; r && i < n; i++) {
        free(r[i].tokens);
        free(r[i].act);
    }
    free(r);
}

void n2g_samples_free(n2g_samples *s) {
    for (size_t i = 0; s->s && i < s->n; i++) {
        free(s->s[i].tokens);
        free(s->s[i].act);
        free(s->s[i].imp);
    }
    free(s->s);
    rows_free(s->test, s->n_test);
    rows_free(s->train, s->n_train);
    memset(s, 0, sizeof *s);
    s->layer = s->neuron = -1;
}
