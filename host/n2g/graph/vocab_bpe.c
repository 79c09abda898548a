/* vocab_bpe.c — vocabulary from the BPE tokenizer (see vocab_bpe.h). */
#include "n2g/graph/vocab_bpe.h"

#include <stdlib.h>
#include <sys/stat.h>

n2g_vocab *n2g_vocab_from_bpe(const bpe_tokenizer *t, int normalise, n2g_err *err) {
    int n = bpe_vocab_size(t);
    const char **bytes = malloc((size_t)(n > 0 ? n : 1) * sizeof *bytes);
    uint32_t *lens = malloc((size_t)(n > 0 ? n : 1) * sizeof *lens);
    n2g_vocab *v = NULL;
    if (!bytes || !lens) {
        n2g_fail(err, "vocabulary: out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        size_t len = 0;
        bytes[i] = bpe_token_bytes(t, i, &len);
        if (!bytes[i]) {
            n2g_fail(err, "vocabulary: token id %d has no bytes", i);
            goto done;
        }
        lens[i] = (uint32_t)len;
    }
    v = n2g_vocab_new(n, bytes, lens, normalise, err);
done:
    free(bytes);
    free(lens);
    return v;
}

n2g_vocab *n2g_vocab_open(const char *path, int normalise, bpe_tokenizer **tok, n2g_err *err) {
    if (tok) *tok = NULL;
    struct stat st;
    if (path && stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) return n2g_vocab_load(path, normalise, err);
    bpe_tokenizer *t = path ? bpe_load_dir(path, err) : bpe_load_default(err);
    if (!t) return NULL;
    n2g_vocab *v = n2g_vocab_from_bpe(t, normalise, err);
    if (v && tok) *tok = t;
    else bpe_free(t);
    return v;
}
