#!/usr/bin/env bash
# run_forward.sh — n2g's CPU backend (and Vulkan when present) vs PyTorch (HF GPT2Model) on the
# same GPT-2-small-shaped forward (12 layers up to the last MLP GELU, B x T = 8 x 128), same
# thread count, in the same run. Rounds alternate n2g and torch so that load from other processes
# hits both alike; each side's best round counts. Prints the ratio n2g / torch (tokens/s).
#   bench/run_forward.sh [BUILD_DIR] [THREADS] [ROUNDS]     (THREADS 0 = all cores)
set -eu
BUILD=${1:-build}
THREADS=${2:-0}
ROUNDS=${3:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$THREADS" -gt 0 ] || THREADS=$(nproc)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
best() { sed -n 's/.*, \([0-9.]*\) tokens\/s.*/\1/p' | sort -g | tail -1; }
: >/tmp/n2g_fwd_$$ ; : >/tmp/torch_fwd_$$
for r in $(seq "$ROUNDS"); do
    "$BUILD/bench_forward" --device cpu --threads "$THREADS" --iters 3 | tee -a /tmp/n2g_fwd_$$
    python3 "$HERE/torch_forward.py" --threads "$THREADS" --iters 3 2>/dev/null | tee -a /tmp/torch_fwd_$$
done
if [ "${N2G_BENCH_VK:-1}" = 1 ]; then "$BUILD/bench_forward" --device vk --iters 2 || true; fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
n=$(best </tmp/n2g_fwd_$$)
t=$(best </tmp/torch_fwd_$$)
rm -f /tmp/n2g_fwd_$$ /tmp/torch_fwd_$$
python3 -c "print('best: n2g cpu %.1f tokens/s, torch %.1f tokens/s, ratio n2g/torch %.2f' % ($n, $t, $n / $t))"
