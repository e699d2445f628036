"""Validates the checker on ground-truth renders (optionally degraded).

    PYTHONPATH=research /usr/bin/python3 -m shapes.validate_checker --n 1000 --size 128
    PYTHONPATH=research /usr/bin/python3 -m shapes.validate_checker --n 1000 --size 64 --blur 1 --noise 8

Each scene is checked against its full description (shape, colour, size and position of every
object, and the background); prints per-attribute accuracy and the most common confusions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter

import numpy as np

from .captions import ObjSpec, Spec
from .checker import check
from .dataset import sample_scenes
from .degrade import degrade
from .render import render
from .world import BACKGROUNDS, COLORS


def full_spec(scene) -> Spec:
    return Spec(tuple(ObjSpec(o.shape, o.color, o.size, o.position) for o in scene.objects),
                scene.background)


def validate(n: int, size: int, seed: int = 0, split: str = "all", blur: float = 0.0,
             noise: float = 0.0, color_jitter: float = 0.0):
    """Returns (accuracies dict, confusion Counter of (attribute, true, detected))."""
    scenes = sample_scenes(seed, n, split)
    rng = np.random.default_rng(seed + 1)
    hits, tot, conf = Counter(), Counter(), Counter()
    for s in scenes:
        if color_jitter:  # every object and the background get their own colour error
            j = lambda c: np.clip(np.asarray(c) + rng.uniform(-color_jitter, color_jitter, 3),
                                  0, 255)
            img = render(s, size, object_rgb=[j(COLORS[o.color]) for o in s.objects],
                         background_rgb=j(BACKGROUNDS[s.background]))
        else:
            img = render(s, size)
        if blur or noise:
            img = degrade(img, rng, blur, noise)
        r = check(img, full_spec(s))
        for o, oc in zip(s.objects, r.objects):
            for k in ("color", "shape", "position", "size"):
                tot[k] += 1
                ok = bool(getattr(oc, k))
                hits[k] += ok
                if not ok:
                    conf[(k, getattr(o, k), getattr(oc.detected, k) if oc.detected else None)] += 1
        for k, ok in (("background", r.background), ("count", r.count), ("correct", r.correct),
                      ("correct_with_size", r.correct_with_size)):
            tot[k] += 1
            hits[k] += bool(ok)
    acc = {k: hits[k] / tot[k] for k in tot}
    acc["n_scenes"] = n
    acc["n_objects"] = tot["color"]
    return acc, conf


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", default="all")
    ap.add_argument("--blur", type=float, default=0.0, help="sigma in pixels at 64x64")
    ap.add_argument("--noise", type=float, default=0.0, help="sigma in 0..255 units")
    ap.add_argument("--color-jitter", type=float, default=0.0,
                    help="per-object and background colour error, uniform +-J per channel")
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    a = ap.parse_args(argv)
    t = time.time()
    acc, conf = validate(a.n, a.size, a.seed, a.split, a.blur, a.noise, a.color_jitter)
    dt = time.time() - t
    if a.json:
        print(json.dumps(dict(acc, image_size=a.size, blur=a.blur, noise=a.noise,
                              color_jitter=a.color_jitter, seconds=round(dt, 1))))
        return 0
    print(f"checker on {a.n} ground-truth scenes ({acc['n_objects']} objects) at {a.size}x{a.size}"
          f", blur {a.blur}, noise {a.noise}, colour jitter {a.color_jitter} ({dt:.1f} s)")
    for k in ("color", "shape", "position", "size", "background", "count", "correct",
              "correct_with_size"):
        print(f"  {k:18s} {100 * acc[k]:7.2f}%")
    if conf:
        print("  most common errors (attribute, true, detected):")
        for (k, t_, d), c in conf.most_common(8):
            print(f"    {k:9s} {t_!s:13s} -> {d!s:13s} x{c}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
