/* wordpiece.h — the BERT uncased tokenizer (prefix wp_): Hugging Face's BertTokenizer /
 * BertTokenizerFast with do_lower_case=True over a vocab.txt.
 *
 * Basic tokenizer, in order: invalid UTF-8 bytes read as U+FFFD; U+0000, U+FFFD and control
 * characters (category C* except \t \n \r) dropped; whitespace (' ', \t, \n, \r, Zs) read as
 * ' '; CJK ideographs (the BERT ranges) surrounded by spaces; split on whitespace; each word
 * lower-cased (per code point, U+0130 -> "i\u0307"; no final-sigma rule, as Hugging Face
 * tokenizers, which both classes use in transformers 5),
 * decomposed (NFD, Hangul algorithmically) with nonspacing marks (Mn) dropped, and split
 * into runs of non-punctuation and single punctuation characters (P* and ASCII symbols).
 * WordPiece: greedy longest match first, continuation pieces prefixed "##"; a word longer
 * than 100 code points, or one that cannot be covered by pieces, becomes [UNK].
 * Unicode data: wordpiece_tables.c (tools/gen_wordpiece_tables.py, Python's unicodedata).
 */
#ifndef N2G_WORDPIECE_H
#define N2G_WORDPIECE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct wp_vocab wp_vocab;

/* Reads vocab.txt (one token per line, id = line number; \r\n accepted). Requires [UNK],
 * [CLS], [SEP], [MASK] and [PAD]; duplicate tokens fail with the line numbers. */
int wp_load(const char *path, wp_vocab **out, n2g_err *err);
void wp_free(wp_vocab *v);

int wp_size(const wp_vocab *v);
/* Id of token s[0..n), or -1. */
int wp_id(const wp_vocab *v, const char *s, size_t n);
/* Token text of id (NUL-terminated), or NULL when out of range. */
const char *wp_token(const wp_vocab *v, int id, size_t *len);

typedef struct wp_special_ids {
    int pad, unk, cls, sep, mask;
} wp_special_ids;
const wp_special_ids *wp_specials(const wp_vocab *v);

/* A growable id list. */
typedef struct wp_ids {
    int32_t *ids;
    size_t n, cap;
} wp_ids;
int wp_ids_push(wp_ids *o, int32_t id);

/* Appends the WordPiece ids of text[0..n) (no [CLS]/[SEP] added) to *out. The literal special
 * tokens [PAD] [UNK] [CLS] [SEP] [MASK] in the text map to their ids (split out before
 * normalisation, as Hugging Face's added tokens). -1 only when out of memory. */
int wp_encode(const wp_vocab *v, const char *text, size_t n, wp_ids *out, n2g_err *err);

/* The basic tokenizer alone: appends each word (UTF-8, NUL-separated) to a caller buffer via
 * the callback; for tests and tools. */
typedef int (*wp_word_fn)(void *user, const char *word, size_t n);
int wp_basic_tokenize(const char *text, size_t n, wp_word_fn fn, void *user, n2g_err *err);

#endif
