"""research/train.py's shape map (the target of the training-only shape-map head), its heads,
and the precision of its forward passes (--bf16)."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

import train
from kiln_research.flux import Flux
from kiln_research.sampling import make_img_ids, pack
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


def _tiny_flux(shape_map_at):
    """A 2 + 2-block Flux of hidden 32 and the train.py arguments that name its heads."""
    args = SimpleNamespace(hidden=32, heads=2, depth=2, single=2, mlp_ratio=2.0, ae_down=4,
                           shape_map_at=shape_map_at)
    torch.manual_seed(0)
    return Flux(train.flux_params(args)), args


def _tiny_inputs():
    """Flux inputs for two images of an 8 x 8 latent of 4 channels (packed: 16 tokens)."""
    return dict(img=torch.randn(2, 16, 16), img_ids=make_img_ids(2, 8, 8),
                txt=torch.randn(2, train.MAX_LENGTH, 128),
                txt_ids=torch.zeros(2, train.MAX_LENGTH, 3), timesteps=torch.rand(2),
                y=torch.randn(2, 128))


def test_shape_map_heads_read_the_image_tokens_of_their_blocks():
    """--shape-map-at hooks one head per named block; each sees that block's image tokens
    (a single block's output starts with the text tokens, which must be cut off), and its loss
    trains the blocks up to it and no later one."""
    flux, args = _tiny_flux("d0,s-1")
    heads = train.shape_map_heads(flux, args)
    assert len(heads) == 2
    flux(**_tiny_inputs())
    assert [tuple(h.captured.shape) for h in heads] == [(2, 16, 32), (2, 16, 32)]
    target = torch.zeros(2, 16, len(SHAPES) * train.SUB ** 2, dtype=torch.uint8)
    heads[0].loss(target).backward(retain_graph=True)
    assert flux.double_blocks[0].img_mlp[0].weight.grad.abs().sum() > 0
    assert flux.single_blocks[0].linear1.weight.grad is None  # after d0: untouched
    heads[1].loss(target).backward()
    assert flux.single_blocks[1].linear1.weight.grad.abs().sum() > 0


def test_shape_map_at_names_a_missing_block_clearly():
    flux, args = _tiny_flux("d0")
    for bad in ("d0,s2", "x1", "d", "d1.5"):
        args.shape_map_at = bad
        with pytest.raises(SystemExit, match="--shape-map-at"):
            train.shape_map_heads(flux, args)


def test_bf16_runs_the_forward_in_bfloat16_within_its_rounding_of_float32(monkeypatch):
    """train.autocast() under --bf16 runs the transformer in bfloat16 (an output that differs
    from float32's by bfloat16's rounding, not more), while the heads' loss stays float32;
    without --bf16 it changes nothing."""
    flux, args = _tiny_flux("s-1")
    heads = train.shape_map_heads(flux, args)
    torch.manual_seed(1)
    inputs = _tiny_inputs()
    target = torch.zeros(2, 16, len(SHAPES) * train.SUB ** 2, dtype=torch.uint8)
    with torch.no_grad():
        ref = flux(**inputs)
        monkeypatch.setattr(train, "BF16", False)
        with train.autocast():
            same = flux(**inputs)
        monkeypatch.setattr(train, "BF16", True)
        with train.autocast():
            out = flux(**inputs)
            loss = heads[0].loss(target)
    assert same.dtype == torch.float32 and torch.equal(same, ref)
    assert out.dtype == torch.bfloat16
    rel = float((out.float() - ref).norm() / ref.norm())
    assert 1e-4 < rel < 3e-2, rel
    assert loss.dtype == torch.float32

