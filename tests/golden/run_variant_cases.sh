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
"$here/run_golden_cases.sh" "$kiln" "$out" || exit 1

# The check must be able to fail: a reference off by 0.1 % is a mismatch (exit 1).
bad="$out/../golden_variants_perturbed"
rm -rf "$bad" && cp -r "$out/flux_forward_variant" "$bad"
/usr/bin/python3 - "$bad/io.safetensors" "$here/../../research" <<'PY' || exit 1
import sys
sys.path.insert(0, sys.argv[2])
from kiln_research import safetensors_io as st
tensors, meta = st.load_file(sys.argv[1]), st.load_metadata(sys.argv[1])
tensors["out"] = tensors["out"] * 1.001
st.save_file(tensors, sys.argv[1], meta)
PY
"$kiln" check-golden "$bad" > /dev/null
status=$?
[ "$status" = 1 ] || { echo "FAIL: check-golden exited $status on a perturbed reference (want 1)"; exit 1; }
echo "perturbed reference rejected (exit 1)"
