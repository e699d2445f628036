#!/usr/bin/env bash
# The real `kiln generate` binary on the tiny checkpoint in tests/data/flux-tiny:
# same seed → byte-identical PNG on every run, another seed → another
# image, and bad arguments or files → exit 2 with a message naming the flag.
set -u
kiln=$1
data=$2/tests/data/flux-tiny
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

base=(--transformer "$data/transformer.safetensors" --autoencoder "$data/autoencoder.safetensors"
      --txt "$data/txt.safetensors" --y "$data/y.safetensors" --steps 3 --width 64 --height 48)

"$kiln" generate "${base[@]}" --seed 7 --out "$work/a.png" || fail "generate (seed 7)"
"$kiln" generate "${base[@]}" --seed 7 --out "$work/b.png" || fail "generate (seed 7, again)"
"$kiln" generate "${base[@]}" --seed 8 --out "$work/c.png" || fail "generate (seed 8)"
head -c 8 "$work/a.png" | od -An -c | grep -q "P   N   G" || fail "a.png is not a PNG"
cmp -s "$work/a.png" "$work/b.png" || fail "the same seed gave different images"
cmp -s "$work/a.png" "$work/c.png" && fail "different seeds gave the same image"

# expect_error EXPECTED_SUBSTRING ARGS...: exit status 2 and a message containing the substring.
expect_error() {
  local want=$1
  shift
  local out status
  out=$("$kiln" generate "$@" 2>&1)
  status=$?
  [ "$status" = 2 ] || fail "exit $status (want 2) for: $*"
  case "$out" in *"$want"*) ;; *) fail "message '$out' does not name '$want'" ;; esac
}
expect_error "--out" "${base[@]}"
expect_error "width" "${base[@]}" --width 65 --out "$work/x.png"
expect_error "--steps" "${base[@]}" --steps 0 --out "$work/x.png"
expect_error "--seed" "${base[@]}" --seed -3 --out "$work/x.png"
expect_error "--bogus" "${base[@]}" --bogus 1 --out "$work/x.png"
expect_error "--transformer" "${base[@]}" --transformer "$work/missing.safetensors" --out "$work/x.png"
head -c 777 "$data/transformer.safetensors" > "$work/truncated.safetensors"
expect_error "truncated" "${base[@]}" --transformer "$work/truncated.safetensors" --out "$work/x.png"
expect_error "--txt" "${base[@]}" --txt "$data/y.safetensors" --out "$work/x.png"
[ ! -e "$work/x.png" ] || fail "a failed run left an output file"

echo "$((13 - failures)) passed, $failures failed"
[ "$failures" = 0 ]
