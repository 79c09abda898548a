/* scrape.c — the scrape loop: corpus rows -> device top-k -> checkpoints -> RUN/ (scrape.h). */
#include "scrape.h"

#include "text/corpus.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/progress.h"
#include "dist/dist.h"
#include "dist/dist_scrape.h"
#include "model/gpt2.h"
#include "ops/ops_topk.h"
#include "scrape_engine.h"
#include "scrape_fs.h"
#include "scrape_lock.h"
#include "scrape_manifest.h"
#include "scrape_source.h"
#include "scrape_store.h"

/* The row store is pruned to the kept rows whenever it grows past this, or past twice its size
 * after the last pruning (so a store of many kept rows is not pruned after every batch). */
#define SCRAPE_ROWSTORE_FLUSH_BYTES ((size_t)256 << 20)

int scrape_ops_create(const ops_options *o, int fallback, ops_ctx **out, char *note, size_t n, n2g_err *err) {
    note[0] = 0;
    if (ops_create(o, out, err) == 0) return 0;
    if (!fallback || o->kind == OPS_CPU) return -1;
    snprintf(note, n, "no Vulkan device (%s); using the CPU backend", err->msg);
    ops_options c = *o;
    c.kind = OPS_CPU;
    return ops_create(&c, out, err);
}

int scrape_parse_layers(const char *s, int n_layer, int *out, int cap, n2g_err *err) {
    if (!s || !*s) return n2g_failc(err, N2G_E_USAGE, "--layers: empty list");
    char mark[4096] = {0};
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long a = strtol(p, &end, 10), b;
        if (end == p || errno || a < 0 || a >= 4096) goto bad;
        b = a;
        p = end;
        if (*p == '-') {
            p++;
            b = strtol(p, &end, 10);
            if (end == p || errno || b < a || b >= 4096) goto bad;
            p = end;
        }
        if (*p == ',')
            p++;
        else if (*p)
            goto bad;
        for (long l = a; l <= b; l++) {
            if (n_layer > 0 && l >= n_layer)
                return n2g_failc(err, N2G_E_USAGE, "--layers: layer %ld does not exist (the model has layers 0-%d)",
                                 l, n_layer - 1);
            mark[l] = 1;
        }
    }
    int n = 0;
    for (int l = 0; l < 4096; l++)
        if (mark[l]) {
            if (n == cap) return n2g_failc(err, N2G_E_USAGE, "--layers: too many layers");
            out[n++] = l;
        }
    return n;
bad:
    return n2g_failc(err, N2G_E_USAGE, "--layers: expected a list like 0-11 or 0,3,5-7, got '%s'", s);
}

typedef struct scan {
    const scrape_params *p;
    char manifest_path[4200], examples_path[4200], model_abs[PATH_MAX];
    scrape_ident id;
    scrape_source *src; /* once open: the corpus files' problem counts go into the manifest */
    scrape_state st;
    scrape_rows rows;
    scrape_engine *eng;
    int layers[4096];
} scan;

static void scan_info(const scan *s, scrape_scan_info *i) {
    i->complete = (s->st.flags & SCRAPE_FLAG_COMPLETE) != 0;
    i->rows = s->st.rows_scanned;
    i->tokens = s->st.rows_scanned * (uint64_t)s->st.ctx;
    i->positions = s->st.positions;
    i->rows_stored = s->rows.n;
}

/* Downloads the device state and drops rows no neuron keeps. */
static int scan_sync(scan *s, n2g_err *err) {
    if (scrape_engine_get_state(s->eng, s->st.topk, s->st.stats, err)) return -1;
    if (s->st.fire && scrape_engine_get_fire(s->eng, s->st.fire, err)) return -1;
    scrape_rows_prune(&s->rows, &s->st);
    return 0;
}

/* examples.bin, then the manifest (scrape_checkpoint_write): the manifest never claims more
 * than the state holds. */
static int scan_checkpoint(scan *s, n2g_err *err) {
    if (scan_sync(s, err)) return -1;
    if (s->src) scrape_source_counts(s->src, &s->id);
    return scrape_checkpoint_write(s->manifest_path, s->examples_path, &s->id, &s->st, &s->rows, err);
}

void scrape_progress_update(progress *bar, const scrape_source *src, uint64_t rows, uint64_t max_rows,
                            const char *extra) {
    /* the corpus's share behind the rows so far gives the total; --max-tokens may cut it */
    double f = scrape_source_progress(src), total = f > 0 ? (double)rows / f : 0;
    if (max_rows < UINT32_MAX - 1 && (total <= 0 || total > (double)max_rows)) total = (double)max_rows;
    progress_set_total(bar, total);
    progress_update(bar, (double)rows, extra);
}

/* One line on the corpus files with problems (bad JSONL lines skipped, invalid UTF-8 replaced,
 * cut short), or "" when there were none. */
static void corpus_summary(const scrape_ident *id, char *buf, size_t n) {
    size_t o = 0;
    int shown = 0, more = 0;
    uint64_t sk = 0, rp = 0, cut = 0;
    buf[0] = 0;
#define PUT(...) (o < n ? (o += (size_t)snprintf(buf + o, n - o, __VA_ARGS__)) : 0)
    for (int i = 0; i < id->n_files; i++) {
        const scrape_file_id *f = &id->files[i];
        if (!f->skipped && !f->replaced && !f->truncated) continue;
        sk += f->skipped, rp += f->replaced, cut += f->truncated != 0;
        if (shown == 4) {
            more++;
            continue;
        }
        const char *sep = ":";
        PUT("%s%s", shown++ ? "; " : "", f->path);
        if (f->skipped) PUT("%s %llu JSONL lines skipped", sep, (unsigned long long)f->skipped), sep = ",";
        if (f->replaced)
            PUT("%s %llu invalid UTF-8 sequences replaced by U+FFFD", sep, (unsigned long long)f->replaced), sep = ",";
        if (f->truncated) PUT("%s cut short (damaged or unreadable)", sep);
    }
    if (more)
        PUT("; and %d more files (in all: %llu lines skipped, %llu sequences replaced, %llu files cut short)", more,
            (unsigned long long)sk, (unsigned long long)rp, (unsigned long long)cut);
#undef PUT
}

/* 1 when DIR holds anything but our own temporaries (a directory that is not a run). */
static int dir_has_foreign_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *de;
    int foreign = 0;
    while (!foreign && (de = readdir(d)))
        foreign = strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "manifest.json.tmp") &&
                  strcmp(de->d_name, "examples.bin.tmp") && strcmp(de->d_name, SCRAPE_LOCK_NAME) &&
                  strcmp(de->d_name, "corpus-stdin.txt"); /* n2g scrape --corpus -: the copy of stdin */
    closedir(d);
    return foreign;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Loads an existing examples.bin into the state and row store (resume). */
static int scan_load(scan *s, n2g_err *err) {
    scrape_map m;
    if (scrape_store_map(s->examples_path, &m, err)) return -1;
    const scrape_header *h = m.h;
    int rc = 0;
    if (h->ident_hash != s->st.ident_hash || (int)h->n_layers != s->st.n_layers || (int)h->d_mlp != s->st.d_mlp ||
        (int)h->k != s->st.k || (int)h->ctx != s->st.ctx) {
        rc = n2g_fail(err, "%s: made with other parameters than %s describes; choose a new --out", s->examples_path,
                      s->manifest_path);
        goto out;
    }
    if ((rc = scrape_map_verify_tokens(&m, err))) goto out; /* every row is read back */
    size_t ck = (size_t)s->st.d_mlp * s->st.k;
    for (int l = 0; l < s->st.n_layers; l++) {
        uint32_t *dst = s->st.topk + (size_t)l * 3 * ck;
        memcpy(dst, m.val + l * ck, ck * 4);
        memcpy(dst + ck, m.row + l * ck, ck * 4);
        memcpy(dst + 2 * ck, m.pos + l * ck, ck * 4);
        for (int c = 0; c < s->st.d_mlp; c++) {
            const float *rec = m.stats + ((size_t)l * s->st.d_mlp + c) * 4;
            s->st.stats[((size_t)l * s->st.d_mlp + c) * 2] = rec[2];
            s->st.stats[((size_t)l * s->st.d_mlp + c) * 2 + 1] = rec[3];
        }
    }
    if (s->st.fire) { /* canonical (slot order, tag = the slot's row) -> the device layout */
        if ((int)h->fire_f != s->st.fire_f || !m.fire_cnt) {
            rc = n2g_fail(err, "%s: holds no firing lists of %d entries (--fire-lists); choose a new --out",
                          s->examples_path, s->st.fire_f);
            goto out;
        }
        size_t F = (size_t)s->st.fire_f, per = ops_topk_fire_words(s->st.d_mlp, s->st.k, s->st.fire_f);
        for (int l = 0; l < s->st.n_layers; l++) {
            uint32_t *st = s->st.fire + (size_t)l * per, *cnt = st + ck, *pos = st + 2 * ck, *val = pos + ck * F;
            memcpy(st, m.row + l * ck, ck * 4);
            memcpy(cnt, m.fire_cnt + l * ck, ck * 4);
            memcpy(pos, m.fire_pos + l * ck * F, ck * F * 4);
            memcpy(val, m.fire_val + l * ck * F, ck * F * 4);
        }
    }
    s->st.flags = h->flags;
    s->st.rows_scanned = h->rows_scanned;
    s->st.positions = h->positions;
    for (uint64_t i = 0; i < h->n_rows && !rc; i++)
        rc = scrape_rows_append(&s->rows, m.row_ids[i], m.tokens + i * h->ctx, err);
out:
    scrape_store_unmap(&m);
    return rc;
}

int scrape_scan(const scrape_params *p, scrape_result *res, n2g_err *err) {
    memset(res, 0, sizeof *res);
    if (p->top_k < 1 || p->top_k > OPS_TOPK_MAX_K)
        return n2g_failc(err, N2G_E_USAGE, "--top-k: must be between 1 and %d, got %d", OPS_TOPK_MAX_K, p->top_k);
    if (p->n_corpus < 1) return n2g_failc(err, N2G_E_USAGE, "--corpus: at least one file is required");
    if (p->batch < 0) return n2g_failc(err, N2G_E_USAGE, "--batch: must be positive");

    scan *s = calloc(1, sizeof *s);
    if (!s) return n2g_fail(err, "out of memory");
    s->p = p;
    gpt2_model *m = NULL;
    ops_ctx *ops = NULL;
    scrape_source *src = NULL;
    scrape_file_id *files = NULL;
    char **flist = NULL;
    int n_files = 0;
    progress *bar = NULL;
    int32_t *tok = NULL;
    bpe_tokenizer *btok = NULL;
    scrape_lock *lock = NULL;
    int rc = -1, vocab_src = 0;

    int R = dist_size(), me = dist_rank(); /* several ranks: see dist_scrape.h */
    if (gpt2_load(p->model_dir, &m, err)) goto done;
    /* the tokenizer, by the rule every command follows (bpe_load_model): a broken file stops here */
    if (!(btok = bpe_load_model(p->model_dir, me > 0, &vocab_src, err))) goto done;
    const gpt2_config *cfg = &m->cfg;
    int n_layers = p->n_layers;
    if (p->layers) {
        for (int i = 0; i < n_layers; i++) {
            if (p->layers[i] < 0 || p->layers[i] >= cfg->n_layer) {
                n2g_failc(err, N2G_E_USAGE, "--layers: layer %d does not exist (the model has layers 0-%d)",
                          p->layers[i], cfg->n_layer - 1);
                goto done;
            }
            s->layers[i] = p->layers[i];
        }
    } else {
        n_layers = cfg->n_layer;
        for (int i = 0; i < n_layers; i++) s->layers[i] = i;
    }
    int ctx = p->ctx ? p->ctx : cfg->n_ctx;
    if (ctx < 2 || ctx > cfg->n_ctx) {
        n2g_failc(err, N2G_E_USAGE, "--ctx: must be between 2 and the model's n_ctx (%d), got %d", cfg->n_ctx, ctx);
        goto done;
    }
    uint64_t max_rows = UINT32_MAX - 1;
    if (p->max_tokens) {
        if (p->max_tokens < (uint64_t)ctx) {
            n2g_failc(err, N2G_E_USAGE, "--max-tokens: %llu is less than one row of --ctx %d tokens",
                      (unsigned long long)p->max_tokens, ctx);
            goto done;
        }
        if (p->max_tokens / ctx < max_rows) max_rows = p->max_tokens / ctx;
    }
    int p0 = p->include_bos ? 0 : 1;
    if (me == 0 && scrape_mkdir(p->out, err)) goto done; /* before hashing a big corpus */
    if (me == 0 && scrape_lock_take(p->out, &lock, err)) goto done; /* one writer (the job's ranks: rank 0) */

    /* identity: model file, corpus files, parameters; paths absolute, so that they resolve the
     * same from any working directory */
    char st_path[4200];
    snprintf(st_path, sizeof st_path, "%s/model.safetensors", p->model_dir);
    if (!realpath(p->model_dir, s->model_abs)) snprintf(s->model_abs, sizeof s->model_abs, "%s", p->model_dir);
    s->id.model_dir = s->model_abs;
    s->id.cfg = cfg;
    s->id.dtype = m->dtype;
    s->id.vocab = BPE_VOCAB_NAME(vocab_src);
    if (me == 0 && scrape_hash_file(st_path, &s->id.st_hash, &s->id.st_bytes, err)) goto done;
    /* the run identity names exactly the files the corpus reader will read (rank 0 writes it) */
    for (int i = 0; me == 0 && i < p->n_corpus; i++)
        if (!strcmp(p->corpus[i], "-")) {
            n2g_failc(err, N2G_E_USAGE, "--corpus -: standard input cannot be resumed; give files");
            goto done;
        }
    if (me == 0 && corpus_list_inputs(p->corpus, p->n_corpus, &flist, &n_files, err)) goto done;
    files = calloc((size_t)n_files + 1, sizeof *files);
    if (!files) {
        n2g_fail(err, "out of memory");
        goto done;
    }
    for (int i = 0; i < n_files; i++) {
        char abs[PATH_MAX], *dup;
        if (realpath(flist[i], abs) && (dup = strdup(abs))) {
            free(flist[i]);
            flist[i] = dup;
        }
        files[i].path = flist[i];
        if (scrape_hash_file(flist[i], &files[i].hash, &files[i].bytes, err)) goto done;
    }
    s->id.n_files = n_files;
    s->id.files = files;
    s->id.layers = s->layers;
    s->id.n_layers = n_layers;
    s->id.top_k = p->top_k;
    s->id.ctx = ctx;
    s->id.max_tokens = p->max_tokens;
    s->id.include_bos = p->include_bos;
    if (p->fire_lists < 0 || p->fire_lists > OPS_TOPK_MAX_F) {
        n2g_failc(err, N2G_E_USAGE, "--fire-lists=%d: entries per list must be 1..%d", p->fire_lists, OPS_TOPK_MAX_F);
        goto done;
    }
    s->id.fire_f = p->fire_lists;
    s->id.fire_ratio = p->fire_lists ? SCRAPE_FIRE_RATIO : 0.0f;

    /* state */
    s->st.n_layers = n_layers;
    s->st.d_mlp = cfg->d_mlp;
    s->st.k = p->top_k;
    s->st.ctx = ctx;
    s->st.flags = p->include_bos ? SCRAPE_FLAG_INCLUDE_BOS : 0;
    s->st.layers = s->layers;
    s->st.ident_hash = scrape_ident_hash(&s->id);
    size_t ck = (size_t)cfg->d_mlp * p->top_k;
    s->st.topk = malloc((size_t)n_layers * 3 * ck * 4);
    s->st.stats = calloc((size_t)n_layers * cfg->d_mlp * 2, 4);
    if (!s->st.topk || !s->st.stats) {
        n2g_fail(err, "out of memory");
        goto done;
    }
    for (int l = 0; l < n_layers; l++) ops_topk_init_host(s->st.topk + (size_t)l * 3 * ck, cfg->d_mlp, p->top_k);
    if (p->fire_lists) {
        size_t per = ops_topk_fire_words(cfg->d_mlp, p->top_k, p->fire_lists);
        s->st.fire_f = p->fire_lists;
        s->st.fire_ratio = SCRAPE_FIRE_RATIO;
        if (!(s->st.fire = malloc((size_t)n_layers * per * 4))) {
            n2g_fail(err, "out of memory");
            goto done;
        }
        for (int l = 0; l < n_layers; l++)
            ops_topk_fire_init_host(s->st.fire + (size_t)l * per, cfg->d_mlp, p->top_k, p->fire_lists);
    }
    scrape_rows_init(&s->rows, ctx);

    /* run directory: new, or resume after checking the identity */
    snprintf(s->manifest_path, sizeof s->manifest_path, "%s/manifest.json", p->out);
    snprintf(s->examples_path, sizeof s->examples_path, "%s/examples.bin", p->out);
    if (me > 0) {
        /* rank 0 checks and loads the run directory */
    } else if (file_exists(s->manifest_path)) {
        if (scrape_manifest_check(s->manifest_path, &s->id, err)) goto done;
        if (file_exists(s->examples_path)) {
            if (scan_load(s, err)) goto done;
            res->resumed = 1;
        }
    } else if (dir_has_foreign_files(p->out)) {
        n2g_failc(err, N2G_E_USAGE, "--out %s: the directory is not empty and holds no scrape run (no manifest.json); "
                  "choose a new or empty directory", p->out);
        goto done;
    } else { /* a new run: the manifest claims the directory before anything else is written */
        scrape_scan_info none = {0};
        if (scrape_manifest_write(s->manifest_path, &s->id, &none, err)) goto done;
    }
    if (R > 1) dist_scrape_share_state(&s->st, &res->resumed);
    if (s->st.flags & SCRAPE_FLAG_COMPLETE) { /* finished earlier: make sure the manifest says so */
        scrape_scan_info info;
        scan_info(s, &info);
        if (me == 0) scrape_manifest_read_counts(s->manifest_path, files, n_files); /* no corpus read now */
        rc = me == 0 ? scrape_manifest_write(s->manifest_path, &s->id, &info, err) : 0;
        corpus_summary(&s->id, res->corpus_note, sizeof res->corpus_note);
        res->already_complete = 1;
        res->rows = s->st.rows_scanned;
        res->tokens = s->st.rows_scanned * ctx;
        res->rows_stored = s->rows.n;
        goto done;
    }

    /* device */
    int B = p->batch;
    if (!B) B = p->ops.kind == OPS_CPU ? 2 : (ctx >= 512 ? 8 : 8192 / ctx);
    if (B < 1) B = 1;
    if (scrape_ops_create(&p->ops, p->cpu_fallback, &ops, res->note, sizeof res->note, err)) goto done;
    if (scrape_engine_create(m, ops, s->layers, n_layers, p->top_k, ctx, B, p0, &s->eng, err) ||
        scrape_engine_set_state(s->eng, s->st.topk, s->st.stats, err) ||
        (s->st.fire && scrape_engine_set_fire(s->eng, s->st.fire_f, s->st.fire_ratio, s->st.fire, err)))
        goto done;

    if (scrape_source_open(p->corpus, p->n_corpus, btok, ctx, p->strict, &src, err)) goto done;
    s->src = src;
    if (s->st.rows_scanned && scrape_source_skip(src, s->st.rows_scanned, err)) {
        n2g_wrap(err, "resuming %s after row %llu", p->out, (unsigned long long)s->st.rows_scanned);
        goto done;
    }
    tok = malloc((size_t)B * ctx * sizeof *tok);
    if (!tok) {
        n2g_fail(err, "out of memory");
        goto done;
    }
    bar = progress_start("scrape", 0, "rows", p->quiet || me > 0);
    progress_set_start(bar, (double)s->st.rows_scanned); /* a resumed run: the pace is this process's */
    double t0 = progress_now(), last_ck = t0;
    uint64_t start_rows = s->st.rows_scanned, rows_at_ck = s->st.rows_scanned;
    size_t flush_min = p->rowstore_bytes ? p->rowstore_bytes : SCRAPE_ROWSTORE_FLUSH_BYTES, flush_at = flush_min;
    if (R > 1) {
        dist_scrape_ctx dc = {p, s->manifest_path, s->examples_path, &s->id, &s->st, &s->rows, s->eng, src, tok,
                              B, p0, max_rows, flush_min, bar};
        if (dist_scrape_scan(&dc, res, err)) goto done;
        goto finished;
    }
    for (;;) {
        if (p->stop && *p->stop) {
            if (scan_checkpoint(s, err)) goto done;
            res->interrupted = 1;
            break;
        }
        uint64_t left = max_rows - s->st.rows_scanned;
        if (!left) break;
        int want = (uint64_t)B < left ? B : (int)left, got = 0;
        if (scrape_source_next(src, tok, want, &got, err)) goto done;
        if (!got) break;
        uint32_t row0 = (uint32_t)s->st.rows_scanned;
        for (int b = 0; b < got; b++)
            if (scrape_rows_append(&s->rows, row0 + (uint32_t)b, tok + (size_t)b * ctx, err)) goto done;
        if (scrape_engine_step(s->eng, tok, got, row0, 1, err)) goto done;
        s->st.rows_scanned += (uint64_t)got;
        s->st.positions += (uint64_t)got * (uint64_t)(ctx - p0);
        double now = progress_now();
        char extra[64];
        snprintf(extra, sizeof extra, "%.0f tok/s",
                 (double)(s->st.rows_scanned - start_rows) * ctx / (now - t0 > 1e-9 ? now - t0 : 1e-9));
        scrape_progress_update(bar, src, s->st.rows_scanned, max_rows, extra);
        if (now - last_ck >= p->checkpoint_secs ||
            (p->checkpoint_rows && s->st.rows_scanned - rows_at_ck >= p->checkpoint_rows)) {
            if (scan_checkpoint(s, err)) goto done;
            last_ck = progress_now();
            rows_at_ck = s->st.rows_scanned;
            flush_at = 2 * scrape_rows_bytes(&s->rows);
        } else if (scrape_rows_bytes(&s->rows) > flush_at) {
            if (scan_sync(s, err)) goto done;
            flush_at = 2 * scrape_rows_bytes(&s->rows);
        }
        if (flush_at < flush_min) flush_at = flush_min;
    }
    if (!res->interrupted) {
        if (s->st.rows_scanned == 0) {
            n2g_fail(err, "%s: the corpus holds no complete row of %d tokens", p->corpus[0], ctx);
            goto done;
        }
        s->st.flags |= SCRAPE_FLAG_COMPLETE;
        if (scan_checkpoint(s, err)) goto done;
    }
finished:
    scrape_source_counts(src, &s->id);
    corpus_summary(&s->id, res->corpus_note, sizeof res->corpus_note);
    res->seconds = progress_now() - t0;
    res->rows = s->st.rows_scanned;
    res->tokens = s->st.rows_scanned * (uint64_t)ctx;
    res->rows_stored = s->rows.n;
    res->tokens_per_s = res->seconds > 0 ? (double)(s->st.rows_scanned - start_rows) * ctx / res->seconds : 0;
    res->ranks = R;
    rc = 0;
done:
    progress_finish(bar);
    free(tok);
    scrape_source_close(src);
    bpe_free(btok);
    scrape_lock_release(lock);
    scrape_engine_free(s->eng);
    ops_destroy(ops);
    gpt2_free(m);
    free(files);
    corpus_free_list(flist, n_files);
    free(s->st.topk);
    free(s->st.stats);
    free(s->st.fire);
    scrape_rows_free(&s->rows);
    free(s);
    return rc;
}
