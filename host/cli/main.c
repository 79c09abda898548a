/* main.c — `n2g SUBCOMMAND ...`: dispatch table. Each subcommand lives in cli_<name>.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Subcommands (add one line here and one cli_<name>.c per subcommand). */
int cli_demo(int, char **);
int cli_devices(int, char **);
int cli_acts(int, char **);
int cli_tokenize(int, char **);
int cli_detokenize(int, char **);
int cli_scrape(int, char **);
int cli_export(int, char **);
int cli_fit(int, char **);
int cli_predict(int, char **);
int cli_search(int, char **);
int cli_similar(int, char **);
int cli_plant(int, char **);
int cli_casings(int, char **);
int cli_build(int, char **);
int cli_report(int, char **);

static const struct {
    const char *name;
    cli_fn fn;
    const char *help;
} cmds[] = {
    {"demo", cli_demo, "run the main job on the embedded default (no downloads)"},
    {"devices", cli_devices, "list compute devices (Vulkan devices and the CPU backend)"},
    {"acts", cli_acts, "print MLP neuron activations (blocks.L.mlp.hook_post) for a token sequence"},
    {"tokenize", cli_tokenize, "text -> GPT-2 token ids"},
    {"detokenize", cli_detokenize, "GPT-2 token ids -> text"},
    {"scrape", cli_scrape, "find every neuron's max-activating examples in a corpus"},
    {"export", cli_export, "a neuron's examples as Neuroscope-like JSON"},
    {"plant", cli_plant, "write a small GPT-2 with planted neurons of known behaviour"},
    {"casings", cli_casings, "build a word-casing table from a corpus"},
    {"build", cli_build, "build N2G graphs for the neurons of a scrape run"},
    {"fit", cli_fit, "fit an N2G graph from a samples file"},
    {"predict", cli_predict, "a graph's predicted activation per token"},
    {"search", cli_search, "neurons whose graphs hold a token"},
    {"similar", cli_similar, "pairs of neurons with overlapping graphs"},
    {"report", cli_report, "a static HTML site for a run"},
};

static void usage(FILE *f) {
    fprintf(f, "n2g %s — Neuron2Graph for GPT-2 on Vulkan compute\n\nusage: n2g COMMAND [options]\n\ncommands:\n",
            N2G_VERSION);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) fprintf(f, "  %-12s %s\n", cmds[i].name, cmds[i].help);
    fprintf(f, "\n'n2g COMMAND --help' shows a command's options.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("n2g %s\n", N2G_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name)) {
            cli_set_command(cmds[i].name);
            return cmds[i].fn(argc - 1, argv + 1);
        }
    fprintf(stderr, "n2g: unknown command '%s' (see 'n2g --help')\n", argv[1]);
    return 2;
}
