"""Stage 3a of train.py: pretrain kiln-shapes' T5 text encoder to say what a caption asks for.

Trained jointly from scratch on the flow loss alone (the first 128x128 run), the text encoder
learnt too slowly: after 2400 steps the images followed the background and loosely the colour,
but not the position (val position accuracy 0.15-0.20). Here the encoder first learns, from
captions alone (cheap: no images), to make its pooled vector y (the mean of its outputs, the
vector FLUX modulates every block with) linearly predict the caption's spec: background,
relation, and per mentioned object (in the caption's order) colour, shape, size and position.
The transformer stage then trains against this frozen encoder, so the conditioning carries the
attributes from its first step. The probe head is thrown away; only the T5 weights are kept.
"""

from __future__ import annotations

import contextlib
import time
from typing import List, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from kiln_research.pipeline import encode_text, tokenize
from kiln_research.t5 import T5Encoder
from shapes.captions import Spec, caption_with_spec
from shapes.world import BACKGROUND_NAMES, COLOR_NAMES, POSITIONS, RELATIONS, SHAPES, SIZE_NAMES

SLOTS = 3
IGNORE = -100
# (name, classes) of each probed attribute; slot groups repeat SLOT_GROUPS SLOTS times.
HEAD_GROUPS = [("background", len(BACKGROUND_NAMES)), ("relation", len(RELATIONS) + 1)]
SLOT_GROUPS = [("present", 2), ("color", len(COLOR_NAMES)), ("shape", len(SHAPES)),
               ("size", len(SIZE_NAMES)), ("position", len(POSITIONS))]
GROUPS = HEAD_GROUPS + SLOT_GROUPS * SLOTS


def spec_targets(spec: Spec) -> List[int]:
    """One class index per GROUPS entry; IGNORE where the caption does not say."""
    rel = spec.relation
    t = [BACKGROUND_NAMES.index(spec.background) if spec.background else IGNORE,
         RELATIONS.index(rel.rel) + 1 if rel is not None else 0]
    for k in range(SLOTS):
        if k >= len(spec.objects):
            t += [0, IGNORE, IGNORE, IGNORE, IGNORE]
            continue
        o = spec.objects[k]
        t += [1, COLOR_NAMES.index(o.color), SHAPES.index(o.shape),
              SIZE_NAMES.index(o.size) if o.size else IGNORE,
              POSITIONS.index(o.position) if o.position else IGNORE]
    return t


EMPTY_TARGETS = [IGNORE, IGNORE] + [0, IGNORE, IGNORE, IGNORE, IGNORE] * SLOTS


def probe_loss(logits: torch.Tensor, targets: torch.Tensor):
    """-> (mean cross-entropy over groups, per-group accuracy over stated targets)."""
    losses, accs, c = [], [], 0
    for g, (_, n) in enumerate(GROUPS):
        lg, tg = logits[:, c:c + n], targets[:, g]
        c += n
        said = tg != IGNORE
        if said.any():
            losses.append(F.cross_entropy(lg, tg, ignore_index=IGNORE))
            accs.append(float((lg[said].argmax(1) == tg[said]).float().mean()))
    return torch.stack(losses).mean(), float(np.mean(accs))


def pretrain_text_encoder(t5: T5Encoder, sp, scenes: Sequence, steps: int, batch: int,
                          lr: float, max_length: int, uncond_prob: float, log,
                          autocast=contextlib.nullcontext) -> dict:
    """Trains t5 in place (fixed seed); returns figures for the training log. autocast: the
    forward pass's precision context (train.py's --bf16)."""
    rng = np.random.default_rng(4)
    torch.manual_seed(4)
    head = torch.nn.Linear(t5.cfg.d_model, sum(n for _, n in GROUPS))
    params = list(t5.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    t0 = time.time()
    acc_hist = []
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, (step + 1) / 100) * (1.0 - 0.9 * step / steps)
        caps, targets = [], []
        for i in rng.integers(0, len(scenes), size=batch):
            if rng.random() < uncond_prob:
                caps.append("")
                targets.append(EMPTY_TARGETS)
                continue
            cap, spec = caption_with_spec(scenes[i], rng, 0.3)
            caps.append(cap)
            targets.append(spec_targets(spec))
        ids, mask = tokenize(sp, caps, max_length)
        with autocast():
            _, y = encode_text(t5, ids, mask)
            logits = head(y).float()
        loss, acc = probe_loss(logits, torch.tensor(targets))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        acc_hist.append(acc)
        if (step + 1) % 100 == 0:
            log(f"text pretrain step {step + 1}/{steps} loss {loss.item():.4f} "
                f"probe accuracy {np.mean(acc_hist[-100:]):.4f}")
    return {"text_pretrain_steps": steps, "text_probe_accuracy": float(np.mean(acc_hist[-100:])),
            "text_pretrain_seconds": time.time() - t0}
