"""What the transformer says at t = 1: the decoded one-step estimate x̂0 = x_1 - v(x_1, t = 1)
(the prompt alone, no guidance) for large objects, scored by the shapes checker.

    /usr/bin/python3 research/eval_first_step.py [--model models/kiln-shapes] [--threads 2]

A large object's in-cell jitter is about ±1.5 px, so the best answer at t = 1 (the mean latent
over the prompt's scenes) decodes to the right shape (eval_class_mean.py: large 1.00); a model
whose x̂0 here is a round blob has not learnt to turn the shape word into a shape. Prompts:
"a large C S in the P on a white background" for the five shapes, four colours and three
positions (60); noise seeds 0..59.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kiln_research.pipeline import KilnShapes, encode_text, latent_noise, to_uint8, tokenize  # noqa: E402
from kiln_research.sampling import make_img_ids, pack, unpack  # noqa: E402
from shapes.checker import check  # noqa: E402
from shapes.world import SHAPES  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "..", "models", "kiln-shapes"))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    m = KilnShapes(args.model)
    f, z = m.ae.params.downsample_factor(), m.ae.params.z_channels
    h, w = m.sampling["height"] // f, m.sampling["width"] // f
    asked = [(s, c, p) for s in SHAPES for c in ("red", "blue", "green", "purple")
             for p in ("center", "top left", "bottom right")]
    prompts = [f"a large {c} {s} in the {p} on a white background" for s, c, p in asked]
    b = len(prompts)
    with torch.no_grad():
        txt, y = encode_text(m.t5, *tokenize(m.sp, prompts, m.max_length))
        x1 = pack(latent_noise(list(range(b)), z, h, w))
        v = m.flux(img=x1, img_ids=make_img_ids(b, h, w), txt=txt,
                   txt_ids=torch.zeros(b, txt.shape[1], 3), timesteps=torch.ones(b), y=y)
        images = to_uint8(m.ae.decode(unpack(x1 - v, 8 * h, 8 * w)))
    right, read = {}, {}
    for image, prompt, (shape, _, _) in zip(images, prompts, asked):
        o = check(image, prompt).objects[0]
        right.setdefault(shape, []).append(o.shape)
        name = o.detected.shape if o.detected else "none"
        read[name] = read.get(name, 0) + 1
    print(f"x0 at t = 1, {b} large objects: shape {np.mean(sum(right.values(), [])):.3f}; by shape "
          + " ".join(f"{k} {np.mean(v):.2f}" for k, v in right.items())
          + "; read as " + " ".join(f"{k} {n}" for k, n in sorted(read.items())))


if __name__ == "__main__":
    main()
