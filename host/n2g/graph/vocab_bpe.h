/* vocab_bpe.h — n2g_vocab from the GPT-2 tokenizer (text/bpe.h), for the command line. */
#ifndef N2G_VOCAB_BPE_H
#define N2G_VOCAB_BPE_H

#include "n2g/graph/vocab.h"
#include "text/bpe.h"

n2g_vocab *n2g_vocab_from_bpe(const bpe_tokenizer *t, int normalise, n2g_err *err);

/* Opens the vocabulary a command names: path NULL -> the default GPT-2 tokenizer
 * (bpe_load_default); a directory -> bpe_load_dir; a file -> an encoder.json-style
 * {token: id} file (no merges: *tok is then NULL and text cannot be encoded).
 * *tok (may be NULL to not ask) receives the tokenizer; free it with bpe_free. */
n2g_vocab *n2g_vocab_open(const char *path, int normalise, bpe_tokenizer **tok, n2g_err *err);

#endif
