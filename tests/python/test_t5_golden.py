"""research/kiln_research/t5.py against Hugging Face T5EncoderModel goldens (tests/data/t5_golden)."""

import json
import os

import pytest
import torch

from kiln_research.safetensors_io import load_file, load_metadata
from kiln_research.t5 import T5Config, T5Encoder, relative_position_bucket

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "t5_golden")


def _model(weights):
    path = os.path.join(DATA, weights)
    cfg = T5Config.from_json(load_metadata(path)["config"])
    m = T5Encoder(cfg).eval()
    m.load_hf_state_dict(load_file(path))
    return m


def _rel(out, ref):
    return float((out - ref).abs().max() / ref.abs().max())


@pytest.mark.parametrize("weights,io", [("weights.safetensors", "io.safetensors"),
                                        ("relu_weights.safetensors", "relu_io.safetensors")])
@pytest.mark.parametrize("which", ["masked", "unmasked"])
def test_last_hidden_state(weights, io, which):
    m = _model(weights)
    ref = load_file(os.path.join(DATA, io))
    ids = ref[f"{which}.input_ids"].long()
    mask = ref.get(f"{which}.attention_mask")
    blocks = []
    with torch.no_grad():
        out = m(ids, mask, hidden_states_out=blocks)
    for i, b in enumerate(blocks):
        assert _rel(b, ref[f"{which}.block.{i}.output"]) <= 1e-4, i
    assert _rel(out, ref[f"{which}.last_hidden_state"]) <= 1e-4


def test_state_dict_names_match_hf():
    path = os.path.join(DATA, "weights.safetensors")
    cfg = T5Config.from_json(load_metadata(path)["config"])
    keys = set(T5Encoder(cfg).state_dict())
    stored = set(load_file(path))
    assert stored <= keys
    assert keys - stored == {"encoder.embed_tokens.weight"}


def test_relative_position_buckets():
    ref = load_file(os.path.join(DATA, "io.safetensors"))
    rel = torch.arange(-600, 601)
    for md in (64, 128):
        got = relative_position_bucket(rel, 32, md)
        assert torch.equal(got.int(), ref[f"relative_position_bucket.nb32_md{md}"])
