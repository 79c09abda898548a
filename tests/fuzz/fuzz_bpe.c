/* fuzz_bpe.c — libFuzzer target for the GPT-2 BPE: any bytes encode without crashing, every id is
 * in the vocabulary, decode(encode(x)) == x for every input (byte-level BPE covers invalid UTF-8
 * too), with and without special tokens and with and without the piece cache, and the
 * pre-tokeniser always advances and covers the input exactly.
 * Build: CC=clang cmake -S . -B build-fuzz -DN2G_FUZZ=ON ...; run: tests/fuzz/run_fuzz.sh SECONDS */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/bpe.h"

static bpe_tokenizer *tok;
static bpe_cache *cache;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!tok) {
        n2g_err e = {0};
        tok = bpe_load_default(&e);
        if (!tok) {
            fprintf(stderr, "fuzz_bpe: %s\n", e.msg);
            abort();
        }
        cache = bpe_cache_new();
    }
    for (size_t i = 0; i < size;) {
        size_t e = bpe_piece_end(data, size, i);
        if (e <= i || e > size) abort();
        i = e;
    }
    for (int mode = 0; mode < 3; mode++) {
        bpe_ids ids = {0};
        int flags = mode == 1 ? BPE_ORDINARY : BPE_SPECIAL;
        if (bpe_encode(tok, (const char *)data, size, flags, &ids, mode == 2 ? NULL : cache, NULL)) abort();
        for (size_t k = 0; k < ids.n; k++)
            if (ids.ids[k] < 0 || ids.ids[k] >= bpe_vocab_size(tok)) abort();
        char *back;
        size_t len;
        if (bpe_decode(tok, ids.ids, ids.n, &back, &len, NULL)) abort();
        if (len != size || memcmp(back, data, size)) abort();
        free(back);
        free(ids.ids);
    }
    return 0;
}
