/* corpus.c — documents -> chunks -> (thread pool) token ids -> rows of n_ctx tokens, in order.
 *
 * The consumer thread (the caller of corpus_next_rows) reads and decompresses the inputs, splits
 * them into documents, and packs documents into chunks of about CHUNK_TARGET bytes; a text
 * document longer than that is cut at a position between a non-space ASCII byte and an ASCII
 * whitespace byte, where GPT-2's pre-tokeniser always ends a piece, so the cut changes no token.
 * Worker threads tokenise chunks; the consumer takes them back in sequence order, so the rows
 * never depend on the thread count. */
#include "text/corpus.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/progress.h"
#include "text/corpus_src.h"
#include "text/unicode.h"

#define CHUNK_TARGET (1u << 18)   /* bytes of text per chunk */
#define CHUNK_MAX (1u << 20)      /* a text with no safe cut in this many bytes is cut anyway */
#define JSONL_MAX_LINE (1u << 26) /* longer JSONL lines are skipped as bad input */
#define WARN_PER_FILE 5

typedef struct {
    size_t off, len;
    int eos_before;
} segment;

enum { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE };

typedef struct {
    int state, rc;
    uint64_t stored_at; /* input bytes (as stored) consumed through this chunk (progress estimate) */
    char *text;
    size_t len, cap;
    segment *seg;
    size_t nseg, segcap;
    bpe_ids out;
} slot;

struct corpus_reader {
    const bpe_tokenizer *tok;
    corpus_options opt;
    char **paths;
    int n_paths;
    corpus_file_id *files;
    int n_files;
    /* current input */
    int cur;
    corpus_src *src;
    int format, src_eof, warns;
    uint64_t line, dec_read; /* dec_read: bytes read from the current file (decompressed) */
    char *pend;
    size_t pend_pos, pend_len, pend_cap;
    int input_done, in_doc;
    uint64_t docs_started;
    /* pool */
    slot *slots;
    int nslots;
    long head, tail;
    pthread_t *threads;
    int nthreads, threads_started, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    bpe_cache *cache;
    /* tokens not yet in a row */
    int32_t *q;
    size_t q_pos, q_len, q_cap;
    corpus_counts st;
    /* progress: (tokens, stored bytes) at the end of each chunk moved to the queue and not yet
     * consumed by rows, oldest first; base = the last one consumed */
    struct mark {
        uint64_t tok, stored;
    } marks[64], base;
    int mark_head, mark_n;
    int failed, ended;
    n2g_err fail;
    progress *prog;
    uint64_t stored_done, total_stored;
    double t0;
};

corpus_options corpus_default_options(const bpe_tokenizer *tok) {
    corpus_options o;
    memset(&o, 0, sizeof o);
    o.n_ctx = 1024;
    o.bos_id = o.eos_id = tok ? bpe_eot_id(tok) : -1;
    o.jsonl_field = "text";
    return o;
}

/* ---- bad input ---------------------------------------------------------------------------- */

/* Reports bad input: a warning (at most WARN_PER_FILE per file), or in strict mode the error
 * that stops the reader (returns -1). */
static int bad_input(corpus_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_input(corpus_reader *r, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->opt.strict) {
        r->failed = 1;
        n2g_fail(&r->fail, "%s (stopping: strict mode)", msg);
        return -1;
    }
    if (!r->opt.no_warnings) {
        if (r->warns < WARN_PER_FILE) fprintf(stderr, "n2g: warning: %s\n", msg);
        else if (r->warns == WARN_PER_FILE) fprintf(stderr, "n2g: warning: %s: further warnings for this file not shown\n",
                                                    r->files[r->cur].path);
    }
    r->warns++;
    return 0;
}

static int oom(corpus_reader *r) {
    r->failed = 1;
    return n2g_fail(&r->fail, "out of memory while reading the corpus");
}

/* ---- input files ---------------------------------------------------------------------------- */

static void close_file(corpus_reader *r) {
    if (!r->src) return;
    n2g_err e = {0};
    corpus_file_id *f = &r->files[r->cur];
    f->complete = corpus_src_drain(r->src, &e) == 0;
    f->size = corpus_src_stored_bytes(r->src);
    f->fnv1a64 = corpus_src_hash(r->src);
    r->stored_done += f->size;
    corpus_src_close(r->src);
    r->src = NULL;
    r->pend_pos = r->pend_len = 0;
}

/* Opens the next input; sets input_done after the last. */
static int open_next(corpus_reader *r) {
    close_file(r);
    if (r->cur + 1 >= r->n_paths) {
        r->input_done = 1;
        return 0;
    }
    r->cur++;
    const char *path = r->paths[r->cur];
    r->files[r->cur].path = path;
    r->n_files = r->cur + 1;
    r->st.files++;
    r->line = r->dec_read = 0;
    r->warns = 0;
    r->src_eof = 0;
    r->format = (!strcmp(path, "-") && r->opt.stdin_jsonl) ? CORPUS_JSONL : corpus_format_of(path);
    n2g_err e = {0};
    r->src = corpus_src_open(path, &e);
    if (!r->src) {
        r->src_eof = 1;
        r->st.bad_files++;
        r->files[r->cur].bad = 1;
        return bad_input(r, "%s", e.msg);
    }
    return 0;
}

/* Makes at least `want` unread bytes available in pend (fewer only at the end of the file).
 * A read error or damaged stream ends the file there (bad input). */
static int pend_fill(corpus_reader *r, size_t want) {
    if (r->pend_pos > 0 && (r->pend_pos > r->pend_cap / 2 || r->pend_len - r->pend_pos < want)) {
        memmove(r->pend, r->pend + r->pend_pos, r->pend_len - r->pend_pos);
        r->pend_len -= r->pend_pos;
        r->pend_pos = 0;
    }
    while (!r->src_eof && r->pend_len - r->pend_pos < want) {
        if (r->pend_len + (1u << 16) > r->pend_cap) {
            size_t cap = r->pend_cap ? r->pend_cap * 2 : (1u << 20);
            while (cap < r->pend_len + (1u << 16)) cap *= 2;
            char *p = realloc(r->pend, cap);
            if (!p) return oom(r);
            r->pend = p;
            r->pend_cap = cap;
        }
        n2g_err e = {0};
        long got = corpus_src_read(r->src, r->pend + r->pend_len, r->pend_cap - r->pend_len, &e);
        if (got < 0) {
            r->src_eof = 1;
            r->st.bad_files++;
            r->files[r->cur].bad = 1;
            return bad_input(r, "%s (the rest of this file is skipped)", e.msg);
        }
        if (got == 0) r->src_eof = 1;
        r->pend_len += (size_t)got;
        r->dec_read += (uint64_t)got;
    }
    return 0;
}

/* ---- chunks --------------------------------------------------------------------------------- */

static int slot_reserve(corpus_reader *r, slot *s, size_t more) {
    if (s->len + more <= s->cap) return 0;
    size_t cap = s->cap ? s->cap : CHUNK_TARGET + 4096;
    while (cap < s->len + more) cap *= 2;
    char *p = realloc(s->text, cap);
    if (!p) return oom(r);
    s->text = p;
    s->cap = cap;
    return 0;
}

static int slot_segment(corpus_reader *r, slot *s, int new_doc) {
    if (s->nseg == s->segcap) {
        size_t cap = s->segcap ? s->segcap * 2 : 64;
        segment *p = realloc(s->seg, cap * sizeof *p);
        if (!p) return oom(r);
        s->seg = p;
        s->segcap = cap;
    }
    s->seg[s->nseg++] = (segment){s->len, 0, new_doc && r->docs_started > 0};
    if (new_doc) {
        r->docs_started++;
        r->st.docs++;
    }
    return 0;
}

static uint64_t count_lines(const char *s, size_t n) {
    uint64_t k = 0;
    if (!n) return 0;
    for (const char *p = s, *end = s + n; (p = memchr(p, '\n', (size_t)(end - p))); p++) k++;
    return k;
}

/* Length of the maximal invalid subpart starting at s[0] (Unicode's "maximal subpart" rule, as
 * Python's errors="replace" uses: one U+FFFD per subpart). */
static size_t invalid_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) need = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) need = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return 1;
    size_t k = 1;
    for (; k <= need && k < n; k++) {
        if (s[k] < lo || s[k] > hi) break;
        lo = 0x80, hi = 0xBF;
    }
    return k;
}

/* Appends text[0..n) of the current text document to the slot's last segment, replacing
 * invalid UTF-8 by U+FFFD (with a warning naming the line), or stopping in strict mode. */
static int append_text(corpus_reader *r, slot *s, const char *text, size_t n) {
    if (slot_reserve(r, s, n)) return -1;
    r->st.bytes += n;
    size_t i = 0;
    while (i < n) {
        size_t ok = unicode_valid_prefix((const unsigned char *)text + i, n - i);
        memcpy(s->text + s->len, text + i, ok);
        s->len += ok;
        i += ok;
        if (i == n) break;
        size_t bad = invalid_len((const unsigned char *)text + i, n - i);
        uint64_t line = r->line + count_lines(text, i) + 1;
        if (bad_input(r, "%s:%llu: invalid UTF-8 (byte 0x%02X); replaced by U+FFFD", r->files[r->cur].path,
                      (unsigned long long)line, (unsigned char)text[i]))
            return -1;
        r->st.replaced++;
        r->files[r->cur].replaced++;
        if (slot_reserve(r, s, (n - i) + 3)) return -1;
        memcpy(s->text + s->len, "\xEF\xBF\xBD", 3);
        s->len += 3;
        i += bad;
    }
    r->line += count_lines(text, n);
    s->seg[s->nseg - 1].len = s->len - s->seg[s->nseg - 1].off;
    return 0;
}

static int is_ascii_space(unsigned char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* A cut position in p[0..n) (0 < pos < n) where a piece always ends: p[pos] is ASCII whitespace
 * and the character before it is not whitespace (no GPT-2 piece holds a non-space followed by
 * a space). Searches backwards from n; 0 when none. */
static size_t safe_cut(const char *p, size_t n) {
    for (size_t i = n - 1; i > 0; i--) {
        if (!is_ascii_space((unsigned char)p[i])) continue;
        unsigned char b = (unsigned char)p[i - 1];
        if (b < 0x80) {
            if (!is_ascii_space(b)) return i;
            continue;
        }
        size_t st = i - 1; /* start of the character that ends at i - 1 */
        for (int k = 0; k < 3 && st > 0 && ((unsigned char)p[st] & 0xC0) == 0x80; k++) st--;
        uint32_t cp;
        size_t len = unicode_decode((const unsigned char *)p + st, i - st, &cp);
        if (cp == UNICODE_INVALID || st + len != i || unicode_class(cp) != UNICODE_SPACE) return i; /* invalid = other */
    }
    return 0;
}

/* Adds up to `room` bytes of the current text document to the slot. */
static int fill_text(corpus_reader *r, slot *s, size_t room) {
    if (!r->in_doc) {
        if (slot_segment(r, s, 1)) return -1;
        r->in_doc = 1;
    } else if (slot_segment(r, s, 0)) {
        return -1;
    }
    if (pend_fill(r, room + 1)) return -1;
    size_t avail = r->pend_len - r->pend_pos, take;
    const char *p = r->pend + r->pend_pos;
    if (avail <= room && r->src_eof) {
        take = avail;
    } else {
        take = safe_cut(p, avail < room ? avail : room);
        size_t want = room;
        while (!take && !r->src_eof && want < CHUNK_MAX) { /* no cut yet: look further */
            want *= 2;
            if (pend_fill(r, want + 1)) return -1;
            p = r->pend + r->pend_pos;
            avail = r->pend_len - r->pend_pos;
            take = safe_cut(p, avail < want ? avail : want);
        }
        if (!take && r->src_eof && avail <= CHUNK_MAX) take = avail;
        if (!take) { /* forced cut at a character boundary */
            take = avail < CHUNK_MAX ? avail : CHUNK_MAX;
            while (take > 1 && take < avail && ((unsigned char)p[take] & 0xC0) == 0x80) take--;
        }
    }
    if (append_text(r, s, p, take)) return -1;
    r->pend_pos += take;
    if (r->src_eof && r->pend_pos == r->pend_len) {
        r->in_doc = 0;
        close_file(r);
    }
    return 0;
}

/* Adds JSONL documents to the slot until it holds about `room` bytes or the file ends. */
static int fill_jsonl(corpus_reader *r, slot *s, size_t room) {
    size_t start = s->len;
    while (s->len - start < room) {
        const char *nl = NULL;
        size_t scan = 0;
        for (;;) {
            size_t avail = r->pend_len - r->pend_pos;
            nl = avail > scan ? memchr(r->pend + r->pend_pos + scan, '\n', avail - scan) : NULL;
            if (nl || r->src_eof) break;
            if (avail > JSONL_MAX_LINE) break;
            scan = avail;
            if (pend_fill(r, avail + (1u << 16))) return -1;
        }
        size_t avail = r->pend_len - r->pend_pos;
        if (!nl && !avail && r->src_eof) {
            close_file(r);
            return 0;
        }
        const char *line = r->pend + r->pend_pos;
        size_t len = nl ? (size_t)(nl - line) : avail;
        r->line++;
        if (!nl && !r->src_eof) { /* longer than JSONL_MAX_LINE: skip to its end */
            r->st.skipped++;
            r->files[r->cur].skipped++;
            if (bad_input(r, "%s:%llu: line longer than %u MiB; skipped", r->files[r->cur].path,
                          (unsigned long long)r->line, JSONL_MAX_LINE >> 20))
                return -1;
            for (;;) {
                r->pend_pos = r->pend_len;
                if (pend_fill(r, 1 << 16)) return -1;
                nl = memchr(r->pend + r->pend_pos, '\n', r->pend_len - r->pend_pos);
                if (nl) {
                    r->pend_pos = (size_t)(nl - r->pend) + 1;
                    break;
                }
                if (r->src_eof) {
                    r->pend_pos = r->pend_len;
                    break;
                }
            }
            continue;
        }
        r->pend_pos += len + (nl ? 1 : 0);
        r->st.bytes += len + (nl ? 1 : 0);
        if (len && line[len - 1] == '\r') len--;
        size_t k = 0;
        while (k < len && is_ascii_space((unsigned char)line[k])) k++;
        if (k == len) continue; /* blank line */
        n2g_err e = {0};
        json_doc *d = json_parse(line, len, "", &e);
        if (!d) {
            r->st.skipped++;
            r->files[r->cur].skipped++;
            int col = 0;
            const char *m = e.msg;
            if (sscanf(m, ":%*d:%d: ", &col) == 1) m = strstr(m + 1, ": ") ? strstr(m + 1, ": ") + 2 : m;
            if (!strncmp(m, "invalid JSON: ", 14)) m += 14;
            if (bad_input(r, "%s:%llu: not valid JSON (column %d: %s); line skipped", r->files[r->cur].path,
                          (unsigned long long)r->line, col, m))
                return -1;
            continue;
        }
        const json_value *root = json_root(d), *t = json_get(root, r->opt.jsonl_field);
        if (!t || t->type != JSON_STRING) {
            r->st.skipped++;
            r->files[r->cur].skipped++;
            int rc = bad_input(r, "%s:%llu: %s; line skipped", r->files[r->cur].path, (unsigned long long)r->line,
                               root->type != JSON_OBJECT ? "expected a JSON object"
                               : !t                      ? "no \"text\" field"
                                                         : "\"text\" is not a string");
            json_free(d);
            if (rc) return -1;
            continue;
        }
        if (slot_segment(r, s, 1) || slot_reserve(r, s, t->n)) {
            json_free(d);
            return -1;
        }
        if (t->n) memcpy(s->text + s->len, t->str, t->n); /* s->text may still be NULL for "" */
        s->len += t->n;
        s->seg[s->nseg - 1].len = t->n;
        json_free(d);
    }
    return 0;
}

/* Input bytes (as stored, compressed or not) consumed so far into chunks: the files done, and of
 * the current one its stored bytes read times the share of its decoded bytes already used. */
static uint64_t stored_consumed(const corpus_reader *r) {
    if (!r->src || !r->dec_read) return r->stored_done;
    double used = (double)(r->dec_read - (r->pend_len - r->pend_pos)) / (double)r->dec_read;
    return r->stored_done + (uint64_t)(used * (double)corpus_src_stored_bytes(r->src));
}

/* Fills a chunk with the next CHUNK_TARGET bytes or so of documents. */
static int fill_slot(corpus_reader *r, slot *s) {
    s->len = s->nseg = 0;
    s->out.n = 0;
    while (s->len < CHUNK_TARGET && !r->input_done && !r->failed) {
        if (!r->src) {
            if (open_next(r)) return -1;
            continue;
        }
        int rc = r->format == CORPUS_JSONL ? fill_jsonl(r, s, CHUNK_TARGET - s->len) : fill_text(r, s, CHUNK_TARGET - s->len);
        if (rc) return -1;
    }
    s->stored_at = stored_consumed(r);
    return r->failed ? -1 : 0;
}

/* ---- tokenising ----------------------------------------------------------------------------- */

static int encode_slot(const corpus_reader *r, slot *s, bpe_cache *cache) {
    int flags = r->opt.ordinary ? BPE_ORDINARY : BPE_SPECIAL;
    for (size_t i = 0; i < s->nseg; i++) {
        const segment *g = &s->seg[i];
        if (g->eos_before && r->opt.eos_id >= 0 && bpe_ids_push(&s->out, r->opt.eos_id)) return -1;
        if (g->len && bpe_encode(r->tok, s->text + g->off, g->len, flags, &s->out, cache, NULL)) return -1;
    }
    return 0;
}

static void *worker(void *arg) {
    corpus_reader *r = arg;
    bpe_cache *cache = bpe_cache_new();
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        slot *s = NULL;
        for (long q = r->head; q < r->tail; q++)
            if (r->slots[q % r->nslots].state == SLOT_READY) {
                s = &r->slots[q % r->nslots];
                break;
            }
        if (!s) {
            pthread_cond_wait(&r->cv_work, &r->mu);
            continue;
        }
        s->state = SLOT_BUSY;
        pthread_mutex_unlock(&r->mu);
        int rc = encode_slot(r, s, cache);
        pthread_mutex_lock(&r->mu);
        s->rc = rc;
        s->state = SLOT_DONE;
        pthread_cond_broadcast(&r->cv_done);
    }
    pthread_mutex_unlock(&r->mu);
    bpe_cache_free(cache);
    return NULL;
}

static void update_progress(corpus_reader *r) {
    if (!r->prog) return;
    char extra[64];
    double dt = progress_now() - r->t0;
    snprintf(extra, sizeof extra, "%.1fk tok/s", dt > 0 ? (double)r->st.tokens / dt / 1e3 : 0.0);
    progress_update(r->prog, (double)(r->stored_done + (r->src ? corpus_src_stored_bytes(r->src) : 0)), extra);
}

/* Moves the next chunk's ids to the token queue. Returns 1, 0 at the end, -1 on failure. */
static int next_chunk(corpus_reader *r, n2g_err *err) {
    for (;;) {
        while (r->tail - r->head < r->nslots && !r->input_done && !r->failed) {
            slot *s = &r->slots[r->tail % r->nslots];
            if (fill_slot(r, s)) break;
            if (!s->nseg) continue;
            pthread_mutex_lock(&r->mu);
            s->state = SLOT_READY;
            r->tail++;
            pthread_cond_signal(&r->cv_work);
            pthread_mutex_unlock(&r->mu);
        }
        if (r->failed) {
            if (err) *err = r->fail;
            return -1;
        }
        if (r->head == r->tail) return 0;
        slot *s = &r->slots[r->head % r->nslots];
        if (!r->nthreads) {
            s->rc = encode_slot(r, s, r->cache);
        } else {
            pthread_mutex_lock(&r->mu);
            while (s->state != SLOT_DONE) pthread_cond_wait(&r->cv_done, &r->mu);
            pthread_mutex_unlock(&r->mu);
        }
        if (s->rc) {
            oom(r);
            continue;
        }
        if (r->q_pos) {
            memmove(r->q, r->q + r->q_pos, (r->q_len - r->q_pos) * sizeof *r->q);
            r->q_len -= r->q_pos;
            r->q_pos = 0;
        }
        if (r->q_len + s->out.n > r->q_cap) {
            size_t cap = r->q_cap ? r->q_cap : 1 << 16;
            while (cap < r->q_len + s->out.n) cap *= 2;
            int32_t *p = realloc(r->q, cap * sizeof *p);
            if (!p) {
                oom(r);
                continue;
            }
            r->q = p;
            r->q_cap = cap;
        }
        if (s->out.n) memcpy(r->q + r->q_len, s->out.ids, s->out.n * sizeof *r->q);
        r->q_len += s->out.n;
        r->st.tokens += s->out.n;
        if (r->mark_n == (int)(sizeof r->marks / sizeof *r->marks)) { /* full: the oldest becomes the base */
            r->base = r->marks[r->mark_head];
            r->mark_head = (r->mark_head + 1) % r->mark_n; /* mark_n == the capacity here */
            r->mark_n--;
        }
        r->marks[(r->mark_head + r->mark_n++) % (int)(sizeof r->marks / sizeof *r->marks)] =
            (struct mark){r->st.tokens, s->stored_at};
        pthread_mutex_lock(&r->mu);
        s->state = SLOT_FREE;
        r->head++;
        pthread_mutex_unlock(&r->mu);
        update_progress(r);
        return 1;
    }
}

/* ---- public API ------------------------------------------------------------------------------ */

static long take_rows(corpus_reader *r, int32_t *rows, long max_rows, n2g_err *err) {
    if (r->failed) {
        if (err) *err = r->fail;
        return -1;
    }
    int bos = r->opt.bos_id >= 0;
    size_t body = (size_t)r->opt.n_ctx - (size_t)bos;
    long k = 0;
    while (k < max_rows) {
        while (r->q_len - r->q_pos < body && !r->ended) {
            int rc = next_chunk(r, err);
            if (rc < 0) return -1;
            if (rc == 0) {
                r->ended = 1;
                r->st.dropped_tokens = r->q_len - r->q_pos;
                if (r->prog) {
                    update_progress(r);
                    progress_finish(r->prog);
                    r->prog = NULL;
                }
            }
        }
        if (r->q_len - r->q_pos < body) break;
        if (rows) {
            int32_t *row = rows + (size_t)k * (size_t)r->opt.n_ctx;
            if (bos) row[0] = r->opt.bos_id;
            memcpy(row + bos, r->q + r->q_pos, body * sizeof *row);
        }
        r->q_pos += body;
        r->st.rows++;
        k++;
    }
    uint64_t used = r->st.tokens - (r->q_len - r->q_pos); /* tokens consumed by rows (and dropped) */
    const int cap = (int)(sizeof r->marks / sizeof *r->marks);
    while (r->mark_n && r->marks[r->mark_head].tok <= used) {
        r->base = r->marks[r->mark_head];
        r->mark_head = (r->mark_head + 1) % cap;
        r->mark_n--;
    }
    return k;
}

void corpus_progress(const corpus_reader *r, uint64_t *consumed, uint64_t *total) {
    *total = r->total_stored;
    uint64_t used = r->st.tokens - (r->q_len - r->q_pos);
    if (!r->mark_n || used <= r->base.tok) {
        *consumed = r->base.stored;
        return;
    }
    const struct mark *m = &r->marks[r->mark_head]; /* the chunk being consumed: interpolate inside it */
    double f = (double)(used - r->base.tok) / (double)(m->tok - r->base.tok);
    *consumed = r->base.stored + (uint64_t)(f * (double)(m->stored - r->base.stored));
}

long corpus_next_rows(corpus_reader *r, int32_t *rows, long max_rows, n2g_err *err) {
    return take_rows(r, rows, max_rows, err);
}

long corpus_skip_rows(corpus_reader *r, long n, n2g_err *err) { return take_rows(r, NULL, n, err); }

corpus_counts corpus_stats(const corpus_reader *r) { return r->st; }

int corpus_files(const corpus_reader *r, const corpus_file_id **files) {
    *files = r->files;
    return r->n_files;
}

uint64_t corpus_fingerprint(const corpus_reader *r) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < r->n_files; i++) {
        uint64_t v[2] = {r->files[i].size, r->files[i].fnv1a64};
        for (int k = 0; k < 2; k++)
            for (int b = 0; b < 8; b++) h = (h ^ ((v[k] >> (8 * b)) & 0xff)) * 0x100000001b3ull;
    }
    return h;
}

void corpus_close(corpus_reader *r) {
    if (!r) return;
    if (r->threads_started) {
        pthread_mutex_lock(&r->mu);
        r->stop = 1;
        pthread_cond_broadcast(&r->cv_work);
        pthread_mutex_unlock(&r->mu);
        for (int i = 0; i < r->threads_started; i++) pthread_join(r->threads[i], NULL);
    }
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv_work);
    pthread_cond_destroy(&r->cv_done);
    if (r->prog) progress_finish(r->prog);
    if (r->src) corpus_src_close(r->src);
    for (int i = 0; i < r->nslots; i++) {
        free(r->slots[i].text);
        free(r->slots[i].seg);
        free(r->slots[i].out.ids);
    }
    corpus_free_list(r->paths, r->n_paths);
    free(r->files);
    free(r->slots);
    free(r->threads);
    free(r->pend);
    free(r->q);
    bpe_cache_free(r->cache);
    free(r);
}

static int add_path(char ***list, int *n, int *cap, const char *p, n2g_err *err) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        char **q = realloc(*list, (size_t)*cap * sizeof *q);
        if (!q) return n2g_fail(err, "out of memory");
        *list = q;
    }
    if (!((*list)[*n] = strdup(p))) return n2g_fail(err, "out of memory");
    (*n)++;
    return 0;
}

void corpus_free_list(char **files, int n_files) {
    for (int i = 0; i < n_files; i++) free(files[i]);
    free(files);
}

int corpus_list_inputs(const char *const *paths, int n_paths, char ***files, int *n_files, n2g_err *err) {
    char **list = NULL;
    int n = 0, cap = 0, stdin_seen = 0;
    *files = NULL;
    *n_files = 0;
    if (n_paths < 1) return n2g_failc(err, N2G_E_USAGE, "corpus: no input given");
    for (int i = 0; i < n_paths; i++) {
        struct stat st;
        if (!strcmp(paths[i], "-")) {
            if (stdin_seen++) {
                n2g_failc(err, N2G_E_USAGE, "corpus: '-' (stdin) given twice");
                goto fail;
            }
            if (add_path(&list, &n, &cap, "-", err)) goto fail;
        } else if (stat(paths[i], &st) != 0) {
            n2g_fail(err, "%s: no such file or directory", paths[i]);
            goto fail;
        } else if (S_ISDIR(st.st_mode)) {
            int before = n;
            if (corpus_list_dir(paths[i], &list, &n, &cap, 0, err)) goto fail;
            if (n == before) {
                n2g_fail(err, "%s: directory holds no corpus file (*.txt, *.jsonl, optionally .gz / .zst)", paths[i]);
                goto fail;
            }
        } else if (add_path(&list, &n, &cap, paths[i], err)) {
            goto fail;
        }
    }
    *files = list;
    *n_files = n;
    return 0;
fail:
    corpus_free_list(list, n);
    return -1;
}

int corpus_open(const char *const *paths, int n_paths, const bpe_tokenizer *tok, const corpus_options *opt,
                corpus_reader **out, n2g_err *err) {
    *out = NULL;
    if (opt->n_ctx < 2) return n2g_failc(err, N2G_E_USAGE, "corpus: n_ctx must be at least 2 (got %d)", opt->n_ctx);
    int nv = bpe_vocab_size(tok);
    if (opt->bos_id >= nv || opt->eos_id >= nv)
        return n2g_failc(err, N2G_E_USAGE, "corpus: BOS / EOS id out of the vocabulary (%d, %d)", opt->bos_id, opt->eos_id);
    corpus_reader *r = calloc(1, sizeof *r);
    if (!r) return n2g_fail(err, "out of memory");
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv_work, NULL);
    pthread_cond_init(&r->cv_done, NULL);
    r->tok = tok;
    r->opt = *opt;
    if (!r->opt.jsonl_field) r->opt.jsonl_field = "text";
    r->cur = -1;
    if (corpus_list_inputs(paths, n_paths, &r->paths, &r->n_paths, err)) goto fail;
    int stdin_seen = 0;
    for (int i = 0; i < r->n_paths; i++) {
        struct stat st;
        if (!strcmp(r->paths[i], "-")) stdin_seen = 1;
        else if (stat(r->paths[i], &st) == 0) r->total_stored += (uint64_t)st.st_size;
    }
    r->files = calloc((size_t)r->n_paths, sizeof *r->files);
    int threads = opt->threads > 0 ? opt->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    if (threads > 256) threads = 256;
    r->nthreads = threads > 1 ? threads : 0;
    r->nslots = threads > 1 ? 2 * threads : 1;
    r->slots = calloc((size_t)r->nslots, sizeof *r->slots);
    r->threads = calloc((size_t)threads, sizeof *r->threads);
    r->cache = bpe_cache_new();
    if (!r->files || !r->slots || !r->threads || !r->cache) {
        n2g_fail(err, "out of memory");
        goto fail;
    }
    for (int i = 0; i < r->nthreads; i++) {
        if (pthread_create(&r->threads[i], NULL, worker, r)) {
            n2g_fail(err, "cannot start tokeniser threads");
            goto fail;
        }
        r->threads_started++;
    }
    r->t0 = progress_now();
    if (!opt->quiet) r->prog = progress_start("tokenize", (double)(stdin_seen ? 0 : r->total_stored), "B", 0);
    *out = r;
    return 0;
fail:
    corpus_close(r);
    return -1;
}
