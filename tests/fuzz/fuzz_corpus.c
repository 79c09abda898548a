/* fuzz_corpus.c — libFuzzer target for the corpus reader: arbitrary bytes as a .txt document, as
 * JSONL lines, and (when they start with gzip / zstd magic) as a compressed stream must never
 * crash, hang or fail in lenient mode, and the counts must add up: every token is in a row or in
 * the dropped tail. The first byte picks the format and n_ctx. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text/bpe.h"
#include "text/corpus.h"

static bpe_tokenizer *tok;
static char dir[256];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!tok) {
        n2g_err e = {0};
        tok = bpe_load_default(&e);
        if (!tok) {
            fprintf(stderr, "fuzz_corpus: %s\n", e.msg);
            abort();
        }
        snprintf(dir, sizeof dir, "/tmp/n2g-fuzz-corpus-XXXXXX");
        if (!mkdtemp(dir)) abort();
    }
    if (size < 1) return 0;
    int jsonl = data[0] & 1, n_ctx = 2 + (data[0] >> 1) % 40;
    char path[300];
    snprintf(path, sizeof path, "%s/input.%s", dir, jsonl ? "jsonl" : "txt");
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    corpus_options o = corpus_default_options(tok);
    o.n_ctx = n_ctx;
    o.threads = 1 + (data[0] >> 6);
    o.quiet = o.no_warnings = 1;
    corpus_reader *r;
    n2g_err e = {0};
    const char *p = path;
    if (corpus_open(&p, 1, tok, &o, &r, &e)) abort();
    int32_t rows[4 * 41];
    long got, total = 0;
    while ((got = corpus_next_rows(r, rows, 4, &e)) > 0) {
        for (long i = 0; i < got * n_ctx; i++)
            if (rows[i] < 0 || rows[i] >= bpe_vocab_size(tok)) abort();
        total += got;
    }
    if (got < 0) abort(); /* lenient mode never fails on bad input */
    corpus_counts st = corpus_stats(r);
    if (st.rows != (uint64_t)total || st.tokens != (uint64_t)total * (uint64_t)(n_ctx - 1) + st.dropped_tokens) abort();
    corpus_close(r);
    unlink(path);
    return 0;
}
