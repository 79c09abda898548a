#!/usr/bin/env bash
# test_report_planted.sh N2G — the report of a real run, checked against a planted model's ground
# truth: n2g plant -> n2g scrape (bundled fixture corpus) -> n2g build (the three rule neurons and
# one ordinary neuron) -> n2g report --acts model, then headless Chromium from file://:
# no console errors; searching each planted token finds its neuron (planted.json is the oracle,
# not the report's output); the rule neurons' pages show every example's max on a planted token,
# the real graph SVG, and per-token activations that fire exactly on the planted tokens.
set -euo pipefail
N2G=${1:?usage: test_report_planted.sh /path/to/n2g}
SRC=${N2G_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
SHARED=${N2G_SHARED_DIR:-$SRC/../shared}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/n2g-xdg-$UID}
mkdir -p "$XDG_RUNTIME_DIR"
T=$(mktemp -d /tmp/n2g-report-planted.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$N2G" plant --out "$T/model" > /dev/null
"$N2G" scrape --model "$T/model" --corpus "$SHARED/data/corpus/fixture_small.txt" --out "$T/run" --quiet > /dev/null
"$N2G" build --run "$T/run" --neurons 0:37,0:150,1:200,1:39 --quiet > /dev/null
"$N2G" report --run "$T/run" --out "$T/site" --acts model --quiet
[ -s "$T/run/graphs/0_37.svg" ] || { echo "FAIL: build wrote no SVG"; exit 1; }
CFG=$(python3 - "$T/model/planted.json" <<'PY'
import json, sys
truth = json.load(open(sys.argv[1]))
cfg = {"index": True, "layers": 2, "neurons": 512, "examples": 20, "ctx": 256, "expand": True, "hostile": False,
       "maxText": None, "searches": [], "pages": [], "fireTokens": {}}
for n in truth["neurons"]:
    nid = "%d_%d" % (n["layer"], n["neuron"])
    toks = [t["text"] for t in n["tokens"]]
    cfg["pages"].append(nid)
    cfg["searches"].append([toks[-1].strip().upper(), nid])      # case / spaces ignored by the search
    for t in n["prev_tokens"]:
        cfg["searches"].append([t["text"], nid])                 # important context (bigram)
    if not n["prev_tokens"]:
        cfg["fireTokens"][nid] = toks
print(json.dumps(cfg))
PY
)
echo "$CFG"
python3 "$SRC/tests/test_report_browser.py" check "$T/site" "$CFG"
# the max of every example of the token neuron is its planted token
python3 "$SRC/tests/test_report_browser.py" check "$T/site" \
  '{"index":false,"pages":["0_37"],"examples":20,"ctx":256,"expand":false,"hostile":false,"maxText":" little"}'
# a model that is not the run's model is refused, naming the file that differs (a different seed
# plants the same rule neurons but different ordinary ones: same config, other weights)
"$N2G" plant --out "$T/other" --seed 7 > /dev/null
if "$N2G" report --run "$T/run" --out "$T/site2" --neurons 1:39 --acts model --model "$T/other" --quiet 2> "$T/err"; then
  echo "FAIL: a foreign model was accepted"; exit 1
fi
grep -q "other/model.safetensors differs from the run's model (hash" "$T/err" || { echo "FAIL: message: $(cat "$T/err")"; exit 1; }
echo "ok: foreign model refused: $(cat "$T/err")"
