#!/usr/bin/env bash
# deps.sh — installs the Debian/Ubuntu packages n2g needs, only those that are missing.
#   scripts/deps.sh            build + run dependencies
#   scripts/deps.sh --test     also what the test suite needs (validation layers, chromium, clang)
set -euo pipefail

pkgs=(build-essential cmake ninja-build pkg-config python3
      libvulkan-dev libvulkan1 libvulkan-volk-dev glslang-tools spirv-tools
      mesa-vulkan-drivers vulkan-tools
      libzstd-dev zlib1g-dev graphviz)
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=(vulkan-validationlayers chromium fonts-dejavu-core clang libclang-rt-14-dev zstd gzip procps bc)
  pkgs+=(libopenmpi-dev openmpi-bin) # test_mpi.sh: mpirun -np 2
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "n2g: installing missing packages: ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
