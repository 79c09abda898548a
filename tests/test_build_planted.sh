#!/bin/bash
# test_build_planted.sh — `n2g build` end to end on a planted model (n2g plant: ground truth in
# planted.json): scrape a small corpus, build the planted neurons on the CPU backend and on
# Vulkan (when a device exists; its default kernel family and the gpu family forced), and check that each graph recovers its rule — firing F1 >= 0.9
# on the held-out test rows (stats.json) and the bigram neuron's graph holding the preceding
# token as important context. Then kill -9 a build mid-way, rerun it, and compare every output
# byte for byte with an uninterrupted build. Also: bad-input messages and exit codes.
set -u
N2G=${1:?usage: test_build_planted.sh /path/to/n2g}
. "$(dirname "$0")/lib.sh"
plant_and_scrape

# check RUN: every planted neuron's firing F1 >= 0.9 on its test rows; the bigram graph keeps
# the previous token as an important context node right behind the activating token
check_run() {
    python3 - "$tmp/model/planted.json" "$1" <<'PY'
import json, sys
planted = json.load(open(sys.argv[1]))
run = sys.argv[2]
stats = json.load(open(run + "/stats.json"))
store = json.load(open(run + "/neuron_store.json"))
bad = 0
for n in planted["neurons"]:
    L, N = n["layer"], n["neuron"]
    s = stats.get(str(L), {}).get(str(N))
    if s is None or "1" not in s:
        print("neuron %d:%d: no firing class in stats.json" % (L, N)); bad += 1; continue
    f1 = s["1"]["f1-score"]
    if f1 < 0.9:
        print("neuron %d:%d (%s): firing F1 %.3f < 0.9" % (L, N, n["name"], f1)); bad += 1
    g = json.load(open("%s/graphs/%d_%d.json" % (run, L, N)))
    nodes = g["graph"]
    acts = {i for i, x in enumerate(nodes) if x["depth"] == 0}
    act_text = {nodes[i]["text"] for i in acts}
    want = {t["text"].strip() for t in n["tokens"]}
    if not want <= act_text:
        print("neuron %d:%d: activating nodes %s lack %s" % (L, N, sorted(act_text), sorted(want - act_text))); bad += 1
    if n["prev_tokens"]:
        prev = {t["text"].strip() for t in n["prev_tokens"]}
        ctx = {x["text"] for x in nodes if x["parent"] in acts and x["important"] and x["depth"] == 1}
        if not prev <= ctx:
            print("neuron %d:%d: context behind the activating token %s lacks %s" % (L, N, sorted(ctx), sorted(prev))); bad += 1
        if not any("%d_%d" % (L, N) in v for k, v in store["important"].items() if k in prev):
            print("neuron %d:%d not filed under its context token in neuron_store.json" % (L, N)); bad += 1
    for ext in ("json", "dot", "svg"):
        try:
            open("%s/graphs/%d_%d.%s" % (run, L, N, ext)).close()
        except OSError:
            print("missing graphs/%d_%d.%s" % (L, N, ext)); bad += 1
sys.exit(1 if bad else 0)
PY
}

# vkgpu: the Vulkan device with the gpu kernel family forced (on lavapipe the default is cpu-driver)
for dev in cpu vk vkgpu; do
    run="$tmp/run_$dev"
    cp -r "$tmp/scrape" "$run"
    devarg=(--device cpu)
    export N2G_VARIANT=
    if [ $dev != cpu ]; then
        if ! "$N2G" devices >/dev/null 2>&1; then echo "no Vulkan device: Vulkan build skipped"; continue; fi
        devarg=()
        [ $dev = vkgpu ] && export N2G_VARIANT=gpu
    fi
    out=$("$N2G" build --run "$run" --neurons "$neurons" "${devarg[@]}" 2>"$tmp/err_$dev")
    rc=$?
    [ $rc -eq 0 ] && ok || bad "$dev build failed ($rc): $(tail -3 "$tmp/err_$dev")"
    echo "$out" | grep -q "firing P / R / F1" && ok || bad "$dev: no per-layer table: $out"
    check_run "$run" && ok || bad "$dev: planted rules not recovered"
    # a rerun recomputes nothing and changes nothing
    cp -r "$run" "$tmp/before"
    "$N2G" build --run "$run" --neurons "$neurons" "${devarg[@]}" --quiet || bad "$dev: rerun failed"
    diff -r "$tmp/before" "$run" >/dev/null && ok || bad "$dev: a rerun changed the outputs"
    rm -rf "$tmp/before"
done
unset N2G_VARIANT

# kill -9 mid-build, rerun: identical to an uninterrupted build (CPU backend, 40 neurons)
many=$(python3 -c "print(','.join(['0:%d' % i for i in range(30)] + ['1:%d' % i for i in range(190, 200)]))")
args=(build --neurons "$many" --device cpu --no-svg --quiet --block 4)
cp -r "$tmp/scrape" "$tmp/ref"
"$N2G" "${args[@]}" --run "$tmp/ref" || bad "uninterrupted build failed"
cp -r "$tmp/scrape" "$tmp/kill"
killed=0
for try in 1 2 3; do
    "$N2G" "${args[@]}" --run "$tmp/kill" &
    pid=$!
    for i in $(seq 1 400); do
        n=$(ls "$tmp/kill/build" 2>/dev/null | grep -c '\.json$')
        [ "$n" -ge $((try * 8)) ] && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.01
    done
    if kill -9 $pid 2>/dev/null; then killed=$((killed + 1)); fi
    wait $pid 2>/dev/null
done
[ $killed -ge 1 ] && ok || bad "the build finished before it could be killed"
"$N2G" "${args[@]}" --run "$tmp/kill" || bad "rerun after kill -9 failed"
[ -z "$(find "$tmp/kill" -name '*.tmp*')" ] && ok || bad "the rerun left temporaries: $(find "$tmp/kill" -name '*.tmp*')"
diff -r "$tmp/ref" "$tmp/kill" >/dev/null && ok || bad "outputs after kill -9 + rerun differ: $(diff -rq "$tmp/ref" "$tmp/kill" | head -3)"

# the finishing threads change nothing: on the main thread (--workers 0) or on 5 of them
for w in 0 5; do
    rm -rf "$tmp/w$w" && cp -r "$tmp/scrape" "$tmp/w$w"
    "$N2G" "${args[@]}" --run "$tmp/w$w" --workers $w || bad "--workers $w build failed"
    diff -r "$tmp/ref" "$tmp/w$w" >/dev/null && ok || bad "--workers $w differs: $(diff -rq "$tmp/ref" "$tmp/w$w" | head -3)"
done

# --full-importance runs every masked row in full; the default runs only what the graph reads:
# the graphs and scores must be the same
cp -r "$tmp/scrape" "$tmp/full"
"$N2G" "${args[@]}" --run "$tmp/full" --full-importance || bad "--full-importance build failed"
diff -r "$tmp/ref/graphs" "$tmp/full/graphs" >/dev/null && diff "$tmp/ref/stats.json" "$tmp/full/stats.json" >/dev/null &&
    ok || bad "--full-importance changed the graphs or stats"
# --no-tree runs the masked rows without sharing their prefixes (probe engine step 3): the same
# graphs and scores, and the tree-packed build ran fewer tokens (its --profile phase table)
cp -r "$tmp/scrape" "$tmp/notree"
"$N2G" "${args[@]}" --run "$tmp/notree" --no-tree || bad "--no-tree build failed"
diff -r "$tmp/ref/graphs" "$tmp/notree/graphs" >/dev/null && diff "$tmp/ref/stats.json" "$tmp/notree/stats.json" >/dev/null &&
    ok || bad "--no-tree changed the graphs or stats"
for mode in tree notree; do
    rm -rf "$tmp/p_$mode" && cp -r "$tmp/scrape" "$tmp/p_$mode"
    extra=()
    [ $mode = notree ] && extra=(--no-tree)
    "$N2G" build --neurons 0:0,0:1,0:2,0:3 --device cpu --no-svg --block 4 --profile --run "$tmp/p_$mode" "${extra[@]}" \
        2>"$tmp/prof_$mode" >/dev/null || bad "--profile build ($mode) failed"
done
python3 - "$tmp/prof_tree" "$tmp/prof_notree" <<'PY' && ok || bad "--profile phase tables: $(tail -5 "$tmp/prof_tree")"
import sys
def phases(path):
    lines = open(path).read().replace("\r", "\n").splitlines()
    i = max(k for k, l in enumerate(lines) if l.startswith("phase "))
    return {l[:11].strip(): [float(x) for x in l[11:].split()] for l in lines[i + 1:i + 5]}
t, n = phases(sys.argv[1]), phases(sys.argv[2])
assert list(t) == ["test rows", "prune", "importance", "augmented"], list(t)
# columns: sequences, tokens run, shared, token-layers, batches, seconds
for k in t:
    assert t[k][0] == n[k][0], (k, "same probes either way")
    assert n[k][2] == 0, (k, "--no-tree shares nothing")
assert t["importance"][2] > 0 and t["importance"][1] < n["importance"][1], ("tree packing", t["importance"], n["importance"])
assert t["importance"][1] + t["importance"][2] >= n["importance"][1], "shared + run covers what --no-tree runs"
PY
# --profile names the batch sizes: the CPU backend's fixed defaults, a given --block wins
grep -q "^sizes: --batch-tokens 16384 (default), --block 4 (given); device: the CPU backend" "$tmp/prof_tree" && ok ||
    bad "--profile does not name the sizes: $(grep sizes "$tmp/prof_tree")"
cp -r "$tmp/scrape" "$tmp/p_given"
"$N2G" build --neurons 0:0 --device cpu --no-svg --profile --run "$tmp/p_given" --batch-tokens 4096 2>&1 >/dev/null |
    grep -q "^sizes: --batch-tokens 4096 (given), --block 128 (default)" && ok || bad "--profile with --batch-tokens given"

# scrape --fire-lists: the build scores test rows from the scrape's firing lists instead of
# running them; the scores must equal those of --rerun-test-rows (which runs them), and the
# graphs must be identical; correlation is null (it needs every activation)
"$N2G" scrape --model "$tmp/model" --corpus "$DATA/corpus/fixture_small.txt" --out "$tmp/fscrape" --device cpu \
    --quiet --fire-lists=3 || bad "scrape --fire-lists failed" # 3 entries: some lists overflow, those rows run
fl=(build --neurons "$neurons,0:0,0:1,0:2,0:3,1:190,1:191" --device cpu --no-svg --block 8)
cp -r "$tmp/fscrape" "$tmp/flist"
"$N2G" "${fl[@]}" --run "$tmp/flist" 2>"$tmp/flist.err" >/dev/null || bad "build from firing lists failed"
grep -Eq "test rows: [1-9][0-9]* from the scrape's firing lists, [1-9][0-9]* run" "$tmp/flist.err" && ok ||
    bad "want rows from lists and overflowed rows run: $(tail -1 "$tmp/flist.err")"
cp -r "$tmp/fscrape" "$tmp/frerun"
"$N2G" "${fl[@]}" --run "$tmp/frerun" --rerun-test-rows --quiet || bad "--rerun-test-rows build failed"
diff -r "$tmp/flist/graphs" "$tmp/frerun/graphs" >/dev/null && ok || bad "firing lists changed the graphs"
python3 - "$tmp/flist/stats.json" "$tmp/frerun/stats.json" <<'PY' && ok || bad "firing lists changed the scores"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a.keys() == b.keys() and a, (a.keys(), b.keys())
n = listed = 0
for L in a:
    assert a[L].keys() == b[L].keys()
    for N in a[L]:
        x, y = dict(a[L][N]), dict(b[L][N])
        cx, cy = x.pop("correlation"), y.pop("correlation")
        listed += cx is None  # a neuron scored from lists has no correlation; else it is the rerun's
        assert cx is None or cx == cy, (L, N, cx, cy)
        assert x == y, (L, N, x, y)
        n += 1
assert n >= 6 and listed >= 1, (n, listed)
PY
# bad input
expect() { # code, message fragment, args...
    local code=$1 msg=$2
    shift 2
    "$N2G" "$@" >/dev/null 2>"$tmp/e"
    local rc=$?
    [ $rc -eq "$code" ] && grep -q -- "$msg" "$tmp/e" && ok || bad "'$*': rc $rc, '$(cat "$tmp/e")' (want $code, '$msg')"
}
expect 2 "--run RUN is required" build
expect 2 "unknown option" build --run "$tmp/ref" --bogus
expect 2 "expected 'casings', 'mlm' or 'none'" build --run "$tmp/ref" --augment bert
expect 2 "expected 'all', 'L:N' or 'L:\*'" build --run "$tmp/ref" --neurons 0-3 --device cpu
expect 2 "layer 7 was not scraped" build --run "$tmp/ref" --neurons 7:1 --device cpu
expect 2 "neuron 999 outside" build --run "$tmp/ref" --neurons 0:999 --device cpu
expect 2 "--device" build --run "$tmp/ref" --device gpu0
expect 1 "$tmp/nope" build --run "$tmp/nope" --device cpu
expect 1 "nofile.json" build --run "$tmp/ref" --neurons 0:200 --casings "$tmp/nofile.json" --device cpu
expect 2 "--mask-token" build --run "$tmp/ref" --mask-token x
"$N2G" build --help | grep -q "usage: n2g build" && ok || bad "--help"
"$N2G" casings --help | grep -q "usage: n2g casings" && ok || bad "casings --help"
expect 2 "--out FILE is required" casings --corpus "$DATA/corpus/fixture_small.txt"
expect 1 "none.txt: cannot read: No such file" casings --corpus "$tmp/none.txt" --out "$tmp/c.json"
# n2g casings over a directory of .txt / .jsonl files: a bad JSONL line is skipped with a warning
mkdir -p "$tmp/corp/sub"
printf 'The cat. THE Cat!\n' >"$tmp/corp/a.txt"
printf '{"text": "the Dog"}\nnot json\n{"x": 1}\n{"text": "dog DOG"}\n' >"$tmp/corp/sub/b.jsonl"
printf 'ignored Ignored\n' >"$tmp/corp/c.md"
"$N2G" casings --corpus "$tmp/corp" --out "$tmp/wc.json" 2>"$tmp/e" && ok || bad "casings over a directory failed"
grep -q "b.jsonl:2" "$tmp/e" && grep -q 'b.jsonl:3: no string "text" field' "$tmp/e" && ok || bad "casings warnings: $(cat "$tmp/e")"
python3 - "$tmp/wc.json" <<'PY' && ok || bad "casings table content"
import json, sys
t = json.load(open(sys.argv[1]))
assert t["the"] == [["The", 1], ["THE", 1], ["the", 1]] or t["the"] == [["THE", 1], ["The", 1], ["the", 1]], t["the"]
assert t["cat"] == [["Cat", 1], ["cat", 1]], t["cat"]
assert t["dog"] == [["DOG", 1], ["Dog", 1], ["dog", 1]], t["dog"]
assert "ignored" not in t
PY

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
