"""shapes world, renderer and dataset: determinism, the world's rules, the held-out split."""

import numpy as np
import pytest

from shapes.captions import caption_with_spec
from shapes.dataset import (HELDOUT_COLOR_POSITION, HELDOUT_COLOR_SHAPE, has_heldout,
                            make_batch, sample_dense_scene, sample_scene, sample_scenes)
from shapes.render import coverage, object_box, render, shape_geometry
from shapes.world import (COLORS, MIN_GAP, POSITIONS, SHAPES, Scene, make_obj, position_cell,
                          relation_holds, validate_scene)


def test_make_batch_is_deterministic():
    a = make_batch(np.random.default_rng(5), 16, 64, "train")
    b = make_batch(np.random.default_rng(5), 16, 64, "train")
    c = make_batch(np.random.default_rng(6), 16, 64, "train")
    assert a[0].dtype == np.uint8 and a[0].shape == (16, 64, 64, 3)
    assert np.array_equal(a[0], b[0]) and a[1] == b[1] and a[2] == b[2]
    assert not np.array_equal(a[0], c[0])
    # an int seed is the same as a fresh default_rng(seed)
    d = make_batch(5, 16, 64, "train")
    assert np.array_equal(a[0], d[0]) and a[1] == d[1]


def test_dense_scenes_are_crowded_and_keep_the_rules_but_the_count():
    scenes = [sample_dense_scene(np.random.default_rng(seed)) for seed in range(40)]
    counts = [len(s.objects) for s in scenes]
    assert max(counts) <= 9 and np.mean(counts) > 5  # 0.8 of nine cells on average
    assert sample_dense_scene(3) == sample_dense_scene(np.random.default_rng(3))
    for s in scenes:
        if 1 <= len(s.objects) <= 3:
            validate_scene(s)
        else:  # every rule but the number of objects: validate it three objects at a time
            for i in range(0, len(s.objects), 3):
                validate_scene(s.replace(objects=s.objects[i:i + 3]))


def test_render_is_deterministic_and_antialiased():
    s = Scene((make_obj("circle", "red", "large", "center"),), "white")
    a, b = render(s, 128), render(s, 128)
    assert np.array_equal(a, b)
    # edge pixels are mixes of red and white: values strictly between
    g = a[..., 1]
    assert ((g > 25) & (g < 255)).sum() > 20
    assert a.shape == (128, 128, 3) and render(s, (64, 96)).shape == (64, 96, 3)


def test_scenes_follow_the_rules():
    for s in sample_scenes(3, 2000, "all"):
        validate_scene(s)
        assert 1 <= len(s.objects) <= 3
        for o in s.objects:
            assert o.color != s.background
        if s.relation is not None:
            r = s.relation
            assert relation_holds(r.rel, s.objects[r.a].position, s.objects[r.b].position)


@pytest.mark.parametrize("size", [64, 128])
def test_objects_never_overlap_and_keep_the_gap(size):
    for s in sample_scenes(4, 300, "all"):
        boxes = [(o.cx - o.extent / 2, o.cy - o.extent / 2, o.cx + o.extent / 2,
                  o.cy + o.extent / 2) for o in s.objects]
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                gap = max(b[0] - a[2], a[0] - b[2], b[1] - a[3], a[1] - b[3])
                assert gap >= MIN_GAP - 1e-9
        for x0, y0, x1, y1 in boxes:
            assert min(x0, y0) >= MIN_GAP / 2 - 1e-9 and max(x1, y1) <= 1 - MIN_GAP / 2 + 1e-9
        # rendered coverage of different objects never shares a pixel
        cov = np.zeros((size, size))
        for o in s.objects:
            y0, y1, x0, x1 = object_box(o.cx, o.cy, o.extent, size, size)
            c = coverage(o.shape, o.cx, o.cy, o.extent, size, size, y0, y1, x0, x1)
            assert np.all(cov[y0:y1, x0:x1][c > 0] == 0)
            cov[y0:y1, x0:x1] += c


def test_shape_areas():
    # coverage sums to the analytic area (anti-aliasing preserves area)
    for shape in SHAPES:
        ratio = shape_geometry(shape)[0]
        o = make_obj(shape, "blue", "large", "center")
        c = coverage(shape, o.cx, o.cy, o.extent, 256, 256, 0, 256, 0, 256)
        assert abs(c.sum() / (256 * 256) - ratio * o.extent ** 2) < 2e-3 * o.extent ** 2 * 10


def test_relations_follow_cells():
    assert relation_holds("left of", "top left", "bottom right")
    assert relation_holds("above", "top right", "center")
    assert not relation_holds("left of", "top", "bottom")
    assert not relation_holds("below", "left", "right")
    for p in POSITIONS:
        r, c = position_cell(p)
        assert POSITIONS[3 * r + c] == p


def test_heldout_combinations_never_in_train():
    rng = np.random.default_rng(2024)
    pairs_cs = {f"{c} {s}" for c, s in HELDOUT_COLOR_SHAPE}
    seen_cs, seen_cp = set(), set()
    for _ in range(20000):
        s = sample_scene(rng, "train")
        for o in s.objects:
            seen_cs.add((o.color, o.shape))
            seen_cp.add((o.color, o.position))
            assert (o.color, o.shape) not in HELDOUT_COLOR_SHAPE
            assert (o.color, o.position) not in HELDOUT_COLOR_POSITION
        text, _ = caption_with_spec(s, rng)
        for p in pairs_cs:
            assert p not in text and p + "s" not in text
    # every other colour-shape pair does occur
    allowed = {(c, s) for c in COLORS for s in SHAPES} - set(HELDOUT_COLOR_SHAPE)
    assert seen_cs == allowed


def test_holdout_split_has_a_heldout_combination_in_the_caption():
    rng = np.random.default_rng(7)
    for _ in range(500):
        s = sample_scene(rng, "holdout")
        assert has_heldout(s)
        if any((o.color, o.position) in HELDOUT_COLOR_POSITION for o in s.objects):
            assert s.relation is None  # the caption names positions
