#!/bin/bash
# test_mpi.sh — n2g under mpirun (a build with MPI): the run directory of `mpirun -np R n2g
# scrape` is byte-identical to a single process's (R = 2 and 3, several batch sizes, the tiny
# GPT-2 fixture and the planted model, CPU backend and Vulkan when a device exists); a rank
# killed with kill -9 mid-run, SIGINT to one rank or to mpirun, then a rerun (with any rank count) gives
# the same bytes; `mpirun -np 2 n2g build` writes the same files as one process, also after a
# rank is killed mid-build and the build rerun. Skips (exit 77) without MPI.
set -u
N2G=${1:?usage: test_mpi.sh /path/to/n2g}
SRC=${N2G_SOURCE_DIR:?}
DATA=${N2G_SHARED_DIR:?}/data
export N2G_VOCAB=${N2G_VOCAB:-$DATA/gpt2-tokenizer}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-$UID}
mkdir -p "$XDG_RUNTIME_DIR"

if ! command -v mpirun >/dev/null 2>&1; then
    echo "SKIP: mpirun not found (install openmpi-bin: scripts/deps.sh --test)"
    exit 77
fi
if ! ldd "$N2G" 2>/dev/null | grep -q 'libmpi'; then
    echo "SKIP: $N2G was built without MPI (cmake found no MPI, or -DN2G_MPI=OFF)"
    exit 77
fi
MPIRUN=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
# containers often forbid the cross-memory-attach single copy; Open MPI's leaks are not ours
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
same_run() { # same_run A B WHAT
    if cmp -s "$1/examples.bin" "$2/examples.bin" && cmp -s "$1/manifest.json" "$2/manifest.json"; then ok
    else bad "$3: run directory differs from the single-process run"; fi
}

# ---- scrape: byte-identical for any rank count ----
model=$SRC/tests/fixtures/gpt2-tiny
args=(scrape --model "$model" --corpus "$DATA/corpus/fixture_small.txt" --ctx 32 --top-k 5 --max-tokens 16000
      --device cpu --quiet)
"$N2G" "${args[@]}" --batch 2 --out "$tmp/ref" || bad "single-process scrape failed"
"${MPIRUN[@]}" -np 2 "$N2G" "${args[@]}" --batch 2 --out "$tmp/np2" 2>"$tmp/err" || bad "np 2 scrape: $(cat "$tmp/err")"
same_run "$tmp/ref" "$tmp/np2" "np 2"
"${MPIRUN[@]}" -np 3 "$N2G" "${args[@]}" --batch 3 --checkpoint-secs 0 --out "$tmp/np3" 2>"$tmp/err" ||
    bad "np 3 scrape: $(cat "$tmp/err")"
same_run "$tmp/ref" "$tmp/np3" "np 3, batch 3, checkpoint after every round"
# --max-tokens not a multiple of a round, and a row count smaller than one round
"$N2G" "${args[@]}" --batch 4 --max-tokens 1000 --out "$tmp/ref_small" || bad "small single-process scrape failed"
# --fire-lists: the firing lists of every kept row, from whichever rank scanned it: the same bytes
"$N2G" "${args[@]}" --batch 2 --fire-lists=4 --out "$tmp/fref" || bad "single-process --fire-lists scrape failed"
"${MPIRUN[@]}" -np 2 "$N2G" "${args[@]}" --batch 2 --fire-lists=4 --out "$tmp/fnp2" 2>"$tmp/err" ||
    bad "np 2 --fire-lists: $(cat "$tmp/err")"
same_run "$tmp/fref" "$tmp/fnp2" "np 2 --fire-lists"
"${MPIRUN[@]}" -np 3 "$N2G" "${args[@]}" --batch 3 --fire-lists=4 --checkpoint-secs 0 --out "$tmp/fnp3" 2>"$tmp/err" ||
    bad "np 3 --fire-lists: $(cat "$tmp/err")"
same_run "$tmp/fref" "$tmp/fnp3" "np 3 --fire-lists, checkpoint after every round"
"${MPIRUN[@]}" -np 2 "$N2G" "${args[@]}" --batch 4 --max-tokens 1000 --out "$tmp/np2_small" 2>"$tmp/err" ||
    bad "np 2 small scrape: $(cat "$tmp/err")"
same_run "$tmp/ref_small" "$tmp/np2_small" "np 2, 31 rows in rounds of 8"

# the planted model (n2g plant), whole corpus
"$N2G" plant --out "$tmp/planted" >/dev/null 2>&1 || bad "n2g plant"
pargs=(scrape --model "$tmp/planted" --corpus "$DATA/corpus/fixture_small.txt" --ctx 64 --top-k 8 --quiet)
"$N2G" "${pargs[@]}" --device cpu --out "$tmp/pref" || bad "planted single-process scrape failed"
"${MPIRUN[@]}" -np 2 "$N2G" "${pargs[@]}" --device cpu --out "$tmp/pnp2" 2>"$tmp/err" || bad "planted np 2: $(cat "$tmp/err")"
same_run "$tmp/pref" "$tmp/pnp2" "planted model, np 2"

# Vulkan (each rank picks its device; here both share the one there is)
if "$N2G" devices >/dev/null 2>&1; then
    vargs=(scrape --model "$model" --corpus "$DATA/corpus/fixture_small.txt" --ctx 32 --top-k 5 --max-tokens 16000 --quiet)
    "$N2G" "${vargs[@]}" --device 0 --batch 2 --out "$tmp/vref" || bad "vk single-process scrape failed"
    "${MPIRUN[@]}" -np 2 "$N2G" "${vargs[@]}" --batch 5 --out "$tmp/vnp2" 2>"$tmp/err" || bad "vk np 2: $(cat "$tmp/err")"
    same_run "$tmp/vref" "$tmp/vnp2" "Vulkan, np 2"
else
    echo "no Vulkan device: Vulkan comparison skipped"
fi

echo "[${SECONDS}s] scrape"
# ---- scrape: a rank killed mid-run, then rerun ----
# (kills and signals are sent once a partial checkpoint beyond the last one is on disk, so
# they land mid-run however fast the machine is)
big=(scrape --model "$model" --corpus "$DATA/corpus/kjv.txt" --ctx 32 --top-k 5 --max-tokens 80000 --device cpu
     --batch 2 --quiet)
"$N2G" "${big[@]}" --out "$tmp/bigref" || bad "single-process reference (kjv) failed"
big_rows=$((80000 / 32))
rows_of() { sed -n 's/.*"rows": \([0-9]*\).*/\1/p' "$1/manifest.json" 2>/dev/null | head -1; }
wait_progress() { # DIR PID BEYOND: until DIR holds a partial checkpoint past BEYOND rows; 1 if PID ended first
    for _ in $(seq 6000); do
        kill -0 "$2" 2>/dev/null || return 1
        if grep -qs '"complete": false' "$1/manifest.json"; then
            local r
            r=$(rows_of "$1")
            [ "${r:-0}" -gt "$3" ] && return 0
        fi
        sleep 0.01
    done
    return 1
}
killed=0 last=0
for _ in 1 2 3; do
    "${MPIRUN[@]}" -np 2 "$N2G" "${big[@]}" --checkpoint-secs 0 --out "$tmp/kill" >/dev/null 2>&1 &
    mp=$!
    hit=0
    if wait_progress "$tmp/kill" $mp "$last"; then
        victim=$(ps -o pid= --ppid $mp | tail -1) # rank 1 (or rank 0: either must do)
        [ -n "$victim" ] && kill -9 $victim 2>/dev/null && hit=1
    fi
    wait $mp 2>/dev/null
    # it counts only if it landed mid-run (not after the last round)
    [ $hit -eq 1 ] && grep -qs '"complete": false' "$tmp/kill/manifest.json" && killed=$((killed + 1))
    last=$(rows_of "$tmp/kill")
    last=${last:-0}
done
echo "ranks killed mid-run: $killed (last partial checkpoint at row $last)"
[ $killed -ge 1 ] && ok || bad "no kill landed mid-run"
"${MPIRUN[@]}" -np 2 "$N2G" "${big[@]}" --out "$tmp/kill" 2>"$tmp/err" || bad "rerun after kill: $(cat "$tmp/err")"
same_run "$tmp/bigref" "$tmp/kill" "killed rank, rerun"
[ -z "$(ls "$tmp/kill" | grep "\.tmp")" ] && ok || bad "temporary file left behind: $(ls "$tmp/kill")"

echo "[${SECONDS}s] SIGINT to one rank"
# SIGINT that reaches one rank only (here rank 1, which writes nothing): every rank stops at
# the same round, rank 0 writes a checkpoint there, the job fails; the run then finishes in a
# single process (the rank count may change between runs). Periodic checkpoints come every
# 1024 rows, so a checkpoint past the first one and off that grid is the stop's. The signal
# lands at once; tried up to 3 times in case it came too late to tell (last rounds, or a
# stop at a multiple of 1024).
int_done=0
for try in 1 2 3; do
    rm -rf "$tmp/int"
    "${MPIRUN[@]}" -np 2 "$N2G" "${big[@]}" --checkpoint-rows 1024 --out "$tmp/int" >/dev/null 2>&1 &
    mp=$!
    r1=
    if wait_progress "$tmp/int" $mp 0; then
        r1=$(rows_of "$tmp/int")
        victim=$(ps -o pid= --ppid $mp | tail -1)
        [ -n "$victim" ] && kill -INT $victim 2>/dev/null
    fi
    wait $mp
    rc=$?
    r=$(rows_of "$tmp/int")
    # too late to tell (a stop on the 1024 grid, or the scan already done): again
    [ -n "$r1" ] && [ -n "$r" ] && { [ $((r % 1024)) -eq 0 ] || grep -qs '"complete": true' "$tmp/int/manifest.json"; } &&
        continue
    int_done=1
    break
done
if [ $int_done -eq 1 ] && [ $rc -ne 0 ] && grep -qs '"complete": false' "$tmp/int/manifest.json" &&
    [ "${r:-0}" -gt "${r1:-0}" ]; then
    ok
    "$N2G" "${big[@]}" --out "$tmp/int" || bad "single-process finish after SIGINT failed"
    same_run "$tmp/bigref" "$tmp/int" "SIGINT to one rank, finished by one process"
else
    bad "SIGINT to one rank wrote no stop checkpoint, or exit status 0 (tries $try, rc $rc, checkpoint at row ${r:-none}," \
        "signal after row ${r1:-none})"
fi

echo "[${SECONDS}s] SIGINT to mpirun"
# SIGINT to mpirun: Open MPI's mpirun does not pass it on at once. It sends the ranks SIGCONT,
# SIGTERM odls_base_sigkill_timeout (1 s) later and SIGKILL a second after that; the ranks
# stop on the SIGTERM as above, but this scan may well have finished within that second (a
# race with the machine's speed, so both outcomes are allowed). What must hold either way:
# mpirun fails, the run directory is a valid checkpoint, and rerunning gives the reference.
rm -rf "$tmp/int"
"${MPIRUN[@]}" -np 2 "$N2G" "${big[@]}" --checkpoint-rows 64 --out "$tmp/int" >/dev/null 2>&1 &
mp=$!
wait_progress "$tmp/int" $mp 0
kill -INT $mp 2>/dev/null
wait $mp
rc=$?
if grep -qs '"complete": ' "$tmp/int/manifest.json" && [ $rc -ne 0 ]; then
    ok
    echo "SIGINT to mpirun: $(grep -o '"complete": [a-z]*, "rows": [0-9]*' "$tmp/int/manifest.json") of $big_rows"
    "$N2G" "${big[@]}" --out "$tmp/int" 2>/dev/null || bad "single-process finish after SIGINT to mpirun failed"
    same_run "$tmp/bigref" "$tmp/int" "SIGINT to mpirun, finished by one process"
else
    bad "SIGINT to mpirun left no checkpoint or exited 0 (rc $rc)"
fi

# the other way round: a single process killed mid-run, finished by 3 ranks (up to 3 tries,
# as a kill after the last row does not count)
killed=0
for try in 1 2 3; do
    rm -rf "$tmp/one_to_three"
    "$N2G" "${big[@]}" --checkpoint-secs 0 --out "$tmp/one_to_three" &
    pid=$!
    wait_progress "$tmp/one_to_three" $pid 0 && kill -9 $pid 2>/dev/null && killed=1
    wait $pid 2>/dev/null
    [ $killed -eq 1 ] && grep -qs '"complete": false' "$tmp/one_to_three/manifest.json" && break
    killed=0
done
[ $killed -eq 1 ] && ok || bad "single process: no kill landed mid-run in 3 tries"
"${MPIRUN[@]}" -np 3 "$N2G" "${big[@]}" --out "$tmp/one_to_three" 2>"$tmp/err" || bad "np 3 finish: $(cat "$tmp/err")"
same_run "$tmp/bigref" "$tmp/one_to_three" "single process killed, finished by 3 ranks"

echo "[${SECONDS}s] a rank's error ends"
# a rank's error ends the job with its message and a failure status
mkdir -p "$tmp/foreign" && touch "$tmp/foreign/x"
"${MPIRUN[@]}" -np 2 "$N2G" "${args[@]}" --out "$tmp/foreign" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ] && grep -q "holds no scrape run" "$tmp/err"; then ok; else bad "foreign --out under mpirun: rc $rc, $(cat "$tmp/err")"; fi

echo "[${SECONDS}s] build"
# ---- build: the same files as one process; a killed rank, then rerun ----
neurons="0:37,0:150,1:200,0:1,0:2,0:3,0:4,0:5,1:5,1:6,1:7,1:8"
cp -r "$tmp/pref" "$tmp/b1" && cp -r "$tmp/pref" "$tmp/b2" && cp -r "$tmp/pref" "$tmp/bk"
bargs=(build --neurons "$neurons" --device cpu --block 2 --no-svg --quiet)
"$N2G" "${bargs[@]}" --run "$tmp/b1" || bad "single-process build failed"
"${MPIRUN[@]}" -np 2 "$N2G" "${bargs[@]}" --run "$tmp/b2" 2>"$tmp/err" || bad "np 2 build: $(cat "$tmp/err")"
diff -r "$tmp/b1" "$tmp/b2" >"$tmp/diff" && ok || bad "np 2 build differs: $(head -5 "$tmp/diff")"
"${MPIRUN[@]}" -np 2 "$N2G" "${bargs[@]}" --run "$tmp/bk" >/dev/null 2>&1 &
mp=$!
for _ in $(seq 3000); do ls "$tmp/bk/build" 2>/dev/null | grep -q 'json$' && break; sleep 0.02; done
victim=$(ps -o pid= --ppid $mp | tail -1)
[ -n "$victim" ] && kill -9 $victim 2>/dev/null
wait $mp 2>/dev/null
n_done=$(ls "$tmp/bk/build" 2>/dev/null | wc -l)
echo "build killed with $n_done of 12 neurons done"
"${MPIRUN[@]}" -np 2 "$N2G" "${bargs[@]}" --run "$tmp/bk" 2>"$tmp/err" || bad "build rerun after kill: $(cat "$tmp/err")"
# (a killed writer can leave its NAME.tmp.PID behind, as in a single process: not a result)
diff -r -x '*.tmp.*' "$tmp/b1" "$tmp/bk" >"$tmp/diff" && ok || bad "build after kill and rerun differs: $(head -5 "$tmp/diff")"

echo "[${SECONDS}s] done"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
