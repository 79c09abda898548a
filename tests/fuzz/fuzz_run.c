/* fuzz_run.c — libFuzzer target for the run-directory readers: any bytes as RUN/manifest.json +
 * RUN/examples.bin open or fail cleanly with a message (scrape_run_open: the mapping, the
 * checksums, the manifest against the header; scrape_manifest_check: a resume's comparison;
 * the model path), and when they open, every neuron's examples, stats, firing lists and rows
 * read without touching memory outside the file.
 * Input: a u16 little-endian manifest length, the manifest's bytes, then examples.bin's bytes.
 * N2G_FUZZ_SEED_DIR=DIR (run once with -runs=0): writes a valid small run there as a seed.
 * Build: CC=clang cmake -S . -B build-fuzz -DN2G_FUZZ=ON ... ; run build-fuzz/fuzz_run */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "ops/ops_topk.h"
#include "scrape/scrape_manifest.h"
#include "scrape/scrape_run.h"
#include "scrape/scrape_store.h"

static char man_path[320], ex_path[320];
static volatile double sink; /* reads that must happen */
static gpt2_config cfg = {2, 8, 2, 16, 16, 50257, 4, 1e-5f, "gelu_new"};
static int layers[2] = {0, 1};
static scrape_file_id files[1] = {{"corpus.txt", 123, 0x1234, 0, 0, 0}};
static scrape_ident ident = {.model_dir = "/nonexistent/model", .cfg = &cfg, .dtype = "F32", .st_bytes = 1000,
                             .st_hash = 0xabcdef, .vocab = "model", .n_files = 1, .files = files, .layers = layers,
                             .n_layers = 2, .top_k = 2, .ctx = 8, .fire_f = 3, .fire_ratio = 0.5f};

/* a valid run of ident's shape: 2 layers x 4 neurons x top-2, rows of 8 tokens, firing lists */
static void write_seed(const char *seed_dir) {
    scrape_state s = {0};
    s.n_layers = 2, s.d_mlp = 4, s.k = 2, s.ctx = 8, s.layers = layers;
    s.flags = SCRAPE_FLAG_COMPLETE, s.rows_scanned = 6, s.positions = 6 * 7;
    s.ident_hash = scrape_ident_hash(&ident);
    size_t ck = 8;
    uint32_t topk[2 * 3 * 8];
    float stats[2 * 4 * 2] = {0};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < ck; i++) {
            float v = 5.0f - (float)(i % 2);
            memcpy(&topk[l * 3 * ck + i], &v, 4);
            topk[l * 3 * ck + ck + i] = (uint32_t)((i + l) % 5);
            topk[l * 3 * ck + 2 * ck + i] = (uint32_t)(1 + i % 7);
        }
    s.topk = topk, s.stats = stats;
    s.fire_f = 3, s.fire_ratio = 0.5f;
    size_t per = ops_topk_fire_words(4, 2, 3);
    s.fire = calloc(2 * per, 4);
    for (int l = 0; l < 2; l++) ops_topk_fire_init_host(s.fire + l * per, 4, 2, 3);
    scrape_rows rows;
    scrape_rows_init(&rows, 8);
    n2g_err e = {0};
    for (uint32_t r = 0; r < 6; r++) {
        int32_t tok[8];
        for (int t = 0; t < 8; t++) tok[t] = (int32_t)(r * 100 + t);
        scrape_rows_append(&rows, r, tok, &e);
    }
    if (scrape_checkpoint_write(man_path, ex_path, &ident, &s, &rows, &e)) {
        fprintf(stderr, "seed: %s\n", e.msg);
        abort();
    }
    free(s.fire);
    scrape_rows_free(&rows);
    FILE *m = fopen(man_path, "rb"), *x = fopen(ex_path, "rb");
    static uint8_t buf[1 << 16];
    size_t nm = fread(buf + 2, 1, sizeof buf - 2, m);
    size_t nx = fread(buf + 2 + nm, 1, sizeof buf - 2 - nm, x);
    fclose(m);
    fclose(x);
    buf[0] = (uint8_t)(nm & 0xff), buf[1] = (uint8_t)(nm >> 8);
    char p[4200];
    snprintf(p, sizeof p, "%s/run", seed_dir);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(buf, 1, 2 + nm + nx, f) != 2 + nm + nx) abort();
    fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    snprintf(man_path, sizeof man_path, "%s/manifest.json", fuzz_dir());
    snprintf(ex_path, sizeof ex_path, "%s/examples.bin", fuzz_dir());
    const char *seed = getenv("N2G_FUZZ_SEED_DIR");
    if (seed && *seed) write_seed(seed);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t nm = (size_t)data[0] | (size_t)data[1] << 8;
    if (nm > size - 2) nm = size - 2;
    fuzz_file(0, "manifest.json", data + 2, nm);
    fuzz_file(1, "examples.bin", data + 2 + nm, size - 2 - nm);
    const char *dir = fuzz_dir();
    n2g_err e = {0};
    scrape_run *r = NULL;
    if (scrape_run_open(dir, 1, &r, &e) == 0) {
        int k = scrape_run_k(r), ctx = scrape_run_ctx(r), d = scrape_run_d_mlp(r);
        scrape_example ex[OPS_TOPK_MAX_K];
        for (int i = 0; i < scrape_run_n_layers(r); i++) {
            int l = scrape_run_layer(r, i);
            for (int c = 0; c < d; c++) {
                int n = scrape_run_topk(r, l, c, ex);
                if (n < 0 || n > k) abort();
                scrape_neuron_stats st;
                if (scrape_run_stats(r, l, c, &st)) abort();
                for (int j = 0; j < n; j++) {
                    const int32_t *tok;
                    n2g_err e2 = {0};
                    int got = scrape_run_row_get(r, ex[j].row, &tok, &e2);
                    if (got == 1) {
                        for (int t = 0; t < ctx; t++) sink += tok[t];
                    } else if (got < 0) {
                        fuzz_check_err(&e2);
                    }
                    if (ex[j].pos >= (uint32_t)ctx) abort(); /* the mapping checks every example */
                    const uint32_t *pos;
                    const float *val;
                    float ratio;
                    int nf = scrape_run_fire(r, l, c, j, &pos, &val, &ratio);
                    for (int q = 0; q < nf; q++) {
                        if (pos[q] >= (uint32_t)ctx) abort(); /* scrape_run_fire checks the positions */
                        sink += val[q];
                    }
                }
            }
        }
        char md[4096];
        n2g_err e3 = {0};
        scrape_model_find(dir, scrape_run_manifest(r), NULL, 0, md, sizeof md, &e3);
        scrape_run_close(r);
    } else {
        fuzz_check_err(&e);
    }
    /* the resume's comparison of an existing manifest with this command's identity */
    n2g_err e4 = {0};
    scrape_manifest_check(man_path, &ident, &e4);
    scrape_file_id counts[1] = {{"corpus.txt", 123, 0x1234, 0, 0, 0}};
    scrape_manifest_read_counts(man_path, counts, 1);
    return 0;
}
