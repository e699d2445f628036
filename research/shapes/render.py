"""Rendering of shapes-world scenes: anti-aliased, deterministic, numpy only.

Each pixel is supersampled SS x SS times (default 4x4) and box-downsampled: a pixel's value is
background * (1 - coverage) + colour * coverage, where coverage is the fraction of its sub-samples
inside the shape. Only the object's bounding box is evaluated, so a 64x64 image costs a few
thousand point tests per object.
"""

from __future__ import annotations

import math
from typing import Dict, Iterable, Tuple

import numpy as np

from .world import BACKGROUNDS, COLORS, Scene

SS = 4  # supersampling factor per axis

STAR_INNER = 0.40  # inner radius / outer radius of the five-pointed star


def _star_polygon() -> np.ndarray:
    """Vertices (u, v) of the star, scaled and shifted so its bounding box is [-0.5, 0.5]^2
    horizontally and centred vertically (height 0.951)."""
    pts = []
    for k in range(10):
        ang = -math.pi / 2 + k * math.pi / 5  # start at the top tip, clockwise on screen
        r = 1.0 if k % 2 == 0 else STAR_INNER
        pts.append((r * math.cos(ang), r * math.sin(ang)))
    p = np.array(pts)
    w = p[:, 0].max() - p[:, 0].min()
    p = p / w
    p[:, 1] -= (p[:, 1].max() + p[:, 1].min()) / 2
    return p


_STAR = _star_polygon()


def _halfplanes_inside(u: np.ndarray, v: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Inside test for a convex polygon given clockwise-on-screen (y down) vertices."""
    inside = np.ones(np.broadcast(u, v).shape, dtype=bool)
    n = len(poly)
    for i in range(n):
        x0, y0 = poly[i]
        x1, y1 = poly[(i + 1) % n]
        # cross((p1 - p0), (p - p0)) >= 0 for points on the inner side (y down, clockwise)
        inside &= (x1 - x0) * (v - y0) - (y1 - y0) * (u - x0) >= 0
    return inside


# star in polar form: centre, outer radius, and the tip/inner-vertex edge of the fundamental
# sector (the star is folded by its 10-fold mirror symmetry into angles [0, pi/5])
_STAR_CY = float(_STAR[0::2, 1].mean())  # centre v (the mean of the five tips)
_STAR_R = float(_STAR_CY - _STAR[0, 1])  # the top tip is straight above the centre
_STAR_RI = _STAR_R * STAR_INNER
_SECTOR = 2 * math.pi / 5


def _star_inside(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    dv = v - _STAR_CY
    r = np.hypot(u, dv)
    # angle measured from the top tip, folded into [0, pi/5]
    a = np.mod(np.arctan2(u, -dv), _SECTOR)
    a = np.minimum(a, _SECTOR - a)
    px, py = r * np.cos(a), r * np.sin(a)
    # edge from the tip (R, 0) to the inner vertex (ri cos 36, ri sin 36); inside: origin's side
    ix, iy = _STAR_RI * math.cos(math.pi / 5), _STAR_RI * math.sin(math.pi / 5)
    ex, ey = ix - _STAR_R, iy
    return ex * py - ey * (px - _STAR_R) >= 0


def shape_mask(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Boolean inside test in unit box coordinates: (u, v) = ((x, y) - centre) / extent; the
    shape's bounding box is [-0.5, 0.5]^2 (the star's is 0.951 high)."""
    if shape == "circle":
        return u * u + v * v <= 0.25
    if shape == "square":
        return (np.abs(u) <= 0.5) & (np.abs(v) <= 0.5)
    if shape == "triangle":  # pointing up: apex at v = -0.5, base at v = +0.5
        return (v <= 0.5) & (2.0 * np.abs(u) <= v + 0.5)
    if shape == "diamond":
        return np.abs(u) + np.abs(v) <= 0.5
    if shape == "star":
        return _star_inside(u, v)
    raise ValueError(f"unknown shape {shape!r}")


def _geometry(shape: str, n: int = 2000) -> Tuple[float, float, float]:
    """(area / extent^2, centroid u, centroid v) of a shape, numerically."""
    t = (np.arange(n) + 0.5) / n - 0.5
    u, v = np.meshgrid(t, t)
    m = shape_mask(shape, u, v)
    return float(m.mean()), float(u[m].mean()), float(v[m].mean())


# area ratio and centroid offset (in units of the extent) of every shape
SHAPE_GEOMETRY: Dict[str, Tuple[float, float, float]] = {}


def shape_geometry(shape: str) -> Tuple[float, float, float]:
    g = SHAPE_GEOMETRY.get(shape)
    if g is None:
        g = SHAPE_GEOMETRY[shape] = _geometry(shape)
    return g


def coverage(shape: str, cx: float, cy: float, extent: float, height: int, width: int,
             y0: int, y1: int, x0: int, x1: int, ss: int = SS) -> np.ndarray:
    """Coverage in [0, 1] (float32, shape [y1-y0, x1-x0]) of pixels rows y0:y1, columns x0:x1 of
    a height x width image by the shape with box centre (cx, cy) and side extent (normalised;
    the extent is relative to the width horizontally and to the height vertically)."""
    sub = (np.arange(ss) + 0.5) / ss
    xs = ((np.arange(x0, x1)[:, None] + sub[None, :]).reshape(-1) / width - cx) / extent
    ys = ((np.arange(y0, y1)[:, None] + sub[None, :]).reshape(-1) / height - cy) / extent
    m = shape_mask(shape, xs[None, :], ys[:, None])
    h, w = y1 - y0, x1 - x0
    return m.reshape(h, ss, w, ss).mean(axis=(1, 3), dtype=np.float32)


def object_box(cx: float, cy: float, extent: float, height: int, width: int):
    """Pixel rows/columns (y0, y1, x0, x1) that cover the object's box, clipped to the image."""
    h = extent / 2
    x0 = max(0, int(math.floor((cx - h) * width)))
    x1 = min(width, int(math.ceil((cx + h) * width)))
    y0 = max(0, int(math.floor((cy - h) * height)))
    y1 = min(height, int(math.ceil((cy + h) * height)))
    return y0, y1, x0, x1


def render(scene: Scene, size=64, ss: int = SS, *, object_rgb=None, background_rgb=None
           ) -> np.ndarray:
    """Renders a scene to a uint8 array [H, W, 3]. ``size`` is an int or (height, width).

    object_rgb (one RGB triple per object) and background_rgb override the palette (used to
    imitate a generative model's colour errors when testing the checker).
    """
    height, width = (size, size) if isinstance(size, int) else size
    img = np.empty((height, width, 3), dtype=np.float32)
    bg = BACKGROUNDS[scene.background] if background_rgb is None else background_rgb
    img[...] = np.asarray(bg, dtype=np.float32)
    for i, o in enumerate(scene.objects):
        y0, y1, x0, x1 = object_box(o.cx, o.cy, o.extent, height, width)
        if y1 <= y0 or x1 <= x0:
            continue
        c = coverage(o.shape, o.cx, o.cy, o.extent, height, width, y0, y1, x0, x1, ss)[..., None]
        col = np.asarray(COLORS[o.color] if object_rgb is None else object_rgb[i],
                         dtype=np.float32)
        patch = img[y0:y1, x0:x1]
        img[y0:y1, x0:x1] = patch + (col - patch) * c
    img += 0.5  # round half up; values are convex combinations of 0..255
    return img.astype(np.uint8)


def render_batch(scenes: Iterable[Scene], size=64, ss: int = SS) -> np.ndarray:
    """Renders scenes to uint8 [N, H, W, 3]."""
    return np.stack([render(s, size, ss) for s in scenes])
