#!/bin/bash
# Runs python with PyPI's torch 2 (for research/train.py --bf16), making its virtual
# environment on first use:
#
#     research/torch2.sh research/train.py --bf16
#
# Why: Debian's torch 1.13 runs kiln-shapes' training in float32 through OpenBLAS. torch 2's
# oneDNN uses the CPU's AVX-512 BF16 instructions under autocast, which makes the transformer's
# step 1.5x and the autoencoder's ~1.2x faster on the training machine (research/kiln_shapes.md,
# "bfloat16 on torch 2"). Research only: nothing the product or CI runs needs this.
#
# PyPI's Linux torch wheel is built for CUDA and, when imported, loads its CUDA libraries even
# on a machine without a GPU. Installing its declared dependencies would pull several GB of
# CUDA packages, so the wheel is installed with --no-deps, beside only the four small NVIDIA
# libraries the CUDA 13 toolkit in /usr/local/cuda lacks; the toolkit provides the rest
# (cudart, cuBLAS, cuDNN, ...). Versions are pinned so that a run is repeatable. pip then warns
# that torch's triton and setuptools requirements are not met: both serve only GPU compilation.
set -euo pipefail

VENV="${KILN_TORCH2_VENV:-$HOME/.cache/kiln/torch2-venv}"
CUDA_LIB="${KILN_CUDA_LIB:-/usr/local/cuda/lib64}"

if [ ! -x "$VENV/bin/python" ] || ! [ -f "$VENV/.complete" ]; then
  echo "torch2.sh: making $VENV (about 1 GB, once)" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --no-deps torch==2.15.0 nvidia-cufile==1.20.0.107 \
    nvidia-cusparselt-cu13==0.8.1 nvidia-nccl-cu13==2.30.7 nvidia-nvshmem-cu13==3.7.2
  "$VENV/bin/pip" install -q numpy==2.4.6 scipy==1.17.1 pillow==13.0.0 sentencepiece==0.2.3 \
    sympy==1.14.0 networkx==3.6.1 jinja2==3.1.6 filelock==4.2.12 fsspec==2026.9.0 \
    typing_extensions==4.16.0
  touch "$VENV/.complete"
fi

SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
LIBS="$SITE/nvidia/cu13/lib:$SITE/nvidia/cusparselt/lib:$SITE/nvidia/nccl/lib:$SITE/nvidia/nvshmem/lib"
if [ ! -d "$CUDA_LIB" ]; then
  echo "torch2.sh: no CUDA 13 toolkit libraries at $CUDA_LIB (set KILN_CUDA_LIB)" >&2
  exit 2
fi
export LD_LIBRARY_PATH="$LIBS:$CUDA_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$VENV/bin/python" "$@"
