/* strlist.c — a small list of byte strings (see strlist.h). */
#include "n2g/method/strlist.h"

#include <stdlib.h>
#include <string.h>

int n2g_strlist_has(const n2g_strlist *l, const char *s, size_t n) {
    for (int i = 0; i < l->cnt; i++)
        if (l->n[i] == n && !memcmp(l->s[i], s, n)) return 1;
    return 0;
}

int n2g_strlist_push(n2g_strlist *l, const char *s, size_t n) {
    if (l->cnt == l->cap) {
        int nc = l->cap ? 2 * l->cap : 8;
        char **ns = realloc(l->s, sizeof *ns * (size_t)nc);
        if (!ns) return -1;
        l->s = ns;
        size_t *nn = realloc(l->n, sizeof *nn * (size_t)nc);
        if (!nn) return -1;
        l->n = nn, l->cap = nc;
    }
    char *d = malloc(n + 1);
    if (!d) return -1;
    memcpy(d, s, n);
    d[n] = 0;
    l->s[l->cnt] = d;
    l->n[l->cnt++] = n;
    return 0;
}

void n2g_strlist_free(n2g_strlist *l) {
    for (int i = 0; i < l->cnt; i++) free(l->s[i]);
    free(l->s);
    free(l->n);
    memset(l, 0, sizeof *l);
}
