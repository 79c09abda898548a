#!/bin/bash
# test_build_dot_orphan.sh — a Graphviz `dot` that outlives a killed build writes nothing into the
# run: n2g reads the SVG from dot's standard output through a pipe and writes the file itself
# (atomically), so when `n2g build` is killed -9 while dot runs, the orphaned dot ends by SIGPIPE
# at its first write instead of writing graphs/L_N.svg.tmp.PID after the rerun's start-up
# cleanup. A slow fake dot (N2G_DOT: it records its pid, sleeps, then runs the real dot) makes
# the moment certain: the build is killed while it sleeps, the rerun starts at once and
# finishes, and after the old dot has ended no temporary is left and every file equals an
# uninterrupted build's. Meanwhile, with two finishing threads, the other neuron's graph is done
# but its result waits: results are committed in the order of the list.
set -u
N2G=${1:?usage: test_build_dot_orphan.sh /path/to/n2g}
. "$(dirname "$0")/lib.sh"
realdot=$(command -v dot) || { echo "Graphviz dot is not installed: skipped"; exit 77; }
plant_and_scrape
list=0:37,0:150

# slow for 0:37 only: the graph of 0:150 (rendered by another worker) is done first
cat >"$tmp/slowdot" <<EOF
#!/bin/sh
case "\$*" in *0_37.dot*) echo \$\$ >>"$tmp/dot.pids"; sleep \${N2G_TEST_DOT_SLEEP:-0};; esac
exec "$realdot" "\$@"
EOF
chmod +x "$tmp/slowdot"

cp -r "$tmp/scrape" "$tmp/ref"
"$N2G" build --run "$tmp/ref" --neurons "$list" --device cpu --quiet || bad "uninterrupted build failed"

# through the fake dot (no sleep): the same SVGs, and dot wrote them to its stdout (no -o)
cp -r "$tmp/scrape" "$tmp/fake"
N2G_DOT="$tmp/slowdot" "$N2G" build --run "$tmp/fake" --neurons "$list" --device cpu --quiet || bad "build through N2G_DOT failed"
diff -r "$tmp/ref" "$tmp/fake" >/dev/null && ok || bad "a build through N2G_DOT differs from one through dot"
rm -f "$tmp/dot.pids"

# killed while dot runs; rerun at once
cp -r "$tmp/scrape" "$tmp/run"
N2G_DOT="$tmp/slowdot" N2G_TEST_DOT_SLEEP=4 "$N2G" build --run "$tmp/run" --neurons "$list" --device cpu --quiet \
    --workers 2 &
pid=$!
for _ in $(seq 3000); do [ -s "$tmp/dot.pids" ] && [ -e "$tmp/run/graphs/0_150.svg" ] && break; sleep 0.01; done
[ -s "$tmp/dot.pids" ] && ok || bad "the fake dot never started"
# results are committed in list order: 0:150's graph is done, its result waits for 0:37's
sleep 0.5
[ -e "$tmp/run/graphs/0_150.svg" ] && [ ! -e "$tmp/run/build/0_150.json" ] && [ ! -e "$tmp/run/build/0_37.json" ] && ok ||
    bad "want 0:150's graph without its result while 0:37's SVG is rendered: $(ls "$tmp/run/graphs" "$tmp/run/build")"
kill -9 $pid
wait $pid 2>/dev/null
dotpid=$(head -1 "$tmp/dot.pids")
kill -0 "$dotpid" 2>/dev/null && ok || bad "the fake dot had already ended when the build was killed (the test proves nothing)"
"$N2G" build --run "$tmp/run" --neurons "$list" --device cpu --quiet || bad "the rerun failed"
for _ in $(seq 1000); do kill -0 "$dotpid" 2>/dev/null || break; sleep 0.02; done
kill -0 "$dotpid" 2>/dev/null && bad "the orphaned dot still runs 20 s later"
sleep 0.2
stray=$(cd "$tmp/run" && find . -name '*.tmp*')
[ -z "$stray" ] && ok || bad "stray temporary after the orphaned dot ended: $stray"
diff -r "$tmp/ref" "$tmp/run" >"$tmp/diff" && ok || bad "the rerun differs from the uninterrupted build: $(head -3 "$tmp/diff")"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
