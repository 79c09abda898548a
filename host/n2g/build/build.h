/* build.h — `n2g build`: N2G graphs for the neurons of a scrape run (n2g-reference §2-§9).
 *
 * Per neuron: its top examples from the scrape, split train / test (split.h, seed 0); every
 * example row run once; each training row pruned (prune.h), the pruned prompt scored by
 * masking (importance.h), its important words re-cased (augment.h, --augment casings) and
 * the augmentations scored the same way; the samples fitted into a graph (graph core) and the
 * graph scored on the test rows (activations / the neuron's scrape max). All forward passes go
 * through the probe engine (probe.h) for a block of neurons of one layer at a time, so the
 * neurons' probes share batches and identical rows run once.
 *
 * Outputs in RUN: graphs/L_N.json, graphs/L_N.dot, graphs/L_N.svg (when Graphviz is there),
 * samples/L_N.json (what the method did: the pruned and augmented samples with their
 * activations and importance matrices, in fitting order: the file `n2g fit --samples` reads
 * and refits the same graph from), build/L_N.json (the per-neuron result, written last and
 * atomically, with the options that shaped it: a neuron with this file is done and never
 * recomputed; a rerun with other such options is refused unless --force), and at the end
 * stats.json and neuron_store.json aggregated over every finished neuron of the run. Stale
 * temporaries of killed builds are removed at the start; a stop (opts.stop) keeps every
 * finished neuron.
 */
#ifndef N2G_BUILD_H
#define N2G_BUILD_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "n2g/probe/probe.h"
#include "ops/ops.h"

enum { N2G_AUGMENT_NONE = 0, N2G_AUGMENT_CASINGS = 1, N2G_AUGMENT_MLM = 2 };

typedef struct n2g_build_opts {
    const char *neurons;      /* "all" (NULL), "L:*", "L:N", comma-separated mixes */
    int augment;              /* N2G_AUGMENT_CASINGS (default), N2G_AUGMENT_NONE or N2G_AUGMENT_MLM */
    const char *mlm_dir;      /* N2G_AUGMENT_MLM: DistilBertForMaskedLM checkpoint (augment_mlm.h) */
    const char *model_dir;    /* --model DIR: the run's model where the manifest's model.dir is
                                 not (a moved run); checked like it (scrape_run_use_model) */
    const char *casings_path; /* NULL: RUN/word_to_casings.json, counted from the run's corpus
                                 files when missing */
    int mask_token;           /* 1 (the reference's masking_token) */
    uint32_t seed;            /* train/test split seed: 0 */
    int block;                /* neurons per round (one layer); 0 = from the device (ops_sizing.h) */
    int max_tokens;           /* probe batch size in tokens; 0 = from the device (ops_sizing.h) */
    int no_svg;               /* skip `dot -Tsvg` */
    int no_tree;              /* 1: no tree packing of shared prefixes in the probe engine (benchmarks) */
    int rerun_test_rows;      /* 1: run every test row even when the scrape kept its firing list */
    int full_importance;      /* run every masked row in full (the graph reads only the columns
                                 of activating positions and p*; the result is the same) */
    int workers;              /* threads that finish a round's neurons (fit, score, files, SVG)
                                 while the next round runs: -1 (default) = this process's share
                                 of the cores, 2..8; 0 = none (on the main thread) */
    int quiet;                /* no progress bar */
    int force;                /* rebuild the named neurons whose recorded options differ (else refused) */
    int no_samples;           /* do not write RUN/samples/L_N.json */
    volatile sig_atomic_t *stop; /* set by a signal handler: stop after the current phase, keep what
                                    is finished (n2g_build_result.interrupted) */
    ops_options dev;          /* backend */
    FILE *table;              /* per-layer P/R/F1 table at the end (NULL: none) */
} n2g_build_opts;

void n2g_build_defaults(n2g_build_opts *o);

/* the build's probe phases (n2g_build_result.phase) */
enum { N2G_PHASE_TEST, N2G_PHASE_PRUNE, N2G_PHASE_IMPORTANCE, N2G_PHASE_AUGMENTED, N2G_PHASE_COUNT };

typedef struct n2g_build_result {
    long requested;   /* neurons named */
    long done_before; /* already finished (skipped) */
    long built;       /* finished now */
    long no_graph;    /* finished without a graph (too few examples / no positive activation) */
    double seconds;   /* wall time of this call */
    n2g_probe_stats probe;
    long test_rows_listed;  /* test rows scored from the scrape's firing lists (scrape --fire-lists) */
    long test_rows_run;     /* test rows run through the model */
    n2g_probe_stats phase[N2G_PHASE_COUNT]; /* per phase: sequences, tokens run / shared, token-layers,
                                               batches, seconds (test rows; prune candidates;
                                               importance of the pruned prompts; augmentation and its
                                               importance) */
    long mlm_masked;     /* --augment mlm: masked texts run through the MLM */
    long mlm_emitted;    /* augmented prompts it produced */
    double mlm_seconds;  /* wall time of the fill-mask step (forwards included) */
    long rebuilt;        /* --force: finished before with other options, built again */
    int interrupted;     /* stopped by *stop: the neurons finished so far are kept; stats.json and
                            neuron_store.json were not updated */
    int dot_missing;     /* Graphviz was not found: graphs were written without their SVG */
    long svg_missing;    /* named neurons whose graph has no SVG (Graphviz missing) */
    long svg_rendered;   /* SVGs rendered now for neurons finished before without one */
    long temps_removed;  /* temporaries of killed builds removed at the start */
    int batch_tokens, block; /* the sizes used: as given, else the device's (ops_sizing.h) */
    char sizes_basis[200];   /* how the device's were chosen */
    int workers;             /* finishing threads used (0: on the main thread) */
    double steps_host_s;     /* main thread: the steps' time outside the probe engine (making
                                probes, reading answers, augmenting) */
    double finish_s;         /* finishing neurons (fit, score, graph / samples / result files, SVG),
                                summed over the threads that did it */
    double finish_wait_s;    /* main thread: finishing on it, or waiting for the workers */
} n2g_build_result;

/* Builds the named neurons of run RUN; resumable. res may be NULL. */
int n2g_build_run(const char *run_dir, const n2g_build_opts *o, n2g_build_result *res, n2g_err *err);

/* Parses a --neurons list against n_layers scraped layers (layers[i]) of d_mlp neurons into
 * pairs out[2*i] = layer, out[2*i+1] = neuron (malloc'd, sorted, unique). */
int n2g_build_parse_neurons(const char *spec, const int *layers, int n_layers, int d_mlp, int **out, long *n,
                            n2g_err *err);

#endif
