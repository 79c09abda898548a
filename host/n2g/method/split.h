/* split.h — the train/test split of a neuron's top examples (n2g-reference §2.2).
 *
 * Reproduces sklearn's train_test_split(items, train_size=0.5, random_state=seed) exactly:
 * perm = numpy.random.RandomState(seed).permutation(n)  (MT19937, legacy bounded ints),
 * n_train = floor(0.5 n), n_test = n - n_train, test = perm[0 .. n_test-1],
 * train = perm[n_test .. n-1]  (in permutation order; order matters for the trie's
 * first-insertion-wins rule). For n = 20, seed 0: 10 train / 10 test as the reference.
 */
#ifndef N2G_SPLIT_H
#define N2G_SPLIT_H

#include <stdint.h>

/* perm[n] = numpy.random.RandomState(seed).permutation(n). */
void n2g_split_permutation(uint32_t seed, int n, int *perm);

/* Splits indices 0..n-1: train[*n_train], test[*n_test] (arrays of n ints each). */
void n2g_split_train_test(uint32_t seed, int n, int *train, int *n_train, int *test, int *n_test);

#endif
