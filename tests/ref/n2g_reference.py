#!/usr/bin/env python3
"""An independent transcription of the reference N2G NeuronModel (apartresearch/Neuron2Graph,
n2g/script.py, as specified in docs n2g-reference.md §7-§9), standard library only.

It works on token *strings*, as the reference does: trie keys are (normalised) strings,
elements are namedtuples, wildcards and END nodes are the special strings "**IGNORE**" and
"**END**". The C implementation keys on token ids through a class table; this file is the
oracle the randomised parity test (tests/test_graph_reference.sh) compares it with.

Also here: sklearn's classification_report semantics written out, the per-layer summary, and
the token / n-gram lookup baselines.

Run as a program it is the parity check:
    n2g_reference.py check --bin PATH/TO/n2g --work DIR [--seed S] [--rounds R]
"""
import argparse
import json
import os
import random
import struct
import subprocess
import sys
from collections import namedtuple

ROOT, IGNORE, END = "**ROOT**", "**IGNORE**", "**END**"
Element = namedtuple("Element", "importance activation token important activator ignore is_end token_value")


def normalise_token(tok):
    t = tok.lower() if tok.istitle() and len(tok) > 1 else tok
    if len(t) > 1 and any(c.isalpha() for c in t):
        t = t.strip()
    return t


class Node:
    __slots__ = ("uid", "value", "children", "depth")

    def __init__(self, uid, value, depth):
        self.uid = uid
        self.value = value
        self.children = {}  # key -> Node, insertion ordered
        self.depth = depth

    def all_paths(self):
        if not self.children:
            return [[self.value]]
        out = []
        for child in self.children.values():
            for p in child.all_paths():
                out.append([self.value] + p)
        return out


class NeuronModel:
    def __init__(self, layer, neuron, activation_threshold=0.5, importance_threshold=0.75, normalise=True):
        self.layer, self.neuron = layer, neuron
        self.act_thr = activation_threshold
        self.imp_thr = importance_threshold
        self.use_normalise = normalise
        self.uid = 0
        self.max_depth = 0
        root_elem = Element(0, 0, ROOT, False, False, True, False, ROOT)
        self.root = Node(-1, root_elem, -1)       # visualisation graph
        self.trie_root = Node(-2, root_elem, -1)  # prediction trie
        self.store = {"activating": {}, "important": {}}

    def normalise(self, tok):
        return normalise_token(tok) if self.use_normalise else tok

    # ---- lines ----
    def make_lines(self, tokens, acts, imp, sets=None):
        """tokens: strings; acts: floats; imp[k][j]: importance of k for j.
        sets=None: an original; returns (lines, important position sets per position)."""
        creating = sets is None
        if creating:
            sets = []
        lines = []
        for i in range(len(tokens)):
            if creating:
                sets.append(set())
            if not acts[i] > self.act_thr:
                continue
            if creating:
                reuse = set()
            else:
                reuse = sets[i] if i < len(sets) else sets[-1]
            line = []
            last = 0
            for j in range(i + 1):  # j-th token counting back from i
                pos = i - j
                tok = tokens[pos]
                if tok == "<|endoftext|>":
                    continue
                importance = imp[pos][i]
                important = importance > self.imp_thr or (not creating and pos in reuse)
                if important and creating:
                    reuse.add(pos)
                ignore = (not important) and j != 0
                line.append(Element(importance, acts[pos], IGNORE if ignore else tok, important,
                                    acts[pos] > self.act_thr, ignore, False, tok))
                if not ignore:
                    last = j  # the enumerate index, as the reference
            line = line[:last + 1]
            line.append(Element(0, acts[i], END, False, False, True, True, END))
            lines.append(line)
            if creating:
                sets[i] = reuse
        return lines, sets

    # ---- insertion ----
    def add(self, start, line, graph):
        node = start
        count = 0
        for idx, el in enumerate(line):
            if el.ignore and graph:
                continue
            el = el._replace(token=self.normalise(el.token))
            if graph:
                el = el._replace(is_end=(idx == len(line) - 2))
            count += 1
            if el.token in node.children:
                node = node.children[el.token]
                continue
            depth = start.depth + count
            child = Node(self.uid, el, depth)
            self.uid += 1
            self.max_depth = max(self.max_depth, depth)
            node.children[el.token] = child
            node = child

    def fit(self, groups):
        """groups: list of [original, augmented...], each (tokens, acts, imp)."""
        for group in groups:
            sets = None
            for k, (tokens, acts, imp) in enumerate(group):
                if k == 0:
                    lines, sets = self.make_lines(tokens, acts, imp)
                else:
                    lines, _ = self.make_lines(tokens, acts, imp, sets)
                for line in lines:
                    self.add(self.root, line, graph=True)
                    self.add(self.trie_root, line, graph=False)
        self.dot = self.build_dot()
        self.merge_ignores()
        self.save_neurons()

    def merge_ignores(self):
        queue = [self.trie_root]
        seen = {self.trie_root.uid}
        while queue:
            node = queue.pop(0)
            if IGNORE in node.children:
                wild = node.children[IGNORE]
                drop = []
                for key, child in node.children.items():
                    if key == IGNORE:
                        continue
                    for path in child.all_paths():
                        if len(path) <= 1 or (len(path) == 2 and path[-1].token == END):
                            continue
                        self.add(wild, path[1:], graph=False)
                    if not child.value.is_end and END not in child.children:
                        drop.append(key)
                for key in drop:
                    del node.children[key]
            for child in node.children.values():
                if child.uid not in seen:
                    seen.add(child.uid)
                    queue.append(child)

    def save_neurons(self):
        name = f"{self.layer}_{self.neuron}"
        queue = [self.trie_root]
        seen = {self.trie_root.uid}
        while queue:
            node = queue.pop(0)
            tok = node.value.token
            if tok not in (ROOT, IGNORE, END):
                kind = "activating" if node.value.activator else "important"
                self.store[kind].setdefault(tok, set()).add(name)
            for child in node.children.values():
                if child.uid not in seen:
                    seen.add(child.uid)
                    queue.append(child)

    # ---- prediction ----
    def search(self, tokens):
        node = self.trie_root
        found = [0]
        for s, tok in enumerate(reversed(tokens)):
            key = self.normalise(tok)
            if key in node.children:
                node = node.children[key]
            elif IGNORE in node.children:
                node = node.children[IGNORE]
            else:
                break
            if s == 0 and not node.value.activator:
                break
            if END in node.children:
                found.append(node.children[END].value.activation)
        return found[-1]

    def forward(self, tokens):
        return [self.search(tokens[:t + 1]) for t in range(len(tokens))]

    # ---- DOT (build(), graphviz package output) ----
    def build_dot(self):
        order = []
        queue = [self.root]
        while queue:
            node = queue.pop(0)
            order.append(node)
            queue.extend(node.children.values())
        parent_of = {}
        for node in order:
            for child in node.children.values():
                parent_of[child.uid] = node
        ids = {}
        gid_of = {}
        subgraphs = {}
        added = set()
        edges = []
        edge_seen = set()
        count = 0

        def adjust(x, y):
            return (x - y) / (1 - y)

        for node in order:
            tok, depth = node.value.token, node.depth
            if depth not in subgraphs:
                subgraphs[depth] = []
                ids[depth] = {}
            if tok not in ids[depth]:
                ids[depth][tok] = str(count)
                count += 1
            gid = ids[depth][tok]
            gid_of[node.uid] = gid
            if depth == 0:
                s = int(adjust(node.value.activation, max(0, self.act_thr - 0.2)) * 255)
                rgb = (255, 255 - s, 255 - s)
            else:
                s = int(adjust(node.value.importance, max(0.1, self.imp_thr - 0.2)) * 255)
                rgb = (255 - s, 255 - s, 255)
            colour = "#{0:02x}{1:02x}{2:02x}".format(*[max(0, min(x, 255)) for x in rgb])
            if gid not in added and not node.value.ignore:
                disp = json.dumps(tok).strip('[]"') if '"' not in tok else tok
                if set(disp) == {" "}:
                    disp = f"'{disp}'"
                label = dot_quote(disp.replace("\\", "\\\\"))
                fontcolor = "white" if depth != 0 and rgb[1] < 130 else "black"
                fontsize = "25" if len(disp) < 12 else "18"
                pen = "7" if node.value.is_end else "3"
                subgraphs[depth].append(
                    f"\t\t{gid} [label={label} fillcolor=\"{colour}\" fontcolor={fontcolor} fontsize={fontsize} "
                    f"penwidth={pen} shape=box style=\"filled,solid\"]\n")
                added.add(gid)
            parent = parent_of.get(node.uid)
            if parent is not None and not parent.value.ignore:
                e = (gid_of[parent.uid], gid)
                if e not in edge_seen:
                    edge_seen.add(e)
                    edges.append(f"\t{e[0]} -> {e[1]} [dir=back penwidth=3]\n")
        out = ["digraph {\n\tgraph [nodesep=0.2 rankdir=RL ranksep=1.5 splines=spline]\n"
               "\tnode [fixedsize=true height=0.75 width=2]\n"]
        out += edges
        for depth, lines in subgraphs.items():
            out.append(f"\tsubgraph cluster_{self.max_depth - depth} {{\n\t\tgraph [pencolor=white penwidth=3]\n")
            out += lines
            out.append("\t}\n")
        out.append("}\n")
        return "".join(out)


def dot_quote(s):
    """The graphviz package's quote(): bare for plain IDs and numerals that are not keywords."""
    import re
    plain = re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?)", s)
    if plain and s.lower() not in {"node", "edge", "graph", "digraph", "subgraph", "strict"}:
        return s
    return '"' + s.replace('"', '\\"') + '"'


# ---- evaluation ----
def classification_report(y, y_pred):
    labels = sorted(set(y) | set(y_pred))
    rep = {}
    for c in labels:
        tp = sum(1 for a, b in zip(y, y_pred) if a == c and b == c)
        fp = sum(1 for a, b in zip(y, y_pred) if a != c and b == c)
        fn = sum(1 for a, b in zip(y, y_pred) if a == c and b != c)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r > 0 else 0.0
        rep[str(c)] = {"precision": p, "recall": r, "f1-score": f, "support": tp + fn}
    n = len(y)
    rep["accuracy"] = sum(1 for a, b in zip(y, y_pred) if a == b) / n if n else 0.0
    k = len(labels)
    total = sum(rep[str(c)]["support"] for c in labels)
    for avg in ("macro avg", "weighted avg"):
        d = {}
        for m in ("precision", "recall", "f1-score"):
            if avg == "macro avg":
                acc = 0.0
                for c in labels:
                    acc += rep[str(c)][m]
                d[m] = acc / k if k else 0.0
            else:
                acc = 0.0
                for c in labels:
                    acc += rep[str(c)][m] * rep[str(c)]["support"]
                d[m] = acc / total if total else 0.0
        d["support"] = total
        rep[avg] = d
    return rep


def evaluate(predict, rows, fire_threshold=0.5):
    y, yp, ya, ypa = [], [], [], []
    for tokens, acts in rows:
        pred = predict(tokens)
        ya.extend(acts)
        ypa.extend(pred)
        y.extend(int(a >= fire_threshold) for a in acts)
        yp.extend(int(a >= fire_threshold) for a in pred)
    rep = classification_report(y, yp)
    n = len(ya)
    mean = sum(ya) / n if n else 0.0
    mse = var = 0.0
    for a, b in zip(ya, ypa):
        mse += (b - a) * (b - a)
        var += (a - mean) * (a - mean)
    if n:
        mse /= n
        var /= n
    rep["correlation"] = 1 - mse / var if var > 0 else None
    return rep


def summary(reports):
    """get_summary_stats for one layer: means over eligible neurons (reports with class "1")."""
    agg = {"Inactivating": {"Precision": [], "Recall": [], "F1": []},
           "Activating": {"Precision": [], "Recall": [], "F1": []}}
    for rep in reports:
        if "1" not in rep or "0" not in rep:
            continue
        agg["Inactivating"]["Precision"].append(rep["0"]["precision"])
        agg["Inactivating"]["Recall"].append(rep["0"]["recall"])
        agg["Inactivating"]["F1"].append(rep["0"]["f1-score"])
        p1 = rep["1"]["precision"]
        if rep["0"]["recall"] == 1 and rep["1"]["recall"] == 0:
            p1 = 1.0
        agg["Activating"]["Precision"].append(p1)
        agg["Activating"]["Recall"].append(rep["1"]["recall"])
        agg["Activating"]["F1"].append(rep["1"]["f1-score"])
    return {k: {m: (sum(v) / len(v) if v else None) for m, v in d.items()} for k, d in agg.items()}


class TokenLookup:
    def fit(self, rows):
        self.best = {}
        for tokens, acts in rows:
            for t, a in zip(tokens, acts):
                self.best[t] = max(self.best.get(t, a), a)

    def predict(self, tokens):
        return [self.best.get(t, 0) for t in tokens]


class NGramLookup:
    def __init__(self, prior=5, threshold=0.5, raw=False, base_max=1.0):
        self.prior, self.threshold, self.raw, self.base_max = prior, threshold, raw, base_max

    def fit(self, rows):
        self.seq, self.activating = {}, set()
        for tokens, acts in rows:
            for j, (t, a) in enumerate(zip(tokens, acts)):
                if (a * self.base_max if self.raw else a) < self.threshold:
                    continue
                key = "".join(tokens[max(0, j - self.prior):j + 1])
                self.activating.add(t)
                self.seq[key] = max(self.seq.get(key, a), a)

    def predict(self, tokens):
        out = []
        for j, t in enumerate(tokens):
            if t not in self.activating:
                out.append(0)
                continue
            out.append(self.seq.get("".join(tokens[max(0, j - self.prior):j + 1]), 0))
        return out


# ---- the randomised parity check ----
def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


POOL = [b"a", b" a", b"A", b" A", b"The", b" The", b" the", b"the", b"THE", b" b", b"b", b"B", b"B ",
        b".", b"\n", b" ", b"  ", b"x", b" X", b"ab", b"Ab", b" Ab", b" aB", "É".encode(), " é".encode(),
        "é".encode(), b"\xe2", b"\xe3", b"1", b" 1", b"\"", b" \"q", b"[", b"]x", b"\\", b"a b", b" A B",
        b"node", b"Graph", b"  long token string", "ǅa".encode(), b"\t", b"x\t", b" DOG", b"Dog ", b" dog"]


def rand_value(rng, thr):
    r = rng.random()
    if r < 0.3:
        return f32(thr + rng.choice([-1e-6, 0.0, 1e-6, -0.01, 0.01]))
    if r < 0.45:
        return f32(rng.uniform(-0.5, 1.5))
    if r < 0.6:
        return 0.0
    return f32(rng.uniform(0, 1))


def gen_case(rng, normalise):
    big = rng.random() < 0.25  # wide fan-out: the hashed child tables of the prediction form
    vocab = (list(POOL) if big else rng.sample(POOL, rng.randint(6, 14))) + [b"<|endoftext|>"]
    rng.shuffle(vocab)
    eos = vocab.index(b"<|endoftext|>")
    V = len(vocab)

    def rand_tokens(n, allow_eos=True):
        out = []
        for _ in range(n):
            if allow_eos and rng.random() < 0.08:
                out.append(eos)
            else:
                out.append(rng.randrange(V))
        return out

    samples = []
    for _ in range(rng.randint(12, 30) if big else rng.randint(1, 6)):
        L = rng.randint(1, 9)
        toks = rand_tokens(L)
        if rng.random() < 0.5:
            toks[0] = eos  # BOS
        acts = [rand_value(rng, 0.5) for _ in range(L)]
        imp = [[rand_value(rng, 0.75) for _ in range(L)] for _ in range(L)]
        parent = len(samples)
        samples.append({"tokens": toks, "activations": acts, "importance": imp, "parent": None})
        for _ in range(rng.randint(0, 3)):
            L2 = max(1, L + rng.choice([0, 0, -1, 1, 2]))
            toks2 = [rng.randrange(V) if rng.random() < 0.3 or k >= L else toks[k] for k in range(L2)]
            acts2 = [rand_value(rng, 0.5) for _ in range(L2)]
            imp2 = [[rand_value(rng, 0.75) for _ in range(L2)] for _ in range(L2)]
            samples.append({"tokens": toks2, "activations": acts2, "importance": imp2, "parent": parent})
    rows = lambda k: [{"tokens": (t := rand_tokens(rng.randint(1, 14))),
                       "activations": [rand_value(rng, 0.5) for _ in t]} for _ in range(k)]
    case = {"layer": rng.randint(0, 3), "neuron": rng.randint(0, 50), "base_max": f32(rng.uniform(0.3, 3.0)),
            "samples": samples, "test": rows(rng.randint(1, 5)), "train": rows(rng.randint(1, 5))}
    texts = [rand_tokens(rng.randint(1, 16)) for _ in range(20)]
    # plant exact lines from the samples in some texts so that deep matches happen
    for s in samples:
        texts.append(list(s["tokens"]))
    if big:
        texts += [rand_tokens(rng.randint(1, 16)) for _ in range(100)]
    return vocab, case, texts


def strings_of(vocab):
    return [b.decode("utf-8", errors="replace") for b in vocab]


def check_round(args, rng, rnd, work):
    normalise = rng.random() < 0.7
    raw = rng.random() < 0.3
    prior = rng.randint(0, 3)
    vocab, case, texts = gen_case(rng, normalise)
    b2u = bytes_to_unicode()
    d = os.path.join(work, f"round{rnd}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "encoder.json"), "w", encoding="utf-8") as f:
        json.dump({"".join(b2u[b] for b in tok): i for i, tok in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(d, "samples.json"), "w") as f:
        json.dump(case, f)
    with open(os.path.join(d, "texts.json"), "w") as f:
        json.dump(texts, f)
    out = os.path.join(d, "out")
    cmd = [args.bin, "fit", "--samples", os.path.join(d, "samples.json"), "--out", out, "--vocab",
           os.path.join(d, "encoder.json"), "--no-svg", "--quiet", "--ngram-prior", str(prior)]
    if not normalise:
        cmd.append("--no-normalise")
    if raw:
        cmd.append("--ngram-raw-threshold")
    subprocess.run(cmd, check=True)
    name = f"{case['layer']}_{case['neuron']}"
    res = subprocess.run([args.bin, "predict", "--graph", os.path.join(out, name + ".json"), "--vocab",
                          os.path.join(d, "encoder.json"), "--batch", os.path.join(d, "texts.json")],
                         check=True, capture_output=True, text=True)
    c_pred = json.loads(res.stdout)

    strs = strings_of(vocab)
    model = NeuronModel(case["layer"], case["neuron"], normalise=normalise)
    groups = []
    for s in case["samples"]:
        item = ([strs[t] for t in s["tokens"]], s["activations"], s["importance"])
        if s["parent"] is None:
            groups.append([item])
        else:
            groups[-1].append(item)
    model.fit(groups)
    errors = []
    for k, t in enumerate(texts):
        py = [f32(x) for x in model.forward([strs[i] for i in t])]
        cc = [f32(x) for x in c_pred[k]]
        if py != cc:
            errors.append(f"prediction mismatch on text {k} {t}: reference {py} vs n2g {cc}")
    test_rows = [([strs[i] for i in r["tokens"]], r["activations"]) for r in case["test"]]
    train_rows = [([strs[i] for i in r["tokens"]], r["activations"]) for r in case["train"]]
    tl = TokenLookup()
    tl.fit(train_rows)
    ng = NGramLookup(prior=prior, raw=raw, base_max=case["base_max"])
    ng.fit(train_rows)
    for fname, predict in (("stats.json", model.forward), ("stats_token.json", tl.predict),
                           ("stats_ngram.json", ng.predict)):
        ref = evaluate(predict, test_rows)
        got = json.load(open(os.path.join(out, fname)))[str(case["layer"])][str(case["neuron"])]
        for key in ref:
            if key == "correlation":
                a, b = ref[key], got.get(key)
                if (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-9 * max(1, abs(a))):
                    errors.append(f"{fname} correlation: reference {a} vs n2g {b}")
            elif ref[key] != got.get(key):
                errors.append(f"{fname} {key}: reference {ref[key]} vs n2g {got.get(key)}")
        if set(got) != set(ref):
            errors.append(f"{fname}: keys {sorted(got)} vs reference {sorted(ref)}")
    store = json.load(open(os.path.join(out, "neuron_store.json")))
    for kind in ("activating", "important"):
        ref = {k: sorted(v) for k, v in model.store[kind].items()}
        got = {k: sorted(v) for k, v in store[kind].items()}
        if ref != got:
            errors.append(f"neuron store {kind}: reference {ref} vs n2g {got}")
    dot = open(os.path.join(out, name + ".dot"), encoding="utf-8").read()
    if dot != model.dot:
        errors.append(f"DOT differs:\n--- reference\n{model.dot}\n--- n2g\n{dot}")
    return errors, model, case


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("--bin", required=True)
    c.add_argument("--work", required=True)
    c.add_argument("--seed", type=int, default=None)
    c.add_argument("--rounds", type=int, default=60)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    print(f"seed {seed} (rerun with --seed {seed})", flush=True)
    rng = random.Random(seed)
    failed = 0
    lines_total = 0
    for rnd in range(args.rounds):
        errors, model, case = check_round(args, rng, rnd, args.work)
        lines_total += sum(1 for _ in model.trie_root.all_paths())
        if errors:
            failed += 1
            print(f"round {rnd}: {len(errors)} mismatches (files in {args.work}/round{rnd})")
            for e in errors[:5]:
                print("  " + e)
    print(f"{args.rounds - failed} of {args.rounds} rounds identical ({lines_total} trie paths compared)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
