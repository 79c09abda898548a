#!/usr/bin/env bash
# test_outdir_cli.sh N2G — nothing is overwritten that n2g did not write: `n2g plant --out` and
# `n2g report --out` refuse a non-empty directory holding someone else's files (exit 2, the files
# untouched), write into it with --force, and replace their own earlier output (also an
# interrupted one) without asking. `n2g demo` reruns into its own folder.
set -uo pipefail
N2G=${1:?usage: test_outdir_cli.sh /path/to/n2g}
export N2G_SHARED_DIR=${N2G_SHARED_DIR:?N2G_SHARED_DIR must name the shared/ folder}
source "$(dirname "$0")/lib.sh"
SRC=${N2G_SOURCE_DIR:-}
[ -n "$SRC" ] || SRC=$(cd "$(dirname "$0")/.." && pwd)
TINY=$SRC/tests/fixtures/gpt2-tiny

# run CMD... -> sets rc, stdout in $tmp/out, stderr in $tmp/err
run() { "$N2G" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
same_tree() { diff -r "$1" "$2" >/dev/null; }

# ---- plant
# someone else's model: refused, untouched
mkdir -p "$tmp/hf" && cp "$TINY"/* "$tmp/hf/" && cp -r "$tmp/hf" "$tmp/hf.orig"
run plant --out "$tmp/hf"
[ $rc -eq 2 ] && grep -qF "$tmp/hf: the directory is not empty and was not written by n2g plant" "$tmp/err" &&
    grep -qF -- "--force" "$tmp/err" && [ "$(wc -l <"$tmp/err")" -eq 1 ] && ok || bad "plant into a model: exit $rc, $(cat "$tmp/err")"
same_tree "$tmp/hf" "$tmp/hf.orig" && ok || bad "plant changed a model it did not write"
# any other file counts too
mkdir -p "$tmp/notes" && echo "mine" >"$tmp/notes/notes.txt"
run plant --out "$tmp/notes"
[ $rc -eq 2 ] && [ "$(cat "$tmp/notes/notes.txt")" = mine ] && [ ! -e "$tmp/notes/config.json" ] && ok || bad "plant into a folder with notes: exit $rc"
# --force: written (the model files replaced, other files kept)
run plant --out "$tmp/hf" --force
[ $rc -eq 0 ] && [ -s "$tmp/hf/planted.json" ] && ! cmp -s "$tmp/hf/model.safetensors" "$tmp/hf.orig/model.safetensors" &&
    [ -s "$tmp/hf/expected.json" ] && [ ! -e "$tmp/hf/.n2g-plant" ] && ok || bad "plant --force: exit $rc, $(cat "$tmp/err"; ls -a "$tmp/hf")"
# an empty folder, then a rerun into n2g's own output (a different seed replaces the files)
mkdir -p "$tmp/p"
run plant --out "$tmp/p"
[ $rc -eq 0 ] && ok || bad "plant into an empty folder: $(cat "$tmp/err")"
cp "$tmp/p/model.safetensors" "$tmp/p.st"
run plant --out "$tmp/p" --seed 9
[ $rc -eq 0 ] && ! cmp -s "$tmp/p/model.safetensors" "$tmp/p.st" && ok || bad "plant rerun: exit $rc, $(cat "$tmp/err")"
# an interrupted plant (its marker, a partial file, no planted.json yet) is n2g's own too
mkdir -p "$tmp/int" && : >"$tmp/int/.n2g-plant" && head -c 100 "$tmp/p.st" >"$tmp/int/model.safetensors"
run plant --out "$tmp/int"
[ $rc -eq 0 ] && cmp -s "$tmp/int/model.safetensors" "$tmp/p.st" && [ ! -e "$tmp/int/.n2g-plant" ] && ok ||
    bad "plant after an interrupted plant: exit $rc, $(cat "$tmp/err")"

# ---- report
"$N2G" scrape --model "$tmp/p" --corpus "$DATA/corpus/fixture_small.txt" --out "$tmp/run" --device cpu --quiet ||
    bad "scrape"
mkdir -p "$tmp/site" && echo "<html>my page</html>" >"$tmp/site/index.html" && cp -r "$tmp/site" "$tmp/site.orig"
run report --run "$tmp/run" --out "$tmp/site" --acts none --quiet
[ $rc -eq 2 ] && grep -qF "$tmp/site: the directory is not empty and holds no n2g report" "$tmp/err" &&
    [ "$(wc -l <"$tmp/err")" -eq 1 ] && ok || bad "report into a foreign site: exit $rc, $(cat "$tmp/err")"
same_tree "$tmp/site" "$tmp/site.orig" && ok || bad "report wrote into a folder it did not write: $(ls -a "$tmp/site")"
run report --run "$tmp/run" --out "$tmp/site" --acts none --quiet --force
[ $rc -eq 0 ] && grep -q "N2G.indexPage(" "$tmp/site/index.html" && [ -e "$tmp/site/.n2g-report" ] && ok ||
    bad "report --force: exit $rc, $(cat "$tmp/err")"
# n2g's own site is replaced on a rerun (also one written before the marker existed)
run report --run "$tmp/run" --out "$tmp/site" --acts none --quiet
[ $rc -eq 0 ] && ok || bad "report rerun: exit $rc, $(cat "$tmp/err")"
rm "$tmp/site/.n2g-report"
run report --run "$tmp/run" --out "$tmp/site" --acts none --quiet
[ $rc -eq 0 ] && ok || bad "report rerun into an older report: exit $rc, $(cat "$tmp/err")"
# the default RUN/report and a new folder
run report --run "$tmp/run" --acts none --quiet
[ $rc -eq 0 ] && [ -s "$tmp/run/report/index.html" ] && ok || bad "report default out: $(cat "$tmp/err")"

# ---- demo: its own folder reruns (plant and report replace their own output)
run demo --out "$tmp/demo" --device cpu --quiet --sample 0
[ $rc -eq 0 ] && ok || bad "demo: exit $rc, $(cat "$tmp/err")"
run demo --out "$tmp/demo" --device cpu --quiet --sample 0
[ $rc -eq 0 ] && ok || bad "demo rerun: exit $rc, $(cat "$tmp/err")"
# a demo folder whose model/ is someone else's: refused before anything is written there
mkdir -p "$tmp/demo2/model" && cp "$TINY"/* "$tmp/demo2/model/"
run demo --out "$tmp/demo2" --device cpu --quiet --sample 0
[ $rc -eq 2 ] && same_tree "$tmp/demo2/model" "$TINY" && [ ! -e "$tmp/demo2/run" ] && ok ||
    bad "demo over a foreign model/: exit $rc, $(cat "$tmp/err")"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
