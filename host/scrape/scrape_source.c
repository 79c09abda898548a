/* scrape_source.c — the corpus as a stream of rows for the scrape (text/corpus.h). */
#include "scrape_source.h"

#include <stdlib.h>

struct scrape_source {
    corpus_reader *rd;
};

int scrape_source_open(const char *const *paths, int n, const bpe_tokenizer *tok, int ctx, int strict,
                       scrape_source **out, n2g_err *err) {
    *out = NULL;
    scrape_source *s = calloc(1, sizeof *s);
    if (!s) return n2g_fail(err, "out of memory");
    corpus_options o = corpus_default_options(tok);
    o.n_ctx = ctx;
    o.quiet = 1;
    o.strict = strict;
    if (corpus_open(paths, n, tok, &o, &s->rd, err)) {
        scrape_source_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

int scrape_source_next(scrape_source *s, int32_t *rows, int max, int *got, n2g_err *err) {
    long n = corpus_next_rows(s->rd, rows, max, err);
    if (n < 0) return -1;
    *got = (int)n;
    return 0;
}

int scrape_source_skip(scrape_source *s, uint64_t rows, n2g_err *err) {
    while (rows) {
        long step = rows > (1ul << 30) ? (1l << 30) : (long)rows;
        long n = corpus_skip_rows(s->rd, step, err);
        if (n < 0) return -1;
        if (n < step) return n2g_fail(err, "the corpus ended before the checkpoint's row count; was it changed?");
        rows -= (uint64_t)n;
    }
    return 0;
}

double scrape_source_progress(const scrape_source *s) {
    uint64_t done, total;
    corpus_progress(s->rd, &done, &total);
    if (!total) return 0;
    double f = (double)done / (double)total;
    return f > 1 ? 1 : f;
}

int scrape_source_files(const scrape_source *s, const corpus_file_id **files) { return corpus_files(s->rd, files); }

void scrape_source_counts(const scrape_source *s, scrape_ident *id) {
    const corpus_file_id *f;
    int n = corpus_files(s->rd, &f);
    for (int i = 0; i < n && i < id->n_files; i++) {
        id->files[i].skipped = f[i].skipped;
        id->files[i].replaced = f[i].replaced;
        id->files[i].truncated = f[i].bad;
    }
}

void scrape_source_close(scrape_source *s) {
    if (!s) return;
    corpus_close(s->rd);
    free(s);
}
