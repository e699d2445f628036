"""Prompt adherence of kiln-shapes on held-out prompts, scored by the shapes checker.

    PYTHONPATH=research /usr/bin/python3 research/eval_adherence.py [--model models/kiln-shapes]
        [--n1 200] [--n2 100] [--nval 100] [--seed 1234] [--cfg S] [--steps N] [--size PX]
        [--json out.json] [--images DIR]

Prompts: canonical captions from shapes.dataset.eval_prompts(seed, ·, "holdout") (every scene
has at least one held-out colour x shape or colour x position combination), split by object
count: the first --n1 one-object and the first --n2 two-object prompts; plus --nval one-object
in-distribution prompts from the "val" split. Image i of a set uses seed 1000 + i, at the
manifest's default size, steps and guidance (kiln_research.pipeline, the same as the C++
pipeline); --cfg, --steps and --size override the manifest's.

Reported per set: shapes.checker.evaluate's per-attribute accuracies (colour, shape, position
over prompt objects; background; count; correct = everything but sizes) and, for two-object
prompts, both_objects = both objects' colour, shape and (stated) position right.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kiln_research.pipeline import KilnShapes, to_uint8  # noqa: E402
from shapes.captions import parse_caption  # noqa: E402
from shapes.checker import check, evaluate  # noqa: E402
from shapes.dataset import eval_prompts  # noqa: E402


def pick(seed: int, split: str, n_objects: int, n: int):
    prompts, _ = eval_prompts(seed, max(2000, 8 * n), split)
    out = [p for p in prompts if len(parse_caption(p).objects) == n_objects][:n]
    assert len(out) == n, (split, n_objects, len(out))
    return out


def run_set(model: KilnShapes, prompts, batch: int, images_dir=None, tag="", cfg=None,
            steps=None, size=None):
    imgs = []
    for i in range(0, len(prompts), batch):
        chunk = prompts[i:i + batch]
        seeds = [1000 + i + j for j in range(len(chunk))]
        imgs.extend(to_uint8(model.generate(chunk, seeds, steps=steps, width=size, height=size,
                                               cfg_scale=cfg)))
    if images_dir:
        from PIL import Image
        d = os.path.join(images_dir, tag)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "prompts.txt"), "w") as f:
            for k, (im, p) in enumerate(zip(imgs, prompts)):
                Image.fromarray(im).save(os.path.join(d, f"{k:06d}.png"))
                f.write(p + "\n")
    res = evaluate(imgs, prompts)
    both = []
    for im, p in zip(imgs, prompts):
        r = check(im, p)
        both.append(all(o.color and o.shape and o.position is not False for o in r.objects))
    res["both_objects" if len(parse_caption(prompts[0]).objects) == 2 else "all_objects"] = \
        float(np.mean(both))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "..", "models", "kiln-shapes"))
    ap.add_argument("--n1", type=int, default=200)
    ap.add_argument("--n2", type=int, default=100)
    ap.add_argument("--nval", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cfg", type=float, default=None, help="guidance scale (manifest's)")
    ap.add_argument("--steps", type=int, default=None, help="sampling steps (manifest's)")
    ap.add_argument("--size", type=int, default=None, help="image side in pixels (manifest's)")
    ap.add_argument("--json", default="")
    ap.add_argument("--images", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = KilnShapes(args.model)
    wanted = {"holdout_1obj": ("holdout", 1, args.n1), "holdout_2obj": ("holdout", 2, args.n2),
              "val_1obj": ("val", 1, args.nval)}
    # A set asked for with n = 0 is skipped (e.g. --n1 0 --n2 0 to tune guidance on val alone).
    sets = {name: pick(args.seed, split, k, n) for name, (split, k, n) in wanted.items() if n}
    results = {"model": os.path.abspath(args.model), "sampling": model.sampling,
               "seed": args.seed, "cfg": args.cfg, "steps": args.steps, "size": args.size}
    for name, prompts in sets.items():
        t = time.time()
        r = run_set(model, prompts, args.batch, args.images, name, args.cfg, args.steps,
                    args.size)
        r["seconds"] = round(time.time() - t, 1)
        results[name] = r
        keys = ["color", "shape", "position", "background", "count", "correct", "both_objects",
                "all_objects"]
        print(f"{name:14s} n={r['n_images']:4d} " + " ".join(
            f"{k} {r[k]:.3f}" for k in keys if k in r) + f"  ({r['seconds']}s)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
