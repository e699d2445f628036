"""models/kiln-shapes: manifest, sizes, key names, and pipeline.py against tests/data/kiln_shapes_golden."""

import json
import os

import numpy as np
import pytest
import sentencepiece as spm
import torch

from kiln_research.autoencoder import AutoEncoder, AutoEncoderParams
from kiln_research.flux import Flux, FluxParams
from kiln_research.noise import gaussian_noise
from kiln_research.pipeline import KilnShapes, tokenize
from kiln_research.safetensors_io import load_file, load_metadata, read_header
from kiln_research.t5 import T5Config, T5Encoder

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
MODEL = os.path.join(ROOT, "models", "kiln-shapes")
GOLDEN = os.path.join(ROOT, "tests", "data", "kiln_shapes_golden", "golden.safetensors")

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(MODEL, "kiln.json")),
                                reason="models/kiln-shapes not exported")


def _manifest():
    with open(os.path.join(MODEL, "kiln.json")) as f:
        return json.load(f)


def test_manifest_and_size():
    m = _manifest()
    assert m["name"] == "kiln-shapes"
    assert set(m) == {"name", "version", "transformer", "autoencoder", "text_encoder",
                      "tokenizer", "sampling"}
    total = sum(os.path.getsize(os.path.join(MODEL, f)) for f in os.listdir(MODEL))
    assert total <= 20 * 1024 * 1024
    fp = FluxParams.from_dict(m["transformer"]["config"])
    assert not fp.guidance_embed
    assert set(read_header(os.path.join(MODEL, m["transformer"]["file"]))[0]) == \
        set(Flux(fp).state_dict())
    ap = AutoEncoderParams.from_dict(m["autoencoder"]["config"])
    assert set(read_header(os.path.join(MODEL, m["autoencoder"]["file"]))[0]) == \
        set(AutoEncoder(ap).state_dict())
    tc = T5Config.from_dict(m["text_encoder"]["config"])
    assert set(read_header(os.path.join(MODEL, m["text_encoder"]["file"]))[0]) == \
        set(T5Encoder(tc).state_dict()) - {"encoder.embed_tokens.weight"}
    assert fp.vec_in_dim == tc.d_model == fp.context_in_dim
    assert fp.in_channels == 4 * ap.z_channels
    sp = spm.SentencePieceProcessor(model_file=os.path.join(MODEL, m["tokenizer"]["file"]))
    assert sp.get_piece_size() == tc.vocab_size


@pytest.mark.skipif(not os.path.exists(GOLDEN), reason="no golden")
def test_pipeline_matches_golden():
    g = load_file(GOLDEN)
    meta = load_metadata(GOLDEN)
    prompts, seeds = json.loads(meta["prompts"]), json.loads(meta["seeds"])
    model = KilnShapes(MODEL)
    ids, mask = tokenize(model.sp, prompts, model.max_length)
    assert torch.equal(ids.int(), g["input_ids"])
    assert torch.equal(mask.int(), g["attention_mask"])
    for name, n, size in (("s128", 2, 128), ("s64", 1, 64)):
        z = model.ae.params.z_channels
        for i in range(n):
            ref = g[f"{name}.noise"][i].numpy()
            assert gaussian_noise(ref.size, seeds[i]).tobytes() == ref.reshape(-1).tobytes()
        tr = {}
        model.generate(prompts[:n], seeds[:n], width=size, height=size, trace=tr)

        def close(a, b, tol=1e-3):
            a, b = a.float(), b.float()
            return float((a - b).abs().max() / b.abs().max()) <= tol

        assert close(tr["txt"], g["txt"][:n])
        assert close(tr["y"], g["y"][:n])
        assert close(tr["latent"], g[f"{name}.latent"])
        assert close(tr["image"], g[f"{name}.image"])
