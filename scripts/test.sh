#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Kiln and runs every test:
#   1. the release build with warnings as errors, and all its tests through ctest
#      (unit tests, golden parity tests, `kiln check-golden` on every shared case);
#   2. the unit and golden tests again under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the Python reference implementation's parity tests (pytest);
#   4. short libFuzzer runs of the safetensors reader (60 s), the API's request parsing and
#      the moderation text normaliser (30 s each), the image decoder and the moderation policy
#      parser (20 s each); the longer runs are in docs/FUZZING.md.
# ctest includes the server's integration tests (the real `kiln serve` over HTTP) and the
# playground's headless-Chromium test; both run again against the sanitized binary.
# Golden tests read ../shared/golden when it is there and are skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== release build (warnings are errors) =="
cmake --preset ci
cmake --build --preset ci
ctest --preset ci

echo "== ASan + UBSan =="
cmake --preset asan
cmake --build --preset asan --target kiln_tests kiln
ASAN_OPTIONS=detect_leaks=1 ctest --preset asan

mkdir -p build
for target in safetensors:60 submit_request:30 text_normalizer:30 image_decoder:20 moderation_policy:20; do
  name=${target%%:*}
  echo "== ${name} fuzz smoke run (${target##*:} s) =="
  if ! scripts/fuzz.sh "$name" "${target##*:}" > "build/fuzz-smoke-${name}.log" 2>&1; then
    tail -60 "build/fuzz-smoke-${name}.log"
    exit 1
  fi
  grep -E "^Done|stat::number_of_executed_units|stat::peak_rss" "build/fuzz-smoke-${name}.log" || true
done

echo "== Python reference parity =="
/usr/bin/python3 -m pytest -q tests/python
