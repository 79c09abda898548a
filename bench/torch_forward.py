#!/usr/bin/env python3
"""PyTorch CPU peer for bench_forward: Hugging Face GPT2Model (GPT-2-small shapes, random
weights) forward up to the last layer's MLP GELU, B x T tokens, same thread count.

HF's GPT2Model always runs whole layers plus ln_f; to do the same work as n2g (stop after the
last layer's GELU: no last c_proj, no ln_f) the model is cut: its first L-1 blocks run
normally and the last block only up to its MLP activation (a forward hook raises to stop).
    python3 bench/torch_forward.py [--threads N] [--batch 8] [--seq 128] [--layers 12] [--iters 5]
                                   [--device cpu|cuda|auto]
--device cuda (auto: cuda when PyTorch has it, else cpu) runs it on the GPU in fp32 with TF32 off
(CUDA and ROCm builds of PyTorch both answer to "cuda"), timed with synchronisation.
Prints: "forward torch [...]: B x T tokens, best of I: X ms (mean Y ms), Z tokens/s; least CPU time C ms"
(CPU time is comparable between the two programs only with 1 thread: OpenMP threads spin)."""
import argparse
import os
import time

import torch
from transformers import GPT2Config, GPT2Model


class Stop(Exception):
    pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0, help="0 = all cores")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--attn", default="sdpa", help="HF attn_implementation: sdpa (default) or eager")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, or auto (cuda when available)")
    a = ap.parse_args()
    if a.device == "auto":
        a.device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(a.device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()
    threads = a.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = GPT2Config(n_layer=a.layers, n_embd=768, n_head=12, vocab_size=50257, n_positions=1024)
    model = GPT2Model._from_config(cfg, attn_implementation=a.attn).to(dev)
    model.eval()

    def stop(mod, inp, out):
        raise Stop()

    model.h[-1].mlp.act.register_forward_hook(stop)
    tok = torch.randint(0, 50257, (a.batch, a.seq), device=dev)
    best, total, best_cpu = 1e30, 0.0, 1e30
    with torch.inference_mode():
        for it in range(a.warmup + a.iters):
            sync()
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                model(tok, use_cache=False)
            except Stop:
                pass
            sync()
            dt, ct = time.perf_counter() - t0, time.process_time() - c0
            if it >= a.warmup:
                best = min(best, dt)
                best_cpu = min(best_cpu, ct)
                total += dt
    n = a.batch * a.seq
    where = ("%s fp32, TF32 off" % torch.cuda.get_device_name(dev)) if dev.type == "cuda" else \
        ("%d threads, mkldnn=%s" % (torch.get_num_threads(), torch.backends.mkldnn.is_available()))
    print("forward torch [torch %s, %s, %s attention]: %d x %d tokens, %d layers, best of %d: "
          "%.1f ms (mean %.1f ms), %.1f tokens/s; least CPU time %.1f ms"
          % (torch.__version__, where, a.attn, a.batch, a.seq, a.layers, a.iters, best * 1e3, total / a.iters * 1e3,
             n / best, best_cpu * 1e3))


if __name__ == "__main__":
    main()
