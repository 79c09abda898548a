#!/bin/bash
# bench_build_host.sh — how much of `n2g build`'s wall time is the host's: a whole layer (layer 0,
# 256 neurons) of the planted model scraped from fixture_small.txt, built with the defaults
# (casing augmentation, Graphviz SVGs) on each DEVICE, with the neurons finished on the main
# thread (--workers 0: the build before the finishing threads) and on the default workers,
# alternating, REPS times each. From --profile it prints per build: the wall time, the probe
# engine's time (the device's part: forward passes with their packing), the host's part (wall -
# engine), the finishing time summed over threads and how long the main thread waited for it.
# usage: bench/bench_build_host.sh /path/to/n2g [WORKDIR]   env: REPS (default 3), DEVICES ("cpu 0")
set -eu
N2G=$(realpath "${1:?usage: bench_build_host.sh /path/to/n2g [WORKDIR]}")
W=${2:-/tmp/n2g-bench-host}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${N2G_SHARED_DIR:-$HERE/../../shared}/data
REPS=${REPS:-3}
DEVICES=${DEVICES:-cpu 0}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-$UID}
mkdir -p "$XDG_RUNTIME_DIR" "$W"
[ -f "$W/model/model.safetensors" ] || "$N2G" plant --out "$W/model" >/dev/null
[ -f "$W/scrape/examples.bin" ] || "$N2G" scrape --model "$W/model" --corpus "$DATA/corpus/fixture_small.txt" \
    --out "$W/scrape" --device cpu --quiet
if [ ! -f "$W/word_to_casings.json" ]; then # counted once, outside the timings
    rm -rf "$W/run" && cp -r "$W/scrape" "$W/run"
    "$N2G" build --run "$W/run" --neurons 0:0 --device cpu --quiet --no-svg
    cp "$W/run/word_to_casings.json" "$W/"
fi
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); dot: $(command -v dot || echo none)"
printf '%-6s %-9s %7s %8s %7s %10s %12s\n' device workers wall engine host finishing "main waited"
for r in $(seq 1 "$REPS"); do
    for dev in $DEVICES; do
        for mode in 0 default; do
            rm -rf "$W/run" && cp -r "$W/scrape" "$W/run" && cp "$W/word_to_casings.json" "$W/run/"
            extra=()
            [ $mode = 0 ] && extra=(--workers 0)
            "$N2G" build --run "$W/run" --neurons '0:*' --device "$dev" --profile "${extra[@]}" 2>"$W/err" >/dev/null
            python3 - "$W/err" "$dev" "$mode" <<'PY'
import re, sys
t = open(sys.argv[1]).read().replace("\r", "\n").splitlines()
wall = float(re.search(r" in ([0-9.]+)s;", [l for l in t if l.startswith("n2g build:")][0]).group(1))
eng = sum(float(l.split()[-1]) for l in t if re.match(r"^(test rows|prune|importance|augmented) ", l))
h = re.search(r"finishing .*? ([0-9.]+)s on (\d+) worker.*waited ([0-9.]+)s", [l for l in t if l.startswith("host:")][0])
print("%-6s %-9s %6.1fs %7.1fs %6.1fs %9.1fs %11.1fs" % (sys.argv[2], h.group(2) if sys.argv[3] != "0" else "0",
      wall, eng, wall - eng, float(h.group(1)), float(h.group(3))))
PY
        done
    done
done
