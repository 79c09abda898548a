/* cli_report.c — `n2g report`: a static HTML site for a run. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report/report_run.h"

static const char *report_help =
    "usage: n2g report --run RUN [--out DIR] [--neurons LIST] [--vocab DIR] [--context B,A]\n"
    "                  [--acts auto|model|none] [--model DIR] [--device N|cpu] [--force] [--quiet]\n"
    "\n"
    "Writes a static HTML site for a run (open DIR/index.html in a browser; no network needed):\n"
    "index.html with the run's manifest, per-layer precision / recall / F1, a sortable neuron table\n"
    "and a token search over the neuron store; neurons/L_N.html per neuron with its max-activating\n"
    "examples, graph, scores and training samples.\n"
    "  --run RUN       a run directory (manifest.json + examples.bin from 'n2g scrape'; stats.json,\n"
    "                  neuron_store.json and graphs/ from 'n2g build' are shown when present)\n"
    "  --out DIR       output directory (default RUN/report); an earlier report there is replaced, a\n"
    "                  non-empty directory that holds no n2g report is refused\n"
    "  --force         write the site into such a directory anyway\n"
    "  --neurons LIST  only these neurons: comma-separated L:N, L:A-B or L:* (default: all)\n"
    "  --vocab DIR     GPT-2 vocabulary for token strings (default: the run's model directory,\n"
    "                  then $N2G_VOCAB / the installed vocabulary)\n"
    "  --context B,A   tokens shown before / after the max in the cut view of an example (default 50,10)\n"
    "  --acts MODE     per-token activations of the examples, recomputed with the run's model:\n"
    "                  auto (default: when the model loads and the work is under ~2 TFLOP),\n"
    "                  model (always; fail if impossible), none (colour only each example's max)\n"
    "  --model DIR     the model for --acts (default: the manifest's model.dir)\n"
    "  --device N|cpu  backend for --acts (default: the CPU backend)\n"
    "  --quiet         no progress bar\n";

int cli_report(int argc, char **argv) {
    report_run_opts o = {0};
    report_acts_opts ao;
    memset(&ao, 0, sizeof ao);
    report_options ro = {0};
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(report_help, stdout);
            return 0;
        }
        if (!strcmp(a, "--quiet") || !strcmp(a, "--force")) {
            *(a[2] == 'q' ? &ro.quiet : &ro.force) = 1;
            continue;
        }
        if (!strcmp(a, "--run") || !strcmp(a, "--out") || !strcmp(a, "--neurons") || !strcmp(a, "--vocab") ||
            !strcmp(a, "--context") || !strcmp(a, "--acts") || !strcmp(a, "--model") || !strcmp(a, "--device")) {
            if (i + 1 >= argc) return cli_usage("report", "%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--run")) o.run_dir = cli_dir(argv[i]);
            else if (!strcmp(a, "--out")) out = cli_dir(argv[i]);
            else if (!strcmp(a, "--neurons")) o.neurons = v;
            else if (!strcmp(a, "--vocab")) o.vocab_dir = v;
            else if (!strcmp(a, "--model")) ao.model_dir = v;
            else if (!strcmp(a, "--acts")) {
                if (!strcmp(v, "auto")) ao.acts = REPORT_ACTS_AUTO;
                else if (!strcmp(v, "model")) ao.acts = REPORT_ACTS_MODEL;
                else if (!strcmp(v, "none")) ao.acts = REPORT_ACTS_NONE;
                else return cli_usage("report", "--acts: expected auto, model or none, got '%s'", v);
            } else if (!strcmp(a, "--device")) {
                n2g_err e = {0};
                if (cli_parse_device(v, &ao.ops, &e)) return cli_error(&e);
            } else {
                long b, c;
                char buf[64];
                const char *comma = strchr(v, ',');
                if (!comma || (size_t)(comma - v) >= sizeof buf) return cli_usage("report", "--context: expected B,A (e.g. 50,10), got '%s'", v);
                memcpy(buf, v, (size_t)(comma - v));
                buf[comma - v] = 0;
                if (cli_parse_int(buf, 1, 100000, &b) || cli_parse_int(comma + 1, 1, 100000, &c))
                    return cli_usage("report", "--context: expected B,A with 1..100000 each, got '%s'", v);
                ro.context_before = (int)b, ro.context_after = (int)c;
            }
            continue;
        }
        return cli_unknown("report", a);
    }
    if (!o.run_dir) return cli_usage("report", "--run RUN is required");
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
