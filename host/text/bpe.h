/* bpe.h — GPT-2 byte-level BPE, identical to tiktoken's r50k_base and Hugging Face's GPT-2
 * tokenizer (to the id).
 *
 * Pre-tokenisation follows GPT-2's pattern
 *     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * with Unicode letter / number / White_Space classes from tables generated out of the Unicode
 * Character Database (unicode.h). Each piece is then merged by rank, as tiktoken does (a piece
 * that is itself a token is taken whole). Bytes that are not valid UTF-8 are accepted: each
 * counts as one "other" character, and decode(encode(x)) == x for every byte string.
 *
 * A loaded tokenizer is read-only and may be shared by threads; a bpe_cache is per thread.
 */
#ifndef N2G_BPE_H
#define N2G_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct bpe_tokenizer bpe_tokenizer;
typedef struct bpe_cache bpe_cache;

/* A growable id vector; bpe_encode appends to it. Zero-initialise; free ids when done. */
typedef struct bpe_ids {
    int32_t *ids;
    size_t n, cap;
} bpe_ids;

/* Loads from a directory holding one of (tried in this order):
 *   vocab.json + merges.txt   (Hugging Face names)
 *   encoder.json + vocab.bpe  (OpenAI names)
 *   tokenizer.json            (Hugging Face fast-tokenizer file)  */
bpe_tokenizer *bpe_load_dir(const char *dir, n2g_err *err);
/* Explicit files: vocab (vocab.json / encoder.json) and merges (merges.txt / vocab.bpe). */
bpe_tokenizer *bpe_load_files(const char *vocab_path, const char *merges_path, n2g_err *err);
/* In-memory copies of those two files (for an embedded vocabulary); `what` names them. */
bpe_tokenizer *bpe_load_memory(const char *vocab_json, size_t vocab_len, const char *merges, size_t merges_len,
                               const char *what, n2g_err *err);
bpe_tokenizer *bpe_load_tokenizer_json(const char *path, n2g_err *err);
/* The default vocabulary when the user names none: the directory in $N2G_VOCAB, then the
 * bundled copy (n2g_default_vocab_dir(): <data dir>/gpt2), then <exe dir>/../share/n2g/gpt2.
 * Fails (code N2G_E_USAGE) with a message saying where it looked. */
bpe_tokenizer *bpe_load_default(n2g_err *err);
/* The tokenizer of a model directory, by one rule for every command that reads a model:
 * the model's own files when any is there (vocab.json + merges.txt, encoder.json + vocab.bpe,
 * or tokenizer.json) — a present file that cannot be read or parsed, or half of a pair, is an
 * error naming the file; when none is there, the bundled GPT-2 vocabulary (bpe_load_default),
 * with a one-line notice on stderr (once per process; none when quiet). *source (may be NULL)
 * gets which of the two was used (bpe_model_vocab). */
enum { BPE_VOCAB_BUNDLED = 0, BPE_VOCAB_MODEL = 1 };
bpe_tokenizer *bpe_load_model(const char *dir, int quiet, int *source, n2g_err *err);
/* BPE_VOCAB_MODEL when DIR holds any tokenizer file, else BPE_VOCAB_BUNDLED (no file is read). */
int bpe_model_vocab(const char *dir);
/* The manifest's name of a source: "model" or "bundled-gpt2". */
#define BPE_VOCAB_NAME(src) ((src) == BPE_VOCAB_MODEL ? "model" : "bundled-gpt2")
void bpe_free(bpe_tokenizer *t);

int bpe_vocab_size(const bpe_tokenizer *t);
/* Id of <|endoftext|> (50256 for GPT-2), or -1 when the vocabulary has none. */
int bpe_eot_id(const bpe_tokenizer *t);
/* The raw bytes of token id (not the "Ġ"-mapped form); NULL when id is out of range. */
const char *bpe_token_bytes(const bpe_tokenizer *t, int id, size_t *len);
/* Id of the token whose raw bytes are s[0..len), or -1. */
int bpe_token_id(const bpe_tokenizer *t, const char *s, size_t len);

enum {
    BPE_ORDINARY = 0, /* special-token text is encoded as plain text (tiktoken encode_ordinary) */
    BPE_SPECIAL = 1,  /* "<|endoftext|>" (and other special tokens) become their ids (HF GPT-2) */
};

/* Per-thread cache of piece -> ids (bounded: cleared when it grows past a few MB). */
bpe_cache *bpe_cache_new(void);
void bpe_cache_free(bpe_cache *c);

/* Encodes text[0..len) and appends the ids to out. cache may be NULL. Fails only when out of
 * memory. */
int bpe_encode(const bpe_tokenizer *t, const char *text, size_t len, int flags, bpe_ids *out, bpe_cache *cache,
               n2g_err *err);
/* Decodes ids[0..n) and sets *text (malloc'd, NUL-terminated, may hold invalid UTF-8 when the
 * ids split a character) and *len. Fails on an id outside the vocabulary, naming its position. */
int bpe_decode(const bpe_tokenizer *t, const int32_t *ids, size_t n, char **text, size_t *len, n2g_err *err);

/* Splits text into GPT-2 pre-tokenisation pieces: returns the end of the piece that starts at
 * offset i (i < len). Exposed for tests and for the corpus reader's chunking. */
size_t bpe_piece_end(const unsigned char *text, size_t len, size_t i);

int bpe_ids_push(bpe_ids *v, int32_t id);

#endif
