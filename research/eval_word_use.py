"""How much the transformer's denoising uses each word of the prompt: its error on the object's
latents with the true caption against the same caption with one word swapped.

    /usr/bin/python3 research/eval_word_use.py [--model models/kiln-shapes] [--n 64]

For --n one-object val scenes (shapes.dataset.eval_prompts(1234, ·, "val")): the render is
encoded (the normalised latent x0), noised to x_t = (1 - t) x0 + t ε at several t, and the
transformer's x0 estimate (x_t - t v) is scored by its mean squared error over the image
tokens that the object touches. Captions: canonical; then with the object's shape, colour or
position replaced by another drawn at random. A model that draws what the prompt says errs more
with the wrong word at large t, where the noise hides the object; a model that ignores a word
errs the same.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kiln_research.pipeline import KilnShapes, encode_text, from_uint8, tokenize  # noqa: E402
from kiln_research.sampling import make_img_ids, pack  # noqa: E402
from shapes.captions import canonical_caption  # noqa: E402
from shapes.dataset import eval_prompts  # noqa: E402
from shapes.render import render  # noqa: E402
from shapes.world import COLOR_NAMES, POSITIONS, SHAPES, make_obj  # noqa: E402

TS = (0.3, 0.5, 0.7, 0.8, 0.9, 1.0)


def object_tokens(image: np.ndarray, f: int) -> np.ndarray:
    """[tokens] 1 where a token (a 2x2 patch of the f-times-down latent: 2f x 2f pixels) holds
    object pixels (pixels away from the corner colour, which is always background)."""
    p = 2 * f
    h, w = image.shape[0] // p, image.shape[1] // p
    fg = np.abs(image.astype(np.int16) - image[:1, :1].astype(np.int16)).sum(-1) > 12
    return fg.reshape(h, p, w, p).max(axis=(1, 3)).reshape(-1).astype(np.float32)


def swapped_caption(scene, attr: str, rng) -> str:
    """The canonical caption with the object's attr (shape, color, position) changed; the
    scene itself (hence x0) is not."""
    o = scene.objects[0]
    if attr == "position":  # a valid object in the new cell, for the caption only
        new = str(rng.choice([p for p in POSITIONS if p != o.position]))
        o = make_obj(o.shape, o.color, o.size, new)
    else:
        pool = SHAPES if attr == "shape" else [c for c in COLOR_NAMES if c != scene.background]
        o = o.replace(**{attr: str(rng.choice([v for v in pool if v != getattr(o, attr)]))})
    return canonical_caption(scene.replace(objects=(o,)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "..", "models", "kiln-shapes"))
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    m = KilnShapes(args.model)
    _, scenes = eval_prompts(1234, 8 * args.n, "val")
    scenes = [s for s in scenes if len(s.objects) == 1][:args.n]
    images = np.stack([render(s, m.sampling["width"]) for s in scenes])
    f = m.ae.params.downsample_factor()
    mask = torch.from_numpy(np.stack([object_tokens(im, f) for im in images]))
    b = len(scenes)
    with torch.no_grad():
        x0 = pack(m.ae.encode(from_uint8(images)))
        noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(1))
        ids_ = make_img_ids(b, m.sampling["height"] // f, m.sampling["width"] // f)
        rng = np.random.default_rng(0)
        print(f"x0 error on object tokens, {b} one-object val scenes; t: " +
              " ".join(f"{t:5}" for t in TS))
        for attr in ("none", "shape", "colour", "position"):
            if attr == "none":
                caps = [canonical_caption(s) for s in scenes]
            else:
                caps = [swapped_caption(s, "color" if attr == "colour" else attr, rng)
                        for s in scenes]
            ids, msk = tokenize(m.sp, caps, m.max_length)
            txt, y = encode_text(m.t5, ids, msk)
            row = []
            for t in TS:
                xt = (1 - t) * x0 + t * noise
                v = m.flux(img=xt, img_ids=ids_, txt=txt, txt_ids=torch.zeros(b, txt.shape[1], 3),
                           y=y, timesteps=torch.full((b,), t))
                err = (xt - t * v - x0).pow(2).mean(-1)
                row.append(float((err * mask).sum() / mask.sum()))
            name = "true caption" if attr == "none" else f"{attr} swapped"
            print(f"{name:>17}: " + " ".join(f"{e:5.3f}" for e in row))


if __name__ == "__main__":
    main()
