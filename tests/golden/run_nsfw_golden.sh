#!/usr/bin/env bash
# Runs `kiln check-golden` on the NSFW classifier's golden folder with 1 and 2
# threads. Exit 77 (skipped) when the folder is absent; 1 when either run fails.
set -u
kiln=$1
golden=$2
model=$3
if [ ! -f "$golden/golden.safetensors" ]; then
  echo "no nsfw golden at $golden: skipped"
  exit 77
fi
status=0
for threads in 1 2; do
  if ! "$kiln" check-golden "$golden" --model "$model" --threads "$threads"; then
    echo "FAILED: $golden (threads $threads)"
    status=1
  fi
done
exit $status
