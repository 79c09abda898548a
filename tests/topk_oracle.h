/* topk_oracle.h — the brute-force side of the top-k tests: an example and the total order
 * (value desc, row asc) to qsort every row by. Shared by test_topk.c and test_scrape.c. */
#ifndef N2G_TOPK_ORACLE_H
#define N2G_TOPK_ORACLE_H

#include <stdint.h>

typedef struct {
    float v;
    uint32_t row, pos;
} oracle_ex;

static inline int oracle_ex_cmp(const void *a, const void *b) {
    const oracle_ex *x = a, *y = b;
    if (x->v != y->v) return x->v > y->v ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

#endif
