#!/usr/bin/env python3
"""PyTorch peer of bench_kernels: the same GPT-2-small kernel shapes and FLOP conventions, fp32
with TF32 off, on --device (cuda, or cpu). Prints "kernel<TAB>torch<TAB>GFLOP/s" lines with
bench_kernels' labels (bench/gpu.sh joins them with `bench_kernels --tsv`).
  matmul N x IC x OC: torch.addmm(bias, x, w)                 2*N*IC*OC
  ... (mlp fc + gelu): gelu_tanh(addmm(...))                   same count
  ... (mlp proj + residual): addmm(...) + res                  same count
  attention B T C NH: scaled_dot_product_attention(is_causal)  4*HS*NH*B*T(T+1)/2
  layernorm N x C: layer_norm                                   8 per element
  gelu N x D: gelu(approximate="tanh")                          10 per element
    python3 bench/torch_kernels.py [--device cuda] [--rows 1024] [--seq 1024] [--batch 16] [--reps 20]"""
import argparse
import time

import torch
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--rows", type=int, default=1024)
    ap.add_argument("--seq", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    dev = torch.device(a.device)
    torch.manual_seed(0)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def timeit(fn, flops):
        fn()  # warm-up
        sync()
        best = 1e30
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(a.reps):
                fn()
            sync()
            best = min(best, (time.perf_counter() - t0) / a.reps)
        return flops / best * 1e-9

    def r(*shape):
        return torch.rand(*shape, device=dev, dtype=torch.float32) - 0.5

    N = a.rows
    print("device\ttorch %s on %s" % (torch.__version__,
                                     torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"))
    for ic, oc, what, epi in ((768, 2304, "qkv", 0), (768, 768, "attn proj", 0), (768, 3072, "mlp fc", 0),
                              (3072, 768, "mlp proj", 0), (768, 3072, "mlp fc + gelu", 1),
                              (3072, 768, "mlp proj + residual", 2)):
        x, w, b, res = r(N, ic), r(ic, oc), r(oc), r(N, oc)
        if epi == 0:
            fn = lambda: torch.addmm(b, x, w)
        elif epi == 1:
            fn = lambda: F.gelu(torch.addmm(b, x, w), approximate="tanh")
        else:
            fn = lambda: torch.addmm(b, x, w).add_(res)
        print("matmul %dx%dx%d (%s)\ttorch\t%.2f" % (N, ic, oc, what, timeit(fn, 2.0 * N * ic * oc)), flush=True)
    T, C, NH = a.seq, 768, 12
    HS = C // NH
    for B in sorted({1, a.batch}):
        q, k, v = r(B, NH, T, HS), r(B, NH, T, HS), r(B, NH, T, HS)
        fn = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True)
        print("attention B=%d T=%d C=%d NH=%d\ttorch\t%.2f" % (B, T, C, NH, timeit(fn, 4.0 * HS * NH * B * T * (T + 1) / 2)),
              flush=True)
    x, g, bb = r(N, C), r(C), r(C)
    print("layernorm %dx%d\ttorch\t%.2f" % (N, C, timeit(lambda: F.layer_norm(x, (C,), g, bb, 1e-5), 8.0 * N * C)))
    h = r(N, 4 * C)
    print("gelu %dx%d\ttorch\t%.2f" % (N, 4 * C, timeit(lambda: F.gelu(h, approximate="tanh"), 10.0 * N * 4 * C)))


if __name__ == "__main__":
    main()
