/* scrape_manifest.h — RUN/manifest.json: what a run was made from and with.
 *
 * {
 *   "format": "n2g-scrape-run", "format_version": 1, "n2g_version": "0.1.0",
 *   "model":  {"dir", "config": {...}, "dtype", "safetensors_bytes", "safetensors_hash"},
 *   "corpus": {"files": [{"path", "bytes", "hash"}, ...]},
 *   "params": {"hook", "layers": [...], "top_k", "ctx", "max_tokens" (null = all), "include_bos"},
 *   "identity_hash": "16 hex digits",
 *   "examples": "examples.bin",
 *   "scan": {"complete", "rows", "tokens", "positions_per_neuron", "rows_stored"}
 * }
 * Hashes are n2g-fh64 (scrape_fs.h) as 16 lowercase hex digits. The identity (model, corpus,
 * params without the paths) decides whether a rerun may resume: paths may change, content and
 * parameters may not. Batch size, device, checkpoint interval and --quiet are not part of it
 * (the result does not depend on them).
 */
#ifndef N2G_SCRAPE_MANIFEST_H
#define N2G_SCRAPE_MANIFEST_H

#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "model/gpt2.h"

typedef struct scrape_file_id {
    const char *path;
    uint64_t bytes, hash;
} scrape_file_id;

typedef struct scrape_ident {
    const char *model_dir;
    const gpt2_config *cfg;
    const char *dtype;
    uint64_t st_bytes, st_hash;
    int n_files;
    const scrape_file_id *files;
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

#endif
