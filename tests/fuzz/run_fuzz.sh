#!/usr/bin/env bash
# run_fuzz.sh — builds the libFuzzer targets with clang (build-fuzz/, the whole library
# instrumented) and runs each from small seed corpora: the readers of every file n2g reads but
# did not necessarily write — tokenizer input (bpe), corpora, safetensors, JSON itself,
# config.json through the GPT-2 / DistilBERT loaders, graph JSON, samples files, casing tables,
# neuron_store.json and stats.json (report_esc: how the report carries them into its pages), and
# a run directory's manifest.json + examples.bin.
# Usage: tests/fuzz/run_fuzz.sh [SECONDS]    explore: SECONDS in all, shared by the targets, random seeds
#        tests/fuzz/run_fuzz.sh --ci         deterministic: fixed seed and run counts (CI), so a
#                                            pass here is a pass there (about 5-15 s per target here)
#        N2G_FUZZ_BUILD=DIR                  build directory (default build-fuzz)
#        N2G_FUZZ_TARGETS="json graph"       run only these targets
# Seeds: generated below (bpe, corpus, safetensors) and committed in tests/fuzz/seeds/NAME/
# (small real files from the tests' runs: a planted model's graphs, stats.json, neuron_store.json,
# casing table, configs, samples files). New inputs a run finds go to a temporary directory, never
# into the committed seeds; crash inputs land in the build directory (reproduce:
# build-fuzz/fuzz_NAME FILE).
set -euo pipefail
secs="${1:-30}" ci=0
if [[ "$secs" == "--ci" ]]; then secs=30 ci=1; fi
cd "$(dirname "$0")/../.."
dir=${N2G_FUZZ_BUILD:-build-fuzz}
# name : CI runs : max input length
table=(
  bpe:6000:4096
  corpus:12000:4096
  safetensors:40000:65536
  json:20000:4096
  config:10000:4096
  graph:20000:8192
  samples:20000:8192
  casings:15000:8192
  store:10000:8192
  stats:10000:8192
  report_esc:8000:8192
  run:3000:16384
)
names=()
for t in "${table[@]}"; do
  n=${t%%:*}
  if [[ -z "${N2G_FUZZ_TARGETS:-}" || " $N2G_FUZZ_TARGETS " == *" $n "* ]]; then names+=("$n"); fi
done
if [[ ! -f $dir/CMakeCache.txt ]]; then
  CC=clang cmake -S . -B $dir -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DN2G_FUZZ=ON \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
fi
cmake --build $dir --target "${names[@]/#/fuzz_}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
seeds=$work/seeds/bpe cseeds=$work/seeds/corpus sseeds=$work/seeds/safetensors
mkdir -p "$seeds" "$cseeds" "$sseeds"
# safetensors seeds: the small committed fixtures's weight files
for f in tests/fixtures/gpt2-f16/model.safetensors tests/fixtures/gpt2-bf16/model.safetensors; do
  [[ -f $f ]] && head -c 65536 "$f" > "$sseeds/$(basename "$(dirname "$f")")"
done
python3 - "$seeds" tests/fixtures/tokenizer_golden.json <<'PY'
import json, sys
for i, c in enumerate(json.load(open(sys.argv[2]))["cases"]):
    open("%s/seed%02d" % (sys.argv[1], i), "wb").write(c["text"].encode("utf-8")[:4096])
PY
printf '\xff\xfe\xe2\x82 \xf0\x9f\x98 abc\x00 <|endoftext|' > "$seeds/invalid_utf8"
# corpus seeds: first byte = format (odd: JSONL) and n_ctx; then the file's bytes
printf '\x11{"text": "a doc"}\n{"text": 1}\nnot json\n{"text": "b \\u00e9<|endoftext|>"}\n' > "$cseeds/jsonl"
# regression: an empty "text" first in a slot (memcpy from a NULL slot buffer; found by this fuzzer)
printf '\x11{"text": ""}\nocad {"ext": 0}\nnot json\n{"7ext": "b"}\n' > "$cseeds/empty_text_first"
printf '\x10plain text \xff\xfe with bad bytes\r\n and more  words\n' > "$cseeds/txt"
{ printf '\x20'; printf 'compressed text document\n' | gzip -c; } > "$cseeds/gz"
{ printf '\x21'; printf '{"text": "zstd line"}\n' | zstd -q -c 2>/dev/null || true; } > "$cseeds/zst"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# run seeds: a valid small run (manifest + examples.bin with checksums) that fuzz_run writes itself
if [[ " ${names[*]} " == *" run "* ]]; then
  mkdir -p "$work/seeds/run"
  N2G_FUZZ_SEED_DIR="$work/seeds/run" "$dir/fuzz_run" -runs=0 >/dev/null 2>&1
fi
each=$(( (secs + ${#names[@]} - 1) / ${#names[@]} ))
for t in "${table[@]}"; do
  IFS=: read -r n runs len <<<"$t"
  [[ " ${names[*]} " == *" $n "* ]] || continue
  if [[ $ci == 1 ]]; then limits=(-seed=1 -runs="$runs"); else limits=(-max_total_time="$each"); fi
  corpora=("$work/new_$n")
  mkdir -p "$work/new_$n"
  [[ -d $work/seeds/$n ]] && corpora+=("$work/seeds/$n")
  [[ -d tests/fuzz/seeds/$n ]] && corpora+=("tests/fuzz/seeds/$n")
  echo "== fuzz_$n"
  start=$SECONDS
  "$dir/fuzz_$n" "${limits[@]}" -max_len="$len" -timeout=10 -print_final_stats=1 -artifact_prefix="$dir/" "${corpora[@]}" \
    2>"$work/log" || { tail -60 "$work/log"; echo "fuzz_$n FAILED (input in $dir/)"; exit 1; }
  grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)" "$work/log" | tr '\n' ' '
  echo "($((SECONDS - start)) s)"
done
