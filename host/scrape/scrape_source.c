/* scrape_source.c — the corpus as a stream of rows for the scrape (text/corpus.h). */
#include "scrape_source.h"

#include <stdlib.h>

#include "text/bpe.h"
#include "text/corpus.h"

struct scrape_source {
    bpe_tokenizer *tok;
    corpus_reader *rd;
};

int scrape_source_open(const char *const *paths, int n, const char *model_dir, int ctx, int strict,
                       scrape_source **out, n2g_err *err) {
    *out = NULL;
    scrape_source *s = calloc(1, sizeof *s);
    if (!s) return n2g_fail(err, "out of memory");
    /* the model's own tokenizer files when it has them, else the default GPT-2 vocabulary */
    n2g_err e2 = {0};
    s->tok = bpe_load_dir(model_dir, &e2);
    if (!s->tok) s->tok = bpe_load_default(err);
    if (!s->tok) {
        free(s);
        return -1;
    }
    corpus_options o = corpus_default_options(s->tok);
    o.n_ctx = ctx;
    o.quiet = 1;
    o.strict = strict;
    if (corpus_open(paths, n, s->tok, &o, &s->rd, err)) {
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

uint64_t scrape_source_bytes_read(const scrape_source *s) { return corpus_stats(s->rd).bytes; }

void scrape_source_close(scrape_source *s) {
    if (!s) return;
    corpus_close(s->rd);
    bpe_free(s->tok);
    free(s);
}
