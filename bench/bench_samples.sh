#!/bin/bash
# bench_samples.sh — what writing RUN/samples/L_N.json costs `n2g build`: a whole layer (256
# neurons) of the planted model (n2g plant --n-ctx 1024) scraped from a 310-row corpus with
# firing lists, built on the CPU backend with the defaults (casing augmentation, Graphviz SVGs),
# with and without --no-samples, alternating, REPS times each; prints the wall and CPU time of each
# build and the bytes of samples/ against graphs/ + build/.
# usage: bench/bench_samples.sh /path/to/n2g [WORKDIR]   env: REPS (default 3), CORPUS
set -eu
N2G=$(realpath "${1:?usage: bench_samples.sh /path/to/n2g [WORKDIR]}")
W=${2:-/tmp/n2g-bench-samples}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${N2G_SHARED_DIR:-$HERE/../../shared}/data
CORPUS=${CORPUS:-$DATA/corpus/moby_dick.txt}
REPS=${REPS:-3}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-$UID}
mkdir -p "$XDG_RUNTIME_DIR" "$W"
[ -f "$W/model/model.safetensors" ] || "$N2G" plant --out "$W/model" --n-ctx 1024 >/dev/null
[ -f "$W/scrape/examples.bin" ] || "$N2G" scrape --model "$W/model" --corpus "$CORPUS" --out "$W/scrape" \
    --device cpu --quiet --fire-lists
if [ ! -f "$W/word_to_casings.json" ]; then # counted once, outside the timings
    rm -rf "$W/run" && cp -r "$W/scrape" "$W/run"
    "$N2G" build --run "$W/run" --neurons 0:0 --device cpu --quiet
    cp "$W/run/word_to_casings.json" "$W/"
fi
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(grep -o '"rows": [0-9]*' "$W/scrape/manifest.json") of 1024 tokens"
for r in $(seq 1 "$REPS"); do
    for mode in samples no-samples; do
        rm -rf "$W/run" && cp -r "$W/scrape" "$W/run" && cp "$W/word_to_casings.json" "$W/run/"
        extra=()
        [ $mode = no-samples ] && extra=(--no-samples)
        t=$( { /usr/bin/time -f "%e s wall, %U + %S s CPU" "$N2G" build --run "$W/run" --neurons '0:*' --device cpu \
            --quiet "${extra[@]}"; } 2>&1 | tail -1)
        printf '%-10s round %d: %s; samples/ %d bytes (%d files), graphs/ + build/ %d bytes\n' $mode "$r" \
            "$t" "$(cat "$W"/run/samples/*.json 2>/dev/null | wc -c)" \
            "$(ls "$W/run/samples" | wc -l)" "$(cat "$W"/run/graphs/* "$W"/run/build/* | wc -c)"
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
