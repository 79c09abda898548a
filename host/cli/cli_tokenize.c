/* cli_tokenize.c — `n2g tokenize` (text -> GPT-2 ids) and `n2g detokenize` (ids -> text). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text/bpe.h"
#include "text/corpus.h"

static const cli_cmd tokenize_cmd = {
    "tokenize",
    "Prints the GPT-2 token ids of the text, space-separated (or {\"ids\": [...]} with --json): the\n"
    "text of --text, else of --file, else standard input.\n",
    NULL,
};

static const cli_cmd detokenize_cmd = {
    "detokenize",
    "Prints the text of GPT-2 token ids. LIST: ids separated by commas or spaces; standard input\n"
    "may hold ids separated by spaces, commas or newlines, or a JSON {\"ids\": [...]} / [...] array.\n",
    NULL,
};

#define MODEL_HELP                                                                                          \
    "a model directory holding vocab.json + merges.txt (or tokenizer.json); one with no tokenizer file: the " \
    "bundled GPT-2 vocabulary, with a note"
#define VOCAB_HELP                                                                                            \
    "a directory with vocab.json + merges.txt, encoder.json + vocab.bpe, or tokenizer.json (default: "          \
    "$N2G_VOCAB, then the installed GPT-2 vocabulary)"

static bpe_tokenizer *load_vocab(const char *model, const char *vocab, n2g_err *err) {
    if (vocab) return bpe_load_dir(vocab, err);
    if (model) return bpe_load_model(model, 0, NULL, err); /* the rule of every command that reads a model */
    return bpe_load_default(err);
}

int cli_tokenize(int argc, char **argv) {
    const char *model = NULL, *vocab = NULL, *text = NULL, *file = NULL;
    int ordinary = 0, json = 0;
    cli_opt opts[] = {
        {CLI_OPT_STR("--model", &model, "DIR", MODEL_HELP), .group = 1},
        {CLI_OPT_STR("--vocab", &vocab, "DIR", VOCAB_HELP), .group = 1},
        {CLI_OPT_STR("--text", &text, "S", "the text to encode"), .group = 2},
        {CLI_OPT_STR("--file", &file, "F", "a file to encode (.gz / .zst read too; '-' is stdin)"), .group = 2},
        {CLI_OPT_FLAG("--ordinary", &ordinary,
                      "encode <|endoftext|> as plain text (tiktoken's encode_ordinary); by default it becomes id "
                      "50256, as Hugging Face's GPT-2 tokenizer does")},
        {CLI_OPT_FLAG("--json", &json, "print {\"ids\": [...]}")},
    };
    int rc = CLI_PARSE(&tokenize_cmd, opts, argc, argv);
    if (rc != CLI_RUN) return rc;
    n2g_err err = {0};
    bpe_tokenizer *t = load_vocab(model, vocab, &err);
    if (!t) return cli_error(&err);
    char *buf = NULL;
    size_t len = 0;
    if (text) {
        len = strlen(text);
    } else {
        buf = corpus_read_file(file ? file : "-", &len, &err);
        if (!buf) {
            bpe_free(t);
            return cli_error(&err);
        }
        text = buf;
    }
    bpe_ids ids = {0};
    bpe_cache *cache = bpe_cache_new();
    rc = bpe_encode(t, text, len, ordinary ? BPE_ORDINARY : BPE_SPECIAL, &ids, cache, &err);
    bpe_cache_free(cache);
    free(buf);
    bpe_free(t);
    if (rc) {
        free(ids.ids);
        return cli_error(&err);
    }
    if (json) fputs("{\"ids\": [", stdout);
    for (size_t i = 0; i < ids.n; i++) printf(i ? (json ? ", %d" : " %d") : "%d", ids.ids[i]);
    fputs(json ? "]}\n" : "\n", stdout);
    free(ids.ids);
    if (fflush(stdout) || ferror(stdout)) {
        n2g_fail(&err, "stdout: write error");
        return cli_error(&err);
    }
    return 0;
}

/* Parses ids from s: integers separated by spaces, commas, newlines, with optional JSON
 * dressing ({"ids": [...]} or [...]). */
/* the text at p up to the next separator, at most 20 bytes (one line in a message) */
static int word_len(const char *p) {
    size_t n = strcspn(p, " ,\n\r\t");
    return n > 20 ? 20 : (int)n;
}

static int parse_ids(const char *s, const char *what, bpe_ids *out, n2g_err *err) {
    const char *p = s;
    const char *key = strstr(s, "\"ids\"");
    if (key) p = key + 5;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\n' || *p == '\r' || *p == '\t' || *p == '[' || *p == ':' ||
               (!key && *p == '{'))
            p++;
        if (!*p || *p == ']' || *p == '}') break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > 0x7fffffff)
            return n2g_failc(err, N2G_E_USAGE, "%s: expected a non-negative integer at \"%.*s\"", what, word_len(p), p);
        if (bpe_ids_push(out, (int32_t)v)) return n2g_fail(err, "out of memory");
        p = end;
        if (*p && *p != ' ' && *p != ',' && *p != '\n' && *p != '\r' && *p != '\t' && *p != ']' && *p != '}')
            return n2g_failc(err, N2G_E_USAGE, "%s: expected a separator at \"%.*s\"", what, word_len(p), p);
    }
    return 0;
}

int cli_detokenize(int argc, char **argv) {
    const char *model = NULL, *vocab = NULL, *ids_arg = NULL;
    cli_opt opts[] = {
        {CLI_OPT_STR("--model", &model, "DIR", MODEL_HELP), .group = 1},
        {CLI_OPT_STR("--vocab", &vocab, "DIR", VOCAB_HELP), .group = 1},
        {CLI_OPT_STR("--ids", &ids_arg, "LIST", "the ids (default: standard input)")},
    };
    int prc = CLI_PARSE(&detokenize_cmd, opts, argc, argv);
    if (prc != CLI_RUN) return prc;
    n2g_err err = {0};
    char *buf = NULL;
    size_t len;
    if (!ids_arg) {
        buf = corpus_read_file("-", &len, &err);
        if (!buf) return cli_error(&err);
    }
    bpe_ids ids = {0};
    /* ids on the command line that do not parse are a usage error (2); on stdin, bad input (1) */
    if (parse_ids(ids_arg ? ids_arg : buf, ids_arg ? "--ids" : "stdin", &ids, &err)) {
        free(buf);
        free(ids.ids);
        if (!ids_arg && err.code == N2G_E_USAGE) err.code = N2G_E_FAIL;
        return cli_error(&err);
    }
    free(buf);
    bpe_tokenizer *t = load_vocab(model, vocab, &err);
    if (!t) {
        free(ids.ids);
        return cli_error(&err);
    }
    int nv = bpe_vocab_size(t);
    for (size_t i = 0; ids_arg && i < ids.n; i++)
        if (ids.ids[i] >= nv) {
            n2g_failc(&err, N2G_E_USAGE, "--ids: token id %d at position %zu is not in the vocabulary (0..%d)",
                      ids.ids[i], i, nv - 1);
            free(ids.ids);
            bpe_free(t);
            return cli_error(&err);
        }
    char *text;
    int rc = bpe_decode(t, ids.ids, ids.n, &text, &len, &err);
    free(ids.ids);
    bpe_free(t);
    if (rc) return cli_error(&err);
    fwrite(text, 1, len, stdout);
    free(text);
    if (fflush(stdout) || ferror(stdout)) {
        n2g_fail(&err, "stdout: write error");
        return cli_error(&err);
    }
    return 0;
}
