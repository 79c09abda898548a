#!/usr/bin/env bash
# test_tokenize.sh — `n2g tokenize` / `n2g detokenize`: ids equal to tiktoken's (from the golden
# fixture), --json, stdin, --ordinary, round trips, vocabulary lookup, and every error exit.
# Usage: bash tests/test_tokenize.sh /path/to/n2g
set -uo pipefail
N2G="${1:?usage: test_tokenize.sh /path/to/n2g}"
SRC="${N2G_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
SHARED="${N2G_SHARED_DIR:-$SRC/../shared}"
VOCAB="$SRC/data/gpt2"
GOLDEN="$SRC/tests/fixtures/tokenizer_golden.json"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
expect_eq() { if [[ "$1" == "$2" ]]; then ok; else bad "$3: got '$1', expected '$2'"; fi; }
expect_rc() { if [[ "$1" == "$2" ]]; then ok; else bad "$3: exit $1, expected $2"; fi; }
expect_grep() { if grep -q -- "$2" "$1"; then ok; else bad "$3: '$2' not in: $(cat "$1")"; fi; }

# golden cases: the text to a file, tiktoken's ids (special and ordinary) to files
python3 - "$GOLDEN" "$T" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))
for c in g["cases"]:
    n = c["name"]
    open("%s/%s.txt" % (sys.argv[2], n), "wb").write(c["text"].encode("utf-8"))
    open("%s/%s.special" % (sys.argv[2], n), "w").write(" ".join(map(str, c["special"])) + "\n")
    open("%s/%s.ordinary" % (sys.argv[2], n), "w").write(" ".join(map(str, c["ordinary"])) + "\n")
    open("%s/%s.json" % (sys.argv[2], n), "w").write(json.dumps({"ids": c["special"]}) + "\n")
EOF
# every case with the default (special) mode; --ordinary and the round trip on a diverse subset
# (test_bpe checks every case both ways; this checks the command's plumbing)
for f in "$T"/*.txt; do
  n="$(basename "$f" .txt)"
  "$N2G" tokenize --vocab "$VOCAB" --file "$f" > "$T/out" || bad "$n: exit $?"
  cmp -s "$T/out" "$T/$n.special" && ok || bad "$n: ids differ from tiktoken (special)"
done
for n in eot_middle eot_spaced eot_partial control_chars emoji_zwj crlf long_word; do
  f="$T/$n.txt"
  "$N2G" tokenize --vocab "$VOCAB" --ordinary --file "$f" > "$T/out" || bad "$n: exit $?"
  cmp -s "$T/out" "$T/$n.ordinary" && ok || bad "$n: ids differ from tiktoken encode_ordinary"
  "$N2G" tokenize --vocab "$VOCAB" --file "$f" | "$N2G" detokenize --vocab "$VOCAB" > "$T/back"
  cmp -s "$T/back" "$f" && ok || bad "$n: detokenize(tokenize(x)) != x"
done
for n in emoji_zwj eot_spaced contractions_upper; do
  "$N2G" tokenize --vocab "$VOCAB" --json < "$T/$n.txt" > "$T/out" || bad "$n: exit $?"
  python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$T/out" "$T/$n.json" \
    && ok || bad "$n: --json from stdin differs"
done
expect_eq "$("$N2G" tokenize --vocab "$VOCAB" --text 'a<|endoftext|>b')" "64 50256 65" "special token by default"
expect_eq "$("$N2G" tokenize --vocab "$VOCAB" --ordinary --text '<|endoftext|>')" "27 91 437 1659 5239 91 29" "--ordinary"
expect_eq "$("$N2G" detokenize --vocab "$VOCAB" --ids 15496,995)" "Hello world" "detokenize --ids"
expect_eq "$(echo '{"ids": [15496, 995]}' | "$N2G" detokenize --vocab "$VOCAB")" "Hello world" "detokenize JSON stdin"
expect_eq "$(printf '15496\n995\n' | "$N2G" detokenize --vocab "$VOCAB")" "Hello world" "detokenize lines"
gzip -c "$T/prose.txt" > "$T/prose.txt.gz"
"$N2G" tokenize --vocab "$VOCAB" --file "$T/prose.txt.gz" > "$T/out"
cmp -s "$T/out" "$T/prose.special" && ok || bad "--file x.gz"

# vocabulary lookup: --model, --vocab with OpenAI names, N2G_VOCAB, the bundled default
expect_eq "$("$N2G" tokenize --model "$VOCAB" --text 'Hello world')" "15496 995" "--model DIR"
if [[ -d "$SHARED/data/gpt2-tokenizer" ]]; then
  expect_eq "$("$N2G" tokenize --vocab "$SHARED/data/gpt2-tokenizer" --text 'Hello world')" "15496 995" "encoder.json + vocab.bpe"
  expect_eq "$(N2G_VOCAB="$SHARED/data/gpt2-tokenizer" "$N2G" tokenize --text 'Hello world')" "15496 995" "N2G_VOCAB"
fi
expect_eq "$(env -u N2G_VOCAB N2G_DATA="$SRC/data" "$N2G" tokenize --text 'Hello world')" "15496 995" "bundled default"
env -u N2G_VOCAB N2G_DATA="$T/nowhere" "$N2G" tokenize --text x > /dev/null 2> "$T/err"
expect_rc $? 1 "no vocabulary"
expect_grep "$T/err" "no GPT-2 vocabulary found" "no vocabulary message"

# errors
"$N2G" tokenize --vocab "$T/nowhere" --text x > /dev/null 2> "$T/err"; expect_rc $? 1 "missing --vocab dir"
expect_grep "$T/err" "nowhere: no such directory" "missing vocab message"
"$N2G" tokenize --vocab "$VOCAB" --file "$T/nofile.txt" > /dev/null 2> "$T/err"; expect_rc $? 1 "missing --file"
expect_grep "$T/err" "nofile.txt: cannot open" "missing file message"
"$N2G" tokenize --bogus > /dev/null 2> "$T/err"; expect_rc $? 2 "unknown option"
expect_grep "$T/err" "unknown option '--bogus'" "unknown option message"
"$N2G" tokenize --text > /dev/null 2> "$T/err"; expect_rc $? 2 "missing value"
"$N2G" tokenize --vocab "$VOCAB" --model "$VOCAB" --text x > /dev/null 2> "$T/err"; expect_rc $? 2 "--model and --vocab"
"$N2G" detokenize --vocab "$VOCAB" --ids 1,abc > /dev/null 2> "$T/err"; expect_rc $? 2 "bad id list"
expect_grep "$T/err" "expected a non-negative integer" "bad id list message"
"$N2G" detokenize --vocab "$VOCAB" --ids 15496,50257 > /dev/null 2> "$T/err"; expect_rc $? 2 "id out of range"
expect_grep "$T/err" "token id 50257 at position 1 is not in the vocabulary" "id out of range message"
echo 15496,50257 | "$N2G" detokenize --vocab "$VOCAB" > /dev/null 2> "$T/err"; expect_rc $? 1 "id out of range on stdin"
"$N2G" tokenize --help > "$T/out"; expect_rc $? 0 "tokenize --help"
expect_grep "$T/out" "--ordinary" "tokenize help text"
"$N2G" detokenize --help > "$T/out"; expect_rc $? 0 "detokenize --help"

# a long text without spaces is one pre-tokenizer piece; it is merged window by window in bounded
# memory (ids equal to the whole-piece merge: test_bpe). Here 8 MB of letters must round-trip,
# finish within the timeout, and peak well below the whole-piece merge (250 MB here; 86 MB now)
python3 - "$N2G" "$VOCAB" "$T" <<'EOF' && ok || bad "8 MB without spaces"
import random, resource, subprocess, sys
n2g, vocab, t = sys.argv[1:4]
random.seed(5)
text = "".join(random.choices("abcdefghijklmnopqrstuvwxyz", k=8 << 20))
open(t + "/nospace.txt", "w").write(text)
r = subprocess.run([n2g, "tokenize", "--vocab", vocab, "--file", t + "/nospace.txt"], capture_output=True, timeout=600)
assert r.returncode == 0, r.stderr
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
open(t + "/nospace.ids", "wb").write(r.stdout)
n = len(r.stdout.split())
assert len(text) / 8 < n < len(text) / 1.5, n
back = subprocess.run([n2g, "detokenize", "--vocab", vocab], stdin=open(t + "/nospace.ids", "rb"), capture_output=True,
                      timeout=600)
assert back.returncode == 0 and back.stdout == text.encode(), "8 MB without spaces does not round-trip"
sanitized = b"asan" in subprocess.run(["ldd", n2g], capture_output=True).stdout
print("8 MB without spaces: %d ids, peak %.0f MB%s" % (n, peak_mb, " (sanitizer build: not checked)" if sanitized else ""))
assert sanitized or peak_mb < 150, "peak memory %.0f MB" % peak_mb
EOF

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
