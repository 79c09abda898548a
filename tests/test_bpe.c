/* test_bpe.c — GPT-2 BPE against tiktoken r50k_base and Hugging Face `tokenizers` ids
 * (tests/fixtures/tokenizer_golden.json, made by make_tokenizer_golden.py): every case both
 * ways, every shared corpus (count + FNV-1a-64 of tiktoken's id stream), the three file
 * layouts, round trips of arbitrary bytes, accessors and loader errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "common/json.h"
#include "text/bpe.h"
#include "text/bpe_impl.h"
#include "text/corpus.h"

static int same_ids(const bpe_ids *got, const json_value *want) {
    if (!want || want->type != JSON_ARRAY || got->n != want->n) return 0;
    for (size_t i = 0; i < got->n; i++)
        if (got->ids[i] != (int32_t)want->items[i].num) return 0;
    return 1;
}

static uint64_t fnv1a64_ids(const int32_t *ids, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++) h = (h ^ (((uint32_t)ids[i] >> (8 * k)) & 0xff)) * 0x100000001b3ull;
    return h;
}

static void check_cases(const bpe_tokenizer *t, const json_value *cases, const char *layout) {
    bpe_cache *cache = bpe_cache_new();
    for (size_t c = 0; c < cases->n; c++) {
        const json_value *cs = &cases->items[c], *name = json_get(cs, "name"), *text = json_get(cs, "text");
        bpe_ids ord = {0}, spec = {0}, ord2 = {0};
        n2g_err e = {0};
        CHECK(bpe_encode(t, text->str, text->n, BPE_ORDINARY, &ord, cache, &e) == 0, "%s", e.msg);
        CHECK(bpe_encode(t, text->str, text->n, BPE_SPECIAL, &spec, cache, &e) == 0, "%s", e.msg);
        CHECK(bpe_encode(t, text->str, text->n, BPE_ORDINARY, &ord2, NULL, &e) == 0, "%s", e.msg);
        CHECK(same_ids(&ord, json_get(cs, "ordinary")), "[%s] %s: ordinary ids differ from tiktoken encode_ordinary",
              layout, name->str);
        CHECK(same_ids(&ord2, json_get(cs, "ordinary")), "[%s] %s: uncached ids differ", layout, name->str);
        CHECK(same_ids(&spec, json_get(cs, "special")), "[%s] %s: ids differ from tiktoken encode(allowed_special=all)",
              layout, name->str);
        CHECK(same_ids(&spec, json_get(cs, "hf")), "[%s] %s: ids differ from Hugging Face tokenizers", layout, name->str);
        char *back;
        size_t blen;
        CHECK(bpe_decode(t, ord.ids, ord.n, &back, &blen, &e) == 0, "%s", e.msg);
        CHECK(blen == text->n && !memcmp(back, text->str, blen), "[%s] %s: decode(encode(x)) != x", layout, name->str);
        free(back);
        CHECK(bpe_decode(t, spec.ids, spec.n, &back, &blen, &e) == 0, "%s", e.msg);
        CHECK(blen == text->n && !memcmp(back, text->str, blen), "[%s] %s: decode(encode special) != x", layout, name->str);
        free(back);
        free(ord.ids);
        free(spec.ids);
        free(ord2.ids);
    }
    bpe_cache_free(cache);
}

static void check_corpora(const bpe_tokenizer *t, const json_value *corpora) {
    bpe_cache *cache = bpe_cache_new();
    for (size_t c = 0; c < corpora->n; c++) {
        const json_value *cs = &corpora->items[c], *file = json_get(cs, "file"), *hash = json_get(cs, "fnv1a64");
        int nbytes = 0, ntok = 0;
        n2g_err e = {0};
        json_get_int(cs, "bytes", "corpus", &nbytes, &e);
        json_get_int(cs, "tokens", "corpus", &ntok, &e);
        char rel[512];
        snprintf(rel, sizeof rel, "data/%s", file->str);
        const char *path = check_shared_path(rel);
        size_t len;
        char *text = corpus_read_file(path, &len, &e);
        if (!text) {
            fprintf(stderr, "note: %s missing, corpus check skipped (%s)\n", path, e.msg);
            continue;
        }
        CHECK(len == (size_t)nbytes, "%s: %zu bytes, fixture says %d", path, len, nbytes);
        bpe_ids ids = {0};
        CHECK(bpe_encode(t, text, len, BPE_ORDINARY, &ids, cache, &e) == 0, "%s", e.msg);
        char want[32];
        snprintf(want, sizeof want, "%016llx", (unsigned long long)fnv1a64_ids(ids.ids, ids.n));
        CHECK(ids.n == (size_t)ntok, "%s: %zu tokens, tiktoken made %d", path, ids.n, ntok);
        CHECK(!strcmp(want, hash->str), "%s: id stream hash %s, tiktoken's is %s", path, want, hash->str);
        char *back;
        size_t blen;
        CHECK(bpe_decode(t, ids.ids, ids.n, &back, &blen, &e) == 0, "%s", e.msg);
        CHECK(blen == len && !memcmp(back, text, len), "%s: decode(encode(x)) != x", path);
        free(back);
        free(ids.ids);
        free(text);
    }
    bpe_cache_free(cache);
}

/* Writes a tokenizer.json built from vocab.json + merges.txt (merges as "a b" strings, or as
 * [a, b] pairs when pairs is set). */
static int write_tokenizer_json(const char *dir, const char *path, int pairs) {
    size_t vlen, mlen;
    n2g_err e = {0};
    char vp[4096], mp[4096];
    snprintf(vp, sizeof vp, "%s/vocab.json", dir);
    snprintf(mp, sizeof mp, "%s/merges.txt", dir);
    char *v = corpus_read_file(vp, &vlen, &e), *m = corpus_read_file(mp, &mlen, &e);
    FILE *f = fopen(path, "wb");
    if (!v || !m || !f) return -1;
    fprintf(f, "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":50256,\"content\":\"<|endoftext|>\",\"special\":true}");
    if (pairs) /* two more special tokens beyond the vocabulary, one a prefix of the other */
        fprintf(f, ",{\"id\":50257,\"content\":\"<|x|>\",\"special\":true},{\"id\":50258,\"content\":\"<|x|>y\",\"special\":true}");
    fprintf(f, "],");
    fprintf(f, "\"model\":{\"type\":\"BPE\",\"vocab\":");
    fwrite(v, 1, vlen, f);
    fprintf(f, ",\"merges\":[");
    int first = 1;
    for (char *line = strtok(m, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        char *sp = strchr(line, ' ');
        fputs(first ? "" : ",", f);
        first = 0;
        if (pairs) {
            fputc('[', f);
            json_write_string(f, line, (size_t)(sp - line));
            fputc(',', f);
            json_write_string(f, sp + 1, strlen(sp + 1));
            fputc(']', f);
        } else {
            json_write_string(f, line, strlen(line));
        }
    }
    fprintf(f, "]}}\n");
    fclose(f);
    free(v);
    free(m);
    return 0;
}

static void write_text(const char *path, const char *s) {
    FILE *f = fopen(path, "wb");
    fputs(s, f);
    fclose(f);
}

static void check_load_errors(void) {
    n2g_err e = {0};
    const char *tmp = check_tmpdir("bpe");
    char dir[4096], a[4200], b[4200];
    CHECK(bpe_load_dir("/nonexistent/dir", &e) == NULL && strstr(e.msg, "/nonexistent/dir: no such directory"), "%s",
          e.msg);
    CHECK(bpe_load_dir(tmp, &e) == NULL && strstr(e.msg, "no tokenizer found"), "%s", e.msg);
    snprintf(dir, sizeof dir, "%s/bad", tmp);
    mkdir(dir, 0755);
    snprintf(a, sizeof a, "%s/vocab.json", dir);
    snprintf(b, sizeof b, "%s/merges.txt", dir);
    /* byte tokens only, as a tiny vocabulary, with a broken merge line */
    FILE *f = fopen(a, "wb");
    fputc('{', f);
    for (int c = 0; c < 256; c++) {
        int printable = (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE);
        fprintf(f, "%s\"", c ? "," : "");
        static int n;
        if (c == 0) n = 0;
        int cp = printable ? c : 256 + n++;
        if (cp == '"' || cp == '\\') fprintf(f, "\\%c", cp);
        else if (cp < 0x80) fputc(cp, f);
        else fprintf(f, "%c%c", 0xC0 | (cp >> 6), 0x80 | (cp & 0x3F));
        fprintf(f, "\":%d", c);
    }
    fprintf(f, ",\"ab\":256}");
    fclose(f);
    write_text(b, "#version: 0.2\na b\nab\n");
    CHECK(bpe_load_dir(dir, &e) == NULL && strstr(e.msg, "merges.txt:3: expected two tokens separated by one space"),
          "%s", e.msg);
    write_text(b, "#version: 0.2\na b\nb c\n");
    CHECK(bpe_load_dir(dir, &e) == NULL && strstr(e.msg, "merges.txt:3") && strstr(e.msg, "not in the vocabulary"), "%s",
          e.msg);
    write_text(b, "#version: 0.2\na b\n");
    bpe_tokenizer *t = bpe_load_dir(dir, &e);
    CHECK(t != NULL, "tiny vocabulary: %s", e.msg);
    if (t) {
        bpe_ids ids = {0};
        bpe_encode(t, "abab", 4, BPE_ORDINARY, &ids, NULL, &e);
        CHECK(ids.n == 2 && ids.ids[0] == 256 && ids.ids[1] == 256, "tiny vocabulary merges 'ab'");
        CHECK(bpe_eot_id(t) == -1, "no <|endoftext|> in the tiny vocabulary");
        free(ids.ids);
        bpe_free(t);
    }
    write_text(a, "{\"a\": 0, \"\\u4e2d\": 1}");
    CHECK(bpe_load_dir(dir, &e) == NULL && strstr(e.msg, "outside GPT-2's byte alphabet"), "%s", e.msg);
    write_text(a, "{\"a\": 0.5}");
    CHECK(bpe_load_dir(dir, &e) == NULL && strstr(e.msg, "expected an integer id"), "%s", e.msg);
    write_text(a, "{\"a\": 0, \"b\": 1, \"ab\": 2}");
    CHECK(bpe_load_dir(dir, &e) == NULL && strstr(e.msg, "lacks the single-byte token for byte 0x00"), "%s", e.msg);
    write_text(a, "{\"a\": 0, ");
    CHECK(bpe_load_dir(dir, &e) == NULL && strstr(e.msg, "vocab.json:"), "%s", e.msg);
}

/* Long pieces (text without spaces: one pre-tokenizer piece) are merged window by window; the
 * ids must be those of tiktoken's whole-piece merge (the quadratic reference, transcribed as
 * bpe_test_merge_reference) — with tiny windows, so that windows cut tokens and seams are redone
 * often, and with the default windows against the whole-piece heap merge on a bigger piece. */
static void gen_piece(unsigned *seed, int kind, char *buf, size_t n) {
    static const char *const alpha[] = {"abcdefghijklmnopqrstuvwxyz", "aeiou", "ab", "thequickbrownfox", "!?.,;:-_*#"};
    if (kind == 5) { /* CJK letters: 3-byte UTF-8, one \p{L} run */
        size_t i = 0;
        while (i + 3 <= n) {
            *seed = *seed * 1103515245u + 12345u;
            unsigned cp = 0x4E00 + (*seed >> 16) % 600;
            buf[i++] = (char)(0xE0 | (cp >> 12)), buf[i++] = (char)(0x80 | ((cp >> 6) & 63)), buf[i++] = (char)(0x80 | (cp & 63));
        }
        while (i < n) buf[i++] = 'x'; /* never reached for n % 3 == 0 */
        return;
    }
    if (kind == 6) { /* "the" again and again: equal ranks everywhere, leftmost ties */
        for (size_t i = 0; i < n; i++) buf[i] = "the"[i % 3];
        return;
    }
    const char *a = alpha[kind];
    size_t na = strlen(a);
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        buf[i] = a[(*seed >> 16) % na];
    }
}

static void check_long_pieces(const bpe_tokenizer *t) {
    n2g_err e = {0};
    unsigned seed = 777;
    size_t n = 6000;
    char *buf = malloc(300000);
    int32_t *ref = malloc(3 * 300000 * sizeof *ref);
    static const size_t windows[][2] = {{16, 0}, {40, 4}, {64, 16}, {300, 64}};
    unsigned long redone0 = bpe_test_seams_redone();
    for (int kind = 0; kind < 7; kind++) {
        gen_piece(&seed, kind, buf, n);
        CHECK(bpe_piece_end((const unsigned char *)buf, n, 0) == n, "kind %d: not one piece", kind);
        size_t m = bpe_test_merge_reference(t, (const unsigned char *)buf, n, ref);
        for (size_t w = 0; w < sizeof windows / sizeof *windows; w++) {
            bpe_test_set_chunk(windows[w][0], windows[w][1]);
            bpe_ids ids = {0};
            CHECK(bpe_encode(t, buf, n, BPE_ORDINARY, &ids, NULL, &e) == 0, "%s", e.msg);
            int same = ids.n == m && !memcmp(ids.ids, ref, m * sizeof *ref);
            size_t at = 0;
            while (at < ids.n && at < m && ids.ids[at] == ref[at]) at++;
            CHECK(same, "kind %d, windows %zu+%zu: %zu ids, the reference %zu; first difference at %zu", kind,
                  windows[w][0], windows[w][1], ids.n, m, at);
            free(ids.ids);
        }
    }
    CHECK(bpe_test_seams_redone() > redone0, "tiny windows never redid a seam: the check is not exercised");
    /* default windows on a 300 kB piece against the whole-piece heap merge (no windows) */
    n = 300000;
    for (int kind = 0; kind < 7; kind += 3) {
        gen_piece(&seed, kind, buf, n);
        bpe_ids a = {0}, b = {0};
        bpe_test_set_chunk(0, 0);
        CHECK(bpe_encode(t, buf, n, BPE_ORDINARY, &a, NULL, &e) == 0, "%s", e.msg);
        bpe_test_set_chunk((size_t)1 << 40, 0);
        CHECK(bpe_encode(t, buf, n, BPE_ORDINARY, &b, NULL, &e) == 0, "%s", e.msg);
        CHECK(a.n == b.n && !memcmp(a.ids, b.ids, a.n * sizeof *a.ids), "kind %d: 300 kB piece: %zu ids by windows, %zu whole",
              kind, a.n, b.n);
        free(a.ids);
        free(b.ids);
    }
    bpe_test_set_chunk(0, 0);
    free(buf);
    free(ref);
}

int main(void) {
    n2g_err e = {0};
    json_doc *g = json_parse_file(check_src_path("tests/fixtures/tokenizer_golden.json"), &e);
    CHECK(g != NULL, "%s", e.msg);
    if (!g) return check_finish();
    const json_value *cases = json_get(json_root(g), "cases"), *corpora = json_get(json_root(g), "corpora");

    /* Hugging Face names (the bundled copy) */
    bpe_tokenizer *t = bpe_load_dir(check_src_path("data/gpt2"), &e);
    CHECK(t != NULL, "%s", e.msg);
    if (!t) return check_finish();
    CHECK(bpe_vocab_size(t) == 50257, "vocab size %d", bpe_vocab_size(t));
    CHECK(bpe_eot_id(t) == 50256, "eot %d", bpe_eot_id(t));
    size_t len;
    const char *s = bpe_token_bytes(t, 50256, &len);
    CHECK(s && len == 13 && !memcmp(s, "<|endoftext|>", 13), "token 50256");
    s = bpe_token_bytes(t, 220, &len);
    CHECK(s && len == 1 && s[0] == ' ', "token 220 is a space");
    s = bpe_token_bytes(t, 198, &len);
    CHECK(s && len == 1 && s[0] == '\n', "token 198 is a newline");
    CHECK(bpe_token_bytes(t, 50257, &len) == NULL && bpe_token_bytes(t, -1, &len) == NULL, "out of range ids");
    CHECK(bpe_token_id(t, " the", 4) == 262, "' the' is 262");
    CHECK(bpe_token_id(t, "<|endoftext|>", 13) == 50256, "<|endoftext|> lookup");
    CHECK(bpe_token_id(t, "no such token at all", 20) == -1, "absent token");
    check_cases(t, cases, "vocab.json+merges.txt");
    check_corpora(t, corpora);
    check_long_pieces(t);

    /* arbitrary bytes (invalid UTF-8 included) round-trip */
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        char buf[300];
        size_t n = (size_t)(round % 37) * 8;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (char)(seed >> 16);
        }
        bpe_ids ids = {0};
        char *back;
        size_t blen;
        CHECK(bpe_encode(t, buf, n, BPE_SPECIAL, &ids, NULL, &e) == 0, "%s", e.msg);
        CHECK(bpe_decode(t, ids.ids, ids.n, &back, &blen, &e) == 0 && blen == n && !memcmp(back, buf, n),
              "random bytes round %d do not round-trip", round);
        free(back);
        free(ids.ids);
    }
    int32_t bad[3] = {15496, 60000, 995};
    char *out;
    CHECK(bpe_decode(t, bad, 3, &out, &len, &e) == -1 && strstr(e.msg, "token id 60000 at position 1"), "%s", e.msg);
    bpe_free(t);

    /* OpenAI names */
    t = bpe_load_dir(check_shared_path("data/gpt2-tokenizer"), &e);
    if (t) {
        check_cases(t, cases, "encoder.json+vocab.bpe");
        bpe_free(t);
    } else {
        fprintf(stderr, "note: shared encoder.json + vocab.bpe not found (%s)\n", e.msg);
    }

    /* tokenizer.json, merges as strings and as pairs */
    for (int pairs = 0; pairs < 2; pairs++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/tokenizer.json", check_tmpdir("tokjson"));
        CHECK(write_tokenizer_json(check_src_path("data/gpt2"), path, pairs) == 0, "writing %s", path);
        t = bpe_load_tokenizer_json(path, &e);
        CHECK(t != NULL, "%s", e.msg);
        if (t && pairs) {
            bpe_ids ids = {0};
            CHECK(bpe_vocab_size(t) == 50259, "added tokens extend the vocabulary (%d)", bpe_vocab_size(t));
            bpe_encode(t, "a<|x|>yb<|x|><|endoftext|>", 26, BPE_SPECIAL, &ids, NULL, &e);
            CHECK(ids.n == 5 && ids.ids[0] == 64 && ids.ids[1] == 50258 && ids.ids[2] == 65 && ids.ids[3] == 50257 &&
                      ids.ids[4] == 50256,
                  "special tokens: the longest match at the earliest position");
            free(ids.ids);
        }
        if (t) {
            check_cases(t, cases, pairs ? "tokenizer.json (pairs)" : "tokenizer.json");
            bpe_free(t);
        }
    }
    check_load_errors();
    json_free(g);
    return check_finish();
}
