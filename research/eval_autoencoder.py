"""The autoencoder's round trip on held-out scenes, scored by the shapes checker: the ceiling
the autoencoder puts on the whole model's adherence (a latent the decoder cannot turn back into
the right shape is a shape the transformer cannot draw).

    /usr/bin/python3 research/eval_autoencoder.py [--model models/kiln-shapes] [--n 200]
        [--size PX] [--threads 2]

Scenes: the one-object scenes of shapes.dataset.eval_prompts(1234, ·, "holdout") (the prompts
research/eval_adherence.py uses), rendered at --size (default: the manifest's), encoded (the
posterior mean), decoded, and checked against their canonical captions; shape accuracy is
also broken down by the scene's shape and size.
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
from shapes.checker import check, evaluate  # noqa: E402
from shapes.dataset import eval_prompts  # noqa: E402
from shapes.render import render  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "..", "models", "kiln-shapes"))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--size", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = KilnShapes(args.model)
    size = args.size or model.sampling["width"]
    prompts, scenes = eval_prompts(1234, 8 * args.n, "holdout")
    pairs = [(p, s) for p, s in zip(prompts, scenes) if len(s.objects) == 1][:args.n]
    images = np.stack([render(s, size) for _, s in pairs])
    out = []
    with torch.no_grad():
        for i in range(0, len(images), 25):
            x = from_uint8(images[i:i + 25])
            z = torch.chunk(model.ae.encoder(x), 2, dim=1)[0]
            out.extend(to_uint8(model.ae.decoder(z)))
    r = evaluate(out, [p for p, _ in pairs])
    print(f"autoencoder round trip, {len(pairs)} held-out one-object scenes at {size}x{size}: " +
          " ".join(f"{k} {r[k]:.3f}" for k in ("color", "shape", "position", "background",
                                                "count", "correct")))
    print_shape_breakdown(out, pairs)


def print_shape_breakdown(images, pairs, indent: str = "") -> None:
    """Shape accuracy of one-object images by the asked shape and by size; pairs are
    (prompt, scene)."""
    shape_right = [check(img, p).objects[0].shape for img, (p, _) in zip(images, pairs)]
    for attr in ("shape", "size"):
        groups = {}
        for ok, (_, s) in zip(shape_right, pairs):
            groups.setdefault(getattr(s.objects[0], attr), []).append(ok)
        print(f"{indent}shape accuracy by {attr}: " +
              " ".join(f"{k} {np.mean(v):.2f} (n {len(v)})" for k, v in sorted(groups.items())))


if __name__ == "__main__":
    main()
