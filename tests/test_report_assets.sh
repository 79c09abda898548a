#!/usr/bin/env bash
# test_report_assets.sh N2G — host/report/report_assets.c matches report/assets/ (regenerate
# with: python3 report/embed.py), and the binary writes those exact bytes into a site.
set -euo pipefail
N2G=${1:?usage: test_report_assets.sh /path/to/n2g}
SRC=${N2G_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
python3 "$SRC/report/embed.py" --check || { echo "FAIL: host/report/report_assets.c is stale: run python3 report/embed.py"; exit 1; }
T=$(mktemp -d /tmp/n2g-report-assets.XXXXXX)
trap 'rm -rf "$T"' EXIT
SHARED=${N2G_SHARED_DIR:-$SRC/../shared}
python3 "$SRC/tests/fixtures/make_report_run.py" --out "$T/run" --vocab "$SHARED/data/gpt2-tokenizer" --layers 0 --d-mlp 2 --k 2 --ctx 8 --planted 0:1
"$N2G" report --quiet --run "$T/run" --out "$T/site" > /dev/null
cmp "$SRC/report/assets/report.js" "$T/site/assets/report.js"
cmp "$SRC/report/assets/report.css" "$T/site/assets/report.css"
echo "assets in sync"
