/* fuzz_store.c — libFuzzer target for the neuron store reader (neuron_store.json, which
 * `n2g fit`, `search`, `similar` and the report read back; store.c): any bytes load or fail
 * with a message; a store that loads answers searches (tokens of its own and others, exact or
 * not, each type) and the similarity query, and saved and loaded again it saves to the same
 * bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "n2g/graph/store.h"

static const char *const probes[] = {"the", " the", "The", "", "\xff", "of"};

static void queries(const n2g_store *s) {
    n2g_err e = {0};
    for (int type = -1; type <= 1; type++)
        for (int exact = 0; exact < 2; exact++)
            for (size_t k = 1; k <= 2; k++) {
                const char **out;
                size_t n;
                if (n2g_store_search(s, &probes[type + 1], k, type, exact, &out, &n, &e) == 0) {
                    for (size_t i = 0; i < n; i++)
                        if (!out[i]) abort();
                    free(out);
                } else {
                    fuzz_check_err(&e);
                }
            }
    n2g_pair *sim, *sub;
    size_t ns, nb;
    if (n2g_store_similar(s, 0.9, &sim, &ns, &sub, &nb, &e) == 0) {
        for (size_t i = 0; i < ns; i++)
            if (!sim[i].a || !sim[i].b) abort();
        free(sim);
        free(sub);
    } else {
        fuzz_check_err(&e);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(0, "neuron_store.json", data, size);
    n2g_err e = {0};
    n2g_store *s = n2g_store_load(path, 0, &e);
    if (!s) {
        fuzz_check_err(&e);
        return 0;
    }
    queries(s);
    char a[400], b[400];
    snprintf(a, sizeof a, "%s/a.json", fuzz_dir());
    snprintf(b, sizeof b, "%s/b.json", fuzz_dir());
    if (n2g_store_save(s, a, &e)) {
        fprintf(stderr, "a loaded store does not save: %s\n", e.msg);
        abort();
    }
    n2g_store *s2 = n2g_store_load(a, 0, &e);
    if (!s2) {
        fprintf(stderr, "a saved store does not load: %s\n", e.msg);
        abort();
    }
    if (n2g_store_save(s2, b, &e)) abort();
    size_t la, lb;
    char *ta = fuzz_slurp(a, &la), *tb = fuzz_slurp(b, &lb);
    if (!ta || !tb || la != lb || memcmp(ta, tb, la)) {
        fprintf(stderr, "save(load(save(store))) differs from save(store)\n");
        abort();
    }
    free(ta);
    free(tb);
    n2g_store_free(s2);
    n2g_store_free(s);
    return 0;
}
