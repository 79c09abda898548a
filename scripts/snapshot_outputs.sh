#!/usr/bin/env bash
# snapshot_outputs.sh — every file the pipeline writes, for comparing two commits byte for byte
# (a refactoring must not change results). Runs, into OUT (a fixed path: the run manifests hold
# absolute paths, so both commits must write to the same place):
#   plant; scrape with --fire-lists on the CPU backend and on Vulkan (when a device exists), and
#   under `mpirun -np 2` (when the build has MPI); build of the planted neurons and a sample of
#   ordinary ones on both backends; report; demo.
# Then prints "sha256  path" for every file under OUT, sorted: diff the listings of two commits.
#
#   scripts/snapshot_outputs.sh build/n2g /tmp/snap > before.txt
#   (check out the other commit, build)
#   scripts/snapshot_outputs.sh build/n2g /tmp/snap > after.txt && diff before.txt after.txt
set -euo pipefail
N2G=$(realpath "${1:?usage: snapshot_outputs.sh N2G_BINARY OUT_DIR}")
OUT=${2:?usage: snapshot_outputs.sh N2G_BINARY OUT_DIR}
SHARED=${N2G_SHARED_DIR:-$(dirname "$0")/../../shared}
corpus=$SHARED/data/corpus/fixture_small.txt
export N2G_VOCAB=${N2G_VOCAB:-$SHARED/data/gpt2-tokenizer}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
rm -rf "$OUT"
mkdir -p "$OUT"
log=$OUT.log
: >"$log"
run() { "$@" >>"$log" 2>&1 || { echo "snapshot: failed: $*" >&2; tail -5 "$log" >&2; exit 1; }; }

run "$N2G" plant --out "$OUT/model"
neurons=$(python3 -c "import json,sys; print(','.join('%d:%d' % (n['layer'], n['neuron']) for n in json.load(open(sys.argv[1]))['neurons']))" "$OUT/model/planted.json")
neurons="$neurons,0:1,0:2,0:3,1:40,1:41,1:42"
devs=(cpu)
if "$N2G" devices 2>/dev/null | grep -q 'vk:0'; then devs+=(0); fi
for d in "${devs[@]}"; do
    run "$N2G" scrape --model "$OUT/model" --corpus "$corpus" --out "$OUT/scrape_$d" --fire-lists --device "$d" --quiet
    cp -r "$OUT/scrape_$d" "$OUT/build_$d"
    run "$N2G" build --run "$OUT/build_$d" --neurons "$neurons" --device "$d" --quiet
done
if command -v mpirun >/dev/null && ldd "$N2G" | grep libmpi >/dev/null; then
    mpi=(mpirun --oversubscribe -np 2)
    [ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
    OMPI_MCA_btl_vader_single_copy_mechanism=none run "${mpi[@]}" "$N2G" scrape --model "$OUT/model" \
        --corpus "$corpus" --out "$OUT/scrape_np2" --fire-lists --device cpu --quiet
fi
run "$N2G" report --run "$OUT/build_cpu" --out "$OUT/report" --device cpu --quiet
run "$N2G" demo --out "$OUT/demo" --device cpu --quiet
cd "$OUT"
find . -type f -print0 | sort -z | xargs -0 sha256sum
