/* test_corpus.c — the corpus reader: row layout (BOS + n_ctx-1 tokens, EOS between documents,
 * last partial row dropped and counted), determinism across thread counts, .txt / .jsonl /
 * directories / stdin / .gz / .zst inputs, resuming with skip, file identities, and every
 * bad-input case with its message.
 *
 * Oracle: the rows are rebuilt here from whole documents encoded one by one with bpe_encode
 * (itself checked against tiktoken in test_bpe), so chunking, the thread pool, decompression
 * and row cutting are all checked against a direct construction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "check.h"
#include "text/bpe.h"
#include "text/corpus.h"

static bpe_tokenizer *tok;

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

static char *path_in(const char *dir, const char *name) {
    static char bufs[16][4096];
    static int k;
    char *b = bufs[k++ & 15];
    snprintf(b, 4096, "%s/%s", dir, name);
    return b;
}

/* Expected token stream: docs encoded one by one, EOS between them. */
static void expect_stream(const char *const *docs, const size_t *lens, int n, int flags, bpe_ids *out) {
    for (int i = 0; i < n; i++) {
        if (i) bpe_ids_push(out, 50256);
        bpe_encode(tok, docs[i], lens[i], flags, out, NULL, NULL);
    }
}

/* Reads every row of the inputs; returns the row count (or -1) and fills *rows. */
static long read_all(const char *const *paths, int n, corpus_options o, int32_t **rows, corpus_counts *st, n2g_err *e) {
    corpus_reader *r;
    *rows = NULL;
    if (corpus_open(paths, n, tok, &o, &r, e)) return -1;
    long total = 0, cap = 0;
    for (;;) {
        if (total + 7 > cap) {
            cap = cap ? cap * 2 : 64;
            *rows = realloc(*rows, (size_t)cap * (size_t)o.n_ctx * sizeof **rows);
        }
        long got = corpus_next_rows(r, *rows + (size_t)total * (size_t)o.n_ctx, 7, e);
        if (got < 0) {
            if (st) *st = corpus_stats(r);
            corpus_close(r);
            return -1;
        }
        if (got == 0) break;
        total += got;
    }
    CHECK(corpus_next_rows(r, *rows, 1, e) == 0, "reading after the end gives 0");
    if (st) *st = corpus_stats(r);
    corpus_close(r);
    return total;
}

/* Checks rows == BOS + consecutive (n_ctx-1)-token pieces of the expected stream. */
static void check_rows(const int32_t *rows, long nrows, const bpe_ids *want, int n_ctx, const corpus_counts *st,
                       const char *what) {
    long want_rows = (long)(want->n / (size_t)(n_ctx - 1));
    CHECK(nrows == want_rows, "%s: %ld rows, expected %ld", what, nrows, want_rows);
    int ok = 1;
    for (long i = 0; i < nrows && i < want_rows && ok; i++) {
        if (rows[(size_t)i * n_ctx] != 50256) ok = 0;
        if (memcmp(rows + (size_t)i * n_ctx + 1, want->ids + (size_t)i * (n_ctx - 1), (size_t)(n_ctx - 1) * 4)) ok = 0;
        if (!ok) fprintf(stderr, "%s: row %ld differs\n", what, i);
    }
    CHECK(ok, "%s: rows match the expected token stream", what);
    if (st) {
        CHECK(st->tokens == want->n, "%s: %llu tokens counted, expected %zu", what, (unsigned long long)st->tokens, want->n);
        CHECK(st->dropped_tokens == want->n % (size_t)(n_ctx - 1), "%s: dropped %llu, expected %zu", what,
              (unsigned long long)st->dropped_tokens, want->n % (size_t)(n_ctx - 1));
        CHECK(st->rows == (uint64_t)nrows, "%s: rows counted", what);
    }
}

static corpus_options opts(int n_ctx, int threads) {
    corpus_options o = corpus_default_options(tok);
    o.n_ctx = n_ctx;
    o.threads = threads;
    o.quiet = 1;
    o.no_warnings = 1;
    return o;
}

static uint64_t fnv(const unsigned char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull;
    return h;
}

static void *gzip_bytes(const void *src, size_t n, size_t *out_n) {
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&z, n) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    *out_n = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static void *zstd_bytes(const void *src, size_t n, size_t *out_n) {
    size_t cap = ZSTD_compressBound(n);
    void *out = malloc(cap);
    *out_n = ZSTD_compress(out, cap, src, n, 3);
    return out;
}

/* A big text document (Moby-Dick, bundled): chunking and threads must not change any token. */
static void test_big_document(void) {
    n2g_err e = {0};
    const char *path = check_src_path("data/corpus/moby_dick.txt");
    size_t len;
    char *text = corpus_read_file(path, &len, &e);
    CHECK(text != NULL, "%s", e.msg);
    if (!text) return;
    bpe_ids want = {0};
    const char *docs[1] = {text};
    expect_stream(docs, &len, 1, BPE_SPECIAL, &want);
    int32_t *base = NULL;
    long nbase = 0;
    int thread_counts[] = {1, 2, 3, 8};
    for (int k = 0; k < 4; k++) {
        int32_t *rows;
        corpus_counts st;
        char what[64];
        snprintf(what, sizeof what, "moby_dick threads=%d", thread_counts[k]);
        long n = read_all(&path, 1, opts(1024, thread_counts[k]), &rows, &st, &e);
        check_rows(rows, n, &want, 1024, &st, what);
        CHECK(st.docs == 1 && st.bytes == len, "%s: 1 doc of %zu bytes (got %llu docs, %llu bytes)", what, len,
              (unsigned long long)st.docs, (unsigned long long)st.bytes);
        if (k == 0) {
            base = rows, nbase = n;
        } else {
            CHECK(n == nbase && !memcmp(rows, base, (size_t)n * 1024 * 4), "%s: same rows as threads=1", what);
            free(rows);
        }
    }
    /* resume: skipping k rows then reading gives rows k.. */
    corpus_reader *r;
    corpus_options o = opts(1024, 2);
    CHECK(corpus_open(&path, 1, tok, &o, &r, &e) == 0, "%s", e.msg);
    CHECK(corpus_skip_rows(r, 100, &e) == 100, "skip 100 rows");
    int32_t *rest = malloc((size_t)nbase * 1024 * 4);
    long got = corpus_next_rows(r, rest, nbase, &e);
    CHECK(got == nbase - 100 && !memcmp(rest, base + 100 * 1024, (size_t)got * 1024 * 4), "rows after skip (%ld)", got);
    corpus_counts st = corpus_stats(r);
    CHECK(st.rows == (uint64_t)nbase, "skipped rows count as rows");
    const corpus_file_id *files;
    int nf = corpus_files(r, &files);
    CHECK(nf == 1 && files[0].complete && files[0].size == len && files[0].fnv1a64 == fnv((unsigned char *)text, len),
          "file identity: size and FNV-1a-64 of the bytes");
    uint64_t fp = corpus_fingerprint(r);
    corpus_close(r);
    free(rest);

    /* gzip and zstd copies give the same rows; identity is over the stored (compressed) bytes */
    const char *tmp = check_tmpdir("corpus-z");
    size_t gn, zn;
    void *gz = gzip_bytes(text, len, &gn), *zs = zstd_bytes(text, len, &zn);
    const char *gp = path_in(tmp, "moby.txt.gz"), *zp = path_in(tmp, "moby.txt.zst");
    write_file(gp, gz, gn);
    write_file(zp, zs, zn);
    int32_t *rows;
    long n = read_all(&gp, 1, opts(1024, 2), &rows, &st, &e);
    CHECK(n == nbase && !memcmp(rows, base, (size_t)n * 1024 * 4), "gzip input: same rows (%ld vs %ld) %s", n, nbase, e.msg);
    free(rows);
    n = read_all(&zp, 1, opts(1024, 2), &rows, &st, &e);
    CHECK(n == nbase && !memcmp(rows, base, (size_t)n * 1024 * 4), "zstd input: same rows (%ld vs %ld) %s", n, nbase, e.msg);
    free(rows);
    o = opts(1024, 1);
    CHECK(corpus_open(&gp, 1, tok, &o, &r, &e) == 0, "%s", e.msg);
    while (corpus_next_rows(r, NULL, 1000000, &e) > 0) {
    }
    nf = corpus_files(r, &files);
    CHECK(nf == 1 && files[0].size == gn && files[0].fnv1a64 == fnv(gz, gn), "gzip identity over the compressed bytes");
    CHECK(corpus_fingerprint(r) != fp, "fingerprints differ for different stored bytes");
    corpus_close(r);

    /* truncated and corrupt compressed files */
    const char *tg = path_in(tmp, "cut.txt.gz"), *tz = path_in(tmp, "cut.txt.zst"), *cg = path_in(tmp, "bad.txt.gz");
    write_file(tg, gz, gn / 2);
    write_file(tz, zs, zn / 2);
    ((unsigned char *)gz)[gn - 6] ^= 0x55; /* the CRC-32 in the trailer */
    write_file(cg, gz, gn);
    struct {
        const char *path, *msg;
    } cases[] = {{tg, "truncated gzip stream"}, {tz, "truncated zstd stream"}, {cg, "corrupt gzip stream (incorrect data check)"}};
    for (int i = 0; i < 3; i++) {
        o = opts(64, 2);
        o.strict = 1;
        n = read_all(&cases[i].path, 1, o, &rows, &st, &e);
        CHECK(n == -1 && strstr(e.msg, cases[i].path) && strstr(e.msg, cases[i].msg) && strstr(e.msg, "strict"),
              "strict: %s", e.msg);
        free(rows);
        n = read_all(&cases[i].path, 1, opts(64, 2), &rows, &st, &e);
        CHECK(n > 0 && st.bad_files == 1, "lenient: keeps what decoded before the damage (%ld rows, %llu bad files)", n,
              (unsigned long long)st.bad_files);
        free(rows);
    }
    free(gz);
    free(zs);
    free(base);
    free(want.ids);
    free(text);
}

static void test_small_inputs(void) {
    n2g_err e = {0};
    const char *tmp = check_tmpdir("corpus");
    mkdir(path_in(tmp, "d"), 0755);
    mkdir(path_in(tmp, "d/sub"), 0755);
    const char *a = "Alpha document.\nIt has two lines. ", *b = "Beta: the second <|endoftext|> one\r\n",
               *c = "Gamma, in a subfolder; 12345 ünïcödé 日本語 🙂\n";
    write_file(path_in(tmp, "d/b.txt"), b, strlen(b));
    write_file(path_in(tmp, "d/a.txt"), a, strlen(a));
    write_file(path_in(tmp, "d/sub/c.txt"), c, strlen(c));
    write_file(path_in(tmp, "d/ignored.dat"), "zzz", 3);
    write_file(path_in(tmp, "d/.hidden.txt"), "zzz", 3);
    const char *docs[3] = {a, b, c};
    size_t lens[3] = {strlen(a), strlen(b), strlen(c)};
    bpe_ids want = {0};
    expect_stream(docs, lens, 3, BPE_SPECIAL, &want);
    const char *dir = path_in(tmp, "d");
    int32_t *rows;
    corpus_counts st;
    for (int n_ctx = 2; n_ctx <= 9; n_ctx += 7) {
        long n = read_all(&dir, 1, opts(n_ctx, 2), &rows, &st, &e);
        char what[64];
        snprintf(what, sizeof what, "directory, n_ctx=%d", n_ctx);
        check_rows(rows, n, &want, n_ctx, &st, what);
        CHECK(st.docs == 3 && st.files == 3, "%s: 3 docs in 3 files (sorted, recursive, no hidden/other files)", what);
        free(rows);
    }
    /* an empty document still counts: EOS on both sides of it, as joining with EOS gives */
    mkdir(path_in(tmp, "e"), 0755);
    write_file(path_in(tmp, "e/1.txt"), a, strlen(a));
    write_file(path_in(tmp, "e/2.txt"), "", 0);
    write_file(path_in(tmp, "e/3.txt"), c, strlen(c));
    {
        const char *edocs[3] = {a, "", c};
        size_t elens[3] = {strlen(a), 0, strlen(c)};
        bpe_ids ewant = {0};
        expect_stream(edocs, elens, 3, BPE_SPECIAL, &ewant);
        const char *edir = path_in(tmp, "e");
        long en = read_all(&edir, 1, opts(3, 2), &rows, &st, &e);
        check_rows(rows, en, &ewant, 3, &st, "empty document in the middle");
        CHECK(st.docs == 3, "empty document counted");
        free(rows);
        free(ewant.ids);
    }
    /* the file list for manifests: same order as read */
    char **list;
    int nl;
    CHECK(corpus_list_inputs(&dir, 1, &list, &nl, &e) == 0 && nl == 3 && strstr(list[0], "/d/a.txt") &&
              strstr(list[1], "/d/b.txt") && strstr(list[2], "/d/sub/c.txt"),
          "corpus_list_inputs: a.txt, b.txt, sub/c.txt");
    corpus_free_list(list, nl);
    CHECK(symlink(".", path_in(tmp, "d/sub/loop")) == 0, "symlink");
    corpus_reader *lr;
    corpus_options lo = opts(8, 1);
    CHECK(corpus_open(&dir, 1, tok, &lo, &lr, &e) == 0, "symlink loop: %s", e.msg);
    corpus_close(lr);
    CHECK(corpus_list_inputs(&dir, 1, &list, &nl, &e) == 0 && nl == 3, "symbolic links to directories are not followed");
    corpus_free_list(list, nl);
    unlink(path_in(tmp, "d/sub/loop"));
    /* --ordinary: "<|endoftext|>" text stays text */
    bpe_ids want_ord = {0};
    expect_stream(docs, lens, 3, BPE_ORDINARY, &want_ord);
    corpus_options o = opts(5, 1);
    o.ordinary = 1;
    long n = read_all(&dir, 1, o, &rows, &st, &e);
    check_rows(rows, n, &want_ord, 5, &st, "ordinary");
    free(rows);

    /* the same documents as JSONL (with escapes and a blank line), plain and compressed */
    char jl[4096];
    snprintf(jl, sizeof jl,
             "{\"text\": \"Alpha document.\\nIt has two lines. \", \"id\": 1}\n"
             "\n"
             "{\"meta\": {\"x\": [1,2]}, \"text\": \"Beta: the second <|endoftext|> one\\r\\n\"}\r\n"
             "{\"text\": \"Gamma, in a subfolder; 12345 \\u00fcn\\u00efc\\u00f6d\\u00e9 日本語 \\ud83d\\ude42\\n\"}");
    write_file(path_in(tmp, "docs.jsonl"), jl, strlen(jl));
    size_t gn, zn;
    void *gz = gzip_bytes(jl, strlen(jl), &gn), *zs = zstd_bytes(jl, strlen(jl), &zn);
    write_file(path_in(tmp, "docs.jsonl.gz"), gz, gn);
    write_file(path_in(tmp, "docs.jsonl.zst"), zs, zn);
    free(gz);
    free(zs);
    const char *jpaths[3] = {path_in(tmp, "docs.jsonl"), path_in(tmp, "docs.jsonl.gz"), path_in(tmp, "docs.jsonl.zst")};
    for (int i = 0; i < 3; i++) {
        n = read_all(&jpaths[i], 1, opts(4, 3), &rows, &st, &e);
        check_rows(rows, n, &want, 4, &st, jpaths[i]);
        CHECK(st.docs == 3 && st.skipped == 0, "%s: 3 docs, none skipped", jpaths[i]);
        free(rows);
    }
    /* several inputs: documents continue across files, EOS between them */
    bpe_ids want2 = {0};
    const char *docs2[6] = {a, b, c, a, b, c};
    size_t lens2[6] = {lens[0], lens[1], lens[2], lens[0], lens[1], lens[2]};
    expect_stream(docs2, lens2, 6, BPE_SPECIAL, &want2);
    const char *two[2] = {jpaths[2], dir};
    n = read_all(two, 2, opts(6, 2), &rows, &st, &e);
    check_rows(rows, n, &want2, 6, &st, "jsonl.zst + directory");
    free(rows);

    /* stdin: a text document, and JSONL with stdin_jsonl */
    const char *dash = "-";
    CHECK(freopen(path_in(tmp, "d/sub/c.txt"), "rb", stdin) != NULL, "stdin redirect");
    bpe_ids want_c = {0};
    expect_stream(&c, &lens[2], 1, BPE_SPECIAL, &want_c);
    n = read_all(&dash, 1, opts(3, 2), &rows, &st, &e);
    check_rows(rows, n, &want_c, 3, &st, "stdin text");
    free(rows);
    CHECK(freopen(jpaths[1], "rb", stdin) != NULL, "stdin redirect");
    o = opts(4, 2);
    o.stdin_jsonl = 1;
    n = read_all(&dash, 1, o, &rows, &st, &e);
    check_rows(rows, n, &want, 4, &st, "stdin jsonl.gz");
    free(rows);

    /* bad JSONL lines: each one's message in strict mode; skipped and counted otherwise */
    struct {
        const char *line, *msg;
    } bad[] = {
        {"{\"text\": \"unterminated}", ":2: not valid JSON (column"},
        {"not json at all", ":2: not valid JSON (column"},
        {"{\"title\": \"no text\"}", ":2: no \"text\" field"},
        {"{\"text\": 42}", ":2: \"text\" is not a string"},
        {"[\"text\", \"x\"]", ":2: expected a JSON object"},
        {"{\"text\": \"bad \xff byte\"}", ":2: not valid JSON (column 15: invalid UTF-8 in string)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[512], name[64];
        snprintf(body, sizeof body, "{\"text\": \"Alpha document.\\nIt has two lines. \"}\n%s\n{\"text\": \"Beta: the second <|endoftext|> one\\r\\n\"}\n{\"text\": \"Gamma, in a subfolder; 12345 \\u00fcn\\u00efc\\u00f6d\\u00e9 日本語 \\ud83d\\ude42\\n\"}\n", bad[i].line);
        snprintf(name, sizeof name, "bad%zu.jsonl", i);
        const char *p = path_in(tmp, name);
        write_file(p, body, strlen(body));
        o = opts(4, 2);
        o.strict = 1;
        n = read_all(&p, 1, o, &rows, &st, &e);
        CHECK(n == -1 && strstr(e.msg, p) && strstr(e.msg, bad[i].msg), "bad line %zu: message '%s'", i, e.msg);
        free(rows);
        n = read_all(&p, 1, opts(4, 2), &rows, &st, &e);
        check_rows(rows, n, &want, 4, &st, name);
        CHECK(st.skipped == 1 && st.docs == 3, "%s: one line skipped", name);
        free(rows);
    }

    /* invalid UTF-8 in a text document: replaced by U+FFFD per maximal invalid sequence */
    const char *raw = "line one\nline two \xff\xfe end\nthird \xe2\x82 x \xf0\x9f\x98\n";
    const char *fixed = "line one\nline two \xef\xbf\xbd\xef\xbf\xbd end\nthird \xef\xbf\xbd x \xef\xbf\xbd\n";
    const char *bp = path_in(tmp, "bad_utf8.txt");
    write_file(bp, raw, strlen(raw));
    size_t flen = strlen(fixed);
    bpe_ids want_f = {0};
    expect_stream(&fixed, &flen, 1, BPE_SPECIAL, &want_f);
    n = read_all(&bp, 1, opts(3, 2), &rows, &st, &e);
    check_rows(rows, n, &want_f, 3, &st, "invalid UTF-8 replaced");
    CHECK(st.replaced == 4, "4 invalid sequences replaced (got %llu)", (unsigned long long)st.replaced);
    free(rows);
    o = opts(3, 2);
    o.strict = 1;
    n = read_all(&bp, 1, o, &rows, &st, &e);
    CHECK(n == -1 && strstr(e.msg, "bad_utf8.txt:2: invalid UTF-8 (byte 0xFF)"), "strict invalid UTF-8: %s", e.msg);
    free(rows);

    /* inputs that cannot be opened */
    corpus_reader *r;
    const char *missing = path_in(tmp, "missing.txt");
    o = opts(8, 1);
    CHECK(corpus_open(&missing, 1, tok, &o, &r, &e) == -1 && strstr(e.msg, "missing.txt: no such file or directory"), "%s",
          e.msg);
    mkdir(path_in(tmp, "empty"), 0755);
    const char *empty = path_in(tmp, "empty");
    CHECK(corpus_open(&empty, 1, tok, &o, &r, &e) == -1 && strstr(e.msg, "directory holds no corpus file"), "%s", e.msg);
    o.n_ctx = 1;
    CHECK(corpus_open(&dir, 1, tok, &o, &r, &e) == -1 && strstr(e.msg, "n_ctx must be at least 2"), "%s", e.msg);
    free(want.ids);
    free(want_ord.ids);
    free(want2.ids);
    free(want_c.ids);
    free(want_f.ids);
}

/* Documents without ASCII words: CJK lines (cuts after a non-ASCII character), and a text with
 * no space at all longer than the forced-cut limit (must still be read whole, never hang). */
static void test_unusual_documents(void) {
    n2g_err e = {0};
    const char *tmp = check_tmpdir("corpus-cjk");
    const char *han = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年";
    size_t cap = 700000, n = 0;
    char *text = malloc(cap + 64);
    unsigned seed = 7;
    while (n < cap) {
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 16) % 30);
        memcpy(text + n, han + 3 * k, 3);
        n += 3;
        if ((seed >> 8) % 17 == 0) {
            memcpy(text + n, "\xe3\x80\x82\n", 4); /* 。 newline */
            n += 4;
        }
    }
    const char *path = path_in(tmp, "cjk.txt");
    write_file(path, text, n);
    bpe_ids want = {0};
    const char *docs[1] = {text};
    expect_stream(docs, &n, 1, BPE_SPECIAL, &want);
    int32_t *rows;
    corpus_counts st;
    long got = read_all(&path, 1, opts(512, 3), &rows, &st, &e);
    check_rows(rows, got, &want, 512, &st, "CJK document cut after non-ASCII characters");
    free(rows);
    free(want.ids);
    /* 2.5 MB without a single space: cut at the forced limit, read whole */
    size_t big = 2500000;
    char *blob = malloc(big);
    for (size_t i = 0; i < big; i++) blob[i] = "abcdefghij0123456789+/"[(i * 7 + i / 3) % 22];
    const char *bp = path_in(tmp, "blob.txt");
    write_file(bp, blob, big);
    got = read_all(&bp, 1, opts(1024, 2), &rows, &st, &e);
    CHECK(got > 0 && st.bytes == big && st.docs == 1, "space-free 2.5 MB document read whole (%ld rows, %llu bytes)", got,
          (unsigned long long)st.bytes);
    free(rows);
    free(blob);
    free(text);
}

int main(void) {
    n2g_err e = {0};
    tok = bpe_load_dir(check_src_path("data/gpt2"), &e);
    CHECK(tok != NULL, "%s", e.msg);
    if (!tok) return check_finish();
    test_small_inputs();
    test_big_document();
    test_unusual_documents();
    bpe_free(tok);
    return check_finish();
}
