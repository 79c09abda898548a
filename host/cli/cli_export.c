/* cli_export.c — `n2g export`: one neuron's scraped examples with per-token activations. */
#include <stdio.h>

#include "cli.h"
#include "scrape/scrape_export.h"
#include "scrape/scrape_run.h"

static const cli_cmd export_cmd = {
    "export",
    "Prints a neuron's max-activating examples from a scrape run: row, max and its position, the\n"
    "tokens, and every token's activation (recomputed with the forward pass).\n",
    NULL,
};

int cli_export(int argc, char **argv) {
    const char *run_dir = NULL, *neuron_s = NULL, *model = NULL, *device = NULL;
    int json = 0, partial = 0;
    cli_opt opts[] = {
        {CLI_OPT_DIR("--run", &run_dir, "RUN", "a directory written by 'n2g scrape'"), .flags = CLI_REQUIRED},
        {CLI_OPT_STR("--neuron", &neuron_s, "L:N", "layer and neuron index, e.g. 5:123"), .flags = CLI_REQUIRED},
        {CLI_OPT_FLAG("--json", &json, "Neuroscope-like JSON (see docs/scrape.md) instead of a text listing")},
        {CLI_OPT_STR("--model", &model, "DIR",
                     "the run's model when it is no longer where the manifest's model.dir says; either way it must be "
                     "the model the run was scraped from (config and weights hash)")},
        {CLI_OPT_DEVICE(&device, "backend for the recomputation (default: Vulkan, automatic)")},
        {CLI_OPT_FLAG("--partial", &partial, "accept an unfinished (checkpointed) run")},
    };
    int prc = CLI_PARSE(&export_cmd, opts, argc, argv);
    if (prc != CLI_RUN) return prc;
    n2g_err err = {0};
    ops_options oo = {0};
    if (cli_parse_device(device, &oo, &err)) return cli_error(&err);
    oo.quiet = json; /* as acts: the device's warning / notice on stderr, not with --json */
    int layer, neuron;
    if (scrape_parse_neuron(neuron_s, NULL, &layer, &neuron, &err)) return cli_error(&err);
    scrape_run *run = NULL;
    if (scrape_run_open(run_dir, partial, &run, &err)) return cli_error(&err);
    int rc = 0;
    if (scrape_parse_neuron(neuron_s, run, &layer, &neuron, &err) ||
        scrape_export_neuron(run, model, layer, neuron, &oo, json, stdout, &err))
        rc = cli_error(&err);
    else if (fflush(stdout))
        rc = 1;
    scrape_run_close(run);
    return rc;
}
