#!/usr/bin/env python3
"""Times the Python transcription of the reference NeuronModel (tests/ref/n2g_reference.py)
on the data bench_graph --dump wrote: the peer that bench/results/graph.md compares with.

usage: bench_graph_reference.py DUMP.json"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
from n2g_reference import NeuronModel  # noqa: E402


def main():
    d = json.load(open(sys.argv[1], encoding="utf-8"))
    text, row_len = d["text"], d["row_len"]
    rows = [text[i:i + row_len] for i in range(0, len(text), row_len)]
    t_fit = t_pred = 0.0
    nsamples = 0
    for k, samples in enumerate(d["neurons"]):
        groups = []
        for s in samples:
            L = len(s["tokens"])
            imp = [s["importance"][r * L:(r + 1) * L] for r in range(L)]
            item = (s["tokens"], s["activations"], imp)
            if s["parent"] < 0 or not groups:
                groups.append([item])
            else:
                groups[-1].append(item)
            nsamples += 1
        t0 = time.process_time()
        model = NeuronModel(0, k)
        model.fit(groups)
        t1 = time.process_time()
        for r in rows:
            model.forward(r)
        t2 = time.process_time()
        t_fit += t1 - t0
        t_pred += t2 - t1
    n = len(d["neurons"])
    ntok = n * len(text)
    print(f"reference (Python transcription), CPU time: {n} neurons, {nsamples} samples")
    print(f"fit: {t_fit * 1e3:.1f} ms = {nsamples / t_fit:.0f} samples/s")
    print(f"predict: {ntok} tokens: {t_pred * 1e3:.1f} ms = {ntok / t_pred / 1e6:.3f} M tokens/s")
    print(f"per neuron (fit + predict): {(t_fit + t_pred) / n * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
