/* scrape_engine.h — the device side of a scrape: a GPT-2 runner whose hook reduces each chosen
 * layer's hook_post to per-row (max, argmax, sum) and merges it into per-neuron running top-k
 * stores that stay on the device (ops_topk.h). The host reads them back only on request.
 * Used by the scrape loop (scrape_loop.h) and by bench_scrape. */
#ifndef N2G_SCRAPE_ENGINE_H
#define N2G_SCRAPE_ENGINE_H

#include <stdint.h>

#include "model/gpt2.h"
#include "ops/ops.h"

typedef struct scrape_engine scrape_engine;

/* layers [n_layers] ascending, each < n_layer; k top-k size; T tokens per row (<= n_ctx);
 * max_B rows per batch; p0 first position that counts (1 = skip BOS, 0 = --include-bos). */
int scrape_engine_create(const gpt2_model *m, ops_ctx *ops, const int *layers, int n_layers, int k, int T, int max_B,
                         int p0, scrape_engine **out, n2g_err *err);
void scrape_engine_free(scrape_engine *e);

/* Uploads a state (topk [n_layers][3*d_mlp*k] words, stats [n_layers][d_mlp][2]); NULL = empty. */
int scrape_engine_set_state(scrape_engine *e, const uint32_t *topk, const float *stats, n2g_err *err);
/* Downloads the state into the same layout. */
int scrape_engine_get_state(scrape_engine *e, uint32_t *topk, float *stats, n2g_err *err);

/* Runs B (<= max_B) rows of T tokens tok [B, T] whose first row has index row0 and merges them.
 * With topk = 0 it runs the forward only (to the deepest chosen layer), for benchmarks. */
int scrape_engine_step(scrape_engine *e, const int32_t *tok, int B, uint32_t row0, int topk, n2g_err *err);

/* Downloads the last step's per-row sums (what ops_topk_merge Kahan-added to the device stats):
 * sums [n_layers][B][C], B the rows of that step. The multi-rank scrape folds them into the
 * statistics itself, in global row order (scrape_ranks.h). */
int scrape_engine_get_rowsums(scrape_engine *e, int B, float *sums, n2g_err *err);

/* Firing lists (ops_topk_fire after every merge): F entries per list, positions >= ratio * the
 * row's max. The first call allocates them; fire NULL = empty lists, else a state in the
 * device layout [n_layers][ops_topk_fire_words] words. */
int scrape_engine_set_fire(scrape_engine *e, int F, float ratio, const uint32_t *fire, n2g_err *err);
/* Downloads them (nothing when the engine keeps none). */
int scrape_engine_get_fire(scrape_engine *e, uint32_t *fire, n2g_err *err);
size_t scrape_engine_fire_words(const scrape_engine *e); /* 0 when none */

size_t scrape_engine_topk_words(const scrape_engine *e);  /* n_layers * 3 * d_mlp * k */
size_t scrape_engine_stats_words(const scrape_engine *e); /* n_layers * d_mlp * 2 */

#endif
