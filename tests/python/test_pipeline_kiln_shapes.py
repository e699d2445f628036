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
from kiln_research.safetensors_io import load_file, load_metadata, read_header, save_file
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


def test_pipeline_takes_the_latent_size_from_the_autoencoder(tmp_path):
    """A 4x-down autoencoder (train.py --ae-down 4) gets an H/4 x W/4 latent of GaussianNoise,
    as the C++ pipeline makes it (downsample_factor from the config), not FLUX.1's H/8."""
    m = _manifest()
    for name in ("text_encoder.safetensors", "tokenizer.model"):
        os.symlink(os.path.abspath(os.path.join(MODEL, name)), tmp_path / name)
    torch.manual_seed(0)
    ap = AutoEncoderParams(resolution=64, in_channels=3, ch=32, out_ch=3, ch_mult=[1, 1, 2],
                           num_res_blocks=1, z_channels=4, scale_factor=1.0, shift_factor=0.0)
    fp = FluxParams(in_channels=16, out_channels=16, vec_in_dim=128, context_in_dim=128,
                    hidden_size=64, mlp_ratio=2.0, num_heads=2, depth=1, depth_single_blocks=1,
                    axes_dim=[8, 12, 12], theta=10000, qkv_bias=True, guidance_embed=False)
    assert ap.downsample_factor() == 4
    save_file(AutoEncoder(ap).state_dict(), str(tmp_path / "autoencoder.safetensors"))
    save_file(Flux(fp).state_dict(), str(tmp_path / "transformer.safetensors"))
    m["autoencoder"]["config"] = ap.to_dict()
    m["transformer"]["config"] = fp.to_dict()
    with open(tmp_path / "kiln.json", "w") as f:
        json.dump(m, f)
    tr = {}
    image = KilnShapes(str(tmp_path)).generate(["a red circle"], [5], steps=2, width=64,
                                                height=48, trace=tr)
    assert tuple(image.shape) == (1, 3, 48, 64)
    assert tuple(tr["noise"].shape) == tuple(tr["latent"].shape) == (1, 4, 12, 16)
    assert tr["noise"].numpy().tobytes() == gaussian_noise(4 * 12 * 16, 5).tobytes()
