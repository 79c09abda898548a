/* cli_args.h — the one argument parser of every `n2g` command.
 *
 * A command declares its options once, as a table (cli_opt: name, kind, target, value name,
 * range or choices, help line, flags), and calls cli_parse. From that table come:
 *   - the parse: options in any order, each value converted and range-checked into its target;
 *   - every usage error, in one form: "unknown option '--x'", "unexpected argument 'x'",
 *     "--x needs a value", "--x: expected an integer in LO..HI, got 'S'", "--x: expected a
 *     number in LO..HI, got 'S'", "--x: expected 'a', 'b' or 'c', got 'S'", "--x DIR is
 *     required", "give exactly one of --a or --b", "give --a or --b, not both" — printed as
 *     "n2g CMD: usage error: ... (see 'n2g CMD --help')", exit 2 (README, cli.h);
 *   - `--help` / `-h`: the synopsis (generated: required options bare, the others in
 *     brackets, a group of alternatives as "(--a A | --b B)"), the command's paragraph, and one
 *     line per option, wrapped at 100 columns. Options whose help is NULL are accepted but not
 *     listed (old spellings kept working).
 * Checks that need more than one option's value or an input file (a layer the model lacks, a
 * pair that must come together) stay in the command, through cli_usage / n2g_failc. */
#ifndef N2G_CLI_ARGS_H
#define N2G_CLI_ARGS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"

typedef enum {
    CLI_FLAG,   /* no value: sets *(int *)target = 1 */
    CLI_INT,    /* int, in [lo, hi] */
    CLI_LONG,   /* long, in [lo, hi] */
    CLI_U32,    /* uint32_t, in [lo, hi] */
    CLI_U64,    /* uint64_t, in [lo, hi] (hi up to UINT64_MAX) */
    CLI_FLOAT,  /* float, in [flo, fhi] (NaN refused; an infinity only inside the range) */
    CLI_DOUBLE, /* double, the same */
    CLI_STR,    /* const char *, the argument itself */
    CLI_DIR,    /* const char *, trailing slashes removed in place ("site/" -> "site"); not empty */
    CLI_ENUM,   /* int: values[i] (or i) for the i-th of choices (a NULL-terminated list) */
    CLI_LIST,   /* cli_list: the arguments after it up to the next "--..." (at least one); repeats add */
    CLI_MULTI,  /* cli_list: one value per occurrence (--token a --token b) */
    CLI_CUSTOM, /* parse(value, target, err): 0, or -1 with a usage message in err */
} cli_kind;

enum {
    CLI_REQUIRED = 1, /* missing: "--x VALUE is required" (for a group: one of it is) */
    CLI_OPTVAL = 2,   /* the value is optional and only given as --x=V; bare --x stores `implied` */
};

/* The values of a CLI_LIST / CLI_MULTI option (allocated by cli_parse; the caller frees v). */
typedef struct cli_list {
    const char **v;
    int n;
} cli_list;

typedef struct cli_opt {
    const char *name;  /* "--top-k" */
    cli_kind kind;
    void *target;
    const char *value; /* the value's name in the synopsis and help ("K", "DIR"; NULL for a flag) */
    const char *help;  /* the help line (wrapped; '\n' breaks); NULL: accepted, not listed */
    long long lo;      /* integer kinds: the range */
    uint64_t hi;
    double flo, fhi;   /* float kinds: the range (beyond ±FLT_MAX: no bound that side; ±INFINITY also
                          lets an infinity through) */
    const char *const *choices; /* CLI_ENUM */
    const int *values;          /* CLI_ENUM: the value of each choice (NULL: its index) */
    int (*parse)(const char *value, void *target, n2g_err *err); /* CLI_CUSTOM */
    long long implied; /* CLI_OPTVAL: what bare --x stores */
    int flags;         /* CLI_REQUIRED, CLI_OPTVAL */
    int group;         /* > 0: alternatives — at most one of the options sharing it (exactly one when
                          one of them is CLI_REQUIRED) */
} cli_opt;

/* Table entries, type-checked: { CLI_OPT_INT("--top-k", &p.top_k, "K", 1, 256, "..."), .flags = ... } */
#define CLI_OPT_FLAG(nm, p, h) .name = (nm), .kind = CLI_FLAG, .target = _Generic((p), int *: (p)), .help = (h)
#define CLI_OPT_INT(nm, p, val, l, u, h) \
    .name = (nm), .kind = CLI_INT, .target = _Generic((p), int *: (p)), .value = (val), .lo = (l), .hi = (u), .help = (h)
#define CLI_OPT_LONG(nm, p, val, l, u, h) \
    .name = (nm), .kind = CLI_LONG, .target = _Generic((p), long *: (p)), .value = (val), .lo = (l), .hi = (u), .help = (h)
#define CLI_OPT_U32(nm, p, val, l, u, h) \
    .name = (nm), .kind = CLI_U32, .target = _Generic((p), uint32_t *: (p)), .value = (val), .lo = (l), .hi = (u), .help = (h)
#define CLI_OPT_U64(nm, p, val, l, u, h) \
    .name = (nm), .kind = CLI_U64, .target = _Generic((p), uint64_t *: (p)), .value = (val), .lo = (l), .hi = (u), .help = (h)
#define CLI_OPT_FLOAT(nm, p, val, l, u, h) \
    .name = (nm), .kind = CLI_FLOAT, .target = _Generic((p), float *: (p)), .value = (val), .flo = (l), .fhi = (u), .help = (h)
#define CLI_OPT_DOUBLE(nm, p, val, l, u, h) \
    .name = (nm), .kind = CLI_DOUBLE, .target = _Generic((p), double *: (p)), .value = (val), .flo = (l), .fhi = (u), .help = (h)
#define CLI_OPT_STR(nm, p, val, h) \
    .name = (nm), .kind = CLI_STR, .target = _Generic((p), const char **: (p)), .value = (val), .help = (h)
#define CLI_OPT_DIR(nm, p, val, h) \
    .name = (nm), .kind = CLI_DIR, .target = _Generic((p), const char **: (p)), .value = (val), .help = (h)
#define CLI_OPT_ENUM(nm, p, val, ch, vals, h)                                                                  \
    .name = (nm), .kind = CLI_ENUM, .target = _Generic((p), int *: (p)), .value = (val), .choices = (ch), \
    .values = (vals), .help = (h)
#define CLI_OPT_LIST(nm, p, val, h) \
    .name = (nm), .kind = CLI_LIST, .target = _Generic((p), cli_list *: (p)), .value = (val), .help = (h)
#define CLI_OPT_MULTI(nm, p, val, h) \
    .name = (nm), .kind = CLI_MULTI, .target = _Generic((p), cli_list *: (p)), .value = (val), .help = (h)
#define CLI_OPT_CUSTOM(nm, fn, p, val, h) \
    .name = (nm), .kind = CLI_CUSTOM, .parse = (fn), .target = (p), .value = (val), .help = (h)
/* --device N|cpu, as every command that runs the model spells it */
#define CLI_OPT_DEVICE(p, h) CLI_OPT_STR("--device", p, "N|cpu", h)

/* What a command says about itself in --help besides its options. */
typedef struct cli_cmd {
    const char *name;  /* "scrape" */
    const char *about; /* the paragraph(s) after the synopsis (ends with a newline) */
    const char *after; /* text after the options, or NULL */
} cli_cmd;

/* cli_parse's answer when the command should go on. */
#define CLI_RUN (-1)

/* Parses argv[1..argc-1] against the N options of OPTS (targets keep their values when the
 * option is absent: set defaults first). Returns CLI_RUN, or the exit code to return now: 0
 * after --help (printed on stdout), 2 after a usage error (printed on stderr). On a non-CLI_RUN
 * return the lists it allocated are freed. */
int cli_parse(const cli_cmd *cmd, cli_opt *opts, int n, int argc, char **argv);
#define CLI_PARSE(cmd, opts, argc, argv) cli_parse((cmd), (opts), (int)(sizeof(opts) / sizeof((opts)[0])), (argc), (argv))
/* Prints the --help text of CMD with OPTS to f. */
void cli_print_help(const cli_cmd *cmd, const cli_opt *opts, int n, FILE *f);

#endif
