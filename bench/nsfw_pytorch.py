#!/usr/bin/python3
"""The NSFW classifier (models/nsfw-mobilenet-v2: Keras MobileNetV2 + the nsfwjs head) in
PyTorch, on the same weights as the C++ one: the reference that bench/nsfw_vs_pytorch.py
times Kiln against.

    /usr/bin/python3 bench/nsfw_pytorch.py --check            # parity with the tfjs goldens
    /usr/bin/python3 bench/nsfw_pytorch.py --config best --batches 1,16 --reps 7 --threads 2

Configurations (--config):
  eager  plain eager PyTorch as a user writes it: NCHW, BatchNorm as separate modules,
         torch.no_grad(), default malloc.
  best   the fastest we found on this machine, tried as candidates and the fastest kept per
         batch size: channels_last with BatchNorm folded into the convs under
         torch.inference_mode ("channels_last"), and the same traced + frozen with
         torch.jit.trace / torch.jit.freeze ("jit_frozen"). Run it with the glibc malloc
         tunables in the environment (GLIBC_TUNABLES=glibc.malloc.hugetlb=1:
         glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184), which glibc reads at
         process start: the driver starts this script as a subprocess with that environment.
Both call torch.set_num_threads(--threads).

Prints one JSON object per (config, batch) line: images/s from the median of --reps timed
forward passes after warm-up.

Keras → torch: Conv2D kernel [kh, kw, in, out] → [out, in, kh, kw]; DepthwiseConv2D
[kh, kw, c, 1] → [c, 1, kh, kw] (groups = c); Dense [in, out] → [out, in]. Keras pads the
stride-2 3×3 convs with ZeroPadding2D((0, 1), (0, 1)) then a 'valid' conv: F.pad(x, (0, 1, 0, 1))
here, not torch's symmetric padding=1. BatchNormalization epsilon is 1e-3 (topology.json).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO_ROOT, "research"))

from kiln_research import safetensors_io  # noqa: E402

BN_EPS = 1e-3
# (expansion, channels, repeats, stride): Keras applications MobileNetV2, alpha 1.0.
STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


class ConvBn(nn.Module):
    """Conv2D (no bias) + BatchNormalization [+ ReLU6]; stride 2 pads (0, 1, 0, 1) like Keras."""

    def __init__(self, w: dict, conv: str, bn: str, in_c: int, out_c: int, kernel: int, stride: int,
                 depthwise: bool, relu6: bool):
        super().__init__()
        self.pad = (0, 1, 0, 1) if stride == 2 else None
        padding = 1 if (kernel == 3 and stride == 1) else 0
        groups = in_c if depthwise else 1
        self.conv = nn.Conv2d(in_c, out_c, kernel, stride=stride, padding=padding, groups=groups, bias=False)
        if depthwise:
            k = w[conv + "/depthwise_kernel"].permute(2, 3, 0, 1)  # [kh,kw,c,1] -> [c,1,kh,kw]
        else:
            k = w[conv + "/kernel"].permute(3, 2, 0, 1)  # [kh,kw,in,out] -> [out,in,kh,kw]
        self.conv.weight.data.copy_(k)
        self.bn = nn.BatchNorm2d(out_c, eps=BN_EPS)
        self.bn.weight.data.copy_(w[bn + "/gamma"])
        self.bn.bias.data.copy_(w[bn + "/beta"])
        self.bn.running_mean.copy_(w[bn + "/moving_mean"])
        self.bn.running_var.copy_(w[bn + "/moving_variance"])
        self.act = nn.ReLU6() if relu6 else nn.Identity()

    def forward(self, x):
        if self.pad is not None:
            x = F.pad(x, self.pad)
        return self.act(self.bn(self.conv(x)))


class InvertedResidual(nn.Module):
    def __init__(self, w: dict, prefix: str, in_c: int, expansion: int, out_c: int, stride: int):
        super().__init__()
        hidden = in_c * expansion
        self.expand = (ConvBn(w, prefix + "expand", prefix + "expand_BN", in_c, hidden, 1, 1, False, True)
                       if expansion != 1 else nn.Identity())
        self.depthwise = ConvBn(w, prefix + "depthwise", prefix + "depthwise_BN", hidden, hidden, 3, stride, True,
                                True)
        self.project = ConvBn(w, prefix + "project", prefix + "project_BN", hidden, out_c, 1, 1, False, False)
        self.residual = stride == 1 and in_c == out_c

    def forward(self, x):
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.residual else y


class NsfwMobileNetV2(nn.Module):
    """Input (batch, 3, 224, 224) RGB in [0, 1]; output the 5 softmax probabilities."""

    def __init__(self, w: dict):
        super().__init__()
        self.stem = ConvBn(w, "Conv1", "bn_Conv1", 3, 32, 3, 2, False, True)
        blocks, c = [], 32
        for expansion, out_c, repeats, stride in STAGES:
            for i in range(repeats):
                index = len(blocks)
                prefix = "expanded_conv_" if index == 0 else f"block_{index}_"
                blocks.append(InvertedResidual(w, prefix, c, expansion, out_c, stride if i == 0 else 1))
                c = out_c
        self.blocks = nn.Sequential(*blocks)
        self.last = ConvBn(w, "Conv_1", "Conv_1_bn", 320, 1280, 1, 1, False, True)
        self.dense = nn.ModuleList()
        for name, (i, o) in (("dense_1", (1280, 256)), ("dense_2", (256, 128)), ("dense_3", (128, 5))):
            lin = nn.Linear(i, o)
            lin.weight.data.copy_(w[name + "/kernel"].t())
            lin.bias.data.copy_(w[name + "/bias"])
            self.dense.append(lin)

    def forward(self, x):
        x = self.last(self.blocks(self.stem(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)  # AveragePooling2D 7×7 + Flatten
        x = F.relu(self.dense[0](x))
        x = F.relu(self.dense[1](x))
        return torch.softmax(self.dense[2](x), dim=1)


def fold_bn(model: nn.Module) -> nn.Module:
    """Folds every ConvBn's BatchNorm into its conv (weight·s, bias β − μ·s, s = γ/√(σ²+ε))."""
    for m in model.modules():
        if isinstance(m, ConvBn) and isinstance(m.bn, nn.BatchNorm2d):
            bn, conv = m.bn, m.conv
            s = (bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps))
            fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                              padding=conv.padding, groups=conv.groups, bias=True)
            fused.weight.data.copy_((conv.weight.double() * s.view(-1, 1, 1, 1)).float())
            fused.bias.data.copy_((bn.bias.double() - bn.running_mean.double() * s).float())
            m.conv, m.bn = fused, nn.Identity()
    return model


def load_model(model_dir: str) -> NsfwMobileNetV2:
    weights = safetensors_io.load_file(os.path.join(model_dir, "model.safetensors"))
    return NsfwMobileNetV2(weights).eval()


class Runner:
    """A named callable batch → probs in one configuration."""

    def __init__(self, name: str, fn, channels_last: bool, mode):
        self.name, self.fn, self.channels_last, self.mode = name, fn, channels_last, mode

    def prepare(self, nhwc: torch.Tensor) -> torch.Tensor:
        x = nhwc.permute(0, 3, 1, 2)  # a view: NHWC memory is channels_last NCHW
        return x if self.channels_last else x.contiguous()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        with self.mode():
            return self.fn(x)


def make_runners(config: str, model_dir: str, batch: int):
    base = load_model(model_dir)
    if config == "eager":
        return [Runner("eager", base, False, torch.no_grad)]
    folded = fold_bn(base).to(memory_format=torch.channels_last)
    runners = [Runner("channels_last", folded, True, torch.inference_mode)]
    with torch.no_grad():
        example = torch.rand(batch, 3, 224, 224).contiguous(memory_format=torch.channels_last)
        traced = torch.jit.freeze(torch.jit.trace(folded, example).eval())
    runners.append(Runner("jit_frozen", traced, True, torch.no_grad))
    return runners


def time_runner(runner: Runner, nhwc: torch.Tensor, reps: int, warmup: int) -> list:
    x = runner.prepare(nhwc)
    for _ in range(warmup):
        runner(x)
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        runner(x)
        ms.append((time.perf_counter() - t0) * 1e3)
    return ms


def random_images(batch: int) -> torch.Tensor:
    # The same pseudo-random bytes as bench/nsfw_bench.cc: the input values do not change the work.
    i = np.arange(batch * 224 * 224 * 3, dtype=np.uint64)
    rgb = (((i * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)) >> np.uint64(24)).astype(np.float32)
    return torch.from_numpy(rgb / np.float32(255)).view(batch, 224, 224, 3)


def check(model_dir: str, golden: str) -> float:
    """Max abs difference of the probabilities from the tfjs goldens, both configurations."""
    g = safetensors_io.load_file(os.path.join(golden, "golden.safetensors"))
    worst = 0.0
    for config in ("eager", "best"):
        for runner in make_runners(config, model_dir, 16):
            probs = runner(runner.prepare(g["input"]))
            diff = (probs - g["probs"]).abs().max().item()
            print(f"check {runner.name}: max abs probs vs tfjs golden = {diff:.2e} (16 images)")
            worst = max(worst, diff)
    return worst


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(REPO_ROOT, "models/nsfw-mobilenet-v2"))
    ap.add_argument("--golden", default=os.path.join(REPO_ROOT, "../shared/golden/nsfw"))
    ap.add_argument("--check", action="store_true", help="compare with the goldens (tolerance 1e-4) and exit")
    ap.add_argument("--config", choices=("eager", "best"), default="best")
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=5)  # jit runs its profiling passes here
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.check:
        worst = check(args.model, args.golden)
        return 0 if worst <= 1e-4 else 1
    for batch in (int(b) for b in args.batches.split(",")):
        nhwc = random_images(batch)
        results = []
        for runner in make_runners(args.config, args.model, batch):
            ms = time_runner(runner, nhwc, args.reps, args.warmup)
            results.append((statistics.median(ms), runner.name, ms))
        median, name, ms = min(results)
        print(json.dumps({"config": args.config, "variant": name, "batch": batch, "threads": args.threads,
                          "median_ms": round(median, 3), "images_per_s": round(batch * 1e3 / median, 2),
                          "candidates": {n: round(batch * 1e3 / m, 2) for m, n, _ in results},
                          "glibc_tunables": os.environ.get("GLIBC_TUNABLES", "")}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
