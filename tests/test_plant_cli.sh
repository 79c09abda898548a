#!/usr/bin/env bash
# test_plant_cli.sh — `n2g plant` command line: help, usage errors (exit 2), failures (exit 1).
N2G=${1:-$N2G_BIN}
TOK="${N2G_SHARED_DIR:-$(dirname "$0")/../../shared}/data/gpt2-tokenizer"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0; pass=0
expect() { # expect CODE PATTERN -- cmd...
    local code=$1 pat=$2; shift 3
    "$@" >"$T/out" 2>"$T/err"; local rc=$?
    if [ "$rc" != "$code" ] || ! grep -q -- "$pat" "$T/out" "$T/err"; then
        echo "FAIL: $* -> rc $rc (want $code), output: $(cat "$T/out" "$T/err" | head -3)"; fail=$((fail+1))
    else pass=$((pass+1)); fi
}
expect 0 "usage: n2g plant" -- "$N2G" plant --help
expect 2 "out DIR is required" -- "$N2G" plant --vocab "$TOK"
expect 2 "unknown option" -- "$N2G" plant --out "$T/m" --bogus
expect 2 "needs a value" -- "$N2G" plant --out
expect 2 "seed" -- "$N2G" plant --out "$T/m" --vocab "$TOK" --seed abc
expect 2 "n-ctx" -- "$N2G" plant --out "$T/m" --vocab "$TOK" --n-ctx 3
expect 1 "cannot create directory" -- "$N2G" plant --out /proc/n2g-none/m --vocab "$TOK"
touch "$T/file"
expect 1 "not a directory" -- "$N2G" plant --out "$T/file" --vocab "$TOK"
expect 1 "$T/none" -- "$N2G" plant --out "$T/m" --vocab "$T/none"
expect 0 "wrote" -- "$N2G" plant --out "$T/m" --vocab "$TOK" --seed 7 --n-ctx 32
for f in config.json model.safetensors vocab.json merges.txt planted.json; do
    if [ -s "$T/m/$f" ]; then pass=$((pass+1)); else echo "FAIL: missing $f"; fail=$((fail+1)); fi
done
expect 0 "wrote" -- env N2G_VOCAB="$TOK" "$N2G" plant --out "$T/m2" --seed 7 --n-ctx 32
if cmp -s "$T/m/model.safetensors" "$T/m2/model.safetensors"; then pass=$((pass+1)); else echo "FAIL: not deterministic"; fail=$((fail+1)); fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
