#!/bin/bash
# test_gpu_sh.sh — bench/gpu.sh end to end in its CI-sized form (--small --no-torch: tiny
# shapes, a 2-layer random model, the gpu kernel family forced) on the default Vulkan device:
# it exits 0 and prints one table whose every row has its figure (numbers where numbers belong:
# GFLOP/s of each kernel, tokens/s, seconds per neuron), and a failing test is reported as
# FAILED with a non-zero exit. No Vulkan device: skipped (77).
set -u
N2G=${1:?usage: test_gpu_sh.sh /path/to/n2g}
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$(dirname "$N2G")" && pwd)
if ! "$N2G" devices 2>/dev/null | grep -q '^\* vk:'; then echo "no Vulkan device: skipped"; exit 77; fi

GPU_SH_TESTS=test_topk "$ROOT/bench/gpu.sh" --small --no-torch --build "$BUILD" --work "$tmp/w" --out "$tmp/table.md" \
    >"$tmp/out.txt" 2>"$tmp/err.txt"
rc=$?
[ $rc = 0 ] && ok || bad "gpu.sh --small exited $rc: $(tail -5 "$tmp/err.txt")"
cmp -s "$tmp/out.txt" "$tmp/table.md" && ok || bad "--out differs from what was printed"
python3 - "$tmp/table.md" <<'PY' && ok || bad "table: see above"
import re, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("| ") and not line.startswith("| measure") and not line.startswith("|---"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
bad = 0
def need(pattern, kind):
    global bad
    hits = [k for k in rows if re.fullmatch(pattern, k)]
    if not hits:
        print("no row %r" % pattern); bad += 1
    for k in hits:
        v = rows[k][0]
        ok = {"num": re.match(r"^[0-9]+(\.[0-9]+)?( |$)", v), "passed": v == "passed", "any": v and v != "-"}[kind]
        if not ok:
            print("row %r: %r is not %s" % (k, v, kind)); bad += 1
    return hits
need(r"device", "any")
need(r"test test_topk", "passed")
k = need(r"(matmul|attention|layernorm|gelu) .*, GFLOP/s", "num")
if len(k) != 10:
    print("%d kernel rows, want 10" % len(k)); bad += 1
for k in [k for k in rows if k.startswith("matmul")]:
    if not re.search(r"\(v1 [0-9.]+\)", rows[k][0]): print("no v1 figure: %r" % rows[k]); bad += 1
if len(need(r"forward to the last MLP, .* tokens/s", "num")) != 2: print("want 2 forward rows"); bad += 1
need(r"scrape .*tokens/s", "num")
need(r"n2g scrape --fire-lists.*", "num")
if len(need(r"n2g build layer [01], 2 neurons .*s/neuron", "num")) != 2: print("want 2 build rows"); bad += 1
need(r"n2g build --neurons .*seconds", "num")
sys.exit(1 if bad else 0)
PY

# a failing test is a FAILED row and a non-zero exit (a test binary that exits 1)
mkdir -p "$tmp/fakebuild"
for f in "$BUILD"/n2g "$BUILD"/bench_*; do ln -s "$f" "$tmp/fakebuild/"; done
printf '#!/bin/sh\necho "3 passed, 1 failed"\nexit 1\n' >"$tmp/fakebuild/test_fails"
chmod +x "$tmp/fakebuild/test_fails"
GPU_SH_SECTIONS=tests GPU_SH_TESTS=test_fails "$ROOT/bench/gpu.sh" --small --no-torch --build "$tmp/fakebuild" --work "$tmp/w2" \
    >"$tmp/out2.txt" 2>/dev/null
rc=$?
[ $rc = 1 ] && ok || bad "a failing test: gpu.sh exited $rc (want 1)"
grep -q '^| test test_fails | FAILED (exit 1) | 3 passed, 1 failed |' "$tmp/out2.txt" && ok || bad "no FAILED row: $(grep test_fails "$tmp/out2.txt")"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
