#!/bin/bash
# bench_build.sh — seconds per neuron of `n2g build` on a GPT-2-small-shaped random model with
# the reference defaults (--augment casings, SVG rendering on), on the CPU backend and on the
# default Vulkan device, plus the probe engine's dedup ratio and batch fill; then the same
# neurons' forward-pass work done the reference's way in PyTorch (bench/ref_emulate.py).
# usage: bench/bench_build.sh /path/to/n2g [WORKDIR]
#   env: LAYERS (default 0: one measurement per layer, e.g. "0 5 11"), NEURONS (default 8:
#        neurons 0..N-1 of each layer), VK_NEURONS (default 4; 0 = no Vulkan run),
#        NO_TREE=1 to add a CPU run with --no-tree (the probe engine without prefix sharing),
#        CORPUS (default shared/data/corpus/fixture_small.txt),
#        REF=estimate (default: time each kind of reference forward once, before and after our
#        CPU run, "bracketed"), REF=single (one CPU run, one estimate after it) or REF=emulate
#        (run the reference pattern in full; slow),
#        TL_PYTHON=/path/to/python with transformer-lens<3 (HookedTransformer): the estimate is
#        also made with TransformerLens run_with_cache, the call the reference makes
#        (e.g. python3 -m venv --system-site-packages V && V/bin/pip install "transformer-lens<3")
# Needs python3 with torch + transformers (model creation, reference emulation).
set -eu
N2G=$(realpath "${1:?usage: bench_build.sh /path/to/n2g [WORKDIR]}")
W=${2:-/tmp/n2g-bench-build}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${N2G_SHARED_DIR:-$HERE/../../shared}/data
LAYERS=${LAYERS:-${LAYER:-0}} NEURONS=${NEURONS:-8} VK_NEURONS=${VK_NEURONS:-4} REF=${REF:-estimate}
CORPUS=${CORPUS:-$DATA/corpus/fixture_small.txt}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-$UID}
mkdir -p "$XDG_RUNTIME_DIR" "$W"
[ -f "$W/model/model.safetensors" ] || python3 "$HERE/make_random_gpt2.py" "$W/model" "$DATA/gpt2-tokenizer"
if [ ! -f "$W/scrape/examples.bin" ]; then
    t0=$(date +%s.%N)
    "$N2G" scrape --model "$W/model" --corpus "$CORPUS" --out "$W/scrape" --layers "$(echo $LAYERS | tr ' ' ,)" \
        --device cpu --quiet
    echo "scrape (layers $LAYERS, CPU backend): $(echo "$(date +%s.%N) - $t0" | bc) s"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "corpus: $(grep -o '"rows": [0-9]*' "$W/scrape/manifest.json") of $(grep -o '"ctx": [0-9]*' "$W/scrape/manifest.json")"

ref_estimate() { # LAYER N
    local ref
    ref=$(python3 -c "print(' '.join('$1:%d' % i for i in range($2)))")
    if [ "$REF" = emulate ]; then
        python3 "$HERE/ref_emulate.py" "$W/model" "$W/run_cpu_$1" "$N2G" $ref 2>/dev/null
    else
        python3 "$HERE/ref_emulate.py" --estimate "$W/model" "$W/run_cpu_$1" $ref 2>/dev/null
        [ -z "${TL_PYTHON:-}" ] || "$TL_PYTHON" "$HERE/ref_emulate.py" --estimate --tl "$W/model" "$W/run_cpu_$1" $ref 2>/dev/null
    fi
}

build() { # LAYER TAG N [ARGS...]: one n2g build of neurons 0..N-1 of LAYER
    local layer=$1 tag=$2 n=$3 list run t0 t1
    shift 3
    list=$(python3 -c "print(','.join('$layer:%d' % i for i in range($n)))")
    run=$W/run_${tag}_$layer
    rm -rf "$run"
    cp -r "$W/scrape" "$run"
    [ -f "$W/word_to_casings.json" ] && cp "$W/word_to_casings.json" "$run/"
    t0=$(date +%s.%N)
    "$N2G" build --run "$run" --neurons "$list" --block 128 "$@" 2>"$W/build_${tag}_$layer.err" >/dev/null
    t1=$(date +%s.%N)
    [ -f "$W/word_to_casings.json" ] || cp "$run/word_to_casings.json" "$W/"
    echo "[$tag L$layer] $(tail -1 "$W/build_${tag}_$layer.err" | tr '\r' '\n' | tail -1)"
    echo "[$tag L$layer] $(echo "scale=2; ($t1 - $t0) / $n" | bc) s/neuron (wall, $n neurons, incl. model load)"
}

for L in $LAYERS; do
    echo "== layer $L, load $(cut -d' ' -f1-3 /proc/loadavg)"
    build "$L" cpu "$NEURONS" --device cpu # first: makes the casing table, and run_cpu_L for the estimate
    if [ "$REF" = estimate ]; then
        ref_estimate "$L" "$NEURONS" | sed "s/^/[ref L$L] before: /"
        build "$L" cpu "$NEURONS" --device cpu
        ref_estimate "$L" "$NEURONS" | sed "s/^/[ref L$L] after: /"
    else
        ref_estimate "$L" "$NEURONS"
    fi
    if [ "${NO_TREE:-0}" = 1 ]; then build "$L" notree "$NEURONS" --device cpu --no-tree; fi
    if [ "$VK_NEURONS" -gt 0 ]; then build "$L" vk "$VK_NEURONS"; fi
done
