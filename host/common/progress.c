#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct progress {
    char label[64], unit[16];
    double total, done, done0, t0, last_draw; /* done0: done before this process started */
    int quiet, tty, drawn;
    char extra[96];
};

double progress_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

progress *progress_start(const char *label, double total, const char *unit, int quiet) {
    progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    snprintf(p->label, sizeof p->label, "%s", label);
    snprintf(p->unit, sizeof p->unit, "%s", unit ? unit : "");
    p->total = total;
    p->quiet = quiet;
    p->tty = isatty(2);
    p->t0 = progress_now();
    p->last_draw = -1e9;
    return p;
}

void progress_set_total(progress *p, double total) {
    if (p) p->total = total;
}

void progress_set_start(progress *p, double done0) {
    if (p) p->done = p->done0 = done0;
}

static void fmt_qty(char *b, size_t n, double v, const char *unit) {
    if (!strcmp(unit, "B")) {
        snprintf(b, n, "%.1f MB", v / 1e6);
    } else if (v >= 1e6) {
        snprintf(b, n, "%.2fM %s", v / 1e6, unit);
    } else if (v >= 1e4) {
        snprintf(b, n, "%.1fk %s", v / 1e3, unit);
    } else {
        snprintf(b, n, "%.0f %s", v, unit);
    }
}

static void draw(progress *p, int final) {
    double el = progress_now() - p->t0;
    char done[48], line[320];
    fmt_qty(done, sizeof done, p->done, p->unit);
    double rate = el > 0 ? (p->done - p->done0) / el : 0; /* this process's pace */
    if (p->total > 0) {
        double f = p->done / p->total;
        if (f > 1) f = 1;
        int w = 24, fill = (int)(f * w);
        char bar[32];
        for (int i = 0; i < w; i++) bar[i] = i < fill ? '#' : '.';
        bar[w] = 0;
        char when[48];
        if (final)
            snprintf(when, sizeof when, "elapsed %.0fs", el);
        else if (rate > 0)
            snprintf(when, sizeof when, "ETA %.0fs", (p->total > p->done ? p->total - p->done : 0) / rate);
        else
            snprintf(when, sizeof when, "ETA ?"); /* no pace measured yet */
        snprintf(line, sizeof line, "%s [%s] %3.0f%% %s  %.3g/s  %s %s", p->label, bar, f * 100, done, rate, when,
                 p->extra);
    } else {
        snprintf(line, sizeof line, "%s %s  %.3g/s  %.0fs %s", p->label, done, rate, el, p->extra);
    }
    if (p->tty)
        fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
    else
        fprintf(stderr, "%s\n", line);
    fflush(stderr);
    p->drawn = 1;
}

void progress_update(progress *p, double done, const char *extra) {
    if (!p) return;
    p->done = done;
    if (extra) snprintf(p->extra, sizeof p->extra, "%s", extra);
    if (p->quiet) return;
    double t = progress_now();
    if (t - p->last_draw < (p->tty ? 0.1 : 10.0)) return;
    p->last_draw = t;
    draw(p, 0);
}

void progress_finish(progress *p) {
    if (!p) return;
    if (!p->quiet) draw(p, 1);
    free(p);
}
