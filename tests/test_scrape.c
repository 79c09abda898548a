/* test_scrape.c — `n2g scrape` end to end against a brute-force oracle, and its bad inputs.
 *
 * Oracle: the corpus rows are read with the corpus reader, every row's hook_post of every
 * layer is computed on the CPU backend with gpt2_hook_post_all (one sequence at a time, no
 * scrape code involved), and each neuron's rows are sorted by (row max desc, row asc). The
 * scrape's run directory (read through the scrape_run API) must hold the same rows in the
 * same order with the same argmax positions, values within tolerance, for several batch sizes
 * and on both backends; the stored tokens must be the corpus rows; count and mean must match.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "topk_oracle.h"
#include "model/gpt2.h"
#include "scrape/scrape.h"
#include "scrape/scrape_run.h"
#include "scrape/scrape_store.h"
#include "text/bpe.h"
#include "text/corpus.h"

enum { CTX = 24, ROWS = 90, K = 6 };


static const char *model_dir, *corpus_path;
static gpt2_config cfg;
static int32_t rows_tok[ROWS][CTX];
static int n_rows;
static float *acts; /* [rows][layer][CTX][d_mlp] */

static void oracle(void) {
    n2g_err e = {0};
    bpe_tokenizer *tok = bpe_load_dir(model_dir, &e);
    CHECK(tok != NULL, "tokenizer: %s", e.msg);
    corpus_options o = corpus_default_options(tok);
    o.n_ctx = CTX;
    o.quiet = 1;
    corpus_reader *rd = NULL;
    const char *paths[1] = {corpus_path};
    CHECK(!corpus_open(paths, 1, tok, &o, &rd, &e), "corpus: %s", e.msg);
    n_rows = (int)corpus_next_rows(rd, &rows_tok[0][0], ROWS, &e);
    CHECK(n_rows == ROWS, "corpus rows %d", n_rows);
    corpus_close(rd);
    bpe_free(tok);

    gpt2_model *m = NULL;
    CHECK(!gpt2_load(model_dir, &m, &e), "load: %s", e.msg);
    cfg = m->cfg;
    ops_options oo = {.kind = OPS_CPU};
    ops_ctx *ops = NULL;
    CHECK(!ops_create(&oo, &ops, &e), "cpu: %s", e.msg);
    gpt2_runner *r = NULL;
    CHECK(!gpt2_runner_create(m, ops, cfg.n_layer - 1, 1, CTX, &r, &e), "runner: %s", e.msg);
    size_t per_row = (size_t)cfg.n_layer * CTX * cfg.d_mlp;
    acts = malloc(per_row * ROWS * sizeof *acts);
    for (int i = 0; i < n_rows; i++)
        CHECK(!gpt2_hook_post_all(r, rows_tok[i], CTX, cfg.n_layer - 1, acts + i * per_row, &e), "fwd: %s", e.msg);
    gpt2_runner_free(r);
    ops_destroy(ops);
    gpt2_free(m);
}

static float act(int row, int l, int t, int c) {
    return acts[(((size_t)row * cfg.n_layer + l) * CTX + t) * cfg.d_mlp + c];
}

/* Compares RUN with the oracle for layers [n_layers]; returns mismatches. */
static int compare(const char *run_dir, const int *layers, int n_layers, int k, int p0, int rows, const char *what) {
    n2g_err e = {0};
    scrape_run *run = NULL;
    if (scrape_run_open(run_dir, 0, &run, &e)) {
        CHECK(0, "%s: open run: %s", what, e.msg);
        return 1;
    }
    int bad = 0;
    CHECK(scrape_run_n_layers(run) == n_layers && scrape_run_k(run) == k && scrape_run_ctx(run) == CTX, "%s: shape",
          what);
    CHECK(scrape_run_rows_scanned(run) == (uint64_t)rows, "%s: rows %llu", what,
          (unsigned long long)scrape_run_rows_scanned(run));
    for (int li = 0; li < n_layers; li++) {
        int l = layers[li];
        for (int c = 0; c < cfg.d_mlp; c++) {
            oracle_ex all[ROWS];
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                all[r] = (oracle_ex){-INFINITY, (uint32_t)r, 0};
                for (int t = p0; t < CTX; t++) {
                    float v = act(r, l, t, c);
                    if (v > all[r].v) all[r].v = v, all[r].pos = (uint32_t)t;
                    sum += v;
                }
            }
            qsort(all, (size_t)rows, sizeof *all, oracle_ex_cmp);
            scrape_example got[256];
            int n = scrape_run_topk(run, l, c, got);
            int want = k < rows ? k : rows;
            if (n != want) {
                if (bad++ < 5) fprintf(stderr, "%s: %d:%d has %d examples, want %d\n", what, l, c, n, want);
                continue;
            }
            for (int j = 0; j < n; j++) {
                if (got[j].row != all[j].row || got[j].pos != all[j].pos || fabsf(got[j].value - all[j].v) > 1e-4f) {
                    if (bad++ < 5)
                        fprintf(stderr, "%s: %d:%d slot %d: got (%.7g, row %u, pos %u) want (%.7g, row %u, pos %u)\n",
                                what, l, c, j, got[j].value, got[j].row, got[j].pos, all[j].v, all[j].row, all[j].pos);
                }
                const int32_t *tok = scrape_run_row(run, got[j].row);
                if (!tok || (got[j].row < (uint32_t)rows && memcmp(tok, rows_tok[got[j].row], sizeof rows_tok[0])))
                    if (bad++ < 5) fprintf(stderr, "%s: row %u tokens wrong or missing\n", what, got[j].row);
            }
            scrape_neuron_stats st;
            CHECK(!scrape_run_stats(run, l, c, &st), "stats");
            uint64_t count = (uint64_t)rows * (CTX - p0);
            double mean = sum / (double)count;
            if (st.count != count || fabs(st.mean - mean) > 1e-4 * (1 + fabs(mean)) || st.max != got[0].value)
                if (bad++ < 5) fprintf(stderr, "%s: %d:%d stats (%g, %g, %llu) want mean %g count %llu\n", what, l, c,
                                       st.max, st.mean, (unsigned long long)st.count, mean, (unsigned long long)count);
        }
    }
    CHECK(!scrape_run_has_neuron(run, cfg.n_layer, 0) && !scrape_run_has_neuron(run, layers[0], cfg.d_mlp),
          "%s: has_neuron bounds", what);
    scrape_run_close(run);
    CHECK(bad == 0, "%s: %d mismatches against the brute-force oracle", what, bad);
    return bad;
}

static scrape_params base_params(const char *out) {
    static const char *corpus[1];
    corpus[0] = corpus_path;
    scrape_params p = {0};
    p.model_dir = model_dir;
    p.corpus = corpus;
    p.n_corpus = 1;
    p.out = out;
    p.top_k = K;
    p.ctx = CTX;
    p.max_tokens = (uint64_t)ROWS * CTX;
    p.quiet = 1;
    p.checkpoint_secs = 300;
    p.ops.kind = OPS_CPU;
    return p;
}

static int scan_ok(const scrape_params *p, const char *what) {
    n2g_err e = {0};
    scrape_result res;
    int rc = scrape_scan(p, &res, &e);
    CHECK(rc == 0, "%s: scrape failed: %s", what, e.msg);
    return rc;
}

static void expect_error(scrape_params p, const char *needle, const char *what) {
    n2g_err e = {0};
    scrape_result res;
    int rc = scrape_scan(&p, &res, &e);
    CHECK(rc == -1 && strstr(e.msg, needle), "%s: expected an error containing '%s', got rc %d '%s'", what, needle, rc,
          e.msg);
}

int main(void) {
    model_dir = check_src_path("tests/fixtures/gpt2-tiny");
    model_dir = strdup(model_dir);
    corpus_path = strdup(check_shared_path("data/corpus/fixture_small.txt"));
    oracle();
    if (check_failed) return check_finish();
    const char *tmp = check_tmpdir("scrape");
    char out[4096];
    int all_layers[2] = {0, 1};

    /* CPU backend, several batch sizes; default excludes BOS */
    int batches[] = {1, 4, 7, 32};
    for (size_t i = 0; i < sizeof batches / sizeof *batches; i++) {
        snprintf(out, sizeof out, "%s/cpu_b%d", tmp, batches[i]);
        scrape_params p = base_params(out);
        p.batch = batches[i];
        p.rowstore_bytes = batches[i] == 7 ? 1 : 0; /* prune the host row store after every batch */
        if (!scan_ok(&p, out)) compare(out, all_layers, 2, K, 1, ROWS, out);
    }
    /* --include-bos, one layer, k larger than a checkpoint-heavy run */
    snprintf(out, sizeof out, "%s/cpu_bos", tmp);
    {
        scrape_params p = base_params(out);
        int l1[1] = {1};
        p.layers = l1;
        p.n_layers = 1;
        p.include_bos = 1;
        p.batch = 5;
        p.top_k = 11;
        p.checkpoint_rows = 7; /* many checkpoints: prune + write + keep going */
        p.checkpoint_secs = 1e9;
        if (!scan_ok(&p, out)) compare(out, l1, 1, 11, 0, ROWS, out);
    }
    /* Vulkan backend (lavapipe in CI) */
    {
        ops_options o = {.kind = OPS_VK, .device = -1, .quiet = 1};
        ops_ctx *ops = NULL;
        n2g_err e = {0};
        if (ops_create(&o, &ops, &e)) {
            fprintf(stderr, "note: Vulkan unavailable (%s): Vulkan cases skipped\n", e.msg);
            CHECK(getenv("N2G_REQUIRE_VK") == NULL, "Vulkan required");
        } else {
            ops_destroy(ops);
            int vb[] = {3, 16};
            for (size_t i = 0; i < 2; i++) {
                snprintf(out, sizeof out, "%s/vk_b%d", tmp, vb[i]);
                scrape_params p = base_params(out);
                p.ops = o;
                p.batch = vb[i];
                if (!scan_ok(&p, out)) compare(out, all_layers, 2, K, 1, ROWS, out);
            }
        }
    }

    /* rerunning a finished run is a no-op; different parameters are refused */
    snprintf(out, sizeof out, "%s/cpu_b4", tmp);
    {
        scrape_params p = base_params(out);
        p.batch = 9; /* batch size is not part of the identity */
        scan_ok(&p, "rerun finished");
        p.top_k = K + 1;
        expect_error(p, "top_k", "different top-k on an existing run");
        p = base_params(out);
        p.include_bos = 1;
        expect_error(p, "include_bos", "different --include-bos on an existing run");
        p = base_params(out);
        p.max_tokens = (uint64_t)ROWS * CTX / 2;
        expect_error(p, "max_tokens", "different --max-tokens on an existing run");
    }
    /* a damaged examples.bin is refused with a message, never read out of bounds */
    {
        char src[4200], dst[4200], cmd[16384];
        snprintf(src, sizeof src, "%s/cpu_b4", tmp);
        snprintf(dst, sizeof dst, "%s/damaged", tmp);
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", dst, src, dst);
        CHECK(system(cmd) == 0, "copy run");
        char ex[4300];
        snprintf(ex, sizeof ex, "%s/examples.bin", dst);
        struct {
            long off;
            unsigned char byte;
            const char *needle;
        } cases[] = {{0, 'X', "bad magic"},
                     {8, 7, "unsupported format version 7 (this n2g reads version "},
                     {12, 7, "damaged header: header size 263, expected 256"},
                     {16, 0, "out of range"},
                     {56, 0xff, "bytes, but its header (2 layers x 256 neurons"},   /* n_rows: the shape needs another size */
                     {80, 0x01, "damaged header: field off_val is "}, /* an offset its shape contradicts */
                     {-4, 0, "truncated or damaged"}};
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
            snprintf(cmd, sizeof cmd, "cp '%s/examples.bin' '%s'", src, ex);
            CHECK(system(cmd) == 0, "copy");
            FILE *f = fopen(ex, "r+b");
            if (cases[i].off >= 0) {
                fseek(f, cases[i].off, SEEK_SET);
                fputc(cases[i].byte, f);
                fclose(f);
            } else {
                fseek(f, 0, SEEK_END);
                long len = ftell(f);
                fclose(f);
                CHECK(truncate(ex, len + cases[i].off) == 0, "truncate");
            }
            scrape_run *r = NULL;
            n2g_err e = {0};
            int rc = scrape_run_open(dst, 0, &r, &e);
            CHECK(rc == -1 && (!cases[i].needle || strstr(e.msg, cases[i].needle)),
                  "damaged case %zu: rc %d msg '%s'", i, rc, e.msg);
            scrape_run_close(r);
        }
        /* a row index pointing at no stored row */
        snprintf(cmd, sizeof cmd, "cp '%s/examples.bin' '%s'", src, ex);
        CHECK(system(cmd) == 0, "copy");
        scrape_map mm;
        n2g_err e = {0};
        CHECK(!scrape_store_map(ex, &mm, &e), "map: %s", e.msg);
        long row_off = (long)mm.h->off_row;
        scrape_store_unmap(&mm);
        FILE *f = fopen(ex, "r+b");
        fseek(f, row_off, SEEK_SET);
        uint32_t bogus = ROWS + 5;
        fwrite(&bogus, 4, 1, f);
        fclose(f);
        scrape_run *r = NULL;
        CHECK(scrape_run_open(dst, 0, &r, &e) == -1 && strstr(e.msg, "inconsistent"), "bogus row: %s", e.msg);
        scrape_run_close(r);
    }
    /* bad input */
    snprintf(out, sizeof out, "%s/bad", tmp);
    {
        scrape_params p = base_params(out);
        int l9[1] = {9};
        p.layers = l9;
        p.n_layers = 1;
        expect_error(p, "layer 9 does not exist", "unknown layer");
        p = base_params(out);
        p.top_k = 0;
        expect_error(p, "--top-k", "top-k 0");
        p = base_params(out);
        p.ctx = cfg.n_ctx + 1;
        expect_error(p, "--ctx", "ctx > n_ctx");
        char empty[4096];
        snprintf(empty, sizeof empty, "%s/empty.txt", tmp);
        FILE *f = fopen(empty, "w");
        fclose(f);
        const char *ec[1] = {empty};
        p = base_params(out);
        p.corpus = ec;
        expect_error(p, "no complete row", "empty corpus");
        p = base_params("/proc/n2g-cannot-write-here");
        expect_error(p, "cannot create directory", "unwritable --out");
        n2g_err e = {0};
        CHECK(scrape_parse_layers("3-1", 0, l9, 1, &e) == -1 && strstr(e.msg, "--layers"), "bad layer list: %s",
              e.msg);
    }
    free(acts);
    return check_finish();
}
