"""Emulates the forward-pass work of the reference N2G pipeline (apartresearch/Neuron2Graph
script.py, n2g-reference §3-§9) for some neurons of a scrape run, with PyTorch on the same
machine and model, and reports seconds per neuron. Not the reference code itself (it needs
TransformerLens and Neuroscope pages): the same *work pattern* with Hugging Face GPT-2:
  - every activation comes from a full-model forward with the LM head (run_with_cache runs the
    whole model; we only hook the needed MLP output, which is cheaper than caching everything);
  - prune: one forward of the training row, then the candidates in batches of 4 (batch_size=4),
    stopping after the batch holding the accepted candidate;
  - importance: one batch of L+1 rows of length L per prompt (original and each augmentation;
    the augmentation count per neuron is taken from n2g build's result file, so both do the
    same number of prompts; the DistilBERT fill-mask forward is NOT counted);
  - evaluation: one forward per test row.
usage: python3 ref_emulate.py MODEL_DIR RUN_DIR N2G_BIN L:N [L:N ...]"""
import json, os, subprocess, sys, time

import numpy as np
import torch
from transformers import GPT2LMHeadModel

torch.set_grad_enabled(False)
model_dir, run_dir, n2g = sys.argv[1:4]
neurons = sys.argv[4:]
model = GPT2LMHeadModel.from_pretrained(model_dir).eval()
BOS, MASK = 50256, 1
captured = {}


def acts(batch, layer, neuron):
    """batch: list of equal-length id lists -> [B, T] activations of the neuron (full model)."""
    h = model.transformer.h[layer].mlp.act.register_forward_hook(lambda m, i, o: captured.__setitem__("a", o))
    model(torch.tensor(batch))
    h.remove()
    return captured["a"][:, :, neuron].float().numpy()


times = []
for spec in neurons:
    L, N = map(int, spec.split(":"))
    ex = json.loads(subprocess.check_output([n2g, "export", "--run", run_dir, "--neuron", spec, "--json",
                                             "--device", "cpu"]))
    res = json.load(open("%s/build/%d_%d.json" % (run_dir, L, N)))
    rows = [e["token_ids"] for e in ex["examples"]]
    perm = np.random.RandomState(0).permutation(len(rows))
    n_test = len(rows) - len(rows) // 2
    test, train = [rows[i] for i in perm[:n_test]], [rows[i] for i in perm[n_test:]]
    n_aug = res["samples"] - res["pruned"]
    t0 = time.time()
    prompt_lens = []
    for row in train:
        a = acts([row], L, N)[0]
        p = int(a[1:].argmax()) + 1
        cands, count = [], 0
        for i in range(p, -1, -1):
            count += 1
            if count > 30:
                break
            if count != p + 1 and count % 5 != 0:
                continue
            cands.append(i)
        chosen = cands[-1]
        for b in range(0, len(cands), 4):
            group = cands[b:b + 4]
            seqs = [[BOS] + row[i:p + 1] for i in group]
            T = max(map(len, seqs))
            out = acts([s + [0] * (T - len(s)) for s in seqs], L, N)
            done = False
            for k, i in enumerate(group):
                aa = out[k][:len(seqs[k])]
                am = int(aa.argmax())
                if (am - 1 + i == p and (aa[am] - a[p]) / a[p] > -0.5) or i == cands[-1]:
                    chosen, done = i, True
                    break
            if done:
                break
        y = [BOS] + row[chosen:p + 1] + row[p + 1:p + 6]
        prompt_lens.append(len(y))
    for n_prompt, Ly in enumerate(prompt_lens + [prompt_lens[k % len(prompt_lens)] for k in range(n_aug)]):
        y = [BOS] + [11] * (Ly - 1)  # content does not change the work
        batch = [y] + [y[:k] + [MASK] + y[k + 1:] for k in range(Ly)]
        acts(batch, L, N)
    for row in test:
        acts([row], L, N)
    dt = time.time() - t0
    times.append(dt)
    print("%s: %.2f s (%d prompts incl. %d augmentations)" % (spec, dt, len(prompt_lens) + n_aug, n_aug), flush=True)
print("reference-pattern emulation: %.2f s/neuron over %d neurons (torch %s, %d threads)" %
      (sum(times) / len(times), len(times), torch.__version__, torch.get_num_threads()))
