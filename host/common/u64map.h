/* u64map.h — a u64 -> int map for building a picture of a graph: open addressing, linear
 * probing, a fixed capacity chosen up front (a power of two >= 2 * entries + 2), never grown.
 * UINT64_MAX is the empty key and cannot be stored.
 *
 *   u64map m; if (n2g_u64map_init(&m, n)) ...oom...;
 *   int added, id = n2g_u64map_get_or_put(&m, key, next, &added);
 *   n2g_u64map_free(&m);
 */
#ifndef N2G_U64MAP_H
#define N2G_U64MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct n2g_u64map {
    uint64_t *key;
    int *val;
    size_t mask;
} n2g_u64map;

/* Room for `entries` keys. -1 when out of memory (free is still safe). */
int n2g_u64map_init(n2g_u64map *m, size_t entries);
/* The value of k; when k is absent it is inserted with v (*added = 1, else 0). At most
 * `entries` distinct keys may be put. */
int n2g_u64map_get_or_put(n2g_u64map *m, uint64_t k, int v, int *added);
void n2g_u64map_free(n2g_u64map *m);

#endif
