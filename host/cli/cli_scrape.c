/* cli_scrape.c — `n2g scrape`: the per-neuron max-activating examples of a corpus. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/atomic_write.h"
#include "common/fileio.h"
#include "common/outdir.h"
#include "dist/dist.h"
#include "ops/ops_topk.h"
#include "scrape/scrape.h"
#include "scrape/scrape_lock.h"

static const cli_cmd scrape_cmd = {
    "scrape",
    "Streams the corpus in rows of CTX tokens (BOS + text, documents joined by EOS) through the model\n"
    "and keeps, for every neuron of the chosen layers (blocks.L.mlp.hook_post), the TOP-K rows with\n"
    "the highest max activation (ties: earlier row first), with the position of that max. The\n"
    "top-k is kept on the device; RUN/ gets manifest.json and examples.bin.\n",
    "Under mpirun / srun (a build with MPI), each rank scans its share of the rows on its own device\n"
    "(the machine's ranks take devices in turn unless --device is given) and the run directory is\n"
    "byte-identical to a single process's.\n"
    "SIGINT / SIGTERM write a checkpoint and stop (a second one stops at once); rerun the same\n"
    "command to continue.\n",
};

#ifndef SCRAPE_STDIN_NAME
#define SCRAPE_STDIN_NAME "corpus-stdin.txt"
#endif

/* --corpus -: standard input is read to its end into RUN/corpus-stdin.txt (SCRAPE_STDIN_NAME),
 * which then is the run's corpus: the hash of the bytes read is the run's identity, an
 * interrupted scrape resumes from that copy, and build counts casings from it. A rerun with
 * --corpus - must pipe the same bytes (compared with the copy, which is never replaced). */
static int same_file(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    static char ba[1 << 16], bb[1 << 16];
    while (same) {
        size_t na = fread(ba, 1, sizeof ba, fa), nb = fread(bb, 1, sizeof bb, fb);
        same = na == nb && !memcmp(ba, bb, na) && !ferror(fa) && !ferror(fb);
        if (na == 0) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* a run directory, or one holding only what a scrape writes before its manifest */
static int scrape_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *de;
    int ok = 1;
    while (ok && (de = readdir(d))) {
        const char *n = de->d_name;
        ok = !strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "manifest.json") || !strncmp(n, "manifest.json.tmp", 17) ||
             !strncmp(n, "examples.bin.tmp", 16) || !strcmp(n, SCRAPE_LOCK_NAME) || !strncmp(n, SCRAPE_STDIN_NAME, strlen(SCRAPE_STDIN_NAME));
    }
    closedir(d);
    return ok;
}

static int spool_stdin(const char *out, char *path, size_t cap, n2g_err *err) {
    if (n2g_outdir_foreign(out, "manifest.json", scrape_dir))
        return n2g_failc(err, N2G_E_USAGE, "--out %s: the directory is not empty and holds no scrape run (no manifest.json); "
                         "choose a new or empty directory", out);
    if (n2g_make_dir(out, 0, err)) return -1;
    snprintf(path, cap, "%s/%s", out, SCRAPE_STDIN_NAME);
    n2g_afile a;
    if (n2g_afile_open(&a, path, 0, err)) return -1;
    static char buf[1 << 20];
    size_t got;
    int bad = 0;
    while ((got = fread(buf, 1, sizeof buf, stdin)) > 0)
        if (fwrite(buf, 1, got, a.f) != got) bad = 1;
    if (ferror(stdin)) {
        n2g_afile_abort(&a);
        return n2g_fail(err, "standard input: read error");
    }
    if (bad || fflush(a.f)) {
        n2g_fail(err, "%s: write failed (disk full?)", a.tmp);
        n2g_afile_abort(&a);
        return -1;
    }
    if (!n2g_is_file(path)) return n2g_afile_commit(&a, err);
    /* a rerun: the same bytes resume, others are refused */
    int same = same_file(a.tmp, path);
    n2g_afile_abort(&a);
    if (!same)
        return n2g_failc(err, N2G_E_USAGE, "--corpus -: standard input differs from the text this run read from it "
                         "(kept in %s); pipe the same text to resume, or choose a new --out", path);
    return 0;
}

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

int cli_scrape(int argc, char **argv) {
    scrape_params p = {0};
    p.top_k = 20;
    p.checkpoint_secs = 300;
    cli_list corpus = {0};
    int layers[4096], rc;
    const char *device = NULL, *layer_s = NULL;
    n2g_err err = {0};
    cli_opt opts[] = {
        {CLI_OPT_STR("--model", &p.model_dir, "DIR", "Hugging Face GPT-2 directory (config.json + model.safetensors)"),
         .flags = CLI_REQUIRED},
        {CLI_OPT_LIST("--corpus", &corpus, "PATH",
                      ".txt / .jsonl files or directories (gzip / zstd ok), in order; '-' reads standard input (one "
                      "text document) to its end into RUN/corpus-stdin.txt, the run's copy: a resume reads it again "
                      "(pipe the same text to rerun)"),
         .flags = CLI_REQUIRED},
        {CLI_OPT_DIR("--out", &p.out, "RUN", "run directory; rerunning the same command resumes an interrupted scrape"),
         .flags = CLI_REQUIRED},
        {CLI_OPT_STR("--layers", &layer_s, "LIST", "e.g. 0-11, 5, 0,3,8-11 (default: all)")},
        {CLI_OPT_INT("--top-k", &p.top_k, "K", 1, OPS_TOPK_MAX_K, "examples per neuron (default 20, at most 256)")},
        {CLI_OPT_INT("--ctx", &p.ctx, "N", 2, 1 << 20, "tokens per row (default: the model's n_ctx)")},
        {CLI_OPT_U64("--max-tokens", &p.max_tokens, "N", 1, UINT64_MAX,
                     "stop after N tokens (rounded down to whole rows; default: whole corpus)")},
        {CLI_OPT_INT("--batch", &p.batch, "B", 1, 1 << 16,
                     "rows per forward pass (default from the device and the model: 2 on the CPU, 8 on lavapipe, up "
                     "to 131072 tokens' worth on a large GPU; --profile prints it; does not change the result)")},
        {CLI_OPT_FLAG("--profile", &p.ops.profile, "print the batch size chosen and per-op device timings to stderr")},
        {CLI_OPT_DEVICE(&device, "Vulkan device index (see 'n2g devices') or the CPU backend")},
        {CLI_OPT_FLAG("--include-bos", &p.include_bos, "let position 0 (BOS) count in max / argmax / mean, as Neuroscope did")},
        {CLI_OPT_INT("--fire-lists", &p.fire_lists, "N", 1, OPS_TOPK_MAX_F,
                     "also keep, for every example, the positions of its row where the neuron reaches half the row's "
                     "max (up to N, default 32): n2g build then scores those test rows without running them again"),
         .flags = CLI_OPTVAL, .implied = SCRAPE_FIRE_F},
        {CLI_OPT_FLAG("--strict", &p.strict,
                      "stop at the first bad corpus input (invalid UTF-8, bad JSONL line, damaged .gz/.zst) instead of "
                      "skipping it with a warning and a count")},
        {CLI_OPT_FLAG("--quiet", &p.quiet, "no progress bar")},
        {CLI_OPT_DOUBLE("--checkpoint-secs", &p.checkpoint_secs, "S", 0, INFINITY,
                        "checkpoint every S seconds (default 300; 0 = after every batch)")},
        {CLI_OPT_U64("--checkpoint-rows", &p.checkpoint_rows, "R", 0, UINT64_MAX, "also checkpoint every R rows")},
    };
    rc = CLI_PARSE(&scrape_cmd, opts, argc, argv);
    if (rc != CLI_RUN) return rc;
    p.n_corpus = corpus.n;
    if (layer_s) {
        int n = scrape_parse_layers(layer_s, 0, layers, 4096, &err);
        if (n < 0) {
            rc = cli_error(&err);
            goto out;
        }
        p.layers = layers;
        p.n_layers = n;
    }
    if (cli_parse_device(device, &p.ops, &err)) {
        rc = cli_error(&err);
        goto out;
    }
    if (dist_init(&err)) {
        rc = cli_error(&err);
        goto out;
    }
    char stdin_path[4300];
    for (int i = 0; i < p.n_corpus; i++) {
        if (strcmp(corpus.v[i], "-")) continue;
        if (dist_size() > 1) {
            rc = cli_usage("scrape", "--corpus - (standard input) is not supported under mpirun; give files");
            goto out;
        }
        for (int j = i + 1; j < p.n_corpus; j++)
            if (!strcmp(corpus.v[j], "-")) {
                rc = cli_usage("scrape", "--corpus: '-' (standard input) given twice");
                goto out;
            }
        if (spool_stdin(p.out, stdin_path, sizeof stdin_path, &err)) {
            rc = cli_error(&err);
            goto out;
        }
        corpus.v[i] = stdin_path;
    }
    p.ops.local_rank = dist_local_rank(); /* the ranks of a machine share its devices (ops_open) */
    p.ops.local_size = dist_local_size();
    int quiet_rank = dist_rank() > 0; /* only rank 0 reports */
    p.ops.quiet = p.quiet || quiet_rank;
    p.corpus = corpus.v;
    p.stop = &stop_flag;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C stops at once (the last checkpoint stays valid) */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    scrape_result res;
    int failed = scrape_scan(&p, &res, &err);
    if (failed) {
        rc = cli_error(&err);
        dist_abort(rc); /* several ranks: end them all (a rerun resumes) */
        goto out;
    }
    dist_finalize();
    if (quiet_rank) {
        rc = res.interrupted ? 1 : 0;
        goto out;
    }
    rc = 0;
    if (p.ops.profile && res.batch)
        fprintf(stderr, "sizes: --batch %d (%s); device: %s\n", res.batch, p.batch ? "given" : "default",
                res.sizes_basis);
    if (res.interrupted) {
        fprintf(stderr, "n2g scrape: interrupted; checkpoint at row %llu written to %s; rerun the same command to "
                        "continue\n", (unsigned long long)res.rows, p.out);
        rc = 1;
    } else if (res.already_complete) {
        if (!p.quiet)
            fprintf(stderr, "n2g scrape: %s is already complete (%llu rows, %llu rows stored)\n", p.out,
                    (unsigned long long)res.rows, (unsigned long long)res.rows_stored);
    } else if (!p.quiet) {
        fprintf(stderr, "n2g scrape: %llu rows (%llu tokens) scanned%s, %llu rows stored in %s; %.0f tokens/s\n",
                (unsigned long long)res.rows, (unsigned long long)res.tokens, res.resumed ? " (resumed)" : "",
                (unsigned long long)res.rows_stored, p.out, res.tokens_per_s);
        if (res.ranks > 1)
            fprintf(stderr, "n2g scrape: %d ranks; rank 0 spent %.1f%% of the scan waiting for or exchanging with the "
                            "others (the ring of sums, stop agreement, checkpoint merges)\n",
                    res.ranks, res.seconds > 0 ? 100.0 * res.dist_seconds / res.seconds : 0.0);
    }
    if (!res.interrupted && res.corpus_note[0]) /* like the warnings, shown with --quiet too */
        fprintf(stderr, "n2g scrape: corpus input skipped or replaced (counts per file in %s/manifest.json): %s\n", p.out,
                res.corpus_note);
out:
    free(corpus.v);
    return rc;
}
