#!/usr/bin/env python3
"""Writes golden cases of OTHER configs than the shared ones, in the ../shared/golden/flux format,
so that `kiln check-golden` is tested on architectures it was not developed against: odd widths
and head counts, axes_dim and theta of its own, mlp_ratio 2.5, no qkv bias, batch 3, a non-square
latent with 8 channels, a [schnell]-type sampling case (no guidance, no shift) and an autoencoder
with two levels of two res blocks.

The references come from research/kiln_research, our PyTorch re-implementation of the official
FLUX.1 modules, which tests/python/test_reference_golden.py holds to the official goldens.

    /usr/bin/python3 tests/golden/make_variant_cases.py OUT_DIR
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "research"))
from kiln_research import safetensors_io  # noqa: E402
from kiln_research.autoencoder import AutoEncoder, AutoEncoderParams  # noqa: E402
from kiln_research.flux import Flux, FluxParams  # noqa: E402
from kiln_research.sampling import denoise, get_schedule, make_img_ids, pack, unpack  # noqa: E402

FLUX = dict(in_channels=32, out_channels=32, vec_in_dim=24, context_in_dim=40, hidden_size=96,
            mlp_ratio=2.5, num_heads=3, depth=1, depth_single_blocks=3, axes_dim=[4, 14, 14],
            theta=2000, qkv_bias=False, guidance_embed=True)
AE = dict(resolution=32, in_channels=3, ch=32, out_ch=3, ch_mult=[1, 2], num_res_blocks=2,
          z_channels=8, scale_factor=0.5, shift_factor=-0.1)


def randomize_norms(module: torch.nn.Module, gen: torch.Generator) -> None:
    """Norm scales away from 1, so a kernel that ignores them fails."""
    for name, p in module.named_parameters():
        if name.endswith(".scale") or (p.ndim == 1 and "norm" in name and name.endswith("weight")):
            with torch.no_grad():
                p.copy_(0.5 + torch.rand(p.shape, generator=gen))


def save_case(folder, io, spec, weights=None, config=None):
    os.makedirs(folder, exist_ok=True)
    safetensors_io.save_file({k: v.contiguous().float() for k, v in io.items()},
                             os.path.join(folder, "io.safetensors"), {"case_spec": json.dumps(spec)})
    if weights is not None:
        safetensors_io.save_file(weights, os.path.join(folder, "weights.safetensors"),
                                 {"config": json.dumps(config)})


def flux_forward(out_dir):
    torch.manual_seed(11)
    gen = torch.Generator().manual_seed(12)
    model = Flux(FluxParams.from_dict(FLUX)).eval()
    randomize_norms(model, gen)
    b, h, w, t = 3, 8, 12, 5
    latent = torch.randn(b, 8, h, w, generator=gen)
    io = {"latent": latent, "img": pack(latent), "img_ids": make_img_ids(b, h, w),
          "txt": torch.randn(b, t, 40, generator=gen), "txt_ids": torch.zeros(b, t, 3),
          "y": torch.randn(b, 24, generator=gen), "timesteps": torch.rand(b, generator=gen),
          "guidance": 1 + 4 * torch.rand(b, generator=gen)}
    with torch.no_grad():
        out = model(img=io["img"], img_ids=io["img_ids"], txt=io["txt"], txt_ids=io["txt_ids"],
                    timesteps=io["timesteps"], y=io["y"], guidance=io["guidance"])
    io["out"] = out
    io["out_unpacked"] = unpack(out, 8 * h, 8 * w)
    save_case(os.path.join(out_dir, "flux_forward_variant"), io,
              {"kind": "flux_forward", "latent_hw": [h, w], "batch": b}, model.state_dict(), FLUX)


def autoencoder(out_dir):
    torch.manual_seed(21)
    gen = torch.Generator().manual_seed(22)
    ae = AutoEncoder(AutoEncoderParams.from_dict(AE)).eval()
    for name, p in ae.named_parameters():
        if "norm" in name:
            with torch.no_grad():
                p.copy_((0.5 + torch.rand(p.shape, generator=gen)) if name.endswith("weight")
                        else 0.2 * torch.rand(p.shape, generator=gen) - 0.1)
    image = 2 * torch.rand(2, 3, 12, 20, generator=gen) - 1
    with torch.no_grad():
        moments = ae.encoder(image)
        mean, logvar = torch.chunk(moments, 2, dim=1)
        noise = torch.randn(mean.shape, generator=gen)
        decode_input = torch.randn(mean.shape, generator=gen)
        io = {"image": image, "encoder_moments": moments,
              "latent_mode": AE["scale_factor"] * (mean - AE["shift_factor"]),
              "sample_noise": noise,
              "latent_sampled": AE["scale_factor"] * (mean + torch.exp(0.5 * logvar) * noise - AE["shift_factor"]),
              "decode_input": decode_input, "decoded": ae.decode(decode_input), "forward_out": ae(image)}
    save_case(os.path.join(out_dir, "ae_variant"), io, {"kind": "autoencoder", "params": AE},
              ae.state_dict(), AE)
    return ae


def flux_sampling_schnell(out_dir, ae):
    torch.manual_seed(31)
    gen = torch.Generator().manual_seed(32)
    params = dict(FLUX, guidance_embed=False, qkv_bias=True, depth=2, depth_single_blocks=1)
    model = Flux(FluxParams.from_dict(params)).eval()
    randomize_norms(model, gen)
    b, h, w, t, steps = 1, 6, 10, 4, 3
    noise = torch.randn(b, 8, h, w, generator=gen)
    io = {"noise": noise, "img": pack(noise), "img_ids": make_img_ids(b, h, w),
          "txt": torch.randn(b, t, 40, generator=gen), "txt_ids": torch.zeros(b, t, 3),
          "y": torch.randn(b, 24, generator=gen)}
    schedule = get_schedule(steps, io["img"].shape[1], shift=False)
    io["schedule"] = torch.tensor(schedule, dtype=torch.float32)

    def record(step, x, t_vec, pred):
        io[f"step{step:02d}.x"], io[f"step{step:02d}.t"], io[f"step{step:02d}.pred"] = x, t_vec, pred

    with torch.no_grad():
        final = denoise(model, io["img"], io["img_ids"], io["txt"], io["txt_ids"], io["y"], schedule,
                        callback=record)
        io["final"] = final
        # 2x2-packed tokens of an 8-channel latent: unpack by the latent grid directly.
        io["final_unpacked"] = final.reshape(b, h // 2, w // 2, 8, 2, 2).permute(0, 3, 1, 4, 2, 5).reshape(b, 8, h, w)
        io["decoded"] = ae.decode(io["final_unpacked"])
    save_case(os.path.join(out_dir, "flux_sampling_schnell_variant"), io,
              {"kind": "flux_sampling", "batch": b, "latent_hw": [h, w], "num_steps": steps, "shift": False,
               "guidance": None, "ae_case": "ae_variant"}, model.state_dict(), params)


def main():
    out_dir = sys.argv[1]
    torch.set_num_threads(1)
    flux_forward(out_dir)
    ae = autoencoder(out_dir)
    flux_sampling_schnell(out_dir, ae)


if __name__ == "__main__":
    main()
