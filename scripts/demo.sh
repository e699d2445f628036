#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Kiln and runs its main job on the
# embedded default: `kiln generate` on the tiny FLUX.1-architecture model in
# tests/data/flux-tiny (random weights from the parity goldens, so the image is
# structured noise; the trained kiln-shapes model replaces it in a later issue).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake --preset release
cmake --build --preset release

out=${1:-out.png}
build/release/kiln generate \
  --transformer tests/data/flux-tiny/transformer.safetensors \
  --autoencoder tests/data/flux-tiny/autoencoder.safetensors \
  --txt tests/data/flux-tiny/txt.safetensors \
  --y tests/data/flux-tiny/y.safetensors \
  --steps 4 --seed 7 --width 128 --height 128 --out "$out"
echo "image written to $out"
