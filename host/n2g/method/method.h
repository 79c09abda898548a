/* method.h — what the steps of the method (n2g-reference §2-§6) share: one neuron's work
 * (n2g_job: its top examples split train / test, the prune candidates, the scored prompts) and
 * the context of a build (n2g_method: the probe engine, the token text and encoder, each step's
 * settings).
 *
 * A step is one file of this folder. It takes a block of jobs (neurons of one layer), makes its
 * probes for all of them, flushes the probe engine (probe/probe.h) once or twice and reads the
 * answers back into the jobs, so the neurons of a block share batches:
 *
 *   split.c       train / test split of the examples (in n2g_job_load)
 *   test_rows.c   the test rows' activations (or the scrape's firing lists)   n2g_test_rows_run
 *   prune.c       prune candidates in two waves; the pruned prompts           n2g_prune_run,
 *                                                                             n2g_prune_choose_prompts
 *   importance.c  unmasked and masked runs of each prompt -> importance       n2g_importance_run
 *   augment.c     re-cased words (casings.c) or, augment_mlm.c, fill-mask     n2g_augment_run
 *                 variants of each pruned prompt, added as prompts
 * then n2g_job_samples hands the prompts, in fitting order, to the graph (graph/graph.h) and
 * n2g_job_test_rows the test rows to its evaluation (graph/evaluate.h). The build
 * (build/build.h) runs the steps block by block and owns everything the context points to.
 */
#ifndef N2G_METHOD_H
#define N2G_METHOD_H

#include <stdint.h>

#include "common/err.h"
#include "n2g/graph/samples.h"
#include "n2g/method/augment.h"
#include "n2g/method/augment_mlm.h"
#include "n2g/method/casings.h"
#include "n2g/method/prune.h"
#include "n2g/probe/probe.h"
#include "scrape/scrape_run.h"
#include "text/bpe.h"

#define N2G_MAX_EX 256          /* examples per neuron (n2g scrape --top-k allows up to 256) */
#define N2G_FIRE_THRESHOLD 0.5f /* the reference's fire_threshold (evaluation) */

/* one prompt: a pruned training example or an augmentation of one */
typedef struct n2g_prompt {
    int32_t *tok;
    int len;
    int parent;  /* index in the job's prompts of the original, -1 for an original */
    float scale; /* init_max / trunc_max */
    float *A;    /* [(len+1) * len] activations: row 0 unmasked, row k+1 masked at k */
    float *imp;  /* [len * len] */
    float *act;  /* [len] normalised */
    int pstar;
    int need;    /* masked rows 0..need-1 run, each to length need (importance.c) */
} n2g_prompt;

typedef struct n2g_cand_set { /* the prune candidates of one pivot */
    int ex;
    float pivot_act;
    n2g_prune_plan plan;
    int32_t *tok[N2G_PRUNE_MAX_CANDS];
    int len[N2G_PRUNE_MAX_CANDS];
    float *acts[N2G_PRUNE_MAX_CANDS];
} n2g_cand_set;

typedef struct n2g_job {
    int layer, neuron;
    float base_max;
    int n_ex;
    scrape_example ex[N2G_MAX_EX];
    const int32_t *rows[N2G_MAX_EX];
    int train[N2G_MAX_EX], test[N2G_MAX_EX], n_train, n_test;
    float *acts[N2G_MAX_EX]; /* [ctx] per test example (training rows are not rerun) */
    int n_listed;            /* test examples whose acts come from the scrape's firing lists */
    n2g_cand_set *cands;
    int n_cands;
    n2g_prompt *prompts;
    int n_prompts, cap_prompts;
    int n_orig; /* prompts [0, n_orig) are pruned originals, the rest augmentations */
    char skip_reason[200]; /* non-empty: finished without a graph */
} n2g_job;

typedef struct n2g_method {
    const scrape_run *run;   /* the examples, their rows and firing lists */
    n2g_probe_engine *eng;   /* every forward pass */
    bpe_tokenizer *tok;      /* token text (n2g_method_tokstr) and encoding (n2g_method_encode) */
    bpe_cache *cache;
    const n2g_casings *casings; /* --augment casings: the casing table */
    n2g_mlm *mlm;            /* --augment mlm */
    n2g_mlm_round mlm_round; /* its results for the block's prompts */
    n2g_prune_cfg pc;
    n2g_augment_cfg ac;
    uint32_t seed;           /* train / test split */
    int augment;             /* 0: no augmentation; else by mlm when set, else by casings */
    int mask_token;
    int full_importance;     /* run every masked row in full */
    int rerun_test_rows;     /* run every test row even when its firing list would do */
    int ctx_len, skip0;      /* the run's row length; position 0 (BOS) excluded by the scrape */
    float act_threshold;     /* the graph's activation threshold (lines start above it) */
    long test_rows_listed;   /* counts: test rows read from firing lists / run */
    long test_rows_run;
} n2g_method;

/* n2g_tokstr_fn / n2g_encode_fn over m->tok (user = the n2g_method) */
const char *n2g_method_tokstr(void *m, int id, size_t *len);
int n2g_method_encode(void *m, const char *text, size_t n, int32_t **ids, int *n_ids, n2g_err *err);

/* Fills j (cleared first) with the neuron's top examples from the run, their rows and its
 * max activation, split train / test (split.h, seed m->seed); or sets j->skip_reason when it
 * cannot have a graph. -1 with err when the run cannot give them. */
int n2g_job_load(const n2g_method *m, n2g_job *j, int layer, int neuron, n2g_err *err);
void n2g_job_free(n2g_job *j);
/* Appends a prompt; tok is the job's from then on (the caller's still when this fails). */
int n2g_job_add_prompt(n2g_job *j, int32_t *tok, int len, int parent, float scale, n2g_err *err);

/* The prompts as samples in the reference's fitting order: each pruned prompt followed by its
 * augmentations (the trie keeps the first insertion). s has room for j->n_prompts; returns
 * the count. */
int n2g_job_samples(const n2g_job *j, n2g_sample *s);
/* The test rows, each normalised by the neuron's max into norm [n_test * ctx_len]: rows[t]. */
void n2g_job_test_rows(const n2g_method *m, const n2g_job *j, n2g_row *rows, float *norm);

#endif
