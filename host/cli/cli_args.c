/* cli_args.c — the table-driven argument parser and --help of every command (cli_args.h). */
#include "cli_args.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define HELP_WIDTH 100
#define HELP_COL_MAX 26 /* widest "--name VALUE" that still has its help on the same line */

/* ---- values ---- */

/* a whole-string integer in [lo, hi] */
static int parse_integer(const char *s, long long lo, uint64_t hi, long long *sv, uint64_t *uv) {
    if (!*s) return -1;
    char *end;
    errno = 0;
    const char *p = s;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '-') {
        long long v = strtoll(s, &end, 10);
        if (errno || *end || v < lo) return -1;
        *sv = v, *uv = 0;
        return 0;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > hi || (lo > 0 && v < (unsigned long long)lo)) return -1;
    *uv = v, *sv = v > (unsigned long long)INT64_MAX ? INT64_MAX : (long long)v;
    return 0;
}

static int parse_real(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno == ERANGE || isnan(v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* "an integer in 1..256", "a number in 0..1", "a number >= 0", "a number" */
static void expected(const cli_opt *o, char *b, size_t n) {
    if (o->kind == CLI_FLOAT || o->kind == CLI_DOUBLE) {
        int open_lo = o->flo <= -FLT_MAX, open_hi = o->fhi >= FLT_MAX; /* no bound that side */
        if (open_lo && open_hi) snprintf(b, n, "a number");
        else if (open_hi) snprintf(b, n, "a number >= %g", o->flo);
        else if (open_lo) snprintf(b, n, "a number <= %g", o->fhi);
        else snprintf(b, n, "a number in %g..%g", o->flo, o->fhi);
    } else {
        snprintf(b, n, "an integer in %lld..%" PRIu64, o->lo, o->hi);
    }
}

/* "'a', 'b' or 'c'" */
static void choices_text(const cli_opt *o, char *b, size_t n) {
    size_t k = 0;
    b[0] = 0;
    for (int i = 0; o->choices[i] && k < n; i++)
        k += (size_t)snprintf(b + k, n - k, "%s'%s'", !i ? "" : o->choices[i + 1] ? ", " : " or ", o->choices[i]);
}

static int list_add(cli_list *l, const char *v, int cap) {
    if (!l->v && !(l->v = calloc((size_t)cap + 1, sizeof *l->v))) return -1;
    l->v[l->n++] = v;
    return 0;
}

/* stores V into option O's target; 0, 2 (usage error printed) or 1 (out of memory) */
static int store(const char *sub, const cli_opt *o, const char *v, int argc) {
    long long sv;
    uint64_t uv;
    double d;
    char exp[160];
    switch (o->kind) {
    case CLI_FLAG:
        *(int *)o->target = 1;
        return 0;
    case CLI_INT:
    case CLI_LONG:
    case CLI_U32:
    case CLI_U64:
        if (parse_integer(v, o->lo, o->hi, &sv, &uv)) {
            expected(o, exp, sizeof exp);
            return cli_usage(sub, "%s: expected %s, got '%s'", o->name, exp, v);
        }
        if (o->kind == CLI_INT) *(int *)o->target = (int)sv;
        else if (o->kind == CLI_LONG) *(long *)o->target = (long)sv;
        else if (o->kind == CLI_U32) *(uint32_t *)o->target = (uint32_t)uv;
        else *(uint64_t *)o->target = sv < 0 ? (uint64_t)sv : uv;
        return 0;
    case CLI_FLOAT:
    case CLI_DOUBLE:
        if (parse_real(v, o->flo, o->fhi, &d)) {
            expected(o, exp, sizeof exp);
            return cli_usage(sub, "%s: expected %s, got '%s'", o->name, exp, v);
        }
        if (o->kind == CLI_FLOAT) *(float *)o->target = (float)d;
        else *(double *)o->target = d;
        return 0;
    case CLI_DIR:
        if (!*v) return cli_usage(sub, "%s: empty path", o->name);
        *(const char **)o->target = cli_dir((char *)v);
        return 0;
    case CLI_STR:
        *(const char **)o->target = v;
        return 0;
    case CLI_ENUM:
        for (int i = 0; o->choices[i]; i++)
            if (!strcmp(v, o->choices[i])) {
                *(int *)o->target = o->values ? o->values[i] : i;
                return 0;
            }
        choices_text(o, exp, sizeof exp);
        return cli_usage(sub, "%s: expected %s, got '%s'", o->name, exp, v);
    case CLI_LIST:
    case CLI_MULTI:
        return list_add(o->target, v, argc) ? (fprintf(stderr, "n2g: out of memory\n"), 1) : 0;
    case CLI_CUSTOM: {
        n2g_err e = {0};
        if (o->parse(v, o->target, &e) == 0) return 0;
        return cli_usage(sub, "%s", e.msg);
    }
    }
    return 1;
}

/* ---- the synopsis and the help ---- */

/* "--name VALUE", "--name[=VALUE]" */
static size_t spell(const cli_opt *o, char *b, size_t n) {
    if (o->kind == CLI_FLAG) return (size_t)snprintf(b, n, "%s", o->name);
    if (o->flags & CLI_OPTVAL) return (size_t)snprintf(b, n, "%s[=%s]", o->name, o->value);
    return (size_t)snprintf(b, n, "%s %s", o->name, o->value ? o->value : "VALUE");
}

/* the same in the synopsis, where a choice lists its values: "--acts auto|model|none" */
static size_t spell_synopsis(const cli_opt *o, char *b, size_t n) {
    if (o->kind != CLI_ENUM) return spell(o, b, n);
    size_t k = (size_t)snprintf(b, n, "%s ", o->name);
    for (int i = 0; o->choices[i] && k < n; i++) k += (size_t)snprintf(b + k, n - k, "%s%s", i ? "|" : "", o->choices[i]);
    return k;
}

/* prints WORD on the current line (at column *col), or on a new one indented by INDENT when it
 * would pass the width */
static void put_word(FILE *f, const char *word, size_t *col, size_t indent) {
    size_t w = strlen(word);
    if (*col > indent && *col + 1 + w > HELP_WIDTH) {
        fprintf(f, "\n%*s", (int)indent, "");
        *col = indent;
    }
    if (*col != indent) {
        fputc(' ', f);
        (*col)++;
    }
    fputs(word, f);
    *col += w;
}

static void print_synopsis(const cli_cmd *cmd, const cli_opt *opts, int n, FILE *f) {
    char head[64], item[1024];
    snprintf(head, sizeof head, "usage: n2g %s", cmd->name);
    fputs(head, f);
    size_t col = strlen(head), indent = col + 1;
    for (int i = 0; i < n; i++) {
        const cli_opt *o = &opts[i];
        if (!o->help) continue;
        if (o->group) { /* the group, once, at its first member */
            int first = 1, req = 0;
            for (int j = 0; j < i; j++) first &= !(opts[j].group == o->group && opts[j].help);
            if (!first) continue;
            size_t k = 0;
            for (int j = i; j < n; j++) {
                if (opts[j].group != o->group || !opts[j].help) continue;
                req |= opts[j].flags & CLI_REQUIRED;
                k += (size_t)snprintf(item + k, sizeof item - k, "%s", k ? " | " : "");
                k += spell_synopsis(&opts[j], item + k, sizeof item - k);
            }
            char g[1100];
            snprintf(g, sizeof g, req ? "(%s)" : "[%s]", item);
            put_word(f, g, &col, indent);
            continue;
        }
        char w[1100];
        spell_synopsis(o, item, sizeof item);
        int req = o->flags & CLI_REQUIRED;
        if (o->kind == CLI_LIST) snprintf(w, sizeof w, req ? "%s..." : "[%s...]", item);
        else if (o->kind == CLI_MULTI) snprintf(w, sizeof w, req ? "%s [%s ...]" : "[%s ...]", item, item);
        else snprintf(w, sizeof w, req ? "%s" : "[%s]", item);
        put_word(f, w, &col, indent);
    }
    fputc('\n', f);
}

/* one option's help, wrapped from column COL */
static void print_option(const cli_opt *o, size_t width, FILE *f) {
    char name[512];
    size_t len = spell(o, name, sizeof name);
    if (o->kind == CLI_LIST && len + 3 < sizeof name) memcpy(name + len, "...", 4), len += 3;
    size_t indent = 2 + width + 2, col;
    fprintf(f, "  %s", name);
    if (len > width) {
        fprintf(f, "\n%*s", (int)indent, "");
    } else {
        fprintf(f, "%*s", (int)(width - len + 2), "");
    }
    col = indent;
    char word[512];
    for (const char *p = o->help; *p;) {
        if (*p == '\n') {
            fprintf(f, "\n%*s", (int)indent, "");
            col = indent;
            p++;
            continue;
        }
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t k = strcspn(p, " \n");
        if (k >= sizeof word) k = sizeof word - 1;
        memcpy(word, p, k);
        word[k] = 0;
        put_word(f, word, &col, indent);
        p += k;
    }
    fputc('\n', f);
}

void cli_print_help(const cli_cmd *cmd, const cli_opt *opts, int n, FILE *f) {
    print_synopsis(cmd, opts, n, f);
    if (cmd->about) fprintf(f, "\n%s", cmd->about);
    size_t width = 0;
    int shown = 0;
    char name[512];
    for (int i = 0; i < n; i++) {
        if (!opts[i].help) continue;
        size_t len = spell(&opts[i], name, sizeof name) + (opts[i].kind == CLI_LIST ? 3 : 0);
        if (len <= HELP_COL_MAX && len > width) width = len;
        shown++;
    }
    if (shown) fputs("options:\n", f);
    for (int i = 0; i < n; i++)
        if (opts[i].help) print_option(&opts[i], width, f);
    if (cmd->after) fputs(cmd->after, f);
}

/* ---- the parse ---- */

static const cli_opt *find(const cli_opt *opts, int n, const char *a, const char **eqval) {
    *eqval = NULL;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(opts[i].name);
        if (!strcmp(a, opts[i].name)) return &opts[i];
        if ((opts[i].flags & CLI_OPTVAL) && !strncmp(a, opts[i].name, k) && a[k] == '=') {
            *eqval = a + k + 1;
            return &opts[i];
        }
    }
    return NULL;
}

/* the options of group G as "--a or --b" / "--a, --b or --c" */
static void group_names(const cli_opt *opts, int n, int g, char *b, size_t cap, int *count) {
    int m = 0, total = 0;
    for (int i = 0; i < n; i++) total += opts[i].group == g && opts[i].help;
    size_t k = 0;
    b[0] = 0;
    for (int i = 0; i < n && k < cap; i++)
        if (opts[i].group == g && opts[i].help) {
            m++;
            k += (size_t)snprintf(b + k, cap - k, "%s%s", m == 1 ? "" : m == total ? " or " : ", ", opts[i].name);
        }
    *count = total;
}

/* the options and groups given the wrong number of times: first the required options that are
 * missing (all of them, in one message), then a group given twice or a required one not at all */
static int check_presence(const cli_cmd *cmd, const cli_opt *opts, int n, const char *seen) {
    char miss[1024] = "", item[512], names[512];
    int nmiss = 0;
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        const cli_opt *o = &opts[i];
        if (o->group || !(o->flags & CLI_REQUIRED) || seen[i]) continue;
        spell(o, item, sizeof item);
        nmiss++;
        k += (size_t)snprintf(miss + k, sizeof miss - k, "%s%s", nmiss > 1 ? ", " : "", item);
    }
    if (nmiss == 1) return cli_usage(cmd->name, "%s is required", miss);
    if (nmiss > 1) {
        char *last = strrchr(miss, ','); /* "A, B, C" -> "A, B and C" */
        return cli_usage(cmd->name, "%.*s and%s are required", (int)(last - miss), miss, last + 1);
    }
    for (int i = 0; i < n; i++) {
        const cli_opt *o = &opts[i];
        int given = 0, req = 0, first = 1, total;
        for (int j = 0; o->group && j < n; j++)
            if (opts[j].group == o->group) {
                given += seen[j];
                req |= opts[j].flags & CLI_REQUIRED;
                if (j < i) first = 0;
            }
        if (!o->group || !first || (given <= 1 && (given || !req))) continue;
        group_names(opts, n, o->group, names, sizeof names, &total);
        if (req) return cli_usage(cmd->name, "give exactly one of %s", names);
        if (total == 2) return cli_usage(cmd->name, "give %s, not both", names);
        return cli_usage(cmd->name, "give only one of %s", names);
    }
    return 0;
}

static void free_lists(cli_opt *opts, int n) {
    for (int i = 0; i < n; i++)
        if (opts[i].kind == CLI_LIST || opts[i].kind == CLI_MULTI) {
            cli_list *l = opts[i].target;
            free(l->v);
            l->v = NULL;
            l->n = 0;
        }
}

static int parse_all(const cli_cmd *cmd, cli_opt *opts, int n, int argc, char **argv, char *seen) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            cli_print_help(cmd, opts, n, stdout);
            return 0;
        }
        const cli_opt *o = find(opts, n, a, &eq);
        if (!o) return cli_unknown(cmd->name, a);
        seen[o - opts] = 1;
        int rc;
        if (o->flags & CLI_OPTVAL) {
            if (eq) {
                rc = store(cmd->name, o, eq, argc);
            } else {
                *(int *)o->target = (int)o->implied;
                rc = 0;
            }
        } else if (o->kind == CLI_FLAG) {
            rc = store(cmd->name, o, NULL, argc);
        } else if (o->kind == CLI_LIST) {
            if (i + 1 >= argc || !strncmp(argv[i + 1], "--", 2)) return cli_usage(cmd->name, "%s needs a value", a);
            rc = 0;
            while (rc == 0 && i + 1 < argc && strncmp(argv[i + 1], "--", 2)) rc = store(cmd->name, o, argv[++i], argc);
        } else {
            if (i + 1 >= argc) return cli_usage(cmd->name, "%s needs a value", a);
            rc = store(cmd->name, o, argv[++i], argc);
        }
        if (rc) return rc;
    }
    int rc = check_presence(cmd, opts, n, seen);
    return rc ? rc : CLI_RUN;
}

int cli_parse(const cli_cmd *cmd, cli_opt *opts, int n, int argc, char **argv) {
    char *seen = calloc((size_t)n + 1, 1);
    if (!seen) {
        fprintf(stderr, "n2g: out of memory\n");
        return 1;
    }
    int rc = parse_all(cmd, opts, n, argc, argv, seen);
    free(seen);
    if (rc != CLI_RUN) free_lists(opts, n);
    return rc;
}
