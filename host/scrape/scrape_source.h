/* scrape_source.h — the corpus as a stream of rows for the scrape (wraps text/corpus.h). */
#ifndef N2G_SCRAPE_SOURCE_H
#define N2G_SCRAPE_SOURCE_H

#include <stdint.h>

#include "common/err.h"
#include "scrape_manifest.h"
#include "text/bpe.h"
#include "text/corpus.h"

typedef struct scrape_source scrape_source;

/* Opens the corpus files for rows of ctx tokens (BOS + ctx-1 tokens, documents joined by EOS),
 * tokenized with tok (borrowed: it must outlive the source; bpe_load_model picks it). strict:
 * the first bad input (corpus.h) stops the scan with its message instead of being skipped with
 * a warning. */
int scrape_source_open(const char *const *paths, int n, const bpe_tokenizer *tok, int ctx, int strict,
                       scrape_source **out, n2g_err *err);
/* Fills up to max rows into rows [max, ctx]; *got = rows delivered (0 at the end). */
int scrape_source_next(scrape_source *s, int32_t *rows, int max, int *got, n2g_err *err);
/* Skips rows (resume). Fails when the corpus ends first. */
int scrape_source_skip(scrape_source *s, uint64_t rows, n2g_err *err);
/* The share of the corpus (by stored bytes) behind the rows delivered or skipped so far, in
 * [0, 1]; 0 when unknown (for a progress estimate: corpus_progress). */
double scrape_source_progress(const scrape_source *s);
/* The input files read so far, with their problem counts (corpus_files). */
int scrape_source_files(const scrape_source *s, const corpus_file_id **files);
/* Copies the problem counts of the files read so far into id->files (same order). */
void scrape_source_counts(const scrape_source *s, scrape_ident *id);
void scrape_source_close(scrape_source *s);

#endif
