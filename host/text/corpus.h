/* corpus.h — streaming corpus ingestion: text files -> rows of n_ctx GPT-2 tokens.
 *
 * Inputs (any mix, read in the order given; a directory is walked recursively in sorted
 * byte order of names, taking *.txt and *.jsonl files, plain or compressed):
 *   *.txt (any other name too)   one document per file
 *   *.jsonl                      one document per line: the "text" field of a JSON object
 *   "-"                          standard input (a text document; opt.stdin_jsonl: JSONL)
 * gzip and zstd compression is recognised by the magic bytes (so x.txt.gz, x.jsonl.zst and a
 * compressed stdin all work); the format comes from the name with .gz / .zst removed.
 *
 * Rows (TransformerLens tokenize_and_concatenate): the documents' tokens are concatenated with
 * EOS (<|endoftext|>, 50256) between documents, cut into pieces of n_ctx - 1 tokens, and each
 * row is BOS (50256) + one piece:   row = [BOS, t0 .. t(n_ctx-2)].
 * The last partial piece is dropped (as TransformerLens does); its size is counted in
 * corpus_counts.dropped_tokens. Text "<|endoftext|>" inside a document becomes id 50256 (as the
 * Hugging Face tokenizer TransformerLens uses does) unless opt.ordinary.
 *
 * Streaming, constant memory, deterministic: the same inputs give the same rows whatever the
 * thread count. Documents are cut into chunks at whitespace boundaries that the GPT-2
 * pre-tokeniser can never join across, tokenised by a pool of threads, and consumed in order.
 *
 * Bad input (never a crash), reported as "FILE:LINE: what" warnings on stderr (unless
 * no_warnings; at most 5 per file):
 *   - .jsonl line that is not JSON, not an object, lacks "text", has a non-string "text", or is
 *     not valid UTF-8: the line is skipped (counted in skipped);
 *   - invalid UTF-8 in a text document: each maximal invalid sequence is replaced by U+FFFD
 *     (as Python's errors="replace"; counted in replaced);
 *   - a truncated or corrupt .gz / .zst stream, or a read error: what was decoded before the
 *     damage is kept, the rest of that file is skipped (counted in bad_files);
 * (each count is also kept per file: corpus_file_id's skipped / replaced / bad);
 *   - opt.strict: any of these stops the reader instead: corpus_next_rows returns -1 with the
 *     message.
 * A missing / unreadable input named on the command line fails corpus_open.
 */
#ifndef N2G_CORPUS_H
#define N2G_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "text/bpe.h"

typedef struct corpus_reader corpus_reader;

typedef struct corpus_options {
    int n_ctx;       /* row length including BOS (1024 for GPT-2); >= 2 */
    int threads;     /* tokeniser threads; 0 = all cores */
    int quiet;       /* no progress bar */
    int strict;      /* stop at the first bad input instead of skipping it */
    int ordinary;    /* "<|endoftext|>" in text is plain text (default: it becomes EOS) */
    int stdin_jsonl; /* "-" is JSONL rather than one text document */
    int bos_id;      /* BOS at the start of each row; -1: none (rows are n_ctx plain tokens) */
    int eos_id;      /* separator between documents; -1: none */
    const char *jsonl_field; /* "text" */
    int no_warnings; /* no bad-input warnings on stderr (they are still counted) */
} corpus_options;

/* Defaults: n_ctx 1024, all cores, BOS = EOS = the tokenizer's <|endoftext|>, field "text". */
corpus_options corpus_default_options(const bpe_tokenizer *tok);

typedef struct corpus_counts {
    uint64_t bytes;          /* document bytes read (after decompression) */
    uint64_t docs;           /* documents tokenised */
    uint64_t tokens;         /* tokens produced: documents + EOS separators (no BOS) */
    uint64_t rows;           /* rows returned or skipped so far */
    uint64_t skipped;        /* bad JSONL lines skipped */
    uint64_t replaced;       /* invalid UTF-8 sequences replaced by U+FFFD */
    uint64_t bad_files;      /* files cut short by a corrupt / truncated stream or read error */
    uint64_t dropped_tokens; /* tokens of the last partial row (dropped); set at the end */
    uint64_t files;          /* input files opened so far */
} corpus_counts;

/* Identity of one input file for a run manifest: bytes as stored (compressed, if it is) and
 * FNV-1a-64 over them. Complete only once the file was read to its end. */
typedef struct corpus_file_id {
    const char *path; /* as found ("-" for stdin) */
    uint64_t size;
    uint64_t fnv1a64;
    int complete;
    uint64_t skipped, replaced; /* bad JSONL lines skipped, invalid UTF-8 sequences replaced, in it */
    int bad;                    /* cut short (damaged stream, read error) or unreadable */
} corpus_file_id;

/* Opens the inputs (files, directories, "-"). tok must outlive the reader. Fails when an input
 * does not exist or a directory holds no corpus file. */
int corpus_open(const char *const *paths, int n_paths, const bpe_tokenizer *tok, const corpus_options *opt,
                corpus_reader **out, n2g_err *err);
/* Fills rows [max_rows, n_ctx] (int32 token ids, row-major) with the next rows. Returns the
 * number written (< max_rows only at the end), 0 at the end, -1 on error (strict mode, or out
 * of memory). */
long corpus_next_rows(corpus_reader *r, int32_t *rows, long max_rows, n2g_err *err);
/* Skips n rows (to resume a run); they still count in rows. Returns the number skipped (< n
 * at the end) or -1. */
long corpus_skip_rows(corpus_reader *r, long n, n2g_err *err);
corpus_counts corpus_stats(const corpus_reader *r);
/* Progress of the rows returned (or skipped) so far, in input bytes as stored: *consumed, an
 * estimate of the bytes behind them (not the read-ahead: it follows the tokens the rows took,
 * interpolated inside the chunk they came from), of *total (0 when unknown: stdin). */
void corpus_progress(const corpus_reader *r, uint64_t *consumed, uint64_t *total);
/* The input files found so far (all of them once corpus_next_rows returned 0). */
int corpus_files(const corpus_reader *r, const corpus_file_id **files);
/* One 64-bit identity of the whole corpus: FNV-1a-64 over each file's (size, fnv1a64), in
 * order. Meaningful once every file is complete. */
uint64_t corpus_fingerprint(const corpus_reader *r);
void corpus_close(corpus_reader *r);

/* The files corpus_open reads for these inputs, in order: directories expanded (recursive,
 * sorted by name, *.txt / *.jsonl optionally .gz / .zst, no hidden files), "-" kept. Fails like
 * corpus_open on a missing input or a directory without corpus files. For run manifests. */
int corpus_list_inputs(const char *const *paths, int n_paths, char ***files, int *n_files, n2g_err *err);
void corpus_free_list(char **files, int n_files);

/* Reads a whole file ("-": stdin), decompressing gzip / zstd when the magic bytes say so.
 * Returns a malloc'd NUL-terminated buffer and its length. */
char *corpus_read_file(const char *path, size_t *len, n2g_err *err);

#endif
