#!/usr/bin/python3
"""Times one FLUX transformer forward pass in eager PyTorch (CPU) and, unless --pytorch-only,
in `kiln bench flux` on the same config and weights, and prints both.

    /usr/bin/python3 bench/flux_pytorch_bench.py --kiln build/release/kiln \
        --config bench/flux_bench_config.json --img-tokens 256 --txt-tokens 64 --batch 1 \
        [--threads 2] [--repeats 5] [--pytorch-only] [--json]

The model is kiln_research.flux.Flux (same module tree as black-forest-labs/flux) with random
weights (torch.manual_seed(--seed), default init). For the kiln side the weights go to a
temporary safetensors file with the official tensor names and the config as metadata, and
`KILN bench flux --config CFG --weights W --img-tokens N --txt-tokens M --batch B --threads T
--json` runs as a subprocess; its LAST stdout line must be a JSON object with at least
median_ms, gflops, peak_gflops and peak_fraction.

Timings on a shared machine are noisy: both sides report the median of --repeats runs after
warm-up. Use /usr/bin/python3 (Debian's python3-torch), not a pyenv python3.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO_ROOT, "research"))

# Must be set before libgomp starts (i.e. before importing torch). With the default (active)
# policy, torch's OpenMP workers spin at every barrier; on a shared, oversubscribed machine a
# descheduled worker then stalls the others and --threads 2 measured 4-6x SLOWER than
# --threads 1. Passive waiting (as Kiln's ThreadPool, which blocks on a condition variable)
# removes that. Override with OMP_WAIT_POLICY=ACTIVE on a dedicated machine.
# `--pytorch-setup default` leaves PyTorch exactly as a user gets it (no OpenMP policy,
# no OpenBLAS pinning, only torch.set_num_threads): the untuned reference.
UNTUNED = "--pytorch-setup=default" in sys.argv or (
    "--pytorch-setup" in sys.argv and sys.argv[sys.argv.index("--pytorch-setup") + 1:][:1] == ["default"])
if not UNTUNED:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from kiln_research import safetensors_io  # noqa: E402
from kiln_research.flux import Flux, FluxParams  # noqa: E402
from kiln_research.sampling import make_img_ids  # noqa: E402

FLOP_FORMULA = """\
FLOPs per forward (elementwise ops, norms, softmax and RoPE not counted):
  linear layer on R rows, K in, N out: 2*R*K*N;  attention: 4*B*H*L*L*D (QK^T and PV)
  B batch, I img tokens, T txt tokens, L = I+T, d hidden, m = int(d*mlp_ratio), H heads, D = d/H
  embed   = 2*B*I*in*d + 2*B*T*ctx*d + 2*B*(256*d + d*d) [time_in]
            + 2*B*(256*d + d*d) [guidance_in, if guidance_embed] + 2*B*(vec*d + d*d) [vector_in]
  double  = 2*2*B*d*6d [img_mod, txt_mod] + 2*B*L*(d*3d + d*d + d*m + m*d) + 4*B*H*L*L*D
  single  = 2*B*d*3d [modulation] + 2*B*L*(d*(3d+m) + (d+m)*d) + 4*B*H*L*L*D
  final   = 2*B*d*2d + 2*B*I*d*out
  total   = embed + depth*double + depth_single_blocks*single + final"""


def flux_forward_flops(p: FluxParams, batch: int, img_tokens: int, txt_tokens: int) -> int:
    """Implements FLOP_FORMULA (tests/python/test_flux_bench_flops.py checks the linear part
    against a count of every nn.Linear call)."""
    b, i, t = batch, img_tokens, txt_tokens
    length = i + t
    d = p.hidden_size
    m = int(d * p.mlp_ratio)
    heads = p.num_heads
    head_dim = d // heads
    attn = 4 * b * heads * length * length * head_dim

    embed = 2 * b * i * p.in_channels * d + 2 * b * t * p.context_in_dim * d
    embed += 2 * b * (256 * d + d * d)
    if p.guidance_embed:
        embed += 2 * b * (256 * d + d * d)
    embed += 2 * b * (p.vec_in_dim * d + d * d)
    double = 2 * 2 * b * d * 6 * d + 2 * b * length * (d * 3 * d + d * d + d * m + m * d) + attn
    single = 2 * b * d * 3 * d + 2 * b * length * (d * (3 * d + m) + (d + m) * d) + attn
    final = 2 * b * d * 2 * d + 2 * b * i * d * p.out_channels
    return embed + p.depth * double + p.depth_single_blocks * single + final


def square_side(img_tokens: int) -> int:
    side = int(round(math.sqrt(img_tokens)))
    if side * side != img_tokens:
        raise SystemExit(f"--img-tokens {img_tokens}: must be a perfect square (a square latent)")
    return side


def make_inputs(p: FluxParams, batch: int, img_tokens: int, txt_tokens: int,
                seed: int) -> Dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    side = square_side(img_tokens)
    inputs = {
        "img": torch.randn(batch, img_tokens, p.in_channels, generator=g),
        # ids exactly as flux.sampling.prepare builds them for a (2*side)x(2*side) latent
        "img_ids": make_img_ids(batch, 2 * side, 2 * side),
        "txt": torch.randn(batch, txt_tokens, p.context_in_dim, generator=g),
        "txt_ids": torch.zeros(batch, txt_tokens, 3),
        "timesteps": torch.rand(batch, generator=g),
        "y": torch.randn(batch, p.vec_in_dim, generator=g),
    }
    if p.guidance_embed:
        inputs["guidance"] = torch.full((batch,), 3.5)
    return inputs


def set_blas_threads(threads: int) -> str:
    """Makes torch's BLAS use `threads` threads and says which BLAS that is.

    Debian's torch calls sgemm through libblas.so.3 / libopenblas.so.0, which the alternatives
    system usually points at openblas-pthread: that library sizes its own pool to the core
    count regardless of torch.set_num_threads, so without this --threads 1 would still run
    GEMMs on every core.
    """
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f
                       if "blas" in line.rsplit("/", 1)[-1] and line.rstrip().endswith(
                           tuple(f".so.{v}" for v in "0123"))})
    real = sorted({os.path.realpath(lib) for lib in libs})
    try:
        openblas = ctypes.CDLL("libopenblas.so.0")
        openblas.openblas_set_num_threads(threads)
        got = openblas.openblas_get_num_threads()
        return f"OpenBLAS threads {got}; loaded: {', '.join(real) or 'none'}"
    except (OSError, AttributeError):
        return f"no OpenBLAS thread control; loaded: {', '.join(real) or 'none'}"


def time_pytorch(model: Flux, inputs: Dict[str, torch.Tensor], warmup: int,
                 repeats: int) -> List[float]:
    times_ms = []
    with torch.no_grad():
        for _ in range(warmup):
            model(**inputs)
        for _ in range(repeats):
            start = time.perf_counter()
            model(**inputs)
            times_ms.append((time.perf_counter() - start) * 1e3)
    return times_ms


def run_kiln(args: argparse.Namespace, weights_path: str) -> dict:
    cmd = [args.kiln, "bench", "flux", "--config", args.config, "--weights", weights_path,
           "--img-tokens", str(args.img_tokens), "--txt-tokens", str(args.txt_tokens),
           "--batch", str(args.batch), "--threads", str(args.threads), "--json"]
    print("running: " + " ".join(cmd), flush=True)
    # Kiln threads the work itself (--threads); a pthread OpenBLAS must not add its own pool.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=args.timeout, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"kiln bench flux failed (exit {proc.returncode}):\n"
                         f"{proc.stderr[-4000:]}{proc.stdout[-2000:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if not lines:
        raise SystemExit("kiln bench flux printed nothing on stdout")
    try:
        result = json.loads(lines[-1])
    except json.JSONDecodeError as e:
        raise SystemExit(f"kiln bench flux: last stdout line is not JSON ({e}): {lines[-1]!r}")
    missing = [k for k in ("median_ms", "gflops", "peak_gflops", "peak_fraction")
               if k not in result]
    if not isinstance(result, dict) or missing:
        raise SystemExit(f"kiln bench flux: JSON lacks {missing}: {lines[-1]!r}")
    return result


def parse_args(argv: List[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kiln", default=os.path.join(REPO_ROOT, "build", "release", "kiln"),
                    help="path to the kiln binary")
    ap.add_argument("--config", default=os.path.join(REPO_ROOT, "bench",
                                                     "flux_bench_config.json"),
                    help="FluxParams JSON (plain dict or {\"FluxParams\": {...}})")
    ap.add_argument("--img-tokens", type=int, default=256, help="a perfect square")
    ap.add_argument("--txt-tokens", type=int, default=64)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads and kiln's")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs; the median is reported")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0, help="weights seed; inputs use seed+1")
    ap.add_argument("--pytorch-only", action="store_true", help="skip the kiln subprocess")
    ap.add_argument("--timeout", type=float, default=600, help="seconds for the kiln run")
    ap.add_argument("--json", action="store_true", help="also print a JSON summary last")
    ap.add_argument("--pytorch-setup", choices=["tuned", "default"], default="tuned",
                    help="tuned (default): OpenBLAS pinned to --threads, passive OpenMP waiting; "
                         "default: PyTorch as installed, only torch.set_num_threads")
    args = ap.parse_args(argv)
    for name in ("img_tokens", "txt_tokens", "batch", "threads", "repeats"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.warmup < 0:
        ap.error("--warmup must be >= 0")
    return args


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    with open(args.config) as f:
        params = FluxParams.from_dict(json.load(f))
    square_side(args.img_tokens)

    torch.set_num_threads(args.threads)
    blas_info = "OpenBLAS left as loaded (untuned)" if UNTUNED else set_blas_threads(args.threads)
    torch.manual_seed(args.seed)
    model = Flux(params).eval()
    inputs = make_inputs(params, args.batch, args.img_tokens, args.txt_tokens, args.seed + 1)
    flops = flux_forward_flops(params, args.batch, args.img_tokens, args.txt_tokens)
    n_params = sum(t.numel() for t in model.parameters())

    kiln = None
    if not args.pytorch_only:
        if not os.access(args.kiln, os.X_OK):
            raise SystemExit(f"--kiln {args.kiln}: not an executable (or use --pytorch-only)")
        with tempfile.TemporaryDirectory(prefix="kiln_flux_bench_") as tmp:
            weights_path = os.path.join(tmp, "flux_bench.safetensors")
            safetensors_io.save_file(model.state_dict(), weights_path,
                                     metadata={"config": json.dumps(params.to_dict())})
            kiln = run_kiln(args, weights_path)

    times = time_pytorch(model, inputs, args.warmup, args.repeats)
    torch_ms = statistics.median(times)
    torch_gflops = flops / (torch_ms * 1e-3) / 1e9

    print(f"FLUX forward: hidden {params.hidden_size}, heads {params.num_heads}, "
          f"depth {params.depth}+{params.depth_single_blocks}, {n_params / 1e6:.1f}M params, "
          f"batch {args.batch}, {args.img_tokens} img + {args.txt_tokens} txt tokens, "
          f"threads {args.threads}, median of {args.repeats} after {args.warmup} warm-up")
    print(f"torch {torch.__version__}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, "
          f"{blas_info}")
    print(FLOP_FORMULA)
    print(f"  = {flops / 1e9:.3f} GFLOP per forward\n")
    print(f"{'impl':<10} {'median_ms':>10} {'min_ms':>10} {'GFLOP/s':>9} "
          f"{'reported GFLOP/s':>17} {'peak GFLOP/s':>13} {'peak frac':>10}")
    print(f"{'pytorch':<10} {torch_ms:10.2f} {min(times):10.2f} {torch_gflops:9.2f} "
          f"{'-':>17} {'-':>13} {'-':>10}")
    summary = {"flops": flops, "pytorch": {"median_ms": torch_ms, "min_ms": min(times),
                                           "gflops": torch_gflops, "times_ms": times},
               "batch": args.batch, "img_tokens": args.img_tokens,
               "txt_tokens": args.txt_tokens, "threads": args.threads,
               "torch_version": torch.__version__, "blas": blas_info,
               "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}
    if kiln is not None:
        kiln_ms = float(kiln["median_ms"])
        kiln_gflops = flops / (kiln_ms * 1e-3) / 1e9
        print(f"{'kiln':<10} {kiln_ms:10.2f} {'-':>10} {kiln_gflops:9.2f} "
              f"{float(kiln['gflops']):17.2f} {float(kiln['peak_gflops']):13.2f} "
              f"{float(kiln['peak_fraction']):10.3f}")
        ratio = kiln_ms / torch_ms
        print(f"\nkiln/pytorch time ratio: {ratio:.3f} "
              f"({'kiln faster' if ratio < 1 else 'pytorch faster'} by {max(ratio, 1 / ratio):.2f}x)")
        summary["kiln"] = kiln
        summary["kiln_over_pytorch_time"] = ratio
    print("(timings on a shared machine are noisy; compare medians from the same run)")
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
