#!/bin/bash
# test_kill_resume.sh — kill -9 (and a few Ctrl-C) at 20 random moments of a scrape and of a
# build, on the CPU backend and on Vulkan (lavapipe): after the rerun, every file of the run
# directory is byte-identical to an uninterrupted run's and no temporary file is left
# (tests/kill_resume.py does the killing and the comparing; it prints each moment and its seed).
# The moments mix random delays over the run's duration with the appearance of a temporary file:
# a scrape checkpoint or final write (examples.bin.tmp, manifest.json.tmp); in the build the
# casing table, a neuron's samples file, its graph's JSON / DOT / SVG, its result, stats.json
# and neuron_store.json. N2G_KILL_SEED=S reruns with the same moments; N2G_KILLS=N changes their
# number.
set -u
N2G=${1:?usage: test_kill_resume.sh /path/to/n2g}
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/.." && pwd)
seed=${N2G_KILL_SEED:-$(( $(date +%s) % 100000 ))}
kills=${N2G_KILLS:-20}
echo "seed $seed (rerun with N2G_KILL_SEED=$seed), $kills stops per run"

"$N2G" plant --out "$tmp/model" >/dev/null || { echo "FAIL: n2g plant" >&2; exit 1; }
devices=(cpu)
if "$N2G" devices >/dev/null 2>&1; then devices+=(0); else echo "no Vulkan device: Vulkan runs skipped"; fi

drive() { # drive NAME SEED BASE [--events ...] -- CMD...
    local name=$1 s=$2 base=$3
    shift 3
    python3 "$SRC/tests/kill_resume.py" --name "$name" --seed "$s" --kills "$kills" --base "$base" --work "$tmp" "$@" &&
        ok || bad "$name: see the FAIL lines above"
}

# a small scrape (310 rows of 64 tokens) that checkpoints after every batch of 4 rows; its firing
# lists are state too
scrape=(scrape --model "$tmp/model" --corpus "$DATA/corpus/fixture_small.txt" --out "{RUN}" --ctx 64 --top-k 5
    --max-tokens 20000 --batch 4 --checkpoint-secs 0 --fire-lists --quiet)
# 23 neurons (the planted ones first) in blocks of 4, Graphviz SVGs on; the casing table is
# counted from the corpus by the first build
many=$(python3 -c "print(','.join(['0:37', '0:150', '1:200'] + ['0:%d' % i for i in range(10)] + ['1:%d' % i for i in range(190, 200)]))")
build=(build --run "{RUN}" --neurons "$many" --block 4 --quiet)
k=0
for dev in "${devices[@]}"; do
    tag=$([ "$dev" = cpu ] && echo cpu || echo vk)
    k=$((k + 1))
    drive "scrape_$tag" $((seed + k)) "" --sigint-exit 1 --events "examples.bin.tmp*,manifest.json.tmp*" -- "$N2G" "${scrape[@]}" --device "$dev"
    # the build starts from the finished scrape of the same device (drive's reference run)
    [ -f "$tmp/scrape_${tag}_ref/manifest.json" ] || continue
    k=$((k + 1))
    drive "build_$tag" $((seed + k)) "$tmp/scrape_${tag}_ref" --sigint-exit 130 \
        --events "word_to_casings.json.tmp*,samples/*.json.tmp*,graphs/*.json.tmp*,graphs/*.dot.tmp*,graphs/*.svg.tmp*,build/*.json.tmp*,stats.json.tmp*,neuron_store.json.tmp*" \
        -- "$N2G" "${build[@]}" --device "$dev"
    # the same without chance: a copy of the uninterrupted build with some results gone (a
    # resumed build that left 0:5 of block 0:4-0:7 and 1:197 of block 1:196-1:199 to do, plus the
    # aggregate) must come out byte-identical. On Vulkan a neuron's last bits depend on the
    # neurons it is built with (their probes share packed rows), so this holds only when the
    # blocks are formed from the whole named list and run whole (docs/build.md)
    ref="$tmp/build_${tag}_ref"
    [ -f "$ref/build/1_197.json" ] || continue
    rm -rf "$tmp/resume_$tag" && cp -r "$ref" "$tmp/resume_$tag"
    rm -f "$tmp/resume_$tag"/build/{0_5,1_197}.json "$tmp/resume_$tag"/{stats,neuron_store}.json
    out=$("$N2G" "${build[@]/\{RUN\}/$tmp/resume_$tag}" --device "$dev" 2>&1) || bad "resume_$tag: the rerun failed: $out"
    d=$(diff -r "$ref" "$tmp/resume_$tag" 2>&1) && ok || bad "resume_$tag: a rerun that built 0:5 and 1:197 again differs from the uninterrupted build: $(echo "$d" | head -5)"
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
