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
usage: python3 ref_emulate.py [--device cpu|cuda|auto] MODEL_DIR RUN_DIR N2G_BIN L:N [L:N ...]
       python3 ref_emulate.py [--device cpu|cuda|auto] --estimate [--tl] MODEL_DIR RUN_DIR L:N [L:N ...]
--device: where PyTorch runs the model (default cpu; auto: cuda when available; CUDA and ROCm
builds both answer to "cuda"), fp32 with TF32 off, timed with synchronisation.
--tl: time the components with TransformerLens's HookedTransformer.run_with_cache, the call the
reference makes (TransformerLens < 3; HF weights converted and processed as from_pretrained
does: fold_ln, center_writing_weights, center_unembed), after checking that its hook_post
matches the Hugging Face model's. Without it: Hugging Face GPT2LMHeadModel with one forward
hook (default attention kernel), which is cheaper than run_with_cache.
--estimate does not run the whole pattern (too slow for GPT-2 small on a small machine): it
times each kind of forward once (a 1024-token row, a batch of 4 prune candidates, one
importance batch of (L+1) x L at the neurons' mean prompt length, each full model + LM head)
and adds them up per neuron as the reference would run them: 20 rows (10 pruned, 10
evaluated), one candidate batch per training row (a lower bound: the reference runs more when
the first batch has no accepted candidate), one importance batch per prompt (the prompt
count and lengths from n2g build's result files)."""
import json, os, subprocess, sys, time

import numpy as np
import torch
from transformers import GPT2LMHeadModel

torch.set_grad_enabled(False)
device = "cpu"
if "--device" in sys.argv:
    i = sys.argv.index("--device")
    device = sys.argv[i + 1]
    del sys.argv[i:i + 2]
if device == "auto":
    device = "cuda" if torch.cuda.is_available() else "cpu"
DEV = torch.device(device)
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def sync():
    if DEV.type == "cuda":
        torch.cuda.synchronize()


estimate = sys.argv[1] == "--estimate"
use_tl = estimate and sys.argv[2] == "--tl"
if use_tl:
    del sys.argv[2]
if estimate:
    model_dir, run_dir = sys.argv[2:4]
    neurons = sys.argv[4:]
else:
    model_dir, run_dir, n2g = sys.argv[1:4]
    neurons = sys.argv[4:]
model = GPT2LMHeadModel.from_pretrained(model_dir).eval().to(DEV)
BOS, MASK = 50256, 1
captured = {}


def acts(batch, layer, neuron):
    """batch: list of equal-length id lists -> [B, T] activations of the neuron (full model)."""
    h = model.transformer.h[layer].mlp.act.register_forward_hook(lambda m, i, o: captured.__setitem__("a", o))
    model(torch.tensor(batch, device=DEV))
    h.remove()
    return captured["a"][:, :, neuron].float().cpu().numpy()


def tl_model():
    """the HF model as the reference's HookedTransformer (from_pretrained's weight processing)"""
    from transformer_lens import HookedTransformer, HookedTransformerConfig
    from transformer_lens.pretrained.weight_conversions import convert_gpt2_weights
    c = model.config
    cfg = HookedTransformerConfig(n_layers=c.n_layer, d_model=c.n_embd, d_head=c.n_embd // c.n_head, n_heads=c.n_head,
                                  d_mlp=c.n_inner or 4 * c.n_embd, d_vocab=c.vocab_size, n_ctx=c.n_positions,
                                  act_fn="gelu_new", normalization_type="LN", eps=c.layer_norm_epsilon,
                                  default_prepend_bos=True)
    tl = HookedTransformer(cfg)
    tl.load_and_process_state_dict(convert_gpt2_weights(model, cfg), fold_ln=True, center_writing_weights=True,
                                   center_unembed=True)
    tl.eval()
    tl.to(DEV)
    ids = [BOS] + [(i * 7919) % c.vocab_size for i in range(1, 40)]
    _, cache = tl.run_with_cache(torch.tensor([ids], device=DEV))
    for layer in range(c.n_layer):
        d = (cache["blocks.%d.mlp.hook_post" % layer][0].float().cpu().numpy() - acts_all([ids], layer)[0]).__abs__().max()
        assert d < 1e-3, "TransformerLens and Hugging Face disagree at layer %d: %g" % (layer, d)
    return tl


def acts_all(batch, layer):
    h = model.transformer.h[layer].mlp.act.register_forward_hook(lambda m, i, o: captured.__setitem__("a", o))
    model(torch.tensor(batch, device=DEV))
    h.remove()
    return captured["a"].float().cpu().numpy()


def timed(batch, layer, neuron, reps=2):
    best = 1e9
    for _ in range(reps):
        sync()
        t0 = time.time()
        if use_tl:
            _, cache = tl.run_with_cache(torch.tensor(batch, device=DEV))  # as the reference: cache[hook][b, pos, neuron]
            cache["blocks.%d.mlp.hook_post" % layer][:, :, neuron].cpu().numpy()
            del cache
        else:
            acts(batch, layer, neuron)
        sync()
        best = min(best, time.time() - t0)
    return best


tl = tl_model() if use_tl else None

if estimate:
    res = [json.load(open("%s/build/%s.json" % (run_dir, spec.replace(":", "_")))) for spec in neurons]
    L0 = int(neurons[0].split(":")[0])
    n_prompts = sum(r["samples"] for r in res) / len(res)
    Lm = max(2, round(sum(r["sample_tokens"] for r in res) / max(1, sum(r["samples"] for r in res))))
    n_train = sum(r["train"] for r in res) / len(res)
    n_rows = sum(r["train"] + r["test"] for r in res) / len(res)
    t_row = timed([[11] * min(1024, model.config.n_positions)], L0, 0)
    t_cand = timed([[11] * 16] * 4, L0, 0)
    t_imp = timed([[11] * Lm] * (Lm + 1), L0, 0)
    per = n_rows * t_row + n_train * t_cand + n_prompts * t_imp
    where = torch.cuda.get_device_name(DEV) if DEV.type == "cuda" else "%d threads" % torch.get_num_threads()
    print("components (%s, full model + LM head, torch %s, %s): row 1024 %.3f s, candidates 4x16 %.3f s, "
          "importance %dx%d %.3f s" % ("TransformerLens run_with_cache" if use_tl else "HF GPT2LMHeadModel + hook",
                                       torch.__version__, where, t_row, t_cand, Lm + 1, Lm, t_imp))
    print("per neuron: %.0f rows + %.0f candidate batches + %.1f importance batches = %.2f s (estimate, lower bound)"
          % (n_rows, n_train, n_prompts, per))
    sys.exit(0)

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
