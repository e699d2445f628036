"""research/train.py's set-up of a run: which scenes stage 3b draws (--draw-weights) and the
tokenizer it puts into a fresh --out folder."""

import argparse

import numpy as np
import pytest

import train
from shapes.world import Scene, make_obj


def _scene(*objs):
    return Scene(tuple(objs), "white")


def test_draw_probabilities_keep_the_one_object_share_and_weight_named_shapes_and_sizes():
    star = make_obj("star", "red", "small", "top left")
    circle = make_obj("circle", "blue", "large", "center")
    square = make_obj("square", "green", "medium", "bottom right")
    scenes = [_scene(star), _scene(circle), _scene(circle, square), _scene(star, square)]
    even = train.draw_probabilities(scenes, 0.6, {})
    np.testing.assert_allclose(even, [0.3, 0.3, 0.2, 0.2])
    p = train.draw_probabilities(scenes, 0.6, train.parse_draw_weights("star=2,small=1.5"))
    np.testing.assert_allclose(p[:2].sum(), 0.6)  # the one-object share is kept
    np.testing.assert_allclose(p[0] / p[1], 3.0)  # a small star: 2 x 1.5
    np.testing.assert_allclose(p[3] / p[2], 3.0)  # the largest of its objects' weights


@pytest.mark.parametrize("text", ["tiny=2", "star", "star=0", "star=-1"])
def test_draw_weights_name_the_flag_on_bad_input(text):
    with pytest.raises(argparse.ArgumentTypeError, match="is not NAME=WEIGHT|must be > 0"):
        train.parse_draw_weights(text)


def test_a_fresh_out_folder_gets_the_committed_tokenizer_and_an_existing_one_is_kept(tmp_path):
    out = tmp_path / "new" / "out"
    train.copy_tokenizer(str(out))
    with open(train.COMMITTED_TOKENIZER, "rb") as f:
        assert (out / "tokenizer.model").read_bytes() == f.read()
    (out / "tokenizer.model").write_bytes(b"another")
    train.copy_tokenizer(str(out))
    assert (out / "tokenizer.model").read_bytes() == b"another"
