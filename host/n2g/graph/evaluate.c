/* evaluate.c — classification report, correlation and per-layer summary (see evaluate.h). */
#include "n2g/graph/evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "n2g/graph/predict.h"

static double ratio(long a, long b) { return b ? (double)a / (double)b : 0.0; }

/* macro and support-weighted averages over the classes present (sklearn's "macro avg",
 * "weighted avg"): np.average, sum / count and sum(v * support) / sum(support) */
static void averages(n2g_eval *out) {
    int k = 0;
    long total = 0;
    for (int c = 0; c < 2; c++) {
        if (!out->has[c]) continue;
        k++;
        total += out->cls[c].support;
    }
    for (int c = 0; c < 2; c++) {
        if (!out->has[c]) continue;
        const n2g_class_stats *s = &out->cls[c];
        out->macro.precision += s->precision;
        out->macro.recall += s->recall;
        out->macro.f1 += s->f1;
        out->weighted.precision += s->precision * (double)s->support;
        out->weighted.recall += s->recall * (double)s->support;
        out->weighted.f1 += s->f1 * (double)s->support;
    }
    if (k) {
        out->macro.precision /= k;
        out->macro.recall /= k;
        out->macro.f1 /= k;
    }
    if (total) {
        out->weighted.precision /= (double)total;
        out->weighted.recall /= (double)total;
        out->weighted.f1 /= (double)total;
    } else {
        out->weighted.precision = out->weighted.recall = out->weighted.f1 = 0.0;
    }
    out->macro.support = out->weighted.support = total;
}

void n2g_eval_scores(const float *y, const float *pred, size_t n, float thr, n2g_eval *out) {
    memset(out, 0, sizeof *out);
    long cnt[2][2] = {{0, 0}, {0, 0}}; /* [true][pred] */
    double sy = 0;
    for (size_t i = 0; i < n; i++) {
        int t = y[i] >= thr, p = pred[i] >= thr;
        cnt[t][p]++;
        sy += (double)y[i];
    }
    out->n_tokens = (long)n;
    for (int c = 0; c < 2; c++) {
        long tp = cnt[c][c], fp = cnt[!c][c], fn = cnt[c][!c];
        out->has[c] = (tp + fp + fn) > 0;
        n2g_class_stats *s = &out->cls[c];
        s->precision = ratio(tp, tp + fp);
        s->recall = ratio(tp, tp + fn);
        s->f1 = (s->precision + s->recall) > 0 ? 2 * s->precision * s->recall / (s->precision + s->recall) : 0.0;
        s->support = tp + fn;
    }
    out->accuracy = ratio(cnt[0][0] + cnt[1][1], (long)n);
    averages(out);
    /* correlation = 1 - mean((pred - y)^2) / var(y) */
    double mean = n ? sy / (double)n : 0, mse = 0, var = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - (double)y[i], e = (double)y[i] - mean;
        mse += d * d;
        var += e * e;
    }
    if (n) {
        mse /= (double)n;
        var /= (double)n;
    }
    out->correlation = var > 0 ? 1.0 - mse / var : NAN;
}

int n2g_evaluate(const n2g_graph *g, const n2g_vocab *vocab, const n2g_row *rows, size_t n_rows, float thr,
                 n2g_eval *out, n2g_err *err) {
    size_t total = 0;
    for (size_t r = 0; r < n_rows; r++) total += (size_t)rows[r].len;
    float *y = malloc((total ? total : 1) * sizeof *y), *p = malloc((total ? total : 1) * sizeof *p);
    if (!y || !p) {
        free(y);
        free(p);
        return n2g_fail(err, "evaluate: out of memory");
    }
    size_t off = 0;
    for (size_t r = 0; r < n_rows; r++) {
        n2g_predict(g, vocab, rows[r].tokens, (size_t)rows[r].len, p + off);
        memcpy(y + off, rows[r].act, (size_t)rows[r].len * sizeof *y);
        off += (size_t)rows[r].len;
    }
    n2g_eval_scores(y, p, total, thr, out);
    free(y);
    free(p);
    return 0;
}

void n2g_summary_init(n2g_summary *s) { memset(s, 0, sizeof *s); }

void n2g_summary_add(n2g_summary *s, const n2g_eval *e) {
    if (!e->has[1] || !e->has[0]) { /* the reference needs both classes ("1" in the report) */
        s->ineligible++;
        return;
    }
    s->eligible++;
    double v[2][3] = {{e->cls[0].precision, e->cls[0].recall, e->cls[0].f1},
                      {e->cls[1].precision, e->cls[1].recall, e->cls[1].f1}};
    if (e->cls[0].recall == 1.0 && e->cls[1].recall == 0.0) {
        s->precision_case++;
        v[1][0] = 1.0;
    }
    for (int c = 0; c < 2; c++)
        for (int m = 0; m < 3; m++) {
            s->sum[c][m] += v[c][m];
            s->sumsq[c][m] += v[c][m] * v[c][m];
        }
}

void n2g_summary_get(const n2g_summary *s, double mean[2][3], double stdev[2][3]) {
    for (int c = 0; c < 2; c++)
        for (int m = 0; m < 3; m++) {
            if (!s->eligible) {
                mean[c][m] = stdev[c][m] = NAN;
                continue;
            }
            double mu = s->sum[c][m] / (double)s->eligible;
            double var = s->sumsq[c][m] / (double)s->eligible - mu * mu;
            mean[c][m] = mu;
            stdev[c][m] = var > 0 ? sqrt(var) : 0.0;
        }
}

static void wnum(FILE *f, double v) {
    if (!isfinite(v)) fputs("null", f);
    else fprintf(f, "%.17g", v);
}

static void wclass(FILE *f, const n2g_class_stats *s, int in) {
    fprintf(f, "{\n%*s\"precision\": ", in + 2, "");
    wnum(f, s->precision);
    fprintf(f, ",\n%*s\"recall\": ", in + 2, "");
    wnum(f, s->recall);
    fprintf(f, ",\n%*s\"f1-score\": ", in + 2, "");
    wnum(f, s->f1);
    fprintf(f, ",\n%*s\"support\": %ld\n%*s}", in + 2, "", s->support, in, "");
}

void n2g_eval_write_json(FILE *f, const n2g_eval *e, int in) {
    fputs("{\n", f);
    for (int c = 0; c < 2; c++) {
        if (!e->has[c]) continue;
        fprintf(f, "%*s\"%d\": ", in + 2, "", c);
        wclass(f, &e->cls[c], in + 2);
        fputs(",\n", f);
    }
    fprintf(f, "%*s\"accuracy\": ", in + 2, "");
    wnum(f, e->accuracy);
    fprintf(f, ",\n%*s\"macro avg\": ", in + 2, "");
    wclass(f, &e->macro, in + 2);
    fprintf(f, ",\n%*s\"weighted avg\": ", in + 2, "");
    wclass(f, &e->weighted, in + 2);
    fprintf(f, ",\n%*s\"correlation\": ", in + 2, "");
    wnum(f, e->correlation);
    fprintf(f, "\n%*s}", in, "");
}

static int rclass(const json_value *o, n2g_class_stats *s, const char *what, n2g_err *err) {
    if (!o || o->type != JSON_OBJECT) return n2g_fail(err, "%s: expected a class report object", what);
    int sup;
    if (json_get_double(o, "precision", what, &s->precision, err) ||
        json_get_double(o, "recall", what, &s->recall, err) || json_get_double(o, "f1-score", what, &s->f1, err) ||
        json_get_int(o, "support", what, &sup, err))
        return -1;
    s->support = sup;
    return 0;
}

int n2g_eval_from_json(const json_value *o, n2g_eval *e, const char *what, n2g_err *err) {
    memset(e, 0, sizeof *e);
    if (!o || o->type != JSON_OBJECT) return n2g_fail(err, "%s: expected a report object", what);
    for (int c = 0; c < 2; c++) {
        const json_value *v = json_get(o, c ? "1" : "0");
        if (!v) continue;
        e->has[c] = 1;
        if (rclass(v, &e->cls[c], what, err)) return -1;
    }
    /* the averages as written; recomputed from the classes when a report lacks them */
    const json_value *ma = json_get(o, "macro avg"), *wa = json_get(o, "weighted avg");
    if (ma && wa) {
        char sub[600];
        snprintf(sub, sizeof sub, "%s: macro avg", what);
        if (rclass(ma, &e->macro, sub, err)) return -1;
        snprintf(sub, sizeof sub, "%s: weighted avg", what);
        if (rclass(wa, &e->weighted, sub, err)) return -1;
    } else {
        averages(e);
    }
    const json_value *cv = json_get(o, "correlation");
    e->correlation = cv && cv->type == JSON_NUMBER ? cv->num : NAN;
    const json_value *av = json_get(o, "accuracy");
    e->accuracy = av && av->type == JSON_NUMBER ? av->num : NAN;
    return 0;
}
