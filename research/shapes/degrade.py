"""Image degradations that imitate a small generative model's output, for testing the checker."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def degrade(image: np.ndarray, rng: np.random.Generator, blur: float = 0.0, noise: float = 0.0,
            color_jitter: float = 0.0) -> np.ndarray:
    """Gaussian blur (sigma in pixels of a 64-pixel image, scaled with the image size), additive
    Gaussian noise (sigma in 0..255 units) and a random colour shift per image of up to
    color_jitter per channel (the same for all pixels: a colour cast). Returns uint8."""
    img = image.astype(np.float32)
    h, w = img.shape[:2]
    if color_jitter:
        img = img + rng.uniform(-color_jitter, color_jitter, size=3).astype(np.float32)
    if blur:
        s = blur * min(h, w) / 64.0
        img = ndimage.gaussian_filter(img, (s, s, 0))
    if noise:
        img = img + rng.normal(0.0, noise, img.shape).astype(np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)
