"""Prompt adherence of a folder of generated images.

    PYTHONPATH=research /usr/bin/python3 -m shapes.evaluate --images DIR --prompts FILE
        [--json] [--per-image OUT.jsonl]

FILE is either
  * a .txt file: one prompt a line; image i is the i-th image file of DIR in natural name order
    (000.png, 001.png, ... or img_2.png before img_10.png), or
  * a .jsonl file: one object a line with "prompt" (or "caption") and "image" (or "file"), the
    image's name relative to DIR.
Images: .png, .jpg, .jpeg, .bmp, .ppm (read with PIL, converted to RGB) or .npy (HxWx3 uint8).

Prints per-attribute accuracy (see checker.evaluate) overall and per prompt kind.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import defaultdict
from typing import List, Tuple

import numpy as np

from .captions import parse_caption
from .checker import check, tally

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".npy")


def _natural_key(name: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def load_image(path: str) -> np.ndarray:
    if path.endswith(".npy"):
        return np.load(path)
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def read_pairs(images: str, prompts: str) -> List[Tuple[str, str]]:
    """(image path, prompt) pairs."""
    if prompts.endswith(".jsonl"):
        pairs = []
        with open(prompts, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                d = json.loads(line)
                pairs.append((os.path.join(images, d.get("image", d.get("file"))),
                              d.get("prompt", d.get("caption"))))
        return pairs
    with open(prompts, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f if line.strip()]
    files = sorted((n for n in os.listdir(images) if n.lower().endswith(IMAGE_EXTS)),
                   key=_natural_key)
    if len(files) != len(texts):
        raise SystemExit(f"{len(files)} images in {images} but {len(texts)} prompts in {prompts}")
    return [(os.path.join(images, n), t) for n, t in zip(files, texts)]


def prompt_kind(spec) -> str:
    if spec.relation is not None:
        return "relation"
    return f"{len(spec.objects)} object" + ("s" if len(spec.objects) > 1 else "")


KEYS = ("color", "shape", "position", "size", "relation", "background", "count", "correct",
        "correct_with_size")


def run(pairs, per_image_path=None):
    tallies = defaultdict(lambda: defaultdict(list))  # kind -> key -> [bool]
    out = open(per_image_path, "w", encoding="utf-8") if per_image_path else None
    try:
        for path, prompt in pairs:
            spec = parse_caption(prompt)
            r = check(load_image(path), spec)
            for kind in ("all", prompt_kind(spec)):
                tally(r, tallies[kind])
            if out:
                out.write(json.dumps({
                    "image": os.path.basename(path), "prompt": prompt, "correct": r.correct,
                    "objects": [{"color": o.color, "shape": o.shape, "position": o.position,
                                 "size": o.size} for o in r.objects],
                    "relation": r.relation, "background": r.background, "count": r.count,
                    "detected": [{"color": d.color, "shape": d.shape, "position": d.position,
                                  "size": d.size} for d in r.detections.objects],
                    "detected_background": r.detections.background}) + "\n")
    finally:
        if out:
            out.close()
    result = {}
    for kind, t in tallies.items():
        result[kind] = {k: (float(np.mean(t[k])) if t[k] else None) for k in KEYS}
        result[kind]["n"] = len(t["correct"])
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="prompt adherence of generated shapes-world images")
    ap.add_argument("--images", required=True, help="folder of images")
    ap.add_argument("--prompts", required=True, help=".txt (one a line) or .jsonl")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--per-image", help="write one JSON line per image here")
    a = ap.parse_args(argv)
    result = run(read_pairs(a.images, a.prompts), a.per_image)
    if a.json:
        print(json.dumps(result, indent=1))
        return 0
    kinds = ["all"] + sorted(k for k in result if k != "all")
    print(f"{'':20s}" + "".join(f"{k:>12s}" for k in kinds))
    print(f"{'prompts':20s}" + "".join(f"{result[k]['n']:12d}" for k in kinds))
    for key in KEYS:
        cells = []
        for k in kinds:
            v = result[k][key]
            cells.append(f"{'-':>12s}" if v is None else f"{100 * v:11.2f}%")
        print(f"{key:20s}" + "".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
