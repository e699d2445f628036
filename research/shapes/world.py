"""The shapes world: the scene model of kiln-shapes.

A scene is a background colour and one to three objects. Every object has a shape, a colour,
a size and one of nine positions (the cells of a 3x3 grid over the image). Geometry is in
normalised image coordinates: x to the right and y downwards, both in [0, 1], so one scene
renders identically (up to resolution) at any image size.

Guarantees, asserted by ``validate_scene`` and relied on by the checker:
  * objects are in distinct cells and never overlap: the gap between the bounding boxes of two
    objects in neighbouring cells is at least ``MIN_GAP`` (and ``MIN_GAP / 2`` to the image border);
  * an object's bounding-box centre lies in its cell (positions are jittered inside the cell);
  * an object's colour differs from the background.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional, Tuple

# ---- vocabulary of the world -------------------------------------------------------------------

SHAPES: Tuple[str, ...] = ("circle", "square", "triangle", "diamond", "star")

# Object colours (fixed sRGB values). Chosen far apart, also from the gray background.
COLORS = {
    "red": (230, 25, 25),
    "green": (20, 160, 40),
    "blue": (30, 60, 230),
    "yellow": (250, 220, 20),
    "orange": (250, 130, 0),
    "purple": (140, 40, 180),
    "white": (255, 255, 255),
    "black": (0, 0, 0),
}
COLOR_NAMES: Tuple[str, ...] = tuple(COLORS)

# Background colours (a white object is never drawn on white, nor black on black).
BACKGROUNDS = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "gray": (128, 128, 128),
}
BACKGROUND_NAMES: Tuple[str, ...] = tuple(BACKGROUNDS)

# Sizes: the side of the object's (square) bounding box as a fraction of the image side.
SIZES = {"small": 0.14, "medium": 0.20, "large": 0.27}
SIZE_NAMES: Tuple[str, ...] = tuple(SIZES)
SIZE_JITTER = 0.03  # the side is multiplied by a factor in [1 - SIZE_JITTER, 1 + SIZE_JITTER]

# The nine positions, row by row; POSITIONS[3 * row + col].
POSITIONS: Tuple[str, ...] = (
    "top left", "top", "top right",
    "left", "center", "right",
    "bottom left", "bottom", "bottom right",
)
CELL = 1.0 / 3.0
MIN_GAP = 0.04  # minimal gap between objects in neighbouring cells (fraction of the image side)

# Relations between object a and object b (as in "a <rel> b"), decided by grid cells.
RELATIONS: Tuple[str, ...] = ("left of", "right of", "above", "below")


def position_cell(position: str) -> Tuple[int, int]:
    """(row, col) of a position name."""
    i = POSITIONS.index(position)
    return divmod(i, 3)


def cell_position(row: int, col: int) -> str:
    return POSITIONS[3 * row + col]


def cell_center(position: str) -> Tuple[float, float]:
    """(x, y) of the centre of a position's cell, normalised."""
    row, col = position_cell(position)
    return ((col + 0.5) * CELL, (row + 0.5) * CELL)


def relation_holds(rel: str, pos_a: str, pos_b: str) -> bool:
    """Whether "a <rel> b" holds for objects in cells pos_a and pos_b (strictly, on one axis)."""
    ra, ca = position_cell(pos_a)
    rb, cb = position_cell(pos_b)
    if rel == "left of":
        return ca < cb
    if rel == "right of":
        return ca > cb
    if rel == "above":
        return ra < rb
    if rel == "below":
        return ra > rb
    raise ValueError(f"unknown relation {rel!r}")


def valid_relations(pos_a: str, pos_b: str) -> Tuple[str, ...]:
    return tuple(r for r in RELATIONS if relation_holds(r, pos_a, pos_b))


def max_jitter(extent: float) -> float:
    """Largest offset of the box centre from the cell centre (per axis) keeping MIN_GAP."""
    return max(0.0, (CELL - extent - MIN_GAP) / 2.0)


# ---- scene -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Obj:
    shape: str
    color: str
    size: str
    position: str
    cx: float  # bounding-box centre, normalised
    cy: float
    extent: float  # side of the bounding box, normalised

    def replace(self, **kw) -> "Obj":
        return dataclasses.replace(self, **kw)


@dataclass(frozen=True)
class Relation:
    """Object ``a`` <rel> object ``b`` (indices into Scene.objects)."""

    a: int
    rel: str
    b: int


@dataclass(frozen=True)
class Scene:
    objects: Tuple[Obj, ...]
    background: str
    # For two-object scenes: when set, the canonical caption describes the pair by this
    # relation instead of by the objects' positions.
    relation: Optional[Relation] = None

    def replace(self, **kw) -> "Scene":
        return dataclasses.replace(self, **kw)


def make_obj(shape: str, color: str, size: str, position: str,
             dx: float = 0.0, dy: float = 0.0, scale: float = 1.0) -> Obj:
    """An object centred in its cell, offset by (dx, dy) and with its size multiplied by scale."""
    x, y = cell_center(position)
    return Obj(shape, color, size, position, x + dx, y + dy, SIZES[size] * scale)


def validate_scene(scene: Scene) -> None:
    """Raises ValueError when the scene breaks one of the world's rules."""
    if scene.background not in BACKGROUNDS:
        raise ValueError(f"unknown background {scene.background!r}")
    if not 1 <= len(scene.objects) <= 3:
        raise ValueError("a scene has one to three objects")
    cells = set()
    for o in scene.objects:
        if o.shape not in SHAPES or o.color not in COLORS or o.size not in SIZES:
            raise ValueError(f"bad object {o}")
        if o.color == scene.background:
            raise ValueError(f"object colour equals the background: {o}")
        if o.position in cells:
            raise ValueError("two objects in one cell")
        cells.add(o.position)
        x, y = cell_center(o.position)
        j = max_jitter(o.extent) + 1e-9
        if abs(o.cx - x) > j or abs(o.cy - y) > j:
            raise ValueError(f"object leaves its cell margin: {o}")
    if scene.relation is not None:
        r = scene.relation
        if len(scene.objects) != 2 or {r.a, r.b} != {0, 1}:
            raise ValueError("a relation needs exactly two objects")
        if not relation_holds(r.rel, scene.objects[r.a].position, scene.objects[r.b].position):
            raise ValueError(f"relation {r} does not hold")
