/* vocab.h — the token strings the graph core needs, independent of any tokenizer.
 *
 * A vocabulary is one byte string per token id. From it n2g_vocab builds:
 *   - text[id]:  the token as the reference sees it (the bytes decoded as UTF-8 with U+FFFD for
 *                invalid sequences, as Python's bytes.decode(errors="replace") does);
 *   - key[id]:   the normalised text (n2g-reference.md §7.1: a title-case token of more than one
 *                character is lower-cased, then a token of more than one character that has an
 *                alphabetic character is stripped of surrounding whitespace), or text[id] when
 *                normalisation is off;
 *   - cls[id]:   the trie key: the smallest id whose key string equals key[id]. Two ids share a
 *                class exactly when the reference would file them under the same dict key.
 *   - raw_cls[id]: the same over text[] (used by the token / n-gram baselines, which key on the
 *                unnormalised token string).
 *   - is_eos[id]: text[id] == "<|endoftext|>" (BOS/EOS never enter a line).
 */
#ifndef N2G_VOCAB_H
#define N2G_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct n2g_str {
    const char *s; /* NUL-terminated, UTF-8 */
    uint32_t n;    /* byte length */
} n2g_str;

typedef struct n2g_vocab {
    int n;              /* number of ids */
    int normalise;      /* 1: key = normalised text (reference default); 0: key = text */
    n2g_str *bytes;     /* [n] the raw token bytes */
    n2g_str *text;      /* [n] UTF-8 decoded with replacement */
    n2g_str *key;       /* [n] normalised (or plain) text */
    uint32_t *cls;      /* [n] class id of key */
    uint32_t *raw_cls;  /* [n] class id of text */
    uint8_t *is_eos;    /* [n] */
    char *arena;        /* backing store of all strings */
    size_t arena_len, arena_cap;
} n2g_vocab;

/* Builds a vocabulary from n byte strings (bytes[i], lens[i]); copies them. */
n2g_vocab *n2g_vocab_new(int n, const char *const *bytes, const uint32_t *lens, int normalise, n2g_err *err);
/* Loads GPT-2's encoder.json (byte-level unicode keys -> ids), or a directory holding one
 * (encoder.json or vocab.json). Ids must be 0..n-1 without gaps. */
n2g_vocab *n2g_vocab_load(const char *path, int normalise, n2g_err *err);
void n2g_vocab_free(n2g_vocab *v);

/* The reference's normalise() on a UTF-8 string: writes the result to out (capacity cap,
 * at least 3*n+4 bytes suffices) and returns its byte length. */
size_t n2g_normalise(const char *s, size_t n, char *out, size_t cap);
/* Decodes bytes as UTF-8 replacing each maximal invalid subpart by U+FFFD (Python's
 * errors="replace"). out needs 3*n+1 bytes; returns the length. */
size_t n2g_utf8_replace(const char *s, size_t n, char *out);
/* Number of code points in valid UTF-8 s[0..n). */
size_t n2g_utf8_count(const char *s, size_t n);
/* Looks up the first id whose text equals s (exact bytes); -1 if none. Linear time. */
int n2g_vocab_find_text(const n2g_vocab *v, const char *s, size_t n);

/* The default vocabulary directory: $N2G_VOCAB, else the bundled copy (common/paths.h). */
const char *n2g_vocab_default_path(void);

#endif
