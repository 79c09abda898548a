#!/usr/bin/env bash
# test_device_cli.sh N2G — the one device policy (ops_open, docs/vk.md "Devices") in every command
# that runs the model, on a machine whose Vulkan devices are hidden (VK_ICD_FILENAMES and
# VK_DRIVER_FILES pointing at nothing): without --device, acts, scrape, build, export and demo run
# on the CPU backend with one notice line on stderr ("n2g: no Vulkan device (...); using the CPU
# backend"; none with --quiet / --json) and write the same bytes as with --device cpu (also
# `mpirun -np 2 n2g scrape` when the build has MPI); an explicit --device 0 is a usage error in
# every one of them (exit 2, one line, before any work), never a silent fallback.
set -uo pipefail
N2G=${1:?usage: test_device_cli.sh /path/to/n2g}
export N2G_SHARED_DIR=${N2G_SHARED_DIR:?N2G_SHARED_DIR must name the shared/ folder}
source "$(dirname "$0")/lib.sh"
SRC=${N2G_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
FIX=$SRC/tests/fixtures/gpt2-tiny
NOVK=(env VK_ICD_FILENAMES=/nonexistent/n2g.json VK_DRIVER_FILES=/nonexistent/n2g.json)
NOTICE="n2g: no Vulkan device ("

plant_and_scrape # $tmp/model, $tmp/scrape (--device cpu), $neurons
M=$tmp/model
CORPUS=$DATA/corpus/fixture_small.txt
one=${neurons%%,*}

# notice_once FILE WHAT: exactly one notice line, and it says what happens
notice_once() {
    local n
    n=$(grep -cF "$NOTICE" "$1")
    if [ "$n" -eq 1 ] && grep -F "$NOTICE" "$1" | grep -q '; using the CPU backend$'; then ok
    else bad "$2: $n notice lines (want 1): $(head -c 400 "$1")"; fi
}
no_notice() { if grep -qF "$NOTICE" "$1"; then bad "$2: a notice despite quiet: $(cat "$1")"; else ok; fi; }
same_dirs() { if diff -r "$1" "$2" >/dev/null; then ok; else bad "$3: $(diff -rq "$1" "$2" | head -3)"; fi; }

# ---- an explicit index that does not exist: exit 2, one line naming it, in every command
expect_no_device() {
    "${NOVK[@]}" "$N2G" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ $rc -eq 2 ] && grep -qF -- "--device 0: no such Vulkan device (none found: " "$tmp/err" &&
        [ "$(wc -l <"$tmp/err")" -eq 1 ]; then ok
    else bad "n2g $* without Vulkan: exit $rc, want 2 and one line: $(head -c 400 "$tmp/err")"; fi
}
expect_no_device acts --model "$FIX" --tokens 1,2 --device 0
expect_no_device scrape --model "$M" --corpus "$CORPUS" --out "$tmp/s_dev0" --device 0 --quiet
cp -r "$tmp/scrape" "$tmp/b_dev0"
expect_no_device build --run "$tmp/b_dev0" --neurons "$one" --device 0 --no-svg --quiet
expect_no_device export --run "$tmp/scrape" --neuron "$one" --device 0
expect_no_device report --run "$tmp/scrape" --out "$tmp/rep_dev0" --acts model --device 0 --quiet
expect_no_device demo --out "$tmp/demo_dev0" --sample 0 --device 0 --quiet
# ... said before any work: nothing planted, no run directory
[ ! -e "$tmp/demo_dev0" ] && [ ! -e "$tmp/s_dev0" ] && ok || bad "--device 0 without Vulkan left files: $(ls -d "$tmp/demo_dev0" "$tmp/s_dev0" 2>/dev/null)"

# ---- acts: the CPU backend, a notice (not with --json, whose device line says it)
"${NOVK[@]}" "$N2G" acts --model "$FIX" --tokens 50256,464,3290 --layer 1 >"$tmp/a_def" 2>"$tmp/a_def.err" ||
    bad "acts without Vulkan: exit $?: $(cat "$tmp/a_def.err")"
notice_once "$tmp/a_def.err" "acts"
"$N2G" acts --model "$FIX" --tokens 50256,464,3290 --layer 1 --device cpu >"$tmp/a_cpu" 2>/dev/null || bad "acts --device cpu"
grep -q '^device: cpu (' "$tmp/a_def" && cmp -s "$tmp/a_def" "$tmp/a_cpu" && ok || bad "acts: not the CPU backend's output"
"${NOVK[@]}" "$N2G" acts --model "$FIX" --tokens 1,2 --json >/dev/null 2>"$tmp/a_json.err" || bad "acts --json without Vulkan"
no_notice "$tmp/a_json.err" "acts --json"
grep -q '^device: cpu (' "$tmp/a_json.err" && ok || bad "acts --json: no device line: $(cat "$tmp/a_json.err")"

# ---- scrape: the same run directory as --device cpu (a notice; none with --quiet)
"${NOVK[@]}" "$N2G" scrape --model "$M" --corpus "$CORPUS" --out "$tmp/s_def" >/dev/null 2>"$tmp/s_def.err" ||
    bad "scrape without Vulkan: $(cat "$tmp/s_def.err")"
notice_once "$tmp/s_def.err" "scrape"
cmp -s "$tmp/scrape/examples.bin" "$tmp/s_def/examples.bin" && cmp -s "$tmp/scrape/manifest.json" "$tmp/s_def/manifest.json" &&
    ok || bad "scrape without Vulkan: run directory differs from --device cpu's"
"${NOVK[@]}" "$N2G" scrape --model "$M" --corpus "$CORPUS" --out "$tmp/s_q" --quiet >/dev/null 2>"$tmp/s_q.err" ||
    bad "scrape --quiet without Vulkan: $(cat "$tmp/s_q.err")"
no_notice "$tmp/s_q.err" "scrape --quiet"

# ---- build: the same graphs, samples and results as --device cpu (it used to fail)
cp -r "$tmp/scrape" "$tmp/b_cpu"
cp -r "$tmp/scrape" "$tmp/b_def"
"$N2G" build --run "$tmp/b_cpu" --neurons "$neurons" --device cpu --no-svg --quiet || bad "build --device cpu"
"${NOVK[@]}" "$N2G" build --run "$tmp/b_def" --neurons "$neurons" --no-svg >/dev/null 2>"$tmp/b_def.err" ||
    bad "build without Vulkan: exit $?: $(cat "$tmp/b_def.err")"
notice_once "$tmp/b_def.err" "build"
for d in graphs samples build; do same_dirs "$tmp/b_cpu/$d" "$tmp/b_def/$d" "build without Vulkan: $d/"; done

# ---- export: the same listing as --device cpu
"$N2G" export --run "$tmp/scrape" --neuron "$one" --device cpu >"$tmp/e_cpu" 2>/dev/null || bad "export --device cpu"
"${NOVK[@]}" "$N2G" export --run "$tmp/scrape" --neuron "$one" >"$tmp/e_def" 2>"$tmp/e_def.err" ||
    bad "export without Vulkan: $(cat "$tmp/e_def.err")"
notice_once "$tmp/e_def.err" "export"
cmp -s "$tmp/e_cpu" "$tmp/e_def" && ok || bad "export without Vulkan differs from --device cpu"

# ---- demo: runs (it used to fail), one notice for its scrape and build, the CPU backend named
"$N2G" demo --out "$tmp/d_cpu" --sample 1 --device cpu --quiet >/dev/null 2>&1 || bad "demo --device cpu"
"${NOVK[@]}" "$N2G" demo --out "$tmp/d_def" --sample 1 >"$tmp/d_def.out" 2>"$tmp/d_def.err" ||
    bad "demo without Vulkan: exit $?: $(tail -c 400 "$tmp/d_def.err")"
notice_once "$tmp/d_def.err" "demo"
grep -q '^n2g demo: .* on cpu (' "$tmp/d_def.out" && ok || bad "demo: device not named: $(grep '^n2g demo' "$tmp/d_def.out")"
for d in graphs samples build; do same_dirs "$tmp/d_cpu/run/$d" "$tmp/d_def/run/$d" "demo without Vulkan: run/$d/"; done

# ---- mpirun -np 2 scrape: both ranks fall back (sharing the cores), the single process's bytes
if command -v mpirun >/dev/null 2>&1 && ldd "$N2G" 2>/dev/null | grep -q libmpi; then
    mpi=(mpirun --oversubscribe -np 2 -x VK_ICD_FILENAMES=/nonexistent/n2g.json -x VK_DRIVER_FILES=/nonexistent/n2g.json)
    [ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
    OMPI_MCA_btl_vader_single_copy_mechanism=none ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        "${mpi[@]}" "$N2G" scrape --model "$M" --corpus "$CORPUS" --out "$tmp/s_np2" >/dev/null 2>"$tmp/s_np2.err" ||
        bad "mpirun -np 2 scrape without Vulkan: $(tail -c 400 "$tmp/s_np2.err")"
    notice_once "$tmp/s_np2.err" "mpirun -np 2 scrape (rank 0 only)"
    cmp -s "$tmp/scrape/examples.bin" "$tmp/s_np2/examples.bin" && ok || bad "np 2 without Vulkan: examples.bin differs"
else
    echo "no MPI build: the mpirun case skipped"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
