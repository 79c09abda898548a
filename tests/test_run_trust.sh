#!/bin/bash
# test_run_trust.sh — a run directory defends itself (issue 15, items 1, 4, 5, 6, 8, 10, 11):
#   1  every command that opens a run's model checks it is the model the run was scraped from
#      (config and weights hash), the manifest stores the model path absolute (an old relative
#      one resolves against the run directory), and build / export take --model DIR;
#   4  examples.bin is tied to its manifest (identity, scan fields) and checksummed: another
#      run's examples.bin, a changed header field or a flipped data byte is refused;
#   5  one tokenizer rule: a broken vocab.json / merges.txt in the model is an error naming it in
#      every command; absent ones fall back to the bundled vocabulary with a notice, and the
#      manifest records which one was used;
#   6  one writer per run directory: a second scrape or build fails at once naming the first's
#      pid; a stale lock (its process gone) is taken over;
#   8  a full disk while writing examples.bin never leaves a manifest that says "complete";
#  10  the corpus files' skipped / replaced counts are in the manifest and the summary;
#  11  the progress bar counts rows processed, not bytes read ahead.
set -u
N2G=${1:?usage: test_run_trust.sh /path/to/n2g}
N2G=$(cd "$(dirname "$N2G")" && pwd)/$(basename "$N2G")
SRC=${N2G_SOURCE_DIR:?}
DATA=${N2G_SHARED_DIR:?}/data
export N2G_VOCAB=${N2G_VOCAB:-$DATA/gpt2-tokenizer}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-$UID}
mkdir -p "$XDG_RUNTIME_DIR"
tmp=$(mktemp -d)
tmp=$(cd "$tmp" && pwd -P)
trap 'rm -rf "$tmp"' EXIT
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
# expect CODE NEEDLE ARGS...: n2g's exit code and a needle in its stderr
expect() {
    local code=$1 needle=$2
    shift 2
    "$N2G" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne "$code" ] || ! grep -qF -- "$needle" "$tmp/err"; then
        bad "n2g $* -> rc $rc (want $code), stderr: $(cat "$tmp/err") (want '$needle')"
    else
        ok
    fi
}
jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d' + sys.argv[2]))" "$@"; }

corpus=$DATA/corpus/fixture_small.txt
sargs=(--corpus "$corpus" --ctx 64 --top-k 5 --max-tokens 6400 --device cpu --quiet)

# ---- 1. model identity ----
mkdir -p "$tmp/w1" "$tmp/w2"
"$N2G" plant --out "$tmp/w1/m" >/dev/null || bad "plant"
"$N2G" plant --out "$tmp/w2/m" --seed 7 >/dev/null || bad "plant --seed 7" # same config, other weights
(cd "$tmp/w1" && "$N2G" scrape --model m --out run "${sargs[@]}") || bad "scrape with a relative --model"
run=$tmp/w1/run
[ "$(jget "$run/manifest.json" '["model"]["dir"]')" = "$tmp/w1/m" ] && ok ||
    bad "model.dir not stored absolute: $(jget "$run/manifest.json" '["model"]["dir"]')"
# from a directory holding another model of the same name: the run's own model is used
(cd "$tmp/w2" && "$N2G" export --run "$run" --neuron 1:39 --json --device cpu >"$tmp/ex.json" 2>"$tmp/err") ||
    bad "export from another directory: $(cat "$tmp/err")"
python3 - "$tmp/ex.json" <<'PY' && ok || bad "export from another directory recomputed other activations"
import json, sys
for e in json.load(open(sys.argv[1]))["examples"]:
    assert abs(e["recomputed_max"] - e["max"]) < 1e-4, (e["recomputed_max"], e["max"])
PY
(cd "$tmp/w2" && "$N2G" build --run "$run" --neurons 0:37 --augment none --device cpu --quiet 2>"$tmp/err") && ok ||
    bad "build from another directory: $(cat "$tmp/err")"
# --model names a model: checked like the manifest's
expect 1 "$tmp/w2/m/model.safetensors differs from the run's model (hash" \
    build --run "$run" --neurons 0:150 --augment none --device cpu --quiet --model "$tmp/w2/m"
expect 1 "$tmp/w2/m/model.safetensors differs from the run's model (hash" \
    export --run "$run" --neuron 0:37 --device cpu --model "$tmp/w2/m"
expect 1 "$tmp/w2/m/model.safetensors differs from the run's model (hash" \
    report --run "$run" --out "$tmp/site_w2" --acts model --model "$tmp/w2/m" --quiet
# the manifest pointing at another model, or at one with a smaller n_ctx
cp -r "$run" "$tmp/moved"
python3 - "$tmp/moved/manifest.json" "$tmp/w2/m" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["model"]["dir"] = sys.argv[2]; json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
expect 1 "differs from the run's model (hash" build --run "$tmp/moved" --neurons 0:37 --augment none --device cpu --quiet
expect 1 "differs from the run's model (hash" export --run "$tmp/moved" --neuron 0:37 --device cpu
cp -r "$tmp/w1/m" "$tmp/small"
python3 - "$tmp/small/config.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["n_ctx"] = 64; json.dump(d, open(sys.argv[1], "w"))
PY
expect 1 "$tmp/small/config.json: n_ctx 64, the run was scraped with 256" \
    build --run "$run" --neurons 0:37 --augment none --device cpu --quiet --model "$tmp/small"
expect 1 "$tmp/small/config.json: n_ctx 64, the run was scraped with 256" \
    export --run "$run" --neuron 0:37 --device cpu --model "$tmp/small"
# a moved run and model: --model names it (and passes the check)
mkdir -p "$tmp/elsewhere" && cp -r "$tmp/w1/m" "$tmp/elsewhere/m2"
"$N2G" export --run "$tmp/moved" --neuron 0:37 --device cpu --model "$tmp/elsewhere/m2" >/dev/null 2>"$tmp/err" && ok ||
    bad "export --model of the same model elsewhere: $(cat "$tmp/err")"
"$N2G" build --run "$tmp/moved" --neurons 0:37 --augment none --device cpu --quiet --model "$tmp/elsewhere/m2" 2>"$tmp/err" &&
    ok || bad "build --model of the same model elsewhere: $(cat "$tmp/err")"
# an older run's relative model.dir is taken relative to the run directory
cp -r "$run" "$tmp/w1/oldrun"
python3 - "$tmp/w1/oldrun/manifest.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["model"]["dir"] = "../m"; json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
(cd "$tmp" && "$N2G" export --run w1/oldrun --neuron 0:37 --device cpu >/dev/null 2>"$tmp/err") && ok ||
    bad "relative model.dir not resolved against the run directory: $(cat "$tmp/err")"

# ---- 4. examples.bin tied to its manifest, checksummed ----
"$N2G" scrape --model "$tmp/w1/m" --out "$tmp/other" "${sargs[@]}" --max-tokens 3200 || bad "second scrape"
cp -r "$run" "$tmp/mixed" && cp "$tmp/other/examples.bin" "$tmp/mixed/examples.bin"
expect 1 "$tmp/mixed/examples.bin belongs to another scrape" export --run "$tmp/mixed" --neuron 0:37 --device cpu
expect 1 "$tmp/mixed/examples.bin belongs to another scrape" build --run "$tmp/mixed" --neurons 0:37 --augment none --device cpu --quiet
expect 1 "$tmp/mixed/examples.bin belongs to another scrape" report --run "$tmp/mixed" --out "$tmp/site_m" --acts none --quiet
expect 1 "examples.bin: made with other parameters" scrape --model "$tmp/w1/m" --out "$tmp/mixed" "${sargs[@]}"
# damage: poke BYTES at OFFSET (python), then every reader must refuse with NEEDLE
poke() { # poke FILE OFFSET HEXBYTES
    python3 - "$@" <<'PY'
import sys
f, off, b = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
with open(f, "r+b") as h:
    h.seek(off); old = h.read(len(b)); h.seek(off)
    h.write(bytes(x ^ y for x, y in zip(old, b)))
PY
}
offs=$(python3 - "$run/examples.bin" <<'PY'
import struct, sys
h = open(sys.argv[1], "rb").read(256)
off = struct.unpack_from("<9Q", h, 72)   # off_layers .. file_bytes, off_fire
print(off[1], off[6])                    # off_val, off_tokens
PY
)
read -r off_val off_tok <<<"$offs"
damage() { # damage TAG OFFSET HEX NEEDLE
    rm -rf "$tmp/d_$1" && cp -r "$run" "$tmp/d_$1"
    poke "$tmp/d_$1/examples.bin" "$2" "$3"
    expect 1 "$4" export --run "$tmp/d_$1" --neuron 0:37 --device cpu
    expect 1 "$4" report --run "$tmp/d_$1" --out "$tmp/site_d" --acts none --quiet
}
damage rows 40 01 "header fails its checksum"        # rows_scanned
damage pos 48 01 "header fails its checksum"         # positions
damage ident 64 01 "header fails its checksum"       # ident_hash
damage val $((off_val + 2)) 01 "section val fails its checksum"
damage tok $((off_tok + 9)) 01 "section tokens, block 0"
rm -rf "$tmp/d_tok2" && cp -r "$run" "$tmp/d_tok2" && poke "$tmp/d_tok2/examples.bin" $((off_tok + 9)) 01
expect 1 "section tokens, block 0" build --run "$tmp/d_tok2" --neurons 1:200 --augment none --device cpu --quiet
expect 1 "section tokens, block 0" scrape --model "$tmp/w1/m" --out "$tmp/d_tok2" "${sargs[@]}" # resume reads them all
# the manifest's scan fields agree with the header
cp -r "$run" "$tmp/scanx"
python3 - "$tmp/scanx/manifest.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["scan"]["rows"] += 5; json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
expect 1 "manifest.json: scan.rows is 105 but examples.bin's header has rows_scanned = 100" \
    export --run "$tmp/scanx" --neuron 0:37 --device cpu

# ---- 5. one tokenizer rule ----
tiny=$SRC/tests/fixtures/gpt2-tiny
cp -r "$tiny" "$tmp/badvocab" && printf '{"!": 0, ' >"$tmp/badvocab/vocab.json"
expect 1 "$tmp/badvocab/vocab.json" acts --model "$tmp/badvocab" --text "hello there" --device cpu
expect 1 "$tmp/badvocab/vocab.json" tokenize --model "$tmp/badvocab" --text "hello there"
expect 1 "$tmp/badvocab/vocab.json" scrape --model "$tmp/badvocab" --out "$tmp/bv_run" "${sargs[@]}"
[ ! -e "$tmp/bv_run/manifest.json" ] && ok || bad "a scrape with a broken vocab.json left a run"
cp -r "$tiny" "$tmp/badmerges" && rm "$tmp/badmerges/merges.txt" && mkdir "$tmp/badmerges/merges.txt" # unreadable
expect 1 "$tmp/badmerges/merges.txt" acts --model "$tmp/badmerges" --text "hello there" --device cpu
cp -r "$tiny" "$tmp/half" && rm "$tmp/half/merges.txt"
expect 1 "$tmp/half/merges.txt: missing" acts --model "$tmp/half" --text "hello there" --device cpu
# a run whose model's vocabulary broke after the scrape: export, report and build name the file
cp -r "$tiny" "$tmp/vm"
"$N2G" scrape --model "$tmp/vm" --out "$tmp/vrun" "${sargs[@]}" || bad "scrape with the model's vocabulary"
[ "$(jget "$tmp/vrun/manifest.json" '["model"]["vocab"]')" = model ] && ok || bad "manifest model.vocab is not \"model\""
cp "$tmp/vm/vocab.json" "$tmp/vocab.keep" && printf 'not json' >"$tmp/vm/vocab.json"
expect 1 "$tmp/vm/vocab.json" export --run "$tmp/vrun" --neuron 0:3 --device cpu
expect 1 "$tmp/vm/vocab.json" report --run "$tmp/vrun" --out "$tmp/site_v" --acts none --quiet
expect 1 "$tmp/vm/vocab.json" build --run "$tmp/vrun" --neurons 0:3 --augment none --device cpu --quiet
cp "$tmp/vocab.keep" "$tmp/vm/vocab.json"
# absent: the bundled vocabulary, with a notice, recorded in the manifest
cp -r "$tiny" "$tmp/novocab" && rm "$tmp/novocab/vocab.json" "$tmp/novocab/merges.txt"
expect 0 "has no tokenizer files" acts --model "$tmp/novocab" --text "hello there" --device cpu
expect 0 "using the bundled GPT-2 vocabulary" tokenize --model "$tmp/novocab" --text "hello there"
[ "$(cat "$tmp/out")" = "31373 612" ] && ok || bad "tokenize with the bundled vocabulary: $(cat "$tmp/out")"
expect 0 "has no tokenizer files" scrape --model "$tmp/novocab" --out "$tmp/nvrun" "${sargs[@]}"
[ "$(jget "$tmp/nvrun/manifest.json" '["model"]["vocab"]')" = bundled-gpt2 ] && ok ||
    bad "manifest model.vocab is not \"bundled-gpt2\""
# the tokenizer's source is part of the model's identity: a run scraped with the bundled one
# refuses a model that now has its own files (or the reverse)
cp "$tiny/vocab.json" "$tiny/merges.txt" "$tmp/novocab/"
expect 1 "the run was scraped with the bundled GPT-2 vocabulary" export --run "$tmp/nvrun" --neuron 0:3 --device cpu

# ---- 6. one writer per run directory ----
lrun=$tmp/locked
"$N2G" scrape --model "$tmp/w1/m" --out "$lrun" --corpus "$corpus" --ctx 64 --top-k 5 --device cpu --quiet \
    --batch 1 --checkpoint-secs 0 &
pid=$!
for _ in $(seq 100); do [ -e "$lrun/.lock" ] && break; sleep 0.05; done
if [ -e "$lrun/.lock" ] && kill -0 $pid 2>/dev/null; then
    t0=$(date +%s%N)
    expect 1 "another n2g (pid $pid) is writing $lrun" scrape --model "$tmp/w1/m" --out "$lrun" --corpus "$corpus" \
        --ctx 64 --top-k 5 --device cpu --quiet
    expect 1 "another n2g (pid $pid) is writing $lrun" build --run "$lrun" --neurons 0:37 --augment none --device cpu --quiet
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ] && ok || bad "the second writer was not refused at once"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    [ -e "$lrun/.lock" ] && ok || bad "kill -9 left no lock file (the stale case is not tested)"
    # the stale lock (its process is gone) is taken over; the finished run leaves no lock file
    "$N2G" scrape --model "$tmp/w1/m" --out "$lrun" --corpus "$corpus" --ctx 64 --top-k 5 --device cpu --quiet 2>"$tmp/err" &&
        ok || bad "a stale lock was not taken over: $(cat "$tmp/err")"
    [ ! -e "$lrun/.lock" ] && ok || bad "the lock file was left behind"
else
    bad "the scrape took no lock ($lrun/.lock)"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
fi
echo 999999 >"$run/.lock" # a lock file whose process is gone
"$N2G" build --run "$run" --neurons 0:150 --augment none --device cpu --quiet 2>"$tmp/err" && ok ||
    bad "build with a stale lock file: $(cat "$tmp/err")"
[ ! -e "$run/.lock" ] && ok || bad "build left the lock file"

# ---- 8. a full disk while examples.bin is written: the manifest never says "complete" ----
# (a file size limit makes the write fail with EFBIG, as a full disk fails it with ENOSPC)
(trap '' XFSZ; ulimit -f 16; exec "$N2G" scrape --model "$tmp/w1/m" --out "$tmp/full" "${sargs[@]}") 2>"$tmp/err.full"
rc=$?
[ $rc -eq 1 ] && grep -q "examples.bin" "$tmp/err.full" && ok || bad "a failed examples.bin write: rc $rc, $(cat "$tmp/err.full")"
if [ -e "$tmp/full/manifest.json" ] && grep -q '"complete": true' "$tmp/full/manifest.json"; then
    bad "manifest.json says complete without examples.bin ($(ls "$tmp/full"))"
else
    ok
fi
[ -z "$(ls "$tmp/full" | grep '\.tmp')" ] && ok || bad "temporary files left: $(ls "$tmp/full")"
"$N2G" scrape --model "$tmp/w1/m" --out "$tmp/full" "${sargs[@]}" 2>"$tmp/err" || bad "rerun after the failed write: $(cat "$tmp/err")"
cmp -s "$tmp/full/examples.bin" "$run/examples.bin" && ok || bad "the rerun's examples.bin differs from an uninterrupted run's"

# ---- 10. corpus problems counted per file, in the manifest and the summary ----
python3 - "$tmp/c.jsonl" "$tmp/c.txt" "$corpus" <<'PY'
import json, sys
text = open(sys.argv[3], encoding="utf-8").read()
paras = [p for p in text.split("\n\n") if p.strip()]
with open(sys.argv[1], "w") as f:          # 7 bad lines among good ones
    for i, p in enumerate(paras[:60]):
        f.write(json.dumps({"text": p}) + "\n")
        if i % 8 == 3 and i < 56:
            f.write(['not json', '{"title": "x"}', '{"text": 5}', '[1, 2]'][(i // 8) % 4] + "\n")
with open(sys.argv[2], "wb") as f:         # 9 invalid sequences
    body = text.encode("ascii", "ignore")[:20000]
    for i in range(9):
        f.write(body[i * 2000:(i + 1) * 2000] + (b"\xff" if i % 2 else b"\xe2\x82"))
    f.write(body[18000:])
PY
bad_lines=$(python3 -c "
import json,sys
n=0
for l in open(sys.argv[1]):
    try: d=json.loads(l); ok=isinstance(d,dict) and isinstance(d.get('text'),str)
    except Exception: ok=False
    n+= not ok
print(n)" "$tmp/c.jsonl")
replaced=$(python3 -c "import sys; print(open(sys.argv[1],'rb').read().decode('utf-8','replace').count('\ufffd'))" "$tmp/c.txt")
"$N2G" scrape --model "$tmp/w1/m" --out "$tmp/crun" --corpus "$tmp/c.jsonl" "$tmp/c.txt" --ctx 64 --top-k 3 \
    --device cpu --quiet 2>"$tmp/err.c" || bad "scrape of the damaged corpus: $(cat "$tmp/err.c")"
python3 - "$tmp/crun/manifest.json" "$bad_lines" "$replaced" <<'PY' && ok || bad "manifest corpus counts"
import json, sys
f = json.load(open(sys.argv[1]))["corpus"]["files"]
assert f[0]["skipped_lines"] == int(sys.argv[2]) and f[0]["replaced_invalid_utf8"] == 0, f[0]
assert f[1]["skipped_lines"] == 0 and f[1]["replaced_invalid_utf8"] == int(sys.argv[3]), f[1]
assert f[0]["truncated"] is False and f[1]["truncated"] is False, f
PY
[ "$bad_lines" -eq 7 ] && [ "$replaced" -eq 9 ] && ok || bad "corpus oracle: $bad_lines bad lines, $replaced replaced"
grep -q "c.jsonl: 7 JSONL lines skipped; .*c.txt: 9 invalid UTF-8 sequences replaced" "$tmp/err.c" && ok ||
    bad "summary lacks the counts: $(tail -2 "$tmp/err.c")"
[ "$(grep -c 'c.jsonl:[0-9]*:' "$tmp/err.c")" -le 5 ] && ok || bad "more than 5 warnings for c.jsonl"
# the counts are not identity: a rerun of the finished run keeps them
"$N2G" scrape --model "$tmp/w1/m" --out "$tmp/crun" --corpus "$tmp/c.jsonl" "$tmp/c.txt" --ctx 64 --top-k 3 \
    --device cpu --quiet 2>/dev/null || bad "rerun of a complete run"
python3 -c "import json,sys; f=json.load(open(sys.argv[1]))['corpus']['files']; assert f[0]['skipped_lines']==7" \
    "$tmp/crun/manifest.json" && ok || bad "a rerun lost the counts"

# ---- 11. progress: the share of rows processed ----
"$N2G" scrape --model "$tmp/w1/m" --out "$tmp/prun" --corpus "$corpus" --ctx 64 --top-k 5 --device cpu --batch 2 \
    2>"$tmp/err.p" || bad "scrape with a progress bar: $(cat "$tmp/err.p")"
total=$(jget "$tmp/prun/manifest.json" '["scan"]["rows"]')
python3 - "$tmp/err.p" "$total" <<'PY' && ok || bad "progress: $(grep '^scrape' "$tmp/err.p" | head -2)"
import re, sys
total = int(sys.argv[2])
lines = [l for l in open(sys.argv[1]) if l.startswith("scrape [")]
assert lines, "no progress line"
m = re.match(r"scrape \[[#.]+\]\s+(\d+)% (\d+) rows", lines[0])
pct, rows = int(m.group(1)), int(m.group(2))
assert rows < total / 2, (rows, total)             # the first line comes after the first batch
assert abs(pct - 100.0 * rows / total) <= 10, (pct, rows, total)
PY

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
