/* dist_mpi.c — dist.h over MPI (N2G_HAVE_MPI), or rank 0 of 1 without it. The only file of n2g
 * that includes mpi.h. */
#include <stdlib.h>
#include <string.h>

#include "dist.h"

struct dist_counter {
    long local; /* without MPI, or a single rank */
#ifdef N2G_HAVE_MPI
    void *win;  /* MPI_Win * (mpi.h stays out of this header part) */
    long *base;
#endif
};

int dist_have_mpi(void) {
#ifdef N2G_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

#ifndef N2G_HAVE_MPI

/* Started as one of several ranks by an MPI launcher: without MPI each would scan everything
 * into the same run directory, so refuse. */
int dist_init(n2g_err *err) {
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && atol(v) > 1)
            return n2g_failc(err, N2G_E_USAGE,
                             "started as one of %ld MPI ranks (%s), but this n2g was built without MPI; rebuild "
                             "with MPI (cmake -DN2G_MPI=ON, packages libopenmpi-dev openmpi-bin) or run one process",
                             atol(v), vars[i]);
    }
    return 0;
}
void dist_finalize(void) {}
void dist_abort(int code) { (void)code; }
int dist_rank(void) { return 0; }
int dist_size(void) { return 1; }
int dist_local_rank(void) { return 0; }
int dist_local_size(void) { return 1; }
void dist_barrier(void) {}
void dist_allreduce_max_u64(uint64_t *v, int n) { (void)v, (void)n; }
void dist_allreduce_sum_u64(uint64_t *v, int n) { (void)v, (void)n; }
void dist_bcast(void *buf, size_t bytes, int root) { (void)buf, (void)bytes, (void)root; }
void dist_send(const void *buf, size_t bytes, int dest, int tag) { (void)buf, (void)bytes, (void)dest, (void)tag; }
void dist_recv(void *buf, size_t bytes, int src, int tag) { (void)buf, (void)bytes, (void)src, (void)tag; }
int dist_gatherv(const void *buf, size_t bytes, int root, void **out, size_t *counts, n2g_err *err) {
    (void)root;
    *out = NULL;
    counts[0] = bytes;
    if (!bytes) return 0;
    if (!(*out = malloc(bytes))) return n2g_fail(err, "out of memory");
    memcpy(*out, buf, bytes);
    return 0;
}
void dist_allreduce_topk(uint32_t *recs, size_t n, int k) { (void)recs, (void)n, (void)k; }
void dist_allreduce_fire(uint32_t *recs, size_t n, int k, int F, uint32_t absent) {
    (void)recs, (void)n, (void)k, (void)F, (void)absent;
}
int dist_counter_create(dist_counter **out, n2g_err *err) {
    if (!(*out = calloc(1, sizeof **out))) return n2g_fail(err, "out of memory");
    return 0;
}
long dist_counter_next(dist_counter *c) { return c->local++; }
void dist_counter_free(dist_counter *c) { free(c); }

#else /* N2G_HAVE_MPI */

#include <mpi.h>

static int g_joined, g_rank, g_size = 1, g_lrank, g_lsize = 1;

/* Started by an MPI launcher? (Open MPI, MPICH / Hydra, PMIx, Slurm's srun with PMI.) A process
 * started by hand stays out of MPI: no singleton start-up, no MPI messages. */
static int launched_by_mpi(void) {
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

int dist_init(n2g_err *err) {
    if (g_joined || !launched_by_mpi()) return 0;
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS) return n2g_fail(err, "MPI_Init failed");
    g_joined = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &g_lrank);
    MPI_Comm_size(local, &g_lsize);
    MPI_Comm_free(&local);
    return 0;
}

void dist_finalize(void) {
    if (!g_joined) return;
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
    g_joined = 0;
}

void dist_abort(int code) {
    if (g_joined && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

int dist_rank(void) { return g_rank; }
int dist_size(void) { return g_size; }
int dist_local_rank(void) { return g_lrank; }
int dist_local_size(void) { return g_lsize; }

void dist_barrier(void) {
    if (g_size > 1) MPI_Barrier(MPI_COMM_WORLD);
}

void dist_allreduce_max_u64(uint64_t *v, int n) {
    if (g_size > 1) MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
}

void dist_allreduce_sum_u64(uint64_t *v, int n) {
    if (g_size > 1) MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
}

#define PIECE ((size_t)1 << 30) /* MPI counts are int: move big buffers in pieces */

void dist_bcast(void *buf, size_t bytes, int root) {
    if (g_size < 2) return;
    for (size_t at = 0; at < bytes; at += PIECE) {
        size_t n = bytes - at < PIECE ? bytes - at : PIECE;
        MPI_Bcast((char *)buf + at, (int)n, MPI_BYTE, root, MPI_COMM_WORLD);
    }
}

void dist_send(const void *buf, size_t bytes, int dest, int tag) {
    size_t at = 0;
    do {
        size_t n = bytes - at < PIECE ? bytes - at : PIECE;
        MPI_Send((const char *)buf + at, (int)n, MPI_BYTE, dest, tag, MPI_COMM_WORLD);
        at += n;
    } while (at < bytes);
}

void dist_recv(void *buf, size_t bytes, int src, int tag) {
    size_t at = 0;
    do {
        size_t n = bytes - at < PIECE ? bytes - at : PIECE;
        MPI_Recv((char *)buf + at, (int)n, MPI_BYTE, src, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        at += n;
    } while (at < bytes);
}

int dist_gatherv(const void *buf, size_t bytes, int root, void **out, size_t *counts, n2g_err *err) {
    *out = NULL;
    if (g_size < 2) {
        counts[0] = bytes;
        if (!bytes) return 0;
        if (!(*out = malloc(bytes))) return n2g_fail(err, "out of memory");
        memcpy(*out, buf, bytes);
        return 0;
    }
    uint64_t mine = bytes;
    uint64_t *all = g_rank == root ? malloc(sizeof *all * (size_t)g_size) : NULL;
    if (g_rank == root && !all) return n2g_fail(err, "out of memory");
    MPI_Gather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, root, MPI_COMM_WORLD);
    if (g_rank != root) {
        if (bytes) dist_send(buf, bytes, root, 71);
        return 0;
    }
    size_t total = 0;
    for (int r = 0; r < g_size; r++) total += counts[r] = all[r];
    free(all);
    char *dst = total ? malloc(total) : NULL;
    if (total && !dst) return n2g_fail(err, "out of memory"); /* the job aborts; senders are freed */
    size_t at = 0;
    for (int r = 0; r < g_size; r++) {
        if (r == root && bytes) memcpy(dst + at, buf, bytes);
        else if (r != root && counts[r]) dist_recv(dst + at, counts[r], r, 71);
        at += counts[r];
    }
    *out = dst;
    return 0;
}

/* The user-defined reduction: one element = one neuron's record of 3k words. */
static void topk_op(void *in, void *inout, int *len, MPI_Datatype *dt) {
    int bytes = 0;
    MPI_Type_size(*dt, &bytes);
    int k = bytes / 12;
    uint32_t tmp[3 * 256];
    for (int i = 0; i < *len; i++) {
        uint32_t *a = (uint32_t *)in + (size_t)i * 3 * k, *b = (uint32_t *)inout + (size_t)i * 3 * k;
        dist_topk_merge_rec(a, b, tmp, k);
        memcpy(b, tmp, (size_t)k * 12);
    }
}

/* the fire reduction's shape (MPI user operations get no context; one reduction at a time) */
static int g_fire_k, g_fire_f;
static uint32_t g_fire_absent;
static void fire_op(void *in, void *inout, int *len, MPI_Datatype *dt) {
    (void)dt;
    size_t rw = (size_t)g_fire_k * (1 + 2 * (size_t)g_fire_f);
    for (int i = 0; i < *len; i++)
        dist_fire_merge_rec((uint32_t *)in + (size_t)i * rw, (uint32_t *)inout + (size_t)i * rw, g_fire_k, g_fire_f,
                            g_fire_absent);
}

void dist_allreduce_fire(uint32_t *recs, size_t n, int k, int F, uint32_t absent) {
    if (g_size < 2) return;
    g_fire_k = k, g_fire_f = F, g_fire_absent = absent;
    size_t rw = (size_t)k * (1 + 2 * (size_t)F);
    MPI_Datatype rec;
    MPI_Type_contiguous((int)rw, MPI_UINT32_T, &rec);
    MPI_Type_commit(&rec);
    MPI_Op op;
    MPI_Op_create(fire_op, 1, &op); /* commutative: present copies of a slot are equal */
    size_t per = ((size_t)1 << 28) / (rw * 4) + 1; /* records per call (int counts, bounded messages) */
    for (size_t at = 0; at < n; at += per) {
        size_t m = n - at < per ? n - at : per;
        MPI_Allreduce(MPI_IN_PLACE, recs + at * rw, (int)m, rec, op, MPI_COMM_WORLD);
    }
    MPI_Op_free(&op);
    MPI_Type_free(&rec);
}

void dist_allreduce_topk(uint32_t *recs, size_t n, int k) {
    if (g_size < 2) return;
    MPI_Datatype rec;
    MPI_Type_contiguous(3 * k, MPI_UINT32_T, &rec);
    MPI_Type_commit(&rec);
    MPI_Op op;
    MPI_Op_create(topk_op, 1, &op); /* commutative: the merge is a set union under a total order */
    size_t per = (size_t)1 << 20;   /* records per call (int counts) */
    for (size_t at = 0; at < n; at += per) {
        size_t m = n - at < per ? n - at : per;
        MPI_Allreduce(MPI_IN_PLACE, recs + at * 3 * (size_t)k, (int)m, rec, op, MPI_COMM_WORLD);
    }
    MPI_Op_free(&op);
    MPI_Type_free(&rec);
}

int dist_counter_create(dist_counter **out, n2g_err *err) {
    dist_counter *c = calloc(1, sizeof *c);
    if (!c) return n2g_fail(err, "out of memory");
    if (g_size > 1) {
        MPI_Win *w = malloc(sizeof *w);
        if (!w) {
            free(c);
            return n2g_fail(err, "out of memory");
        }
        MPI_Aint sz = g_rank == 0 ? (MPI_Aint)sizeof(long) : 0;
        MPI_Win_allocate(sz, sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD, &c->base, w);
        if (g_rank == 0) {
            MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, *w);
            *c->base = 0;
            MPI_Win_unlock(0, *w);
        }
        MPI_Barrier(MPI_COMM_WORLD);
        c->win = w;
    }
    *out = c;
    return 0;
}

long dist_counter_next(dist_counter *c) {
    if (!c->win) return c->local++;
    MPI_Win w = *(MPI_Win *)c->win;
    long one = 1, got = 0;
    MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, w);
    MPI_Fetch_and_op(&one, &got, MPI_LONG, 0, 0, MPI_SUM, w);
    MPI_Win_unlock(0, w);
    return got;
}

void dist_counter_free(dist_counter *c) {
    if (!c) return;
    if (c->win) {
        MPI_Win_free((MPI_Win *)c->win);
        free(c->win);
    }
    free(c);
}

#endif
