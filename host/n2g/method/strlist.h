/* strlist.h — a small list of byte strings (the augmentations' word sets and texts). */
#ifndef N2G_STRLIST_H
#define N2G_STRLIST_H

#include <stddef.h>

typedef struct n2g_strlist {
    char **s;  /* [cnt] NUL-terminated copies */
    size_t *n; /* [cnt] their lengths */
    int cnt, cap;
} n2g_strlist;

/* 1 when s[0..n) is in the list */
int n2g_strlist_has(const n2g_strlist *l, const char *s, size_t n);
/* Appends a copy of s[0..n) (duplicates too); -1 when out of memory. */
int n2g_strlist_push(n2g_strlist *l, const char *s, size_t n);
/* Frees the copies and the arrays; the list is empty again. */
void n2g_strlist_free(n2g_strlist *l);

#endif
