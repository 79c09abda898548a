/* cli_build.c — `n2g build`: N2G graphs for the neurons of a scrape run. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dist/dist.h"
#include "n2g/build/build.h"

static const cli_cmd build_cmd = {
    "build",
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
    "Graphviz the graphs are written without their SVG (a warning says how to render them).\n",
    "Under mpirun / srun (a build with MPI), ranks take blocks of neurons as they finish (each on\n"
    "its own device unless --device is given); rank 0 writes stats.json and neuron_store.json.\n",
};

static const char *const augment_names[] = {"casings", "mlm", "none", NULL};
static const int augment_values[] = {N2G_AUGMENT_CASINGS, N2G_AUGMENT_MLM, N2G_AUGMENT_NONE};

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
    cli_opt opts[] = {
        {CLI_OPT_DIR("--run", &run, "RUN", "the scrape run directory"), .flags = CLI_REQUIRED},
        {CLI_OPT_STR("--neurons", &o.neurons, "LIST", "all (default), L:N items and L:* (a whole layer), comma-separated")},
        {CLI_OPT_STR("--model", &o.model_dir, "DIR",
                     "the run's model, when it is no longer where the run's manifest says (a moved run); like that "
                     "one, it must be the model the run was scraped from")},
        {CLI_OPT_ENUM("--augment", &o.augment, "MODE", augment_names, augment_values,
                      "casings (default): important words re-cased from a word-casing table;\nmlm: important words "
                      "replaced by a masked language model's fill-mask candidates, as the reference (needs "
                      "--mlm);\nnone: no augmentation")},
        {CLI_OPT_STR("--mlm", &o.mlm_dir, "DIR",
                     "DistilBertForMaskedLM checkpoint for --augment mlm (config.json, model.safetensors, vocab.txt; "
                     "e.g. distilbert-base-uncased)")},
        {CLI_OPT_STR("--casings", &o.casings_path, "FILE",
                     "word_to_casings.json (n2g casings); default RUN/word_to_casings.json, counted from the run's "
                     "corpus files when missing")},
        {CLI_OPT_INT("--mask-token", &o.mask_token, "ID", 0, 2147483647,
                     "token that replaces each position when scoring importance (default 1, as the reference; "
                     "GPT-2's id 1 is '\"')")},
        {CLI_OPT_U32("--seed", &o.seed, "N", 0, 4294967295u,
                     "seed of the train/test split (default 0, numpy/sklearn permutation)")},
        {CLI_OPT_INT("--block", &o.block, "N", 1, 65536,
                     "neurons per round, sharing forward passes (default from the device: 128 on the CPU and "
                     "lavapipe, up to 512 on a large GPU; --profile prints it)")},
        {CLI_OPT_INT("--batch-tokens", &o.max_tokens, "N", 64, 1 << 24,
                     "tokens per forward batch (default from the device and the model: 16384 on the CPU and "
                     "lavapipe, up to 131072 on a large GPU)")},
        {CLI_OPT_INT("--workers", &o.workers, "N", 0, 8,
                     "threads that finish a round's neurons (fit, score, write the files, run Graphviz) while the "
                     "next round runs on the device (default: the cores, 2..8; 0 = on the main thread); "
                     "does not change the result")},
        {CLI_OPT_FLAG("--no-svg", &o.no_svg, "do not render graphs/L_N.svg with Graphviz")},
        {CLI_OPT_FLAG("--no-samples", &o.no_samples, "do not write RUN/samples/L_N.json")},
        {CLI_OPT_FLAG("--full-importance", &o.full_importance,
                      "run every masked row in full (default: only as far as the graph reads the importance matrix; "
                      "same graphs, less work)")},
        {CLI_OPT_FLAG("--no-tree", &o.no_tree,
                      "run masked rows without sharing their common prefix (benchmarks; same graphs up to float "
                      "rounding, more work)")},
        {CLI_OPT_FLAG("--rerun-test-rows", &o.rerun_test_rows,
                      "run every test row, even when the scrape kept its firing list (scrape --fire-lists); gives "
                      "the correlation field, same scores")},
        {CLI_OPT_FLAG("--force", &o.force, "rebuild the named neurons that were built with other options")},
        {CLI_OPT_DEVICE(&device, "Vulkan device index (see 'n2g devices') or the CPU backend")},
        {CLI_OPT_FLAG("--profile", &o.dev.profile, "print per-op device timings and the probe work per phase to stderr")},
        {CLI_OPT_FLAG("--quiet", &o.quiet, "no progress bar, no table")},
    };
    int prc = CLI_PARSE(&build_cmd, opts, argc, argv);
    if (prc != CLI_RUN) return prc;
    if (o.quiet) o.table = NULL;
    if (o.augment == N2G_AUGMENT_MLM && !o.mlm_dir) return cli_usage(sub, "--augment mlm needs --mlm DIR");
    if (o.augment != N2G_AUGMENT_MLM && o.mlm_dir) return cli_usage(sub, "--mlm is only used with --augment mlm");
    n2g_err err = {0};
    if (cli_parse_device(device, &o.dev, &err)) return cli_usage(sub, "%s", err.msg);
    o.dev.quiet = o.quiet;
    if (dist_init(&err)) return cli_error(&err);
    o.dev.local_rank = dist_local_rank(); /* the ranks of a machine share its devices (ops_open) */
    o.dev.local_size = dist_local_size();
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
        if (o.dev.profile && res.batch_tokens)
            fprintf(stderr, "sizes: --batch-tokens %d (%s), --block %d (%s); device: %s\n", res.batch_tokens,
                    o.max_tokens > 0 ? "given" : "default", res.block, o.block > 0 ? "given" : "default",
                    res.sizes_basis);
        if (o.dev.profile && res.batch_tokens)
            fprintf(stderr,
                    "host: %.2fs of the steps outside the probe engine (probes made, answers read, augmentation); "
                    "finishing (fit, score, files, Graphviz) %.1fs on %d worker%s%s, the main thread waited %.1fs "
                    "for it\n",
                    res.steps_host_s, res.finish_s, res.workers, res.workers == 1 ? "" : "s",
                    res.workers ? "" : " (the main thread)", res.finish_wait_s);
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
