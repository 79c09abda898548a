#!/bin/bash
# bench_mpi.sh — scrape tokens/s with 1 process and with `mpirun -np R` (R = 2 by default) on
# the same machine, alternating, best of ROUNDS; checks that every run directory is
# byte-identical. The model is GPT-2-small-wide (n_embd 768, d_mlp 3072, 12 heads, vocab 50257)
# with LAYERS layers of random weights, written by numpy (benchmark only; not needed by CI).
#   bench/bench_mpi.sh BUILD_DIR [DEVICE=cpu] [LAYERS=2] [TOKENS=32768] [CTX=256] [ROUNDS=2] [RANKS=2]
# DEVICE: cpu (each of R ranks on one machine gets cores/R threads) or a Vulkan index / "auto"
# (ranks take the machine's GPUs in turn).
# PIN=1 (environment): the single process on one core (taskset -c 0) and each rank on its own
# core (mpirun --bind-to core): one core plays the part of one GPU, so the ideal ratio is R.
set -eu
BUILD=${1:?usage: bench_mpi.sh BUILD_DIR [DEVICE] [LAYERS] [TOKENS] [CTX] [ROUNDS] [RANKS]}
DEVICE=${2:-cpu} LAYERS=${3:-2} TOKENS=${4:-32768} CTX=${5:-256} ROUNDS=${6:-2} RANKS=${7:-2}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DATA=${N2G_SHARED_DIR:-$SRC/../shared}/data
export N2G_VOCAB=${N2G_VOCAB:-$DATA/gpt2-tokenizer}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-$UID}
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mkdir -p "$XDG_RUNTIME_DIR"
N2G=$BUILD/n2g
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PIN=${PIN:-0}
ONE=()
MPIRUN=(mpirun --oversubscribe --bind-to none)
if [ "$PIN" = 1 ]; then ONE=(taskset -c 0); MPIRUN=(mpirun --bind-to core); fi
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)

python3 - "$tmp/model" "$LAYERS" <<'PY'
import json, os, struct, sys
import numpy as np
out, L = sys.argv[1], int(sys.argv[2])
E, V, P, F = 768, 50257, 1024, 3072
os.makedirs(out)
json.dump({"model_type": "gpt2", "n_embd": E, "n_head": 12, "n_layer": L, "n_positions": P, "n_ctx": P,
           "vocab_size": V, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new", "n_inner": None},
          open(out + "/config.json", "w"))
rng = np.random.default_rng(0)
t = {"wte.weight": (V, E), "wpe.weight": (P, E), "ln_f.weight": (E,), "ln_f.bias": (E,)}
for i in range(L):
    for n, s in [("ln_1.weight", (E,)), ("ln_1.bias", (E,)), ("attn.c_attn.weight", (E, 3 * E)),
                 ("attn.c_attn.bias", (3 * E,)), ("attn.c_proj.weight", (E, E)), ("attn.c_proj.bias", (E,)),
                 ("ln_2.weight", (E,)), ("ln_2.bias", (E,)), ("mlp.c_fc.weight", (E, F)), ("mlp.c_fc.bias", (F,)),
                 ("mlp.c_proj.weight", (F, E)), ("mlp.c_proj.bias", (E,))]:
        t["h.%d.%s" % (i, n)] = s
hdr, off, arrays = {}, 0, []
for name, shape in t.items():
    a = (np.ones(shape) if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight"
         else rng.normal(0, 0.02, shape)).astype("<f4")
    hdr[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [off, off + a.nbytes]}
    off += a.nbytes
    arrays.append(a)
h = json.dumps(hdr).encode()
h += b" " * (-len(h) % 8)
with open(out + "/model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h)
    for a in arrays:
        f.write(a.tobytes())
PY

devarg=(--device "$DEVICE")
[ "$DEVICE" = auto ] && devarg=()
args=(scrape --model "$tmp/model" --corpus "$DATA/corpus/kjv.txt" --ctx "$CTX" --top-k 20 --max-tokens "$TOKENS"
      --checkpoint-secs 300 "${devarg[@]}")
rate() { sed -n 's/.* \([0-9][0-9]*\) tokens\/s$/\1/p' "$1" | tail -1; }
best1=0 bestR=0
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "model: GPT-2-small width, $LAYERS layers, random weights; corpus kjv.txt; $TOKENS tokens in rows of $CTX; device $DEVICE; PIN=$PIN"
for r in $(seq "$ROUNDS"); do
    rm -rf "$tmp/one" "$tmp/many"
    t0=$(date +%s.%N)
    "${ONE[@]}" "$N2G" "${args[@]}" --out "$tmp/one" 2>"$tmp/one.err"
    t1=$(date +%s.%N)
    "${MPIRUN[@]}" -np "$RANKS" "$N2G" "${args[@]}" --out "$tmp/many" 2>"$tmp/many.err"
    t2=$(date +%s.%N)
    a=$(rate "$tmp/one.err") b=$(rate "$tmp/many.err")
    wa=$(python3 -c "print('%.1f' % ($t1 - $t0))") wb=$(python3 -c "print('%.1f' % ($t2 - $t1))")
    cmp -s "$tmp/one/examples.bin" "$tmp/many/examples.bin" && cmp -s "$tmp/one/manifest.json" "$tmp/many/manifest.json" &&
        same=identical || same=DIFFERENT
    echo "round $r: 1 process $a tok/s (scan loop; whole command ${wa}s), $RANKS ranks $b tok/s (whole mpirun ${wb}s), run directories $same"
    sed -n 's/^n2g scrape: [0-9]* ranks; /         /p' "$tmp/many.err"
    [ "${a:-0}" -gt $best1 ] && best1=$a
    [ "${b:-0}" -gt $bestR ] && bestR=$b
done
echo "best: 1 process $best1 tok/s, $RANKS ranks $bestR tok/s, ratio $(python3 -c "print('%.2f' % ($bestR / $best1))")"
