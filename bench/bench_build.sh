#!/bin/bash
# bench_build.sh — seconds per neuron of `n2g build` on a GPT-2-small-shaped random model with
# the reference defaults (--augment casings, SVG rendering on), on the CPU backend and on the
# default Vulkan device, plus the probe engine's dedup ratio and batch fill; then the same
# neurons' forward-pass work done the reference's way in PyTorch (bench/ref_emulate.py).
# usage: bench/bench_build.sh /path/to/n2g [WORKDIR]
#   env: LAYER (default 0), NEURONS (default 8: neurons 0..N-1 of LAYER), VK_NEURONS (default 4),
#        REF=emulate to run the reference pattern in full (slow) instead of the component estimate
# Needs python3 with torch + transformers (model creation, reference emulation).
set -eu
N2G=$(realpath "${1:?usage: bench_build.sh /path/to/n2g [WORKDIR]}")
W=${2:-/tmp/n2g-bench-build}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${N2G_SHARED_DIR:-$HERE/../../shared}/data
LAYER=${LAYER:-0} NEURONS=${NEURONS:-8} VK_NEURONS=${VK_NEURONS:-4} REF=${REF:-estimate}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-$UID}
mkdir -p "$XDG_RUNTIME_DIR" "$W"
[ -f "$W/model/model.safetensors" ] || python3 "$HERE/make_random_gpt2.py" "$W/model" "$DATA/gpt2-tokenizer"
if [ ! -f "$W/scrape/examples.bin" ]; then
    t0=$(date +%s.%N)
    "$N2G" scrape --model "$W/model" --corpus "$DATA/corpus/fixture_small.txt" --out "$W/scrape" --layers "$LAYER" \
        --device cpu --quiet
    echo "scrape (layer $LAYER, CPU backend): $(echo "$(date +%s.%N) - $t0" | bc) s"
fi
list=$(python3 -c "print(','.join('$LAYER:%d' % i for i in range($NEURONS)))")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "neurons: $list"
for dev in cpu vk; do
    n=$NEURONS
    [ $dev = vk ] && n=$VK_NEURONS
    list=$(python3 -c "print(','.join('$LAYER:%d' % i for i in range($n)))")
    run=$W/run_$dev
    rm -rf "$run"
    cp -r "$W/scrape" "$run"
    [ -f "$W/word_to_casings.json" ] && cp "$W/word_to_casings.json" "$run/"
    devarg=(--device cpu)
    [ $dev = vk ] && devarg=()
    t0=$(date +%s.%N)
    "$N2G" build --run "$run" --neurons "$list" "${devarg[@]}" --block 128 2>"$W/build_$dev.err" | tail -3
    t1=$(date +%s.%N)
    [ -f "$W/word_to_casings.json" ] || cp "$run/word_to_casings.json" "$W/"
    echo "[$dev] $(tail -1 "$W/build_$dev.err")"
    echo "[$dev] $(echo "scale=2; ($t1 - $t0) / $n" | bc) s/neuron (wall, $n neurons, incl. model load)"
done
ref=$(python3 -c "print(' '.join('$LAYER:%d' % i for i in range($NEURONS)))")
if [ "$REF" = emulate ]; then
    python3 "$HERE/ref_emulate.py" "$W/model" "$W/run_cpu" "$N2G" $ref
else
    python3 "$HERE/ref_emulate.py" --estimate "$W/model" "$W/run_cpu" $ref
fi
