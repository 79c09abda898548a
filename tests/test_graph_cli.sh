#!/usr/bin/env bash
# n2g fit / predict / search / similar end to end on the bundled GPT-2 vocabulary: outputs,
# exit codes and error messages. Expected values follow from the samples by the N2G rules.
set -uo pipefail
bin=${1:?usage: test_graph_cli.sh path/to/n2g}
work=$(mktemp -d "${TMPDIR:-/tmp}/n2g-graphcli-XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
pass=0
check() { # check NAME CONDITION...
    local name=$1
    shift
    if "$@"; then pass=$((pass + 1)); else echo "FAILED: $name"; fails=$((fails + 1)); fi
}
# " The cat sat": 50256 464 3797 3332; " dog" 3290. I[cat][sat] = .95 keeps " cat"; the
# augmentation (parent 0) reuses that position, so " dog" is kept too.
cat >"$work/s.json" <<'JSON'
{"layer": 1, "neuron": 42,
 "samples": [
  {"tokens": [50256, 464, 3797, 3332], "activations": [0, 0, 0, 0.9],
   "importance": [[1,0,0,0],[0,1,0,0.5],[0,0,1,0.95],[0,0,0,1]], "parent": null},
  {"tokens": [50256, 464, 3290, 3332], "activations": [0, 0, 0, 0.7],
   "importance": [[1,0,0,0],[0,1,0,0.5],[0,0,1,0.1],[0,0,0,1]], "parent": 0}],
 "test": [{"tokens": [50256, 464, 3797, 3332, 464, 3290, 3332], "activations": [0, 0, 0, 0.9, 0, 0, 0.2]}]}
JSON
out=$("$bin" fit --samples "$work/s.json" --out "$work/run" --no-svg)
check "fit exit 0" test $? -eq 0
check "fit prints scores" grep -q "1_42: firing P 0.500 R 1.000" <<<"$out"
check "graph written" test -s "$work/run/1_42.json"
check "dot written" grep -q "label=cat" "$work/run/1_42.dot"
check "stats.json shape" grep -q '"f1-score"' "$work/run/stats.json"
pred=$("$bin" predict --graph "$work/run/1_42.json" --tokens 464,3797,3332,3290,3332 --json)
check "predict json" test "$pred" = '{"tokens": [464, 3797, 3332, 3290, 3332], "activations": [0, 0, 0.9, 0, 0.7]}'
pred=$("$bin" predict --graph "$work/run/1_42.json" --text " cat sat")
check "predict --text" grep -qP '^1\t3332\t" sat"\t0.9$' <<<"$pred"
check "search" test "$("$bin" search --graphs "$work/run" --token sat --token " Dog")" = "1_42"
check "search type" test -z "$("$bin" search --graphs "$work/run" --token cat --type activating)"
check "search exact" test -z "$("$bin" search --graphs "$work/run" --token " cat" --exact)"
# a second neuron with the same graph: a similar pair
"$bin" fit --samples "$work/s.json" --out "$work/run" --no-svg --quiet --layer 2 --neuron 5
check "similar" test "$("$bin" similar --graphs "$work/run")" = "similar 2_5 1_42"
check "stats keeps both" grep -q '"2": {' "$work/run/stats.json"
if command -v dot >/dev/null; then
    "$bin" fit --samples "$work/s.json" --out "$work/svg" --quiet
    check "svg" grep -q "<svg" "$work/svg/1_42.svg"
fi
N2G_DOT=/nonexistent/dot "$bin" fit --samples "$work/s.json" --out "$work/nodot" --quiet 2>"$work/err"
check "missing dot exit 1" test $? -eq 1
check "missing dot message" grep -q "not found.*graphviz" "$work/err"
# usage errors: exit 2
for sub in fit predict search similar; do
    "$bin" $sub --help >/dev/null
    check "$sub --help" test $? -eq 0
    "$bin" $sub --bogus 2>/dev/null
    check "$sub bad argument exit 2" test $? -eq 2
done
# bad input: exit 1 with a message naming the problem
printf '{"samples": [{"tokens": [1, 2], "activations": [0.5], "importance": [[0,0],[0,0]]}]}' >"$work/bad.json"
"$bin" fit --samples "$work/bad.json" --out "$work/x" --layer 0 --neuron 0 2>"$work/err"
check "mismatched lengths exit 1" test $? -eq 1
check "mismatched lengths message" grep -q "samples\[0\].activations: expected 2 numbers (one per token), got 1" "$work/err"
sed 's/"version": 1/"version": 9/' "$work/run/1_42.json" >"$work/v9.json"
"$bin" predict --graph "$work/v9.json" --tokens 1 2>"$work/err"
check "unknown version exit 1" test $? -eq 1
check "unknown version message" grep -q "graph format version 9 is not supported" "$work/err"
"$bin" predict --graph "$work/run/1_42.json" --tokens 99999 2>"$work/err"
check "token out of range" grep -q "outside the vocabulary" "$work/err"
echo "$pass passed, $fails failed"
test $fails -eq 0
