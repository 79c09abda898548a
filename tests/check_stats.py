#!/usr/bin/env python3
"""check_stats.py RUN — recomputes every field of RUN/stats.json from the per-neuron results
RUN/build/L_N.json, independently of n2g's code, and exits 1 on any difference.

For each neuron with a graph, the 2x2 confusion matrix of its test tokens is rebuilt from the
per-class recall and support of build/L_N.json (support_c = TP_c + FN_c, TP_c = recall_c x
support_c; binary, so FP_1 = FN_0 and FP_0 = FN_1; an absent class has no tokens either way).
From the matrix the whole report is recomputed with sklearn's classification_report semantics
(per class precision / recall / F1 / support, accuracy, macro avg, support-weighted avg) and
checked against the per-neuron file's own numbers (its precision and F1 too) and against
stats.json, field by field; correlation (which needs the activations) must equal the per-neuron
value. stats.json must hold exactly the neurons whose result has a graph, and nothing else.
"""
import json
import os
import re
import sys


def report_from_counts(cm):
    """cm[t][p]: tokens of true class t predicted as p. Classes present: those in y or y_pred."""
    labels = [c for c in (0, 1) if cm[c][0] + cm[c][1] + cm[0][c] + cm[1][c] > 0]
    rep = {}
    for c in labels:
        tp, fp, fn = cm[c][c], cm[1 - c][c], cm[c][1 - c]
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r > 0 else 0.0
        rep[str(c)] = {"precision": p, "recall": r, "f1-score": f, "support": tp + fn}
    n = sum(cm[0]) + sum(cm[1])
    rep["accuracy"] = (cm[0][0] + cm[1][1]) / n if n else 0.0
    total = sum(rep[str(c)]["support"] for c in labels)
    for avg in ("macro avg", "weighted avg"):
        d = {}
        for m in ("precision", "recall", "f1-score"):
            acc = 0.0
            for c in labels:
                acc += rep[str(c)][m] * (1 if avg == "macro avg" else rep[str(c)]["support"])
            div = len(labels) if avg == "macro avg" else total
            d[m] = acc / div if div else 0.0
        d["support"] = total
        rep[avg] = d
    return rep


def counts_from(stats, where):
    cm = [[0, 0], [0, 0]]
    for c in (0, 1):
        k = str(c)
        if k not in stats:
            continue
        s, r = stats[k]["support"], stats[k]["recall"]
        tp = round(r * s)
        if abs(tp - r * s) > 1e-6 * max(1, s):
            raise ValueError("%s: class %s: recall %r x support %r is not a count" % (where, k, r, s))
        cm[c][c], cm[c][1 - c] = tp, s - tp
    return cm


def same(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


def main():
    run = sys.argv[1]
    stats = json.load(open(os.path.join(run, "stats.json")))
    bad = []
    want = {}
    for name in sorted(os.listdir(os.path.join(run, "build"))):
        m = re.fullmatch(r"(\d+)_(\d+)\.json", name)
        if not m:
            continue
        res = json.load(open(os.path.join(run, "build", name)))
        L, N = m.group(1), m.group(2)
        if (str(res["layer"]), str(res["neuron"])) != (L, N):
            bad.append("%s: names neuron %s:%s" % (name, res["layer"], res["neuron"]))
        if not res["graph"]:
            continue
        st = res["stats"]
        cm = counts_from(st, name)
        rep = report_from_counts(cm)
        rep["correlation"] = st["correlation"]
        if not same(rep, st):
            bad.append("build/%s: its report is not consistent with its own counts:\n  file %s\n  recomputed %s" %
                       (name, st, rep))
        want.setdefault(L, {})[N] = rep
    if stats.keys() != want.keys():
        bad.append("stats.json layers %s, want %s" % (sorted(stats), sorted(want)))
    for L in want:
        got = stats.get(L, {})
        if got.keys() != want[L].keys():
            bad.append("stats.json layer %s: neurons %s, want %s" % (L, sorted(got), sorted(want[L])))
        for N in want[L]:
            if N not in got:
                continue
            for field in want[L][N]:
                if field not in got[N]:
                    bad.append("stats.json %s:%s lacks \"%s\"" % (L, N, field))
                elif not same(got[N][field], want[L][N][field]):
                    bad.append("stats.json %s:%s \"%s\": %s, recomputed from build/%s_%s.json: %s" %
                               (L, N, field, got[N][field], L, N, want[L][N][field]))
            for field in got[N]:
                if field not in want[L][N]:
                    bad.append("stats.json %s:%s has an unexpected field \"%s\"" % (L, N, field))
    n = sum(len(v) for v in want.values())
    if n == 0:
        bad.append("no neuron with a graph in %s/build" % run)
    for b in bad[:20]:
        print("check_stats: " + b, file=sys.stderr)
    if not bad:
        print("check_stats: %d neurons: every field of stats.json recomputed" % n)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
