#!/usr/bin/env bash
# test_report_browser.sh N2G — `n2g report` sites in headless Chromium from file://.
#  1. a synthetic run (tests/fixtures/make_report_run.py, planted neuron 1:5 on " whale"):
#     no console errors, manifest / layer / neuron tables, sorting, search finds 1:5, a neuron
#     page shows coloured tokens, hover text, expand control and the inline SVG graph;
#  2. a screenshot of the neuron page, decoded (stdlib zlib) and required to be non-blank;
#  3. a hostile run (tokens with <script>, &amp;, quotes, control characters, invalid UTF-8,
#     bidi / line separators; a hostile SVG and manifest): everything shown visibly, nothing runs;
#  4. self-tests: the checker must fail on a real JS error and on a failed in-page check.
set -euo pipefail
N2G=${1:?usage: test_report_browser.sh /path/to/n2g}
SRC=${N2G_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
SHARED=${N2G_SHARED_DIR:-$SRC/../shared}
VOCAB=$SHARED/data/gpt2-tokenizer
PY="python3 $SRC/tests/test_report_browser.py"
FIX="python3 $SRC/tests/fixtures/make_report_run.py"
T=$(mktemp -d /tmp/n2g-report-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
step() { echo "== $*"; }

step "synthetic run"
$FIX --out "$T/run" --vocab "$VOCAB" --layers 0,1 --d-mlp 16 --k 5 --ctx 80 --planted 1:5 --planted-token " whale" --baselines
"$N2G" report --quiet --run "$T/run" --out "$T/site" --vocab "$VOCAB"
CFG='{"index":true,"indexVisible":["[0, 1]"],"layers":2,"layerCols":8,"neurons":32,"searches":[["whale","1_5"],["  WHALE ","1_5"],["1:5","1_5"],["0_11","0_11"]],"pages":["1_5","0_0"],
      "examples":5,"maxText":" whale","ctx":80,"expand":true,"hostile":false,"samples":{"1_5":[2,3]}}'
# maxText applies to every checked page: check the planted page alone for it
$PY check "$T/site" "$(echo "$CFG" | sed 's/"pages":\["1_5","0_0"\]/"pages":["1_5"]/')" || fail=1
$PY check "$T/site" "$(echo "$CFG" | sed 's/"maxText":" whale"/"maxText":null/; s/"index":true/"index":false/; s/"samples":{[^}]*}/"samples":{}/')" || fail=1

step "no external references"
if grep -rEl "(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/" "$T/site" --include=*.html --include=*.js --include=*.css | grep -v '/neurons/' ; then
  echo "FAIL: site references an external URL"; fail=1
fi
# graph SVGs carry graphviz DOCTYPE / xmlns URLs as data, never as requests: the sanitiser drops them
for f in "$T/site/index.html" "$T/site/assets/report.js" "$T/site/assets/report.css"; do
  if grep -Eq "https?://" "$f"; then echo "FAIL: $f mentions http(s)://"; fail=1; fi
done

step "screenshot"
$PY screenshot "$T/site/neurons/1_5.html" "$T/shot.png" > "$T/shot.json" || fail=1
cat "$T/shot.json"
python3 - "$T/shot.json" <<'EOF' || fail=1
import json, sys
s = json.load(open(sys.argv[1]))
ok = s["colours"] >= 50 and 0.02 < s["nonwhite_frac"] < 0.98 and s["reddish"] > 500
print("screenshot", "ok" if ok else "FAIL: looks blank", s)
sys.exit(0 if ok else 1)
EOF

step "hostile run"
$FIX --out "$T/hrun" --vocab "$VOCAB" --hostile "$T/hvocab" --layers 0,1 --d-mlp 16 --k 5 --ctx 80
"$N2G" report --quiet --run "$T/hrun" --out "$T/hsite"   # vocabulary from the manifest's model.dir
HCFG=$(cat <<'EOF'
{"index":true,"layers":2,"neurons":32,"pages":["0_0","0_1","0_2"],"examples":5,"maxText":null,"ctx":80,"expand":true,"hostile":true,
 "indexVisible":["<script>document.title='PWNED';window.PWNED=1</script>\"'`quotes\\u2028","corpus.files[0].path"],
 "searches":[["<script>document.title='PWNED';window.PWNED=1</script>","0_0","<script>document.title='PWNED';window.PWNED=1</script>"],
             ["</script><img src=x onerror=\"window.PWNED=2\">","0_1","</script><img src=x onerror=\"window.PWNED=2\">"],
             ["&amp;&lt;b&gt;","0_2","&amp;&lt;b&gt;"],["\"'`QUOTES","0_3","\"'`quotes"],["<!--","0_10","<!--"]],
 "visible":["<script>document.title='PWNED';window.PWNED=1</script>","</script><img src=x onerror=\"window.PWNED=2\">",
            "&amp;&lt;b&gt;","\"'`quotes","\\x41","<!--"],
 "escapes":["\\x00","\\x1b","\\x7f","\\u2028","\\u2029","\\u202e","\\xe2","\\x9c","\\ue000","\\n"]}
EOF
)
$PY check "$T/hsite" "$HCFG" || fail=1

step "self-test: a JS error in a page must fail the check"
cp -r "$T/site" "$T/bad"
sed -i 's#</body>#<script>window.n2gNoSuchFunction();</script></body>#' "$T/bad/neurons/0_0.html"
if $PY check "$T/bad" '{"index":false,"pages":["0_0"],"examples":5,"maxText":null,"ctx":80,"expand":false,"hostile":false}' > "$T/bad.txt"; then
  echo "FAIL: a page with a JS error passed"; cat "$T/bad.txt"; fail=1
else
  grep -q "n2gNoSuchFunction" "$T/bad.txt" && echo "ok: JS error caught" || { echo "FAIL: error not reported"; cat "$T/bad.txt"; fail=1; }
fi
step "self-test: a failed in-page check must fail"
if $PY check "$T/site" '{"index":false,"pages":[],"forceFail":true}' > "$T/bad2.txt"; then
  echo "FAIL: forced failure passed"; fail=1
else
  echo "ok: forced failure caught"
fi
step "self-test: a page that never gets ready must fail (broken data file)"
cp -r "$T/site" "$T/bad3"
echo 'N2G.neuronChunk(0,[' > "$T/bad3/data/neurons-000.js"
if $PY check "$T/bad3" '{"index":true,"layers":2,"neurons":32,"searches":[],"pages":[]}' > "$T/bad3.txt"; then
  echo "FAIL: a broken data file passed"; fail=1
else
  echo "ok: broken data file caught"
fi

[ $fail = 0 ] && echo "test_report_browser: all passed" || echo "test_report_browser: FAILED"
exit $fail
