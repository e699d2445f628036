"""The adherence checker: accuracy on ground-truth renders (clean and degraded) and rejection of
images that do not match the prompt."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from shapes.captions import canonical_caption, parse_caption
from shapes.checker import check, detect, evaluate
from shapes.dataset import sample_scenes
from shapes.render import render
from shapes.validate_checker import validate
from shapes.world import Relation, Scene, make_obj

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.mark.parametrize("size,n", [(64, 250), (128, 100)])
def test_checker_on_ground_truth(size, n):
    acc, conf = validate(n, size, seed=100 + size)
    for k in ("color", "shape", "position", "size", "background", "count"):
        assert acc[k] >= 0.99, (k, acc, conf.most_common(5))


def test_checker_on_blurred_noisy_renders():
    acc, conf = validate(120, 64, seed=9, blur=0.7, noise=6.0, color_jitter=25.0)
    for k in ("color", "shape", "position", "background", "count"):
        assert acc[k] >= 0.97, (k, acc, conf.most_common(5))


def _scene_a():
    return Scene((make_obj("circle", "red", "large", "top left"),), "white")


def test_checker_accepts_the_right_caption():
    r = check(render(_scene_a(), 64), "a large red circle in the top left on a white background")
    assert r.correct and r.correct_with_size


@pytest.mark.parametrize("caption,wrong", [
    ("a large blue circle in the top left on a white background", "color"),
    ("a large red square in the top left on a white background", "shape"),
    ("a large red triangle in the top left on a white background", "shape"),
    ("a large red circle in the bottom right on a white background", "position"),
    ("a large red circle in the top on a white background", "position"),
    ("a small red circle in the top left on a white background", "size"),
    ("a large red circle in the top left on a black background", "background"),
])
@pytest.mark.parametrize("size", [64, 128])
def test_checker_rejects_a_wrong_caption(caption, wrong, size):
    r = check(render(_scene_a(), size), caption)
    got = {"color": r.objects[0].color, "shape": r.objects[0].shape,
           "position": r.objects[0].position, "size": r.objects[0].size,
           "background": r.background}
    for k, v in got.items():
        assert v is (k != wrong), (k, got)
    assert r.correct_with_size is False
    assert r.correct is (wrong == "size")


def test_checker_relations_and_counts():
    two = Scene((make_obj("square", "blue", "medium", "left"),
                 make_obj("triangle", "yellow", "medium", "top right")), "black",
                Relation(0, "left of", 1))
    img = render(two, 64)
    ok = check(img, canonical_caption(two))
    assert ok.correct and ok.relation is True
    for text in ("a blue square to the right of a yellow triangle on a black background",
                 "a blue square above a yellow triangle on a black background",
                 "a yellow triangle below a blue square on a black background"):
        r = check(img, text)
        assert r.relation is False and not r.correct, text
    assert check(img, "a yellow triangle above a blue square on a black background").correct
    # a missing object, an extra object
    r = check(img, "a blue square to the left of a green circle on a black background")
    assert not r.correct and r.objects[1].color is False and r.objects[1].shape is False
    r = check(img, "a medium blue square in the left on a black background")
    assert r.objects[0].color and r.objects[0].position and not r.count and not r.correct
    r = check(img, "a blue square in the left, a yellow triangle in the top right and a red star"
                   " in the center on a black background")
    assert not r.objects[2].color and not r.correct


def test_checker_on_an_empty_image_and_float_input():
    blank = np.full((96, 96, 3), 128, np.uint8)
    d = detect(blank)
    assert d.background == "gray" and d.objects == []
    r = check(blank, "a red circle in the center on a gray background")
    assert not r.objects[0].found and not r.correct
    img = render(_scene_a(), 64)
    assert check(img.astype(np.float32) / 255.0, canonical_caption(_scene_a())).correct


def test_evaluate_function():
    scenes = sample_scenes(21, 12, "holdout")
    imgs = [render(s, 64) for s in scenes]
    prompts = [canonical_caption(s) for s in scenes]
    acc = evaluate(imgs, prompts)
    assert acc["correct"] == 1.0 and acc["n_images"] == 12
    shuffled = evaluate(imgs, prompts[1:] + prompts[:1])
    assert shuffled["correct"] < 0.5


def test_evaluate_cli(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "research"))
    subprocess.run([sys.executable, "-m", "shapes.make_eval_set", "--split", "holdout", "--n",
                    "10", "--out", str(tmp_path), "--render", "96"], check=True, env=env,
                   capture_output=True)
    out = subprocess.run([sys.executable, "-m", "shapes.evaluate", "--images",
                          str(tmp_path / "images"), "--prompts", str(tmp_path / "prompts.txt"),
                          "--json"], check=True, env=env, capture_output=True, text=True).stdout
    res = json.loads(out)
    assert res["all"]["n"] == 10 and res["all"]["correct"] == 1.0
