/* test_rows.c — the test rows' activations, from firing lists or run (see test_rows.h). */
#include "n2g/method/test_rows.h"

#include <stdlib.h>
#include <string.h>

#include "n2g/method/method.h"

/* A test row from the scrape's firing list of its example (scrape --fire-lists), when it has a
 * usable one: the list holds every position whose activation is >= ratio * the row's max, so
 * with ratio <= the fire threshold and the row's max <= base_max it holds every position that
 * fires; the others are set to 0 (not firing: the scores are exact, the correlation is not
 * computed). 1 when acts was filled. */
static int test_row_from_list(const n2g_method *m, n2g_job *j, int e) {
    const uint32_t *pos;
    const float *val;
    float ratio;
    if (m->rerun_test_rows || !(j->ex[e].value > 0) || !(j->base_max >= j->ex[e].value)) return 0;
    int n = scrape_run_fire(m->run, j->layer, j->neuron, e, &pos, &val, &ratio);
    if (n < 0 || !(ratio <= N2G_FIRE_THRESHOLD)) return 0;
    memset(j->acts[e], 0, sizeof(float) * (size_t)m->ctx_len);
    for (int q = 0; q < n; q++) j->acts[e][pos[q]] = val[q];
    return 1;
}

int n2g_test_rows_run(n2g_method *m, n2g_job *jobs, int nj, n2g_err *err) {
    for (int i = 0; i < nj; i++) {
        n2g_job *j = &jobs[i];
        if (j->skip_reason[0]) continue;
        for (int t = 0; t < j->n_test; t++) {
            int e = j->test[t];
            if (!(j->acts[e] = malloc(sizeof(float) * (size_t)m->ctx_len))) return n2g_fail(err, "out of memory");
            if (test_row_from_list(m, j, e)) {
                j->n_listed++;
                m->test_rows_listed++;
                continue;
            }
            m->test_rows_run++;
            int s = n2g_probe_seq(m->eng, j->rows[e], m->ctx_len, err);
            if (s < 0 || n2g_probe_want(m->eng, s, j->layer, j->neuron, 0, m->ctx_len, j->acts[e], err) != 0)
                return n2g_wrap(err, "neuron %d:%d example %d", j->layer, j->neuron, e);
        }
    }
    return n2g_probe_flush(m->eng, err);
}
