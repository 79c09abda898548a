/* augment_mlm.h — AUGMENTATION of n2g-reference §6 with a masked language model
 * (DistilBertForMaskedLM, distilbert.h), as the reference does it, with its bugs (a) and (b)
 * fixed.
 *
 * For each scored prompt y[0..L) (y[0] = BOS) with importance imp[k*L + j] and pivot p*:
 *   important = { norm(text(y[k])) : imp[k][p*] >= 0.8, y[k] != <|endoftext|> }
 *   text      = text(y[1]) + ... + text(y[L-1]);  maxpos = byte length of text(y[1..p*])
 *   for each word token w of text (wordsplit.h) at byte offset pos, in order:
 *       skip non-words and words whose norm is not important; stop when pos > maxpos;
 *       masked = text with this occurrence of w replaced by "[MASK]"
 *   DistilBERT forwards over the distinct masked texts ([CLS] wordpiece(masked) [SEP]), sorted
 *   by length into right-padded batches (identical masked texts run once);
 *   per masked text, candidates in probability order (softmax over the vocabulary at the
 *   [MASK] position; ties by id) while p >= 1e-5:
 *       c = the token's text; skip when norm(c) == norm(w) (fix (a): the reference compares
 *       with the last word visited) or c has no letter;
 *       casing = c.title() if w.istitle() else word_to_casings[c][0] (c when absent)
 *       new = masked.replace("[MASK]", casing, 1).replace(" ##", "")
 *       skip new when it equals the original text or an earlier augmentation of this prompt
 *       (fix (b): the reference never fills seen_texts);
 *       emit BOS + encode(new) (dropped when longer than max_len); at most n per word.
 * A masked text longer than the model's max_position_embeddings is an error.
 */
#ifndef N2G_AUGMENT_MLM_H
#define N2G_AUGMENT_MLM_H

#include <stdint.h>

#include "n2g/method/augment.h"
#include "model/distilbert.h"

typedef struct n2g_mlm n2g_mlm;

typedef struct n2g_mlm_stats {
    long prompts;       /* prompts augmented */
    long masked;        /* masked texts */
    long unique;        /* distinct masked texts (per call) run through the model */
    long batches;       /* forward batches */
    long emitted;       /* augmented prompts emitted */
    long duplicates;    /* candidates dropped as duplicates (fix (b)) */
    double seconds;     /* wall time in n2g_augment_mlm (tokenising, forwards, candidates) */
    double fwd_seconds; /* of which DistilBERT forwards */
} n2g_mlm_stats;

/* Loads the checkpoint DIR (distilbert_load) for the backend ctx (not owned). max_tokens:
 * padded tokens per forward batch (0 = 4096). */
int n2g_mlm_open(const char *dir, ops_ctx *ctx, int max_tokens, n2g_mlm **out, n2g_err *err);
void n2g_mlm_close(n2g_mlm *m);
const distilbert_model *n2g_mlm_model(const n2g_mlm *m);
const n2g_mlm_stats *n2g_mlm_get_stats(const n2g_mlm *m);

typedef struct n2g_mlm_prompt {
    const int32_t *y; /* [L] GPT-2 ids, y[0] = BOS */
    int L;
    const float *imp; /* [L * L] */
    int pstar;
} n2g_mlm_prompt;

/* Augments n prompts together (one batched set of forwards): appends prompt i's augmented
 * prompts to out[i] / n_out[i] (realloc'd; caller frees each tok and the arrays). */
int n2g_augment_mlm(n2g_mlm *m, const n2g_mlm_prompt *p, int n, const n2g_augment_cfg *c, const n2g_casings *table,
                    n2g_tokstr_fn ts, void *ts_user, n2g_encode_fn enc, void *enc_user, n2g_tokseq **out, int *n_out,
                    n2g_err *err);

/* A round of prompts augmented together, whose results are then taken one prompt at a time
 * (how `n2g build` batches the prompts of a block of neurons). */
typedef struct n2g_mlm_round {
    const int32_t **key; /* each prompt's y pointer */
    n2g_tokseq **out;
    int *n_out;
    int n;
} n2g_mlm_round;

/* Clears r, then augments n prompts (n2g_augment_mlm) and keeps the results by y pointer. */
int n2g_mlm_round_run(n2g_mlm *m, n2g_mlm_round *r, const n2g_mlm_prompt *p, int n, const n2g_augment_cfg *c,
                      const n2g_casings *table, n2g_tokstr_fn ts, void *ts_user, n2g_encode_fn enc, void *enc_user,
                      n2g_err *err);
/* Hands over (appends to *out / *n_out) the augmented prompts of the prompt whose ids are at y;
 * nothing when y was not in the round. Returns 0 (-1 when out of memory). */
int n2g_mlm_round_take(n2g_mlm_round *r, const int32_t *y, n2g_tokseq **out, int *n_out, n2g_err *err);
void n2g_mlm_round_clear(n2g_mlm_round *r);

/* The masked texts of one prompt (the first half above): *texts (malloc'd array of malloc'd
 * NUL-terminated strings), the masked word of each (*words, same layout), the unmasked text
 * (*orig). Returns the count or -1. For tests and tools. */
int n2g_mlm_masked_texts(const int32_t *y, int L, const float *imp, int pstar, const n2g_augment_cfg *c,
                         n2g_tokstr_fn ts, void *ts_user, char ***texts, char ***words, char **orig, n2g_err *err);

#endif
