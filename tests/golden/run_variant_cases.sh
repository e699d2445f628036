#!/usr/bin/env bash
# Makes golden cases of configs other than the shared ones (make_variant_cases.py, from the
# PyTorch reference) and runs `kiln check-golden` on each with 1 and 2 threads.
# Exit 77 (skipped) when Debian's python3 with torch is not installed.
set -u
kiln=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "no /usr/bin/python3 with torch: skipped"; exit 77; }
rm -rf "$out"
/usr/bin/python3 "$here/make_variant_cases.py" "$out" || exit 1
exec "$here/run_golden_cases.sh" "$kiln" "$out"
