#!/usr/bin/env bash
# Randomised parity with the reference NeuronModel: tests/ref/n2g_reference.py (a standard-
# library transcription of the reference) and `n2g fit` / `n2g predict` fit the same fresh
# random sample sets (small vocabularies so collisions, wildcards and merges happen; values at
# and around the thresholds); predictions on fresh random texts, the stats.json /
# stats_token.json / stats_ngram.json reports, neuron_store.json and the DOT must be identical.
# The seed is random per run and printed; N2G_REF_SEED=S reruns one.
set -euo pipefail
bin=${1:?usage: test_graph_reference.sh path/to/n2g}
src=${N2G_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
if ! command -v python3 >/dev/null; then
    echo "python3 not found: skipping the reference parity test"
    exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/n2g-graphref-XXXXXX")
trap 'rm -rf "$work"' EXIT
seed_args=()
if [ -n "${N2G_REF_SEED:-}" ]; then seed_args=(--seed "$N2G_REF_SEED"); fi
python3 "$src/tests/ref/n2g_reference.py" check --bin "$bin" --work "$work" --rounds "${N2G_REF_ROUNDS:-100}" "${seed_args[@]}"
