/* scrape.h — `n2g scrape`: stream a corpus through GPT-2 and keep, per neuron of the chosen
 * layers, the top-k rows by their max activation (blocks.L.mlp.hook_post), on the device.
 *
 * RUN/ holds manifest.json (scrape_manifest.h) and examples.bin (scrape_store.h), both replaced
 * atomically at every checkpoint. A rerun of the same command resumes from the last
 * checkpoint; the finished directory is byte-identical to an uninterrupted run's. */
#ifndef N2G_SCRAPE_H
#define N2G_SCRAPE_H

#include <signal.h>
#include <stdint.h>

#include "common/err.h"
#include "ops/ops.h"

#define SCRAPE_FIRE_F 32        /* default entries per firing list (--fire-lists) */
#define SCRAPE_FIRE_RATIO 0.5f  /* a list holds the positions >= this * the row's max (N2G's fire threshold) */

typedef struct scrape_params {
    const char *model_dir;
    const char *const *corpus; /* corpus files, in order */
    int n_corpus;
    const char *out;           /* run directory (created if missing) */
    const int *layers;         /* ascending; NULL = all layers */
    int n_layers;
    int top_k;                 /* default 20 */
    int ctx;                   /* tokens per row; 0 = model n_ctx */
    uint64_t max_tokens;       /* 0 = whole corpus; else rounded down to whole rows */
    int batch;                 /* rows per forward; 0 = from the device and the model (ops_sizing.h) */
    int include_bos;           /* position 0 enters max / argmax / mean */
    int fire_lists;            /* keep each example's firing list (ops_topk.h) of this many entries; 0 = off */
    int strict;                /* stop at the first bad corpus input instead of skipping it */
    int quiet;
    double checkpoint_secs;    /* default 300; 0 = after every batch */
    uint64_t checkpoint_rows;  /* also checkpoint every this many rows (0 = off) */
    size_t rowstore_bytes;     /* host row store pruned past this (0 = 256 MiB; tests use tiny values) */
    ops_options ops;           /* the device, by ops_open's policy (kind OPS_VK, device -1: the
                                  default, the CPU backend when there is no Vulkan device) */
    volatile sig_atomic_t *stop; /* set by a signal handler: checkpoint and return */
} scrape_params;

typedef struct scrape_result {
    int interrupted;    /* stopped by *stop after writing a checkpoint */
    int already_complete;
    int resumed;
    uint64_t rows, tokens, rows_stored;
    double seconds, tokens_per_s; /* this invocation only */
    char device[256];             /* the backend the scan ran on (ops_device_name); "" when none ran */
    int batch;                    /* rows per forward: --batch, else the device's (ops_sizing.h) */
    char sizes_basis[200];        /* how the device's was chosen */
    char corpus_note[2048];       /* the corpus files' problems (skipped / replaced / cut short), or "" */
    int ranks;                    /* MPI ranks that ran the scan (1 without MPI; dist.h, scrape_loop.h) */
    double dist_seconds;          /* of seconds, rank 0's time in the ring, agreement and checkpoints */
} scrape_result;

/* The whole scrape: its steps are in scrape_job.h, the loop (one process, or this rank's share
 * of the rows under MPI) in scrape_loop.h. */
int scrape_scan(const scrape_params *p, scrape_result *res, n2g_err *err);

/* Parses a layer list "0-11", "3", "0,2,5-7" into ascending unique layers (< n_layer when
 * n_layer > 0). Returns the count, or -1 with a usage error. */
int scrape_parse_layers(const char *s, int n_layer, int *out, int cap, n2g_err *err);

#endif
