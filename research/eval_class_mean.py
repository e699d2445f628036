"""The autoencoder's "class mean" ceiling: what the best one-step estimate at t = 1 decodes to.

    /usr/bin/python3 research/eval_class_mean.py [--model models/kiln-shapes | --ae-pt F.pt [--ae-down 4]]
        [--n 100] [--k 16] [--threads 2]

At t = 1 the denoiser sees only the prompt, and the flow loss's best answer is the mean latent
of every scene the prompt allows: here the object's in-cell offset and size jitter. For each
of the first --n one-object val prompts of shapes.dataset.eval_prompts(1234, ·, "val") (the
ones research/eval_adherence.py uses), --k scenes with the prompt's spec and fresh jitter are
rendered, encoded (the posterior mean) and averaged; the mean is decoded and checked against
the prompt. The round trip of the prompt's own scene is scored beside it. A shape the class
mean loses must be decided by the sampler's later steps, where the noise no longer hides it.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from eval_autoencoder import print_shape_breakdown  # noqa: E402
from kiln_research.pipeline import KilnShapes, from_uint8, to_uint8  # noqa: E402
from shapes.checker import evaluate  # noqa: E402
from shapes.dataset import eval_prompts, place_object  # noqa: E402
from shapes.render import render  # noqa: E402
from shapes.world import Scene  # noqa: E402


def jittered(scene: Scene, rng: np.random.Generator) -> Scene:
    """The one-object scene with its object's size and in-cell offset drawn afresh."""
    o = scene.objects[0]
    return scene.replace(objects=(place_object(rng, o.shape, o.color, o.size, o.position),))


def load_autoencoder(args):
    if args.ae_pt:  # a stage-1 checkpoint of research/train.py
        import train
        ae = train.AutoEncoder(train.ae_params(args.ae_down))
        ae.load_state_dict(torch.load(args.ae_pt))
        return ae.eval()
    return KilnShapes(args.model).ae


def report(name, images, pairs):
    prompts = [p for p, _ in pairs]
    r = evaluate(images, prompts)
    print(f"{name}: " + " ".join(f"{k} {r[k]:.3f}" for k in ("color", "shape", "position",
                                                             "count")))
    print_shape_breakdown(images, pairs, indent="  ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "..", "models", "kiln-shapes"))
    ap.add_argument("--ae-pt", default=None)
    ap.add_argument("--ae-down", type=int, default=4, help="--ae-pt's train.py --ae-down")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ae = load_autoencoder(args)
    prompts, scenes = eval_prompts(1234, 8 * args.n, "val")
    pairs = [(p, s) for p, s in zip(prompts, scenes) if len(s.objects) == 1][:args.n]
    rng = np.random.default_rng(0)
    means, own = [], []
    with torch.no_grad():
        for _, s in pairs:
            batch = [jittered(s, rng) for _ in range(args.k)] + [s]
            z = torch.chunk(ae.encoder(from_uint8(np.stack([render(b, 128) for b in batch]))),
                            2, dim=1)[0]
            means.append(z[:-1].mean(0))
            own.append(z[-1])
        round_trip = list(to_uint8(ae.decoder(torch.stack(own))))
        class_mean = list(to_uint8(ae.decoder(torch.stack(means))))
    report(f"round trip, {len(pairs)} val one-object scenes", round_trip, pairs)
    report(f"class mean of {args.k} jittered scenes each", class_mean, pairs)


if __name__ == "__main__":
    main()
