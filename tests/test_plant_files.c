/* test_plant_files.c — `n2g plant`'s files: the safetensors layout Hugging Face GPT2Model expects
 * (checked against the format spec and the GPT-2 parameter list, not against the writer),
 * config.json, planted.json token ids (looked up independently in encoder.json), determinism
 * from the seed, and the errors for bad tokenizer / output paths. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "common/json.h"
#include "model/gpt2_plant.h"
#include "model/st_write.h"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) b[n] = 0;
    *len = (size_t)n;
    return b;
}

static const char *pathj(const char *dir, const char *file) {
    static char b[4][4096];
    static int k;
    char *p = b[k++ & 3];
    snprintf(p, 4096, "%s/%s", dir, file);
    return p;
}

/* Expected GPT-2 tensors for C=64, d_mlp=256, 2 layers, V=50257, n_ctx T. */
static int expected_shape(const char *name, int T, int64_t *s0, int64_t *s1) {
    int C = 64, M = 256, l;
    char rest[64];
    *s1 = 0;
    if (!strcmp(name, "wte.weight")) return *s0 = 50257, *s1 = C, 1;
    if (!strcmp(name, "wpe.weight")) return *s0 = T, *s1 = C, 1;
    if (!strcmp(name, "ln_f.weight") || !strcmp(name, "ln_f.bias")) return *s0 = C, 1;
    if (sscanf(name, "h.%d.%63s", &l, rest) != 2 || l < 0 || l > 1) return 0;
    static const struct { const char *n; int a, b; } t[] = {
        {"ln_1.weight", 1, 0}, {"ln_1.bias", 1, 0}, {"attn.c_attn.weight", 1, 3}, {"attn.c_attn.bias", 3, 0},
        {"attn.c_proj.weight", 1, 1}, {"attn.c_proj.bias", 1, 0}, {"ln_2.weight", 1, 0}, {"ln_2.bias", 1, 0},
        {"mlp.c_fc.weight", 1, -1}, {"mlp.c_fc.bias", -1, 0}, {"mlp.c_proj.weight", -1, 1}, {"mlp.c_proj.bias", 1, 0}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(rest, t[i].n)) {
            *s0 = t[i].a < 0 ? M : t[i].a * C;
            *s1 = t[i].b < 0 ? M : t[i].b * C;
            return 1;
        }
    return 0;
}

static void check_safetensors(const char *path, int T) {
    size_t len;
    char *b = slurp(path, &len);
    CHECK(b && len > 8, "read %s", path);
    if (!b) return;
    uint64_t n = 0;
    for (int i = 0; i < 8; i++) n |= (uint64_t)(unsigned char)b[i] << (8 * i);
    CHECK((8 + n) % 8 == 0, "header padded to 8 bytes: %llu", (unsigned long long)n);
    CHECK(n < len, "header length within file");
    n2g_err e = {0};
    json_doc *d = json_parse(b + 8, (size_t)n, "header", &e);
    CHECK(d != NULL, "header parses: %s", e.msg);
    if (!d) return free(b);
    const json_value *r = json_root(d);
    size_t nt = 0;
    uint64_t data = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!strcmp(r->keys[i], "__metadata__")) continue;
        const json_value *t = &r->items[i];
        const json_value *dt = json_get(t, "dtype"), *sh = json_get(t, "shape"), *of = json_get(t, "data_offsets");
        int64_t s0, s1;
        int known = expected_shape(r->keys[i], T, &s0, &s1);
        CHECK(known, "unexpected tensor %s", r->keys[i]);
        CHECK(dt && dt->type == JSON_STRING && !strcmp(dt->str, "F32"), "%s dtype F32", r->keys[i]);
        CHECK(sh && sh->type == JSON_ARRAY && sh->n == (s1 ? 2u : 1u), "%s rank", r->keys[i]);
        if (known && sh && sh->n >= 1) {
            CHECK(sh->items[0].num == (double)s0, "%s dim0 %g != %lld", r->keys[i], sh->items[0].num, (long long)s0);
            if (s1 && sh->n == 2) CHECK(sh->items[1].num == (double)s1, "%s dim1", r->keys[i]);
        }
        CHECK(of && of->n == 2, "%s offsets", r->keys[i]);
        if (of && of->n == 2 && sh) {
            double el = 1;
            for (size_t k = 0; k < sh->n; k++) el *= sh->items[k].num;
            CHECK(of->items[1].num - of->items[0].num == el * 4, "%s byte range matches shape", r->keys[i]);
            if (of->items[1].num > (double)data) data = (uint64_t)of->items[1].num;
        }
        nt++;
    }
    CHECK(nt == 28, "28 tensors, got %zu", nt);
    CHECK(8 + n + data == len, "file size = 8 + header + data (%zu)", len);
    /* every float finite */
    size_t bad = 0;
    for (size_t o = 8 + n; o + 4 <= len; o += 4) {
        float f;
        memcpy(&f, b + o, 4);
        bad += !(f == f && f - f == 0);
    }
    CHECK(bad == 0, "%zu non-finite floats", bad);
    json_free(d);
    free(b);
}

/* id of a token (raw bytes with a leading space -> "Ġ" form) in encoder.json */
static int vocab_id(const json_value *v, const char *word) {
    char key[64];
    snprintf(key, sizeof key, "\xc4\xa0%s", word + 1); /* 'Ġ' = U+0120 for the leading space */
    const json_value *x = json_get(v, key);
    return x ? (int)x->num : -1;
}

static void check_planted_json(const char *dir, const char *tokdir) {
    n2g_err e = {0};
    json_doc *p = json_parse_file(pathj(dir, "planted.json"), &e);
    json_doc *v = json_parse_file(pathj(tokdir, "encoder.json"), &e);
    CHECK(p && v, "parse: %s", e.msg);
    if (!p || !v) return;
    const json_value *ns = json_get(json_root(p), "neurons");
    CHECK(ns && ns->n == 3, "three rule neurons");
    size_t ntok = 0;
    for (size_t i = 0; ns && i < ns->n; i++) {
        const json_value *n = &ns->items[i];
        int layer, neuron;
        CHECK(!json_get_int(n, "layer", "n", &layer, &e) && !json_get_int(n, "neuron", "n", &neuron, &e), "%s", e.msg);
        CHECK(layer >= 0 && layer < 2 && neuron >= 0 && neuron < 256, "neuron in range");
        const char *lists[2] = {"tokens", "prev_tokens"};
        for (int li = 0; li < 2; li++) {
            const json_value *ts = json_get(n, lists[li]);
            CHECK(ts && ts->type == JSON_ARRAY, "%s array", lists[li]);
            for (size_t k = 0; ts && k < ts->n; k++) {
                const json_value *text = json_get(&ts->items[k], "text");
                int id;
                CHECK(!json_get_int(&ts->items[k], "id", "t", &id, &e), "%s", e.msg);
                CHECK(text && text->str[0] == ' ', "text with leading space");
                if (text) CHECK(vocab_id(json_root(v), text->str) == id, "id of '%s' is %d", text->str, id);
                ntok++;
            }
        }
    }
    CHECK(ntok == 5, "5 token entries, got %zu", ntok);
    json_free(p);
    json_free(v);
}

static int same_file(const char *a, const char *b) {
    size_t la, lb;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    int same = x && y && la == lb && !memcmp(x, y, la);
    free(x);
    free(y);
    return same;
}

int main(void) {
    const char *tokdir = check_shared_path("data/gpt2-tokenizer");
    const char *d1 = check_tmpdir("plant1"), *d2 = check_tmpdir("plant2"), *d3 = check_tmpdir("plant3");
    n2g_err e = {0};
    gpt2_plant_options o = {.seed = GPT2_PLANT_DEFAULT_SEED, .n_ctx = 64, .vocab_dir = tokdir};
    CHECK(gpt2_plant_write(d1, &o, &e) == 0, "plant: %s", e.msg);
    check_safetensors(pathj(d1, "model.safetensors"), 64);
    check_planted_json(d1, tokdir);
    CHECK(same_file(pathj(d1, "vocab.json"), pathj(tokdir, "encoder.json")), "vocab.json copied");
    CHECK(same_file(pathj(d1, "merges.txt"), pathj(tokdir, "vocab.bpe")), "merges.txt copied");

    json_doc *c = json_parse_file(pathj(d1, "config.json"), &e);
    CHECK(c != NULL, "config: %s", e.msg);
    if (c) {
        const json_value *r = json_root(c);
        int v;
        CHECK(!json_get_int(r, "n_positions", "c", &v, &e) && v == 64, "n_positions");
        CHECK(!json_get_int(r, "n_embd", "c", &v, &e) && v == 64, "n_embd");
        CHECK(!json_get_int(r, "vocab_size", "c", &v, &e) && v == 50257, "vocab_size");
        const json_value *a = json_get(r, "activation_function"), *mt = json_get(r, "model_type");
        CHECK(a && !strcmp(a->str, "gelu_new") && mt && !strcmp(mt->str, "gpt2"), "gelu_new / gpt2");
        double eps;
        CHECK(!json_get_double(r, "layer_norm_epsilon", "c", &eps, &e) && eps == 1e-5, "eps");
        json_free(c);
    }

    /* determinism: same seed -> identical files; another seed -> other weights, same rules */
    CHECK(gpt2_plant_write(d2, &o, &e) == 0, "plant again: %s", e.msg);
    CHECK(same_file(pathj(d1, "model.safetensors"), pathj(d2, "model.safetensors")), "same seed, same weights");
    o.seed = 99;
    CHECK(gpt2_plant_write(d3, &o, &e) == 0, "plant seed 99: %s", e.msg);
    CHECK(!same_file(pathj(d1, "model.safetensors"), pathj(d3, "model.safetensors")), "other seed, other weights");
    /* rewriting into an existing directory replaces the files and leaves no temporaries */
    o.seed = GPT2_PLANT_DEFAULT_SEED;
    CHECK(gpt2_plant_write(d3, &o, &e) == 0, "replant: %s", e.msg);
    CHECK(same_file(pathj(d1, "model.safetensors"), pathj(d3, "model.safetensors")), "replaced in place");
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c tmp >/dev/null", d3);
    CHECK(system(cmd) != 0, "no temporary files left in %s", d3);

    /* errors */
    gpt2_plant_options bad = o;
    bad.vocab_dir = "/nonexistent-tok";
    e = (n2g_err){0};
    CHECK(gpt2_plant_write(d2, &bad, &e) == -1 && strstr(e.msg, "/nonexistent-tok") && strstr(e.msg, "vocab.json"),
          "missing tokenizer named: %s", e.msg);
    e = (n2g_err){0};
    CHECK(gpt2_plant_write(pathj(d1, "config.json"), &o, &e) == -1 && strstr(e.msg, "not a directory"),
          "out is a file: %s", e.msg);
    e = (n2g_err){0};
    CHECK(gpt2_plant_write("/proc/n2g-no/x", &o, &e) == -1 && strstr(e.msg, "cannot create directory"),
          "unwritable out: %s", e.msg);
    bad = o;
    bad.n_ctx = 4;
    e = (n2g_err){0};
    CHECK(gpt2_plant_write(d2, &bad, &e) == -1 && e.code == N2G_E_USAGE && strstr(e.msg, "n_ctx"), "n_ctx: %s", e.msg);
    /* a vocabulary that is not GPT-2's */
    const char *d4 = check_tmpdir("plantvoc");
    FILE *f = fopen(pathj(d4, "vocab.json"), "w");
    fputs("{\"a\": 0}", f);
    fclose(f);
    f = fopen(pathj(d4, "merges.txt"), "w");
    fputs("#version: 0.2\n", f);
    fclose(f);
    bad = o;
    bad.vocab_dir = d4;
    e = (n2g_err){0};
    CHECK(gpt2_plant_write(d2, &bad, &e) == -1 && strstr(e.msg, d4), "bad vocab: %s", e.msg);

    /* st_write: bad tensor lists */
    float x[2] = {1, 2};
    st_tensor t[2] = {{"a", 1, {2}, x}, {"a", 1, {2}, x}};
    e = (n2g_err){0};
    CHECK(st_write_f32(pathj(d4, "t.safetensors"), t, 2, &e) == -1 && strstr(e.msg, "duplicate"), "dup: %s", e.msg);
    return check_finish();
}
