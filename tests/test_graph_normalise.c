/* test_graph_normalise.c — the class table against Python: for all 50,257 GPT-2 tokens, the
 * C normalisation (vocab.h key[]) and the decoded text (text[]) must equal what Python's own
 * str methods give (tests/ref/normalise_vocab.py, the reference's normalise()). Skipped when
 * python3 is missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/json.h"
#include "n2g/graph/vocab_bpe.h"

static void compare(const n2g_vocab *v, const char *json_path, int plain) {
    n2g_err err = {0};
    json_doc *d = json_parse_file(json_path, &err);
    CHECK(d != NULL, "python output: %s", err.msg);
    if (!d) return;
    const json_value *r = json_root(d);
    CHECK(r->type == JSON_ARRAY && (int)r->n == v->n, "one string per id");
    int bad = 0;
    for (int i = 0; i < v->n && i < (int)r->n; i++) {
        const json_value *x = &r->items[i];
        const n2g_str *c = plain ? &v->text[i] : &v->key[i];
        if (x->type != JSON_STRING || x->n != c->n || memcmp(x->str, c->s, c->n)) {
            if (bad++ < 5) fprintf(stderr, "id %d: python \"%s\", n2g \"%s\"\n", i, x->str, c->s);
        }
    }
    CHECK(bad == 0, "%s: %d of %d tokens differ", plain ? "text" : "normalised", bad, v->n);
    json_free(d);
}

int main(void) {
    if (system("command -v python3 >/dev/null 2>&1") != 0) {
        printf("python3 not found: skipped\n");
        return check_finish();
    }
    const char *dir = check_tmpdir("norm");
    char cmd[20000], out1[4200], out2[4200];
    const char *vocab = check_src_path("data/gpt2/vocab.json");
    snprintf(out1, sizeof out1, "%s/norm.json", dir);
    snprintf(out2, sizeof out2, "%s/plain.json", dir);
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s' '%s' && python3 '%s' '%s' '%s' --plain",
             check_src_path("tests/ref/normalise_vocab.py"), vocab, out1, check_src_path("tests/ref/normalise_vocab.py"),
             vocab, out2);
    CHECK(system(cmd) == 0, "python3 normalise_vocab.py ran");
    n2g_err err = {0};
    n2g_vocab *v = n2g_vocab_open(check_src_path("data/gpt2"), 1, NULL, &err);
    CHECK(v != NULL, "vocabulary: %s", err.msg);
    if (v) {
        CHECK(v->n == 50257 && v->is_eos[50256], "GPT-2 vocabulary");
        compare(v, out1, 0);
        compare(v, out2, 1);
        n2g_vocab_free(v);
    }
    return check_finish();
}
