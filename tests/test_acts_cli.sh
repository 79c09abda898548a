#!/usr/bin/env bash
# test_acts_cli.sh — `n2g acts`: values against the Hugging Face fixture (tests/fixtures/gpt2-tiny/
# expected.json) on the CPU backend and on Vulkan device 0 when there is one; --text through the
# tokenizer; usage errors exit 2, bad models exit 1, never a crash. Plain python3 (stdlib) checks.
set -u
N2G=${1:-${N2G_BIN:-build/n2g}}
SRC=${N2G_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
FIX=$SRC/tests/fixtures/gpt2-tiny
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-$(id -u)}
mkdir -p "$XDG_RUNTIME_DIR"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect CODE NEEDLE ARGS...: exit status CODE and NEEDLE in stderr
expect() {
    local code=$1 needle=$2
    shift 2
    "$N2G" acts "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" -ne "$code" ]; then bad "acts $* -> exit $rc, want $code: $(head -c 300 "$TMP/err")"; return; fi
    if ! grep -qF -- "$needle" "$TMP/err"; then bad "acts $* -> stderr lacks '$needle': $(head -c 300 "$TMP/err")"; return; fi
    ok
}

# compare JSON output with expected.json's sequence SEQ (all layers, or LAYER / NEURON)
compare() { # file seq layer neuron
    python3 - "$1" "$FIX/expected.json" "$2" "$3" "$4" <<'PY'
import json, sys
got = json.load(open(sys.argv[1])); exp = json.load(open(sys.argv[2]))["sequences"][int(sys.argv[3])]
layer, neuron = int(sys.argv[4]), int(sys.argv[5])
assert got["tokens"] == exp["tokens"], ("tokens", got["tokens"], exp["tokens"])
layers = [layer] if layer >= 0 else range(len(exp["hook_post"]))
assert sorted(got["layers"]) == sorted(str(l) for l in layers), got["layers"].keys()
worst = 0.0
for l in layers:
    rows = got["layers"][str(l)]
    assert len(rows) == len(exp["tokens"])
    for t, row in enumerate(rows):
        want = exp["hook_post"][l][t]
        if neuron >= 0:
            want = [want[neuron]]
        assert len(row) == len(want), (len(row), len(want))
        worst = max([worst] + [abs(a - b) for a, b in zip(row, want)])
assert worst <= 1e-4, worst
print("max abs diff %.3g" % worst)
PY
}

run_ok() { # name seq layer neuron args...
    local name=$1 seq=$2 layer=$3 neuron=$4
    shift 4
    if ! "$N2G" acts --model "$FIX" --json "$@" >"$TMP/o.json" 2>"$TMP/e"; then
        bad "$name: exit $?: $(cat "$TMP/e")"; return
    fi
    if ! grep -q '^device: ' "$TMP/e"; then bad "$name: no device line on stderr"; return; fi
    if out=$(compare "$TMP/o.json" "$seq" "$layer" "$neuron" 2>&1); then ok; echo "$name ($(sed -n 's/^device: //p' "$TMP/e")): $out"
    else bad "$name: $out"; fi
}

TOK=50256,464,3290,318,257 # expected.json sequence 1
run_ok "cpu all layers" 1 -1 -1 --tokens $TOK --device cpu
run_ok "cpu layer 1" 1 1 -1 --tokens $TOK --device cpu --threads 1 --layer 1
run_ok "cpu layer 0 neuron 17" 1 0 17 --tokens $TOK --device cpu --layer 0 --neuron 17
run_ok "cpu --text with BOS" 1 -1 -1 --text "The dog is a" --device cpu
LONG=$(python3 -c "import json; print(','.join(map(str, json.load(open('$FIX/expected.json'))['sequences'][4]['tokens'])))")
run_ok "cpu 128 tokens (n_ctx)" 4 -1 -1 --tokens "$LONG" --device cpu
if "$N2G" acts --model "$FIX" --tokens 1 --device 0 >/dev/null 2>"$TMP/e"; then
    run_ok "vulkan all layers" 1 -1 -1 --tokens $TOK --device 0
    run_ok "vulkan 128 tokens" 4 -1 -1 --tokens "$LONG" --device 0
else
    echo "Vulkan device 0 not available, skipped: $(head -c 200 "$TMP/e")"
fi

# text mode: one line per position for a neuron, the device on stdout
if "$N2G" acts --model "$FIX" --tokens $TOK --layer 1 --neuron 3 --device cpu >"$TMP/t" 2>/dev/null &&
    grep -q '^device: cpu' "$TMP/t" && [ "$(grep -cE '^ +[0-9]+ +[0-9]+ +[-0-9.e]+$' "$TMP/t")" -eq 5 ]; then ok
else bad "text output: $(head -c 300 "$TMP/t")"; fi
"$N2G" acts --help >"$TMP/h" 2>&1 && grep -q -- '--neuron' "$TMP/h" && ok || bad "--help"

# usage errors: exit 2
expect 2 "--model DIR is required" --tokens 1
expect 2 "exactly one of --tokens or --text" --model "$FIX"
expect 2 "exactly one of --tokens or --text" --model "$FIX" --tokens 1 --text hi
expect 2 "--tokens: expected comma-separated integers" --model "$FIX" --tokens 1,,2
expect 2 "--tokens: expected comma-separated integers" --model "$FIX" --tokens abc
expect 2 "--layer: expected an integer in 0..1048576" --model "$FIX" --tokens 1 --layer -1
expect 2 "--layer 2: the model has 2 layers" --model "$FIX" --tokens 1 --layer 2
expect 2 "--neuron 256: the model has 256 neurons" --model "$FIX" --tokens 1 --neuron 256
expect 2 "token id 50257 at index 1 is out of range (vocab_size 50257)" --model "$FIX" --tokens 1,50257 --device cpu
expect 2 "token id -5 at index 0" --model "$FIX" --tokens -5 --device cpu
expect 2 "129 tokens exceed the model's context of 128" --model "$FIX" --tokens "$LONG,1" --device cpu
expect 2 "unknown option '--bogus'" --model "$FIX" --tokens 1 --bogus
expect 2 "--layer needs a value" --model "$FIX" --tokens 1 --layer
expect 2 "--device: expected 'cpu' or a device index" --model "$FIX" --tokens 1 --device gpu0
expect 2 "--no-bos goes with --text" --model "$FIX" --tokens 1 --no-bos

# bad models: exit 1
expect 1 "cannot open" --model "$TMP/nowhere" --tokens 1
mkdir -p "$TMP/m"
cp "$FIX/config.json" "$TMP/m/"
head -c 5000 "$FIX/model.safetensors" >"$TMP/m/model.safetensors"
expect 1 "out of range" --model "$TMP/m" --tokens 1 --device cpu
printf '\x01\x02' >"$TMP/m/model.safetensors"
expect 1 "truncated" --model "$TMP/m" --tokens 1 --device cpu
sed 's/gelu_new/relu/' "$FIX/config.json" >"$TMP/m/config.json"
expect 1 "not supported" --model "$TMP/m" --tokens 1
expect 1 "--text needs a tokenizer" --model "$FIX" --text hi --vocab "$TMP/m" --device cpu
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
