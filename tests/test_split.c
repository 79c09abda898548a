/* test_split.c — the train/test split reproduces numpy's RandomState permutation (the one
 * sklearn's train_test_split uses); oracle: tests/fixtures/split_permutations.txt written by
 * tests/fixtures/make_split_fixture.py with numpy. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "n2g/method/split.h"

int main(void) {
    FILE *f = fopen(check_src_path("tests/fixtures/split_permutations.txt"), "r");
    CHECK(f != NULL, "fixture missing");
    if (!f) return check_finish();
    int seed, n, lines = 0;
    while (fscanf(f, "%d %d", &seed, &n) == 2) {
        int *want = malloc(sizeof(int) * (size_t)n), *got = malloc(sizeof(int) * (size_t)n);
        for (int i = 0; i < n; i++)
            if (fscanf(f, "%d", &want[i]) != 1) want[i] = -1;
        n2g_split_permutation((uint32_t)seed, n, got);
        int same = 1;
        for (int i = 0; i < n; i++) same &= got[i] == want[i];
        CHECK(same, "seed %d n %d: permutation differs from numpy", seed, n);
        lines++;
        free(want);
        free(got);
    }
    fclose(f);
    CHECK(lines >= 20, "only %d fixture lines", lines);
    /* the reference split: 20 examples, seed 0 -> test = perm[:10], train = perm[10:] */
    int perm[20], tr[20], te[20], ntr, nte;
    n2g_split_permutation(0, 20, perm);
    n2g_split_train_test(0, 20, tr, &ntr, te, &nte);
    CHECK(ntr == 10 && nte == 10, "sizes %d/%d", ntr, nte);
    for (int i = 0; i < 10; i++) CHECK(te[i] == perm[i] && tr[i] == perm[10 + i], "split order at %d", i);
    n2g_split_train_test(0, 5, tr, &ntr, te, &nte);
    CHECK(ntr == 2 && nte == 3, "odd n: %d/%d", ntr, nte);
    return check_finish();
}
