/* test_rows.h — the test rows' activations, what the graph is scored on (n2g-reference §9):
 * every position of every test row of a block's jobs. A row whose example kept its firing list
 * in the scrape (scrape --fire-lists) is read from it; the others run through the probe engine.
 */
#ifndef N2G_TEST_ROWS_H
#define N2G_TEST_ROWS_H

#include "common/err.h"

typedef struct n2g_method n2g_method;
typedef struct n2g_job n2g_job;

/* Fills jobs[i].acts[e] [ctx_len] of every test example e of the jobs not skipped (one flush);
 * counts the rows in m->test_rows_listed / m->test_rows_run and the job's n_listed. */
int n2g_test_rows_run(n2g_method *m, n2g_job *jobs, int nj, n2g_err *err);

#endif
