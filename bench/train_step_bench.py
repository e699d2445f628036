#!/usr/bin/python3
"""Times kiln-shapes' transformer training step (research/train.py stage 3b, batch 32) seven
ways, in one script run: one process with 2 threads (the v3 training), one process with 1
thread, and two 1-thread processes splitting the batch (--procs 2, the default since v4); then
the first and the last again with OpenBLAS held to one thread (OPENBLAS_NUM_THREADS=1); then
the last under PyPI's torch 2 (research/torch2.sh), in float32 and with --bf16.

    /usr/bin/python3 bench/train_step_bench.py --work /tmp/kiln_train5 [--steps 60] [--runs 2]
        [--only SUBSTRING]

--work must hold stages 1, 2 and 3a's results (ae.pt, latents.pkl, text_encoder.pt) of a
research/train.py run; they are linked into a fresh folder per run, so its transformer.pt is
never touched. A run's time per step is taken from its log between step 20 and the last step
(model set-up and the first steps excluded); each configuration reports the median of --runs,
and the configurations take turns so that machine noise spreads over all of them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = os.path.join(HERE, "..", "research", "train.py")
TOKENIZER = os.path.join(HERE, "..", "models", "kiln-shapes", "tokenizer.model")
TORCH2 = os.path.join(HERE, "..", "research", "torch2.sh")
# name: (train.py arguments, OPENBLAS_NUM_THREADS or None for OpenBLAS's default of one thread
# per core, interpreter). Debian's torch calls OpenBLAS for matmuls; OpenBLAS has its own
# thread pool, which PyTorch's --threads does not limit.
FP32 = ["--no-bf16"]  # float32, as before v10
ONE, TWO = ["--procs", "1", "--threads", "2"], ["--procs", "2", "--threads", "1"]
CONFIGS = {"1 process x 2 threads": (ONE + FP32, None, sys.executable),
           "1 process x 1 thread": (["--procs", "1", "--threads", "1"] + FP32, None, sys.executable),
           "2 processes x 1 thread": (TWO + FP32, None, sys.executable),
           "1 process x 2 threads, OpenBLAS 1": (ONE + FP32, "1", sys.executable),
           "2 processes x 1 thread, OpenBLAS 1": (TWO + FP32, "1", sys.executable),
           "2 processes x 1 thread, torch 2": (TWO + FP32, "1", TORCH2),
           "2 processes x 1 thread, torch 2 bf16": (TWO + ["--bf16"], "1", TORCH2)}
STEP_LINE = re.compile(r"^\[\s*([0-9.]+)s\] step (\d+)/")


def seconds_per_step(work: str, steps: int, extra, openblas_threads, python) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        w, out = os.path.join(tmp, "work"), os.path.join(tmp, "out")
        os.makedirs(w)
        os.makedirs(out)
        for f in ("ae.pt", "latents.pkl", "text_encoder.pt"):
            os.symlink(os.path.join(os.path.abspath(work), f), os.path.join(w, f))
        shutil.copy(TOKENIZER, out)
        env = dict(os.environ)
        env.pop("OPENBLAS_NUM_THREADS", None)
        if openblas_threads:
            env["OPENBLAS_NUM_THREADS"] = openblas_threads
        log = subprocess.run([python, TRAIN, "--work", w, "--out", out, "--steps",
                              str(steps), "--dec-steps", "0", *extra],
                             check=True, capture_output=True, text=True, env=env).stdout
    times = {int(m.group(2)): float(m.group(1))
             for m in map(STEP_LINE.match, log.splitlines()) if m}
    first = min(s for s in times if s >= 20)
    last = max(times)
    return (times[last] - times[first]) / (last - first)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--only", default="",
                    help="run only the configurations whose name contains this (the first "
                         "one run is the reference of the ratios)")
    args = ap.parse_args()
    configs = {k: v for k, v in CONFIGS.items() if args.only in k}
    if not configs:
        raise SystemExit(f"--only {args.only!r} names none of: {', '.join(CONFIGS)}")
    results = {name: [] for name in configs}
    for _ in range(args.runs):
        for name, config in configs.items():
            results[name].append(seconds_per_step(args.work, args.steps, *config))
    ref = next(iter(results))
    base = statistics.median(results[ref])
    for name, r in results.items():
        med = statistics.median(r)
        print(f"{name:>38}: {med:.3f} s/step (median of {len(r)}: "
              f"{', '.join(f'{x:.3f}' for x in r)}), {base / med:.2f}x {ref!r}")


if __name__ == "__main__":
    main()
