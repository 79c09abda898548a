#!/usr/bin/env bash
# test_scrape_stdin.sh N2G — `n2g scrape --corpus -`: standard input is read into the run
# (RUN/corpus-stdin.txt), so the run's corpus identity is the hash of the bytes read (the same as
# a scrape of those bytes from a file), its examples are the file scrape's, a rerun with the same
# bytes finds the run complete, other bytes are refused (the copy kept), compressed input works,
# and a foreign --out is refused before anything is read into it.
set -uo pipefail
N2G=${1:?usage: test_scrape_stdin.sh /path/to/n2g}
export N2G_SHARED_DIR=${N2G_SHARED_DIR:?N2G_SHARED_DIR must name the shared/ folder}
source "$(dirname "$0")/lib.sh"

CORPUS=$DATA/corpus/fixture_small.txt
"$N2G" plant --out "$tmp/model" >/dev/null || { echo "FAIL: plant" >&2; exit 1; }
scrape() { "$N2G" scrape --model "$tmp/model" --device cpu --quiet --top-k 5 "$@"; }

scrape --corpus "$CORPUS" --out "$tmp/file" || bad "file scrape"
scrape --corpus - --out "$tmp/stdin" <"$CORPUS" 2>"$tmp/err" && ok || bad "stdin scrape: $(cat "$tmp/err")"
cmp -s "$CORPUS" "$tmp/stdin/corpus-stdin.txt" && ok || bad "RUN/corpus-stdin.txt is not the bytes read"
# the identity of the corpus: the bytes read (same size and hash as the file), the same scan
python3 - "$tmp/file" "$tmp/stdin" <<'EOF' && ok || bad "stdin run's manifest"
import json, sys
a, b = (json.load(open(d + "/manifest.json")) for d in sys.argv[1:3])
fa, fb = a["corpus"]["files"], b["corpus"]["files"]
assert len(fa) == len(fb) == 1 and fb[0]["path"].endswith("corpus-stdin.txt"), fb
assert (fa[0]["bytes"], fa[0]["hash"]) == (fb[0]["bytes"], fb[0]["hash"]), (fa, fb)
assert a["scan"] == b["scan"] and b["scan"]["complete"], (a["scan"], b["scan"])
EOF
for n in 0:37 1:200 1:5; do
    "$N2G" export --run "$tmp/file" --neuron $n --json --device cpu >"$tmp/a.json" 2>/dev/null &&
        "$N2G" export --run "$tmp/stdin" --neuron $n --json --device cpu >"$tmp/b.json" 2>/dev/null &&
        cmp -s "$tmp/a.json" "$tmp/b.json" && ok || bad "neuron $n: stdin and file runs differ"
done
# rerun: the same bytes -> already complete; other bytes -> refused, the copy kept
scrape --corpus - --out "$tmp/stdin" <"$CORPUS" 2>"$tmp/err" && ok || bad "rerun with the same stdin: $(cat "$tmp/err")"
head -c 50000 "$CORPUS" | scrape --corpus - --out "$tmp/stdin" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "standard input differs from the text this run read" "$tmp/err" && ok ||
    bad "rerun with other stdin: exit $rc, $(cat "$tmp/err")"
cmp -s "$CORPUS" "$tmp/stdin/corpus-stdin.txt" && [ -z "$(ls "$tmp/stdin" | grep tmp)" ] && ok ||
    bad "the run's copy of stdin was changed: $(ls "$tmp/stdin")"
# compressed standard input
gzip -c "$CORPUS" | scrape --corpus - --out "$tmp/gz" 2>"$tmp/err" && ok || bad "gzip stdin: $(cat "$tmp/err")"
python3 - "$tmp/file" "$tmp/gz" <<'EOF' && ok || bad "gzip stdin: another scan"
import json, sys
a, b = (json.load(open(d + "/manifest.json")) for d in sys.argv[1:3])
assert a["scan"] == b["scan"], (a["scan"], b["scan"])
EOF
# a foreign --out: refused before anything is written into it
mkdir -p "$tmp/foreign" && echo mine >"$tmp/foreign/notes.txt"
scrape --corpus - --out "$tmp/foreign" <"$CORPUS" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && [ "$(ls "$tmp/foreign")" = notes.txt ] && ok || bad "foreign --out: exit $rc, $(ls "$tmp/foreign"), $(cat "$tmp/err")"
# build counts its casing table from the run's copy of stdin
"$N2G" build --run "$tmp/stdin" --neurons 0:37 --device cpu --quiet --no-svg 2>"$tmp/err" && [ -s "$tmp/stdin/word_to_casings.json" ] &&
    ok || bad "build of the stdin run: $(cat "$tmp/err")"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
