#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` CMake preset: clang, ASan, UBSan) and
# runs one for a given time on a scratch copy of its seed corpus, so the corpus
# in the repository is never flooded with generated inputs.
#
#   scripts/fuzz.sh NAME SECONDS [extra libFuzzer flags...]
#   scripts/fuzz.sh safetensors 60
#
# NAME is the target without "_fuzzer" (tests/fuzz/NAME_fuzzer.cc); its seeds
# are tests/fuzz/corpus/NAME/ and its dictionary tests/fuzz/NAME.dict when they
# exist. Findings (crash-*, leak-*, timeout-*) land in the scratch directory,
# whose path is printed at the end; a run that finds nothing removes it (set
# KILN_FUZZ_KEEP=1 to keep the grown corpus). Exits non-zero when the fuzzer
# finds a bug.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 NAME SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
name=$1
seconds=$2
shift 2

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${KILN_BUILD_JOBS:-2}

cmake --preset fuzz >/dev/null
cmake --build build/fuzz -j"$jobs" --target "${name}_fuzzer"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/kiln-fuzz-${name}.XXXXXX")
mkdir -p "$scratch/corpus"
if [[ -d tests/fuzz/corpus/$name ]]; then
  cp -r "tests/fuzz/corpus/$name/." "$scratch/corpus/"
fi
flags=(-max_total_time="$seconds" -artifact_prefix="$scratch/" -print_final_stats=1)
if [[ -f tests/fuzz/$name.dict ]]; then
  flags+=(-dict="tests/fuzz/$name.dict")
fi

status=0
"build/fuzz/${name}_fuzzer" "${flags[@]}" "$@" "$scratch/corpus" || status=$?
if [[ $status -eq 0 && -z ${KILN_FUZZ_KEEP:-} ]]; then
  rm -rf "$scratch"  # nothing found; KILN_FUZZ_KEEP=1 keeps the grown corpus
else
  echo "scratch directory (corpus and any findings): $scratch"
fi
exit "$status"
