/* bench_bpe.c — GPT-2 BPE encode throughput.
 *
 *   bench_bpe [--vocab DIR] [--reps N] [--threads N] FILE...
 *
 * Per file: single-threaded bpe_encode (ordinary, a fresh piece cache per repetition; best of
 * N), then the corpus reader (rows of 1024, BOS + EOS as for scrape) with 1 and with all cores;
 * prints one line per measurement, plus the id count and FNV-1a-64 of the id stream (ids as
 * little-endian uint32) so bench/tiktoken_bpe.py can check the ids against tiktoken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/progress.h"
#include "text/bpe.h"
#include "text/corpus.h"

static uint64_t fnv1a64_ids(const int32_t *ids, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++) h = (h ^ (((uint32_t)ids[i] >> (8 * k)) & 0xff)) * 0x100000001b3ull;
    return h;
}

static double corpus_rate(const char *path, const bpe_tokenizer *t, int threads, size_t bytes, long *rows_out) {
    corpus_options o = corpus_default_options(t);
    o.threads = threads;
    o.quiet = 1;
    corpus_reader *r;
    n2g_err e = {0};
    int32_t *rows = malloc(64 * 1024 * sizeof *rows);
    double t0 = progress_now();
    if (corpus_open(&path, 1, t, &o, &r, &e)) {
        fprintf(stderr, "bench_bpe: %s\n", e.msg);
        exit(1);
    }
    long n, total = 0;
    while ((n = corpus_next_rows(r, rows, 64, &e)) > 0) total += n;
    if (n < 0) {
        fprintf(stderr, "bench_bpe: %s\n", e.msg);
        exit(1);
    }
    double dt = progress_now() - t0;
    corpus_close(r);
    free(rows);
    *rows_out = total;
    return (double)bytes / dt / 1e6;
}

int main(int argc, char **argv) {
    const char *vocab = N2G_SOURCE_DIR "/data/gpt2";
    int reps = 5, threads = (int)sysconf(_SC_NPROCESSORS_ONLN), nfiles = 0;
    const char *files[64];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--vocab") && i + 1 < argc) vocab = argv[++i];
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (nfiles < 64) files[nfiles++] = argv[i];
    }
    if (!nfiles) files[nfiles++] = N2G_SHARED_DIR "/data/corpus/sotu.txt";
    n2g_err e = {0};
    double t0 = progress_now();
    bpe_tokenizer *t = bpe_load_dir(vocab, &e);
    if (!t) {
        fprintf(stderr, "bench_bpe: %s\n", e.msg);
        return 1;
    }
    printf("load %.3f s\n", progress_now() - t0);
    for (int f = 0; f < nfiles; f++) {
        size_t len;
        char *text = corpus_read_file(files[f], &len, &e);
        if (!text) {
            fprintf(stderr, "bench_bpe: %s\n", e.msg);
            return 1;
        }
        double best = 1e30;
        bpe_ids ids = {0};
        for (int r = 0; r < reps; r++) {
            bpe_cache *c = bpe_cache_new();
            ids.n = 0;
            double s = progress_now();
            bpe_encode(t, text, len, BPE_ORDINARY, &ids, c, &e);
            double dt = progress_now() - s;
            if (dt < best) best = dt;
            bpe_cache_free(c);
        }
        printf("file %s bytes %zu tokens %zu fnv1a64 %016llx\n", files[f], len, ids.n,
               (unsigned long long)fnv1a64_ids(ids.ids, ids.n));
        printf("encode_1thread %s %.2f MB/s\n", files[f], (double)len / best / 1e6);
        long rows;
        double r1 = corpus_rate(files[f], t, 1, len, &rows);
        printf("corpus_1thread %s %.2f MB/s rows %ld\n", files[f], r1, rows);
        double rn = corpus_rate(files[f], t, threads, len, &rows);
        printf("corpus_%dthreads %s %.2f MB/s rows %ld\n", threads, files[f], rn, rows);
        free(ids.ids);
        free(text);
    }
    bpe_free(t);
    return 0;
}
