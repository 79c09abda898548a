/* report.h — a static HTML site for a run (`n2g report`).
 *
 * The writer is a pure function of a report_source: run-wide data (manifest, stats, neuron
 * store) plus a per-neuron loader, so the same code writes a site from a run directory
 * (report_run.c) or from the synthetic runs of the tests and the benchmark.
 *
 * Site layout (see docs/report.md):
 *   OUT/index.html              manifest, per-layer P/R/F1, neuron table, token search
 *   OUT/assets/report.{css,js}  shared style and code (no external requests)
 *   OUT/data/neurons-NNN.js     neuron table rows, chunked, loaded by <script> (file:// safe)
 *   OUT/data/store-NNN.js       neuron store entries bucketed by a hash of the search key
 *   OUT/data/vocab.js           every token's display string, shared by the neuron pages
 *   OUT/data/rows/NNNNN.js      the example rows' tokens, 32 rows a file, loaded on "expand"
 *   OUT/neurons/L_N.html        one page per neuron, its data inline (cut windows of the rows)
 */
#ifndef N2G_REPORT_H
#define N2G_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "common/err.h"
#include "common/json.h"

/* A token sequence: an example row, or a pruned / augmented training sample. */
typedef struct {
    const int *tokens;  /* [n] token ids */
    const float *acts;  /* [n] the neuron's activation per token, or NULL when not known */
    int n;
    long row;           /* examples: the run's row id (-1 for samples) */
    int pos;            /* examples: position of the max token (-1: unknown / samples) */
    float act;          /* examples: the max activation (from the scrape's top-k) */
} report_seq;

/* Everything a neuron page shows. Filled by report_source.load, freed by .unload. */
typedef struct {
    report_seq *examples;
    int n_examples;
    report_seq *pruned;
    int n_pruned;
    report_seq *augmented;
    int n_augmented;
    const char *svg;      /* graph picture (SVG text) or NULL */
    size_t svg_len;
    void *priv;           /* owned by the loader */
} report_neuron;

/* Per-neuron summary for the index (one per neuron in the report). */
typedef struct {
    int layer, neuron;
    float max_act;        /* scrape: max activation over the corpus (NAN: unknown) */
    double count;         /* scrape: firing count (-1: unknown) */
    double mean;          /* scrape: mean activation (NAN: unknown) */
} report_summary;

typedef struct report_source {
    const json_value *manifest; /* any JSON object, shown as a table; may be NULL */
    const json_value *stats;    /* stats.json root {layer: {neuron: report}} or NULL */
    const json_value *store;    /* neuron_store.json root or NULL */
    const json_value *baselines[2]; /* stats_token.json, stats_ngram.json (same shape as stats) or NULL */
    const report_summary *neurons;
    size_t n_neurons;
    const char *title;          /* page title (e.g. the run directory's name) */
    int n_vocab;                /* token ids are 0..n_vocab-1 (data/vocab.js holds them all) */
    /* The bytes of token id; NULL for an unknown id. */
    const char *(*token_bytes)(void *ctx, int id, size_t *len);
    void *token_ctx;
    /* Loads neuron i (index into neurons[]); 0 / -1 with err. */
    int (*load)(void *ctx, size_t i, report_neuron *out, n2g_err *err);
    void (*unload)(void *ctx, report_neuron *nr);
    void *load_ctx;
} report_source;

typedef struct {
    int quiet;          /* no progress bar */
    int context_before; /* tokens shown before the max in the cut view (default 50) */
    int context_after;  /* tokens shown after it (default 10) */
    int force;          /* write into a non-empty out_dir that is not a report site */
} report_options;

/* Writes the site into out_dir (created if missing; files replaced atomically). A non-empty
 * out_dir that is not an n2g report (no marker file .n2g-report, no index.html of a report) is
 * refused (N2G_E_USAGE) unless opt->force; the marker is written first. */
int report_write_site(const report_source *src, const report_options *opt, const char *out_dir, n2g_err *err);

/* ---- escaping (report_esc.c) ---- */

/* Display form of raw token bytes as a JS string literal (with quotes), safe inside an
 * HTML <script> element: printable UTF-8 kept; control characters, invalid bytes, bidi /
 * zero-width / line-separator characters and the marker characters themselves become
 * visible escapes ("\n", "\xe2", "\u202e") wrapped in U+E000 ... U+E001 markers, which
 * report.js turns into styled spans. <, >, &, U+2028, U+2029 are written as \uXXXX. */
void report_js_display(FILE *f, const char *s, size_t n);
/* Exact string as a JS string literal (valid UTF-8 expected; invalid bytes become U+FFFD),
 * with the same script-safety escapes. */
void report_js_raw(FILE *f, const char *s, size_t n);
/* A JSON value as a JS literal: strings via report_js_display, numbers exactly (report_js_number). */
void report_js_value(FILE *f, const json_value *v);
/* A number as JS, exactly: integers in full, a float-valued double in its shortest float form,
 * anything else in its shortest round-trip form; NaN / Inf as null. */
void report_js_number(FILE *f, double v);
/* The search key of a token: ASCII-lowercased, ASCII whitespace trimmed (unless that leaves
 * nothing). Writes at most cap-1 bytes + NUL into out; returns the key length. */
size_t report_search_key(const char *s, size_t n, char *out, size_t cap);
/* 32-bit FNV-1a of n bytes (the bucket hash report.js recomputes). */
unsigned report_fnv1a(const char *s, size_t n);

/* ---- assets (report_assets.c, generated from report/assets by report/embed.py) ---- */
extern const char report_asset_css[];
extern const char report_asset_js[];

#endif
