/* builder.h — the state of one `n2g build` shared by the files of build/ (internal):
 *
 *   build.c            n2g_build_run: open the run, list what is left, set up, rounds, aggregate
 *   build_prepare.c    the output folders, killed builds' temporaries, Graphviz, the casing table
 *   build_record.c     the options that shape a result, recorded in it and compared on a rerun
 *   build_round.c      the rounds: blocks of neurons through the method's steps (method/method.h)
 *   build_outputs.c    one neuron's graph, scores, samples and result files
 *   build_finish.c     finishing a round's neurons (build_outputs) on worker threads while the
 *                      main thread runs the next round's probes
 *   build_aggregate.c  stats.json, neuron_store.json and the per-layer table
 *   build_neurons.c    the --neurons list
 */
#ifndef N2G_BUILDER_H
#define N2G_BUILDER_H

#include <stddef.h>

#include "model/gpt2.h"
#include "n2g/build/build.h"
#include "n2g/graph/evaluate.h"
#include "n2g/graph/vocab.h"
#include "n2g/method/method.h"
#include "scrape/scrape_run.h"

/* The options that shape a neuron's result (its graph, scores and samples), recorded in
 * build/L_N.json as "options" and compared on a rerun. Not recorded: what only changes the
 * speed (--block, --batch-tokens, --no-tree, --device) or the output's form (--quiet,
 * --no-svg, --no-samples). */
enum { REC_MAX = 8 };
typedef struct rec_item {
    const char *key;
    char val[80]; /* canonical text of the JSON value: a number, true / false, or a string */
    int is_str;
} rec_item;
typedef struct build_record {
    rec_item it[REC_MAX];
    int n;
} build_record;

#define STOPPED(b) ((b)->o->stop && *(b)->o->stop)

typedef struct builder {
    const char *run_dir;
    const n2g_build_opts *o;
    n2g_build_result *res;
    scrape_run *run;
    gpt2_model *model;
    ops_ctx *ctx;
    n2g_vocab *vocab;
    n2g_casings *casings;
    n2g_method m;     /* the steps' context; the builder owns what it points to */
    int *list;        /* every named neuron (res->requested): layer, neuron pairs, sorted */
    unsigned char *todo_of; /* per neuron of list: 1 when left to build (no result, or --force) */
    long todo;        /* how many */
    n2g_job *jobs;    /* two rounds' (--block each): one finishing, the next through the steps */
    int slot_nj[2];   /* jobs loaded in each half */
    struct build_finisher *fin;
    build_record rec; /* this build's options (see build_record) */
    int want_svg;     /* render graphs/L_N.svg: not --no-svg, and Graphviz is there */
} builder;

/* RUN/SUB/L_N.EXT */
void n2g_build_path(char *buf, size_t cap, const char *run, const char *sub, int l, int n, const char *ext);
/* Removes PATH when it exists (a stale output of an earlier build of the neuron). */
int n2g_build_remove_stale(const char *path, n2g_err *err);

/* build_prepare.c: before anything is listed — the output folders, the temporaries that killed
 * builds left (rank 0), whether Graphviz is there, and this build's record (b->rec). */
int n2g_build_prepare(builder *b, n2g_err *err);
/* The casing table of --augment casings: --casings FILE, else RUN/word_to_casings.json, counted
 * from the run's corpus files (and saved there) when missing. */
int n2g_build_casings_open(builder *b, n2g_err *err);
/* Its path (--casings, or RUN/word_to_casings.json in buf). */
const char *n2g_build_casings_path(const builder *b, char *buf, size_t cap);

/* build_record.c */
int n2g_build_record_make(builder *b, n2g_err *err);
void n2g_build_record_write(FILE *f, const build_record *rec);
/* A named neuron whose build/L_N.json (path) exists. 0: done with this build's options; 1: to
 * build again (--force, and other options); -1 with err: other options without --force. */
int n2g_build_check_done(builder *b, int l, int n, const char *path, n2g_err *err);

/* build_round.c: the blocks of b->list (the blocks this rank gets) that hold a neuron left to
 * build, through the steps; stops at *o->stop with res->interrupted. A block is formed from the
 * whole named list, never from what is left (n2g_build_rounds), and is run whole. */
int n2g_build_rounds(builder *b, n2g_err *err);
/* build_outputs.c: the files of one job whose steps are done: its graph fitted and scored (*ev)
 * with graphs/L_N.{json,dot,svg} and samples/L_N.json (*svg_missing = 1 when Graphviz is
 * missing), or, without a graph, the earlier build's files removed; then, last, its result
 * build/L_N.json. Thread-safe (they read b, never write it). */
int n2g_build_outputs_files(const builder *b, n2g_job *j, n2g_eval *ev, int *svg_missing, n2g_err *err);
int n2g_build_outputs_result(const builder *b, const n2g_job *j, const n2g_eval *ev, n2g_err *err);

/* build_finish.c: the finisher. Jobs handed to it are finished (the two calls above) on
 * `workers` threads (0: at once, on the caller's thread) in submission order of their results:
 * a job's build/L_N.json is written only after those of the jobs submitted before it, so a
 * killed build's finished neurons are always the first ones of the list. After a stop
 * (*o->stop) the jobs not yet started are left to the rerun, and a failure of one that was
 * running is no error. The first other failure stops the rest and is returned by the next
 * wait. */
typedef struct build_finisher build_finisher;
int n2g_finisher_start(builder *b, int workers, build_finisher **out, n2g_err *err);
/* j is one of slot (0 / 1)'s jobs; it must stay as it is until n2g_finisher_wait(slot) */
void n2g_finisher_submit(build_finisher *f, n2g_job *j, int slot);
/* waits until every job of slot (-1: every slot) is finished; -1 with the first failure */
int n2g_finisher_wait(build_finisher *f, int slot, n2g_err *err);
/* waits for everything, ends the threads, adds the counts and times to b->res; -1 with the
 * first failure */
int n2g_finisher_end(build_finisher *f, n2g_err *err);
/* build_aggregate.c: stats.json, neuron_store.json and o->table over every finished neuron. */
int n2g_build_aggregate(builder *b, n2g_err *err);

#endif
