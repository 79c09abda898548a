#!/usr/bin/env bash
# test.sh — set-up command 2: install what is missing, build, run the whole test suite.
#   scripts/test.sh           Release build, all tests (Vulkan tests on lavapipe when no GPU)
#   scripts/test.sh --asan    the same under AddressSanitizer + UBSan (build-asan/)
#   scripts/test.sh --validation   all tests with the Khronos validation layer on
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
scripts/deps.sh --test
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
jobs=$(nproc)
case "$mode" in
  --asan)
    dir=build-asan
    cmake -S . -B $dir -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DN2G_SANITIZE=ON >/dev/null
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ;;
  --validation)
    dir=build
    cmake -S . -B $dir -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    export N2G_VALIDATION=1
    ;;
  "")
    dir=build
    cmake -S . -B $dir -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    ;;
  *) echo "usage: scripts/test.sh [--asan|--validation]" >&2; exit 2 ;;
esac
cmake --build $dir
cd $dir
ctest --output-on-failure -j "$jobs" --timeout 900
