/* scrape_job.h — one `n2g scrape` (scrape_scan) as its steps see it. scrape.c runs them in order:
 *
 *   scrape_params_check      the parameters alone                        (scrape_params.c)
 *   scrape_job_model         the model, its tokenizer, the parameters against the model
 *   scrape_rundir_claim      RUN created and locked, before a big corpus is hashed (scrape_rundir.c)
 *   scrape_job_identity      what the run is made from: model and corpus hashes  (scrape_identity.c)
 *   scrape_job_state         a fresh scan state and row store                    (scrape_state.c)
 *   scrape_rundir_open       RUN new (its manifest claims it) or resumed (checked, then loaded)
 *   the loop                 rows through the device top-k, with checkpoints     (scrape_loop.h)
 *
 * Under MPI (dist.h) rank 0 alone creates, locks, hashes, checks and loads RUN; the others get
 * its state from it (scrape_ranks_share_state). Internal to host/scrape/. */
#ifndef N2G_SCRAPE_JOB_H
#define N2G_SCRAPE_JOB_H

#include <limits.h>
#include <stdint.h>

#include "common/err.h"
#include "model/gpt2.h"
#include "scrape.h"
#include "scrape_lock.h"
#include "scrape_manifest.h"
#include "scrape_store.h"
#include "text/bpe.h"

typedef struct scrape_job {
    const scrape_params *p;
    int rank, ranks;            /* dist.h: rank 0 of 1 without MPI */
    gpt2_model *m;
    bpe_tokenizer *tok;         /* bpe_load_model's choice */
    int vocab_src;              /* where it came from (BPE_VOCAB_NAME) */
    int layers[4096], n_layers; /* the chosen layers, ascending */
    int ctx, p0;                /* tokens per row; the first position that counts (1: BOS left out) */
    uint64_t max_rows;          /* --max-tokens in whole rows (UINT32_MAX - 1: the whole corpus) */
    scrape_lock *lock;          /* rank 0 */
    char model_abs[PATH_MAX];
    char **flist;               /* the corpus files, absolute (rank 0) */
    int n_files;
    scrape_ident id;            /* its files: [n_files] (calloc'd) */
    scrape_state st;
    scrape_rows rows;
    char manifest_path[4200], examples_path[4200];
} scrape_job;

/* The parameters that need no model: --top-k, --corpus, --batch, --fire-lists. */
int scrape_params_check(const scrape_params *p, n2g_err *err);
/* Loads the model and its tokenizer; the chosen layers, --ctx and --max-tokens against the model
 * (j->layers, n_layers, ctx, p0, max_rows). */
int scrape_job_model(scrape_job *j, n2g_err *err);
/* The run's identity (j->id, j->model_abs, j->flist): absolute paths, the model's and the corpus
 * files' hashes (rank 0), the parameters. */
int scrape_job_identity(scrape_job *j, n2g_err *err);
/* A fresh scan state (empty top-k lists, zero sums, empty firing lists) and row store. */
int scrape_job_state(scrape_job *j, n2g_err *err);
/* Loads RUN/examples.bin into the state and the row store (a resume): its identity and shape must
 * be the job's, every tokens block is verified. */
int scrape_job_load(scrape_job *j, n2g_err *err);
/* Rank 0: creates RUN and takes its lock (one writer). */
int scrape_rundir_claim(scrape_job *j, n2g_err *err);
/* Rank 0: a new run writes its manifest first (refusing a directory that holds other files); an
 * existing one is checked against the identity and its examples.bin loaded (*resumed = 1). */
int scrape_rundir_open(scrape_job *j, int *resumed, n2g_err *err);
/* Frees everything the steps made (and the lock). */
void scrape_job_free(scrape_job *j);

#endif
