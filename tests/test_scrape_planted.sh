#!/bin/bash
# test_scrape_planted.sh — the scrape finds what a planted model was built to do: on the
# planted 2-layer GPT-2 (ground truth from `n2g plant`), every top example of each rule neuron
# must have its max at a position where the rule written in planted.json holds (token ids,
# and the previous token's id for the bigram rule), on the CPU and Vulkan backends.
set -u
N2G=${1:?usage: test_scrape_planted.sh /path/to/n2g}
DATA=${N2G_SHARED_DIR:?}/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 pass=0
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

"$N2G" plant --out "$tmp/model" >/dev/null 2>&1 || { echo "FAIL: n2g plant" >&2; exit 1; }
devices="cpu"
if "$N2G" devices >/dev/null 2>&1; then devices="cpu 0"; fi
for dev in $devices; do
    run="$tmp/run_$dev"
    if ! "$N2G" scrape --model "$tmp/model" --corpus "$DATA/corpus/fixture_small.txt" --out "$run" --ctx 64 \
        --top-k 8 --device "$dev" --quiet 2>"$tmp/err"; then
        bad "scrape on $dev: $(cat "$tmp/err")"
        continue
    fi
    neurons=$(python3 -c 'import json,sys; print(" ".join(f"{n["layer"]}:{n["neuron"]}" for n in json.load(open(sys.argv[1]))["neurons"]))' "$tmp/model/planted.json")
    for n in $neurons; do
        if ! "$N2G" export --run "$run" --neuron $n --json --device cpu >"$tmp/$n.json" 2>"$tmp/err"; then
            bad "export $n: $(cat "$tmp/err")"
            continue
        fi
        if python3 - "$tmp/$n.json" "$n" "$tmp/model/planted.json" <<'PY'; then pass=$((pass + 1)); else bad "$dev: neuron $n examples break its planted rule"; fi
import json, sys
d = json.load(open(sys.argv[1]))
n = sys.argv[2]
truth = [x for x in json.load(open(sys.argv[3]))["neurons"] if f"{x['layer']}:{x['neuron']}" == n][0]
ids = {t["id"] for t in truth["tokens"]}
prev = {t["id"] for t in truth["prev_tokens"]}
rule = lambda t, p: t in ids and (not prev or p in prev)
ex = d["examples"]
assert len(ex) == 8, len(ex)
for e in ex:
    i = e["max_position"]
    toks = e["token_ids"]
    ok = rule(toks[i], toks[i - 1] if i else None)
    if not ok:
        print(n, "row", e["row"], "max at", i, toks[i - 1], toks[i], e["max"], file=sys.stderr)
        sys.exit(1)
PY
    done
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
