/* cli_build.c — `n2g build`: N2G graphs for the neurons of a scrape run. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dist/dist.h"
#include "n2g/build/build.h"

static const char *build_help =
    "usage: n2g build --run RUN [--neurons all | L:N,... | L:*] [--model DIR] [--augment casings|mlm|none]\n"
    "                 [--mlm DIR]\n"
    "                 [--casings FILE] [--mask-token ID] [--seed N] [--block N] [--batch-tokens N]\n"
    "                 [--no-svg] [--no-samples] [--full-importance] [--no-tree] [--rerun-test-rows]\n"
    "                 [--force] [--device N|cpu] [--profile] [--quiet]\n"
    "\n"
    "Builds the Neuron2Graph graph of each named neuron of a scrape run (n2g scrape): its top\n"
    "examples are split train / test, the training rows pruned, scored by masking and augmented,\n"
    "the samples fitted into a graph, and the graph scored on the test rows. Writes\n"
    "RUN/graphs/L_N.{json,dot,svg}, RUN/samples/L_N.json (the samples, as 'n2g fit --samples'\n"
    "reads them), RUN/build/L_N.json (per neuron, written last, with the options that shaped it),\n"
    "and at the end RUN/stats.json and RUN/neuron_store.json over every finished neuron, then prints\n"
    "the per-layer precision / recall / F1 table. Resumable: finished neurons are never recomputed;\n"
    "a rerun with other options (--seed, --augment, the casing table or MLM, --mask-token,\n"
    "--full-importance, --rerun-test-rows) is refused unless --force. Ctrl-C stops after the current\n"
    "step, keeping every finished neuron (exit 130); rerun the same command to continue. Without\n"
    "Graphviz the graphs are written without their SVG (a warning says how to render them).\n"
    "  --run RUN          the scrape run directory\n"
    "  --model DIR        the run's model, when it is no longer where the run's manifest says (a moved\n"
    "                     run); like that one, it must be the model the run was scraped from\n"
    "  --neurons LIST     all (default), L:N items and L:* (a whole layer), comma-separated\n"
    "  --augment MODE     casings (default): important words re-cased from a word-casing table;\n"
    "                     mlm: important words replaced by a masked language model's fill-mask\n"
    "                     candidates, as the reference (needs --mlm); none: no augmentation\n"
    "  --mlm DIR          DistilBertForMaskedLM checkpoint for --augment mlm (config.json,\n"
    "                     model.safetensors, vocab.txt; e.g. distilbert-base-uncased)\n"
    "  --casings FILE     word_to_casings.json (n2g casings); default RUN/word_to_casings.json,\n"
    "                     counted from the run's corpus files when missing\n"
    "  --mask-token ID    token that replaces each position when scoring importance (default 1,\n"
    "                     as the reference; GPT-2's id 1 is '\"')\n"
    "  --seed N           seed of the train/test split (default 0, numpy/sklearn permutation)\n"
    "  --block N          neurons per round, sharing forward passes (default 128)\n"
    "  --batch-tokens N   tokens per forward batch (default 16384)\n"
    "  --no-svg           do not render graphs/L_N.svg with Graphviz\n"
    "  --no-samples       do not write RUN/samples/L_N.json\n"
    "  --force            rebuild the named neurons that were built with other options\n"
    "  --full-importance  run every masked row in full (default: only as far as the graph reads\n"
    "                     the importance matrix; same graphs, less work)\n"
    "  --no-tree          run masked rows without sharing their common prefix (benchmarks; same\n"
    "                     graphs up to float rounding, more work)\n"
    "  --rerun-test-rows  run every test row, even when the scrape kept its firing list (scrape\n"
    "                     --fire-lists); gives the correlation field, same scores\n"
    "  --device N|cpu     Vulkan device index (see 'n2g devices') or the CPU backend\n"
    "  --profile          print per-op device timings and the probe work per phase to stderr\n"
    "  --quiet            no progress bar, no table\n"
    "Under mpirun / srun (a build with MPI), ranks take blocks of neurons as they finish (each on\n"
    "its own device unless --device is given); rank 0 writes stats.json and neuron_store.json.\n";

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

int cli_build(int argc, char **argv) {
    const char *sub = "build", *run = NULL, *device = NULL;
    n2g_build_opts o;
    n2g_build_defaults(&o);
    o.table = stdout;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(build_help, stdout);
            return 0;
        } else if (!strcmp(a, "--quiet")) {
            o.quiet = 1;
            o.table = NULL;
        } else if (!strcmp(a, "--no-svg")) {
            o.no_svg = 1;
        } else if (!strcmp(a, "--no-samples")) {
            o.no_samples = 1;
        } else if (!strcmp(a, "--force")) {
            o.force = 1;
        } else if (!strcmp(a, "--full-importance")) {
            o.full_importance = 1;
        } else if (!strcmp(a, "--profile")) {
            o.dev.profile = 1;
        } else if (!strcmp(a, "--rerun-test-rows")) {
            o.rerun_test_rows = 1;
        } else if (!strcmp(a, "--no-tree")) {
            o.no_tree = 1;
        } else if (!strcmp(a, "--run") || !strcmp(a, "--neurons") || !strcmp(a, "--augment") || !strcmp(a, "--mlm") ||
                   !strcmp(a, "--casings") || !strcmp(a, "--mask-token") || !strcmp(a, "--seed") ||
                   !strcmp(a, "--block") || !strcmp(a, "--batch-tokens") || !strcmp(a, "--device") ||
                   !strcmp(a, "--model")) {
            if (i + 1 >= argc) return cli_usage(sub, "%s needs a value", a);
            const char *val = argv[++i];
            if (!strcmp(a, "--run")) run = cli_dir(argv[i]);
            else if (!strcmp(a, "--neurons")) o.neurons = val;
            else if (!strcmp(a, "--model")) o.model_dir = val;
            else if (!strcmp(a, "--casings")) o.casings_path = val;
            else if (!strcmp(a, "--mlm")) o.mlm_dir = val;
            else if (!strcmp(a, "--device")) device = val;
            else if (!strcmp(a, "--augment")) {
                if (!strcmp(val, "casings")) o.augment = N2G_AUGMENT_CASINGS;
                else if (!strcmp(val, "none")) o.augment = N2G_AUGMENT_NONE;
                else if (!strcmp(val, "mlm")) o.augment = N2G_AUGMENT_MLM;
                else return cli_usage(sub, "--augment: expected 'casings', 'mlm' or 'none', got '%s'", val);
            } else if (!strcmp(a, "--mask-token")) {
                if (cli_parse_int(val, 0, 2147483647L, &v)) return cli_usage(sub, "--mask-token: expected a token id, got '%s'", val);
                o.mask_token = (int)v;
            } else if (!strcmp(a, "--seed")) {
                if (cli_parse_int(val, 0, 4294967295L, &v)) return cli_usage(sub, "--seed: expected an integer 0..4294967295, got '%s'", val);
                o.seed = (uint32_t)v;
            } else if (!strcmp(a, "--block")) {
                if (cli_parse_int(val, 1, 65536, &v)) return cli_usage(sub, "--block: expected an integer 1..65536, got '%s'", val);
                o.block = (int)v;
            } else {
                if (cli_parse_int(val, 64, 1 << 24, &v))
                    return cli_usage(sub, "--batch-tokens: expected an integer 64..16777216, got '%s'", val);
                o.max_tokens = (int)v;
            }
        } else {
            return cli_unknown(sub, a);
        }
    }
    if (!run) return cli_usage(sub, "--run RUN is required");
    if (o.augment == N2G_AUGMENT_MLM && !o.mlm_dir) return cli_usage(sub, "--augment mlm needs --mlm DIR");
    if (o.augment != N2G_AUGMENT_MLM && o.mlm_dir) return cli_usage(sub, "--mlm is only used with --augment mlm");
    n2g_err err = {0};
    if (cli_parse_device(device, &o.dev, &err)) return cli_usage(sub, "%s", err.msg);
    o.dev.quiet = o.quiet;
    if (dist_init(&err)) return cli_error(&err);
    dist_pick_device(&o.dev, device != NULL);
    if (dist_rank() > 0) o.dev.quiet = 1; /* only rank 0 reports */
    if (dist_rank() > 0) o.table = NULL;
    /* Ctrl-C / SIGTERM: stop after the current step, keep what is finished (a second one stops
     * at once; the rerun removes what that leaves) */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    o.stop = &stop_flag;
    n2g_build_result res;
    if (n2g_build_run(run, &o, &res, &err) != 0) {
        int rc = cli_error(&err);
        dist_abort(rc); /* several ranks: end them all (a rerun resumes) */
        return rc;
    }
    dist_finalize();
    if (res.interrupted) {
        if (dist_rank() == 0)
            fprintf(stderr, "n2g build: stopped: %ld of %ld neurons finished and kept (%ld built now); rerun the same "
                            "command to continue\n",
                    res.done_before + res.built, res.requested, res.built);
        return 130;
    }
    if (res.svg_missing && dist_rank() == 0)
        fprintf(stderr, "n2g build: %ld graph%s without an SVG picture: Graphviz was not found. Install it (Debian / "
                        "Ubuntu: apt install graphviz) and rerun this command to render them, or run "
                        "dot -Tsvg %s/graphs/L_N.dot -o %s/graphs/L_N.svg\n",
                res.svg_missing, res.svg_missing == 1 ? "" : "s", run, run);
    if (!o.quiet && dist_rank() == 0) {
        const n2g_probe_stats *p = &res.probe;
        fprintf(stderr,
                "n2g build: %ld neurons (%ld built now, %ld already done, %ld without a graph) in %.1fs",
                res.requested, res.built, res.done_before, res.no_graph, res.seconds);
        if (res.rebuilt) fprintf(stderr, "; %ld rebuilt with the new options (--force)", res.rebuilt);
        if (res.svg_rendered) fprintf(stderr, "; %ld missing SVGs rendered", res.svg_rendered);
        if (res.temps_removed) fprintf(stderr, "; %ld temporaries of an interrupted build removed", res.temps_removed);
        if (p->seqs_submitted)
            fprintf(stderr,
                    "; probes: %llu sequences (%llu tokens) -> %llu unique -> %llu runs (%llu tokens; %llu more shared "
                    "as tree prefixes) in %llu batches (fill %.0f%%, %.3g token-layers, %.1fs in the engine)",
                    (unsigned long long)p->seqs_submitted, (unsigned long long)p->tokens_submitted,
                    (unsigned long long)p->seqs_unique, (unsigned long long)p->runs,
                    (unsigned long long)p->tokens_run, (unsigned long long)p->tokens_shared, (unsigned long long)p->batches,
                    p->tokens_padded ? 100.0 * (double)p->tokens_run / (double)p->tokens_padded : 0.0,
                    (double)p->token_layers, p->seconds);
        if (res.test_rows_listed)
            fprintf(stderr, "; test rows: %ld from the scrape's firing lists, %ld run", res.test_rows_listed,
                    res.test_rows_run);
        if (res.mlm_masked)
            fprintf(stderr, "; mlm: %ld masked texts -> %ld augmented prompts in %.1fs", res.mlm_masked,
                    res.mlm_emitted, res.mlm_seconds);
        fputc('\n', stderr);
        if (o.dev.profile) {
            static const char *const names[N2G_PHASE_COUNT] = {"test rows", "prune", "importance", "augmented"};
            fprintf(stderr, "%-11s %9s %11s %11s %12s %8s %9s\n", "phase", "sequences", "tokens run",
                    "shared", "token-layers", "batches", "seconds");
            for (int k = 0; k < N2G_PHASE_COUNT; k++) {
                const n2g_probe_stats *q = &res.phase[k];
                fprintf(stderr, "%-11s %9llu %11llu %11llu %12.3g %8llu %9.1f\n", names[k],
                        (unsigned long long)q->seqs_submitted, (unsigned long long)q->tokens_run,
                        (unsigned long long)q->tokens_shared, (double)q->token_layers,
                        (unsigned long long)q->batches, q->seconds);
            }
        }
    }
    return 0;
}
