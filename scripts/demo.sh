#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Kiln and runs its main job on the
# embedded default: `kiln generate` with kiln-shapes (models/kiln-shapes), the
# small FLUX.1-architecture model this project trained (research/kiln_shapes.md).
#   scripts/demo.sh ["prompt"] [out.png]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake --preset release
cmake --build --preset release

prompt=${1:-"a large red circle in the top left on a white background"}
out=${2:-out.png}
build/release/kiln generate --model models/kiln-shapes --prompt "$prompt" --seed 7 --out "$out"
echo "image written to $out"
