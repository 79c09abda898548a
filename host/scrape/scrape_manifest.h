/* scrape_manifest.h — RUN/manifest.json: what a run was made from and with.
 *
 * {
 *   "format": "n2g-scrape-run", "format_version": 1, "n2g_version": "0.1.0",
 *   "model":  {"dir" (absolute), "config": {...}, "dtype", "safetensors_bytes", "safetensors_hash",
 *              "vocab": "model" | "bundled-gpt2"},
 *   "corpus": {"files": [{"path", "bytes", "hash", "skipped_lines", "replaced_invalid_utf8",
 *                         "truncated"}, ...]},
 *   "params": {"hook", "layers": [...], "top_k", "ctx", "max_tokens" (null = all), "include_bos"},
 *   "identity_hash": "16 hex digits",
 *   "examples": "examples.bin",
 *   "scan": {"complete", "rows", "tokens", "positions_per_neuron", "rows_stored"}
 * }
 * Hashes are n2g-fh64 (scrape_fs.h) as 16 lowercase hex digits. The identity (model, corpus,
 * params without the paths and the corpus files' problem counts) decides whether a rerun may
 * resume: paths may change, content and parameters may not. Batch size, device, checkpoint
 * interval and --quiet are not part of it (the result does not depend on them). The counts
 * (corpus.h: bad JSONL lines skipped, invalid UTF-8 sequences replaced, a file cut short by a
 * damaged stream) cover the part of each file read so far.
 */
#ifndef N2G_SCRAPE_MANIFEST_H
#define N2G_SCRAPE_MANIFEST_H

#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "model/gpt2.h"
#include "scrape_store.h"

typedef struct scrape_file_id {
    const char *path;
    uint64_t bytes, hash;
    uint64_t skipped, replaced; /* problem counts (not identity) */
    int truncated;
} scrape_file_id;

typedef struct scrape_ident {
    const char *model_dir;
    const gpt2_config *cfg;
    const char *dtype;
    uint64_t st_bytes, st_hash;
    const char *vocab;   /* BPE_VOCAB_NAME: which tokenizer made the rows */
    int n_files;
    scrape_file_id *files;  /* the problem counts are updated as the corpus is read */
    const int *layers;
    int n_layers, top_k, ctx;
    uint64_t max_tokens; /* 0 = whole corpus */
    int include_bos;
    int fire_f;          /* --fire-lists: entries per firing list, 0 = off (then absent from the manifest) */
    float fire_ratio;
} scrape_ident;

typedef struct scrape_scan_info {
    int complete;
    uint64_t rows, tokens, positions, rows_stored;
} scrape_scan_info;

uint64_t scrape_ident_hash(const scrape_ident *id);
/* Writes RUN's manifest.json atomically. */
int scrape_manifest_write(const char *path, const scrape_ident *id, const scrape_scan_info *scan, n2g_err *err);
/* Compares an existing manifest with id; fails naming the first field that differs. */
int scrape_manifest_check(const char *path, const scrape_ident *id, n2g_err *err);
/* Copies the problem counts of an existing manifest's corpus files into files [n] (by index). */
void scrape_manifest_read_counts(const char *path, scrape_file_id *files, int n);

/* One checkpoint of a run: examples.bin first (written to a temporary, fsynced, renamed, the
 * directory fsynced), then manifest.json with the scan fields of what was written. So the
 * manifest never claims more than examples.bin holds: a failure (a full disk) or a crash in
 * between leaves it one checkpoint behind, which a rerun rewrites. */
int scrape_checkpoint_write(const char *manifest_path, const char *examples_path, const scrape_ident *id,
                            const scrape_state *st, const scrape_rows *rows, n2g_err *err);

#endif
