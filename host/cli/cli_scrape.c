/* cli_scrape.c — `n2g scrape`: the per-neuron max-activating examples of a corpus. */
#include <errno.h>
#include <limits.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "common/atomic_write.h"
#include "common/fileio.h"
#include "common/outdir.h"
#include "dist/dist.h"
#include "ops/ops_topk.h"
#include "scrape/scrape.h"
#include "scrape/scrape_lock.h"

static const char *scrape_help =
    "usage: n2g scrape --model DIR --corpus PATH... --out RUN [--layers 0-11] [--top-k 20] [--ctx 1024]\n"
    "                  [--max-tokens N] [--batch B] [--device N|cpu] [--include-bos] [--fire-lists[=N]]\n"
    "                  [--strict] [--quiet] [--checkpoint-secs S] [--checkpoint-rows R]\n"
    "\n"
    "Streams the corpus in rows of CTX tokens (BOS + text, documents joined by EOS) through the model\n"
    "and keeps, for every neuron of the chosen layers (blocks.L.mlp.hook_post), the TOP-K rows with\n"
    "the highest max activation (ties: earlier row first), with the position of that max. The\n"
    "top-k is kept on the device; RUN/ gets manifest.json and examples.bin.\n"
    "  --model DIR          Hugging Face GPT-2 directory (config.json + model.safetensors)\n"
    "  --corpus PATH...     .txt / .jsonl files or directories (gzip / zstd ok), in order; '-' reads\n"
    "                       standard input (one text document) to its end into RUN/corpus-stdin.txt,\n"
    "                       the run's copy: a resume reads it again (pipe the same text to rerun)\n"
    "  --out RUN            run directory; rerunning the same command resumes an interrupted scrape\n"
    "  --layers LIST        e.g. 0-11, 5, 0,3,8-11 (default: all)\n"
    "  --top-k K            examples per neuron (default 20, at most 256)\n"
    "  --ctx N              tokens per row (default: the model's n_ctx)\n"
    "  --max-tokens N       stop after N tokens (rounded down to whole rows; default: whole corpus)\n"
    "  --batch B            rows per forward pass (default: automatic; does not change the result)\n"
    "  --device N|cpu       Vulkan device index (see 'n2g devices') or the CPU backend\n"
    "  --include-bos        let position 0 (BOS) count in max / argmax / mean, as Neuroscope did\n"
    "  --fire-lists[=N]     also keep, for every example, the positions of its row where the neuron\n"
    "                       reaches half the row's max (up to N, default 32): n2g build then scores\n"
    "                       those test rows without running them again\n"
    "  --strict             stop at the first bad corpus input (invalid UTF-8, bad JSONL line,\n"
    "                       damaged .gz/.zst) instead of skipping it with a warning and a count\n"
    "  --checkpoint-secs S  checkpoint every S seconds (default 300; 0 = after every batch)\n"
    "  --checkpoint-rows R  also checkpoint every R rows\n"
    "  --quiet              no progress bar\n"
    "Under mpirun / srun (a build with MPI), each rank scans its share of the rows on its own device\n"
    "(the machine's ranks take devices in turn unless --device is given) and the run directory is\n"
    "byte-identical to a single process's.\n"
    "SIGINT / SIGTERM write a checkpoint and stop (a second one stops at once); rerun the same\n"
    "command to continue.\n";

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
    const char **corpus = calloc((size_t)argc, sizeof *corpus);
    int layers[4096], rc = 2;
    const char *device = NULL, *layer_s = NULL;
    n2g_err err = {0};
    if (!corpus) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v;
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(scrape_help, stdout);
            rc = 0;
            goto out;
        } else if (!strcmp(a, "--include-bos")) {
            p.include_bos = 1;
        } else if (!strcmp(a, "--fire-lists")) {
            p.fire_lists = SCRAPE_FIRE_F;
        } else if (!strncmp(a, "--fire-lists=", 13)) {
            char *end;
            long f = strtol(a + 13, &end, 10);
            if (end == a + 13 || *end || f < 1 || f > OPS_TOPK_MAX_F) {
                rc = cli_usage("scrape", "--fire-lists=N: N (entries per list) must be 1..%d, got '%s'", OPS_TOPK_MAX_F,
                               a + 13);
                goto out;
            }
            p.fire_lists = (int)f;
        } else if (!strcmp(a, "--strict")) {
            p.strict = 1;
        } else if (!strcmp(a, "--quiet")) {
            p.quiet = 1;
        } else if (!strcmp(a, "--corpus")) {
            if (!val || !strncmp(val, "--", 2)) {
                rc = cli_usage("scrape", "--corpus needs at least one path");
                goto out;
            }
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2)) corpus[p.n_corpus++] = argv[++i];
        } else if (strcmp(a, "--model") && strcmp(a, "--out") && strcmp(a, "--device") && strcmp(a, "--layers") &&
                   strcmp(a, "--top-k") && strcmp(a, "--ctx") && strcmp(a, "--batch") && strcmp(a, "--max-tokens") &&
                   strcmp(a, "--checkpoint-rows") && strcmp(a, "--checkpoint-secs")) {
            rc = cli_unknown("scrape", a);
            goto out;
        } else if (!val) {
            rc = cli_usage("scrape", "%s needs a value", a);
            goto out;
        } else if (!strcmp(a, "--model")) {
            p.model_dir = argv[++i];
        } else if (!strcmp(a, "--out")) {
            p.out = cli_dir(argv[++i]);
        } else if (!strcmp(a, "--device")) {
            device = argv[++i];
        } else if (!strcmp(a, "--layers")) {
            layer_s = argv[++i];
        } else if (!strcmp(a, "--top-k")) {
            if ((rc = cli_int_opt("scrape", a, argv[++i], 1, OPS_TOPK_MAX_K, &v))) goto out;
            p.top_k = (int)v;
        } else if (!strcmp(a, "--ctx")) {
            if ((rc = cli_int_opt("scrape", a, argv[++i], 2, 1 << 20, &v))) goto out;
            p.ctx = (int)v;
        } else if (!strcmp(a, "--batch")) {
            if ((rc = cli_int_opt("scrape", a, argv[++i], 1, 1 << 16, &v))) goto out;
            p.batch = (int)v;
        } else if (!strcmp(a, "--max-tokens") || !strcmp(a, "--checkpoint-rows")) {
            char *end;
            const char *s = argv[++i];
            errno = 0;
            unsigned long long u = strtoull(s, &end, 10);
            if (!*s || *end || *s == '-' || errno || (u == 0 && a[2] == 'm')) {
                rc = cli_usage("scrape", "%s: expected an integer in %d..%llu, got '%s'", a, a[2] == 'm', ULLONG_MAX, s);
                goto out;
            }
            *(a[2] == 'm' ? &p.max_tokens : &p.checkpoint_rows) = u;
        } else if (!strcmp(a, "--checkpoint-secs")) {
            char *end;
            double d = strtod(argv[++i], &end);
            if (!*argv[i] || *end || !(d >= 0)) {
                rc = cli_usage("scrape", "--checkpoint-secs: expected seconds >= 0, got '%s'", argv[i]);
                goto out;
            }
            p.checkpoint_secs = d;
        }
    }
    if (!p.model_dir || !p.out || !p.n_corpus) {
        rc = cli_usage("scrape", "--model, --corpus and --out are required");
        goto out;
    }
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
        if (strcmp(corpus[i], "-")) continue;
        if (dist_size() > 1) {
            rc = cli_usage("scrape", "--corpus - (standard input) is not supported under mpirun; give files");
            goto out;
        }
        for (int j = i + 1; j < p.n_corpus; j++)
            if (!strcmp(corpus[j], "-")) {
                rc = cli_usage("scrape", "--corpus: '-' (standard input) given twice");
                goto out;
            }
        if (spool_stdin(p.out, stdin_path, sizeof stdin_path, &err)) {
            rc = cli_error(&err);
            goto out;
        }
        corpus[i] = stdin_path;
    }
    dist_pick_device(&p.ops, device != NULL);
    int quiet_rank = dist_rank() > 0; /* only rank 0 reports */
    p.ops.quiet = p.quiet || quiet_rank;
    p.corpus = corpus;
    p.stop = &stop_flag;
    p.cpu_fallback = device == NULL;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C stops at once (the last checkpoint stays valid) */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    scrape_result res;
    int failed = scrape_scan(&p, &res, &err);
    if (res.note[0] && !quiet_rank) fprintf(stderr, "n2g scrape: %s\n", res.note);
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
    free(corpus);
    return rc;
}
