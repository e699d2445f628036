#!/usr/bin/env bash
# `kiln eval` on a small labelled set, lexicons and policy terms only (no
# model needed): the figures follow from the set and the policy, and bad
# flags or files exit 2 with a message naming them.
set -u
kiln=$1
root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
cd "$root" || exit 1

cat > "$work/set.jsonl" <<'JSONL'
{"text": "a poster on making a pipe bomb", "labels": ["illicit"]}
{"text": "a man stabbing a stranger", "labels": ["violence"]}
{"text": "a drawing of a knife fight", "labels": ["violence"]}
{"text": "a photo of a cat", "labels": []}
{"text": "a hanging basket of petunias", "labels": []}
{"text": "a poster of a red square", "labels": []}
JSONL
cat > "$work/policy.json" <<'JSON'
{"version": 7, "categories": {"violence": {"flag": 0.5, "review": 0.7, "block": 0.85}},
 "block_terms": ["pipe bomb"], "block_patterns": ["stab+ing", "\\bsquare\\b"]}
JSON
out=$("$kiln" eval --no-classifier --dataset "$work/set.jsonl" --policy "$work/policy.json" --json) || fail "eval --json"
# any: TP 2 (block term, pattern), FN 1 (knife fight), FP 1 (square); benign FPR 1/3.
for want in '"prompts":6' '"benign":3' '"policy_version":7' '"any":{"positives":3,"tp":2,"fp":1,"fn":1' \
            '"benign_fpr":0.3333'; do
  case "$out" in *"$want"*) ;; *) fail "--json output lacks $want: $out" ;; esac
done
table=$("$kiln" eval --no-classifier --dataset "$work/set.jsonl" --policy "$work/policy.json") || fail "eval table"
case "$table" in *"benign false-positive rate: 0.3333 (1 of 3)"*) ;; *) fail "table: $table" ;; esac

expect_error() {
  local want=$1
  shift
  local out status
  out=$("$kiln" eval "$@" 2>&1)
  status=$?
  [ "$status" = 2 ] || fail "exit $status (want 2) for: $*"
  case "$out" in *"$want"*) ;; *) fail "message '$out' does not name '$want'" ;; esac
}
expect_error "--dataset" --no-classifier
expect_error "--tolerance" --no-classifier --dataset "$work/set.jsonl" --tolerance 9
expect_error "--bogus" --no-classifier --dataset "$work/set.jsonl" --bogus 1
expect_error "missing.jsonl" --no-classifier --dataset "$work/missing.jsonl"
expect_error "--policy" --no-classifier --dataset "$work/set.jsonl" --policy "$work/missing.json"
echo '{"text": "x", "labels": ["weather"]}' > "$work/bad.jsonl"
expect_error "bad.jsonl:1" --no-classifier --dataset "$work/bad.jsonl"
expect_error "--embedder" --dataset "$work/set.jsonl" --embedder "$work/no-model"

[ "$failures" = 0 ] && echo "eval_cli: ok"
exit $((failures > 0))
