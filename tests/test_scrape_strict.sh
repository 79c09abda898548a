#!/usr/bin/env bash
# test_scrape_strict.sh — `n2g scrape` on a corpus with a bad JSONL line: by default the line is
# skipped with a FILE:LINE warning and the scan completes; with --strict the scan stops with that
# message, exit 1, and leaves no finished run behind.
set -u
N2G="$1"
SRC=${N2G_SOURCE_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$T}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

python3 - "$T/c.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(40):
        f.write(json.dumps({"text": f"Call me Ishmael, said the sailor number {i} to the whale."}) + "\n")
        if i == 6:
            f.write('{"title": "no text field here"}\n')   # line 8
PY
M="$SRC/tests/fixtures/gpt2-tiny"
"$N2G" scrape --model "$M" --corpus "$T/c.jsonl" --out "$T/lenient" --ctx 32 --top-k 2 --layers 0 --device cpu --quiet 2>"$T/err1"
rc=$?
[[ $rc -eq 0 ]] && ok || bad "lenient scrape exited $rc: $(cat "$T/err1")"
grep -q 'c.jsonl:8' "$T/err1" && ok || bad "lenient scrape did not warn about c.jsonl:8: $(cat "$T/err1")"
grep -qs '"complete": true' "$T/lenient/manifest.json" && ok || bad "lenient run not complete"

"$N2G" scrape --model "$M" --corpus "$T/c.jsonl" --out "$T/strict" --ctx 32 --top-k 2 --layers 0 --device cpu --quiet --strict 2>"$T/err2"
rc=$?
[[ $rc -eq 1 ]] && ok || bad "--strict must exit 1, got $rc"
grep -q 'c.jsonl:8' "$T/err2" && grep -q 'text' "$T/err2" && ok || bad "--strict message must name c.jsonl:8 and the field: $(cat "$T/err2")"
grep -qs '"complete": true' "$T/strict/manifest.json" && bad "--strict left a complete run" || ok
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
