/* cli_report.c — `n2g report`: a static HTML site for a run. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report/report_run.h"

static const cli_cmd report_cmd = {
    "report",
    "Writes a static HTML site for a run (open DIR/index.html in a browser; no network needed):\n"
    "index.html with the run's manifest, per-layer precision / recall / F1, a sortable neuron table\n"
    "and a token search over the neuron store; neurons/L_N.html per neuron with its max-activating\n"
    "examples, graph, scores and training samples.\n",
    NULL,
};

static const char *const acts_names[] = {"auto", "model", "none", NULL};
static const int acts_values[] = {REPORT_ACTS_AUTO, REPORT_ACTS_MODEL, REPORT_ACTS_NONE};

/* --context B,A */
static int parse_context(const char *v, void *target, n2g_err *err) {
    report_options *ro = target;
    long b, c;
    char buf[64];
    const char *comma = strchr(v, ',');
    if (!comma || (size_t)(comma - v) >= sizeof buf)
        return n2g_failc(err, N2G_E_USAGE, "--context: expected B,A (e.g. 50,10), got '%s'", v);
    memcpy(buf, v, (size_t)(comma - v));
    buf[comma - v] = 0;
    if (cli_parse_int(buf, 1, 100000, &b) || cli_parse_int(comma + 1, 1, 100000, &c))
        return n2g_failc(err, N2G_E_USAGE, "--context: expected B,A with 1..100000 each, got '%s'", v);
    ro->context_before = (int)b, ro->context_after = (int)c;
    return 0;
}

int cli_report(int argc, char **argv) {
    report_run_opts o = {0};
    report_acts_opts ao;
    memset(&ao, 0, sizeof ao);
    report_options ro = {0};
    const char *out = NULL, *device = NULL;
    cli_opt opts[] = {
        {CLI_OPT_DIR("--run", &o.run_dir, "RUN",
                     "a run directory (manifest.json + examples.bin from 'n2g scrape'; stats.json, neuron_store.json "
                     "and graphs/ from 'n2g build' are shown when present)"),
         .flags = CLI_REQUIRED},
        {CLI_OPT_DIR("--out", &out, "DIR",
                     "output directory (default RUN/report); an earlier report there is replaced, a non-empty "
                     "directory that holds no n2g report is refused")},
        {CLI_OPT_FLAG("--force", &ro.force, "write the site into such a directory anyway")},
        {CLI_OPT_STR("--neurons", &o.neurons, "LIST", "only these neurons: comma-separated L:N, L:A-B or L:* (default: all)")},
        {CLI_OPT_STR("--vocab", &o.vocab_dir, "DIR",
                     "GPT-2 vocabulary for token strings (default: the run's model directory, then $N2G_VOCAB / the "
                     "installed vocabulary)")},
        {CLI_OPT_CUSTOM("--context", parse_context, &ro, "B,A",
                        "tokens shown before / after the max in the cut view of an example (default 50,10)")},
        {CLI_OPT_ENUM("--acts", &ao.acts, "MODE", acts_names, acts_values,
                      "per-token activations of the examples, recomputed with the run's model:\nauto (default: when "
                      "the model loads and the work is under ~2 TFLOP),\nmodel (always; fail if impossible),\nnone "
                      "(colour only each example's max)")},
        {CLI_OPT_STR("--model", &ao.model_dir, "DIR", "the model for --acts (default: the manifest's model.dir)")},
        {CLI_OPT_DEVICE(&device, "backend for --acts (default: the CPU backend)")},
        {CLI_OPT_FLAG("--quiet", &ro.quiet, "no progress bar")},
    };
    int prc = CLI_PARSE(&report_cmd, opts, argc, argv);
    if (prc != CLI_RUN) return prc;
    if (device) { /* else the CPU backend (ao.ops zero) */
        n2g_err e = {0};
        if (cli_parse_device(device, &ao.ops, &e)) return cli_error(&e);
    }
    ao.ops.quiet = ro.quiet;
    char def_out[4200];
    if (!out) {
        snprintf(def_out, sizeof def_out, "%s/report", o.run_dir);
        out = def_out;
    }
    ao.quiet = ro.quiet;
    n2g_err err = {0};
    report_run *run = NULL;
    report_source src;
    if (report_run_open_ex(&o, &ao, &run, &src, &err)) return cli_error(&err);
    if (ao.note[0] && !ro.quiet) fprintf(stderr, "n2g report: %s\n", ao.note);
    int rc = report_write_site(&src, &ro, out, &err);
    size_t n = src.n_neurons;
    report_run_close(run);
    if (rc) return cli_error(&err);
    printf("wrote %s/index.html and %zu neuron page%s\n", out, n, n == 1 ? "" : "s");
    return 0;
}
