"""A T5 encoder (v1.1 "gated-gelu" or original "relu") with Hugging Face key names.

Numerics follow transformers' T5EncoderModel (modeling_t5.py), eval mode:
  * T5LayerNorm: RMS norm without bias or mean subtraction, variance in f32;
  * attention: scores = q k^T with NO 1/sqrt(d) scaling, + relative position bias (computed
    by block 0's `relative_attention_bias`, shared by every block) + the mask, which adds
    torch.finfo(f32).min on padded keys; softmax in f32;
  * feed-forward: "gated-gelu" wo(gelu_tanh(wi_0 x) * wi_1 x), or "relu" wo(relu(wi x));
  * pre-norm residual blocks, then `final_layer_norm`.

`T5Encoder(cfg).state_dict()` has exactly the keys of HF T5EncoderModel: `shared.weight` and the
tied `encoder.embed_tokens.weight`, `encoder.block.{i}.layer.0.SelfAttention.{q,k,v,o}.weight`,
`encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight`, ...,
`encoder.final_layer_norm.weight`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Dict, Optional

import torch
from torch import Tensor, nn


@dataclass
class T5Config:
    vocab_size: int = 256
    d_model: int = 128
    d_kv: int = 32
    d_ff: int = 256
    num_layers: int = 2
    num_heads: int = 4
    relative_attention_num_buckets: int = 32
    relative_attention_max_distance: int = 64
    layer_norm_epsilon: float = 1e-6
    feed_forward_proj: str = "gated-gelu"

    @staticmethod
    def from_dict(d: dict) -> "T5Config":
        """Takes an HF config dict (unknown fields ignored, as the C++ parser does)."""
        known = set(T5Config.__dataclass_fields__)
        return T5Config(**{k: v for k, v in d.items() if k in known})

    @staticmethod
    def from_json(text: str) -> "T5Config":
        return T5Config.from_dict(json.loads(text))

    def to_dict(self) -> dict:
        return asdict(self)


def relative_position_bucket(relative_position: Tensor, num_buckets: int = 32,
                             max_distance: int = 128) -> Tensor:
    """HF T5Attention._relative_position_bucket, bidirectional (encoder)."""
    num_buckets //= 2
    relative_buckets = (relative_position > 0).to(torch.long) * num_buckets
    relative_position = torch.abs(relative_position)
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    rel_if_large = max_exact + (
        torch.log(relative_position.float() / max_exact)
        / math.log(max_distance / max_exact)
        * (num_buckets - max_exact)
    ).to(torch.long)
    rel_if_large = torch.min(rel_if_large, torch.full_like(rel_if_large, num_buckets - 1))
    relative_buckets = relative_buckets + torch.where(is_small, relative_position, rel_if_large)
    return relative_buckets


class T5LayerNorm(nn.Module):
    def __init__(self, d: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.variance_epsilon = eps

    def forward(self, x: Tensor) -> Tensor:
        variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * x


class T5Attention(nn.Module):
    def __init__(self, cfg: T5Config, has_relative_attention_bias: bool):
        super().__init__()
        self.cfg = cfg
        inner = cfg.num_heads * cfg.d_kv
        self.q = nn.Linear(cfg.d_model, inner, bias=False)
        self.k = nn.Linear(cfg.d_model, inner, bias=False)
        self.v = nn.Linear(cfg.d_model, inner, bias=False)
        self.o = nn.Linear(inner, cfg.d_model, bias=False)
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(cfg.relative_attention_num_buckets,
                                                        cfg.num_heads)

    def compute_bias(self, length: int) -> Tensor:
        """[1, heads, L, L] bias for query i, key j: bucket(j - i)."""
        pos = torch.arange(length, dtype=torch.long)
        rel = pos[None, :] - pos[:, None]  # memory - context
        buckets = relative_position_bucket(rel, self.cfg.relative_attention_num_buckets,
                                           self.cfg.relative_attention_max_distance)
        values = self.relative_attention_bias(buckets)  # [L, L, heads]
        return values.permute(2, 0, 1).unsqueeze(0)

    def forward(self, x: Tensor, position_bias: Tensor) -> Tensor:
        b, l, _ = x.shape
        h, d = self.cfg.num_heads, self.cfg.d_kv

        def shape(t: Tensor) -> Tensor:
            return t.view(b, l, h, d).transpose(1, 2)

        q, k, v = shape(self.q(x)), shape(self.k(x)), shape(self.v(x))
        scores = torch.matmul(q, k.transpose(3, 2)) + position_bias
        weights = torch.softmax(scores.float(), dim=-1).type_as(scores)
        out = torch.matmul(weights, v).transpose(1, 2).contiguous().view(b, l, h * d)
        return self.o(out)


class T5DenseGatedActDense(nn.Module):
    def __init__(self, cfg: T5Config):
        super().__init__()
        self.wi_0 = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.wi_1 = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.wo = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        g = self.wi_0(x)
        g = 0.5 * g * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (g + 0.044715 * torch.pow(g, 3.0))))
        return self.wo(g * self.wi_1(x))


class T5DenseActDense(nn.Module):
    def __init__(self, cfg: T5Config):
        super().__init__()
        self.wi = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.wo = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.wo(torch.relu(self.wi(x)))


class T5LayerSelfAttention(nn.Module):
    def __init__(self, cfg: T5Config, has_bias: bool):
        super().__init__()
        self.SelfAttention = T5Attention(cfg, has_bias)
        self.layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)

    def forward(self, x: Tensor, position_bias: Tensor) -> Tensor:
        return x + self.SelfAttention(self.layer_norm(x), position_bias)


class T5LayerFF(nn.Module):
    def __init__(self, cfg: T5Config):
        super().__init__()
        if cfg.feed_forward_proj == "gated-gelu":
            self.DenseReluDense = T5DenseGatedActDense(cfg)
        elif cfg.feed_forward_proj == "relu":
            self.DenseReluDense = T5DenseActDense(cfg)
        else:
            raise ValueError(f"feed_forward_proj {cfg.feed_forward_proj!r} not supported")
        self.layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.DenseReluDense(self.layer_norm(x))


class T5Block(nn.Module):
    def __init__(self, cfg: T5Config, has_bias: bool):
        super().__init__()
        self.layer = nn.ModuleList([T5LayerSelfAttention(cfg, has_bias), T5LayerFF(cfg)])

    def forward(self, x: Tensor, position_bias: Tensor) -> Tensor:
        return self.layer[1](self.layer[0](x, position_bias))


class T5Stack(nn.Module):
    def __init__(self, cfg: T5Config, embed_tokens: nn.Embedding):
        super().__init__()
        self.embed_tokens = embed_tokens
        self.block = nn.ModuleList([T5Block(cfg, i == 0) for i in range(cfg.num_layers)])
        self.final_layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)


class T5Encoder(nn.Module):
    """forward(input_ids [B, L] long, attention_mask [B, L] or None) -> last_hidden_state."""

    def __init__(self, cfg: T5Config):
        super().__init__()
        self.cfg = cfg
        self.shared = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.encoder = T5Stack(cfg, self.shared)  # tied: encoder.embed_tokens.weight

    def forward(self, input_ids: Tensor, attention_mask: Optional[Tensor] = None,
                hidden_states_out: Optional[list] = None) -> Tensor:
        x = self.shared(input_ids)
        b, l = input_ids.shape
        bias = self.encoder.block[0].layer[0].SelfAttention.compute_bias(l).to(x.dtype)
        if attention_mask is not None:
            ext = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
            bias = bias + ext
        for blk in self.encoder.block:
            x = blk(x, bias)
            if hidden_states_out is not None:
                hidden_states_out.append(x)
        return self.encoder.final_layer_norm(x)

    def load_hf_state_dict(self, sd: Dict[str, Tensor]) -> None:
        """Accepts files with shared.weight, encoder.embed_tokens.weight, or both."""
        sd = dict(sd)
        if "shared.weight" not in sd:
            sd["shared.weight"] = sd["encoder.embed_tokens.weight"]
        if "encoder.embed_tokens.weight" not in sd:
            sd["encoder.embed_tokens.weight"] = sd["shared.weight"]
        self.load_state_dict(sd, strict=True)


def mean_pool(hidden: Tensor, attention_mask: Tensor) -> Tensor:
    """Mean of the hidden states over the non-pad positions (eos included): the pooled y."""
    m = attention_mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * m).sum(1) / m.sum(1).clamp_min(1.0)
