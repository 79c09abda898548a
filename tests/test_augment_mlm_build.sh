#!/bin/bash
# test_augment_mlm_build.sh — `n2g build --augment mlm` end to end on the planted model (n2g plant)
# with the tiny DistilBERT of tests/fixtures/distilbert-tiny: against --augment none on the
# same scrape, augmentation must add samples to every planted neuron and never lower its
# firing or non-firing F1 (stats.json), on the CPU backend and on Vulkan when a device exists.
# Also: bad --augment / --mlm arguments and bad checkpoints, with their messages and exit codes,
# leave no neuron output behind.
set -u
N2G=${1:?usage: test_augment_mlm_build.sh /path/to/n2g}
SRC=$(cd "$(dirname "$0")/.." && pwd)
MLM=$SRC/tests/fixtures/distilbert-tiny
. "$(dirname "$0")/lib.sh"
plant_and_scrape

compare() { # RUN_NONE RUN_MLM: more samples, F1 never lower
    python3 - "$tmp/model/planted.json" "$1" "$2" <<'PY'
import json, sys
planted = json.load(open(sys.argv[1]))
none, mlm = sys.argv[2], sys.argv[3]
sn, sm = json.load(open(none + "/stats.json")), json.load(open(mlm + "/stats.json"))
bad = 0
for n in planted["neurons"]:
    L, N = n["layer"], n["neuron"]
    bn = json.load(open("%s/build/%d_%d.json" % (none, L, N)))
    bm = json.load(open("%s/build/%d_%d.json" % (mlm, L, N)))
    if not bm["samples"] > bn["samples"]:
        print("neuron %d:%d: %d samples with mlm, %d without" % (L, N, bm["samples"], bn["samples"])); bad += 1
    for cls in ("0", "1"):
        fn = sn[str(L)][str(N)][cls]["f1-score"]
        fm = sm[str(L)][str(N)][cls]["f1-score"]
        if fm < fn:
            print("neuron %d:%d class %s: F1 %.3f with mlm < %.3f without" % (L, N, cls, fm, fn)); bad += 1
sys.exit(1 if bad else 0)
PY
}

for dev in cpu vk; do
    devarg=(--device cpu)
    if [ $dev = vk ]; then
        if ! "$N2G" devices >/dev/null 2>&1; then echo "no Vulkan device: Vulkan build skipped"; continue; fi
        devarg=()
    fi
    cp -r "$tmp/scrape" "$tmp/none_$dev"
    cp -r "$tmp/scrape" "$tmp/mlm_$dev"
    "$N2G" build --run "$tmp/none_$dev" --neurons "$neurons" "${devarg[@]}" --augment none --no-svg --quiet \
        && ok || bad "$dev: build --augment none failed"
    "$N2G" build --run "$tmp/mlm_$dev" --neurons "$neurons" "${devarg[@]}" --augment mlm --mlm "$MLM" --no-svg \
        >/dev/null 2>"$tmp/err_$dev" && ok || bad "$dev: build --augment mlm failed: $(tail -c 300 "$tmp/err_$dev")"
    line=$(tr '\r' '\n' <"$tmp/err_$dev" | grep 'mlm: ')
    [[ "$line" =~ mlm:\ ([0-9]+)\ masked\ texts\ -\>\ ([0-9]+)\ augmented ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] &&
        [ "${BASH_REMATCH[2]}" -gt 0 ] && ok || bad "$dev: no mlm summary: $line"
    compare "$tmp/none_$dev" "$tmp/mlm_$dev" && ok || bad "$dev: augmentation lost samples or F1"
done
# the two backends augment identically
if [ -d "$tmp/mlm_vk" ]; then
    for f in "$tmp"/mlm_cpu/build/*.json; do
        a=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['samples'])" "$f")
        b=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['samples'])" "$tmp/mlm_vk/build/$(basename "$f")")
        [ "$a" = "$b" ] && ok || bad "$(basename "$f"): $a samples on cpu, $b on vk"
    done
fi

# the MLM checkpoint is part of the results' record: a rerun with another one is refused
"$N2G" build --run "$tmp/mlm_cpu" --neurons "$neurons" --device cpu --augment mlm --mlm "$MLM-f16" --no-svg --quiet \
    2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "was built with an --mlm checkpoint with hash [0-9a-f]*; this build has an --mlm checkpoint" \
    "$tmp/err" && ok || bad "another --mlm checkpoint: rc $rc, $(cat "$tmp/err")"
"$N2G" build --run "$tmp/mlm_cpu" --neurons "$neurons" --device cpu --augment mlm --mlm "$MLM" --no-svg --quiet &&
    ok || bad "the same --mlm checkpoint refused"

# bad input: message, exit code, no neuron output
expect() { # CODE MESSAGE ARGS...
    local code=$1 msg=$2
    shift 2
    rm -rf "$tmp/bad"
    cp -r "$tmp/scrape" "$tmp/bad"
    "$N2G" build --run "$tmp/bad" --neurons "$neurons" --device cpu --quiet --no-svg "$@" 2>"$tmp/err"
    local rc=$?
    [ $rc -eq "$code" ] && ok || bad "$*: exit $rc, expected $code"
    grep -qF -- "$msg" "$tmp/err" && ok || bad "$*: message '$(cat "$tmp/err")' lacks '$msg'"
    [ -z "$(ls "$tmp/bad/build" 2>/dev/null)" ] && ok || bad "$*: left neuron outputs"
}
expect 2 "--augment mlm needs --mlm DIR" --augment mlm
expect 2 "--mlm is only used with --augment mlm" --mlm "$MLM"
expect 2 "--augment: expected 'casings', 'mlm' or 'none', got 'bert'" --augment bert
expect 1 "$tmp/nope/config.json" --augment mlm --mlm "$tmp/nope"
expect 1 "expected \"distilbert\"" --augment mlm --mlm "$tmp/model"
mkdir -p "$tmp/badvocab"
cp "$MLM"/config.json "$MLM"/model.safetensors "$tmp/badvocab/"
head -n 999 "$MLM/vocab.txt" >"$tmp/badvocab/vocab.txt"
expect 1 "vocab.txt: 999 tokens, but config.json vocab_size is 1000" --augment mlm --mlm "$tmp/badvocab"
"$N2G" build --help | grep -q -- "--mlm DIR" && ok || bad "--help lacks --mlm"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
