/* fuzz_config.c — libFuzzer target for config.json through the model loaders: the input is a
 * model folder's config.json beside a real (small) model.safetensors (and vocab.txt) — the GPT-2 f16 fixture
 * when the first byte is even, the DistilBERT one when it is odd. The config readers and the
 * loaders (which check every tensor against the config) accept it or fail with a
 * message; nothing they accept is outside the documented ranges, and whatever loads has the
 * fixture's own shapes (a config that disagrees with the weights must not load). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "model/distilbert.h"
#include "model/gpt2.h"

static char gdir[300], bdir[300];

/* dir = fuzz_dir()/name holding links to the fixture's files (NULL-terminated list) */
static void make_dir(char *dir, size_t cap, const char *name, const char *fixture, const char *const *files) {
    snprintf(dir, cap, "%s/%s", fuzz_dir(), name);
    if (mkdir(dir, 0700) && errno != EEXIST) abort();
    for (; *files; files++) {
        char link[400], target[400];
        snprintf(link, sizeof link, "%s/%s", dir, *files);
        snprintf(target, sizeof target, "%s/tests/fixtures/%s/%s", N2G_SOURCE_DIR, fixture, *files);
        if (access(target, R_OK)) {
            fprintf(stderr, "fuzz_config: %s is missing\n", target);
            abort();
        }
        unlink(link);
        if (symlink(target, link)) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!gdir[0]) {
        static const char *const gfiles[] = {"model.safetensors", NULL};
        static const char *const bfiles[] = {"model.safetensors", "vocab.txt", NULL};
        make_dir(gdir, sizeof gdir, "gpt2", "gpt2-f16", gfiles);
        make_dir(bdir, sizeof bdir, "distilbert", "distilbert-tiny", bfiles);
    }
    if (size < 1) return 0;
    int bert = data[0] & 1;
    char path[400];
    snprintf(path, sizeof path, "%s/config.json", bert ? bdir : gdir);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1) abort();
    fclose(f);
    n2g_err e = {0};
    if (!bert) {
        gpt2_config c;
        if (gpt2_config_read(path, &c, &e) == 0) {
            if (c.n_layer < 1 || c.n_embd < 1 || c.n_head < 1 || c.n_embd % c.n_head || c.vocab_size < 1 || c.n_ctx < 1 ||
                c.n_ctx > c.n_positions || c.d_mlp < 1 || !(c.ln_eps > 0 && c.ln_eps < 1))
                abort();
        } else {
            fuzz_check_err(&e);
        }
        gpt2_model *m = NULL;
        e.msg[0] = 0;
        if (gpt2_load(gdir, &m, &e) == 0) {
            /* the f16 fixture: 2 layers, n_embd 32 (tests/fixtures/make_gpt2_fixtures.py) */
            if (m->cfg.n_embd != c.n_embd || m->cfg.n_layer != c.n_layer || !m->wte || !m->layers) abort();
            gpt2_free(m);
        } else {
            fuzz_check_err(&e);
        }
    } else {
        distilbert_config c;
        if (distilbert_config_read(path, &c, &e) == 0) {
            if (c.n_layers < 1 || c.dim < 1 || c.n_heads < 1 || c.dim % c.n_heads || c.hidden_dim < 1 || c.vocab_size < 6 ||
                c.max_pos < 1)
                abort();
        } else {
            fuzz_check_err(&e);
        }
        distilbert_model *m = NULL;
        e.msg[0] = 0;
        if (distilbert_load(bdir, &m, &e) == 0) {
            if (m->cfg.dim != c.dim || m->cfg.n_layers != c.n_layers) abort();
            distilbert_free(m);
        } else {
            fuzz_check_err(&e);
        }
    }
    return 0;
}
