"""Captions of shapes-world scenes, and the parser the evaluation uses to know what to check.

Canonical forms (always produced by ``canonical_caption`` and always accepted by
``parse_caption``):

  one object        "a large red circle in the top left on a white background"
  two, relation     "a blue square to the left of a yellow triangle on a black background"
  two/three, places "a small red circle in the top left and a large blue star in the center
                     on a gray background"   (three: "X in P, Y in Q and Z in R on a ...")

``caption(scene, rng)`` draws one of several phrasings (synonyms for sizes, positions,
relations and the background, optional size, other sentence frames); ``parse_caption`` accepts
all of them and returns what they say as a ``Spec``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from .world import (BACKGROUND_NAMES, COLOR_NAMES, POSITIONS, RELATIONS, SHAPES, SIZE_NAMES,
                    Relation, Scene)

# ---- the spec: what a caption asks for ---------------------------------------------------------


@dataclass(frozen=True)
class ObjSpec:
    shape: str
    color: str
    size: Optional[str] = None  # None: the caption does not say
    position: Optional[str] = None  # None: not said (e.g. the relation form)


@dataclass(frozen=True)
class Spec:
    objects: Tuple[ObjSpec, ...]
    background: Optional[str] = None
    relation: Optional[Relation] = None  # objects[a] <rel> objects[b]


def spec_from_scene(scene: Scene) -> Spec:
    """The spec of a scene's canonical caption (sizes left out in the relation form)."""
    if scene.relation is not None:
        objs = tuple(ObjSpec(o.shape, o.color) for o in scene.objects)
        return Spec(objs, scene.background, scene.relation)
    objs = tuple(ObjSpec(o.shape, o.color, o.size, o.position) for o in scene.objects)
    return Spec(objs, scene.background, None)


# ---- words and phrases -------------------------------------------------------------------------

CANON_REL = {"left of": "to the left of", "right of": "to the right of",
             "above": "above", "below": "below"}
INVERSE_REL = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}

SIZE_SYNONYMS = {"small": ("small", "little", "tiny"), "medium": ("medium", "medium-sized"),
                 "large": ("large", "big")}
REL_SYNONYMS = {
    "left of": ("to the left of", "left of", "on the left of"),
    "right of": ("to the right of", "right of", "on the right of"),
    "above": ("above", "over"),
    "below": ("below", "under", "beneath"),
}
# position name -> variants usable after "in the" / "at the"
POS_SYNONYMS = {
    "top left": ("top left", "upper left", "top-left"),
    "top": ("top", "top middle", "top center"),
    "top right": ("top right", "upper right", "top-right"),
    "left": ("left", "middle left", "center left"),
    "center": ("center", "middle", "centre"),
    "right": ("right", "middle right", "center right"),
    "bottom left": ("bottom left", "lower left", "bottom-left"),
    "bottom": ("bottom", "bottom middle", "bottom center"),
    "bottom right": ("bottom right", "lower right", "bottom-right"),
}
CORNERS = ("top left", "top right", "bottom left", "bottom right")
BG_WORDS = {"white": ("white",), "black": ("black",), "gray": ("gray", "grey")}


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _obj_phrase(o: ObjSpec, size_word: Optional[str] = None, article: bool = True) -> str:
    words = [w for w in (size_word if size_word is not None else o.size, o.color, o.shape) if w]
    s = " ".join(words)
    return f"{_article(s)} {s}" if article else s


def _pos_phrase(pos: str, rng=None) -> str:
    if rng is None:
        return f"in the {pos}"
    word = _pick(rng, POS_SYNONYMS[pos])
    frames = ["in the {p}", "at the {p}"]
    if pos in CORNERS:
        frames.append("in the {p} corner")
    if pos in ("left", "right"):
        frames.append(f"on the {pos}")
        frames.append(f"on the {pos} side")
    if pos == "center":
        frames = ["in the {p}", "at the {p}", "in the {p} of the image"]
    return _pick(rng, frames).format(p=word)


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _join(parts: Sequence[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


# ---- caption generation ------------------------------------------------------------------------


def canonical_caption(scene_or_spec) -> str:
    """The canonical caption of a Scene (or of a Spec with every needed field set)."""
    spec = spec_from_scene(scene_or_spec) if isinstance(scene_or_spec, Scene) else scene_or_spec
    bg = f" on a {spec.background} background" if spec.background else ""
    if spec.relation is not None:
        r = spec.relation
        a, b = spec.objects[r.a], spec.objects[r.b]
        return f"{_obj_phrase(a)} {CANON_REL[r.rel]} {_obj_phrase(b)}{bg}"
    parts = []
    for o in spec.objects:
        p = _obj_phrase(o)
        if o.position:
            p += " " + _pos_phrase(o.position)
        parts.append(p)
    return _join(parts) + bg


def caption_with_spec(scene: Scene, rng, canonical_prob: float = 0.3,
                      drop_size_prob: float = 0.2) -> Tuple[str, Spec]:
    """A random phrasing of the scene and the spec it states (the spec may leave out sizes)."""
    if rng.random() < canonical_prob:
        return canonical_caption(scene), spec_from_scene(scene)
    full = spec_from_scene(scene)
    objs = list(scene.objects)
    rel = scene.relation
    drop_size = rng.random() < drop_size_prob
    if rel is not None:
        # sizes are optional in the relation form; the order may be swapped with the inverse
        keep_size = rng.random() < 0.5 and not drop_size
        a, b, r = rel.a, rel.b, rel.rel
        if rng.random() < 0.5:
            a, b, r = b, a, INVERSE_REL[r]
        specs = tuple(ObjSpec(objs[i].shape, objs[i].color, objs[i].size if keep_size else None)
                      for i in (a, b))
        spec = Spec(specs, scene.background, Relation(0, r, 1))
    else:
        specs = tuple(ObjSpec(o.shape, o.color, None if drop_size else o.size, o.position)
                      for o in objs)
        order = list(range(len(specs)))
        if len(order) > 1 and rng.random() < 0.5:
            rng.shuffle(order)
        spec = Spec(tuple(specs[i] for i in order), scene.background, None)
    return _phrase(spec, rng), spec


def caption(scene: Scene, rng, canonical_prob: float = 0.3) -> str:
    return caption_with_spec(scene, rng, canonical_prob)[0]


def _phrase(spec: Spec, rng) -> str:
    """Phrases a spec with random synonyms and frames (never the bare canonical)."""
    bgw = _pick(rng, BG_WORDS[spec.background])
    listing = rng.random() < 0.15  # "red circle, top left, white background"

    def obj(o: ObjSpec, article=True) -> str:
        size_word = _pick(rng, SIZE_SYNONYMS[o.size]) if o.size else None
        return _obj_phrase(o, size_word, article)

    if spec.relation is not None:
        r = spec.relation
        body = (f"{obj(spec.objects[r.a])} {_pick(rng, REL_SYNONYMS[r.rel])} "
                f"{obj(spec.objects[r.b])}")
    elif listing:
        parts = [f"{obj(o, article=False)}, {_pick(rng, POS_SYNONYMS[o.position])}"
                 for o in spec.objects]
        return "; ".join(parts) + f", {bgw} background"
    else:
        body = _join([f"{obj(o)} {_pos_phrase(o.position, rng)}" for o in spec.objects])
    frame = int(rng.integers(7))
    if frame == 0:
        return f"{body} on a {bgw} background"
    if frame == 1:
        return f"{body}, {bgw} background"
    if frame == 2:
        return f"a {bgw} background with {body}"
    if frame == 3:
        return f"{body} against a {bgw} background"
    if frame == 4:
        return f"there is {body} on a {bgw} background"
    if frame == 5:
        return f"an image of {body} on a {bgw} background"
    return f"{body} on {bgw}"


# ---- parsing -----------------------------------------------------------------------------------

def _alt(words) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_SIZE_WORD = {w: s for s, ws in SIZE_SYNONYMS.items() for w in ws}
_SIZE_WORD["medium sized"] = "medium"
_SIZE_WORD["large"] = "large"
_BG_WORD = {w: b for b, ws in BG_WORDS.items() for w in ws}
_REL_WORD = {w: r for r, ws in REL_SYNONYMS.items() for w in ws}
_REL_WORD.update({"underneath": "below", "beneath": "below", "to the left side of": "left of",
                  "to the right side of": "right of"})

_POS_WORD = {}
for _p, _ws in POS_SYNONYMS.items():
    for _w in _ws:
        _POS_WORD[_w.replace("-", " ")] = _p
_POS_WORD.update({"upper middle": "top", "lower middle": "bottom", "centre left": "left",
                  "centre right": "right", "top centre": "top", "bottom centre": "bottom",
                  "upper": "top", "lower": "bottom"})

_OBJ_RE = re.compile(
    rf"\b(?:(?:a|an|one)\s+)?(?:({_alt(_SIZE_WORD)})\s+)?({_alt(COLOR_NAMES)})\s+"
    rf"({_alt(SHAPES)})s?\b")
_BG_RE = re.compile(
    rf"(?:\b(?:on|against|with)\s+)?(?:\ban?\s+)?\b({_alt(_BG_WORD)})\s+background\b"
    rf"(?:\s+with\b)?")
_BG_TAIL_RE = re.compile(rf"\bon\s+({_alt(_BG_WORD)})\s*$")
_REL_RE = re.compile(rf"\b({_alt(_REL_WORD)})\b")
_POS_RE = re.compile(rf"\b({_alt(_POS_WORD)})\b")


def normalize_text(text: str) -> str:
    t = text.lower().replace("-", " ")
    t = re.sub(r"[^a-z,; ]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def parse_caption(text: str) -> Spec:
    """Parses a caption (canonical or any phrasing ``caption`` produces) into a Spec.

    Raises ValueError when no object is found or when a part cannot be understood.
    """
    t = normalize_text(text)
    background = None
    m = _BG_RE.search(t)
    if m:
        background = _BG_WORD[m.group(1)]
        t = (t[:m.start()] + " " + t[m.end():]).strip()
    else:
        m = _BG_TAIL_RE.search(t)
        if m:
            background = _BG_WORD[m.group(1)]
            t = t[:m.start()].strip()
    matches = list(_OBJ_RE.finditer(t))
    if not matches:
        raise ValueError(f"no object in caption {text!r}")
    if len(matches) > 3:
        raise ValueError(f"more than three objects in caption {text!r}")
    objs: List[ObjSpec] = []
    relation = None
    for i, mo in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(t)
        seg = t[mo.end():end]
        size = _SIZE_WORD[mo.group(1)] if mo.group(1) else None
        position = None
        mr = _REL_RE.search(seg)
        if mr and i + 1 < len(matches):
            if relation is not None or len(matches) != 2:
                raise ValueError(f"relations are only understood between two objects: {text!r}")
            relation = Relation(i, _REL_WORD[mr.group(1)], i + 1)
        else:
            mp = _POS_RE.search(seg)
            if mp:
                position = _POS_WORD[mp.group(1)]
        objs.append(ObjSpec(mo.group(3), mo.group(2), size, position))
    return Spec(tuple(objs), background, relation)


# ---- the vocabulary of all phrasings (for the tokenizer) ---------------------------------------

def grammar_words() -> List[str]:
    """Every word any caption can contain (lower case, hyphenated words whole)."""
    words = set()
    for s in (list(SHAPES) + [s + "s" for s in SHAPES] + list(COLOR_NAMES)
              + list(BACKGROUND_NAMES) + ["grey"]):
        words.add(s)
    for group in (SIZE_SYNONYMS, REL_SYNONYMS, POS_SYNONYMS):
        for ws in group.values():
            for w in ws:
                words.update(w.split())
    words.update("a an one in the at on of and there is image background with against corner "
                 "side".split())
    words.update(p for pos in POSITIONS for p in pos.split())
    words.update(w for r in RELATIONS for w in r.split())
    return sorted(words)
