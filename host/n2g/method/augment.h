/* augment.h — AUGMENTATION of n2g-reference §6, casing-table variant (no masked LM yet).
 *
 * For a scored prompt y[0..L) (y[0] = BOS) with importance imp[k*L + j] and pivot p*:
 *   important = { norm(text(y[k])) : imp[k][p*] >= 0.8, y[k] != <|endoftext|> }
 *               (norm = strip(" " + punctuation).lower())
 *   text      = text(y[1]) + ... + text(y[L-1]);  maxpos = byte length of text(y[1..p*])
 *   for each word token w of text (wordsplit.h) in order, starting at byte offset pos:
 *       skip non-words and words whose norm is not important; stop when pos > maxpos;
 *       for each casing c of norm(w) in the table, most frequent first, c != w:
 *           emit BOS + encode(text with this occurrence of w replaced by c)   (at most n per word)
 * Differences from the reference, with reasons (docs/build.md):
 *   - candidates are the word's own casings from word_to_casings.json instead of DistilBERT
 *     fill-mask predictions; the reference's title-case rule (c.title() when w.istitle())
 *     is meant for MLM candidates and would turn every casing of a title-case word back
 *     into w, so it is not applied to casing candidates (n2g_augment_case_candidate keeps it
 *     for the MLM path);
 *   - the "candidate == original" check compares against the substituted word itself
 *     (the reference compares against the last word visited, bug (a)), so no augmented text
 *     duplicates the original.
 * The step (n2g build, at the end): n2g_augment_run adds the augmentations of a block's
 * prompts to their jobs.
 */
#ifndef N2G_AUGMENT_H
#define N2G_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "n2g/method/casings.h"
#include "n2g/method/prune.h"
#include "n2g/method/strlist.h"

/* encodes text[0..n) to GPT-2 ids (malloc'd *ids, *n_ids); 0 or -1 with err */
typedef int (*n2g_encode_fn)(void *user, const char *text, size_t n, int32_t **ids, int *n_ids, n2g_err *err);

typedef struct n2g_augment_cfg {
    float threshold;   /* 0.8: word-selection importance */
    int n;             /* 5: substitutions per word */
    int bos, eot;      /* 50256, 50256 */
    int max_len;       /* augmented prompts longer than this (n_ctx) are dropped */
} n2g_augment_cfg;

void n2g_augment_defaults(n2g_augment_cfg *c);

typedef struct n2g_tokseq {
    int32_t *tok;
    int len;
} n2g_tokseq;

/* Appends the augmented prompts of y to *out (realloc'd array of *n_out, caller frees each
 * tok and the array). */
int n2g_augment_casings(const int32_t *y, int L, const float *imp, int pstar, const n2g_augment_cfg *c,
                        const n2g_casings *table, n2g_tokstr_fn ts, void *ts_user, n2g_encode_fn enc, void *enc_user,
                        n2g_tokseq **out, int *n_out, n2g_err *err);

/* What both augmentations start from: *important = the normalised texts (wordsplit.h,
 * n2g_word_norm) of the tokens k with imp[k][p*] >= threshold that are not EOT, once each;
 * *text (malloc'd, NUL-terminated, *tlen bytes) = text(y[1]) + ... + text(y[L-1]); *maxpos =
 * the byte length of text(y[1..p*]). -1 when out of memory. */
int n2g_augment_text(const int32_t *y, int L, const float *imp, int pstar, const n2g_augment_cfg *c, n2g_tokstr_fn ts,
                     void *ts_user, n2g_strlist *important, char **text, size_t *tlen, size_t *maxpos);
/* Appends BOS + ids[0..nid) to *out (realloc'd); -1 when out of memory. */
int n2g_tokseq_push(n2g_tokseq **out, int *n_out, int bos, const int32_t *ids, int nid);

/* The reference's casing of an MLM candidate c for original word w (script.py:273-278):
 * c.title() if w.istitle() else table[c][0] (c itself when absent). dst cap >= clen + 1 and
 * >= the longest casing; returns the length. */
size_t n2g_augment_case_candidate(const char *w, size_t wlen, const char *c, size_t clen, const n2g_casings *table,
                                  char *dst, size_t cap);

/* ---- the step (method.h) ---- */
typedef struct n2g_method n2g_method;
typedef struct n2g_job n2g_job;

/* Augments each pruned prompt [0, n_orig) of the jobs not skipped — by the casing table, or by
 * m->mlm (augment_mlm.h: the fill-mask of all the block's prompts runs first, together) — and
 * adds the augmentations as prompts [n_orig, n_prompts) with their original as parent and its
 * scale. Nothing when m->augment is 0. */
int n2g_augment_run(n2g_method *m, n2g_job *jobs, int nj, n2g_err *err);

#endif
