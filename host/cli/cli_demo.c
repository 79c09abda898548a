/* cli_demo.c — `n2g demo`: the whole pipeline on the embedded default, no downloads.
 *
 *   1. plant   a small GPT-2 with three neurons of known behaviour (gpt2_plant.h)
 *   2. scrape  a bundled public-domain corpus: every neuron's top-20 rows (scrape.h)
 *   3. build   N2G graphs for the planted neurons and a sample of ordinary ones (build.h)
 *   4. report  a static HTML site (report.h)
 * then prints one line per built neuron and where the files are. Rerunning reuses what is
 * already there (scrape and build are resumable; the planted model is deterministic). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/paths.h"
#include "common/progress.h"
#include "model/gpt2_plant.h"
#include "n2g/build/build.h"
#include "report/report.h"
#include "report/report_run.h"
#include "scrape/scrape.h"
#include "text/corpus.h"

static const cli_cmd demo_cmd = {
    "demo",
    "Runs the whole Neuron2Graph pipeline on the embedded default, with no downloads: plants a\n"
    "small GPT-2 whose neurons have known rules (n2g plant), scrapes a bundled public-domain\n"
    "corpus for every neuron's max-activating rows (n2g scrape), builds graphs for the planted\n"
    "neurons and a sample of ordinary ones (n2g build), writes the HTML report (n2g report),\n"
    "and prints a table of the neurons with their scores and where the files are.\n",
    NULL,
};

typedef struct {
    int layer, neuron;
    char rule[160];
} demo_neuron;

/* Reads the planted neurons from MODEL/planted.json. */
static int read_planted(const char *model_dir, demo_neuron *out, int cap, int *n, n2g_err *err) {
    char path[4200];
    snprintf(path, sizeof path, "%.4000s/planted.json", model_dir);
    json_doc *d = json_parse_file(path, err);
    if (!d) return -1;
    const json_value *arr = json_get(json_root(d), "neurons");
    if (!arr || arr->type != JSON_ARRAY) {
        json_free(d);
        return n2g_fail(err, "%s: field \"neurons\" missing or not an array", path);
    }
    *n = 0;
    for (size_t i = 0; i < arr->n && *n < cap; i++) {
        const json_value *v = &arr->items[i];
        demo_neuron *dn = &out[*n];
        const json_value *desc = json_get(v, "description");
        if (json_get_int(v, "layer", path, &dn->layer, err) || json_get_int(v, "neuron", path, &dn->neuron, err)) {
            json_free(d);
            return -1;
        }
        snprintf(dn->rule, sizeof dn->rule, "%s", desc && desc->type == JSON_STRING ? desc->str : "planted");
        (*n)++;
    }
    json_free(d);
    return 0;
}

/* Ordinary neurons, spread deterministically over the layers, skipping planted ones. */
static void pick_sample(demo_neuron *list, int *n, int cap, int n_layer, int d_mlp, int want) {
    unsigned s = 12345u;
    int added = 0, tries = 0;
    while (added < want && *n < cap && tries++ < 10000) {
        s = s * 1103515245u + 12345u;
        int layer = added % n_layer, neuron = (int)((s >> 8) % (unsigned)d_mlp), dup = 0;
        for (int i = 0; i < *n; i++) dup |= list[i].layer == layer && list[i].neuron == neuron;
        if (dup) continue;
        list[*n].layer = layer;
        list[*n].neuron = neuron;
        snprintf(list[*n].rule, sizeof list[*n].rule, "ordinary neuron (not planted)");
        (*n)++;
        added++;
    }
}

/* One table line from RUN/build/L_N.json. */
static void print_row(const char *run, const demo_neuron *dn) {
    char path[4200];
    snprintf(path, sizeof path, "%.4000s/build/%d_%d.json", run, dn->layer, dn->neuron);
    n2g_err e = {0};
    json_doc *d = json_parse_file(path, &e);
    const json_value *st = d ? json_get(json_get(json_root(d), "stats"), "1") : NULL;
    double p = -1, r = -1, f = -1, sup = -1;
    if (st) {
        json_get_double(st, "precision", path, &p, NULL);
        json_get_double(st, "recall", path, &r, NULL);
        json_get_double(st, "f1-score", path, &f, NULL);
        json_get_double(st, "support", path, &sup, NULL);
    }
    char name[32];
    snprintf(name, sizeof name, "%d:%d", dn->layer, dn->neuron);
    if (st)
        printf("  %-7s %5.2f %5.2f %5.2f %6.0f   %s\n", name, p, r, f, sup, dn->rule);
    else
        printf("  %-7s   (no graph: the neuron never fires in the test rows)  %s\n", name, dn->rule);
    json_free(d);
}

int cli_demo(int argc, char **argv) {
    const char *out = "n2g-demo", *corpus = NULL, *device = NULL;
    int quiet = 0;
    long sample = 6;
    cli_opt opts[] = {
        {CLI_OPT_DIR("--out", &out, "DIR", "output folder (default ./n2g-demo); rerunning reuses finished work")},
        {CLI_OPT_STR("--corpus", &corpus, "FILE", "corpus to scrape (default: the bundled data/corpus/fixture_small.txt)")},
        {CLI_OPT_LONG("--sample", &sample, "N", 0, 1000,
                      "ordinary (unplanted) neurons to build besides the planted ones (default 6)")},
        {CLI_OPT_DEVICE(&device, "Vulkan device index (see 'n2g devices') or the CPU backend")},
        {CLI_OPT_FLAG("--quiet", &quiet, "no progress bars")},
    };
    int prc = CLI_PARSE(&demo_cmd, opts, argc, argv);
    if (prc != CLI_RUN) return prc;
    n2g_err err = {0};
    ops_options dev = {0};
    if (cli_parse_device(device, &dev, &err)) return cli_error(&err);
    dev.quiet = quiet;

    char corpus_def[4200], model[4200], run[4200], site[4200];
    if (!corpus) {
        snprintf(corpus_def, sizeof corpus_def, "%s/corpus/fixture_small.txt", n2g_data_dir());
        corpus = corpus_def;
    }
    /* inputs first: a missing corpus stops the demo before it plants or creates anything */
    {
        char **files = NULL;
        int nf = 0;
        if (corpus_list_inputs(&corpus, 1, &files, &nf, &err)) return cli_error(&err);
        corpus_free_list(files, nf);
    }
    if (n2g_make_dir(out, 0, &err)) return cli_error(&err);
    snprintf(model, sizeof model, "%s/model", out);
    snprintf(run, sizeof run, "%s/run", out);
    snprintf(site, sizeof site, "%s/report", out);
    double t0 = progress_now();

    /* 1. plant */
    gpt2_plant_options po = {GPT2_PLANT_DEFAULT_SEED, GPT2_PLANT_DEFAULT_NCTX, NULL, 0};
    if (!quiet) fprintf(stderr, "n2g demo: 1/4 planting a 2-layer GPT-2 with known neurons in %s\n", model);
    if (gpt2_plant_write(model, &po, &err)) return cli_error(&err);

    /* 2. scrape */
    if (!quiet) fprintf(stderr, "n2g demo: 2/4 scraping %s\n", corpus);
    const char *corpora[1] = {corpus};
    scrape_params sp = {0};
    sp.model_dir = model;
    sp.corpus = corpora;
    sp.n_corpus = 1;
    sp.out = run;
    sp.top_k = 20;
    sp.fire_lists = SCRAPE_FIRE_F; /* the build scores test rows from them */
    sp.checkpoint_secs = 300;
    sp.quiet = quiet;
    sp.ops = dev;
    scrape_result sr = {0};
    if (scrape_scan(&sp, &sr, &err)) return cli_error(&err);

    /* 3. build: the planted neurons + a sample of ordinary ones */
    demo_neuron list[64];
    int n = 0;
    if (read_planted(model, list, 64, &n, &err)) return cli_error(&err);
    int n_planted = n;
    pick_sample(list, &n, 64, 2, 256, (int)sample);
    char spec[4096] = "";
    for (int i = 0; i < n; i++) {
        size_t l = strlen(spec);
        snprintf(spec + l, sizeof spec - l, "%s%d:%d", i ? "," : "", list[i].layer, list[i].neuron);
    }
    if (!quiet) fprintf(stderr, "n2g demo: 3/4 building graphs for %d neurons (%d planted)\n", n, n_planted);
    n2g_build_opts bo;
    n2g_build_defaults(&bo);
    bo.neurons = spec;
    bo.quiet = quiet;
    bo.dev = dev;
    bo.dev.quiet = 1; /* the device warning was printed once by the scrape step */
    bo.table = NULL;
    n2g_build_result br = {0};
    if (n2g_build_run(run, &bo, &br, &err)) return cli_error(&err);

    /* 4. report */
    if (!quiet) fprintf(stderr, "n2g demo: 4/4 writing the HTML report\n");
    report_run_opts ro = {run, NULL, NULL};
    report_run *rr = NULL;
    report_source src;
    if (report_run_open(&ro, &rr, &src, &err)) return cli_error(&err);
    report_options rop = {quiet, 50, 10, 0};
    int rc = report_write_site(&src, &rop, site, &err);
    report_run_close(rr);
    if (rc) return cli_error(&err);

    /* the device the scrape opened (ops_open: the CPU backend when there is no Vulkan device);
       nothing was scanned in a rerun of a finished demo */
    const char *on = sr.device[0]                         ? sr.device
                     : device && !strcmp(device, "cpu") ? "the CPU backend"
                                                        : "the default device";
    printf("\nn2g demo: %d neurons explained in %.0f s on %s\n\n", n, progress_now() - t0, on);
    printf("  neuron   firing P     R    F1  firing  rule\n");
    for (int i = 0; i < n; i++) print_row(run, &list[i]);
    printf("\n  P / R / F1: token-level precision, recall and F1 of the graph's predictions on the\n"
           "  neuron's 10 held-out max-activating rows (firing = activation >= 0.5 x the neuron's max).\n\n");
    printf("files:\n  model     %s (planted.json: the ground truth)\n  run       %s (manifest.json, examples.bin)\n"
           "  graphs    %s/graphs/L_N.{json,dot,svg}\n  samples   %s/samples/L_N.json (what the method did: "
           "'n2g fit --samples' reads them)\n  scores    %s/stats.json, %s/neuron_store.json\n"
           "  report    %s/index.html\n",
           model, run, run, run, run, run, site);
    if (br.svg_missing)
        printf("\n  Graphviz was not found: the graphs have no SVG pictures (the report draws them itself).\n"
               "  To render them: install Graphviz (Debian / Ubuntu: apt install graphviz) and rerun this command.\n");
    return 0;
}
