"""Captions: canonical forms, phrasings, and the parser round trip."""

import numpy as np
import pytest

from shapes.captions import (ObjSpec, Spec, canonical_caption, caption_with_spec, parse_caption,
                             spec_from_scene)
from shapes.dataset import sample_scenes
from shapes.world import Relation


def test_canonical_examples_parse():
    s = parse_caption("a large red circle in the top left on a white background")
    assert s == Spec((ObjSpec("circle", "red", "large", "top left"),), "white", None)
    s = parse_caption("a blue square to the left of a yellow triangle on a black background")
    assert s == Spec((ObjSpec("square", "blue"), ObjSpec("triangle", "yellow")), "black",
                     Relation(0, "left of", 1))
    s = parse_caption("a small orange star in the center and a medium white diamond in the "
                      "bottom right on a gray background")
    assert s.objects == (ObjSpec("star", "orange", "small", "center"),
                         ObjSpec("diamond", "white", "medium", "bottom right"))
    assert s.background == "gray" and s.relation is None


def test_canonical_forms_of_the_brief_are_produced():
    from shapes.world import Scene, make_obj
    one = Scene((make_obj("circle", "red", "large", "top left"),), "white")
    assert canonical_caption(one) == "a large red circle in the top left on a white background"
    two = Scene((make_obj("square", "blue", "small", "left"),
                 make_obj("triangle", "yellow", "large", "right")), "black",
                Relation(0, "left of", 1))
    assert canonical_caption(two) == ("a blue square to the left of a yellow triangle on a "
                                      "black background")


@pytest.mark.parametrize("split", ["train", "holdout", "all"])
def test_canonical_round_trip(split):
    for s in sample_scenes(11, 1500, split):
        text = canonical_caption(s)
        assert parse_caption(text) == spec_from_scene(s), text
        assert canonical_caption(parse_caption(text)) == text


def test_every_phrasing_parses_to_its_spec():
    rng = np.random.default_rng(3)
    for s in sample_scenes(12, 3000, "all"):
        text, spec = caption_with_spec(s, rng, canonical_prob=0.0)
        assert parse_caption(text) == spec, text


def test_parser_is_tolerant_of_case_spaces_and_punctuation():
    a = parse_caption("A  Large RED circle, in the TOP-LEFT corner... on a white background!")
    assert a == parse_caption("a large red circle in the top left on a white background")
    assert parse_caption("a red circle on a grey background").background == "gray"


def test_parser_rejects_captions_without_objects():
    with pytest.raises(ValueError):
        parse_caption("a white background")
    with pytest.raises(ValueError):
        parse_caption("")
