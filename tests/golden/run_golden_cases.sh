#!/usr/bin/env bash
# Runs `kiln check-golden` on every case folder under GOLDEN_DIR, with 1 and
# 2 threads. Exit 77 (skipped) when the folder is absent; 1 when any case fails.
set -u
kiln=$1
golden=$2
if [ ! -d "$golden" ]; then
  echo "no golden folder at $golden: skipped"
  exit 77
fi
status=0
found=0
for dir in "$golden"/*/; do
  [ -f "$dir/io.safetensors" ] || continue
  found=1
  for threads in 1 2; do
    if ! "$kiln" check-golden "$dir" --threads "$threads"; then
      echo "FAILED: $dir (threads $threads)"
      status=1
    fi
  done
done
[ "$found" = 1 ] || { echo "no cases under $golden"; exit 1; }
exit $status
