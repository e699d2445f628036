"""Rectified-flow sampling helpers: noise, packing, the shifted schedule, the Euler loop.

Follows the structure of black-forest-labs/flux src/flux/sampling.py (Apache-2.0). `prepare`
takes the text-encoder outputs as tensors (or callables, as the official one does) so it works
without T5/CLIP; packing is einops "b c (h ph) (w pw) -> b (h w) (c ph pw)" with ph=pw=2.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, Sequence, Union

import torch
from torch import Tensor

Encoder = Union[Tensor, Callable[[List[str]], Tensor]]


def get_noise(num_samples: int, height: int, width: int, device: Union[str, torch.device],
              dtype: torch.dtype, seed: int) -> Tensor:
    """N(0,1) latent [B, 16, 2*ceil(h/16), 2*ceil(w/16)] for a height x width pixel image."""
    return torch.randn(
        num_samples,
        16,
        # allow for packing
        2 * math.ceil(height / 16),
        2 * math.ceil(width / 16),
        device=device,
        dtype=dtype,
        generator=torch.Generator(device=device).manual_seed(seed),
    )


def pack(img: Tensor) -> Tensor:
    """[B, C, H, W] -> [B, (H/2)(W/2), C*4]: "b c (h ph) (w pw) -> b (h w) (c ph pw)"."""
    b, c, h, w = img.shape
    x = img.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5)
    return x.reshape(b, (h // 2) * (w // 2), c * 4)


def make_img_ids(bs: int, h: int, w: int) -> Tensor:
    """Position ids (0, row, col) of the (h/2)x(w/2) packed tokens of an h x w latent,
    float32, [bs, (h/2)(w/2), 3], exactly as the official prepare builds them."""
    img_ids = torch.zeros(h // 2, w // 2, 3)
    img_ids[..., 1] = img_ids[..., 1] + torch.arange(h // 2)[:, None]
    img_ids[..., 2] = img_ids[..., 2] + torch.arange(w // 2)[None, :]
    img_ids = img_ids.reshape(1, (h // 2) * (w // 2), 3)
    return img_ids.expand(bs, -1, -1).contiguous()  # "h w c -> b (h w) c"


def _encode(encoder: Encoder, prompt: List[str]) -> Tensor:
    return encoder(prompt) if callable(encoder) else encoder


def prepare(t5: Encoder, clip: Encoder, img: Tensor,
            prompt: Union[str, Sequence[str]]) -> Dict[str, Tensor]:
    """Packs the latent and builds ids; t5/clip are tensors or callables on the prompt list."""
    bs, c, h, w = img.shape
    if bs == 1 and not isinstance(prompt, str):
        bs = len(prompt)

    img = pack(img)
    if img.shape[0] == 1 and bs > 1:
        img = img.expand(bs, -1, -1).contiguous()

    img_ids = make_img_ids(bs, h, w)

    if isinstance(prompt, str):
        prompt = [prompt]
    prompt = list(prompt)
    txt = _encode(t5, prompt)
    if txt.shape[0] == 1 and bs > 1:
        txt = txt.expand(bs, -1, -1).contiguous()
    txt_ids = torch.zeros(bs, txt.shape[1], 3)

    vec = _encode(clip, prompt)
    if vec.shape[0] == 1 and bs > 1:
        vec = vec.expand(bs, -1).contiguous()

    return {
        "img": img,
        "img_ids": img_ids.to(img.device),
        "txt": txt.to(img.device),
        "txt_ids": txt_ids.to(img.device),
        "vec": vec.to(img.device),
    }


def time_shift(mu: float, sigma: float, t: Tensor) -> Tensor:
    return math.exp(mu) / (math.exp(mu) + (1 / t - 1) ** sigma)


def get_lin_function(x1: float = 256, y1: float = 0.5, x2: float = 4096,
                     y2: float = 1.15) -> Callable[[float], float]:
    m = (y2 - y1) / (x2 - x1)
    b = y1 - m * x1
    return lambda x: m * x + b


def get_schedule(num_steps: int, image_seq_len: int, base_shift: float = 0.5,
                 max_shift: float = 1.15, shift: bool = True) -> List[float]:
    """num_steps+1 times from 1 to 0; shifted towards high noise for long sequences."""
    # extra step for zero
    timesteps = torch.linspace(1, 0, num_steps + 1)

    # shifting the schedule to favor high timesteps for higher signal images
    if shift:
        # estimate mu based on linear estimation between two points
        mu = get_lin_function(y1=base_shift, y2=max_shift)(image_seq_len)
        timesteps = time_shift(mu, 1.0, timesteps)

    return timesteps.tolist()


def denoise(model: torch.nn.Module, img: Tensor, img_ids: Tensor, txt: Tensor, txt_ids: Tensor,
            vec: Tensor, timesteps: List[float], guidance: float = 4.0,
            callback: Callable[[int, Tensor, Tensor, Tensor], None] = None) -> Tensor:
    """Euler steps x <- x + (t_prev - t_curr) * v(x, t_curr). `callback(step, x, t_vec, pred)`
    (not in the official code) observes every step."""
    # this is ignored for schnell
    guidance_vec = torch.full((img.shape[0],), guidance, device=img.device, dtype=img.dtype)
    for step, (t_curr, t_prev) in enumerate(zip(timesteps[:-1], timesteps[1:])):
        t_vec = torch.full((img.shape[0],), t_curr, dtype=img.dtype, device=img.device)
        pred = model(img=img, img_ids=img_ids, txt=txt, txt_ids=txt_ids, y=vec,
                     timesteps=t_vec, guidance=guidance_vec)
        if callback is not None:
            callback(step, img, t_vec, pred)
        img = img + (t_prev - t_curr) * pred
    return img


def unpack(x: Tensor, height: int, width: int) -> Tensor:
    """Packed [B, L, C*4] -> [B, C, H, W] for a height x width pixel image."""
    h = math.ceil(height / 16)
    w = math.ceil(width / 16)
    b, _, cpp = x.shape
    c = cpp // 4
    # "b (h w) (c ph pw) -> b c (h ph) (w pw)"
    x = x.reshape(b, h, w, c, 2, 2).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(b, c, h * 2, w * 2)
