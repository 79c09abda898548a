#!/usr/bin/env bash
# run_fuzz.sh — builds the libFuzzer targets with clang (build-fuzz/, the whole library
# instrumented) and runs each from small seed corpora.
# Usage: tests/fuzz/run_fuzz.sh [SECONDS]    explore: SECONDS in all, a third each, random seeds
#        tests/fuzz/run_fuzz.sh --ci         deterministic: fixed seed and run counts (CI), so a
#                                            pass here is a pass there (about 15 s each here)
set -euo pipefail
secs="${1:-30}"
[[ "$secs" == "--ci" ]] && secs=30
cd "$(dirname "$0")/../.."
dir=build-fuzz
if [[ ! -f $dir/CMakeCache.txt ]]; then
  CC=clang cmake -S . -B $dir -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DN2G_FUZZ=ON \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
fi
cmake --build $dir --target fuzz_bpe fuzz_corpus fuzz_safetensors
seeds="$(mktemp -d)" cseeds="$(mktemp -d)" sseeds="$(mktemp -d)"
trap 'rm -rf "$seeds" "$cseeds" "$sseeds"' EXIT
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
half=$(( (secs + 2) / 3 ))
if [[ "${1:-}" == "--ci" ]]; then
  limits_bpe=(-seed=1 -runs=6000) limits_corpus=(-seed=1 -runs=12000) limits_st=(-seed=1 -runs=40000)
else
  limits_bpe=(-max_total_time="$half") limits_corpus=("${limits_bpe[@]}") limits_st=("${limits_bpe[@]}")
fi
# crash inputs land in build-fuzz/ (reproduce: build-fuzz/fuzz_corpus FILE)
"$dir/fuzz_bpe" "${limits_bpe[@]}" -max_len=4096 -timeout=10 -print_final_stats=1 -artifact_prefix="$dir/" "$seeds"
"$dir/fuzz_corpus" "${limits_corpus[@]}" -max_len=4096 -timeout=10 -print_final_stats=1 -artifact_prefix="$dir/" "$cseeds"
"$dir/fuzz_safetensors" "${limits_st[@]}" -max_len=65536 -timeout=10 -print_final_stats=1 -artifact_prefix="$dir/" "$sseeds"
