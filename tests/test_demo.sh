#!/usr/bin/env bash
# test_demo.sh — `n2g demo` end to end: the planted neurons' graphs must recover their rules
# (firing F1 >= 0.9 on held-out rows, judged against planted.json), the report must exist, and a
# rerun must reuse the finished work and print the same table.
set -u
N2G="$1"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

"$N2G" demo --out "$T/d" --quiet --sample 2 >"$T/out1" 2>"$T/err1" && ok || { bad "demo exited $?"; cat "$T/err1" >&2; }
[[ -s "$T/d/report/index.html" ]] && ok || bad "no report/index.html"
[[ -s "$T/d/run/stats.json" && -s "$T/d/run/neuron_store.json" ]] && ok || bad "no stats.json / neuron_store.json"
# Each planted neuron (from the ground truth, not from the demo's output) has F1 >= 0.9.
python3 - "$T/d" <<'PY' && ok || bad "planted neurons not recovered"
import json, sys
d = sys.argv[1]
truth = json.load(open(f"{d}/model/planted.json"))
bad = 0
for n in truth["neurons"]:
    r = json.load(open(f"{d}/run/build/{n['layer']}_{n['neuron']}.json"))
    f1 = r["stats"]["1"]["f1-score"]
    print(f"{n['name']} {n['layer']}:{n['neuron']} F1={f1}")
    if f1 < 0.9: bad += 1
sys.exit(bad)
PY
"$N2G" demo --out "$T/d" --quiet --sample 2 >"$T/out2" 2>"$T/err2" && ok || bad "demo rerun exited $?"
diff <(grep -E '^  [0-9]+:' "$T/out1") <(grep -E '^  [0-9]+:' "$T/out2") >/dev/null && ok || bad "rerun table differs"
"$N2G" demo --bogus >/dev/null 2>&1; [[ $? -eq 2 ]] && ok || bad "unknown flag must exit 2"
"$N2G" demo --out /proc/n2g-nope --quiet >/dev/null 2>"$T/err3"; rc=$?
[[ $rc -eq 1 ]] && grep -q "n2g-nope" "$T/err3" && ok || bad "unwritable --out must exit 1 naming the folder (rc=$rc)"
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
