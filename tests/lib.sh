# lib.sh — shared set-up for the shell tests that run the pipeline on the planted model.
# Source it after `set -u` and N2G=...; it needs N2G_SHARED_DIR (ctest sets it).
DATA=${N2G_SHARED_DIR:?N2G_SHARED_DIR must name the shared/ folder}/data
export N2G_VOCAB=${N2G_VOCAB:-$DATA/gpt2-tokenizer}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-$UID}
mkdir -p "$XDG_RUNTIME_DIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# plant_and_scrape: $tmp/model (n2g plant) scraped on the CPU into $tmp/scrape from
# fixture_small.txt; sets $neurons to the planted neurons as "L:N,L:N,..." (from planted.json).
plant_and_scrape() {
    "$N2G" plant --out "$tmp/model" >/dev/null || { echo "FAIL: n2g plant" >&2; exit 1; }
    "$N2G" scrape --model "$tmp/model" --corpus "$DATA/corpus/fixture_small.txt" --out "$tmp/scrape" \
        --device cpu --quiet || { echo "FAIL: n2g scrape" >&2; exit 1; }
    neurons=$(python3 -c "import json,sys; print(','.join('%d:%d' % (n['layer'], n['neuron']) for n in json.load(open(sys.argv[1]))['neurons']))" "$tmp/model/planted.json")
}
