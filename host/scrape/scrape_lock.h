/* scrape_lock.h — one writer per run directory.
 *
 * `n2g scrape` and `n2g build` take RUN/.lock before they write anything in RUN: an exclusive
 * flock(2) on that file, which holds the writer's pid as text. A second writer fails at once
 * with "another n2g (pid N) is writing RUN"; the kernel drops the lock of a process that dies
 * (kill -9 included), so a lock file left by a killed process is stale and simply taken over.
 * The file is removed when the lock is released. Under MPI the ranks of one job are one writer:
 * only rank 0 takes the lock (the callers' business). */
#ifndef N2G_SCRAPE_LOCK_H
#define N2G_SCRAPE_LOCK_H

#include "common/err.h"

typedef struct scrape_lock scrape_lock;

#define SCRAPE_LOCK_NAME ".lock"

/* Takes RUN/.lock (RUN must exist). Fails (N2G_E_FAIL) when another live process holds it. */
int scrape_lock_take(const char *run_dir, scrape_lock **out, n2g_err *err);
/* Removes the lock file and releases the lock; NULL is a no-op. */
void scrape_lock_release(scrape_lock *l);

#endif
