#!/usr/bin/python3
"""Times kiln-shapes' autoencoder training step (research/train.py stage 1: 4 renders of
128x128, bf16 autocast) with its input in the two memory layouts, side by side in one process:
"channels-last" is the permuted view that from_uint8 returned before v11 (torch's convolutions
keep an input's channels-last strides through the whole network), "contiguous" is what it
returns now. Each layout gets its own autoencoder and Adam state, built alike; the layouts take
turns step by step, so machine noise falls on both.

    research/torch2.sh bench/autoencoder_step_bench.py [--steps 20] [--threads 1,2]

Prints the median seconds per step per layout and thread count, and the ratio to the first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "research"))
import train  # noqa: E402
from kiln_research.pipeline import from_uint8  # noqa: E402

# the old from_uint8: the [B, H, W, 3] array's memory seen as [B, 3, H, W]
LAYOUTS = {"channels-last (before v11)":
           lambda x: x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2),
           "contiguous (v11)": lambda x: x}


def make_step(layout):
    torch.manual_seed(1)
    ae = train.AutoEncoder(train.ae_params(4))
    opt = torch.optim.Adam(ae.parameters(), lr=1e-4, betas=(0.9, 0.99))

    def step(images: np.ndarray) -> float:
        x = layout(from_uint8(images))
        t0 = time.perf_counter()
        with train.autocast():
            mean = torch.chunk(ae.encoder(x), 2, dim=1)[0].float()
            rec = ae.decoder(mean).float()
        loss = train.reconstruction_loss(rec, x, train.object_weights(x, 10.0))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return time.perf_counter() - t0
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    train.BF16 = True
    rng = np.random.default_rng(1)
    for threads in map(int, args.threads.split(",")):
        torch.set_num_threads(threads)
        steps = {name: make_step(layout) for name, layout in LAYOUTS.items()}
        times = {name: [] for name in LAYOUTS}
        for i in range(args.warmup + args.steps):
            images = train.autoencoder_batch(rng, 4, 0.5)  # the same batch for both layouts
            for name, step in steps.items():
                t = step(images)
                if i >= args.warmup:
                    times[name].append(t)
        ref = statistics.median(next(iter(times.values())))
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"{threads} thread(s), {name:>27}: {med:.3f} s/step (median of {len(ts)}), "
                  f"{ref / med:.2f}x the first")


if __name__ == "__main__":
    main()
