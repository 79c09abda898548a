/* cpu_pool.h — a fixed pthread pool running parallel-for loops (private to host/ops). */
#ifndef N2G_CPU_POOL_H
#define N2G_CPU_POOL_H

#include <stddef.h>

#include "cpu_backend.h"

typedef struct cpu_pool cpu_pool;

/* Starts threads-1 workers (the caller is thread 0). NULL when out of resources. */
cpu_pool *cpu_pool_create(int threads);
void cpu_pool_destroy(cpu_pool *p);
int cpu_pool_threads(const cpu_pool *p);
/* Runs fn over [0, n) in chunks of >= grain items; returns when all are done. */
void cpu_pool_run(cpu_pool *p, size_t n, size_t grain, cpu_task_fn fn, void *arg);
/* Cores this process may run on (sched_getaffinity), >= 1. */
int cpu_pool_online_cores(void);

#endif
