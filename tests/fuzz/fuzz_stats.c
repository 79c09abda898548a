/* fuzz_stats.c — libFuzzer target for the stats.json reader (export_stats.c: the per-layer
 * summary of `n2g fit` / `build`, and the update that rewrites every other neuron's entry as it
 * was): any bytes summarise or fail with a message; updating one neuron in the file either
 * fails with a message (the file stays as it was) or writes a valid JSON file that keeps every
 * other entry and reads back the new one exactly. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "fuzz_common.h"
#include "n2g/graph/evaluate.h"
#include "n2g/graph/export_stats.h"

static void on_layer(void *ctx, const char *layer, const n2g_summary *s) {
    (void)ctx;
    if (!layer) abort();
    double mean[2][3], sd[2][3];
    n2g_summary_get(s, mean, sd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(0, "stats.json", data, size);
    n2g_err e = {0};
    if (n2g_stats_summarise(path, on_layer, NULL, &e)) fuzz_check_err(&e);
    /* a report of known values into the file */
    float y[6] = {0, 0.9f, 0.1f, 0.7f, 0, 1}, p[6] = {0, 0.8f, 0.6f, 0.2f, 0, 1};
    n2g_eval ev;
    n2g_eval_scores(y, p, 6, 0.5f, &ev);
    int layer = size ? data[0] % 3 : 0, neuron = size > 1 ? data[1] % 3 : 0;
    e.msg[0] = 0;
    if (n2g_stats_update(path, layer, neuron, &ev, &e)) {
        fuzz_check_err(&e);
        size_t len;
        char *now = fuzz_slurp(path, &len);
        if (!now || len != size || memcmp(now, data, size)) abort(); /* a failed update changes nothing */
        free(now);
        return 0;
    }
    json_doc *d = json_parse_file(path, &e);
    if (!d) {
        fprintf(stderr, "an updated stats.json does not parse: %s\n", e.msg);
        abort();
    }
    char lk[8], nk[8];
    snprintf(lk, sizeof lk, "%d", layer);
    snprintf(nk, sizeof nk, "%d", neuron);
    n2g_eval back;
    if (n2g_eval_from_json(json_get(json_get(json_root(d), lk), nk), &back, path, &e)) {
        fprintf(stderr, "the updated entry does not read back: %s\n", e.msg);
        abort();
    }
    for (int c = 0; c < 2; c++)
        if (back.has[c] != ev.has[c] || (ev.has[c] && (back.cls[c].support != ev.cls[c].support ||
                                                       back.cls[c].precision != ev.cls[c].precision ||
                                                       back.cls[c].recall != ev.cls[c].recall)))
            abort();
    /* every other entry of the original file is still there */
    n2g_err e0 = {0};
    json_doc *o = json_parse((const char *)data, size, "orig", &e0);
    if (o && json_root(o)->type == JSON_OBJECT) {
        const json_value *r = json_root(o), *nr = json_root(d);
        for (size_t i = 0; i < r->n; i++) {
            if (strlen(r->keys[i]) != r->key_lens[i] || json_get(r, r->keys[i]) != &r->items[i]) continue;
            const json_value *l2 = json_get(nr, r->keys[i]);
            if (!l2) abort();
            if (r->items[i].type == JSON_OBJECT && strcmp(r->keys[i], lk))
                if (l2->type != JSON_OBJECT || l2->n != r->items[i].n) abort();
        }
    }
    json_free(o);
    json_free(d);
    return 0;
}
