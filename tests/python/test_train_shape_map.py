"""research/train.py's shape map (the target of the training-only shape-map head)."""

import numpy as np
import torch

import train
from kiln_research.sampling import pack
from shapes.render import render
from shapes.world import SHAPES, Scene, make_obj


def _scene(*objs):
    return Scene(tuple(objs), "white")


def test_shape_map_puts_each_shape_in_its_class_channels_at_its_tokens():
    star = make_obj("star", "red", "large", "top left")
    square = make_obj("square", "blue", "small", "bottom right")
    m = train.shape_map(_scene(star, square), 16, 16).astype(np.float32) / 255
    assert m.shape == (256, len(SHAPES) * train.SUB ** 2)
    per_class = m.reshape(16, 16, len(SHAPES), train.SUB ** 2).sum(-1)  # [row, col, class]
    for o in (star, square):
        k = SHAPES.index(o.shape)
        row, col = int(o.cy * 16), int(o.cx * 16)  # the token holding the object's centre
        assert per_class[row, col, k] > 0.5 * train.SUB ** 2
        others = [c for c in range(len(SHAPES)) if c != k]
        assert per_class[row, col, others].sum() == 0
    used = {SHAPES.index("star"), SHAPES.index("square")}
    assert all(per_class[..., c].sum() == 0 for c in range(len(SHAPES)) if c not in used)


def test_shape_map_coverage_equals_the_render_and_follows_pack_order():
    """The map's coverage is the rendered object's (the same anti-aliasing), and its tokens are
    in pack's order (token r * 16 + c covers pixel rows 8r..8r+7, columns 8c..8c+7)."""
    obj = make_obj("triangle", "black", "medium", "center", dx=0.03, dy=-0.02)
    scene = _scene(obj)
    m = train.shape_map(scene, 16, 16).astype(np.float32) / 255
    ink = 1.0 - render(scene, train.SIZE)[..., 0].astype(np.float32) / 255  # black on white
    got = m.reshape(256, len(SHAPES), train.SUB, train.SUB)[:, SHAPES.index("triangle")]
    expect = ink.reshape(16, 4, 2, 16, 4, 2).mean(axis=(2, 5))  # 2 x 2-pixel sub-cells
    expect = expect.transpose(0, 2, 1, 3).reshape(256, 4, 4)
    assert got.max() == 1.0 and np.abs(got - expect).max() < 1.5 / 255
    # pack's token order, on 4 x 4-pixel cells (2 x 2 of them per token)
    cells = torch.from_numpy(ink.reshape(32, 4, 32, 4).mean(axis=(1, 3)))[None, None]
    per_token = pack(cells).numpy()[0].mean(-1)
    assert np.abs(got.reshape(256, -1).mean(-1) - per_token).max() < 1.5 / 255
