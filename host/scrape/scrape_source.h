/* scrape_source.h — the corpus as a stream of rows for the scrape (wraps text/corpus.h). */
#ifndef N2G_SCRAPE_SOURCE_H
#define N2G_SCRAPE_SOURCE_H

#include <stdint.h>

#include "common/err.h"

typedef struct scrape_source scrape_source;

/* Opens the corpus files for rows of ctx tokens (BOS + ctx-1 tokens, documents joined by EOS),
 * tokenized with the GPT-2 tokenizer of model_dir (or the bundled one). strict: the first bad
 * input (corpus.h) stops the scan with its message instead of being skipped with a warning. */
int scrape_source_open(const char *const *paths, int n, const char *model_dir, int ctx, int strict,
                       scrape_source **out, n2g_err *err);
/* Fills up to max rows into rows [max, ctx]; *got = rows delivered (0 at the end). */
int scrape_source_next(scrape_source *s, int32_t *rows, int max, int *got, n2g_err *err);
/* Skips rows (resume). Fails when the corpus ends first. */
int scrape_source_skip(scrape_source *s, uint64_t rows, n2g_err *err);
/* Document bytes read so far (for an ETA from the corpus size). */
uint64_t scrape_source_bytes_read(const scrape_source *s);
void scrape_source_close(scrape_source *s);

#endif
