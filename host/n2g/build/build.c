/* build.c — `n2g build`: rounds of neurons through prune / importance / augment / fit /
 * evaluate, every forward pass through the probe engine (see build.h). */
#include "n2g/build/build.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "n2g/method/augment.h"
#include "n2g/method/augment_mlm.h"
#include "common/atomic_write.h"
#include "common/fileio.h"
#include "n2g/method/casings.h"
#include "common/progress.h"
#include "dist/dist.h"
#include "n2g/graph/evaluate.h"
#include "n2g/graph/export_dot.h"
#include "n2g/graph/export_json.h"
#include "n2g/graph/graph.h"
#include "n2g/method/importance.h"
#include "model/gpt2.h"
#include "n2g/method/prune.h"
#include "n2g/graph/samples.h"
#include "scrape/scrape_fs.h"
#include "scrape/scrape_lock.h"
#include "scrape/scrape_run.h"
#include "n2g/graph/store.h"
#include "n2g/method/split.h"
#include "text/bpe.h"
#include "n2g/graph/vocab.h"
#include "n2g/graph/vocab_bpe.h"

void n2g_build_defaults(n2g_build_opts *o) {
    memset(o, 0, sizeof *o);
    o->augment = N2G_AUGMENT_CASINGS;
    o->mask_token = 1;
    o->seed = 0;
    o->block = 128;
    o->dev.kind = OPS_VK;
    o->dev.device = -1;
}

#define MAX_EX 256 /* examples per neuron (n2g scrape --top-k allows up to 256) */

/* one prompt: a pruned training example or an augmentation of one */
typedef struct prompt {
    int32_t *tok;
    int len;
    int parent;  /* index in the job's prompts of the original, -1 for an original */
    float scale; /* init_max / trunc_max */
    float *A;    /* [(len+1) * len] activations: row 0 unmasked, row k+1 masked at k */
    float *imp;  /* [len * len] */
    float *act;  /* [len] normalised */
    int pstar;
    int need;    /* masked rows 0..need-1 run, each to length need (see extent_needed) */
} prompt;

typedef struct cand_set { /* the prune candidates of one pivot */
    int ex;
    float pivot_act;
    n2g_prune_plan plan;
    int32_t *tok[N2G_PRUNE_MAX_CANDS];
    int len[N2G_PRUNE_MAX_CANDS];
    float *acts[N2G_PRUNE_MAX_CANDS];
} cand_set;

#define FIRE_THRESHOLD 0.5f /* the reference's fire_threshold (evaluation) */

typedef struct job {
    int layer, neuron;
    float base_max;
    int n_ex;
    scrape_example ex[MAX_EX];
    const int32_t *rows[MAX_EX];
    int train[MAX_EX], test[MAX_EX], n_train, n_test;
    float *acts[MAX_EX]; /* [ctx] per test example (training rows are not rerun) */
    int n_listed;        /* test examples whose acts come from the scrape's firing lists */
    cand_set *cands;
    int n_cands;
    prompt *prompts;
    int n_prompts, cap_prompts;
    int n_orig; /* prompts [0, n_orig) are pruned originals, the rest augmentations */
    char skip_reason[200]; /* non-empty: finished without a graph */
} job;

/* The options that shape a neuron's result (its graph, scores and samples), recorded in
 * build/L_N.json as "options" and compared on a rerun. Not recorded: what only changes the
 * speed (--block, --batch-tokens, --no-tree, --device) or the output's form (--quiet,
 * --no-svg, --no-samples). */
enum { REC_MAX = 8 };
typedef struct rec_item {
    const char *key;
    char val[80]; /* canonical text of the JSON value: a number, true / false, or a string */
    int is_str;
} rec_item;
typedef struct build_record {
    rec_item it[REC_MAX];
    int n;
} build_record;

#define STOPPED(b) ((b)->o->stop && *(b)->o->stop)

typedef struct builder {
    const char *run_dir;
    const n2g_build_opts *o;
    n2g_build_result *res;
    scrape_run *run;
    gpt2_model *m;
    ops_ctx *ctx;
    n2g_probe_engine *eng;
    n2g_vocab *vocab;
    bpe_tokenizer *tok;
    bpe_cache *cache;
    n2g_casings *casings;
    n2g_mlm *mlm;             /* --augment mlm */
    n2g_mlm_round mlm_round;
    n2g_prune_cfg pc;
    n2g_augment_cfg ac;
    int ctx_len, skip0;
    float act_threshold; /* the graph's activation threshold (lines start above it) */
    build_record rec;    /* this build's options (see build_record) */
    int want_svg;        /* render graphs/L_N.svg: not --no-svg, and Graphviz is there */
} builder;

static const char *tokstr(void *u, int id, size_t *len) {
    builder *b = u;
    const char *s = bpe_token_bytes(b->tok, id, len);
    if (!s) {
        *len = 0;
        return "";
    }
    return s;
}

static int encode(void *u, const char *text, size_t n, int32_t **ids, int *n_ids, n2g_err *err) {
    builder *b = u;
    bpe_ids v = {0};
    if (bpe_encode(b->tok, text, n, BPE_ORDINARY, &v, b->cache, err) != 0) {
        free(v.ids);
        return -1;
    }
    *ids = v.ids;
    *n_ids = (int)v.n;
    return 0;
}

static void job_free(job *j) {
    for (int e = 0; e < j->n_ex; e++) free(j->acts[e]);
    for (int c = 0; c < j->n_cands; c++)
        for (int k = 0; k < j->cands[c].plan.n_cands; k++) {
            free(j->cands[c].tok[k]);
            free(j->cands[c].acts[k]);
        }
    free(j->cands);
    for (int p = 0; p < j->n_prompts; p++) {
        free(j->prompts[p].tok);
        free(j->prompts[p].A);
        free(j->prompts[p].imp);
        free(j->prompts[p].act);
    }
    free(j->prompts);
    memset(j, 0, sizeof *j);
}

static int add_prompt(job *j, int32_t *tok, int len, int parent, float scale, n2g_err *err) {
    if (j->n_prompts == j->cap_prompts) {
        int nc = j->cap_prompts ? j->cap_prompts * 2 : 16;
        prompt *np = realloc(j->prompts, sizeof *np * (size_t)nc);
        if (!np) return n2g_fail(err, "out of memory");
        j->prompts = np;
        j->cap_prompts = nc;
    }
    prompt *p = &j->prompts[j->n_prompts++];
    memset(p, 0, sizeof *p);
    p->tok = tok, p->len = len, p->parent = parent, p->scale = scale;
    return 0;
}

/* ---- file names ---- */
static void path_of(char *buf, size_t cap, const char *run, const char *sub, int l, int n, const char *ext) {
    snprintf(buf, cap, "%s/%s/%d_%d%s", run, sub, l, n, ext);
}

/* ---- phases ---- */

/* A test row from the scrape's firing list of its example (scrape --fire-lists), when it has a
 * usable one: the list holds every position whose activation is >= ratio * the row's max, so
 * with ratio <= the fire threshold and the row's max <= base_max it holds every position that
 * fires; the others are set to 0 (not firing: the scores are exact, the correlation is not
 * computed). 1 when acts was filled. */
static int test_row_from_list(builder *b, job *j, int e) {
    const uint32_t *pos;
    const float *val;
    float ratio;
    if (b->o->rerun_test_rows || !(j->ex[e].value > 0) || !(j->base_max >= j->ex[e].value)) return 0;
    int n = scrape_run_fire(b->run, j->layer, j->neuron, e, &pos, &val, &ratio);
    if (n < 0 || !(ratio <= FIRE_THRESHOLD)) return 0;
    memset(j->acts[e], 0, sizeof(float) * (size_t)b->ctx_len);
    for (int q = 0; q < n; q++) j->acts[e][pos[q]] = val[q];
    return 1;
}

/* A: every test row, all positions (or its firing list) */
static int submit_rows(builder *b, job *jobs, int nj, n2g_err *err) {
    for (int i = 0; i < nj; i++) {
        job *j = &jobs[i];
        if (j->skip_reason[0]) continue;
        for (int t = 0; t < j->n_test; t++) {
            int e = j->test[t];
            if (!(j->acts[e] = malloc(sizeof(float) * (size_t)b->ctx_len))) return n2g_fail(err, "out of memory");
            if (test_row_from_list(b, j, e)) {
                j->n_listed++;
                b->res->test_rows_listed++;
                continue;
            }
            b->res->test_rows_run++;
            int s = n2g_probe_seq(b->eng, j->rows[e], b->ctx_len, err);
            if (s < 0 || n2g_probe_want(b->eng, s, j->layer, j->neuron, 0, b->ctx_len, j->acts[e], err) != 0)
                return n2g_wrap(err, "neuron %d:%d example %d", j->layer, j->neuron, e);
        }
    }
    return n2g_probe_flush(b->eng, err);
}

/* B: prune candidates of every training example. The pivot is the scrape's argmax of the row
 * and its activation the scrape's value (the reference reruns the row to find them). As the
 * reference (batch_size 4, shortest first, stop at the first accepted), candidates run in two
 * waves: the 4 shortest, then the rest only for examples where none of those was accepted. */
#define PRUNE_WAVE 4

static int submit_candidates(builder *b, job *j, cand_set *cs, int k0, int k1, n2g_err *err) {
    for (int k = k0; k < k1; k++) {
        if (!(cs->acts[k] = malloc(sizeof(float) * (size_t)cs->len[k]))) return n2g_fail(err, "out of memory");
        int s = n2g_probe_seq(b->eng, cs->tok[k], cs->len[k], err);
        if (s < 0 || n2g_probe_want(b->eng, s, j->layer, j->neuron, 0, cs->len[k], cs->acts[k], err)) return -1;
    }
    return 0;
}

static int submit_prune(builder *b, job *jobs, int nj, n2g_err *err) {
    for (int i = 0; i < nj; i++) {
        job *j = &jobs[i];
        if (j->skip_reason[0]) continue;
        if (!(j->cands = calloc((size_t)j->n_train + 1, sizeof *j->cands))) return n2g_fail(err, "out of memory");
        for (int t = 0; t < j->n_train; t++) {
            int e = j->train[t];
            if (b->pc.skip_nonpositive && !(j->ex[e].value > 0)) continue;
            if (j->ex[e].pos >= (uint32_t)b->ctx_len)
                return n2g_fail(err, "neuron %d:%d: example position %u outside the row", j->layer, j->neuron, j->ex[e].pos);
            cand_set *cs = &j->cands[j->n_cands++];
            cs->ex = e;
            cs->pivot_act = j->ex[e].value;
            n2g_prune_plan_pivot(j->rows[e], b->ctx_len, (int)j->ex[e].pos, &b->pc, tokstr, b, &cs->plan);
            for (int k = 0; k < cs->plan.n_cands; k++) {
                if (!(cs->tok[k] = malloc(sizeof(int32_t) * (size_t)(b->pc.cutoff + 2))))
                    return n2g_fail(err, "out of memory");
                cs->len[k] = n2g_prune_candidate(j->rows[e], &cs->plan, k, &b->pc, cs->tok[k]);
            }
            int w = cs->plan.n_cands < PRUNE_WAVE ? cs->plan.n_cands : PRUNE_WAVE;
            if (submit_candidates(b, j, cs, 0, w, err) != 0) return -1;
        }
    }
    if (n2g_probe_flush(b->eng, err) != 0) return -1;
    for (int i = 0; i < nj; i++) {
        job *j = &jobs[i];
        for (int c = 0; c < j->n_cands; c++) {
            cand_set *cs = &j->cands[c];
            int w = cs->plan.n_cands < PRUNE_WAVE ? cs->plan.n_cands : PRUNE_WAVE, acc = 0;
            float tm;
            for (int k = 0; k < w && !acc; k++)
                acc = n2g_prune_accepts(&cs->plan, k, cs->acts[k], cs->len[k], cs->pivot_act, &b->pc, &tm);
            if (!acc && submit_candidates(b, j, cs, w, cs->plan.n_cands, err) != 0) return -1;
        }
    }
    return n2g_probe_flush(b->eng, err);
}

/* importance, step 1: the unmasked run of prompts [from, n_prompts) */
static int submit_unmasked(builder *b, job *j, int from, n2g_err *err) {
    for (int q = from; q < j->n_prompts; q++) {
        prompt *p = &j->prompts[q];
        int L = p->len;
        if (!(p->A = malloc(sizeof(float) * (size_t)(L + 1) * (size_t)L)) ||
            !(p->imp = malloc(sizeof(float) * (size_t)L * (size_t)L)) || !(p->act = malloc(sizeof(float) * (size_t)L)))
            return n2g_fail(err, "out of memory");
        int s = n2g_probe_seq(b->eng, p->tok, L, err);
        if (s < 0 || n2g_probe_want(b->eng, s, j->layer, j->neuron, 0, L, p->A, err)) return -1;
    }
    return 0;
}

/* How much of the importance matrix the graph reads: the lines use column i only where the
 * normalised activation at i exceeds the activation threshold, and augmentation uses column
 * p*. Masked row k changes nothing before k (causal attention), so only rows k <= i_max are
 * needed, each only up to i_max: need = i_max + 1 (L with --full-importance). */
static int extent_needed(const builder *b, const job *j, const prompt *p) {
    int L = p->len;
    if (b->o->full_importance) return L;
    const float *a = p->A;
    int ps = b->skip0 && L > 1 ? 1 : 0;
    for (int i = ps + 1; i < L; i++)
        if (a[i] > a[ps]) ps = i;
    int imax = ps;
    for (int i = 0; i < L; i++)
        if (n2g_round3(a[i] * p->scale / j->base_max) > b->act_threshold && i > imax) imax = i;
    return imax + 1;
}

/* importance, step 2 (after the unmasked runs): masked rows 0..need-1, positions k..need-1 */
static int submit_masked(builder *b, job *j, int from, n2g_err *err) {
    int32_t *tmp = NULL;
    for (int q = from; q < j->n_prompts; q++) {
        prompt *p = &j->prompts[q];
        int L = p->len, need = p->need = extent_needed(b, j, p);
        int32_t *nt = realloc(tmp, sizeof(int32_t) * (size_t)L);
        if (!nt) {
            free(tmp);
            return n2g_fail(err, "out of memory");
        }
        tmp = nt;
        for (int k = 0; k < need; k++) {
            n2g_importance_masked(p->tok, need, k, b->o->mask_token, tmp);
            int s = n2g_probe_seq(b->eng, tmp, need, err);
            if (s < 0 || n2g_probe_want(b->eng, s, j->layer, j->neuron, k, need - k,
                                        p->A + (size_t)(k + 1) * (size_t)L + (size_t)k, err)) {
                free(tmp);
                return -1;
            }
        }
    }
    free(tmp);
    return 0;
}

/* importance, step 3: fill what was not run with the unmasked values (importance 0) */
static void finish_importance(builder *b, job *j, int from) {
    for (int q = from; q < j->n_prompts; q++) {
        prompt *p = &j->prompts[q];
        int L = p->len, need = p->need;
        for (int k = 0; k < L; k++) {
            float *row = p->A + (size_t)(k + 1) * (size_t)L;
            if (k >= need) {
                memcpy(row, p->A, sizeof(float) * (size_t)L);
                continue;
            }
            memcpy(row, p->A, sizeof(float) * (size_t)k);
            memcpy(row + need, p->A + need, sizeof(float) * (size_t)(L - need));
        }
        p->pstar = n2g_importance_compute(p->A, L, p->scale, j->base_max, b->skip0, p->imp, p->act);
    }
}

/* importance of prompts [from, n_prompts) of every job: two flushes */
static int run_importance(builder *b, job *jobs, int nj, int augmented, n2g_err *err) {
    for (int i = 0; i < nj; i++)
        if (!jobs[i].skip_reason[0] && submit_unmasked(b, &jobs[i], augmented ? jobs[i].n_orig : 0, err)) return -1;
    if (n2g_probe_flush(b->eng, err) != 0) return -1;
    for (int i = 0; i < nj; i++)
        if (!jobs[i].skip_reason[0] && submit_masked(b, &jobs[i], augmented ? jobs[i].n_orig : 0, err)) return -1;
    if (n2g_probe_flush(b->eng, err) != 0) return -1;
    for (int i = 0; i < nj; i++)
        if (!jobs[i].skip_reason[0]) finish_importance(b, &jobs[i], augmented ? jobs[i].n_orig : 0);
    return 0;
}

/* C: choose the pruned prompts, submit their importance probes */
static int choose_prompts(builder *b, job *jobs, int nj, n2g_err *err) {
    for (int i = 0; i < nj; i++) {
        job *j = &jobs[i];
        if (j->skip_reason[0]) continue;
        for (int c = 0; c < j->n_cands; c++) {
            cand_set *cs = &j->cands[c];
            float t_max = 0;
            int k = n2g_prune_choose(&cs->plan, (const float *const *)cs->acts, cs->len, cs->pivot_act, &b->pc,
                                     &t_max);
            if (k < 0 || !(t_max > 0)) continue; /* GARDE's guard: a truncation must still activate */
            int32_t *tok = malloc(sizeof(int32_t) * (size_t)(b->pc.cutoff + 2 + b->pc.max_post_context_tokens));
            if (!tok) return n2g_fail(err, "out of memory");
            int len = n2g_prune_prompt(j->rows[cs->ex], &cs->plan, k, &b->pc, tok);
            if (add_prompt(j, tok, len, -1, cs->pivot_act / t_max, err) != 0) {
                free(tok);
                return -1;
            }
        }
        j->n_orig = j->n_prompts;
    }
    return run_importance(b, jobs, nj, 0, err);
}

/* D0 (--augment mlm): the fill-mask augmentations of every original of the round, batched */
static int mlm_round(builder *b, job *jobs, int nj, n2g_err *err) {
    int n = 0, rc;
    for (int i = 0; i < nj; i++) n += jobs[i].skip_reason[0] ? 0 : jobs[i].n_orig;
    n2g_mlm_prompt *in = malloc(sizeof *in * (size_t)(n ? n : 1));
    if (!in) return n2g_fail(err, "out of memory");
    n = 0;
    for (int i = 0; i < nj; i++)
        for (int q = 0; !jobs[i].skip_reason[0] && q < jobs[i].n_orig; q++) {
            const prompt *p = &jobs[i].prompts[q];
            in[n++] = (n2g_mlm_prompt){p->tok, p->len, p->imp, p->pstar};
        }
    rc = n2g_mlm_round_run(b->mlm, &b->mlm_round, in, n, &b->ac, b->casings, tokstr, b, encode, b, err);
    free(in);
    return rc;
}

/* D: augment the originals, score the augmentations */
static int augment_prompts(builder *b, job *jobs, int nj, n2g_err *err) {
    if (b->mlm && mlm_round(b, jobs, nj, err) != 0) return -1;
    for (int i = 0; i < nj; i++) {
        job *j = &jobs[i];
        if (j->skip_reason[0]) continue;
        if (b->o->augment == N2G_AUGMENT_NONE) continue;
        int n_orig = j->n_orig;
        for (int q = 0; q < n_orig; q++) {
            prompt *p = &j->prompts[q];
            n2g_tokseq *aug = NULL;
            int na = 0;
            if ((b->mlm ? n2g_mlm_round_take(&b->mlm_round, p->tok, &aug, &na, err)
                        : n2g_augment_casings(p->tok, p->len, p->imp, p->pstar, &b->ac, b->casings, tokstr, b, encode,
                                              b, &aug, &na, err)) != 0) {
                for (int a = 0; a < na; a++) free(aug[a].tok);
                free(aug);
                return -1;
            }
            float scale = p->scale;
            int rc = 0;
            p = NULL; /* add_prompt may move the prompts */
            for (int a = 0; a < na; a++) {
                if (rc == 0 && add_prompt(j, aug[a].tok, aug[a].len, q, scale, err) == 0) continue;
                rc = -1;
                free(aug[a].tok);
            }
            free(aug);
            if (rc) return -1;
        }
    }
    if (b->o->augment == N2G_AUGMENT_NONE) return 0;
    return run_importance(b, jobs, nj, 1, err);
}

/* ---- outputs of one neuron ---- */

typedef struct result_ctx {
    const job *j;
    const n2g_eval *ev;
    const build_record *rec;
    int n_samples, n_orig;
    double seconds;
} result_ctx;

static void write_record(FILE *f, const build_record *rec) {
    fputs("{", f);
    for (int i = 0; i < rec->n; i++) {
        const rec_item *it = &rec->it[i];
        fprintf(f, "%s\"%s\": ", i ? ", " : "", it->key);
        if (it->is_str) json_write_string(f, it->val, strlen(it->val));
        else fputs(it->val, f);
    }
    fputs("}", f);
}

static int write_result(FILE *f, void *u, n2g_err *err) {
    result_ctx *r = u;
    const job *j = r->j;
    fprintf(f, "{\"layer\": %d, \"neuron\": %d, \"base_max\": ", j->layer, j->neuron);
    json_write_float(f, j->base_max);
    long toks = 0;
    for (int q = 0; q < j->n_prompts; q++) toks += j->prompts[q].len;
    fprintf(f, ", \"examples\": %d, \"train\": %d, \"test\": %d, \"samples\": %d, \"pruned\": %d, \"sample_tokens\": %ld",
            j->n_ex, j->n_train, j->n_test, r->n_samples, r->n_orig, toks);
    fputs(", \"options\": ", f);
    write_record(f, r->rec);
    if (j->skip_reason[0]) {
        fprintf(f, ", \"graph\": false, \"reason\": ");
        json_write_string(f, j->skip_reason, strlen(j->skip_reason));
    } else {
        fprintf(f, ", \"graph\": true, \"stats\": ");
        n2g_eval_write_json(f, r->ev, 2);
    }
    fprintf(f, "}\n");
    return ferror(f) ? n2g_fail(err, "write failed") : 0;
}

static int write_samples(FILE *f, void *u, n2g_err *err) { return n2g_samples_write(f, u, err); }

/* Removes PATH when it exists (a stale output of an earlier build of the neuron). */
static int remove_stale(const char *path, n2g_err *err) {
    if (unlink(path) == 0 || errno == ENOENT) return 0;
    return n2g_fail(err, "%s: cannot remove the earlier build's file: %s", path, strerror(errno));
}

static int finish_job(builder *b, job *j, n2g_err *err) {
    char path[4096], dotp[4096], svgp[4096], smpp[4096];
    n2g_eval ev;
    memset(&ev, 0, sizeof ev);
    result_ctx rc = {j, &ev, &b->rec, j->n_prompts, 0, 0};
    for (int q = 0; q < j->n_prompts; q++) rc.n_orig += j->prompts[q].parent < 0;
    if (!j->skip_reason[0] && j->n_prompts == 0)
        snprintf(j->skip_reason, sizeof j->skip_reason, "no training example kept a positive activation after pruning");
    path_of(path, sizeof path, b->run_dir, "graphs", j->layer, j->neuron, ".json");
    path_of(dotp, sizeof dotp, b->run_dir, "graphs", j->layer, j->neuron, ".dot");
    path_of(svgp, sizeof svgp, b->run_dir, "graphs", j->layer, j->neuron, ".svg");
    path_of(smpp, sizeof smpp, b->run_dir, "samples", j->layer, j->neuron, ".json");
    if (j->skip_reason[0]) {
        /* no graph: nothing of an earlier build (--force) may stay beside the new result */
        if (remove_stale(path, err) || remove_stale(dotp, err) || remove_stale(svgp, err) || remove_stale(smpp, err))
            return -1;
    } else {
        n2g_sample *s = calloc((size_t)j->n_prompts, sizeof *s);
        n2g_row *rows = calloc((size_t)j->n_test + 1, sizeof *rows);
        float *norm = malloc(sizeof(float) * (size_t)b->ctx_len * (size_t)(j->n_test + 1));
        if (!s || !rows || !norm) {
            free(s), free(rows), free(norm);
            return n2g_fail(err, "out of memory");
        }
        /* the reference's order: each pruned prompt followed by its augmentations (the trie
         * keeps the first insertion) */
        int ns = 0;
        for (int q = 0; q < j->n_orig; q++) {
            int at = ns;
            prompt *p = &j->prompts[q];
            s[ns++] = (n2g_sample){p->tok, p->act, p->imp, p->len, -1};
            for (int a = j->n_orig; a < j->n_prompts; a++)
                if (j->prompts[a].parent == q) {
                    p = &j->prompts[a];
                    s[ns++] = (n2g_sample){p->tok, p->act, p->imp, p->len, at};
                }
        }
        n2g_params prm;
        n2g_params_default(&prm);
        n2g_graph *g = n2g_fit(s, (size_t)j->n_prompts, b->vocab, &prm, err);
        if (!g) {
            free(s), free(rows), free(norm);
            return n2g_wrap(err, "neuron %d:%d: fit", j->layer, j->neuron);
        }
        g->layer = j->layer, g->neuron = j->neuron;
        for (int t = 0; t < j->n_test; t++) {
            int e = j->test[t];
            float *nr = norm + (size_t)t * (size_t)b->ctx_len;
            for (int k = 0; k < b->ctx_len; k++) nr[k] = j->acts[e][k] / j->base_max;
            if (b->skip0) nr[0] = 0; /* the scrape ignored position 0: it never counts as firing */
            rows[t] = (n2g_row){(int32_t *)j->rows[e], nr, b->ctx_len};
        }
        int r = n2g_evaluate(g, b->vocab, rows, (size_t)j->n_test, FIRE_THRESHOLD, &ev, err);
        if (j->n_listed) ev.correlation = NAN; /* needs every activation; a firing list has only those that fire */
        if (r == 0) r = n2g_graph_save_json(g, b->vocab, path, err);
        if (r == 0) r = n2g_graph_write_dot(g, b->vocab, dotp, err);
        if (r == 0 && b->want_svg) r = n2g_graph_render_svg(dotp, svgp, 60.0, err);
        else if (r == 0) r = remove_stale(svgp, err);
        if (r == 0 && !b->o->no_svg && !b->want_svg) b->res->svg_missing++;
        /* what the method did, as `n2g fit --samples` reads it: the samples in fitting order (not
         * the test rows: whole rows, they would make the file ~9x larger; bench/RESULTS.md) */
        n2g_samples smp = {j->layer, j->neuron, j->base_max, s, (size_t)ns, NULL, NULL, 0, 0};
        if (r == 0 && !b->o->no_samples) r = n2g_atomic_write(smpp, write_samples, &smp, err);
        else if (r == 0) r = remove_stale(smpp, err);
        n2g_graph_free(g);
        free(s), free(rows), free(norm);
        if (r != 0) return n2g_wrap(err, "neuron %d:%d", j->layer, j->neuron);
    }
    path_of(path, sizeof path, b->run_dir, "build", j->layer, j->neuron, ".json");
    return n2g_atomic_write(path, write_result, &rc, err);
}

/* acc += the engine's counts since *mark; *mark = now */
static void phase_add(n2g_probe_stats *acc, n2g_probe_stats *mark, const n2g_probe_engine *e) {
    const n2g_probe_stats *now = n2g_probe_get_stats(e);
    acc->seqs_submitted += now->seqs_submitted - mark->seqs_submitted;
    acc->tokens_run += now->tokens_run - mark->tokens_run;
    acc->tokens_shared += now->tokens_shared - mark->tokens_shared;
    acc->token_layers += now->token_layers - mark->token_layers;
    acc->batches += now->batches - mark->batches;
    acc->seconds += now->seconds - mark->seconds;
    *mark = *now;
}

/* ---- setup ---- */

static int load_job(builder *b, job *j, int layer, int neuron, n2g_err *err) {
    memset(j, 0, sizeof *j);
    j->layer = layer, j->neuron = neuron;
    if (scrape_run_k(b->run) > MAX_EX)
        return n2g_fail(err, "the run keeps %d examples per neuron; n2g build handles at most %d", scrape_run_k(b->run),
                        MAX_EX);
    scrape_example ex[MAX_EX];
    int n = scrape_run_topk(b->run, layer, neuron, ex);
    if (n < 0) return n2g_fail(err, "neuron %d:%d was not scraped in this run", layer, neuron);
    scrape_neuron_stats st;
    if (scrape_run_stats(b->run, layer, neuron, &st) != 0) return n2g_fail(err, "neuron %d:%d: no stats", layer, neuron);
    j->base_max = st.max;
    for (int e = 0; e < n; e++) {
        if (!isfinite(ex[e].value)) break;
        const int32_t *row;
        int got = scrape_run_row_get(b->run, ex[e].row, &row, err); /* -1: its tokens fail their checksum */
        if (got < 0) return n2g_wrap(err, "neuron %d:%d", layer, neuron);
        if (!got) return n2g_fail(err, "neuron %d:%d: row %u is not stored in the run", layer, neuron, ex[e].row);
        j->ex[j->n_ex] = ex[e];
        j->rows[j->n_ex++] = row;
    }
    if (j->n_ex < 2)
        snprintf(j->skip_reason, sizeof j->skip_reason, "%d example(s): at least 2 are needed for a train/test split",
                 j->n_ex);
    else if (!(j->base_max > 0))
        snprintf(j->skip_reason, sizeof j->skip_reason, "the neuron's max activation %g is not positive",
                 (double)j->base_max);
    else
        n2g_split_train_test(b->o->seed, j->n_ex, j->train, &j->n_train, j->test, &j->n_test);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int open_casings(builder *b, n2g_err *err) {
    char path[4096];
    if (b->o->casings_path) return n2g_casings_load(b->o->casings_path, &b->casings, err);
    snprintf(path, sizeof path, "%s/word_to_casings.json", b->run_dir);
    if (n2g_is_file(path)) return n2g_casings_load(path, &b->casings, err);
    /* count the run's corpus files (manifest corpus.files[].path) */
    const json_value *man = scrape_run_manifest(b->run);
    const json_value *files = json_get(json_get(man, "corpus"), "files");
    if (!files || files->type != JSON_ARRAY || files->n == 0)
        return n2g_failc(err, N2G_E_USAGE,
                         "%s/manifest.json lists no corpus files to count casings from; give --casings FILE "
                         "(made by 'n2g casings') or --augment none",
                         b->run_dir);
    n2g_casings *t = n2g_casings_new();
    if (!t) return n2g_fail(err, "out of memory");
    const char **names = calloc(files->n, sizeof *names);
    size_t nn = 0;
    for (size_t i = 0; names && i < files->n; i++) {
        const json_value *p = json_get(&files->items[i], "path");
        if (p && p->type == JSON_STRING && strcmp(p->str, "-")) names[nn++] = p->str;
    }
    qsort(names, nn, sizeof *names, cmp_str);
    int rc = names ? 0 : n2g_fail(err, "out of memory");
    for (size_t i = 0; i < nn && rc == 0; i++) rc = n2g_casings_count_path(t, names[i], 1, 1, err);
    free(names);
    if (rc == 0 && nn == 0)
        rc = n2g_failc(err, N2G_E_USAGE, "the run's corpus was read from stdin: give --casings FILE or --augment none");
    if (rc == 0) rc = n2g_casings_save(t, path, err);
    if (rc != 0) {
        n2g_casings_free(t);
        return n2g_wrap(err, "counting word casings for --augment casings");
    }
    b->casings = t;
    return 0;
}

static void builder_close(builder *b) {
    n2g_mlm_round_clear(&b->mlm_round);
    if (b->ctx && b->o->dev.profile) ops_profile_print(b->ctx, stderr);
    n2g_mlm_close(b->mlm); /* device buffers: before ops_destroy */
    n2g_probe_free(b->eng);
    ops_destroy(b->ctx);
    gpt2_free(b->m);
    n2g_vocab_free(b->vocab);
    bpe_cache_free(b->cache);
    bpe_free(b->tok);
    n2g_casings_free(b->casings);
    scrape_run_close(b->run);
}

/* ---- the options record, and what earlier builds left ---- */

static void rec_add(build_record *r, const char *key, int is_str, const char *val) {
    rec_item *it = &r->it[r->n++];
    it->key = key;
    it->is_str = is_str;
    snprintf(it->val, sizeof it->val, "%s", val);
}

static const char *casings_table(const builder *b, char *buf, size_t cap) {
    if (b->o->casings_path) return b->o->casings_path;
    snprintf(buf, cap, "%s/word_to_casings.json", b->run_dir);
    return buf;
}

static int hash_hex(const char *path, char *out, size_t cap, n2g_err *err) {
    uint64_t h, n;
    if (scrape_hash_file(path, &h, &n, err)) return -1;
    snprintf(out, cap, "%016llx", (unsigned long long)h);
    return 0;
}

/* This build's record. With augmentation the casing table must exist to be hashed: rank 0
 * counts it first when it is missing (and saves RUN/word_to_casings.json for the others). */
static int make_record(builder *b, n2g_err *err) {
    const n2g_build_opts *o = b->o;
    build_record *r = &b->rec;
    char buf[4096], v[64];
    static const char *const aug[] = {"none", "casings", "mlm"};
    r->n = 0;
    snprintf(v, sizeof v, "%u", (unsigned)o->seed);
    rec_add(r, "seed", 0, v);
    rec_add(r, "augment", 1, aug[o->augment]);
    if (o->augment != N2G_AUGMENT_NONE) {
        const char *cp = casings_table(b, buf, sizeof buf);
        if (dist_rank() == 0 && !o->casings_path && !n2g_is_file(cp) && open_casings(b, err) != 0) return -1;
        dist_barrier();
        if (hash_hex(cp, v, sizeof v, err)) return n2g_wrap(err, "the casing table");
        rec_add(r, "casings_hash", 1, v);
    }
    if (o->augment == N2G_AUGMENT_MLM) {
        /* the checkpoint's identity: its three files' hashes, hashed (an unreadable file counts as
         * 0 here; the checkpoint's loader says what is wrong with it when it is needed) */
        static const char *const files[] = {"config.json", "model.safetensors", "vocab.txt"};
        unsigned char hs[24];
        for (int k = 0; k < 3; k++) {
            uint64_t h = 0, bytes;
            n2g_err e2 = {0};
            snprintf(buf, sizeof buf, "%s/%s", o->mlm_dir, files[k]);
            if (scrape_hash_file(buf, &h, &bytes, &e2)) h = 0;
            for (int i = 0; i < 8; i++) hs[8 * k + i] = (unsigned char)(h >> (8 * i));
        }
        scrape_hash sh;
        scrape_hash_init(&sh);
        scrape_hash_update(&sh, hs, sizeof hs);
        snprintf(v, sizeof v, "%016llx", (unsigned long long)scrape_hash_final(&sh));
        rec_add(r, "mlm_hash", 1, v);
    }
    snprintf(v, sizeof v, "%d", o->mask_token);
    rec_add(r, "mask_token", 0, v);
    rec_add(r, "full_importance", 0, o->full_importance ? "true" : "false");
    const json_value *fl = json_get(json_get(scrape_run_manifest(b->run), "params"), "fire_lists");
    rec_add(r, "test_rows", 1, !o->rerun_test_rows && fl && fl->type == JSON_OBJECT ? "firing lists" : "run");
    return 0;
}

/* An option as a message shows it ("--seed 3"). */
static void rec_show(const char *key, const char *val, char *out, size_t cap) {
    if (!strcmp(key, "seed")) snprintf(out, cap, "--seed %s", val);
    else if (!strcmp(key, "augment")) snprintf(out, cap, "--augment %s", val);
    else if (!strcmp(key, "casings_hash")) snprintf(out, cap, "a casing table (--casings) with hash %s", val);
    else if (!strcmp(key, "mlm_hash")) snprintf(out, cap, "an --mlm checkpoint with hash %s", val);
    else if (!strcmp(key, "mask_token")) snprintf(out, cap, "--mask-token %s", val);
    else if (!strcmp(key, "full_importance")) snprintf(out, cap, "%s--full-importance", strcmp(val, "true") ? "no " : "");
    else if (!strcmp(key, "test_rows"))
        snprintf(out, cap, "%s", strcmp(val, "run") ? "test rows from the scrape's firing lists"
                                                   : "test rows run (--rerun-test-rows, or a run without firing lists)");
    else snprintf(out, cap, "%s %s", key, val);
}

/* The canonical text of a recorded value (as rec_item.val); 0 when it is not a scalar. */
static int rec_text(const json_value *v, char *out, size_t cap) {
    if (!v) return 0;
    if (v->type == JSON_STRING) snprintf(out, cap, "%.*s", (int)(v->n < cap ? v->n : cap - 1), v->str);
    else if (v->type == JSON_NUMBER) snprintf(out, cap, "%.17g", v->num);
    else if (v->type == JSON_TRUE || v->type == JSON_FALSE) snprintf(out, cap, "%s", v->type == JSON_TRUE ? "true" : "false");
    else return 0;
    return 1;
}

/* 0 when the recorded options old equal r; else 1 with why = "was built with X; this build has Y". */
static int rec_differs(const build_record *r, const json_value *old, char *why, size_t cap) {
    char ov[80], a[200], c[200];
    if (!old || old->type != JSON_OBJECT) {
        snprintf(why, cap, "has no record of the options it was built with (an older n2g wrote it)");
        return 1;
    }
    for (int i = 0; i < r->n; i++) {
        const rec_item *it = &r->it[i];
        const json_value *v = json_get(old, it->key);
        if (rec_text(v, ov, sizeof ov) && (v->type == JSON_STRING) == it->is_str && !strcmp(ov, it->val)) continue;
        if (rec_text(v, ov, sizeof ov)) rec_show(it->key, ov, a, sizeof a);
        else snprintf(a, sizeof a, "no recorded \"%s\"", it->key);
        rec_show(it->key, it->val, c, sizeof c);
        snprintf(why, cap, "was built with %s; this build has %s", a, c);
        return 1;
    }
    for (size_t k = 0; k < old->n; k++) {
        int known = 0;
        for (int i = 0; i < r->n && !known; i++) known = !strcmp(old->keys[k], r->it[i].key);
        if (known) continue;
        if (rec_text(&old->items[k], ov, sizeof ov)) rec_show(old->keys[k], ov, a, sizeof a);
        else snprintf(a, sizeof a, "\"%s\"", old->keys[k]);
        snprintf(why, cap, "was built with %s; this build has none", a);
        return 1;
    }
    return 0;
}

/* A named neuron whose build/L_N.json (path) exists. 0: done with this build's options; 1: to
 * build again (--force, and other options); -1 with err: other options without --force (a usage
 * error naming the option and both values). A done neuron whose graph has no SVG gets it now
 * when Graphviz is there (rank 0), else counts in svg_missing. */
static int check_done(builder *b, int l, int n, const char *path, n2g_err *err) {
    n2g_err e2 = {0};
    char why[600];
    json_doc *d = json_parse_file(path, &e2);
    int differs = 1;
    if (!d) snprintf(why, sizeof why, "cannot be read (%.500s)", e2.msg);
    else differs = rec_differs(&b->rec, json_get(json_root(d), "options"), why, sizeof why);
    const json_value *gr = d ? json_get(json_root(d), "graph") : NULL;
    int has_graph = gr && gr->type == JSON_TRUE;
    json_free(d);
    if (differs) {
        if (b->o->force) return 1;
        return n2g_failc(err, N2G_E_USAGE,
                         "%s %s: rerun with the options it was built with, or add --force to rebuild the named "
                         "neurons built with other options",
                         path, why);
    }
    if (!has_graph || b->o->no_svg) return 0;
    char svgp[4096], dotp[4096];
    path_of(svgp, sizeof svgp, b->run_dir, "graphs", l, n, ".svg");
    path_of(dotp, sizeof dotp, b->run_dir, "graphs", l, n, ".dot");
    if (n2g_is_file(svgp)) return 0;
    if (!b->want_svg || !n2g_is_file(dotp)) {
        b->res->svg_missing++;
        return 0;
    }
    if (dist_rank() == 0) {
        if (n2g_graph_render_svg(dotp, svgp, 60.0, err) != 0) return -1;
        b->res->svg_rendered++;
    }
    return 0;
}

/* The names of the run's own files that n2g writes through a temporary (NAME.tmp.PID). */
static int neuron_file(const char *s, size_t n) { /* L_N.json, L_N.dot, L_N.svg */
    size_t i = 0, d1 = 0, d2 = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, d1++;
    if (!d1 || i >= n || s[i++] != '_') return 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, d2++;
    if (!d2) return 0;
    static const char *const ext[] = {".json", ".dot", ".svg"};
    for (int k = 0; k < 3; k++)
        if (n - i == strlen(ext[k]) && !memcmp(s + i, ext[k], n - i)) return 1;
    return 0;
}

static int run_file(const char *s, size_t n) {
    static const char *const names[] = {"stats.json", "neuron_store.json", "word_to_casings.json"};
    for (int k = 0; k < 3; k++)
        if (n == strlen(names[k]) && !memcmp(s, names[k], n)) return 1;
    return 0;
}

/* Before anything is listed: the output folders, the temporaries that killed builds left
 * (rank 0; only n2g's own names, and only of processes that are gone), whether Graphviz is
 * there, and this build's record. */
static int prepare(builder *b, n2g_err *err) {
    static const char *const sub[] = {"graphs", "build", "samples"};
    char path[4096];
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", b->run_dir, sub[k]);
        if (n2g_make_dir(path, 0, err) != 0) return -1;
    }
    if (dist_rank() == 0) {
        b->res->temps_removed = n2g_atomic_remove_stale(b->run_dir, run_file);
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/%s", b->run_dir, sub[k]);
            b->res->temps_removed += n2g_atomic_remove_stale(path, neuron_file);
        }
    }
    b->res->dot_missing = !b->o->no_svg && !n2g_dot_available();
    b->want_svg = !b->o->no_svg && !b->res->dot_missing;
    return make_record(b, err);
}

/* ---- aggregation ---- */


static int aggregate(builder *b, n2g_err *err);

int n2g_build_run(const char *run_dir, const n2g_build_opts *o, n2g_build_result *res, n2g_err *err) {
    double t0 = progress_now();
    builder b;
    memset(&b, 0, sizeof b);
    b.run_dir = run_dir, b.o = o;
    n2g_build_result rdummy;
    if (!res) res = &rdummy;
    memset(res, 0, sizeof *res);
    b.res = res;
    int *list = NULL;
    long nl = 0;
    job *jobs = NULL;
    int rc = -1;
    scrape_lock *lock = NULL; /* one writer per run directory; the job's ranks are one (rank 0 locks) */
    if (dist_rank() == 0 && scrape_lock_take(run_dir, &lock, err) != 0) return -1;
    if (scrape_run_open(run_dir, 0, &b.run, err) != 0) {
        scrape_lock_release(lock);
        return -1;
    }
    /* the model the run was scraped from (checked; --model DIR names it when the run moved), and
     * its tokenizer by the rule of every command, whose vocabulary the graphs and the aggregate use */
    if (scrape_run_use_model(b.run, o->model_dir, err) != 0) goto done;
    const char *model_dir = scrape_run_model_dir(b.run);
    if (!(b.tok = bpe_load_model(model_dir, dist_rank() > 0, NULL, err)) ||
        !(b.vocab = n2g_vocab_from_bpe(b.tok, 1, err)) || !(b.cache = bpe_cache_new()))
        goto done;
    int nlay = scrape_run_n_layers(b.run);
    int layers[256];
    for (int i = 0; i < nlay && i < 256; i++) layers[i] = scrape_run_layer(b.run, i);
    if (n2g_build_parse_neurons(o->neurons, layers, nlay, scrape_run_d_mlp(b.run), &list, &nl, err) != 0) goto done;
    res->requested = nl;
    char path[4096];
    if (prepare(&b, err) != 0) goto done;
    /* what is left to do: neurons without a result, and with --force those built with other options */
    long todo = 0;
    for (long i = 0; i < nl; i++) {
        path_of(path, sizeof path, run_dir, "build", list[2 * i], list[2 * i + 1], ".json");
        if (n2g_is_file(path)) {
            int st = check_done(&b, list[2 * i], list[2 * i + 1], path, err);
            if (st < 0) goto done;
            if (st == 0) {
                res->done_before++;
                continue;
            }
            res->rebuilt++;
        }
        list[2 * todo] = list[2 * i], list[2 * todo + 1] = list[2 * i + 1];
        todo++;
    }
    if (res->dot_missing && todo > 0 && dist_rank() == 0)
        fprintf(stderr, "n2g build: warning: Graphviz '%s' was not found: writing graphs/L_N.dot without the SVG "
                        "pictures (the report draws the graphs from graphs/L_N.json)\n",
                n2g_dot_program());
    dist_barrier(); /* several ranks: nobody writes a result before every rank has listed what is left */
    if (todo > 0) {
        if (gpt2_load(model_dir, &b.m, err) != 0) goto done;
        b.ctx_len = scrape_run_ctx(b.run);
        b.skip0 = !scrape_run_include_bos(b.run);
        /* (the table exists: make_record had rank 0 count it when it was missing) */
        if (o->augment != N2G_AUGMENT_NONE && !b.casings && open_casings(&b, err) != 0) goto done;
        n2g_prune_defaults(&b.pc);
        b.pc.skip_pos0 = b.skip0;
        b.pc.bos = bpe_eot_id(b.tok) >= 0 ? bpe_eot_id(b.tok) : 50256;
        n2g_params gp;
        n2g_params_default(&gp);
        b.act_threshold = gp.activation_threshold;
        n2g_augment_defaults(&b.ac);
        b.ac.bos = b.ac.eot = b.pc.bos;
        b.ac.max_len = b.m->cfg.n_ctx;
        if (o->mask_token < 0 || o->mask_token >= b.m->cfg.vocab_size) {
            n2g_failc(err, N2G_E_USAGE, "--mask-token %d outside the vocabulary (0..%d)", o->mask_token,
                      b.m->cfg.vocab_size - 1);
            goto done;
        }
        if (ops_create(&o->dev, &b.ctx, err) != 0) goto done;
        if (o->augment == N2G_AUGMENT_MLM && n2g_mlm_open(o->mlm_dir, b.ctx, 0, &b.mlm, err) != 0) goto done;
        int maxl = 0;
        for (long i = 0; i < todo; i++) maxl = list[2 * i] > maxl ? list[2 * i] : maxl;
        n2g_probe_opts po = {.max_tokens = o->max_tokens > 0 ? o->max_tokens : 16384, .max_batch = 512,
                             .max_layer = maxl, .no_tree = o->no_tree};
        if (n2g_probe_create(b.m, b.ctx, &po, &b.eng, err) != 0) goto done;
        int block = o->block > 0 ? o->block : 128;
        if (!(jobs = calloc((size_t)block, sizeof *jobs))) {
            n2g_fail(err, "out of memory");
            goto done;
        }
        /* blocks are handed out in list order to whichever rank asks next (dist.h; one rank: all) */
        dist_counter *ctr = NULL;
        if (dist_counter_create(&ctr, err) != 0) goto done;
        long mine = dist_counter_next(ctr);
        progress *pg = progress_start("build", (double)todo, "neurons", o->quiet || dist_rank() > 0);
        for (long i = 0, blk = 0; i < todo && !res->interrupted; blk++) {
            int nj = 0;
            while (i + nj < todo && nj < block && list[2 * (i + nj)] == list[2 * i]) nj++;
            if (blk != mine) { /* another rank's block */
                i += nj;
                continue;
            }
            if (STOPPED(&b)) {
                res->interrupted = 1;
                continue;
            }
            int r = 0;
            /* a result built with other options (--force) goes first: a crash now leaves the
             * neuron to build, never the old result beside new graphs */
            for (int k = 0; k < nj && r == 0; k++) {
                path_of(path, sizeof path, run_dir, "build", list[2 * (i + k)], list[2 * (i + k) + 1], ".json");
                r = remove_stale(path, err);
            }
            for (int k = 0; k < nj && r == 0; k++) r = load_job(&b, &jobs[k], list[2 * (i + k)], list[2 * (i + k) + 1], err);
            /* a stop (Ctrl-C) is looked at between phases: the block is dropped, earlier ones kept */
            n2g_probe_stats mark = *n2g_probe_get_stats(b.eng);
            if (r == 0 && !STOPPED(&b)) r = submit_rows(&b, jobs, nj, err);
            phase_add(&res->phase[N2G_PHASE_TEST], &mark, b.eng);
            if (r == 0 && !STOPPED(&b)) r = submit_prune(&b, jobs, nj, err);
            phase_add(&res->phase[N2G_PHASE_PRUNE], &mark, b.eng);
            if (r == 0 && !STOPPED(&b)) r = choose_prompts(&b, jobs, nj, err);
            phase_add(&res->phase[N2G_PHASE_IMPORTANCE], &mark, b.eng);
            if (r == 0 && !STOPPED(&b)) r = augment_prompts(&b, jobs, nj, err);
            phase_add(&res->phase[N2G_PHASE_AUGMENTED], &mark, b.eng);
            /* finishing is quick: each neuron finished before a stop is kept */
            for (int k = 0; k < nj && r == 0 && !STOPPED(&b); k++) {
                r = finish_job(&b, &jobs[k], err);
                if (r == 0) {
                    res->built++;
                    res->no_graph += jobs[k].skip_reason[0] != 0;
                }
            }
            for (int k = 0; k < nj; k++) job_free(&jobs[k]);
            /* a stop can also fail what it interrupted (Graphviz gets the terminal's Ctrl-C) */
            if (STOPPED(&b)) {
                n2g_err_clear(err);
                res->interrupted = 1;
                continue;
            }
            if (r != 0) {
                progress_finish(pg);
                if (dist_size() == 1) dist_counter_free(ctr); /* several ranks: collective, and the job is aborted */
                goto done;
            }
            i += nj;
            mine = dist_counter_next(ctr);
            progress_update(pg, (double)i, NULL); /* shows neurons/s and the ETA */
        }
        progress_finish(pg);
        dist_counter_free(ctr); /* collective: every rank has run out of blocks */
        res->probe = *n2g_probe_get_stats(b.eng);
        if (b.mlm) {
            const n2g_mlm_stats *ms = n2g_mlm_get_stats(b.mlm);
            res->mlm_masked = ms->masked, res->mlm_emitted = ms->emitted, res->mlm_seconds = ms->seconds;
        }
    }
    uint64_t counts[2] = {(uint64_t)res->built, (uint64_t)res->no_graph};
    dist_allreduce_sum_u64(counts, 2); /* also waits for every rank's last results */
    res->built = (long)counts[0], res->no_graph = (long)counts[1];
    /* one writer of stats / neuron_store; a stopped build leaves them to the rerun */
    if (!res->interrupted && dist_rank() == 0 && aggregate(&b, err) != 0) goto done;
    rc = 0;
done:
    free(list);
    free(jobs);
    builder_close(&b);
    scrape_lock_release(lock);
    res->seconds = progress_now() - t0;
    return rc;
}

/* ---- stats.json, neuron_store.json and the per-layer table over every finished neuron ---- */

static int cmp_pair(const void *a, const void *b) {
    const int *x = a, *y = b;
    return x[0] != y[0] ? x[0] - y[0] : x[1] - y[1];
}

typedef struct agg_ctx {
    int *ids; /* layer, neuron pairs with a graph */
    size_t n;
    const n2g_eval *evs;
} agg_ctx;

static int write_stats(FILE *f, void *u, n2g_err *err) {
    agg_ctx *a = u;
    fputs("{", f);
    for (size_t i = 0; i < a->n; i++) {
        int l = a->ids[2 * i], n = a->ids[2 * i + 1];
        if (i == 0 || l != a->ids[2 * (i - 1)]) fprintf(f, "%s\n  \"%d\": {", i ? "\n  }," : "", l);
        else fputs(",", f);
        fprintf(f, "\n    \"%d\": ", n);
        n2g_eval_write_json(f, &a->evs[i], 6);
    }
    fputs(a->n ? "\n  }\n}\n" : "}\n", f);
    return ferror(f) ? n2g_fail(err, "stats.json: write failed") : 0;
}

static int aggregate(builder *b, n2g_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/build", b->run_dir);
    DIR *d = opendir(path);
    if (!d) return n2g_fail(err, "%s: cannot open", path);
    int *ids = NULL;
    n2g_eval *evs = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        int l, k;
        char tail[8];
        if (sscanf(de->d_name, "%d_%d%7s", &l, &k, tail) != 3 || strcmp(tail, ".json")) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            int *ni = realloc(ids, sizeof(int) * 2 * cap);
            if (ni) ids = ni;
            n2g_eval *ne = realloc(evs, sizeof *ne * cap);
            if (ne) evs = ne;
            if (!ni || !ne) {
                rc = n2g_fail(err, "out of memory");
                break;
            }
        }
        ids[2 * n] = l, ids[2 * n + 1] = k;
        n++;
    }
    closedir(d);
    if (rc) goto out;
    qsort(ids, n, sizeof(int) * 2, cmp_pair);
    /* read the results; keep the ones with a graph */
    size_t m = 0;
    n2g_store *store = n2g_store_new();
    if (!store) {
        rc = n2g_fail(err, "out of memory");
        goto out;
    }
    n2g_vocab *vocab = b->vocab;
    if (!vocab && n > 0 && !(vocab = n2g_vocab_load(scrape_run_model_dir(b->run), 1, err))) {
        n2g_store_free(store);
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        path_of(path, sizeof path, b->run_dir, "build", ids[2 * i], ids[2 * i + 1], ".json");
        json_doc *doc = json_parse_file(path, err);
        if (!doc) {
            rc = -1;
            break;
        }
        const json_value *r = json_root(doc);
        const json_value *gr = json_get(r, "graph");
        if (gr && gr->type == JSON_TRUE) {
            if (n2g_eval_from_json(json_get(r, "stats"), &evs[m], path, err) != 0) rc = -1;
            path_of(path, sizeof path, b->run_dir, "graphs", ids[2 * i], ids[2 * i + 1], ".json");
            n2g_graph *g = rc ? NULL : n2g_graph_load_json(path, vocab, err);
            if (!rc && !g) rc = -1;
            if (g) {
                rc = n2g_store_add_graph(store, g, vocab, err);
                n2g_graph_free(g);
            }
            ids[2 * m] = ids[2 * i], ids[2 * m + 1] = ids[2 * i + 1];
            m++;
        }
        json_free(doc);
    }
    if (vocab != b->vocab) n2g_vocab_free(vocab);
    if (rc == 0) {
        agg_ctx a = {ids, m, evs};
        snprintf(path, sizeof path, "%s/stats.json", b->run_dir);
        rc = n2g_atomic_write(path, write_stats, &a, err);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/neuron_store.json", b->run_dir);
        rc = n2g_store_save(store, path, err);
    }
    n2g_store_free(store);
    if (rc == 0 && b->o->table) {
        FILE *f = b->o->table;
        fprintf(f, "%-6s %7s | %-26s | %-26s\n", "layer", "neurons", "firing P / R / F1", "non-firing P / R / F1");
        for (size_t i = 0; i < m;) {
            size_t e = i;
            n2g_summary s;
            n2g_summary_init(&s);
            while (e < m && ids[2 * e] == ids[2 * i]) n2g_summary_add(&s, &evs[e++]);
            double mean[2][3], sd[2][3];
            n2g_summary_get(&s, mean, sd);
            fprintf(f, "%-6d %7zu | %6.3f / %6.3f / %6.3f   | %6.3f / %6.3f / %6.3f\n", ids[2 * i], e - i, mean[1][0],
                    mean[1][1], mean[1][2], mean[0][0], mean[0][1], mean[0][2]);
            i = e;
        }
    }
out:
    free(ids);
    free(evs);
    return rc;
}
