#!/usr/bin/python3
"""Kiln's NSFW classifier against PyTorch on the same weights, side by side in one run.

    /usr/bin/python3 bench/nsfw_vs_pytorch.py [--bench build/release/nsfw_bench] [--rounds 5] [--reps 7]

Each round runs, one after the other (so load from other processes hits all of them alike):
  kiln      build/.../nsfw_bench --reps N: 1 and 2 threads, batch 1 and 16
  eager     bench/nsfw_pytorch.py --config eager (NCHW, BN separate, no_grad, default malloc)
  best      bench/nsfw_pytorch.py --config best with GLIBC_TUNABLES set (channels_last + folded
            BN + inference_mode, or the same jit.trace + freeze, whichever is faster)
PyTorch runs with torch.set_num_threads(2). The order of the three rotates from round to round.
Prints, per (system, threads, batch), the median over rounds of each round's median images/s,
the ratio Kiln 2 threads / PyTorch best, and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TUNABLES = "glibc.malloc.hugetlb=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184"
BATCHES = (1, 16)


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run_kiln(bench: str, reps: int) -> dict:
    out = subprocess.run([bench, "--reps", str(reps)], cwd=REPO_ROOT, check=True, capture_output=True,
                         text=True).stdout
    figures = {}
    for line in out.splitlines():
        cols = line.split()
        if len(cols) == 5 and cols[0].isdigit():
            figures[(f"kiln {cols[0]}t", int(cols[1]))] = float(cols[4])
    return figures


def run_torch(config: str, reps: int) -> dict:
    env = dict(os.environ)
    env.pop("GLIBC_TUNABLES", None)
    if config == "best":
        env["GLIBC_TUNABLES"] = TUNABLES
    cmd = [sys.executable, os.path.join(REPO_ROOT, "bench/nsfw_pytorch.py"), "--config", config, "--batches",
           ",".join(map(str, BATCHES)), "--reps", str(reps), "--threads", "2"]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    figures = {}
    for line in out.splitlines():
        r = json.loads(line)
        figures[(f"torch {config}", r["batch"])] = r["images_per_s"]
        figures[(f"torch {config} variant", r["batch"])] = r["variant"]
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=os.path.join(REPO_ROOT, "build/release/nsfw_bench"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()

    load_before = loadavg()
    steps = [("kiln", lambda: run_kiln(args.bench, args.reps)), ("eager", lambda: run_torch("eager", args.reps)),
             ("best", lambda: run_torch("best", args.reps))]
    rounds = []
    for r in range(args.rounds):
        figures = {}
        for name, step in steps[r % 3:] + steps[:r % 3]:
            figures.update(step())
        rounds.append(figures)
        print(f"round {r + 1}/{args.rounds} (load {loadavg()}): " +
              ", ".join(f"{k[0]} b{k[1]} {v}" for k, v in sorted(figures.items()) if "variant" not in k[0]),
              file=sys.stderr, flush=True)
    load_after = loadavg()

    def median(key):
        return statistics.median(f[key] for f in rounds)

    rows = ["kiln 1t", "kiln 2t", "torch eager", "torch best"]
    print(f"images/s, 224x224, median of {args.rounds} rounds x median of {args.reps} reps; PyTorch "
          f"{torch_version()} at 2 threads; load average before {load_before}, after {load_after}")
    print(f"{'':<14}" + "".join(f"{'batch ' + str(b):>12}" for b in BATCHES))
    for row in rows:
        print(f"{row:<14}" + "".join(f"{median((row, b)):>12.1f}" for b in BATCHES))
    print(f"{'kiln 2t/best':<14}" + "".join(f"{median(('kiln 2t', b)) / median(('torch best', b)):>11.2f}x"
                                           for b in BATCHES))
    print(f"{'kiln 1t/best':<14}" + "".join(f"{median(('kiln 1t', b)) / median(('torch best', b)):>11.2f}x"
                                           for b in BATCHES))
    for b in BATCHES:
        variants = sorted({f[("torch best variant", b)] for f in rounds})
        print(f"torch best at batch {b}: {', '.join(variants)}")
    return 0


def torch_version() -> str:
    out = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"], capture_output=True,
                         text=True)
    return out.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
