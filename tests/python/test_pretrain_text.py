"""The text encoder's pretraining targets (research/pretrain_text.py): what a caption states
becomes one class per probed attribute, and what it leaves out is ignored by the loss."""

import pytest
import torch

from pretrain_text import EMPTY_TARGETS, GROUPS, IGNORE, SLOTS, probe_loss, spec_targets
from shapes.captions import parse_caption
from shapes.world import BACKGROUND_NAMES, COLOR_NAMES, POSITIONS, RELATIONS, SHAPES, SIZE_NAMES


def named(targets):
    """{group name (slot-suffixed): target}."""
    out = {}
    for g, ((name, _), t) in enumerate(zip(GROUPS, targets)):
        slot = (g - 2) // 5
        out[name if g < 2 else f"{name}{slot}"] = t
    return out


def test_one_object_caption_states_every_attribute_of_slot_0():
    t = named(spec_targets(parse_caption("a large red circle in the top left on a white background")))
    assert t["background"] == BACKGROUND_NAMES.index("white")
    assert t["relation"] == 0
    assert (t["present0"], t["color0"], t["shape0"]) == (1, COLOR_NAMES.index("red"), SHAPES.index("circle"))
    assert (t["size0"], t["position0"]) == (SIZE_NAMES.index("large"), POSITIONS.index("top left"))
    for k in range(1, SLOTS):
        assert t[f"present{k}"] == 0
        assert t[f"color{k}"] == t[f"shape{k}"] == t[f"size{k}"] == t[f"position{k}"] == IGNORE


def test_relation_caption_leaves_positions_and_sizes_unstated_and_keeps_the_order():
    t = named(spec_targets(parse_caption("a blue square to the left of a yellow triangle on a black background")))
    assert t["relation"] == RELATIONS.index("left of") + 1
    assert t["color0"] == COLOR_NAMES.index("blue") and t["shape1"] == SHAPES.index("triangle")
    assert t["position0"] == t["position1"] == t["size0"] == IGNORE
    assert t["present2"] == 0


def test_probe_loss_ignores_unstated_targets_and_scores_stated_ones():
    n = sum(c for _, c in GROUPS)
    targets = torch.tensor([spec_targets(parse_caption("a small green star in the center on a gray background")),
                            EMPTY_TARGETS])
    logits = torch.full((2, n), -20.0)
    c = 0
    for g, (_, classes) in enumerate(GROUPS):  # a perfect probe: the target's logit is high
        for row in range(2):
            if targets[row, g] != IGNORE:
                logits[row, c + targets[row, g]] = 20.0
        c += classes
    loss, acc = probe_loss(logits, targets)
    assert acc == 1.0 and float(loss) < 1e-6
    logits[0, 0:len(BACKGROUND_NAMES)] = torch.flip(logits[0, 0:len(BACKGROUND_NAMES)], [0])
    loss, acc = probe_loss(logits, targets)
    assert acc < 1.0 and float(loss) > 1.0


def test_a_caption_naming_an_unknown_word_is_rejected_before_it_becomes_a_target():
    with pytest.raises(ValueError):
        spec_targets(parse_caption("a large teal circle in the top left on a white background"))
