#!/usr/bin/env bash
# gpu.sh — the one-call GPU benchmark: on a machine with a Vulkan GPU and the project's Release
# build, prints one Markdown table (and writes it to --out):
#   - `n2g devices` (the device benchmarked, its driver);
#   - the GPU-reachable tests (ops parity, model parity, DistilBERT, top-k, probe, scrape), run
#     as their binaries: pass / fail with their closing line;
#   - kernel GFLOP/s (bench_kernels, the gpu family and its first version v1) beside PyTorch's
#     addmm and scaled_dot_product_attention on the same shapes (bench/torch_kernels.py);
#   - forward tokens/s to the last MLP at 8 x 128 and 16 x 1024 (bench_forward) beside the
#     PyTorch fp32 forward (bench/torch_forward.py, TF32 off), as a ratio;
#   - scrape tokens/s (bench_scrape: 16 x 1024, 12 layers, top-k on the device);
#   - `n2g build` seconds per neuron at layers 0, 5 and 11 (64 neurons each, --no-svg) of a
#     GPT-2-small-shaped random model scraped on moby_dick.txt with --fire-lists, and a whole
#     layer (11, default flags), beside the reference pipeline's forward-pass pattern on the same
#     model (bench/ref_emulate.py --estimate, a lower bound) as a speed-up.
# PyTorch rows run when `import torch` works (on CUDA / ROCm when it has them, else the CPU);
# --no-torch skips them. Under 5 minutes on a data-centre GPU.
#
#   bench/gpu.sh [--build DIR] [--device N] [--out FILE] [--work DIR] [--small] [--no-torch] [--no-tests]
#
# --small: tiny shapes and a 2-layer model, the gpu kernel family forced (for CI on lavapipe:
# tests/test_gpu_sh.sh). GPU_SH_TESTS="test_a test_b" overrides the test list, GPU_SH_SECTIONS
# (any of "tests kernels forward scrape build") the sections run.
# On a machine with the NVIDIA driver but no Vulkan loader: when libvulkan.so.1 is missing and
# the checkout carries the loader's .deb in .gl/ (../shared/tools/device-vulkan-setup.sh says how
# to fetch it), the .deb is unpacked first and NVIDIA's ICD is pointed at.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=$ROOT/build DEV="" OUT="" WORK="" SMALL=0 TORCH=1 TESTS=1
while [ $# -gt 0 ]; do
    case "$1" in
    --build) BUILD=$2; shift ;;
    --device) DEV=$2; shift ;;
    --out) OUT=$2; shift ;;
    --work) WORK=$2; shift ;;
    --small) SMALL=1 ;;
    --no-torch) TORCH=0 ;;
    --no-tests) TESTS=0 ;;
    -h | --help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "gpu.sh: no build directory (--build DIR)" >&2; exit 2; }
N2G=$BUILD/n2g
[ -x "$N2G" ] || { echo "gpu.sh: $N2G not found: build first (cmake -S . -B build -G Ninja && cmake --build build)" >&2; exit 2; }
T_START=$(date +%s.%N)

# ---- environment: Vulkan loader, data ----
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
    if ls "$ROOT"/.gl/*.deb >/dev/null 2>&1; then
        for f in "$ROOT"/.gl/*.deb; do dpkg -x "$f" / || exit 1; done
        ldconfig
        echo "gpu.sh: Vulkan loader unpacked from .gl/" >&2
    else
        echo "gpu.sh: warning: no Vulkan loader (libvulkan.so.1) and no .gl/*.deb to unpack; see ../shared/tools/device-vulkan-setup.sh" >&2
    fi
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-$UID}
mkdir -p "$XDG_RUNTIME_DIR"
export N2G_SOURCE_DIR=${N2G_SOURCE_DIR:-$ROOT}
[ -n "${N2G_DATA:-}" ] || [ ! -d "$ROOT/data" ] || export N2G_DATA=$ROOT/data
if [ -z "${N2G_SHARED_DIR:-}" ]; then
    if [ -d "$ROOT/.gpu/data" ]; then export N2G_SHARED_DIR=$ROOT/.gpu
    elif [ -d "$ROOT/../shared/data" ]; then export N2G_SHARED_DIR=$(cd "$ROOT/../shared" && pwd)
    fi
fi
SHARED=${N2G_SHARED_DIR:-}
[ -n "$SHARED" ] && export N2G_VOCAB=${N2G_VOCAB:-$SHARED/data/gpt2-tokenizer}
[ "$SMALL" = 1 ] && export N2G_VARIANT=${N2G_VARIANT:-gpu}
W=${WORK:-$(mktemp -d /tmp/n2g-gpu-XXXXXX)}
mkdir -p "$W"
LOG=$W/log.txt
: >"$LOG"
HAVE_TORCH=0
if [ "$TORCH" = 1 ] && python3 -c "import torch, transformers" >/dev/null 2>&1; then HAVE_TORCH=1; fi

ROWS=()  # table rows "measure|n2g|peer|ratio"
SECTIONS=${GPU_SH_SECTIONS:-all}
on() { [ "$SECTIONS" = all ] || [[ " $SECTIONS " == *" $1 "* ]]; }
row() { ROWS+=("$1|$2|$3|$4"); }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2fx' % (a / b) if a > 0 and b > 0 else '-')" "$1" "$2" 2>/dev/null || echo -; }
num() { [ -n "$1" ] && echo "$1" || echo -; }
step() {
    echo "gpu.sh: $*" >&2
    echo "== [$(python3 -c "print('%.1f' % ($(date +%s.%N) - $T_START))") s] $*" >>"$LOG"
}

# ---- devices ----
step "n2g devices"
DEVS=$("$N2G" devices 2>&1)
echo "$DEVS" >>"$LOG"
if [ -z "$DEV" ]; then DEV=$(echo "$DEVS" | sed -n 's/^\* vk:\([0-9]*\).*/\1/p' | head -1); fi
if [ -z "$DEV" ]; then echo "gpu.sh: no Vulkan device:"; echo "$DEVS"; exit 1; fi
DNAME=$(echo "$DEVS" | sed -n "s/^[* ] vk:$DEV  *//p" | head -1)
DDRV=$(echo "$DEVS" | awk -v d="vk:$DEV" '$0 ~ d" " {f = 1; next} f && /driver/ {sub(/^ *driver /, ""); print; exit}')
DTYPE=$(echo "$DEVS" | awk -v d="vk:$DEV" '$0 ~ d" " {f = 1; next} f && /type/ {sub(/^ *type /, ""); print; exit}')
row "device" "vk:$DEV $DNAME ($DTYPE)" "driver $DDRV" ""

# ---- tests ----
if [ "$TESTS" = 1 ] && on tests; then
    if [ -n "${GPU_SH_TESTS:-}" ]; then TL=$GPU_SH_TESTS
    elif [ "$SMALL" = 1 ]; then TL="test_topk"
    else TL="test_ops_parity test_model_parity test_distilbert test_topk test_probe test_scrape"; fi
    for t in $TL; do
        step "test $t"
        if [ ! -x "$BUILD/$t" ]; then row "test $t" "missing" "" ""; continue; fi
        out=$(cd "$BUILD" && timeout 600 "./$t" 2>&1)
        rc=$?
        echo "$out" >>"$LOG"
        last=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
        row "test $t" "$([ $rc = 0 ] && echo passed || echo "FAILED (exit $rc)")" "${last:-no summary}" ""
    done
fi

# ---- kernels ----
if on kernels; then
if [ "$SMALL" = 1 ]; then KA=(--rows 32 --seq 32 --batch 2 --reps 1); else KA=(--rows 1024 --seq 1024 --batch 16 --reps 10); fi
step "bench_kernels ${KA[*]}"
"$BUILD/bench_kernels" --device "$DEV" --variant gpu --no-cpu --tsv "${KA[@]}" >"$W/kernels.tsv" 2>>"$LOG"
cat "$W/kernels.tsv" >>"$LOG"
if [ "$HAVE_TORCH" = 1 ]; then
    step "torch_kernels.py"
    python3 "$HERE/torch_kernels.py" "${KA[@]:0:6}" >"$W/torch_kernels.tsv" 2>>"$LOG"
    cat "$W/torch_kernels.tsv" >>"$LOG"
else
    : >"$W/torch_kernels.tsv"
fi
TORCH_DEV=$(sed -n 's/^device\t//p' "$W/torch_kernels.tsv")
while IFS=$'\t' read -r k col g; do
    [ "$k" = device ] && continue
    [ "$col" = "vk gpu" ] || continue
    v1=$(awk -F'\t' -v k="$k" '$1 == k && $2 == "vk gpu v1" {print $3}' "$W/kernels.tsv")
    tg=$(awk -F'\t' -v k="$k" '$1 == k && $2 == "torch" {print $3}' "$W/torch_kernels.tsv")
    row "$k, GFLOP/s" "$g (v1 $(num "$v1"))" "$(num "$tg")" "$(ratio "$g" "$tg")"
done <"$W/kernels.tsv"
fi

# ---- forward ----
if on forward; then
tokps() { sed -n 's/.*, \([0-9.]*\) tokens\/s.*/\1/p' | sort -g | tail -1; }
if [ "$SMALL" = 1 ]; then FW=("2 16" "2 64"); FL=(--layers 1 --iters 1 --warmup 0); else FW=("8 128" "16 1024"); FL=(--iters 5); fi
for bt in "${FW[@]}"; do
    set -- $bt
    step "bench_forward $1 x $2"
    n=$("$BUILD/bench_forward" --device vk --vk "$DEV" --batch "$1" --seq "$2" "${FL[@]}" 2>>"$LOG" | tee -a "$LOG" | tokps)
    t=""
    if [ "$HAVE_TORCH" = 1 ]; then
        t=$(python3 "$HERE/torch_forward.py" --device auto --batch "$1" --seq "$2" "${FL[@]}" 2>>"$LOG" | tee -a "$LOG" | tokps)
    fi
    row "forward to the last MLP, $1 x $2, tokens/s" "$(num "$n")" "$(num "$t")" "$(ratio "$n" "$t")"
done
fi

# ---- scrape ----
if on scrape; then
if [ "$SMALL" = 1 ]; then SA=(--ctx 32 --batch 2 --iters 1 --layers 1); else SA=(--ctx 1024 --batch 16 --iters 3 --layers 12); fi
step "bench_scrape ${SA[*]}"
s=$("$BUILD/bench_scrape" --device "$DEV" "${SA[@]}" 2>>"$LOG" | tee -a "$LOG" | awk -F'|' '/^\| vk/ {gsub(/ /, "", $7); print $7}' | tail -1)
row "scrape (${SA[*]}), tokens/s" "$(num "$s")" "" ""
fi

# ---- n2g build ----
if ! on build; then
    :
elif [ -z "$SHARED" ] || [ ! -d "$SHARED/data/gpt2-tokenizer" ]; then
    row "n2g build" "skipped: no shared/data (N2G_SHARED_DIR)" "" ""
else
    if [ "$SMALL" = 1 ]; then
        MM=(--layers 2 --embd 64 --heads 4 --ctx 128); LAYERS="0 1"; NB=2
        WHOLE=$(python3 -c "print(','.join('1:%d' % i for i in range(8)))") # a 32nd of the layer
        CORPUS=$SHARED/data/corpus/fixture_small.txt; SC=(--ctx 64 --max-tokens 8192)
    else
        MM=(); LAYERS="0 5 11"; NB=64; WHOLE="11:*"
        CORPUS=$SHARED/data/corpus/moby_dick.txt; SC=()
    fi
    step "model and scrape"
    M=$W/model
    if [ ! -f "$M/model.safetensors" ]; then
        "$BUILD/bench_make_model" --out "$M" "${MM[@]}" >>"$LOG" 2>&1
        cp "$SHARED/data/gpt2-tokenizer/encoder.json" "$M/vocab.json"
        cp "$SHARED/data/gpt2-tokenizer/vocab.bpe" "$M/merges.txt"
    fi
    t0=$(date +%s.%N)
    "$N2G" scrape --model "$M" --corpus "$CORPUS" --out "$W/scrape" --layers "$(echo $LAYERS | tr ' ' ,)" \
        --fire-lists --device "$DEV" --quiet "${SC[@]}" >>"$LOG" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    row "n2g scrape --fire-lists, layers $(echo $LAYERS | tr ' ' ,), $(basename "$CORPUS")" \
        "$([ $rc = 0 ] && python3 -c "print('%.1f s' % ($t1 - $t0))" || echo "FAILED")" "" ""
    # one build: LAYER TAG NEURONS [ARGS...] -> seconds (wall, incl. model load); "" on failure
    build() {
        local run=$W/run_$2 t0 t1
        rm -rf "$run"
        cp -r "$W/scrape" "$run"
        t0=$(date +%s.%N)
        "$N2G" build --run "$run" --neurons "$3" --device "$DEV" --quiet "${@:4}" >>"$LOG" 2>&1 || return 1
        t1=$(date +%s.%N)
        python3 -c "print($t1 - $t0)"
    }
    for L in $LAYERS; do
        step "n2g build layer $L ($NB neurons)"
        list=$(python3 -c "print(','.join('$L:%d' % i for i in range($NB)))")
        sec=$(build "$L" "L$L" "$list" --no-svg)
        per=$([ -n "$sec" ] && python3 -c "print('%.4f' % ($sec / $NB))")
        ref=""
        if [ "$HAVE_TORCH" = 1 ] && [ -n "$per" ]; then
            ref=$(python3 "$HERE/ref_emulate.py" --estimate --device auto "$M" "$W/run_L$L" $(echo "$list" | tr , ' ') 2>>"$LOG" |
                tee -a "$LOG" | sed -n 's/.* = \([0-9.]*\) s (estimate.*/\1/p')
        fi
        row "n2g build layer $L, $NB neurons (--no-svg), s/neuron" "$(num "$per")" "$(num "$ref") (reference pattern, lower bound)" \
            "$(ratio "$ref" "$per") speed-up"
    done
    WL=${WHOLE%%:*}
    [ "$SMALL" = 1 ] && WN="1:0..7" || WN=$WHOLE
    step "n2g build --neurons $WN"
    sec=$(build "$WL" whole "$WHOLE")
    cnt=$(ls "$W/run_whole/build" 2>/dev/null | wc -l)
    row "n2g build --neurons $WN (default flags), seconds" \
        "$([ -n "$sec" ] && python3 -c "print('%.1f s (%d neurons, %.4f s/neuron)' % ($sec, $cnt, $sec / max($cnt, 1)))" || echo FAILED)" "" ""
fi

# ---- the table ----
T_END=$(date +%s.%N)
{
    echo "# n2g GPU benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "command: bench/gpu.sh $([ "$SMALL" = 1 ] && echo --small) $([ "$TORCH" = 0 ] && echo --no-torch); build $BUILD;" \
        "host $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo "peer: $([ "$HAVE_TORCH" = 1 ] && echo "PyTorch (${TORCH_DEV:-?}), fp32, TF32 off" || echo "none (PyTorch not importable or --no-torch)")"
    echo
    echo "| measure | n2g | peer | ratio n2g / peer |"
    echo "|---|---|---|---|"
    for r in "${ROWS[@]}"; do echo "| ${r//|/ | } |"; done
    echo
    python3 -c "print('gpu.sh: %.0f s in all; details in $LOG' % ($T_END - $T_START))"
} | tee "${OUT:-$W/table.md}"
grep -q "FAILED" "${OUT:-$W/table.md}" && exit 1
exit 0
