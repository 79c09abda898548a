#!/bin/bash
# test_build_nodot.sh — Graphviz is optional (issue 15): with `dot` stripped from PATH, `n2g build`
# and `n2g demo` finish (exit 0), warn once, write every graph's .json and .dot without an .svg and
# say at the end how to render them; the report draws each graph from its graph JSON (an inline
# SVG with the graph's tokens, nothing else); a rerun with Graphviz back renders the missing SVGs,
# byte-identical to those of a build that had Graphviz all along.
set -u
N2G=${1:?usage: test_build_nodot.sh /path/to/n2g}
. "$(dirname "$0")/lib.sh"
command -v dot >/dev/null || { echo "Graphviz dot is not installed: nothing to compare with; skipped"; exit 77; }
plant_and_scrape
mkdir -p "$tmp/empty" # PATH without dot (n2g needs no other program)
nodot=(env PATH="$tmp/empty" N2G_DOT=)
list="$neurons,0:3,1:190"

cp -r "$tmp/scrape" "$tmp/ref"
"$N2G" build --run "$tmp/ref" --neurons "$list" --device cpu --quiet || bad "build with Graphviz failed"
cp -r "$tmp/scrape" "$tmp/run"
"${nodot[@]}" "$N2G" build --run "$tmp/run" --neurons "$list" --device cpu >/dev/null 2>"$tmp/e"
rc=$?
[ $rc -eq 0 ] && ok || bad "build without Graphviz: rc $rc, $(cat "$tmp/e")"
graphs=$(cd "$tmp/ref/graphs" && ls *.json | sed 's/\.json$//') # the neurons with a graph
ng=$(echo "$graphs" | wc -w)
[ "$ng" -ge 4 ] && ok || bad "only $ng graphs"
[ "$(grep -c "warning: Graphviz 'dot' was not found" "$tmp/e")" -eq 1 ] && ok || bad "want one warning: $(cat "$tmp/e")"
grep -q "$ng graphs without an SVG picture" "$tmp/e" && grep -q "apt install graphviz" "$tmp/e" &&
    grep -q "rerun this command" "$tmp/e" && ok || bad "no hint at the end: $(cat "$tmp/e")"
for f in $graphs; do
    [ -s "$tmp/run/graphs/$f.json" ] && [ -s "$tmp/run/graphs/$f.dot" ] && [ ! -e "$tmp/run/graphs/$f.svg" ] && ok ||
        bad "graphs/$f: want .json and .dot, no .svg"
    cmp -s "$tmp/run/graphs/$f.dot" "$tmp/ref/graphs/$f.dot" && ok || bad "graphs/$f.dot differs from the Graphviz build's"
done
diff "$tmp/run/stats.json" "$tmp/ref/stats.json" >/dev/null && ok || bad "stats.json differs without Graphviz"

# the report draws the graphs from the graph JSON
"${nodot[@]}" "$N2G" report --run "$tmp/run" --out "$tmp/site" --quiet --neurons "$list" >/dev/null 2>&1 || bad "report failed"
python3 - "$tmp/run" "$tmp/site" "$(echo $graphs | tr ' _' ',:')" <<'PY' && ok || bad "the report does not draw the graphs"
import html, json, re, sys
run, site = sys.argv[1], sys.argv[2]
for name in sys.argv[3].split(","):
    L, N = name.split(":")
    page = open("%s/neurons/%s_%s.html" % (site, L, N)).read()
    m = re.search(r',"svg":("(?:[^"\\]|\\.)*")\}\);</script>', page)
    assert m, (name, "no inline SVG")
    svg = json.loads(m.group(1))
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>") and "drawn by n2g" in svg, name
    tags = set(re.findall(r"<([a-zA-Z]+)", svg))
    assert tags <= {"svg", "g", "rect", "line", "text", "title"}, (name, tags)
    nodes = json.load(open("%s/graphs/%s_%s.json" % (run, L, N)))["graph"]
    texts = {html.unescape(t) for t in re.findall(r"<text [^>]*>([^<]*)</text>", svg)}
    want = {x["text"] for x in nodes if x["kind"] == "token" and not x["ignore"] and len(x["text"]) <= 16}
    assert want and want <= texts, (name, sorted(want - texts))
    assert svg.count("<rect ") == len({(x["depth"], x["key"]) for x in nodes if x["kind"] == "token" and not x["ignore"]})
PY

# Graphviz back: the rerun renders what is missing, as a build with Graphviz would have
"$N2G" build --run "$tmp/run" --neurons "$list" --device cpu 2>"$tmp/e" >/dev/null &&
    grep -q "$ng missing SVGs rendered" "$tmp/e" && ok || bad "rerun with Graphviz: $(cat "$tmp/e")"
diff -r "$tmp/ref/graphs" "$tmp/run/graphs" >/dev/null && ok || bad "rendered SVGs differ: $(diff -rq "$tmp/ref/graphs" "$tmp/run/graphs" | head -3)"

# n2g demo without Graphviz
"${nodot[@]}" "$N2G" demo --out "$tmp/demo" --quiet --sample 1 >"$tmp/out" 2>"$tmp/e"
rc=$?
[ $rc -eq 0 ] && ok || bad "demo without Graphviz: rc $rc, $(tail -3 "$tmp/e")"
grep -q "Graphviz was not found" "$tmp/out" && ok || bad "the demo does not say the SVGs are missing: $(cat "$tmp/out")"
[ -z "$(ls "$tmp/demo/run/graphs" | grep '\.svg$')" ] && [ -n "$(ls "$tmp/demo/run/graphs" | grep '\.dot$')" ] && ok ||
    bad "demo graphs: $(ls "$tmp/demo/run/graphs")"
grep -q "drawn by n2g" "$tmp/demo/report/neurons/1_200.html" && ok || bad "the demo's report does not draw the graphs"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
