/* build_record.c — the options that shape a neuron's result: recorded in build/L_N.json,
 * compared on a rerun (see builder.h, build_record). */
#include <string.h>

#include "common/fileio.h"
#include "common/json.h"
#include "dist/dist.h"
#include "n2g/build/builder.h"
#include "n2g/graph/export_dot.h"
#include "scrape/scrape_fs.h"

static void rec_add(build_record *r, const char *key, int is_str, const char *val) {
    rec_item *it = &r->it[r->n++];
    it->key = key;
    it->is_str = is_str;
    snprintf(it->val, sizeof it->val, "%s", val);
}

static int hash_hex(const char *path, char *out, size_t cap, n2g_err *err) {
    uint64_t h, n;
    if (scrape_hash_file(path, &h, &n, err)) return -1;
    snprintf(out, cap, "%016llx", (unsigned long long)h);
    return 0;
}

/* This build's record. With augmentation the casing table must exist to be hashed: rank 0
 * counts it first when it is missing (and saves RUN/word_to_casings.json for the others). */
int n2g_build_record_make(builder *b, n2g_err *err) {
    const n2g_build_opts *o = b->o;
    build_record *r = &b->rec;
    char buf[4096], v[64];
    static const char *const aug[] = {"none", "casings", "mlm"};
    r->n = 0;
    snprintf(v, sizeof v, "%u", (unsigned)o->seed);
    rec_add(r, "seed", 0, v);
    rec_add(r, "augment", 1, aug[o->augment]);
    if (o->augment != N2G_AUGMENT_NONE) {
        const char *cp = n2g_build_casings_path(b, buf, sizeof buf);
        if (dist_rank() == 0 && !o->casings_path && !n2g_is_file(cp) && n2g_build_casings_open(b, err) != 0) return -1;
        dist_barrier();
        if (hash_hex(cp, v, sizeof v, err)) return n2g_wrap(err, "the casing table");
        rec_add(r, "casings_hash", 1, v);
    }
    if (o->augment == N2G_AUGMENT_MLM) {
        /* the checkpoint's identity: its three files' hashes, hashed (an unreadable file counts as
         * 0 here; the checkpoint's loader says what is wrong with it when it is needed) */
        static const char *const files[] = {"config.json", "model.safetensors", "vocab.txt"};
        unsigned char hs[24];
        for (int k = 0; k < 3; k++) {
            uint64_t h = 0, bytes;
            n2g_err e2 = {0};
            snprintf(buf, sizeof buf, "%s/%s", o->mlm_dir, files[k]);
            if (scrape_hash_file(buf, &h, &bytes, &e2)) h = 0;
            for (int i = 0; i < 8; i++) hs[8 * k + i] = (unsigned char)(h >> (8 * i));
        }
        scrape_hash sh;
        scrape_hash_init(&sh);
        scrape_hash_update(&sh, hs, sizeof hs);
        snprintf(v, sizeof v, "%016llx", (unsigned long long)scrape_hash_final(&sh));
        rec_add(r, "mlm_hash", 1, v);
    }
    snprintf(v, sizeof v, "%d", o->mask_token);
    rec_add(r, "mask_token", 0, v);
    rec_add(r, "full_importance", 0, o->full_importance ? "true" : "false");
    const json_value *fl = json_get(json_get(scrape_run_manifest(b->run), "params"), "fire_lists");
    rec_add(r, "test_rows", 1, !o->rerun_test_rows && fl && fl->type == JSON_OBJECT ? "firing lists" : "run");
    return 0;
}

/* An option as a message shows it ("--seed 3"). */
static void rec_show(const char *key, const char *val, char *out, size_t cap) {
    if (!strcmp(key, "seed")) snprintf(out, cap, "--seed %s", val);
    else if (!strcmp(key, "augment")) snprintf(out, cap, "--augment %s", val);
    else if (!strcmp(key, "casings_hash")) snprintf(out, cap, "a casing table (--casings) with hash %s", val);
    else if (!strcmp(key, "mlm_hash")) snprintf(out, cap, "an --mlm checkpoint with hash %s", val);
    else if (!strcmp(key, "mask_token")) snprintf(out, cap, "--mask-token %s", val);
    else if (!strcmp(key, "full_importance")) snprintf(out, cap, "%s--full-importance", strcmp(val, "true") ? "no " : "");
    else if (!strcmp(key, "test_rows"))
        snprintf(out, cap, "%s", strcmp(val, "run") ? "test rows from the scrape's firing lists"
                                                   : "test rows run (--rerun-test-rows, or a run without firing lists)");
    else snprintf(out, cap, "%s %s", key, val);
}

/* The canonical text of a recorded value (as rec_item.val); 0 when it is not a scalar. */
static int rec_text(const json_value *v, char *out, size_t cap) {
    if (!v) return 0;
    if (v->type == JSON_STRING) snprintf(out, cap, "%.*s", (int)(v->n < cap ? v->n : cap - 1), v->str);
    else if (v->type == JSON_NUMBER) snprintf(out, cap, "%.17g", v->num);
    else if (v->type == JSON_TRUE || v->type == JSON_FALSE) snprintf(out, cap, "%s", v->type == JSON_TRUE ? "true" : "false");
    else return 0;
    return 1;
}

/* 0 when the recorded options old equal r; else 1 with why = "was built with X; this build has Y". */
static int rec_differs(const build_record *r, const json_value *old, char *why, size_t cap) {
    char ov[80], a[200], c[200];
    if (!old || old->type != JSON_OBJECT) {
        snprintf(why, cap, "has no record of the options it was built with (an older n2g wrote it)");
        return 1;
    }
    for (int i = 0; i < r->n; i++) {
        const rec_item *it = &r->it[i];
        const json_value *v = json_get(old, it->key);
        if (rec_text(v, ov, sizeof ov) && (v->type == JSON_STRING) == it->is_str && !strcmp(ov, it->val)) continue;
        if (rec_text(v, ov, sizeof ov)) rec_show(it->key, ov, a, sizeof a);
        else snprintf(a, sizeof a, "no recorded \"%s\"", it->key);
        rec_show(it->key, it->val, c, sizeof c);
        snprintf(why, cap, "was built with %s; this build has %s", a, c);
        return 1;
    }
    for (size_t k = 0; k < old->n; k++) {
        int known = 0;
        for (int i = 0; i < r->n && !known; i++) known = !strcmp(old->keys[k], r->it[i].key);
        if (known) continue;
        if (rec_text(&old->items[k], ov, sizeof ov)) rec_show(old->keys[k], ov, a, sizeof a);
        else snprintf(a, sizeof a, "\"%s\"", old->keys[k]);
        snprintf(why, cap, "was built with %s; this build has none", a);
        return 1;
    }
    return 0;
}

/* Other options without --force: a usage error naming the option and both values. A done neuron
 * whose graph has no SVG gets it now when Graphviz is there (rank 0), else counts in
 * svg_missing. */
int n2g_build_check_done(builder *b, int l, int n, const char *path, n2g_err *err) {
    n2g_err e2 = {0};
    char why[600];
    json_doc *d = json_parse_file(path, &e2);
    int differs = 1;
    if (!d) snprintf(why, sizeof why, "cannot be read (%.500s)", e2.msg);
    else differs = rec_differs(&b->rec, json_get(json_root(d), "options"), why, sizeof why);
    const json_value *gr = d ? json_get(json_root(d), "graph") : NULL;
    int has_graph = gr && gr->type == JSON_TRUE;
    json_free(d);
    if (differs) {
        if (b->o->force) return 1;
        return n2g_failc(err, N2G_E_USAGE,
                         "%s %s: rerun with the options it was built with, or add --force to rebuild the named "
                         "neurons built with other options",
                         path, why);
    }
    if (!has_graph || b->o->no_svg) return 0;
    char svgp[4096], dotp[4096];
    n2g_build_path(svgp, sizeof svgp, b->run_dir, "graphs", l, n, ".svg");
    n2g_build_path(dotp, sizeof dotp, b->run_dir, "graphs", l, n, ".dot");
    if (n2g_is_file(svgp)) return 0;
    if (!b->want_svg || !n2g_is_file(dotp)) {
        b->res->svg_missing++;
        return 0;
    }
    if (dist_rank() == 0) {
        if (n2g_graph_render_svg(dotp, svgp, 60.0, err) != 0) return -1;
        b->res->svg_rendered++;
    }
    return 0;
}

void n2g_build_record_write(FILE *f, const build_record *rec) {
    fputs("{", f);
    for (int i = 0; i < rec->n; i++) {
        const rec_item *it = &rec->it[i];
        fprintf(f, "%s\"%s\": ", i ? ", " : "", it->key);
        if (it->is_str) json_write_string(f, it->val, strlen(it->val));
        else fputs(it->val, f);
    }
    fputs("}", f);
}
