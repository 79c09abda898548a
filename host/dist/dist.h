/* dist.h — the thin distribution layer of n2g: every MPI call lives in host/dist/.
 *
 * Built with MPI (CMake N2G_MPI=AUTO/ON and MPI found: N2G_HAVE_MPI), a process started by an
 * MPI launcher (mpirun / mpiexec / srun with PMI) joins MPI_COMM_WORLD in dist_init; a process
 * started directly, or a build without MPI, is rank 0 of 1 and never touches MPI. Everything
 * else in n2g calls these functions and tests dist_size() > 1 for the multi-rank path.
 *
 * Errors: a failing MPI call aborts the job (MPI's default error handler); a rank whose own work
 * fails reports its error and the command calls dist_abort(), so no rank waits forever on one
 * that left (mpirun then ends every rank; a rerun resumes).
 */
#ifndef N2G_DIST_H
#define N2G_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Joins MPI when built with it and launched by an MPI launcher; idempotent. -1 on failure. */
int dist_init(n2g_err *err);
/* Leaves MPI (after a barrier); no-op when not joined. */
void dist_finalize(void);
/* Ends every rank of the job with exit status code (no-op return when not joined). */
void dist_abort(int code);

int dist_rank(void);       /* 0 .. size-1 */
int dist_size(void);       /* 1 without MPI */
/* Rank among the ranks of this machine (MPI_Comm_split_type SHARED) and their count: what
 * ops_open needs to spread a machine's devices and cores over its ranks (ops_options.local_rank
 * / local_size). */
int dist_local_rank(void);
int dist_local_size(void);
int dist_have_mpi(void);   /* 1 when built with MPI */

void dist_barrier(void);
/* In place, over all ranks. */
void dist_allreduce_max_u64(uint64_t *v, int n);
void dist_allreduce_sum_u64(uint64_t *v, int n);
/* Rank root's bytes to every rank. */
void dist_bcast(void *buf, size_t bytes, int root);
/* Point to point (bytes may be large: sent in pieces). */
void dist_send(const void *buf, size_t bytes, int dest, int tag);
void dist_recv(void *buf, size_t bytes, int src, int tag);

/* Gathers each rank's bytes at root. At root *out (malloc'd, NULL when all are empty) holds
 * every rank's bytes in rank order and counts[r] (caller's array of dist_size()) their sizes;
 * other ranks get *out = NULL. */
int dist_gatherv(const void *buf, size_t bytes, int root, void **out, size_t *counts, n2g_err *err);

/* Per-neuron top-k lists merged over all ranks by the scrape's total order (value desc, row
 * asc; identical (value, row) entries kept once): recs [n][3k] words, each record k values
 * (f32), k rows (u32), k positions (u32), sorted, empty slots (-inf, 0xFFFFFFFF, 0) at the end.
 * Every rank gets the merged records (MPI_Allreduce with a user-defined operation). */
void dist_allreduce_topk(uint32_t *recs, size_t n, int k);
/* Firing lists of the merged top-k, completed over all ranks: recs [n] records of k * (1 + 2F)
 * words (cnt [k], pos [k, F], val [k, F], scrape_fire_to_slots); a slot whose cnt is `absent`
 * on one rank takes the slot of a rank that has it (a list depends only on its row, so any two
 * present copies are equal). Every rank gets the result. */
void dist_allreduce_fire(uint32_t *recs, size_t n, int k, int F, uint32_t absent);
/* That reduction on two records (no MPI): b's absent slots take a's. */
void dist_fire_merge_rec(const uint32_t *a, uint32_t *b, int k, int F, uint32_t absent);
/* The merge itself (no MPI): out = best k of a and b, records as above ([3k] words each). */
void dist_topk_merge_rec(const uint32_t *a, const uint32_t *b, uint32_t *out, int k);
/* ops_topk layout (val [C,k] | row [C,k] | pos [C,k]) <-> records [C][3k]. */
void dist_topk_pack(const uint32_t *store, uint32_t *recs, int C, int k);
void dist_topk_unpack(const uint32_t *recs, uint32_t *store, int C, int k);

/* A shared counter for handing out work: each dist_counter_next returns the next value
 * 0, 1, 2, ... over all ranks together (MPI_Fetch_and_op on a window of rank 0). Create and
 * free are collective. Without MPI: a plain counter. */
typedef struct dist_counter dist_counter;
int dist_counter_create(dist_counter **out, n2g_err *err);
long dist_counter_next(dist_counter *c);
void dist_counter_free(dist_counter *c);

#endif
