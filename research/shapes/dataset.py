"""Sampling of shapes-world scenes and training batches, with a held-out split.

Splits:
  "train"   scenes with no held-out combination (see HELDOUT_COLOR_SHAPE / HELDOUT_COLOR_POSITION)
  "val"     the same distribution as "train" (use another seed)
  "holdout" scenes where at least one object has a held-out combination; whenever a
            colour x position combination is held out in a scene, the caption names positions
            (never the relation form), so the prompt states the unseen combination.
  "all"     no restriction

Everything is deterministic given the numpy Generator (or the int seed) passed in.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np

from .captions import caption_with_spec, canonical_caption
from .render import render
from .world import (BACKGROUND_NAMES, COLOR_NAMES, POSITIONS, SHAPES, SIZE_JITTER, SIZE_NAMES,
                    SIZES, Obj, Relation, Scene, cell_center, max_jitter, valid_relations)

# ---- the held-out combinations (documented in README.md; never in "train"/"val") ---------------

HELDOUT_COLOR_SHAPE: Tuple[Tuple[str, str], ...] = (
    ("purple", "triangle"),
    ("orange", "square"),
    ("green", "circle"),
    ("yellow", "star"),
)
HELDOUT_COLOR_POSITION: Tuple[Tuple[str, str], ...] = (
    ("red", "bottom right"),
    ("blue", "top left"),
    ("yellow", "center"),
    ("black", "left"),
)

SPLITS = ("train", "val", "holdout", "all")

N_OBJECTS_P = (0.45, 0.40, 0.15)  # probabilities of one, two, three objects
RELATION_P = 0.6  # probability that a two-object scene is captioned by a relation


def is_heldout_object(o: Obj) -> bool:
    return (o.color, o.shape) in HELDOUT_COLOR_SHAPE or (o.color, o.position) in HELDOUT_COLOR_POSITION


def has_heldout(scene: Scene) -> bool:
    return any(is_heldout_object(o) for o in scene.objects)


def _rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def _n_objects(rng: np.random.Generator) -> int:
    u = rng.random()
    return 1 if u < N_OBJECTS_P[0] else 2 if u < N_OBJECTS_P[0] + N_OBJECTS_P[1] else 3


def _sample_object(rng: np.random.Generator, pos: str, colors: Sequence[str]) -> Obj:
    """An object in cell pos: any shape, colour of colors, size, and jitter the world allows."""
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    color = colors[int(rng.integers(len(colors)))]
    size = SIZE_NAMES[int(rng.integers(len(SIZE_NAMES)))]
    return place_object(rng, shape, color, size, pos)


def place_object(rng: np.random.Generator, shape: str, color: str, size: str, pos: str) -> Obj:
    """The object with its size jitter and its offset in cell pos drawn as the world allows."""
    extent = SIZES[size] * float(rng.uniform(1 - SIZE_JITTER, 1 + SIZE_JITTER))
    j = max_jitter(extent)
    dx, dy = rng.uniform(-j, j, size=2)
    x, y = cell_center(pos)
    return Obj(shape, color, size, pos, x + float(dx), y + float(dy), extent)


def _sample_unrestricted(rng: np.random.Generator, n: int) -> Scene:
    bg = BACKGROUND_NAMES[int(rng.integers(len(BACKGROUND_NAMES)))]
    colors = [c for c in COLOR_NAMES if c != bg]
    cells = rng.choice(9, size=n, replace=False)
    objs = []
    for cell in cells:
        pos = POSITIONS[int(cell)]
        objs.append(_sample_object(rng, pos, colors))
    relation = None
    if n == 2 and rng.random() < RELATION_P:
        rels = valid_relations(objs[0].position, objs[1].position)
        relation = Relation(0, rels[int(rng.integers(len(rels)))], 1)
    return Scene(tuple(objs), bg, relation)


def sample_scene(rng, split: str = "train") -> Scene:
    """One random scene of the split (rejection sampling; deterministic given rng)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; one of {SPLITS}")
    rng = _rng(rng)
    n = _n_objects(rng)  # drawn first: every split keeps the same number-of-objects mix
    while True:
        s = _sample_unrestricted(rng, n)
        if split == "all":
            return s
        h = has_heldout(s)
        if split in ("train", "val") and not h:
            return s
        if split == "holdout" and h:
            if s.relation is not None and any(
                    (o.color, o.position) in HELDOUT_COLOR_POSITION for o in s.objects):
                s = s.replace(relation=None)
            return s


def sample_scenes(rng, n: int, split: str = "train") -> List[Scene]:
    rng = _rng(rng)
    return [sample_scene(rng, split) for _ in range(n)]


def sample_dense_scene(rng) -> Scene:
    """A crowded scene for autoencoder training only (not a world scene, never captioned): every
    one of the nine cells holds an object with probability 0.8, of any shape, colour (not the
    background's), size and jitter the world allows. Objects are a few % of a world scene's
    pixels; crowded scenes give the autoencoder several times more edges to learn from per
    rendered pixel."""
    rng = _rng(rng)
    bg = BACKGROUND_NAMES[int(rng.integers(len(BACKGROUND_NAMES)))]
    colors = [c for c in COLOR_NAMES if c != bg]
    objs = []
    for pos in POSITIONS:
        if rng.random() >= 0.8:
            continue
        objs.append(_sample_object(rng, pos, colors))
    return Scene(tuple(objs), bg)


def make_batch(rng, n: int, size=64, split: str = "train", canonical_prob: float = 0.3
               ) -> Tuple[np.ndarray, List[str], List[Scene]]:
    """n random scenes: (images uint8 [n, H, W, 3], captions, scenes).

    Captions use random phrasings (the canonical one with probability canonical_prob); the
    same rng drives scenes and phrasings, so the batch is a function of the rng state.
    """
    rng = _rng(rng)
    scenes = [sample_scene(rng, split) for _ in range(n)]
    caps = [caption_with_spec(s, rng, canonical_prob)[0] for s in scenes]
    height, width = (size, size) if isinstance(size, int) else size
    images = np.empty((n, height, width, 3), dtype=np.uint8)
    for i, s in enumerate(scenes):
        images[i] = render(s, (height, width))
    return images, caps, scenes


def eval_prompts(seed: int, n: int, split: str = "holdout") -> Tuple[List[str], List[Scene]]:
    """n canonical prompts (and their reference scenes) for evaluation."""
    scenes = sample_scenes(np.random.default_rng(seed), n, split)
    return [canonical_caption(s) for s in scenes], scenes
