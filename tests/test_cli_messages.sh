#!/usr/bin/env bash
# test_cli_messages.sh N2G — every command's exit codes and one-line messages, table-driven.
#
# The rule (README, host/cli/cli.h): exit 2 when the command line is wrong — an unknown option,
# a missing option or value, a malformed value, a value outside its range (also a range set by
# the model or run it names: layers, neurons, token ids, a device index); exit 1 for everything
# else — a missing, unreadable or damaged input file, a device or write failure. Each row below
# runs one command with one kind of error and checks the code and a piece of the message; every
# failing row must print exactly one line on stderr.
set -uo pipefail
N2G=${1:?usage: test_cli_messages.sh /path/to/n2g}
export N2G_SHARED_DIR=${N2G_SHARED_DIR:?N2G_SHARED_DIR must name the shared/ folder}
source "$(dirname "$0")/lib.sh"

# expect RC NEEDLE -- command args...   (NEEDLE: a fixed string that stderr must hold; may be empty)
expect() {
    local want=$1 needle=$2
    shift 3
    "$N2G" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ $rc -ne "$want" ]; then bad "n2g $* -> exit $rc, want $want: $(head -c 300 "$tmp/err")"; return; fi
    if [ -n "$needle" ] && ! grep -qF -- "$needle" "$tmp/err"; then
        bad "n2g $* -> stderr lacks '$needle': $(head -c 300 "$tmp/err")"
        return
    fi
    if [ "$want" -ne 0 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then bad "n2g $*: not a one-line message: $(cat "$tmp/err")"; return; fi
    ok
}

plant_and_scrape
M=$tmp/model R=$tmp/scrape X=$tmp/nonexistent
"$N2G" build --run "$R" --neurons 0:37 --device cpu --no-svg --quiet || bad "build"
G=$R/graphs/0_37.json
printf '{"layer": 0,' >"$tmp/damaged.json"
mkdir -p "$tmp/dmg_run" "$tmp/dmg_store" "$tmp/dmg_model"
cp "$tmp/damaged.json" "$tmp/dmg_run/manifest.json"
cp "$tmp/damaged.json" "$tmp/dmg_store/neuron_store.json"
cp "$M/config.json" "$M/vocab.json" "$M/merges.txt" "$tmp/dmg_model/"
head -c 1000 "$M/model.safetensors" >"$tmp/dmg_model/model.safetensors"
CORPUS=$DATA/corpus/fixture_small.txt

# ---- unknown options, also as the last argument (never "needs a value"), and a stray argument
for c in demo devices acts tokenize detokenize scrape export fit predict search similar plant casings build report; do
    expect 2 "unknown option '--frob'" -- $c --frob
    expect 2 "unknown option '--frob'" -- $c --frob 3
done
expect 2 "unknown option '--frob'" -- scrape --model "$M" --corpus "$CORPUS" --out "$tmp/s1" --frob
expect 2 "unknown option '--frob'" -- fit --samples x --out y --frob
expect 2 "unexpected argument 'stray'" -- devices stray

# ---- an option without its value
for c in "demo --out" "acts --model" "tokenize --text" "detokenize --ids" "scrape --out" "export --run" \
    "fit --samples" "predict --graph" "search --graphs" "similar --graphs" "plant --out" "casings --out" \
    "build --run" "report --run"; do
    expect 2 "${c#* } needs a value" -- $c
done

# ---- a required option missing
expect 2 "--model DIR is required" -- acts --tokens 1
expect 2 "--corpus PATH is required" -- scrape --model "$M" --out "$tmp/s2"
expect 2 "--neuron L:N is required" -- export --run "$R"
expect 2 "--samples FILE is required" -- fit --out "$tmp/f"
expect 2 "--graph FILE is required" -- predict --tokens 1
expect 2 "--graphs DIR is required" -- search --token x
expect 2 "--graphs DIR is required" -- similar
expect 2 "--out DIR is required" -- plant
expect 2 "--corpus PATH is required" -- casings --out "$tmp/c.json"
expect 2 "--run RUN is required" -- build
expect 2 "--run RUN is required" -- report

# ---- a malformed value, and a value outside its fixed range (the message says the range)
expect 2 "--sample: expected an integer in 0..1000, got 'x'" -- demo --sample x
expect 2 "--device: expected 'cpu' or a device index, got 'gpu'" -- demo --device gpu
expect 2 "--tokens: expected comma-separated integers" -- acts --model "$M" --tokens 1,x
expect 2 "--ids: expected a non-negative integer at \"x\"" -- detokenize --ids 1,x
expect 2 "--batch: expected an integer in 1..65536, got '100000'" -- scrape --model "$M" --corpus "$CORPUS" --out "$tmp/s3" --batch 100000
expect 2 "--top-k: expected an integer in 1..256, got '0'" -- scrape --model "$M" --corpus "$CORPUS" --out "$tmp/s3" --top-k 0
expect 2 "--max-tokens: expected an integer in 1..18446744073709551615" -- scrape --model "$M" --corpus "$CORPUS" --out "$tmp/s3" --max-tokens 99999999999999999999999
expect 2 "--layers: expected a list like 0-11" -- scrape --model "$M" --corpus "$CORPUS" --out "$tmp/s3" --layers x
expect 2 "--neuron: expected LAYER:NEURON" -- export --run "$R" --neuron x
expect 2 "--layer: expected an integer in 0..100000, got 'x'" -- fit --samples x --out y --layer x
expect 2 "--fire-threshold: expected a number, got 'x'" -- fit --samples x --out y --fire-threshold x
expect 2 "--tokens: expected comma-separated token ids" -- predict --graph "$G" --tokens x
expect 2 "--type: expected 'activating' or 'important'" -- search --graphs "$R" --token a --type x
expect 2 "--threshold: expected a number in 0..1, got '2'" -- similar --graphs "$R" --threshold 2
expect 2 "--seed: expected an integer in 0..2147483647" -- plant --out "$tmp/p" --seed -1
expect 2 "--seed: expected an integer in 0..4294967295" -- build --run "$R" --seed x
expect 2 "--device: expected 'cpu' or a device index" -- build --run "$R" --device x
expect 2 "--neurons: expected 'all'" -- build --run "$R" --neurons x
expect 2 "--context: expected B,A" -- report --run "$R" --context 5

# ---- a value outside the range of the model or run it names: a usage error in every command
expect 2 "token id 99999 at index 0 is out of range" -- acts --model "$M" --tokens 99999 --device cpu
expect 2 "--layer 7: the model has 2 layers" -- acts --model "$M" --tokens 1 --layer 7
expect 2 "--tokens: id 99999 at position 0 is outside the vocabulary" -- predict --graph "$G" --tokens 99999
expect 2 "--ids: token id 99999 at position 0 is not in the vocabulary" -- detokenize --ids 99999
expect 2 "layer 7 does not exist" -- scrape --model "$M" --corpus "$CORPUS" --out "$tmp/s4" --layers 7
expect 2 "layer 7 was not scraped" -- export --run "$R" --neuron 7:1
expect 2 "layer 7 was not scraped" -- build --run "$R" --neurons 7:1
expect 2 "layer 7 is not in this run" -- report --run "$R" --neurons 7:1 --out "$tmp/rep"
# a device index that does not exist: named once ("--device 999: --device 999: ..." before)
"$N2G" acts --model "$M" --tokens 1 --device 999 >/dev/null 2>"$tmp/err"
rc=$?
n=$(grep -o -- "--device 999" "$tmp/err" | wc -l)
[ $rc -ne 0 ] && [ "$n" -eq 1 ] && ok || bad "acts --device 999: exit $rc, '--device 999' said $n times: $(cat "$tmp/err")"

# ---- a missing input file: exit 1 in every command
expect 1 "$X: no such file or directory" -- demo --out "$tmp/demo1" --corpus "$X"
[ ! -e "$tmp/demo1" ] && ok || bad "demo --corpus $X created $(ls -R "$tmp/demo1")"
expect 1 "$X/config.json: cannot open" -- acts --model "$X" --tokens 1
expect 1 "$X: cannot open" -- tokenize --file "$X"
expect 1 "$X: no such directory" -- detokenize --vocab "$X" --ids 1
expect 1 "$X: no such file or directory" -- scrape --model "$M" --corpus "$X" --out "$tmp/s5"
expect 1 "$X/config.json: cannot open" -- scrape --model "$X" --corpus "$CORPUS" --out "$tmp/s6"
expect 1 "$X/manifest.json" -- export --run "$X" --neuron 0:1
expect 1 "$X: cannot open" -- fit --samples "$X" --out "$tmp/f"
expect 1 "$X: cannot open" -- predict --graph "$X" --tokens 1
expect 1 "$X/neuron_store.json: cannot open" -- search --graphs "$X" --token a
expect 1 "$X/neuron_store.json: cannot open" -- similar --graphs "$X"
expect 1 "$X" -- plant --out "$tmp/p" --vocab "$X"
expect 1 "$X: cannot read" -- casings --corpus "$X" --out "$tmp/c.json"
expect 1 "$X" -- build --run "$X"
expect 1 "no manifest.json" -- report --run "$X"

# ---- a damaged input file: exit 1
expect 1 "model.safetensors" -- acts --model "$tmp/dmg_model" --tokens 1
expect 1 "model.safetensors" -- scrape --model "$tmp/dmg_model" --corpus "$CORPUS" --out "$tmp/s7"
expect 1 "damaged.json:1:" -- fit --samples "$tmp/damaged.json" --out "$tmp/f"
expect 1 "damaged.json:1:" -- predict --graph "$tmp/damaged.json" --tokens 1
expect 1 "damaged.json:1:" -- predict --graph "$G" --batch "$tmp/damaged.json"
expect 1 "neuron_store.json:1:" -- search --graphs "$tmp/dmg_store" --token a
expect 1 "neuron_store.json:1:" -- similar --graphs "$tmp/dmg_store"
expect 1 "manifest.json:1:" -- export --run "$tmp/dmg_run" --neuron 0:1
expect 1 "manifest.json:1:" -- build --run "$tmp/dmg_run"
expect 1 "manifest.json:1:" -- report --run "$tmp/dmg_run"
# ids on standard input are input, not the command line: bad ones exit 1 (one line, the word only)
echo "12 x7 5" | "$N2G" detokenize >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -qF 'stdin: expected a non-negative integer at "x7"' "$tmp/err" && [ "$(wc -l <"$tmp/err")" -eq 1 ] && ok ||
    bad "detokenize of bad stdin: exit $rc, $(cat "$tmp/err")"
echo "99999" | "$N2G" detokenize >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && ok || bad "detokenize of an out-of-range id on stdin must exit 1: $(cat "$tmp/err")"

# ---- paths: a trailing slash is not doubled in what n2g prints
"$N2G" report --run "$R/" --out "$tmp/site/" --acts none --quiet >"$tmp/out" 2>"$tmp/err" || bad "report: $(cat "$tmp/err")"
grep -qF "wrote $tmp/site/index.html" "$tmp/out" && ! grep -q '//' "$tmp/out" && ok || bad "report output: $(cat "$tmp/out")"
"$N2G" plant --out "$tmp/p2/" >"$tmp/out" 2>"$tmp/err" || bad "plant: $(cat "$tmp/err")"
grep -qF "see $tmp/p2/planted.json" "$tmp/out" && ! grep -q '//' "$tmp/out" && ok || bad "plant output: $(cat "$tmp/out")"

# ---- --help and the parse come from one table (host/cli/cli_args.h): every option a command's
# help lists is one it accepts (given a value when it takes one, then a stray '--frob' ends the
# parse), and the synopsis names it; the same uniform messages in every command
for c in demo devices acts tokenize detokenize scrape export fit predict search similar plant casings build report; do
    "$N2G" $c --help >"$tmp/help" 2>&1 || bad "$c --help: exit $?"
    syn=$(sed -n '1,/^$/p' "$tmp/help")
    n=0
    while read -r opt val; do
        n=$((n + 1))
        base=${opt%%\[*}
        args=("$base")
        case $val in [A-Z]* | *'|'*) args+=(x) ;; esac
        "$N2G" $c "${args[@]}" --frob >/dev/null 2>"$tmp/err" </dev/null
        rc=$?
        { [ $rc -eq 2 ] && ! grep -qF "unknown option '$base'" "$tmp/err"; } || bad "$c: listed option $base: exit $rc, $(cat "$tmp/err")"
        grep -qF -- "$base" <<<"$syn" || bad "$c: $base is listed but not in the synopsis"
    done < <(grep -E '^  --[a-z]' "$tmp/help" | awk '{print $1, ($2 ~ /^[A-Z]|\|/ ? $2 : "")}')
    [ "$c" = devices ] || [ $n -gt 0 ] || bad "$c --help lists no option"
    ok
done
expect 2 "give exactly one of --tokens or --text" -- acts --model "$M" --tokens 1 --text a
expect 2 "give --model or --vocab, not both" -- tokenize --model "$M" --vocab "$M"
expect 2 "give exactly one of --tokens, --text or --batch" -- predict --graph "$G"
expect 2 "--out: empty path" -- plant --out ""
expect 2 "--checkpoint-secs: expected a number >= 0, got '-1'" -- scrape --model "$M" --corpus "$CORPUS" --out "$tmp/s8" --checkpoint-secs -1
expect 2 "--fire-lists: expected an integer in 1..256, got 'x'" -- scrape --model "$M" --corpus "$CORPUS" --out "$tmp/s8" --fire-lists=x
expect 2 "--corpus needs a value" -- casings --corpus --out "$tmp/c.json"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
