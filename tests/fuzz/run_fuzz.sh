#!/usr/bin/env bash
# run_fuzz.sh — builds the libFuzzer targets with clang (build-fuzz/, the whole library
# instrumented) and runs each for SECONDS (default 30) from a small seed corpus.
# Usage: tests/fuzz/run_fuzz.sh [SECONDS]
set -euo pipefail
secs="${1:-30}"
cd "$(dirname "$0")/../.."
dir=build-fuzz
if [[ ! -f $dir/CMakeCache.txt ]]; then
  CC=clang cmake -S . -B $dir -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DN2G_FUZZ=ON \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
fi
cmake --build $dir --target fuzz_bpe
seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
python3 - "$seeds" tests/fixtures/tokenizer_golden.json <<'PY'
import json, sys
for i, c in enumerate(json.load(open(sys.argv[2]))["cases"]):
    open("%s/seed%02d" % (sys.argv[1], i), "wb").write(c["text"].encode("utf-8")[:4096])
PY
printf '\xff\xfe\xe2\x82 \xf0\x9f\x98 abc\x00 <|endoftext|' > "$seeds/invalid_utf8"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$dir/fuzz_bpe" -max_total_time="$secs" -max_len=4096 -timeout=10 -print_final_stats=1 "$seeds"
