/* build_finish.c — a round's neurons are finished (graph fitted and scored, its files written,
 * Graphviz run) on a few worker threads while the main thread runs the next round's probes on
 * the device; results are committed in submission order (see builder.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/progress.h"
#include "dist/dist.h"
#include "n2g/build/builder.h"

enum { MAX_WORKERS = 8 };

typedef struct fin_task {
    n2g_job *job;
    long seq;
    int slot;
} fin_task;

struct build_finisher {
    builder *b;
    int nth;
    pthread_t th[MAX_WORKERS];
    pthread_mutex_t mu;
    pthread_cond_t work, done; /* a task queued / a task done or a result's turn passed */
    fin_task *q;               /* FIFO ring of cap tasks */
    size_t cap, head, n;
    long next_seq, turn;       /* the next task's number; the next result to commit */
    int pending[2];            /* per slot: tasks not done */
    int failed, quit;
    int stop;                  /* the main thread saw *o->stop (workers never read the signal's flag) */
    n2g_err err;               /* the first failure */
    long built, no_graph, svg_missing;
    long stopped; /* jobs left to the rerun by a stop */
    double busy_s, wait_s;
};

/* one job: its files, then (its turn) its result */
static void finish_one(build_finisher *f, const fin_task *t) {
    builder *b = f->b;
    double t0 = progress_now();
    n2g_err e = {0};
    n2g_eval ev;
    int rc = 0, svg = 0;
    pthread_mutex_lock(&f->mu);
    int skip = f->failed || f->stop; /* a stop leaves the jobs not started to the rerun */
    pthread_mutex_unlock(&f->mu);
    if (!skip) rc = n2g_build_outputs_files(b, t->job, &ev, &svg, &e);
    pthread_mutex_lock(&f->mu);
    while (f->turn != t->seq) pthread_cond_wait(&f->done, &f->mu);
    skip |= f->failed; /* nothing is committed after a failure */
    pthread_mutex_unlock(&f->mu);
    if (!skip && rc == 0) rc = n2g_build_outputs_result(b, t->job, &ev, &e);
    pthread_mutex_lock(&f->mu);
    if (skip || rc != 0) f->stopped += f->stop != 0;
    if (!skip && rc == 0) {
        f->built++;
        f->no_graph += t->job->skip_reason[0] != 0;
        f->svg_missing += svg;
    } else if (!skip && !f->stop && !f->failed) { /* a stop can fail what it interrupted (dot gets the Ctrl-C;
                                                     the caller clears an error when it sees the stop) */
        f->failed = 1;
        f->err = e;
    }
    f->turn++;
    f->pending[t->slot]--;
    f->busy_s += progress_now() - t0;
    pthread_cond_broadcast(&f->done);
    pthread_mutex_unlock(&f->mu);
}

/* the stop, as the main thread sees it, passed on to the workers (f->mu held) */
static void pass_stop(build_finisher *f) {
    if (!f->stop && STOPPED(f->b)) {
        f->stop = 1;
        pthread_cond_broadcast(&f->done);
    }
}

static void *worker(void *u) {
    build_finisher *f = u;
    for (;;) {
        pthread_mutex_lock(&f->mu);
        while (!f->quit && f->n == 0) pthread_cond_wait(&f->work, &f->mu);
        if (f->n == 0) {
            pthread_mutex_unlock(&f->mu);
            return NULL;
        }
        fin_task t = f->q[f->head];
        f->head = (f->head + 1) % f->cap;
        f->n--;
        pthread_mutex_unlock(&f->mu);
        finish_one(f, &t);
    }
}

/* this process's share of the cores, 2..MAX_WORKERS: a worker mostly waits for Graphviz (its
 * own process) or the disk, and the main thread for the device */
static int auto_workers(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int local = dist_local_size() > 1 ? dist_local_size() : 1;
    long w = (cores > 0 ? cores : 1) / local;
    return w < 2 ? 2 : w > MAX_WORKERS ? MAX_WORKERS : (int)w;
}

int n2g_finisher_start(builder *b, int workers, build_finisher **out, n2g_err *err) {
    *out = NULL;
    build_finisher *f = calloc(1, sizeof *f);
    if (!f) return n2g_fail(err, "out of memory");
    f->b = b;
    f->cap = 2 * (size_t)(b->res->block > 0 ? b->res->block : 1); /* two slots' jobs at most */
    if (!(f->q = calloc(f->cap, sizeof *f->q))) {
        free(f);
        return n2g_fail(err, "out of memory");
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->work, NULL);
    pthread_cond_init(&f->done, NULL);
    int want = workers < 0 ? auto_workers() : workers > MAX_WORKERS ? MAX_WORKERS : workers;
    for (int i = 0; i < want; i++) {
        if (pthread_create(&f->th[i], NULL, worker, f) != 0) break; /* fewer threads still work */
        f->nth++;
    }
    if (want > 0 && f->nth == 0) {
        n2g_finisher_end(f, NULL);
        return n2g_fail(err, "cannot start a finishing thread");
    }
    *out = f;
    return 0;
}

void n2g_finisher_submit(build_finisher *f, n2g_job *j, int slot) {
    fin_task t = {j, f->next_seq++, slot};
    pthread_mutex_lock(&f->mu);
    pass_stop(f);
    f->pending[slot]++;
    if (f->nth == 0) { /* on this thread, now */
        pthread_mutex_unlock(&f->mu);
        double t0 = progress_now();
        finish_one(f, &t);
        f->wait_s += progress_now() - t0;
        return;
    }
    f->q[(f->head + f->n) % f->cap] = t;
    f->n++;
    pthread_cond_signal(&f->work);
    pthread_mutex_unlock(&f->mu);
}

int n2g_finisher_wait(build_finisher *f, int slot, n2g_err *err) {
    double t0 = progress_now();
    pthread_mutex_lock(&f->mu);
    for (;;) { /* looking for a stop every 20 ms */
        pass_stop(f);
        if (!(slot < 0 ? f->pending[0] + f->pending[1] > 0 : f->pending[slot] > 0)) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&f->done, &f->mu, &ts);
    }
    int failed = f->failed;
    if (failed && err) *err = f->err;
    pthread_mutex_unlock(&f->mu);
    f->wait_s += progress_now() - t0;
    return failed ? -1 : 0;
}

int n2g_finisher_end(build_finisher *f, n2g_err *err) {
    if (!f) return 0;
    int rc = n2g_finisher_wait(f, -1, err);
    pthread_mutex_lock(&f->mu);
    f->quit = 1;
    pthread_cond_broadcast(&f->work);
    pthread_mutex_unlock(&f->mu);
    for (int i = 0; i < f->nth; i++) pthread_join(f->th[i], NULL);
    n2g_build_result *res = f->b->res;
    res->built += f->built, res->no_graph += f->no_graph, res->svg_missing += f->svg_missing;
    res->workers = f->nth, res->finish_s += f->busy_s, res->finish_wait_s += f->wait_s;
    if (f->stopped) res->interrupted = 1; /* stats.json and neuron_store.json are left to the rerun */
    pthread_cond_destroy(&f->work);
    pthread_cond_destroy(&f->done);
    pthread_mutex_destroy(&f->mu);
    free(f->q);
    free(f);
    return rc;
}
