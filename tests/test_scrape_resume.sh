#!/bin/bash
# test_scrape_resume.sh — `n2g scrape` survives kill -9 and SIGINT: rerunning the same command
# continues from the last checkpoint and the final run directory is byte-identical to an
# uninterrupted run's. Also: the CLI's bad-input messages and exit codes.
set -u
N2G=${1:?usage: test_scrape_resume.sh /path/to/n2g}
SRC=${N2G_SOURCE_DIR:?}
DATA=${N2G_SHARED_DIR:?}/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

model=$SRC/tests/fixtures/gpt2-tiny
corpus=$DATA/corpus/fixture_small.txt
args=(scrape --model "$model" --corpus "$corpus" --ctx 32 --top-k 5 --max-tokens 16000 --device cpu --batch 2 --quiet)

"$N2G" "${args[@]}" --out "$tmp/ref" || bad "reference run failed"

# SIGINT: checkpoint, clear message, exit 1
"$N2G" "${args[@]}" --out "$tmp/run" --checkpoint-secs 0 2>"$tmp/int.err" &
pid=$!
sleep 0.3
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
if grep -q "interrupted; checkpoint at row" "$tmp/int.err"; then
    [ $rc -eq 1 ] && ok || bad "SIGINT exit code $rc"
    grep -q '"complete": false' "$tmp/run/manifest.json" && ok || bad "SIGINT: manifest not a partial checkpoint"
else
    bad "SIGINT did not stop the run with a message: rc $rc, $(cat "$tmp/int.err")"
fi
# kill -9 at several moments (checkpoint after every batch), rerunning each time
killed_mid=0
for delay in 0.2 0.4 0.6 0.8 1.0 1.2; do
    "$N2G" "${args[@]}" --out "$tmp/run" --checkpoint-secs 0 &
    pid=$!
    sleep $delay
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    if [ -f "$tmp/run/manifest.json" ] && grep -q '"complete": false' "$tmp/run/manifest.json"; then
        killed_mid=$((killed_mid + 1))
    fi
done
echo "kills that landed mid-run: $killed_mid"
[ $killed_mid -ge 1 ] && ok || bad "no kill landed mid-run (machine too fast? raise --max-tokens)"
# finish and compare
"$N2G" "${args[@]}" --out "$tmp/run" --checkpoint-secs 0 || bad "resumed run failed"
cmp "$tmp/ref/examples.bin" "$tmp/run/examples.bin" && ok || bad "examples.bin differs after kill -9 / resume"
cmp "$tmp/ref/manifest.json" "$tmp/run/manifest.json" && ok || bad "manifest.json differs after kill -9 / resume"
[ -z "$(ls "$tmp/run" | grep "\.tmp")" ] && ok || bad "temporary file left behind: $(ls "$tmp/run")"
# a different batch size gives the same bytes
"$N2G" "${args[@]}" --batch 7 --out "$tmp/b7" || bad "batch 7 run failed"
cmp "$tmp/ref/examples.bin" "$tmp/b7/examples.bin" && ok || bad "examples.bin depends on the batch size"

# kill_resume TAG B1 B2 ARGS...: a run with --batch B1 killed with kill -9 after 0.5 s (checkpoint
# after every batch), then finished with --batch B2; its examples.bin must equal a run with --batch 2
kill_resume() {
    local tag=$1 b1=$2 b2=$3
    shift 3
    "$N2G" "$@" --batch 2 --out "$tmp/${tag}_ref" || bad "$tag: batch 2 run failed"
    "$N2G" "$@" --batch "$b1" --out "$tmp/${tag}_run" --checkpoint-secs 0 &
    local pid=$!
    sleep 0.5
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    "$N2G" "$@" --batch "$b2" --out "$tmp/${tag}_run" || bad "$tag: resume failed"
    cmp "$tmp/${tag}_ref/examples.bin" "$tmp/${tag}_run/examples.bin" && ok ||
        bad "$tag: examples.bin depends on the batch size / kill -9 + resume"
}

# --fire-lists: the firing lists are part of the state; they too depend on neither
kill_resume fire 7 3 "${args[@]}" --fire-lists
grep -q '"fire_lists": {"entries": 32, "ratio": 0.5}' "$tmp/fire_ref/manifest.json" && ok || bad "--fire-lists not in the manifest"
# resuming a run with the other --fire-lists setting is refused (its identity differs)
"$N2G" "${args[@]}" --out "$tmp/fire_ref" 2>"$tmp/err" && bad "resume without --fire-lists accepted" || ok

# Vulkan: the result does not depend on the batch size either, and a killed run resumes to the
# same bytes
if "$N2G" devices >/dev/null 2>&1; then
    vargs=(scrape --model "$model" --corpus "$corpus" --ctx 32 --top-k 5 --max-tokens 16000 --device 0 --quiet)
    kill_resume vk 7 5 "${vargs[@]}"
    kill_resume vkfire 7 5 "${vargs[@]}" --fire-lists
fi

# bad input: message and exit code
expect() { # expect CODE NEEDLE ARGS...
    local code=$1 needle=$2
    shift 2
    "$N2G" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne $code ] || ! grep -q -- "$needle" "$tmp/err"; then
        bad "n2g $* -> rc $rc (want $code), stderr: $(cat "$tmp/err") (want '$needle')"
    else
        ok
    fi
}
base=(scrape --model "$model" --corpus "$corpus" --ctx 32 --device cpu --quiet --max-tokens 3200)
expect 2 "--fire-lists: expected an integer in 1..256" "${args[@]}" --fire-lists=0 --out "$tmp/f0"
expect 2 "layer 7 does not exist" "${base[@]}" --out "$tmp/x1" --layers 0,7
expect 2 "top-k" "${base[@]}" --out "$tmp/x2" --top-k 0
expect 2 "ctx" scrape --model "$model" --corpus "$corpus" --ctx 129 --device cpu --quiet --out "$tmp/x3"
: >"$tmp/empty.txt"
expect 1 "no complete row" scrape --model "$model" --corpus "$tmp/empty.txt" --ctx 32 --device cpu --quiet --out "$tmp/x4"
expect 1 "cannot create directory" "${base[@]}" --out /proc/n2g-nope
expect 2 "params.top_k" "${args[@]}" --out "$tmp/ref" --top-k 6
expect 2 "params.layers" "${args[@]}" --out "$tmp/ref" --layers 1
mkdir -p "$tmp/foreign" && : >"$tmp/foreign/notes.txt"
expect 2 "holds no scrape run" "${base[@]}" --out "$tmp/foreign"
expect 2 "required" scrape --model "$model" --out "$tmp/x5"

"$N2G" scrape --help | grep -q "usage: n2g scrape" && ok || bad "--help"

# export: Neuroscope-like JSON whose recomputed activations agree with the stored maxima
if "$N2G" export --run "$tmp/ref" --neuron 1:3 --json --device cpu >"$tmp/ex.json" 2>"$tmp/ex.err"; then
    python3 - "$tmp/ex.json" <<'PY' && ok || bad "export JSON check"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["neuron"] == "1:3" and d["hook"] == "blocks.1.mlp.hook_post", d["neuron"]
ex = d["examples"]
assert len(ex) == 5, len(ex)
prev = None
for e in ex:
    n = len(e["token_ids"])
    assert n == 32 and len(e["tokens"]) == n and len(e["values"]) == n
    v = e["values"][1:]                      # BOS excluded by default
    m = max(v)
    assert abs(m - e["max"]) < 1e-4, (m, e["max"])
    assert v.index(m) + 1 == e["max_position"], (v.index(m) + 1, e["max_position"])
    assert e["token_ids"][0] == 50256
    if prev is not None:
        assert (prev["max"], -prev["row"]) >= (e["max"], -e["row"])
    prev = e
assert abs(d["max"] - ex[0]["max"]) < 1e-6 and d["count"] == 500 * 31
PY
else
    bad "export failed: $(cat "$tmp/ex.err")"
fi
"$N2G" export --run "$tmp/ref" --neuron 0:7 --device cpu >"$tmp/ex.txt" 2>&1 && grep -q "^neuron 0:7" "$tmp/ex.txt" && ok ||
    bad "export text: $(head -3 "$tmp/ex.txt")"
expect 2 "out of range" export --run "$tmp/ref" --neuron 0:256 --device cpu
expect 2 "was not scraped" export --run "$tmp/ref" --neuron 2:0 --device cpu
expect 2 "LAYER:NEURON" export --run "$tmp/ref" --neuron x --device cpu
expect 1 "not a scrape run" export --run "$tmp" --neuron 0:0 --device cpu

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
