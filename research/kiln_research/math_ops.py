"""Attention and rotary position embedding (RoPE) for the FLUX transformer.

Follows the structure of black-forest-labs/flux src/flux/math.py (Apache-2.0). Difference:
torch 1.13 (Debian 12) has no F.scaled_dot_product_attention, so attention is written out as
softmax(Q K^T / sqrt(d)) V, the same shim the goldens in ../shared/golden/flux were made with.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """softmax(q k^T / sqrt(d)) v over [..., L, D] tensors, no mask, no dropout."""
    scale = 1.0 / math.sqrt(q.shape[-1])
    weights = torch.matmul(q, k.transpose(-2, -1)) * scale
    weights = torch.softmax(weights, dim=-1)
    return torch.matmul(weights, v)


def attention(q: Tensor, k: Tensor, v: Tensor, pe: Tensor) -> Tensor:
    """q, k, v: [B, H, L, D]; pe: [B, 1, L, D/2, 2, 2]. Returns [B, L, H*D]."""
    q, k = apply_rope(q, k, pe)
    x = scaled_dot_product_attention(q, k, v)
    b, h, l, d = x.shape
    return x.permute(0, 2, 1, 3).reshape(b, l, h * d)  # "B H L D -> B L (H D)"


def rope(pos: Tensor, dim: int, theta: int) -> Tensor:
    """Rotation matrices for one position axis.

    pos: [..., n] positions; returns [..., n, dim/2, 2, 2] with, per frequency
    omega_k = 1/theta^(2k/dim), the matrix [[cos, -sin], [sin, cos]] of angle pos*omega_k.
    """
    assert dim % 2 == 0
    scale = torch.arange(0, dim, 2, dtype=pos.dtype, device=pos.device) / dim
    omega = 1.0 / (theta ** scale)
    out = torch.einsum("...n,d->...nd", pos, omega)
    out = torch.stack([torch.cos(out), -torch.sin(out), torch.sin(out), torch.cos(out)], dim=-1)
    out = out.reshape(*out.shape[:-1], 2, 2)  # "b n d (i j) -> b n d i j"
    return out.float()


def apply_rope(xq: Tensor, xk: Tensor, freqs_cis: Tensor):
    """Rotates consecutive pairs (x[2k], x[2k+1]) of q and k by the table from EmbedND."""
    xq_ = xq.float().reshape(*xq.shape[:-1], -1, 1, 2)
    xk_ = xk.float().reshape(*xk.shape[:-1], -1, 1, 2)
    xq_out = freqs_cis[..., 0] * xq_[..., 0] + freqs_cis[..., 1] * xq_[..., 1]
    xk_out = freqs_cis[..., 0] * xk_[..., 0] + freqs_cis[..., 1] * xk_[..., 1]
    return xq_out.reshape(*xq.shape).type_as(xq), xk_out.reshape(*xk.shape).type_as(xk)
