/* casings.h — the word-casing table (word_to_casings.json, n2g-reference §6).
 *
 * Format: one JSON object; key = a lowercase word, value = its surface forms with counts,
 * most frequent first:   {"the": [["the", 5123], ["The", 801], ["THE", 3]], ...}
 * Words are the word tokens of the reference's word splitter (wordsplit.h) without leading or
 * trailing apostrophes ("'Tis" counts as "Tis"; the key is what augmentation looks up). `n2g casings`
 * builds it by counting every word token of a corpus; ties are ordered by the casing's bytes.
 */
#ifndef N2G_CASINGS_H
#define N2G_CASINGS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct n2g_casing {
    char *text;
    size_t len;
    double count;
} n2g_casing;

typedef struct n2g_casings n2g_casings;

n2g_casings *n2g_casings_new(void);
void n2g_casings_free(n2g_casings *t);
/* Reads a word_to_casings.json (the object above; each casing a [string, number] pair). */
int n2g_casings_load(const char *path, n2g_casings **out, n2g_err *err);
/* Counts the word tokens of text[0..n) into the table. */
int n2g_casings_count_text(n2g_casings *t, const char *text, size_t n, n2g_err *err);
/* Orders every word's casings: count desc, then bytes. */
void n2g_casings_sort(n2g_casings *t);
/* Sorts every entry (count desc, then bytes) and writes the JSON atomically (tmp, fsync,
 * rename). */
int n2g_casings_save(n2g_casings *t, const char *path, n2g_err *err);
/* Casings of a lowercase word (most frequent first after load or save), or NULL. */
/* Counts a corpus path: a text file (one document), a *.jsonl file (the "text" field of each
 * line; bad lines are skipped with a warning on stderr unless quiet) or a directory (its *.txt
 * and *.jsonl files, recursively, in sorted order). top: the path was named by the user (any
 * file name is read). */
int n2g_casings_count_path(n2g_casings *t, const char *path, int top, int quiet, n2g_err *err);
const n2g_casing *n2g_casings_get(const n2g_casings *t, const char *lower, size_t len, int *n);
size_t n2g_casings_words(const n2g_casings *t);

#endif
