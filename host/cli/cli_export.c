/* cli_export.c — `n2g export`: one neuron's scraped examples with per-token activations. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "scrape/scrape_export.h"
#include "scrape/scrape_run.h"

static const char *export_help =
    "usage: n2g export --run RUN --neuron L:N [--json] [--model DIR] [--device N|cpu] [--partial]\n"
    "\n"
    "Prints a neuron's max-activating examples from a scrape run: row, max and its position, the\n"
    "tokens, and every token's activation (recomputed with the forward pass).\n"
    "  --run RUN       a directory written by 'n2g scrape'\n"
    "  --neuron L:N    layer and neuron index, e.g. 5:123\n"
    "  --json          Neuroscope-like JSON (see docs/scrape.md) instead of a text listing\n"
    "  --model DIR     the run's model when it is no longer where the manifest's model.dir says; either\n"
    "                  way it must be the model the run was scraped from (config and weights hash)\n"
    "  --device N|cpu  backend for the recomputation (default: Vulkan, automatic)\n"
    "  --partial       accept an unfinished (checkpointed) run\n";

int cli_export(int argc, char **argv) {
    const char *run_dir = NULL, *neuron_s = NULL, *model = NULL, *device = NULL;
    int json = 0, partial = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(export_help, stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--partial")) {
            partial = 1;
        } else if (!strcmp(a, "--run") || !strcmp(a, "--neuron") || !strcmp(a, "--model") || !strcmp(a, "--device")) {
            if (i + 1 >= argc) return cli_usage("export", "%s needs a value", a);
            const char **dst = a[2] == 'r' ? &run_dir : a[2] == 'n' ? &neuron_s : a[2] == 'm' ? &model : &device;
            *dst = argv[++i];
            if (dst == &run_dir) cli_dir(argv[i]);
        } else {
            return cli_unknown("export", a);
        }
    }
    if (!run_dir || !neuron_s) return cli_usage("export", "--run and --neuron are required");
    n2g_err err = {0};
    ops_options oo = {0};
    if (cli_parse_device(device, &oo, &err)) return cli_error(&err);
    oo.quiet = 1;
    int layer, neuron;
    if (scrape_parse_neuron(neuron_s, NULL, &layer, &neuron, &err)) return cli_error(&err);
    scrape_run *run = NULL;
    if (scrape_run_open(run_dir, partial, &run, &err)) return cli_error(&err);
    int rc = 0;
    char note[1200] = "";
    if (scrape_parse_neuron(neuron_s, run, &layer, &neuron, &err) ||
        scrape_export_neuron_ex(run, model, layer, neuron, &oo, device == NULL, note, sizeof note, json, stdout, &err))
        rc = cli_error(&err);
    if (note[0]) fprintf(stderr, "n2g export: %s\n", note);
    else if (fflush(stdout))
        rc = 1;
    scrape_run_close(run);
    return rc;
}
