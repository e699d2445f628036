#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Kiln and serves the embedded default:
# `kiln serve` with kiln-shapes (models/kiln-shapes), the job store and images under
# ./var, and the playground at http://127.0.0.1:8080/. Ctrl-C stops it.
#
#   scripts/demo.sh             serve (extra arguments go to `kiln serve`, e.g. --port 9090)
#
# The first run creates an API key for the tenant "demo" and keeps it in var/demo.key
# (the server itself stores only its hash), so the playground and curl work at once.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake --preset release
cmake --build --preset release

mkdir -p var
if [[ ! -s var/demo.key ]]; then
  (umask 077; build/release/kiln keys create --tenant demo --data-dir var > var/demo.key)
fi
key=$(cat var/demo.key)
cat <<MSG

  Playground:  http://127.0.0.1:8080/   (paste the key below; another --port changes the URLs)
  API key:     $key   (kept in var/demo.key; more: build/release/kiln keys create --tenant NAME)
  Try:         curl -s -X POST http://127.0.0.1:8080/v1/kiln-shapes -H "x-key: $key" \\
                 -d '{"prompt": "a large red circle in the top left on a white background", "seed": 7}'
               then GET the polling_url it returns with the same x-key header.

MSG
exec build/release/kiln serve "$@"
