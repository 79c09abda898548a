/* samples_write.c — the samples file `n2g fit` reads, written (see samples.h). */
#include <stdio.h>

#include "common/json.h"
#include "n2g/graph/samples.h"

static void ints(FILE *f, const int32_t *v, int n) {
    fputc('[', f);
    for (int i = 0; i < n; i++) fprintf(f, i ? ", %d" : "%d", (int)v[i]);
    fputc(']', f);
}

static void floats(FILE *f, const float *v, int n) {
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        json_write_float(f, v[i]);
    }
    fputc(']', f);
}

static void rows(FILE *f, const char *name, const n2g_row *r, size_t n) {
    if (!n) return;
    fprintf(f, ",\n \"%s\": [", name);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n  {\"tokens\": " : "\n  {\"tokens\": ", f);
        ints(f, r[i].tokens, r[i].len);
        fputs(", \"activations\": ", f);
        floats(f, r[i].act, r[i].len);
        fputc('}', f);
    }
    fputs("\n ]", f);
}

int n2g_samples_write(FILE *f, const n2g_samples *s, n2g_err *err) {
    fputc('{', f);
    if (s->layer >= 0 && s->neuron >= 0) fprintf(f, "\"layer\": %d, \"neuron\": %d, ", s->layer, s->neuron);
    if (s->base_max > 0) {
        fputs("\"base_max\": ", f);
        json_write_float(f, (float)s->base_max);
        fputs(", ", f);
    }
    fputs("\n \"samples\": [", f);
    for (size_t i = 0; i < s->n; i++) {
        const n2g_sample *x = &s->s[i];
        fputs(i ? ",\n  {\"tokens\": " : "\n  {\"tokens\": ", f);
        ints(f, x->tokens, x->len);
        fputs(", \"activations\": ", f);
        floats(f, x->act, x->len);
        fputs(", \"importance\": [", f);
        for (int k = 0; k < x->len; k++) {
            if (k) fputs(", ", f);
            floats(f, x->imp + (size_t)k * (size_t)x->len, x->len);
        }
        if (x->parent >= 0) fprintf(f, "], \"parent\": %d}", x->parent);
        else fputs("], \"parent\": null}", f);
    }
    fputs(s->n ? "\n ]" : "]", f);
    rows(f, "test", s->test, s->n_test);
    rows(f, "train", s->train, s->n_train);
    fputs("}\n", f);
    return ferror(f) ? n2g_fail(err, "samples: write failed") : 0;
}
