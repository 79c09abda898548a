#!/usr/bin/env bash
# test.sh — set-up command 2: install what is missing, build, run the whole test suite.
#   scripts/test.sh           Release build, all tests (Vulkan tests on lavapipe when no GPU)
#   scripts/test.sh --asan    the same under AddressSanitizer + UBSan (build-asan/)
#   scripts/test.sh --validation   all tests with the Khronos validation layer on
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
scripts/deps.sh --test
shared="${N2G_SHARED_DIR:-$(pwd)/../shared}"
if [[ ! -d "$shared/data/corpus" || ! -d "$shared/data/gpt2-tokenizer" ]]; then
  echo "n2g: the tests need the project's shared data folder (data/corpus, data/gpt2-tokenizer) at" >&2
  echo "     $shared — put it beside the checkout or set N2G_SHARED_DIR" >&2
  exit 2
fi
export N2G_SHARED_DIR="$(cd "$shared" && pwd)"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
jobs=$(nproc)
case "$mode" in
  --asan)
    dir=build-asan
    cmake -S . -B $dir -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DN2G_SANITIZE=ON -DN2G_SHARED_DIR="$N2G_SHARED_DIR" >/dev/null
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ;;
  --validation)
    dir=build
    cmake -S . -B $dir -G Ninja -DCMAKE_BUILD_TYPE=Release -DN2G_SHARED_DIR="$N2G_SHARED_DIR" >/dev/null
    export N2G_VALIDATION=1
    ;;
  "")
    dir=build
    cmake -S . -B $dir -G Ninja -DCMAKE_BUILD_TYPE=Release -DN2G_SHARED_DIR="$N2G_SHARED_DIR" >/dev/null
    ;;
  *) echo "usage: scripts/test.sh [--asan|--validation]" >&2; exit 2 ;;
esac
cmake --build $dir
cd $dir
ctest --output-on-failure -j "$jobs" --timeout 900
