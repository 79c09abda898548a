/* ops_topk.h — the scrape's two device ops: per-row reduction of a hook and the per-neuron
 * running top-k merge. Both backends (cpu_topk.c, vk_topk.c); dispatch on ops_kind_of(ctx).
 *
 * Total order of examples: value descending, then row index ascending. Rows arrive in
 * increasing row order (a scrape streams its corpus), so a new candidate enters a full list
 * only when its value is strictly greater than the current k-th value, and it is inserted after
 * every kept entry with an equal value. The result is therefore independent of batch size and
 * of thread timing, and equals a sort of all (row max, row) pairs by that total order.
 *
 * Layout of one top-k store (the "topk" buffer) for C neurons and k slots, at a word offset:
 *   val  f32 [C, k]   sorted as above; empty slots hold -inf
 *   row  u32 [C, k]   row index of the example; empty slots hold 0xFFFFFFFF
 *   pos  u32 [C, k]   position of the row's max (first position on ties)
 * i.e. words [0, Ck) values, [Ck, 2Ck) rows, [2Ck, 3Ck) positions.
 * The "stats" buffer holds per neuron 2 words: sum (f32) and its Kahan compensation (f32)
 * of all non-excluded activations seen so far.
 */
#ifndef N2G_OPS_TOPK_H
#define N2G_OPS_TOPK_H

#include <stdint.h>

#include "ops.h"

#define OPS_TOPK_EMPTY_ROW 0xFFFFFFFFu

/* Per (row b, neuron c) over positions t in [p0, T):
 *   rmax[b, c] = max_t x[b*T + t, c]      rarg[b, c] = first t reaching it (int32)
 *   rsum[b, c] = sum_t x[b*T + t, c]      (summed in increasing t)
 * x [B*T, C] at word offset 0; rmax, rarg, rsum [B, C] each at word offset out_off.
 * Requires 0 <= p0 < T. NaN activations never win the max. */
void ops_rowmax(ops_ctx *ctx, ops_buf *rmax, ops_buf *rarg, ops_buf *rsum, size_t out_off, const ops_buf *x, int B,
                int T, int C, int p0);

/* Merges, per neuron c, the B candidates (rmax[b, c], row0 + b, rarg[b, c]) for b = 0..B-1 (in
 * that order) into the sorted top-k store at word offset topk_off (layout above, C neurons),
 * and adds rsum[b, c] for b = 0..B-1 (in that order) to stats[c] with Kahan summation
 * (stats at word offset stats_off, [C, 2]). rmax/rarg/rsum [B, C] at word offset in_off.
 * 1 <= k <= OPS_TOPK_MAX_K. */
#define OPS_TOPK_MAX_K 256
void ops_topk_merge(ops_ctx *ctx, ops_buf *topk, size_t topk_off, ops_buf *stats, size_t stats_off,
                    const ops_buf *rmax, const ops_buf *rarg, const ops_buf *rsum, size_t in_off, int B, int C, int k,
                    uint32_t row0);

/* Host-side reference of one neuron's merge step (also used by the CPU backend):
 * val/row/pos [k] sorted store; candidates (cval[b*cstride], row0 + b, cpos[b*cstride]). */
void ops_topk_merge_one(float *val, uint32_t *row, uint32_t *pos, int k, const float *cval, const int32_t *cpos,
                        size_t cstride, int B, uint32_t row0);
/* Kahan step: *sum += v with compensation *comp. */
static inline void ops_kahan_add(float *sum, float *comp, float v) {
    float y = v - *comp; /* no -ffast-math anywhere: the compiler keeps this order */
    float t = *sum + y;
    *comp = (t - *sum) - y;
    *sum = t;
}

/* Fills a top-k store for C neurons with empty slots (host memory: 3*C*k words). */
void ops_topk_init_host(uint32_t *words, int C, int k);

/* ---- firing lists of the kept examples ----
 * So that `n2g build` can score a test row without running it again, the scrape keeps, for each
 * example in a neuron's top-k, the positions of its row where the neuron's activation is at
 * least ratio * (the row's own max): a superset of the positions that fire at ratio * (the
 * neuron's final max), since a kept row's max never exceeds the neuron's max. The list depends
 * only on (neuron, row): not on batch size, rank count or history.
 *
 * Layout of one fire store for C neurons, k lists per neuron, F entries per list, at a word
 * offset (words [0, Ck) tags, [Ck, 2Ck) counts, [2Ck, 2Ck + CkF) positions, then values):
 *   tag  u32 [C, k]     the row index the list belongs to; OPS_TOPK_EMPTY_ROW = free
 *   cnt  u32 [C, k]     how many positions qualified (more than F: only the first F are kept);
 *                       OPS_TOPK_FIRE_NONE when the row's max is not positive (no list)
 *   pos  u32 [C, k, F]  the qualifying positions, ascending (the first F)
 *   val  f32 [C, k, F]  their activations
 * Entries past min(cnt, F), and every entry of a NONE list, are 0, so a list's words depend only
 * on (neuron, row). Lists are not in top-k slot order: a list is found by its tag. */
#define OPS_TOPK_FIRE_NONE 0xFFFFFFFFu
static inline size_t ops_topk_fire_words(int C, int k, int F) { return (size_t)C * k * (2 + 2 * (size_t)F); }

/* Called after ops_topk_merge with the same batch (x [B*T, C] at word offset 0: the hook whose
 * rows row0 .. row0+B-1 were just merged): for every neuron c and every top-k slot j = 0..k-1
 * (in that order) whose row r is in this batch and has no list yet, takes the lowest-index list
 * whose tag is not a row of c's current top-k, sets its tag to r and fills it from
 * x[(r - row0) * T + t, c] for t = p0 .. T-1 with the threshold ratio * val[c, j] (cnt =
 * OPS_TOPK_FIRE_NONE when !(val[c, j] > 0)). Lists of rows still kept are untouched; the list
 * of a row that left the top-k becomes free. 1 <= F <= OPS_TOPK_MAX_F. */
#define OPS_TOPK_MAX_F 256
void ops_topk_fire(ops_ctx *ctx, ops_buf *fire, size_t fire_off, const ops_buf *topk, size_t topk_off,
                   const ops_buf *x, int B, int T, int C, int k, int F, uint32_t row0, int p0, float ratio);

/* Host-side reference of one neuron's step (also used by the CPU backend): val/row [k] the
 * neuron's top-k after the merge; tag/cnt [k], pos/fval [k, F] its fire lists; x(b, t) =
 * xs[(b * T + t) * xstride]. */
void ops_topk_fire_one(const float *val, const uint32_t *row, int k, uint32_t *tag, uint32_t *cnt, uint32_t *pos,
                       float *fval, int F, const float *xs, size_t xstride, int B, int T, uint32_t row0, int p0,
                       float ratio);

/* Fills a fire store for C neurons with free lists (host memory: ops_topk_fire_words words). */
void ops_topk_fire_init_host(uint32_t *words, int C, int k, int F);

#endif
