/* fuzz_casings.c — libFuzzer target for the word-casing table reader (word_to_casings.json,
 * `n2g build --casings`, casings.c): any bytes load or fail with a message; a table
 * that loads answers lookups of its own words and of others, and saved and loaded again it
 * has the same words with the same casings, and saves to the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "n2g/method/casings.h"

static const char *const probes[] = {"the", "The", "", "'", "caf\xc3\xa9", "a b", "\xff"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(0, "word_to_casings.json", data, size);
    n2g_casings *t;
    n2g_err e = {0};
    if (n2g_casings_load(path, &t, &e)) {
        fuzz_check_err(&e);
        return 0;
    }
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
        int n = -1;
        const n2g_casing *c = n2g_casings_get(t, probes[i], strlen(probes[i]), &n);
        if (c && n < 1) abort();
        for (int k = 0; c && k < n; k++)
            if (!c[k].text || (c[k].len && !c[k].text[0] && 0)) abort();
    }
    size_t words = n2g_casings_words(t);
    char a[400], b[400];
    snprintf(a, sizeof a, "%s/a.json", fuzz_dir());
    snprintf(b, sizeof b, "%s/b.json", fuzz_dir());
    if (n2g_casings_save(t, a, &e)) {
        fprintf(stderr, "a loaded table does not save: %s\n", e.msg);
        abort();
    }
    n2g_casings *t2;
    if (n2g_casings_load(a, &t2, &e)) {
        fprintf(stderr, "a saved table does not load: %s\n", e.msg);
        abort();
    }
    if (n2g_casings_words(t2) != words) abort();
    if (n2g_casings_save(t2, b, &e)) abort();
    size_t la, lb;
    char *ta = fuzz_slurp(a, &la), *tb = fuzz_slurp(b, &lb);
    if (!ta || !tb || la != lb || memcmp(ta, tb, la)) {
        fprintf(stderr, "save(load(save(table))) differs from save(table)\n");
        abort();
    }
    free(ta);
    free(tb);
    n2g_casings_free(t2);
    n2g_casings_free(t);
    return 0;
}
