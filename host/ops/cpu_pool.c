/* cpu_pool.c — a fixed pthread pool: workers sleep on a condition variable between loops and
 * take chunks of a loop from a shared atomic counter (dynamic scheduling). */
#include "cpu_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

struct cpu_pool {
    int n;
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t cv_start, cv_done;
    unsigned long gen;
    int stop, active;
    /* the current loop */
    cpu_task_fn fn;
    void *arg;
    size_t items, chunk;
    atomic_size_t next;
};

typedef struct {
    cpu_pool *p;
    int id;
} worker_arg;

static void run_chunks(cpu_pool *p, int id) {
    for (;;) {
        size_t b = atomic_fetch_add_explicit(&p->next, p->chunk, memory_order_relaxed);
        if (b >= p->items) return;
        size_t e = p->items - b < p->chunk ? p->items : b + p->chunk;
        p->fn(p->arg, b, e, id);
    }
}

static void *worker(void *a) {
    worker_arg *wa = a;
    cpu_pool *p = wa->p;
    int id = wa->id;
    free(wa);
    unsigned long seen = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->gen == seen && !p->stop) pthread_cond_wait(&p->cv_start, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        run_chunks(p, id);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0) pthread_cond_signal(&p->cv_done);
        pthread_mutex_unlock(&p->mu);
    }
}

int cpu_pool_online_cores(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int c = CPU_COUNT(&set);
        if (c > 0) return c;
    }
    return 1;
}

cpu_pool *cpu_pool_create(int threads) {
    if (threads < 1) threads = 1;
    cpu_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = threads;
    atomic_init(&p->next, 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_start, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    p->th = calloc((size_t)threads, sizeof *p->th);
    if (!p->th) {
        cpu_pool_destroy(p);
        return NULL;
    }
    for (int i = 1; i < threads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa) {
            p->n = i;
            cpu_pool_destroy(p);
            return NULL;
        }
        wa->p = p;
        wa->id = i;
        if (pthread_create(&p->th[i], NULL, worker, wa)) {
            free(wa);
            p->n = i;
            cpu_pool_destroy(p);
            return NULL;
        }
    }
    return p;
}

void cpu_pool_destroy(cpu_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv_start);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++) pthread_join(p->th[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv_start);
    pthread_cond_destroy(&p->cv_done);
    free(p->th);
    free(p);
}

int cpu_pool_threads(const cpu_pool *p) { return p->n; }

void cpu_pool_run(cpu_pool *p, size_t n, size_t grain, cpu_task_fn fn, void *arg) {
    if (n == 0) return;
    if (grain < 1) grain = 1;
    if (p->n == 1 || n <= grain) {
        fn(arg, 0, n, 0);
        return;
    }
    /* about 16 chunks per thread: the last chunk leaves the others idle for at most ~1/16 of
     * a thread's share, and the counter is still touched rarely */
    size_t chunk = (n + 16 * (size_t)p->n - 1) / (16 * (size_t)p->n);
    if (chunk < grain) chunk = grain;
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->items = n;
    p->chunk = chunk;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->active = p->n - 1;
    p->gen++;
    pthread_cond_broadcast(&p->cv_start);
    pthread_mutex_unlock(&p->mu);
    run_chunks(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->active > 0) pthread_cond_wait(&p->cv_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
