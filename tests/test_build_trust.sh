#!/bin/bash
# test_build_trust.sh — what `n2g build` writes can be trusted (issue 15), on the planted model
# (CPU backend):
#  1. stats.json: every field recomputed from the per-neuron results by tests/check_stats.py
#     (not n2g's code), and the report's neuron pages show the same averages;
#  2. RUN/samples/L_N.json: `n2g fit --samples` refits the same graph and DOT as the build's, the
#     file holds the build's sample counts, and the report shows the pruned / augmented samples;
#  3. the options record: a rerun with other options that shape the results is refused (exit 2,
#     the option and both values named) and changes nothing; speed-only options are accepted;
#     --force rebuilds exactly what a fresh build with the new options writes; a result without
#     a record (older n2g) is refused with a hint to --force;
#  4. temporaries that killed builds left (n2g's own names, dead processes only) are removed by
#     the next run; Ctrl-C (SIGINT) stops with exit 130 and says what was kept, writes nothing
#     half-way, and the rerun ends byte-identical to an uninterrupted build.
set -u
N2G=${1:?usage: test_build_trust.sh /path/to/n2g}
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/.." && pwd)
"$N2G" plant --out "$tmp/model" >/dev/null || { echo "FAIL: n2g plant" >&2; exit 1; }
"$N2G" scrape --model "$tmp/model" --corpus "$DATA/corpus/fixture_small.txt" --out "$tmp/scrape" --device cpu \
    --quiet --fire-lists || { echo "FAIL: n2g scrape" >&2; exit 1; }
planted=(0:37 0:150 1:200)
set1=$(python3 -c "print(','.join(['0:37', '0:150', '1:200'] + ['0:%d' % i for i in range(6)] + ['1:%d' % i for i in range(190, 196)]))")
b=(build --neurons "$set1" --device cpu)

# ---- 1. stats.json recomputed from build/L_N.json ----
cp -r "$tmp/scrape" "$tmp/ref"
"$N2G" "${b[@]}" --run "$tmp/ref" --quiet || bad "build failed"
python3 "$SRC/tests/check_stats.py" "$tmp/ref" && ok || bad "stats.json does not match the per-neuron results"
"$N2G" report --run "$tmp/ref" --out "$tmp/site" --quiet --neurons "$(IFS=,; echo "${planted[*]}")" 2>/dev/null ||
    bad "report failed"
python3 - "$tmp/ref" "$tmp/site" "${planted[@]}" <<'PY' && ok || bad "the report's averages differ from stats.json"
import json, re, sys
run, site = sys.argv[1], sys.argv[2]
stats = json.load(open(run + "/stats.json"))
for name in sys.argv[3:]:
    L, N = name.split(":")
    page = open("%s/neurons/%s_%s.html" % (site, L, N)).read()
    for avg in ("macro avg", "weighted avg"):
        m = re.search(r'\["%s",\[\["precision",([^\]]+)\],\["recall",([^\]]+)\],\["f1-score",([^\]]+)\],'
                      r'\["support",([^\]]+)\]\]\]' % avg, page)
        assert m, (name, avg, "not on the page")
        want = stats[L][N][avg]
        got = [float(x) for x in m.groups()]
        assert want["support"] > 0, (name, avg, want)
        for g, w in zip(got, (want["precision"], want["recall"], want["f1-score"], want["support"])):
            assert abs(g - w) <= 1e-5 * max(1, abs(w)), (name, avg, got, want)
PY

# ---- 2. samples files ----
python3 - "$tmp/ref" "$set1" <<'PY' && ok || bad "samples files: counts or order"
import json, sys
run = sys.argv[1]
for name in sys.argv[2].split(","):
    L, N = name.split(":")
    res = json.load(open("%s/build/%s_%s.json" % (run, L, N)))
    try:
        smp = json.load(open("%s/samples/%s_%s.json" % (run, L, N)))
    except OSError:
        assert not res["graph"], (name, "a neuron with a graph has no samples file")
        continue
    s = smp["samples"]
    assert (smp["layer"], smp["neuron"]) == (int(L), int(N)), name
    assert len(s) == res["samples"] and sum(x["parent"] is None for x in s) == res["pruned"], (name, len(s), res)
    assert sum(len(x["tokens"]) for x in s) == res["sample_tokens"], name
    for i, x in enumerate(s):  # an augmentation follows its original (the fitting order)
        assert x["parent"] is None or (x["parent"] < i and s[x["parent"]]["parent"] is None), (name, i)
        assert len(x["importance"]) == len(x["tokens"]) and all(len(r) == len(x["tokens"]) for r in x["importance"])
PY
for n in "${planted[@]}" 0:1 0:3; do # neurons with a graph
    f=${n/:/_}
    [ -f "$tmp/ref/samples/$f.json" ] || { bad "no samples/$f.json"; continue; }
    rm -rf "$tmp/fit"
    "$N2G" fit --samples "$tmp/ref/samples/$f.json" --out "$tmp/fit" --no-svg --quiet || bad "fit --samples $f failed"
    cmp -s "$tmp/fit/$f.json" "$tmp/ref/graphs/$f.json" && cmp -s "$tmp/fit/$f.dot" "$tmp/ref/graphs/$f.dot" && ok ||
        bad "n2g fit --samples samples/$f.json does not refit graphs/$f.{json,dot}"
done
python3 - "$tmp/ref" "$tmp/site" "${planted[@]}" <<'PY' && ok || bad "the report does not show the samples"
import json, re, sys
run, site = sys.argv[1], sys.argv[2]
for name in sys.argv[3:]:
    L, N = name.split(":")
    s = json.load(open("%s/samples/%s_%s.json" % (run, L, N)))["samples"]
    page = open("%s/neurons/%s_%s.html" % (site, L, N)).read()
    pr = page[page.index('"pruned":['):page.index('"augmented":[')]
    au = page[page.index('"augmented":['):page.index('"svg":')]
    n_pr, n_au = sum(x["parent"] is None for x in s), sum(x["parent"] is not None for x in s)
    assert n_pr > 0 and len(re.findall(r'\{"r":-1,', pr)) == n_pr and len(re.findall(r'\{"r":-1,', au)) == n_au, \
        (name, n_pr, n_au)
PY

# ---- 3. the options record ----
cp -r "$tmp/ref" "$tmp/before"
refuse() { # what, fragment, fragment, args...: refused with a usage error naming both values, nothing changed
    local what=$1 f1=$2 f2=$3
    shift 3
    "$N2G" "${b[@]}" --run "$tmp/ref" "$@" >/dev/null 2>"$tmp/e"
    local rc=$?
    [ $rc -eq 2 ] && grep -qF -- "$f1" "$tmp/e" && grep -qF -- "$f2" "$tmp/e" && grep -qF -- "--force" "$tmp/e" && ok ||
        bad "$what: rc $rc, '$(cat "$tmp/e")' (want 2 naming '$f1' and '$f2')"
    diff -r "$tmp/before" "$tmp/ref" >/dev/null && ok || bad "$what: the refused build changed the run"
}
refuse "--seed 3 --augment none" "built with --seed 0" "this build has --seed 3" --seed 3 --augment none
refuse "--augment none" "built with --augment casings" "this build has --augment none" --augment none
refuse "--mask-token 2" "built with --mask-token 1" "this build has --mask-token 2" --mask-token 2
refuse "--full-importance" "built with no --full-importance" "this build has --full-importance" --full-importance
refuse "--rerun-test-rows" "built with test rows from the scrape's firing lists" "this build has test rows run" \
    --rerun-test-rows
printf 'The cat sat. THE CAT! the Cat\n' >"$tmp/small.txt"
"$N2G" casings --corpus "$tmp/small.txt" --out "$tmp/other_casings.json" 2>/dev/null || bad "n2g casings failed"
refuse "another casing table" "built with a casing table (--casings) with hash" "this build has a casing table" \
    --casings "$tmp/other_casings.json"
# the same table under another name is the same option
"$N2G" "${b[@]}" --run "$tmp/ref" --casings "$tmp/ref/word_to_casings.json" --quiet && ok || bad "the same casing table refused"
# speed-only options are not recorded
"$N2G" "${b[@]}" --run "$tmp/ref" --block 1 --batch-tokens 4096 --no-tree --no-svg 2>"$tmp/e" >/dev/null &&
    grep -q "(0 built now, 15 already done" "$tmp/e" && ok || bad "speed-only options refused: $(cat "$tmp/e")"
diff -r "$tmp/before" "$tmp/ref" >/dev/null && ok || bad "a rerun with speed-only options changed the run"
# --force: the same files as a fresh build with the new options
cp -r "$tmp/scrape" "$tmp/fresh"
"$N2G" "${b[@]}" --run "$tmp/fresh" --seed 3 --augment none --quiet || bad "fresh --seed 3 build failed"
"$N2G" "${b[@]}" --run "$tmp/ref" --seed 3 --augment none --force 2>"$tmp/e" >/dev/null &&
    grep -q "15 rebuilt with the new options" "$tmp/e" && ok || bad "--force rebuild: $(cat "$tmp/e")"
diff -r -x word_to_casings.json "$tmp/fresh" "$tmp/ref" >/dev/null && ok ||
    bad "--force differs from a fresh build: $(diff -rq -x word_to_casings.json "$tmp/fresh" "$tmp/ref" | head -3)"
# a result without the record (an older n2g's)
python3 - "$tmp/ref/build/0_37.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); del r["options"]; json.dump(r, open(sys.argv[1], "w"))
PY
"$N2G" "${b[@]}" --run "$tmp/ref" --seed 3 --augment none --quiet 2>"$tmp/e"
rc=$?
[ $rc -eq 2 ] && grep -q "0_37.json has no record of the options" "$tmp/e" && grep -q -- "--force" "$tmp/e" && ok ||
    bad "an unrecorded result: rc $rc, $(cat "$tmp/e")"
"$N2G" "${b[@]}" --run "$tmp/ref" --seed 3 --augment none --force 2>"$tmp/e" >/dev/null &&
    grep -q "(1 built now, 14 already done" "$tmp/e" && ok || bad "--force of an unrecorded result: $(cat "$tmp/e")"
diff -r -x word_to_casings.json "$tmp/fresh" "$tmp/ref" >/dev/null && ok || bad "--force of an unrecorded result differs"

# ---- 4. temporaries and Ctrl-C ----
dead=$(python3 -c "
import os
p = int(open('/proc/sys/kernel/pid_max').read()) - 1
while os.path.exists('/proc/%d' % p): p -= 1
print(p)")
k="$tmp/fresh"
stale=(graphs/0_37.svg.tmp.$dead graphs/0_37.json.tmp.$dead graphs/1_200.dot.tmp.$dead build/0_40.json.tmp.$dead
    samples/0_37.json.tmp.$dead stats.json.tmp.$dead neuron_store.json.tmp.$dead)
keep=(graphs/0_37.svg.tmp.$$ graphs/notes.txt.tmp.$dead graphs/0_37.svg.tmp.12ab build/0_37.json.tmp)
for f in "${stale[@]}" "${keep[@]}"; do echo partial >"$k/$f"; done
"$N2G" "${b[@]}" --run "$k" --seed 3 --augment none 2>"$tmp/e" >/dev/null || bad "build with stale temporaries failed"
grep -q "${#stale[@]} temporaries of an interrupted build removed" "$tmp/e" && ok || bad "summary: $(cat "$tmp/e")"
for f in "${stale[@]}"; do [ -e "$k/$f" ] && bad "stale temporary $f was not removed"; done
for f in "${keep[@]}"; do [ -e "$k/$f" ] || bad "$f (not a dead n2g's temporary) was removed"; done
[ "$(find "$k" -name '*.tmp*' | wc -l)" -eq ${#keep[@]} ] && ok || bad "temporaries: $(find "$k" -name '*.tmp*')"

many=$(python3 -c "print(','.join(['0:%d' % i for i in range(40)] + ['1:%d' % i for i in range(180, 220)]))")
args=(build --neurons "$many" --device cpu --block 2 --quiet)
cp -r "$tmp/scrape" "$tmp/sref"
"$N2G" "${args[@]}" --run "$tmp/sref" || bad "uninterrupted build failed"
stopped=0
for try in 1 2 3; do
    rm -rf "$tmp/sig" && cp -r "$tmp/scrape" "$tmp/sig"
    "$N2G" "${args[@]}" --run "$tmp/sig" 2>"$tmp/e" &
    pid=$!
    for i in $(seq 1 500); do
        n=$(ls "$tmp/sig/build" 2>/dev/null | grep -c '\.json$')
        [ "$n" -ge 6 ] && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.01
    done
    kill -INT $pid 2>/dev/null
    wait $pid
    rc=$?
    [ $rc -eq 0 ] && continue # finished before the signal
    stopped=1
    n=$(ls "$tmp/sig/build" | grep -c '\.json$')
    [ $rc -eq 130 ] && grep -q "stopped: $n of 80 neurons finished and kept" "$tmp/e" &&
        grep -q "rerun the same command to continue" "$tmp/e" && ok || bad "Ctrl-C: rc $rc, '$(cat "$tmp/e")' ($n done)"
    [ -z "$(find "$tmp/sig" -name '*.tmp*')" ] && ok || bad "Ctrl-C left temporaries: $(find "$tmp/sig" -name '*.tmp*')"
    break
done
[ $stopped -eq 1 ] && ok || bad "the build finished before it could be stopped"
"$N2G" "${args[@]}" --run "$tmp/sig" || bad "rerun after Ctrl-C failed"
diff -r "$tmp/sref" "$tmp/sig" >/dev/null && ok || bad "after Ctrl-C + rerun: $(diff -rq "$tmp/sref" "$tmp/sig" | head -3)"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
