#!/usr/bin/env python3
"""Generates tests/data/t5_golden: Hugging Face T5EncoderModel outputs on small random configs.

Two cases, each a weights file (HF key names, the HF config JSON in the
"config" metadata) and an io file:
  weights.safetensors, io.safetensors            T5 v1.1 layout (gated-gelu), d_kv·heads = d_model
  relu_weights.safetensors, relu_io.safetensors  original T5 layout (relu), d_kv·heads != d_model,
                                                 embeddings under encoder.embed_tokens.weight
io tensors, per input set <set> in {masked, unmasked}:
  <set>.input_ids (B, L) i32, <set>.attention_mask (B, L) i32 (masked only),
  <set>.embeddings, <set>.block.<i>.output (B, L, d_model) f32: every block's output,
  <set>.last_hidden_state (B, L, d_model) f32
"masked" is batch 2 with the second row padded and an attention mask; "unmasked"
is the same padded ids without a mask, which is how FLUX.1 calls its T5.
io.safetensors also holds relative_position_bucket.nb<N>_md<D> (1201) i32: HF's
_relative_position_bucket (bidirectional) of the relative positions -600 … 600,
for the case's (32, 64) and T5's default (32, 128).

This is a developer tool (needs torch + transformers + safetensors; CI only
reads the committed output). Run:
  python tests/golden/make_t5_golden.py [--out tests/data/t5_golden]
"""
import argparse
import json
import pathlib

import safetensors
import safetensors.torch
import torch
import transformers
from transformers import T5Config, T5EncoderModel
from transformers.models.t5.modeling_t5 import T5Attention

SEQ_LEN = 19
SHORT_LEN = 12  # tokens of the padded row (the last one is </s>)
PAD_ID, EOS_ID = 0, 1

CASES = {
    "": dict(vocab_size=300, d_model=64, d_kv=16, d_ff=160, num_layers=3, num_heads=4,
             relative_attention_num_buckets=32, relative_attention_max_distance=64,
             feed_forward_proj="gated-gelu", layer_norm_epsilon=1e-6, dropout_rate=0.0),
    "relu_": dict(vocab_size=120, d_model=32, d_kv=12, d_ff=72, num_layers=2, num_heads=4,
                  relative_attention_num_buckets=16, relative_attention_max_distance=20,
                  feed_forward_proj="relu", layer_norm_epsilon=1e-5, dropout_rate=0.0),
}


def randomize(model: T5EncoderModel, generator: torch.Generator) -> None:
    """HF's init leaves every layer norm at 1; make them matter, and make the
    position bias large enough that a wrong bucket shows in the output."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_norm.weight"):
                p.copy_(1 + 0.25 * torch.randn(p.shape, generator=generator))
            elif name.endswith("relative_attention_bias.weight"):
                p.copy_(torch.randn(p.shape, generator=generator))


def make_inputs(vocab_size: int, generator: torch.Generator):
    ids = torch.randint(3, vocab_size, (2, SEQ_LEN), generator=generator, dtype=torch.int64)
    ids[0, -1] = EOS_ID
    ids[1, SHORT_LEN - 1] = EOS_ID
    ids[1, SHORT_LEN:] = PAD_ID
    mask = (torch.arange(SEQ_LEN)[None, :] < torch.tensor([[SEQ_LEN], [SHORT_LEN]])).to(torch.int64)
    return ids, mask


def run(model: T5EncoderModel, ids, mask, prefix: str):
    captured = {}
    hooks = [model.shared.register_forward_hook(
        lambda _m, _i, out: captured.__setitem__(f"{prefix}.embeddings", out.detach().clone()))]
    for i, block in enumerate(model.encoder.block):
        hooks.append(block.register_forward_hook(
            lambda _m, _i, out, i=i: captured.__setitem__(f"{prefix}.block.{i}.output", out[0].detach().clone())))
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask).last_hidden_state
    for h in hooks:
        h.remove()
    tensors = {f"{prefix}.input_ids": ids.to(torch.int32), f"{prefix}.last_hidden_state": out.clone()}
    if mask is not None:
        tensors[f"{prefix}.attention_mask"] = mask.to(torch.int32)
    tensors.update(captured)
    return tensors


def bucket_tables():
    relative = torch.arange(-600, 601, dtype=torch.int64)
    tables = {}
    for num_buckets, max_distance in [(32, 64), (32, 128)]:
        b = T5Attention._relative_position_bucket(relative, bidirectional=True, num_buckets=num_buckets,
                                                  max_distance=max_distance)
        tables[f"relative_position_bucket.nb{num_buckets}_md{max_distance}"] = b.to(torch.int32)
    return tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parents[1] / "data" / "t5_golden"))
    args = parser.parse_args()
    out_dir = pathlib.Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # deterministic reductions
    versions = {"torch": torch.__version__, "transformers": transformers.__version__,
                "safetensors": safetensors.__version__}

    for seed, (prefix, params) in enumerate(CASES.items()):
        generator = torch.Generator().manual_seed(1234 + seed)
        torch.manual_seed(1234 + seed)
        config = T5Config(**params)
        model = T5EncoderModel(config).eval()
        randomize(model, generator)

        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        # The two names are one tied tensor; a checkpoint holds one of them.
        # The main case keeps shared.weight, the relu case the other name.
        drop = "encoder.embed_tokens.weight" if prefix == "" else "shared.weight"
        del state[drop]
        metadata = {"config": config.to_json_string(use_diff=False), "generator": json.dumps(versions)}
        safetensors.torch.save_file(state, str(out_dir / f"{prefix}weights.safetensors"), metadata=metadata)

        ids, mask = make_inputs(config.vocab_size, generator)
        io = {}
        io.update(run(model, ids, mask, "masked"))
        io.update(run(model, ids, None, "unmasked"))
        if prefix == "":
            io.update(bucket_tables())
        safetensors.torch.save_file(io, str(out_dir / f"{prefix}io.safetensors"),
                                    metadata={"generator": json.dumps(versions)})
    print(json.dumps(versions))


if __name__ == "__main__":
    main()
