"""Writes an evaluation prompt set (canonical captions), optionally with ground-truth renders.

    PYTHONPATH=research /usr/bin/python3 -m shapes.make_eval_set --split holdout --n 500 \\
        --seed 1234 --out /tmp/eval_holdout [--render 64]

Writes OUT/prompts.txt (one canonical prompt a line) and OUT/scenes.jsonl (the reference
scenes); with --render SIZE also OUT/images/000000.png ... (ground truth, to sanity-check
``python3 -m shapes.evaluate --images OUT/images --prompts OUT/prompts.txt``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from .dataset import SPLITS, eval_prompts
from .render import render


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="write an evaluation prompt set")
    ap.add_argument("--split", default="holdout", choices=SPLITS)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", required=True)
    ap.add_argument("--render", type=int, default=0, help="also write ground-truth PNGs")
    a = ap.parse_args(argv)
    prompts, scenes = eval_prompts(a.seed, a.n, a.split)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "prompts.txt"), "w", encoding="utf-8") as f:
        f.writelines(p + "\n" for p in prompts)
    with open(os.path.join(a.out, "scenes.jsonl"), "w", encoding="utf-8") as f:
        for s in scenes:
            f.write(json.dumps(dataclasses.asdict(s)) + "\n")
    if a.render:
        from PIL import Image
        os.makedirs(os.path.join(a.out, "images"), exist_ok=True)
        for i, s in enumerate(scenes):
            Image.fromarray(render(s, a.render)).save(os.path.join(a.out, "images", f"{i:06d}.png"))
    print(f"wrote {a.n} {a.split} prompts to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
