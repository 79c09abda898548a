#!/usr/bin/env bash
# test_report_cli.sh N2G — `n2g report` options and bad input: exit codes and messages, no
# half-written output, the site's files and their shapes.
set -uo pipefail
N2G=${1:?usage: test_report_cli.sh /path/to/n2g}
SRC=${N2G_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
SHARED=${N2G_SHARED_DIR:-$SRC/../shared}
VOCAB=$SHARED/data/gpt2-tokenizer
T=$(mktemp -d /tmp/n2g-report-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 failn=0
ok() { pass=$((pass + 1)); }
bad() { failn=$((failn + 1)); echo "FAIL: $*"; }
# expect RC PATTERN -- command...   (PATTERN is matched against stderr)
expect() {
  local want=$1 pat=$2; shift 3
  "$@" > "$T/out" 2> "$T/err"; local rc=$?
  if [ $rc -ne "$want" ]; then bad "$* -> rc $rc, want $want: $(cat "$T/err")"; return; fi
  if [ -n "$pat" ] && ! grep -q -- "$pat" "$T/err"; then bad "$* -> stderr lacks '$pat': $(cat "$T/err")"; return; fi
  if [ "$want" -ne 0 ] && [ "$(wc -l < "$T/err")" -ne 1 ]; then bad "$*: want a one-line message, got: $(cat "$T/err")"; return; fi
  ok
}

python3 "$SRC/tests/fixtures/make_report_run.py" --out "$T/run" --vocab "$VOCAB" --layers 2,3 --d-mlp 6 --k 3 --ctx 40 --planted 3:1

expect 0 "" -- "$N2G" report --help
grep -q -- "--neurons" "$T/out" && ok || bad "--help lacks --neurons"
expect 2 "--run RUN is required" -- "$N2G" report
expect 2 "unknown option '--frob'" -- "$N2G" report --run "$T/run" --frob
expect 2 "--out needs a value" -- "$N2G" report --run "$T/run" --out
expect 2 "layer 7 is not in this run" -- "$N2G" report --run "$T/run" --neurons 7:1
expect 2 "neuron 6 is out of range" -- "$N2G" report --run "$T/run" --neurons 2:6
expect 2 "bad item 'x'" -- "$N2G" report --run "$T/run" --neurons x
expect 2 "--context: expected B,A" -- "$N2G" report --run "$T/run" --context 5
expect 2 "--acts: expected 'auto', 'model' or 'none'" -- "$N2G" report --run "$T/run" --acts sometimes
expect 2 "--device: expected 'cpu' or a device index" -- "$N2G" report --run "$T/run" --device gpu0
expect 1 "the model directory has no config.json" -- "$N2G" report --quiet --run "$T/run" --acts model --vocab "$VOCAB"
"$N2G" plant --out "$T/pm" > /dev/null 2>&1
expect 1 "config.json: n_layer 2, the run was scraped with 4" -- "$N2G" report --quiet --run "$T/run" --acts model --model "$T/pm" --vocab "$VOCAB"
# auto without a model: the pages are written, and stderr says why activations are missing
"$N2G" report --run "$T/run" --out "$T/auto" --vocab "$VOCAB" > /dev/null 2> "$T/err"
grep -q "per-token activations skipped: no model at" "$T/err" && ok || bad "auto note missing: $(cat "$T/err")"
expect 1 "no manifest.json" -- "$N2G" report --run "$T/nowhere"
expect 1 "novocab: no such directory" -- "$N2G" report --run "$T/run" --vocab "$T/novocab"

# a token-lookup baseline file (stats.json's shape): its per-layer mean F1 joins the layer table
python3 - "$T/run" <<'EOF2'
import json, sys
st = json.load(open(sys.argv[1] + "/stats.json"))
for L in st.values():
    for r in L.values():
        if "1" in r: r["1"]["f1-score"] = round(r["1"]["f1-score"] * 0.5, 4)
json.dump(st, open(sys.argv[1] + "/stats_token.json", "w"))
EOF2
# a subset, default output directory RUN/report, custom context
expect 0 "" -- "$N2G" report --quiet --run "$T/run" --neurons 3:1,2:0-1 --context 5,2 --vocab "$VOCAB"
grep -q "wrote $T/run/report/index.html and 3 neuron pages" "$T/out" && ok || bad "summary line: $(cat "$T/out")"
ls "$T/run/report/neurons" | sort > "$T/pages"
printf '2_0.html\n2_1.html\n3_1.html\n' | diff - "$T/pages" > /dev/null && ok || bad "pages: $(cat "$T/pages")"
grep -q '"before":5,"after":2' "$T/run/report/neurons/3_1.html" && ok || bad "context not applied"
[ -z "$(find "$T/run/report" -name '*.tmp*')" ] && ok || bad "temporary files left behind"
# the data files are plain JS calls of the documented shape
python3 - "$T/run/report" <<'EOF' && ok || bad "data file shapes"
import json, re, sys, os
d = sys.argv[1]
t = open(os.path.join(d, "data/neurons-000.js")).read()
m = re.fullmatch(r"N2G\.neuronChunk\(0,(\[.*\])\);\n", t, re.S)
rows = json.loads(m.group(1))
assert [(r[0], r[1]) for r in rows] == [(2, 0), (2, 1), (3, 1)], rows
idx = open(os.path.join(d, "index.html")).read()
m = re.search(r"N2G\.indexPage\((\{.*\})\);</script>", idx, re.S)
ix = json.loads(m.group(1))
assert ix["neurons"] == 3 and ix["chunks"] == 1 and ix["buckets"] >= 1, ix
assert [l["layer"] for l in ix["layers"]] == [2, 3], ix["layers"]
# per-layer means recomputed here from stats.json (precision 1.0 rule for nothing predicted)
st = json.load(open(os.path.join(d, "../stats.json")))
for l in ix["layers"]:
    reps = [r for r in st[str(l["layer"])].values() if "1" in r]
    f1 = sum(r["1"]["f1-score"] for r in reps) / len(reps)
    assert abs(l["f1"] - f1) < 1e-3, (l, f1)
    assert l["eligible"] == len(reps)
    tok = json.load(open(os.path.join(d, "../stats_token.json")))
    treps = [r for r in tok[str(l["layer"])].values() if "1" in r]
    assert abs(l["tokF1"] - sum(r["1"]["f1-score"] for r in treps) / len(treps)) < 1e-3, l
    assert "ngramF1" not in l
EOF

# numbers are shown exactly: a real run's manifest (a 13,334,144-byte model, layers [0, 1]) and
# its per-neuron counts (34,749 positions with --ctx 100: %.4g would show 34,750)
"$N2G" plant --out "$T/exact_m" >/dev/null 2>&1 &&
    "$N2G" scrape --model "$T/exact_m" --corpus "$SHARED/data/corpus/fixture_small.txt" --out "$T/exact" --ctx 100 \
        --device cpu --quiet && "$N2G" report --run "$T/exact" --acts none --quiet >/dev/null || bad "exact: plant / scrape / report"
python3 - "$T/exact" <<'EOF' && ok || bad "report numbers not exact"
import json, os, re, sys
run = sys.argv[1]
man = json.load(open(os.path.join(run, "manifest.json")))
idx = open(os.path.join(run, "report/index.html")).read()
shown = json.loads(re.search(r"N2G\.indexPage\((\{.*\})\);</script>", idx, re.S).group(1))["manifest"]
def unpairs(v):  # the page's [[key, value], ...] objects back to dicts
    if isinstance(v, list) and v and all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in v):
        return {k: unpairs(x) for k, x in v}
    return [unpairs(x) for x in v] if isinstance(v, list) else v
shown = unpairs(shown)
assert man["model"]["safetensors_bytes"] > 10**7, man["model"]
assert shown["model"]["safetensors_bytes"] == man["model"]["safetensors_bytes"], shown["model"]
assert shown["params"]["layers"] == man["params"]["layers"] == [0, 1], shown["params"]
assert shown["scan"] == man["scan"], (shown["scan"], man["scan"])
assert shown["model"]["config"] == man["model"]["config"], shown["model"]["config"]
pos = man["scan"]["positions_per_neuron"]
assert len(str(pos).rstrip("0")) > 4, pos  # more digits than %.4g keeps
n = 0
for name in sorted(os.listdir(os.path.join(run, "report/data"))):
    if name.startswith("neurons-"):
        t = open(os.path.join(run, "report/data", name)).read()
        rows = json.loads(re.fullmatch(r"N2G\.neuronChunk\(\d+,(\[.*\])\);\n", t, re.S).group(1))
        assert all(r[6] == pos for r in rows), [r for r in rows if r[6] != pos][:3]
        n += len(rows)
assert n == 512, n
page = open(os.path.join(run, "report/neurons/1_200.html")).read()
assert '"count":%d,' % pos in page, re.search(r'"count":[^,]*', page).group(0)
EOF

# bad files inside the run: messages name the file
cp -r "$T/run" "$T/r2"; echo '{"2": {"0": ' > "$T/r2/stats.json"
expect 1 "stats.json" -- "$N2G" report --quiet --run "$T/r2" --vocab "$VOCAB"
cp -r "$T/run" "$T/r3"; head -c 100 "$T/run/examples.bin" > "$T/r3/examples.bin"
expect 1 "examples.bin: truncated" -- "$N2G" report --quiet --run "$T/r3" --vocab "$VOCAB"
cp -r "$T/run" "$T/r4"; printf 'XXXXXXXX' | dd of="$T/r4/examples.bin" conv=notrunc status=none
expect 1 "bad magic" -- "$N2G" report --quiet --run "$T/r4" --vocab "$VOCAB"
cp -r "$T/run" "$T/r5"; echo '[1,2]' > "$T/r5/manifest.json"
expect 1 "manifest.json: expected a JSON object" -- "$N2G" report --quiet --run "$T/r5" --vocab "$VOCAB"
cp -r "$T/run" "$T/r6"; echo '{"samples": [{"tokens": [1, 2], "activations": [0.5]}]}' > "$T/r6/samples/3_1.json"
expect 1 "samples/3_1.json: samples\[0\].activations: expected 2 numbers" -- "$N2G" report --quiet --run "$T/r6" --vocab "$VOCAB"
# output directory blocked by a file
touch "$T/blocked"
expect 1 "not a directory" -- "$N2G" report --quiet --run "$T/run" --out "$T/blocked" --vocab "$VOCAB"

echo "$pass passed, $failn failed"
[ $failn = 0 ]
