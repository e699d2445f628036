"""The FLUX.1 transformer: double-stream blocks, then single-stream blocks over [txt, img].

Follows the structure of black-forest-labs/flux src/flux/model.py (Apache-2.0); submodule names
are identical, so `Flux(params).state_dict()` keys equal those of flux1-dev / flux1-schnell.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import List, Optional

import torch
from torch import Tensor, nn

from .layers import (DoubleStreamBlock, EmbedND, LastLayer, MLPEmbedder, SingleStreamBlock,
                     timestep_embedding)


@dataclass
class FluxParams:
    in_channels: int
    out_channels: int
    vec_in_dim: int
    context_in_dim: int
    hidden_size: int
    mlp_ratio: float
    num_heads: int
    depth: int
    depth_single_blocks: int
    axes_dim: List[int] = field(default_factory=list)
    theta: int = 10000
    qkv_bias: bool = True
    guidance_embed: bool = True

    @staticmethod
    def from_dict(d: dict) -> "FluxParams":
        """Accepts the plain config dict or {"FluxParams": {...}} as in the golden READMEs."""
        d = d.get("FluxParams", d)
        known = set(FluxParams.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"FluxParams: unknown fields {sorted(unknown)}")
        return FluxParams(**d)

    @staticmethod
    def from_json(text: str) -> "FluxParams":
        return FluxParams.from_dict(json.loads(text))

    def to_dict(self) -> dict:
        return asdict(self)


class Flux(nn.Module):
    """Transformer model for flow matching on sequences."""

    def __init__(self, params: FluxParams):
        super().__init__()
        self.params = params
        self.in_channels = params.in_channels
        self.out_channels = params.out_channels
        if params.hidden_size % params.num_heads != 0:
            raise ValueError(f"Hidden size {params.hidden_size} must be divisible by "
                             f"num_heads {params.num_heads}")
        pe_dim = params.hidden_size // params.num_heads
        if sum(params.axes_dim) != pe_dim:
            raise ValueError(f"Got {params.axes_dim} but expected positional dim {pe_dim}")
        self.hidden_size = params.hidden_size
        self.num_heads = params.num_heads
        self.pe_embedder = EmbedND(dim=pe_dim, theta=params.theta, axes_dim=params.axes_dim)
        self.img_in = nn.Linear(self.in_channels, self.hidden_size, bias=True)
        self.time_in = MLPEmbedder(in_dim=256, hidden_dim=self.hidden_size)
        self.vector_in = MLPEmbedder(params.vec_in_dim, self.hidden_size)
        self.guidance_in = (MLPEmbedder(in_dim=256, hidden_dim=self.hidden_size)
                            if params.guidance_embed else nn.Identity())
        self.txt_in = nn.Linear(params.context_in_dim, self.hidden_size)

        self.double_blocks = nn.ModuleList([
            DoubleStreamBlock(self.hidden_size, self.num_heads, mlp_ratio=params.mlp_ratio,
                              qkv_bias=params.qkv_bias)
            for _ in range(params.depth)
        ])
        self.single_blocks = nn.ModuleList([
            SingleStreamBlock(self.hidden_size, self.num_heads, mlp_ratio=params.mlp_ratio)
            for _ in range(params.depth_single_blocks)
        ])
        self.final_layer = LastLayer(self.hidden_size, 1, self.out_channels)

    def forward(self, img: Tensor, img_ids: Tensor, txt: Tensor, txt_ids: Tensor,
                timesteps: Tensor, y: Tensor, guidance: Optional[Tensor] = None) -> Tensor:
        if img.ndim != 3 or txt.ndim != 3:
            raise ValueError("Input img and txt tensors must have 3 dimensions.")

        # running on sequences img
        img = self.img_in(img)
        vec = self.time_in(timestep_embedding(timesteps, 256))
        if self.params.guidance_embed:
            if guidance is None:
                raise ValueError("Didn't get guidance strength for guidance distilled model.")
            vec = vec + self.guidance_in(timestep_embedding(guidance, 256))
        vec = vec + self.vector_in(y)
        txt = self.txt_in(txt)

        ids = torch.cat((txt_ids, img_ids), dim=1)
        pe = self.pe_embedder(ids)

        for block in self.double_blocks:
            img, txt = block(img=img, txt=txt, vec=vec, pe=pe)

        img = torch.cat((txt, img), 1)
        for block in self.single_blocks:
            img = block(img, vec=vec, pe=pe)
        img = img[:, txt.shape[1]:, ...]

        return self.final_layer(img, vec)  # (N, T, patch_size ** 2 * out_channels)
