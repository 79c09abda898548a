#!/bin/bash
# bench_build.sh — seconds per neuron of `n2g build` on a GPT-2-small-shaped random model with
# the reference defaults (--augment casings, SVG rendering on), on the CPU backend and on the
# default Vulkan device, plus the probe engine's dedup ratio and batch fill; then the same
# neurons' forward-pass work done the reference's way in PyTorch (bench/ref_emulate.py).
# usage: bench/bench_build.sh /path/to/n2g [WORKDIR]
#   env: LAYER (default 5), NEURONS (default 16: neurons 0..N-1 of LAYER), REF_NEURONS (default 2)
# Needs python3 with torch + transformers (model creation, reference emulation).
set -eu
N2G=$(realpath "${1:?usage: bench_build.sh /path/to/n2g [WORKDIR]}")
W=${2:-/tmp/n2g-bench-build}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${N2G_SHARED_DIR:-$HERE/../../shared}/data
LAYER=${LAYER:-5} NEURONS=${NEURONS:-16} REF_NEURONS=${REF_NEURONS:-2}
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
    echo "[$dev] $(echo "scale=2; ($t1 - $t0) / $NEURONS" | bc) s/neuron (wall, $NEURONS neurons, incl. model load)"
done
ref=$(python3 -c "print(' '.join('$LAYER:%d' % i for i in range($REF_NEURONS)))")
python3 "$HERE/ref_emulate.py" "$W/model" "$W/run_cpu" "$N2G" $ref
