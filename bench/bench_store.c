/* bench_store.c — what examples.bin's checksums cost on a whole GPT-2-small run.
 *
 * A synthetic scrape state of 12 layers x 3072 neurons (36,864) x top-K with ROWS kept rows of
 * CTX tokens (and firing lists of F entries when F > 0) is written with scrape_store_write, then
 *   open:    scrape_store_map (the header's and every section's checksum but the tokens', the
 *            examples' consistency) — what every command pays to open a run;
 *   row:     the first read of one row (its tokens block checked), then of the same row again;
 *   tokens:  scrape_map_verify_tokens (every block: what a resume pays, and at most what any
 *            reader pays, spread over its first reads);
 *   hash:    n2g-fh64 over the tokens section alone (the floor);
 *   open v1: scrape_store_map of the same data as a version 1 file (no checksums): the
 *            difference to `open` is what the checksums add to opening a run;
 * each timed ITERS times with the file in the page cache (the median is printed). A cold cache
 * adds the disk's read time for the bytes read, checksums or not.
 *
 * usage: bench_store [--rows N] [--ctx T] [--top-k K] [--fire F] [--iters N] [--dir DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/progress.h"
#include "ops/ops_topk.h"
#include "scrape/scrape_fs.h"
#include "scrape/scrape_store.h"

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

int main(int argc, char **argv) {
    long rows = 20000, ctx = 1024, k = 20, fire = 32, iters = 5;
    const char *dir = "/tmp";
    for (int i = 1; i + 1 < argc; i += 2) {
        long v = strtol(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--rows")) rows = v;
        else if (!strcmp(argv[i], "--ctx")) ctx = v;
        else if (!strcmp(argv[i], "--top-k")) k = v;
        else if (!strcmp(argv[i], "--fire")) fire = v;
        else if (!strcmp(argv[i], "--iters")) iters = v;
        else if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
        else {
            fprintf(stderr, "usage: bench_store [--rows N] [--ctx T] [--top-k K] [--fire F] [--iters N] [--dir DIR]\n");
            return 2;
        }
    }
    const int L = 12, C = 3072;
    int layers[12];
    for (int l = 0; l < L; l++) layers[l] = l;
    scrape_state s = {0};
    s.n_layers = L, s.d_mlp = C, s.k = (int)k, s.ctx = (int)ctx, s.layers = layers;
    s.flags = SCRAPE_FLAG_COMPLETE, s.rows_scanned = (uint64_t)rows * 4, s.positions = s.rows_scanned * (ctx - 1);
    size_t ck = (size_t)C * k;
    s.topk = malloc((size_t)L * 3 * ck * 4);
    s.stats = calloc((size_t)L * C * 2, 4);
    uint64_t r = 1;
    for (int l = 0; l < L; l++) {
        uint32_t *val = s.topk + (size_t)l * 3 * ck, *row = val + ck, *pos = row + ck;
        for (size_t i = 0; i < ck; i++) {
            float v = 10.0f - (float)(i % k);
            memcpy(&val[i], &v, 4);
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            row[i] = (uint32_t)((r >> 33) % (uint64_t)rows) * 4; /* rows 0, 4, 8, ... */
            pos[i] = 1 + (uint32_t)(i % (size_t)(ctx - 1));
        }
    }
    if (fire) {
        s.fire_f = (int)fire, s.fire_ratio = 0.5f;
        size_t per = ops_topk_fire_words(C, (int)k, (int)fire);
        s.fire = malloc((size_t)L * per * 4);
        for (int l = 0; l < L; l++) ops_topk_fire_init_host(s.fire + (size_t)l * per, C, (int)k, (int)fire);
    }
    scrape_rows rs;
    scrape_rows_init(&rs, (int)ctx);
    int32_t *tok = malloc((size_t)ctx * 4);
    n2g_err e = {0};
    for (long i = 0; i < rows; i++) {
        for (long t = 0; t < ctx; t++) tok[t] = (int32_t)((i * 31 + t * 7) % 50257);
        if (scrape_rows_append(&rs, (uint32_t)(i * 4), tok, &e)) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
    }
    scrape_rows_prune(&rs, &s);
    char path[4200];
    snprintf(path, sizeof path, "%s/bench_store_%d.bin", dir, (int)getpid());
    double t0 = progress_now();
    if (scrape_store_write(path, &s, &rs, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    double t_write = progress_now() - t0;
    double *t_open = calloc((size_t)iters, sizeof(double)), *t_row1 = calloc((size_t)iters, sizeof(double));
    double *t_row2 = calloc((size_t)iters, sizeof(double)), *t_tok = calloc((size_t)iters, sizeof(double));
    double *t_hash = calloc((size_t)iters, sizeof(double));
    uint64_t file_bytes = 0, tok_bytes = 0, sec_bytes = 0;
    for (long it = 0; it < iters; it++) {
        scrape_map m;
        t0 = progress_now();
        if (scrape_store_map(path, &m, &e)) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
        t_open[it] = progress_now() - t0;
        file_bytes = m.bytes;
        tok_bytes = 4ull * m.h->n_rows * m.h->ctx;
        sec_bytes = file_bytes - tok_bytes;
        const int32_t *tk;
        t0 = progress_now();
        scrape_map_row_get(&m, m.row_ids[m.h->n_rows / 2], &tk, &e);
        t_row1[it] = progress_now() - t0;
        t0 = progress_now();
        scrape_map_row_get(&m, m.row_ids[m.h->n_rows / 2], &tk, &e);
        t_row2[it] = progress_now() - t0;
        t0 = progress_now();
        if (scrape_map_verify_tokens(&m, &e)) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
        t_tok[it] = progress_now() - t0;
        t0 = progress_now();
        scrape_hash h;
        scrape_hash_init(&h);
        scrape_hash_update(&h, m.tokens, tok_bytes);
        volatile uint64_t x = scrape_hash_final(&h);
        (void)x;
        t_hash[it] = progress_now() - t0;
        scrape_store_unmap(&m);
    }
    /* the same data as version 1: header fields of version 2 zeroed, the sums section cut off */
    char p1[4300], cmd[9000];
    snprintf(p1, sizeof p1, "%s.v1", path);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, p1);
    double *t_v1 = calloc((size_t)iters, sizeof(double));
    if (system(cmd) == 0) {
        FILE *f = fopen(p1, "r+b");
        scrape_header h;
        if (f && fread(&h, sizeof h, 1, f) == 1) {
            uint64_t end = h.fire_f ? h.off_fire + 4ull * L * C * k * (1 + 2ull * h.fire_f) : h.off_tokens + 4ull * h.n_rows * h.ctx;
            h.version = 1;
            h.file_bytes = end;
            memset((unsigned char *)&h + offsetof(scrape_header, off_sums), 0, sizeof h - offsetof(scrape_header, off_sums));
            fseek(f, 0, SEEK_SET);
            fwrite(&h, sizeof h, 1, f);
            fclose(f);
            if (truncate(p1, (off_t)end)) perror("truncate");
            for (long it = 0; it < iters; it++) {
                scrape_map m;
                t0 = progress_now();
                if (scrape_store_map(p1, &m, &e)) {
                    fprintf(stderr, "v1: %s\n", e.msg);
                    return 1;
                }
                t_v1[it] = progress_now() - t0;
                scrape_store_unmap(&m);
            }
        }
        unlink(p1);
    }
    unlink(path);
    printf("examples.bin: 12 layers x 3072 neurons x top-%ld, %llu rows stored of %ld tokens, firing lists %ld\n", k,
           (unsigned long long)rs.n, ctx, fire);
    printf("  file %.1f MB (tokens %.1f MB, the other sections %.1f MB); written in %.2f s\n", file_bytes / 1e6,
           tok_bytes / 1e6, sec_bytes / 1e6, t_write);
    printf("  open (map + every checksum but the tokens'):  %8.1f ms  (%.2f GB/s over the other sections)\n",
           1e3 * median(t_open, (int)iters), sec_bytes / median(t_open, (int)iters) / 1e9);
    printf("  open of the same data as version 1 (no checksums): %8.1f ms\n", 1e3 * median(t_v1, (int)iters));
    printf("  first read of a row (its %u-row block checked): %8.3f ms; again: %.4f ms\n",
           (unsigned)(SCRAPE_SUM_BLOCK_BYTES / (4 * ctx)), 1e3 * median(t_row1, (int)iters),
           1e3 * median(t_row2, (int)iters));
    printf("  every tokens block:                           %8.1f ms  (%.2f GB/s)\n", 1e3 * median(t_tok, (int)iters),
           tok_bytes / median(t_tok, (int)iters) / 1e9);
    printf("  n2g-fh64 over the tokens section alone:       %8.1f ms  (%.2f GB/s)\n", 1e3 * median(t_hash, (int)iters),
           tok_bytes / median(t_hash, (int)iters) / 1e9);
    return 0;
}
