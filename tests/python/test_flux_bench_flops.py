"""The FLOP formula of bench/flux_pytorch_bench.py against a count of the real nn.Linear calls."""

import importlib.util
import os

import torch

from kiln_research.flux import Flux, FluxParams

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _bench_module():
    path = os.path.join(REPO_ROOT, "bench", "flux_pytorch_bench.py")
    spec = importlib.util.spec_from_file_location("flux_pytorch_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flop_formula_matches_counted_linears():
    bench = _bench_module()
    for guidance in (True, False):
        p = FluxParams(in_channels=64, out_channels=64, vec_in_dim=32, context_in_dim=48,
                       hidden_size=64, mlp_ratio=4.0, num_heads=4, depth=2,
                       depth_single_blocks=3, axes_dim=[4, 6, 6], theta=10000,
                       qkv_bias=True, guidance_embed=guidance)
        batch, img_tokens, txt_tokens = 2, 16, 5
        model = Flux(p).eval()
        counted = [0]

        def hook(module, inputs, _out):
            rows = inputs[0].numel() // module.in_features
            counted[0] += 2 * rows * module.in_features * module.out_features

        for m in model.modules():
            if isinstance(m, torch.nn.Linear):
                m.register_forward_hook(hook)
        inputs = bench.make_inputs(p, batch, img_tokens, txt_tokens, seed=1)
        with torch.no_grad():
            model(**inputs)
        length = img_tokens + txt_tokens
        head_dim = p.hidden_size // p.num_heads
        attention = (p.depth + p.depth_single_blocks) * 4 * batch * p.num_heads * length ** 2 \
            * head_dim
        assert bench.flux_forward_flops(p, batch, img_tokens, txt_tokens) == \
            counted[0] + attention


def test_bench_config_builds():
    import json
    with open(os.path.join(REPO_ROOT, "bench", "flux_bench_config.json")) as f:
        p = FluxParams.from_dict(json.load(f))
    assert p.hidden_size == 512 and p.num_heads == 8 and sum(p.axes_dim) == 64
