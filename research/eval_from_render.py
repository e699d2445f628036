"""Where the transformer loses the shape: sampling started from the true render's latent noised
to t0 (as SDEdit does), with the prompt and the manifest's guidance, over the remaining steps of
the default schedule; then scored by the shapes checker.

    /usr/bin/python3 research/eval_from_render.py [--model models/kiln-shapes] [--n 60]
        [--t0 1.0 0.8 0.6 0.4 0.0] [--threads 2]

t0 1.0 is plain generation (the render is fully replaced by noise); t0 0 is the autoencoder's
round trip. The t0 at which shape accuracy climbs tells whether
the model fails to decide the shape (high noise) or to draw it (low noise).
Prompts: the one-object scenes of shapes.dataset.eval_prompts(99, ·, "val"); noise seeds
1000 + i; the latent is the posterior mean.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kiln_research.pipeline import KilnShapes, from_uint8, to_uint8  # noqa: E402
from shapes.checker import evaluate  # noqa: E402
from shapes.dataset import eval_prompts  # noqa: E402
from shapes.render import render  # noqa: E402


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "..", "models", "kiln-shapes"))
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--t0", type=float, nargs="+", default=[1.0, 0.8, 0.6, 0.4, 0.0])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    m = KilnShapes(args.model)
    size = m.sampling["width"]
    prompts, scenes = eval_prompts(99, 8 * args.n, "val")
    pairs = [(p, sc) for p, sc in zip(prompts, scenes) if len(sc.objects) == 1][:args.n]
    texts = [p for p, _ in pairs]
    seeds = list(range(1000, 1000 + len(texts)))
    x = from_uint8(np.stack([render(sc, size) for _, sc in pairs]))
    mean = torch.chunk(m.ae.encoder(x), 2, dim=1)[0]
    z0 = m.ae.scale_factor * (mean - m.ae.shift_factor)
    for t0 in args.t0:
        if t0 <= 0.0:  # no steps: the autoencoder's round trip
            images = m.ae.decode(z0)
        else:
            images = m.generate(texts, seeds, init_latent=z0, t0=t0)
        r = evaluate(list(to_uint8(images)), texts)
        print(f"t0 {t0:.2f}, {len(texts)} val prompts: " +
              " ".join(f"{key} {r[key]:.3f}" for key in ("color", "shape", "position", "count")),
              flush=True)


if __name__ == "__main__":
    main()
