"""The automatic adherence checker: does an image show what its shapes-world prompt asks for?

Pipeline (numpy + scipy.ndimage, any image size from 64 to 256, square or not):

1. Background: the median colour of the image's border ring, named by the nearest background.
2. Soft segmentation: every pixel p is explained as a mix bg + alpha * (c - bg) of the background
   and one palette colour c (the c with the smallest residual); alpha is its coverage. This keeps
   anti-aliased and blurred edges with their true colour (half-orange on black is not "red").
   When the border shows noise, the image is first smoothed a little.
3. Objects: connected components (8-neighbour) of alpha > 0.5, tiny ones dropped; a component
   whose pixels split into two sizeable colour groups is split by colour.
4. Per object: colour = the palette colour nearest the mean of its core pixels (alpha > 0.75);
   shape = the template (circle, square, ...) with the best soft IoU after placing each template
   by the object's centroid and scaling it to the object's area; position = the 3x3 cell of the
   implied bounding-box centre; size = nearest nominal size of the implied box side.
5. A prompt's objects are matched to the detected ones (the assignment that agrees most, colour
   first), and each asked-for attribute is checked; relations are checked on the matched objects'
   cells, exactly as the world defines them.

API:
  detect(image) -> Detections (background name, list of DetectedObject)
  check(image, prompt) -> CheckResult (prompt: caption str or captions.Spec)
  evaluate(images, prompts) -> dict of accuracies
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from scipy import ndimage

from .captions import Spec, parse_caption
from .render import coverage, shape_geometry
from .world import (BACKGROUNDS, COLORS, POSITIONS, SHAPES, SIZES, SIZE_NAMES, cell_position,
                    relation_holds)

_PALETTE_NAMES = tuple(COLORS)
_PALETTE = np.array([COLORS[c] for c in _PALETTE_NAMES], dtype=np.float32)
_BG_NAMES = tuple(BACKGROUNDS)
_BG = np.array([BACKGROUNDS[b] for b in _BG_NAMES], dtype=np.float32)

# smallest object the world draws: a small star, extent 0.14 * 0.97
_MIN_OBJECT_AREA = shape_geometry("star")[0] * (SIZES["small"] * 0.97) ** 2
MIN_AREA_FRACTION = 0.3  # components smaller than this fraction of it are noise
# size boundaries: geometric means of neighbouring nominal sizes
_SIZE_EDGES = [math.sqrt(SIZES[a] * SIZES[b]) for a, b in zip(SIZE_NAMES, SIZE_NAMES[1:])]


@dataclass
class DetectedObject:
    color: str
    shape: str
    position: str
    size: str
    cx: float  # centroid, normalised
    cy: float
    box_cx: float  # implied bounding-box centre (normalised), from the shape's template
    box_cy: float
    extent: float  # implied bounding-box side, normalised
    area: float  # soft area, fraction of the image
    shape_scores: Dict[str, float] = field(default_factory=dict)  # soft IoU per template
    color_distance: float = 0.0  # RGB distance of the mean core colour to the chosen colour


@dataclass
class Detections:
    background: str
    background_rgb: Tuple[float, float, float]
    objects: List[DetectedObject]


@dataclass
class ObjectCheck:
    color: bool
    shape: bool
    position: Optional[bool]  # None: the prompt does not say
    size: Optional[bool]
    found: bool  # some detected object was matched to this prompt object
    detected: Optional[DetectedObject] = None


@dataclass
class CheckResult:
    objects: List[ObjectCheck]
    relation: Optional[bool]
    background: Optional[bool]
    count: bool  # as many objects detected as asked for
    n_detected: int
    detections: Detections

    @property
    def correct(self) -> bool:
        """Everything the prompt says except sizes: colours, shapes, positions, the relation,
        the background, and the number of objects."""
        ok = self.count and self.relation is not False and self.background is not False
        for o in self.objects:
            ok = ok and o.color and o.shape and o.position is not False
        return ok

    @property
    def correct_with_size(self) -> bool:
        return self.correct and all(o.size is not False for o in self.objects)


# ---- detection ---------------------------------------------------------------------------------


def _as_float_image(image) -> np.ndarray:
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f"expected an HxWx3 image, got shape {img.shape}")
    img = img[..., :3]
    if img.dtype == np.uint8:
        return img.astype(np.float32)
    img = img.astype(np.float32)
    if img.max() <= 1.0 + 1e-6:  # float images in [0, 1]
        img = img * 255.0
    return img


def _border(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    b = max(1, min(h, w) // 32)
    return np.concatenate([img[:b].reshape(-1, 3), img[-b:].reshape(-1, 3),
                           img[:, :b].reshape(-1, 3), img[:, -b:].reshape(-1, 3)])


def _soft_segment(img: np.ndarray, bg: np.ndarray):
    """(alpha [H,W], palette index [H,W], candidate palette indices)."""
    cand = [i for i in range(len(_PALETTE)) if np.linalg.norm(_PALETTE[i] - bg) > 60.0]
    d = _PALETTE[cand] - bg  # [K,3]
    p = img - bg  # [H,W,3]
    a = np.einsum("hwc,kc->hwk", p, d) / np.sum(d * d, axis=1)  # [H,W,K]
    ac = np.clip(a, 0.0, 1.0)
    resid = p[:, :, None, :] - ac[..., None] * d  # [H,W,K,3]
    r2 = np.sum(resid * resid, axis=-1)
    k = np.argmin(r2, axis=-1)
    alpha = np.take_along_axis(ac, k[..., None], axis=-1)[..., 0]
    return alpha, np.asarray(cand)[k], cand


SPLIT_MIN_COLOR_DISTANCE = 100.0  # never split neighbours in colour (orange/yellow: 92)


def _colour_pieces(m: np.ndarray, label: np.ndarray, min_px: float) -> List[np.ndarray]:
    """The pieces of one component if it looks like touching objects of different colours: two
    or more colour groups, each with a connected piece of at least twice the noise area and 30 %
    of the component, in palette colours far apart. Otherwise []."""
    cnt = int(m.sum())
    need = max(2.0 * min_px, 0.3 * cnt)
    cols, counts = np.unique(label[m], return_counts=True)
    pieces, names = [], []
    for c, k in zip(cols, counts):
        if k < need:
            continue
        sub, ns = ndimage.label(m & (label == c), structure=np.ones((3, 3), bool))
        sizes = np.bincount(sub.ravel())[1:]
        j = int(np.argmax(sizes))
        if sizes[j] >= need:
            pieces.append(sub == j + 1)
            names.append(int(c))
    if len(pieces) < 2:
        return []
    far = any(np.linalg.norm(_PALETTE[a] - _PALETTE[b]) >= SPLIT_MIN_COLOR_DISTANCE
              for a, b in itertools.combinations(names, 2))
    return pieces if far else []


def _components(fg: np.ndarray, label: np.ndarray, min_px: float):
    """Connected components of fg; components made of two sizeable colour groups are split."""
    lab, n = ndimage.label(fg, structure=np.ones((3, 3), dtype=bool))
    comps = []
    for i, sl in enumerate(ndimage.find_objects(lab), start=1):
        if sl is None:
            continue
        m = lab[sl] == i
        cnt = int(m.sum())
        if cnt < min_px:
            continue
        pieces = _colour_pieces(m, label[sl], min_px)
        if len(pieces) >= 2:
            # every pixel of the component goes to the nearest piece
            seeds = np.zeros(m.shape, dtype=np.int32)
            for j, pm in enumerate(pieces, start=1):
                seeds[pm] = j
            _, (iy, ix) = ndimage.distance_transform_edt(seeds == 0, return_indices=True)
            owner = seeds[iy, ix]
            for j in range(1, len(pieces) + 1):
                full = np.zeros(fg.shape, dtype=bool)
                full[sl] = m & (owner == j)
                comps.append(full)
            continue
        full = np.zeros(fg.shape, dtype=bool)
        full[sl] = m
        comps.append(full)
    return comps


# blur levels (Gaussian sigma, in pixels of a 64-pixel image; scaled with the image) tried for
# the templates: a blurred object matches its blurred template best
TEMPLATE_BLURS = (0.0, 0.5, 0.8, 1.2, 1.7, 2.4)


def _classify_shape(a: np.ndarray, h: int, w: int, y0: int, x0: int
                    ) -> Tuple[str, Dict[str, float], Tuple[float, float, float, float, float]]:
    """Best template for the soft mask a (a patch at rows y0.., cols x0.. of an h x w image).

    Each template is placed by a's centroid, scaled to a's area (blur keeps the area), blurred
    by each of TEMPLATE_BLURS, and scored by soft IoU; a shape's score is its best over blurs.
    """
    area = float(a.sum())
    ys, xs = np.mgrid[0:a.shape[0], 0:a.shape[1]]
    cy = (float((ys * a).sum()) / area + y0 + 0.5) / h
    cx = (float((xs * a).sum()) / area + x0 + 0.5) / w
    ph, pw = a.shape
    scale = min(h, w) / 64.0
    scores = {}
    boxes = {}
    for s in SHAPES:
        ratio, ou, ov = shape_geometry(s)
        e = math.sqrt(area / (ratio * h * w))
        bx, by = cx - ou * e, cy - ov * e
        # render with a margin so blurring pulls in the template's mass from outside the patch
        m = int(math.ceil(3 * TEMPLATE_BLURS[-1] * scale)) + 1
        t = coverage(s, bx, by, e, h, w, y0 - m, y0 + ph + m, x0 - m, x0 + pw + m)
        best = -1.0
        for sig in TEMPLATE_BLURS:
            tb = ndimage.gaussian_filter(t, sig * scale, mode="constant") if sig > 0 else t
            tb = tb[m:m + ph, m:m + pw]
            inter = float(np.minimum(a, tb).sum())
            union = float(np.maximum(a, tb).sum())
            best = max(best, inter / max(union, 1e-9))
        scores[s] = best
        boxes[s] = (bx, by, e)
    shape = max(scores, key=scores.get)
    return shape, scores, boxes[shape] + (cx, cy)


def detect(image) -> Detections:
    """Finds the background and the objects of an image (uint8 HxWx3, or float in [0,1])."""
    img = _as_float_image(image)
    h, w = img.shape[:2]
    border = _border(img)
    bg = np.median(border, axis=0)
    bg_name = _BG_NAMES[int(np.argmin(np.linalg.norm(_BG - bg, axis=1)))]
    # noise level of the border (robust); smooth noisy images a little
    mad = float(np.median(np.abs(border - bg))) * 1.4826
    if mad > 3.0:
        sigma = min(1.5, 0.4 + mad / 25.0) * min(h, w) / 128.0
        img = ndimage.gaussian_filter(img, sigma=(sigma, sigma, 0), mode="nearest")
    alpha, label, _ = _soft_segment(img, bg)
    min_px = MIN_AREA_FRACTION * _MIN_OBJECT_AREA * h * w
    fg = alpha > 0.5
    objs = []
    comps = _components(fg, label, min_px)
    # every pixel near an object (within reach of blurred edges) belongs to the nearest object
    reach = 4.0 * max(1.0, min(h, w) / 64.0)
    owner = np.zeros((h, w), dtype=np.int32)
    for i, comp in enumerate(comps, start=1):
        owner[comp] = i
    if comps:
        dist, (iy, ix) = ndimage.distance_transform_edt(owner == 0, return_indices=True)
        near = owner[iy, ix]
        near[dist > reach] = 0
    for i, comp in enumerate(comps, start=1):
        # the soft mask: the component and its surroundings, without other objects' pixels
        region = near == i
        rows = np.flatnonzero(region.any(axis=1))
        cols = np.flatnonzero(region.any(axis=0))
        y0, y1 = rows[0], rows[-1] + 1
        x0, x1 = cols[0], cols[-1] + 1
        core = comp & (alpha > 0.75)
        if core.sum() < 3:
            core = comp
        mean = img[core].mean(axis=0)
        # pixels are mixes with the background: unmix the mean core colour before naming it
        ca = float(alpha[core].mean())
        col = bg + (mean - bg) / max(ca, 0.5)
        dist = np.linalg.norm(_PALETTE - col, axis=1)
        dist[np.linalg.norm(_PALETTE - bg, axis=1) <= 60.0] = np.inf
        ci = int(np.argmin(dist))
        # the object's own coverage: every pixel of the region projected on the line from the
        # background to the object's measured colour (not to whichever palette colour explains
        # the pixel best, which would turn noise into coverage)
        d = (col - bg).astype(np.float32)
        p = img[y0:y1, x0:x1] - bg
        cov = np.clip((p @ d) / max(float(d @ d), 1e-6), 0.0, 1.0)
        a = np.where(region[y0:y1, x0:x1], cov, 0.0).astype(np.float32)
        shape, scores, (bx, by, e, cx, cy) = _classify_shape(a, h, w, y0, x0)
        row = min(2, max(0, int(by * 3)))
        colp = min(2, max(0, int(bx * 3)))
        size = SIZE_NAMES[int(np.searchsorted(_SIZE_EDGES, e))]
        objs.append(DetectedObject(_PALETTE_NAMES[ci], shape, cell_position(row, colp), size,
                                   cx, cy, bx, by, e, float(a.sum()) / (h * w), scores,
                                   float(dist[ci])))
    objs.sort(key=lambda o: -o.area)
    return Detections(bg_name, tuple(float(x) for x in bg), objs)


# ---- checking ----------------------------------------------------------------------------------

MAX_CANDIDATES = 6


def _agreement(exp, det: DetectedObject) -> float:
    s = 4.0 * (exp.color == det.color) + 2.0 * (exp.shape == det.shape)
    if exp.position is not None:
        s += 1.0 * (exp.position == det.position)
    if exp.size is not None:
        s += 0.5 * (exp.size == det.size)
    return s + 1e-3 * det.area  # prefer larger objects on ties


def check(image, prompt: Union[str, Spec], detections: Optional[Detections] = None
          ) -> CheckResult:
    """Checks an image against a prompt (a caption, parsed with parse_caption, or a Spec)."""
    spec = parse_caption(prompt) if isinstance(prompt, str) else prompt
    det = detections if detections is not None else detect(image)
    cands = det.objects[:MAX_CANDIDATES]
    n = len(spec.objects)
    best, best_score = None, -1.0
    # brute-force assignment of prompt objects to detections (None = unmatched)
    slots = list(range(len(cands))) + [None] * n
    for perm in itertools.permutations(slots, n):
        used = [p for p in perm if p is not None]
        if len(used) != len(set(used)):
            continue
        score = sum(_agreement(e, cands[p]) + 10.0 for e, p in zip(spec.objects, perm)
                    if p is not None)
        if score > best_score:
            best, best_score = perm, score
    checks = []
    for e, p in zip(spec.objects, best):
        if p is None:
            checks.append(ObjectCheck(False, False, False if e.position else None,
                                      False if e.size else None, False, None))
            continue
        d = cands[p]
        checks.append(ObjectCheck(
            color=e.color == d.color, shape=e.shape == d.shape,
            position=None if e.position is None else e.position == d.position,
            size=None if e.size is None else e.size == d.size, found=True, detected=d))
    relation = None
    if spec.relation is not None:
        r = spec.relation
        da, db = checks[r.a].detected, checks[r.b].detected
        relation = bool(da is not None and db is not None
                        and relation_holds(r.rel, da.position, db.position))
    background = None if spec.background is None else spec.background == det.background
    return CheckResult(checks, relation, background, len(det.objects) == n, len(det.objects), det)


def tally(r: "CheckResult", tallies: Dict[str, List[bool]]) -> None:
    """Appends one image's verdicts to per-attribute lists (the raw material of accuracies)."""
    for o in r.objects:
        tallies["color"].append(o.color)
        tallies["shape"].append(o.shape)
        if o.position is not None:
            tallies["position"].append(o.position)
        if o.size is not None:
            tallies["size"].append(o.size)
    if r.relation is not None:
        tallies["relation"].append(r.relation)
    if r.background is not None:
        tallies["background"].append(r.background)
    tallies["count"].append(r.count)
    tallies["correct"].append(r.correct)
    tallies["correct_with_size"].append(r.correct_with_size)


def evaluate(images: Sequence, prompts: Sequence[Union[str, Spec]]) -> Dict[str, float]:
    """Per-attribute accuracies of images against their prompts.

    Keys: color, shape, position, size (fractions of prompt objects whose attribute is right;
    position/size over objects whose prompt states it), relation (over relation prompts),
    background, count, correct (whole prompt right, sizes aside), correct_with_size, and the
    numbers n_images, n_objects, n_position, n_size, n_relation.
    """
    if len(images) != len(prompts):
        raise ValueError(f"{len(images)} images but {len(prompts)} prompts")
    tallies: Dict[str, List[bool]] = {k: [] for k in (
        "color", "shape", "position", "size", "relation", "background", "count", "correct",
        "correct_with_size")}
    for img, pr in zip(images, prompts):
        tally(check(img, pr), tallies)
    out = {k: (float(np.mean(v)) if v else float("nan")) for k, v in tallies.items()}
    out.update(n_images=len(images), n_objects=len(tallies["color"]),
               n_position=len(tallies["position"]), n_size=len(tallies["size"]),
               n_relation=len(tallies["relation"]))
    return out
