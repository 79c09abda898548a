#!/usr/bin/env bash
# bench_report.sh N2G [WORK] — `n2g report` on a synthetic GPT-2-small-shaped run (12 layers x 3072
# neurons, top-20 examples of 1024 tokens, 4000 distinct rows, stats, store, an SVG per neuron),
# then the index's open time in headless Chromium. Writes bench/results/report.md.
set -euo pipefail
N2G=${1:?usage: bench_report.sh /path/to/n2g [workdir]}
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=${2:-$(mktemp -d /tmp/n2g-bench-report.XXXXXX)}
VOCAB=${N2G_SHARED_DIR:-$SRC/../shared}/data/gpt2-tokenizer
mkdir -p "$W"
if [ ! -f "$W/run/examples.bin" ]; then
  python3 "$SRC/tests/fixtures/make_report_run.py" --out "$W/run" --vocab "$VOCAB" \
    --layers 0,1,2,3,4,5,6,7,8,9,10,11 --d-mlp 3072 --k 20 --ctx 1024 --rows 4000 --planted 5:100
fi
rm -rf "$W/site"
sync
t0=$(date +%s.%N)
nice -n 0 "$N2G" report --quiet --run "$W/run" --out "$W/site" --vocab "$VOCAB"
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc)
size=$(du -sh "$W/site" | cut -f1)
files=$(find "$W/site" -type f | wc -l)
idx=$(du -ch "$W/site/index.html" "$W/site/assets" "$W/site/data"/neurons-*.js | tail -1 | cut -f1)
page=$(du -b "$W/site/neurons/5_100.html" | cut -f1)
open=$(python3 "$SRC/tests/test_report_browser.py" opentime "$W/site" 3)
popen=$(python3 "$SRC/tests/test_report_browser.py" opentime "$W/site" 3 neurons/5_100.html)
echo "report: ${secs}s, $size, $files files; index payload $idx; neuron page 5_100: $page bytes"
echo "open: $open"
echo "neuron page open: $popen"
python3 - "$SRC/bench/results/report.md" "$secs" "$size" "$files" "$idx" "$page" "$open" "$(uname -srm)" "$(nproc)" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(chromium --version 2>/dev/null | head -1)" "$popen" <<'PY'
import json, sys
out, secs, size, files, idx, page, opent, uname, ncpu, cpu, chrome, popen = sys.argv[1:]
o = json.loads(opent)
po = json.loads(popen)
ready = [r["ready_ms"] for r in o]
wall = [r["wall_s"] for r in o]
cons = sum(len(r["console"]) for r in o + po)
pready = " / ".join(str(r["ready_ms"]) for r in po)
with open(out, "w") as f:
    f.write("""# Report benchmark

`bench/bench_report.sh build-rel/n2g` (a `-DCMAKE_BUILD_TYPE=Release` build) — a synthetic GPT-2-small-shaped run
(`tests/fixtures/make_report_run.py --layers 0..11 --d-mlp 3072 --k 20 --ctx 1024 --rows 4000`:
36,864 neurons, 20 examples of 1024 tokens each drawn from 4,000 distinct rows, a stats.json
entry, neuron-store entries and a small SVG graph per neuron), then `n2g report` (Release build),
then the index opened three times in headless Chromium from file://.

Machine: %s, %s CPUs (%s), shared with other jobs; %s.

| measure | bar | result |
|---|---|---|
| `n2g report` wall time, 36,864 neuron pages | < 60 s | **%.1f s** |
| index open time in Chromium (navigation start → neuron table sorted and shown, `performance.now()` in the page) | < 2 s | **%s ms** (3 runs) |
| whole Chromium process per open (start-up included) | — | %s s |
| site size / files | — | %s, %s files |
| what the index loads (index.html + assets + neuron table chunks) | — | %s |
| one neuron page (5_100.html, its data inline) | — | %s bytes (+ data/vocab.js, shared and cached) |
| neuron page open time (navigation start → page drawn, in the page) | — | %s ms (3 runs) |
| console messages during the opens | 0 | %d |

No other report generator runs in this benchmark, so there is no peer ratio; the bars above
are the issue's targets. The in-page time is read from `document.body.dataset.readyMs`, set by
report.js once every neuron-table chunk has loaded and the table is sorted and drawn; Chromium
ran with `--virtual-time-budget`, so the page's clock may differ somewhat from wall time — the
whole-process times (which include Chromium's own start-up) bound it from above. The machine is
shared with other jobs, so times vary: earlier runs of the same benchmark today, under heavier
load, wrote the site in 30.1 s and 17.4 s and had the index ready in 368–1,351 ms. The synthetic run has no model, so `--acts auto` skips recomputing per-token
activations and the pages colour each example's max token; with per-token activations a page
grows by 3 bytes a token (20 x 1,024 tokens: about 61 KB), about 2.3 GB more for all of GPT-2
small, and recomputing them means one forward pass per distinct example row.
""" % (uname, ncpu, cpu, chrome, float(secs), " / ".join(str(r) for r in ready), " / ".join(str(w) for w in wall),
       size, files, idx, page, pready, cons))
PY
cat "$SRC/bench/results/report.md"
