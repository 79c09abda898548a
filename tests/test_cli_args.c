/* test_cli_args.c — the CLI's one argument parser (host/cli/cli_args.h): every kind of option
 * converted into its target, every usage error in its one form with exit 2, the required options
 * and groups, and --help generated from the table (every listed option there, the hidden ones
 * not, the synopsis's brackets and groups, lines within 100 columns). The expected values and
 * messages are written here by hand from the header's contract. (The parser lives in the n2g
 * executable's sources, not the core library: it is compiled in here.) */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli/cli_args.c"
#include "cli/cli_common.c"

/* ---- running the parser with its stderr / stdout captured ---- */

static char captured[16384];

static int run_captured(int fd, const cli_cmd *cmd, cli_opt *opts, int n, int argc, char **argv) {
    FILE *stream = fd == 1 ? stdout : stderr;
    fflush(stream);
    char path[] = "/tmp/n2g-cli-args-XXXXXX";
    int tmp = mkstemp(path), saved = dup(fd);
    dup2(tmp, fd);
    int rc = cli_parse(cmd, opts, n, argc, argv);
    fflush(stream);
    dup2(saved, fd);
    close(saved);
    lseek(tmp, 0, SEEK_SET);
    ssize_t got = read(tmp, captured, sizeof captured - 1);
    captured[got > 0 ? got : 0] = 0;
    close(tmp);
    unlink(path);
    return rc;
}

/* argv from a space-separated string ("" as an argument: '') */
static int split(char *s, char **argv, int cap) {
    int n = 0;
    argv[n++] = "cmd";
    for (char *t = strtok(s, " "); t && n < cap; t = strtok(NULL, " ")) argv[n++] = !strcmp(t, "''") ? t + 2 : t;
    return n;
}

/* ---- one table with every kind ---- */

typedef struct {
    int flag, i, e, opt, a_seen;
    long l;
    uint32_t u32;
    uint64_t u64;
    float f;
    double d, pos;
    const char *s, *dir, *a, *b, *c, *d2, *custom;
    cli_list list, multi;
} vals;

static const char *const names3[] = {"one", "two", "three", NULL};
static const int values3[] = {10, 20, 30};

static int parse_custom(const char *v, void *target, n2g_err *err) {
    if (strcmp(v, "ok")) return n2g_failc(err, N2G_E_USAGE, "--custom: expected 'ok', got '%s'", v);
    *(const char **)target = v;
    return 0;
}

static const cli_cmd cmd = {"tcmd", "About the command.\n", "After the options.\n"};

#define TABLE(v)                                                                                               \
    cli_opt opts[] = {                                                                                         \
        {CLI_OPT_STR("--s", &(v)->s, "S", "a string"), .flags = CLI_REQUIRED},                                 \
        {CLI_OPT_FLAG("--flag", &(v)->flag, "a flag")},                                                        \
        {CLI_OPT_INT("--i", &(v)->i, "N", 0, 10, "an int")},                                                   \
        {CLI_OPT_LONG("--l", &(v)->l, "N", -5, 5, "a long")},                                                  \
        {CLI_OPT_U32("--u32", &(v)->u32, "N", 0, 4294967295u, "a u32")},                                      \
        {CLI_OPT_U64("--u64", &(v)->u64, "N", 1, UINT64_MAX, "a u64")},                                       \
        {CLI_OPT_FLOAT("--f", &(v)->f, "X", -FLT_MAX, FLT_MAX, "a float")},                                    \
        {CLI_OPT_DOUBLE("--d", &(v)->d, "X", 0, 1, "a double in 0..1")},                                       \
        {CLI_OPT_DOUBLE("--pos", &(v)->pos, "X", 0, INFINITY, "a double >= 0")},                               \
        {CLI_OPT_DIR("--dir", &(v)->dir, "DIR", "a directory")},                                               \
        {CLI_OPT_ENUM("--e", &(v)->e, "MODE", names3, values3, "a choice")},                                   \
        {CLI_OPT_LIST("--list", &(v)->list, "PATH", "a list")},                                                \
        {CLI_OPT_MULTI("--multi", &(v)->multi, "T", "repeated")},                                              \
        {CLI_OPT_CUSTOM("--custom", parse_custom, &(v)->custom, "C", "custom")},                              \
        {CLI_OPT_INT("--opt", &(v)->opt, "K", 1, 9, "optional value"), .flags = CLI_OPTVAL, .implied = 4},    \
        {CLI_OPT_STR("--a", &(v)->a, "A", "alternative a"), .group = 1, .flags = CLI_REQUIRED},                \
        {CLI_OPT_STR("--b", &(v)->b, "B", "alternative b"), .group = 1},                                       \
        {CLI_OPT_STR("--c", &(v)->c, "C", "optional c"), .group = 2},                                          \
        {CLI_OPT_STR("--d2", &(v)->d2, "D", "optional d"), .group = 2},                                        \
        {CLI_OPT_STR("--old", &(v)->s, "S", NULL)},                                                            \
        {CLI_OPT_STR("--long-help", &(v)->s, "S",                                                               \
                     "words words words words words words words words words words words words words words "   \
                     "words words words words words words words words words words words words words words")}, \
    }

/* parses ARGS ("--s x --a y" is prepended) into a fresh vals; returns the exit code */
static int parse(const char *args, vals *v, int fd) {
    memset(v, 0, sizeof *v);
    v->opt = -1;
    TABLE(v);
    static char buf[4096];
    snprintf(buf, sizeof buf, "--s x --a y %s", args);
    char *argv[64];
    int argc = split(buf, argv, 64);
    return run_captured(fd, &cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv);
}

static void free_vals(vals *v) {
    free(v->list.v);
    free(v->multi.v);
}

static void values(void) {
    vals v;
    int rc = parse("--flag --i 10 --l -5 --u32 4294967295 --u64 18446744073709551615 --f -0.25 --d 1 --pos inf "
                   "--dir a/b// --e two --list p1 - p3 --flag --multi t1 --multi t2 --custom ok --opt --list p4",
                   &v, 2);
    CHECK(rc == CLI_RUN, "rc %d: %s", rc, captured);
    CHECK(v.flag == 1 && v.i == 10 && v.l == -5 && v.u32 == 4294967295u && v.u64 == UINT64_MAX, "integers");
    CHECK(v.f == -0.25f && v.d == 1 && isinf(v.pos), "reals %g %g %g", v.f, v.d, v.pos);
    CHECK(v.dir && !strcmp(v.dir, "a/b"), "dir '%s'", v.dir);
    CHECK(v.e == 20, "enum value %d", v.e);
    CHECK(v.list.n == 4 && !strcmp(v.list.v[0], "p1") && !strcmp(v.list.v[1], "-") && !strcmp(v.list.v[3], "p4"),
          "list of %d", v.list.n);
    CHECK(v.multi.n == 2 && !strcmp(v.multi.v[1], "t2"), "multi");
    CHECK(v.custom && !strcmp(v.custom, "ok") && v.opt == 4, "custom, implied");
    free_vals(&v);
    CHECK(parse("--opt=7 --old y2", &v, 2) == CLI_RUN && v.opt == 7 && !strcmp(v.s, "y2"), "--opt=7, the hidden alias");
    free_vals(&v);
    CHECK(parse("", &v, 2) == CLI_RUN && v.opt == -1 && v.i == 0 && !v.list.v, "absent options keep their defaults");
    CHECK(parse("--dir / ", &v, 2) == CLI_RUN && !strcmp(v.dir, "/"), "'/' stays");
}

/* ARGS must fail with exit 2 and a one-line usage message holding WANT */
static void usage_error(const char *args, const char *want) {
    vals v;
    int rc = parse(args, &v, 2);
    char line[600];
    snprintf(line, sizeof line, "n2g tcmd: usage error: %s", want);
    CHECK(rc == 2 && strstr(captured, line) && strstr(captured, "(see 'n2g tcmd --help')\n") &&
              strchr(captured, '\n') == captured + strlen(captured) - 1,
          "%s -> rc %d, '%s', want '%s'", args, rc, captured, want);
    CHECK(!v.list.v && !v.multi.v, "%s: the lists were freed", args);
}

static void errors(void) {
    usage_error("--frob", "unknown option '--frob'");
    usage_error("--frob 3", "unknown option '--frob'");
    usage_error("stray", "unexpected argument 'stray'");
    usage_error("--opt 3", "unexpected argument '3'");
    usage_error("--list p --i", "--i needs a value");
    usage_error("--list --flag", "--list needs a value");
    usage_error("--i 11", "--i: expected an integer in 0..10, got '11'");
    usage_error("--i 1x", "--i: expected an integer in 0..10, got '1x'");
    usage_error("--i ''", "--i: expected an integer in 0..10, got ''");
    usage_error("--l -6", "--l: expected an integer in -5..5, got '-6'");
    usage_error("--u64 0", "--u64: expected an integer in 1..18446744073709551615, got '0'");
    usage_error("--u64 -1", "--u64: expected an integer in 1..18446744073709551615, got '-1'");
    usage_error("--u64 18446744073709551616", "--u64: expected an integer in 1..18446744073709551615");
    usage_error("--u32 4294967296", "--u32: expected an integer in 0..4294967295, got '4294967296'");
    usage_error("--opt=0", "--opt: expected an integer in 1..9, got '0'");
    usage_error("--f x", "--f: expected a number, got 'x'");
    usage_error("--f nan", "--f: expected a number, got 'nan'");
    usage_error("--f inf", "--f: expected a number, got 'inf'");
    usage_error("--d 2", "--d: expected a number in 0..1, got '2'");
    usage_error("--pos -1", "--pos: expected a number >= 0, got '-1'");
    usage_error("--e four", "--e: expected 'one', 'two' or 'three', got 'four'");
    usage_error("--dir ''", "--dir: empty path");
    usage_error("--custom no", "--custom: expected 'ok', got 'no'");
    usage_error("--b z", "give exactly one of --a or --b");
    usage_error("--c 1 --d2 2", "give --c or --d2, not both");
    usage_error("--frob --help", "unknown option '--frob'");
    /* required options and groups, without the prepended --s / --a */
    vals v;
    memset(&v, 0, sizeof v);
    TABLE(&v);
    int n = (int)(sizeof opts / sizeof opts[0]);
    char *none[] = {"cmd"}, *only_b[] = {"cmd", "--s", "x"};
    CHECK(run_captured(2, &cmd, opts, n, 1, none) == 2 && strstr(captured, "usage error: --s S is required"),
          "%s", captured);
    CHECK(run_captured(2, &cmd, opts, n, 3, only_b) == 2 && strstr(captured, "give exactly one of --a or --b"), "%s",
          captured);
    cli_opt three[] = {
        {CLI_OPT_STR("--x", &v.a, "X", "x"), .flags = CLI_REQUIRED},
        {CLI_OPT_STR("--y", &v.b, "Y", "y"), .flags = CLI_REQUIRED},
        {CLI_OPT_LIST("--z", &v.list, "Z", "z"), .flags = CLI_REQUIRED},
        {CLI_OPT_STR("--p", &v.c, "P", "p"), .group = 3},
        {CLI_OPT_STR("--q", &v.d2, "Q", "q"), .group = 3},
        {CLI_OPT_STR("--r", &v.s, "R", "r"), .group = 3},
    };
    char *xonly[] = {"cmd", "--x", "1"}, *pqr[] = {"cmd", "--x", "1", "--y", "2", "--z", "3", "--p", "a", "--r", "b"};
    CHECK(run_captured(2, &cmd, three, 6, 1, none) == 2 && strstr(captured, "--x X, --y Y and --z Z are required"),
          "%s", captured);
    CHECK(run_captured(2, &cmd, three, 6, 3, xonly) == 2 && strstr(captured, "--y Y and --z Z are required"), "%s",
          captured);
    CHECK(run_captured(2, &cmd, three, 6, 11, pqr) == 2 && strstr(captured, "give only one of --p, --q or --r"), "%s",
          captured);
}

static void help(void) {
    vals v;
    CHECK(parse("--i 3 --help --frob", &v, 1) == 0, "--help: exit 0");
    const char *h = captured;
    CHECK(!strncmp(h, "usage: n2g tcmd --s S [--flag] [--i N]", 38), "synopsis: %.80s", h);
    CHECK(strstr(h, "(--a A | --b B)") && strstr(h, "[--c C | --d2 D]"), "groups in the synopsis");
    CHECK(strstr(h, "[--list PATH...]") && strstr(h, "[--multi T ...]") && strstr(h, "[--opt[=K]]") &&
              strstr(h, "[--e one|two|three]"),
          "kinds in the synopsis");
    CHECK(strstr(h, "\n\nAbout the command.\noptions:\n"), "the paragraph, then the options");
    CHECK(strstr(h, "\n  --e MODE") && strstr(h, "\n  --list PATH...") && strstr(h, "\n  --opt[=K]"), "option lines");
    CHECK(!strstr(h, "--old"), "a hidden option is not listed");
    CHECK(strstr(h, "After the options.\n") && h[strlen(h) - 1] == '\n', "the text after the options");
    vals w;
    memset(&w, 0, sizeof w);
    TABLE(&w);
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        if (!opts[i].help) continue;
        char needle[64];
        snprintf(needle, sizeof needle, "\n  %s", opts[i].name);
        CHECK(strstr(h, needle) != NULL, "%s has its line", opts[i].name);
        CHECK(strstr(h, opts[i].help) || opts[i].help[0] == 'w', "%s: its help text", opts[i].name);
    }
    int longest = 0, lines = 0;
    for (const char *p = h; *p;) {
        const char *e = strchr(p, '\n');
        int len = e ? (int)(e - p) : (int)strlen(p);
        if (len > longest) longest = len;
        size_t sp = strspn(p, " ");
        if (sp > 2 && !strncmp(p + sp, "words", 5)) lines++; /* a continuation line of --long-help */
        p += len + (e != NULL);
    }
    CHECK(longest <= 100, "a line of %d columns", longest);
    CHECK(lines >= 1, "the long help wraps onto an indented line");
    /* a command without options */
    char *argv[] = {"cmd", "-h"};
    CHECK(run_captured(1, &cmd, NULL, 0, 2, argv) == 0 && !strncmp(captured, "usage: n2g tcmd\n\nAbout", 22) &&
              !strstr(captured, "options:"),
          "no options: %s", captured);
}

int main(void) {
    values();
    errors();
    help();
    return check_finish();
}
