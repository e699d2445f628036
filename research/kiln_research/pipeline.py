"""The kiln-shapes text-to-image pipeline in PyTorch, exactly as the C++ side runs it.

  tokens   sentencepiece ids of the prompt + eos (1), truncated to max_length (eos kept last),
           padded with pad (0) to max_length; attention mask 1 on ids and eos, 0 on pads
  txt      T5 encoder last_hidden_state [B, max_length, d_model] (pads included: FLUX attends
           to every text token, as it does with T5-XXL's padded 512 tokens)
  y        mean of txt over the non-pad positions (eos included)      [B, d_model]
  noise    per image GaussianNoise(seed) (kiln_research.noise, bit-exact with
           src/kiln/pipeline/noise.cc) over the unpacked latent (z, H/f, W/f) in C order, packed
           (f = the autoencoder's downsample_factor())
  sched    flux.sampling.get_schedule(steps, (H/2f)(W/2f), shift=manifest shift)
  denoise  flux.sampling.denoise (Euler), guidance ignored (guidance_embed false)
  image    AutoEncoder.decode(unpack(x)) -> float in about [-1, 1] (not clamped)
"""

from __future__ import annotations

import json
import os
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from .autoencoder import AutoEncoder, AutoEncoderParams
from .flux import Flux, FluxParams
from .noise import gaussian_noise
from .safetensors_io import load_file
from .sampling import denoise, get_schedule, make_img_ids, pack, unpack
from .t5 import T5Config, T5Encoder, mean_pool

PAD_ID, EOS_ID = 0, 1


def tokenize(sp, prompts: Sequence[str], max_length: int):
    """-> (ids long [B, max_length], mask long [B, max_length])."""
    ids = np.zeros((len(prompts), max_length), dtype=np.int64)
    for i, p in enumerate(prompts):
        t = list(sp.encode(p))[: max_length - 1] + [EOS_ID]
        ids[i, : len(t)] = t
    ids_t = torch.from_numpy(ids)
    return ids_t, (ids_t != PAD_ID).long()


def encode_text(t5: T5Encoder, ids: torch.Tensor, mask: torch.Tensor):
    """-> (txt [B, L, d_model], y [B, d_model])."""
    txt = t5(ids, mask)
    return txt, mean_pool(txt, mask)


def latent_noise(seeds: Sequence[int], z: int, h: int, w: int) -> torch.Tensor:
    """[B, z, h, w] f32: image i is GaussianNoise(seeds[i]) over its z*h*w values in C order."""
    out = np.stack([gaussian_noise(z * h * w, int(s)).reshape(z, h, w) for s in seeds])
    return torch.from_numpy(out)


class Guided(torch.nn.Module):
    """Classifier-free guidance around a Flux model: v = v_u + scale (v_c - v_u), where v_u is
    the prediction for the empty prompt (diffusers' FluxPipeline calls this true_cfg_scale).
    The conditional and unconditional passes run one after the other, as the C++ sampler
    does."""

    def __init__(self, flux: torch.nn.Module, txt_u: torch.Tensor, y_u: torch.Tensor,
                 scale: float):
        super().__init__()
        self.flux, self.txt_u, self.y_u, self.scale = flux, txt_u, y_u, scale

    def forward(self, img, img_ids, txt, txt_ids, y, timesteps, guidance=None):
        v_c = self.flux(img=img, img_ids=img_ids, txt=txt, txt_ids=txt_ids, y=y,
                        timesteps=timesteps, guidance=guidance)
        v_u = self.flux(img=img, img_ids=img_ids, txt=self.txt_u, txt_ids=txt_ids, y=self.y_u,
                        timesteps=timesteps, guidance=guidance)
        return v_u + self.scale * (v_c - v_u)


class KilnShapes:
    def __init__(self, model_dir: str):
        import sentencepiece as spm
        with open(os.path.join(model_dir, "kiln.json")) as f:
            self.manifest = json.load(f)
        m = self.manifest

        def load(entry):
            sd = load_file(os.path.join(model_dir, entry["file"]))
            return {k: v.float() for k, v in sd.items()}

        self.flux = Flux(FluxParams.from_dict(m["transformer"]["config"])).eval()
        self.flux.load_state_dict(load(m["transformer"]), strict=True)
        self.ae = AutoEncoder(AutoEncoderParams.from_dict(m["autoencoder"]["config"])).eval()
        self.ae.load_state_dict(load(m["autoencoder"]), strict=True)
        te = m["text_encoder"]
        self.t5 = T5Encoder(T5Config.from_dict(te["config"])).eval()
        self.t5.load_hf_state_dict(load(te))
        self.max_length = int(te["max_length"])
        assert te.get("pooling", "mean") == "mean"
        self.sp = spm.SentencePieceProcessor(
            model_file=os.path.join(model_dir, m["tokenizer"]["file"]))
        self.sampling = m["sampling"]

    @torch.no_grad()
    def generate(self, prompts: List[str], seeds: Sequence[int], steps: Optional[int] = None,
                 width: Optional[int] = None, height: Optional[int] = None,
                 trace: Optional[Dict[str, torch.Tensor]] = None,
                 cfg_scale: Optional[float] = None, init_latent: Optional[torch.Tensor] = None,
                 t0: float = 1.0) -> torch.Tensor:
        """-> images [B, 3, H, W] float (about [-1, 1]). `trace` (a dict) receives the
        intermediate tensors: ids, mask, txt, y, noise, latent (final, unpacked).
        cfg_scale (default: the manifest's "cfg_scale", else 1 = no guidance) > 1 applies
        classifier-free guidance against the empty prompt. init_latent (unpacked, normalised
        like ae.encode's) with t0 < 1 starts from it noised to the schedule time nearest t0 and
        runs the rest of the schedule (SDEdit; a diagnostic, not served)."""
        s = self.sampling
        steps = steps or s["steps"]
        cfg_scale = float(s.get("cfg_scale", 1.0) if cfg_scale is None else cfg_scale)
        width = width or s["width"]
        height = height or s["height"]
        assert len(prompts) == len(seeds)
        ids, mask = tokenize(self.sp, prompts, self.max_length)
        txt, y = encode_text(self.t5, ids, mask)
        z = self.ae.params.z_channels
        f = self.ae.params.downsample_factor()
        h, w = height // f, width // f
        noise = latent_noise(seeds, z, h, w)
        b = len(prompts)
        img = pack(noise)
        img_ids = make_img_ids(b, h, w)
        txt_ids = torch.zeros(b, txt.shape[1], 3)
        timesteps = get_schedule(steps, img.shape[1], shift=bool(s["shift"]))
        if init_latent is not None and t0 < 1.0:
            k = min(range(len(timesteps)), key=lambda i: abs(timesteps[i] - t0))
            timesteps = timesteps[k:]
            img = pack((1 - timesteps[0]) * init_latent + timesteps[0] * noise)
        model = self.flux
        if cfg_scale != 1.0:
            ids_u, mask_u = tokenize(self.sp, [""] * b, self.max_length)
            txt_u, y_u = encode_text(self.t5, ids_u, mask_u)
            model = Guided(self.flux, txt_u, y_u, cfg_scale)
        x = denoise(model, img, img_ids, txt, txt_ids, y, timesteps,
                    guidance=float(s.get("guidance", 0.0)))
        # unpack takes FLUX.1's pixel sizes (8 per latent pixel), whatever this autoencoder's f
        latent = unpack(x, 8 * h, 8 * w)
        image = self.ae.decode(latent)
        if trace is not None:
            trace.update(ids=ids, mask=mask, txt=txt, y=y, noise=noise, latent=latent,
                         image=image)
        return image


_CACHE: Dict[str, KilnShapes] = {}


def generate(prompts: List[str], seeds: Sequence[int], steps: Optional[int] = None,
             width: Optional[int] = None, height: Optional[int] = None,
             cfg_scale: Optional[float] = None,
             model_dir: str = os.path.join(os.path.dirname(__file__), "..", "..", "models",
                                           "kiln-shapes")) -> torch.Tensor:
    key = os.path.abspath(model_dir)
    if key not in _CACHE:
        _CACHE[key] = KilnShapes(model_dir)
    return _CACHE[key].generate(prompts, seeds, steps, width, height, cfg_scale=cfg_scale)


def from_uint8(images: np.ndarray) -> torch.Tensor:
    """uint8 [B, H, W, 3] -> [B, 3, H, W] f32 in [-1, 1] (the autoencoder's input; to_uint8's inverse).
    Contiguous: the permuted view has channels-last strides, which torch's convolutions keep
    through the whole network, and on CPU they are slower that way (a training step of the
    autoencoder 0.51 s against 0.30 s on 2 threads: bench/autoencoder_step_bench.py)."""
    return (torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0).contiguous()


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """[B, 3, H, W] in [-1, 1] -> uint8 [B, H, W, 3]."""
    x = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


# ---- goldens for the C++ parity test ----------------------------------------------------------

GOLDEN_CASES = [  # (prompt, seed); case 0 also at 64 x 64
    ("a large purple triangle in the top left on a white background", 0),
    ("a blue square to the left of a yellow circle on a black background", 42),
]


def dump_golden(model_dir: str, out_dir: str) -> None:
    """Writes tests/data/kiln_shapes_golden/golden.safetensors (see its README)."""
    from .safetensors_io import save_file
    torch.set_num_threads(1)
    m = KilnShapes(model_dir)
    prompts = [p for p, _ in GOLDEN_CASES]
    seeds = [s for _, s in GOLDEN_CASES]
    t = {}
    tr128: Dict[str, torch.Tensor] = {}
    m.generate(prompts, seeds, width=128, height=128, trace=tr128)
    tr64: Dict[str, torch.Tensor] = {}
    m.generate(prompts[:1], seeds[:1], width=64, height=64, trace=tr64)
    t["input_ids"] = tr128["ids"].int()
    t["attention_mask"] = tr128["mask"].int()
    t["txt"] = tr128["txt"].half()
    t["y"] = tr128["y"].float()
    t["seeds"] = torch.tensor(seeds, dtype=torch.int64)
    for name, tr in (("128", tr128), ("64", tr64)):
        t[f"s{name}.noise"] = tr["noise"].float()
        t[f"s{name}.latent"] = tr["latent"].float()
        t[f"s{name}.image"] = tr["image"].half()
    os.makedirs(out_dir, exist_ok=True)
    meta = {"prompts": json.dumps(prompts), "seeds": json.dumps(seeds),
            "steps": str(m.sampling["steps"]), "shift": str(m.sampling["shift"]),
            "cfg_scale": str(m.sampling.get("cfg_scale", 1.0)),
            "generator": "research/kiln_research/pipeline.py --golden (torch %s, 1 thread)"
                         % torch.__version__}
    save_file(t, os.path.join(out_dir, "golden.safetensors"), meta)


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                    "models", "kiln-shapes"))
    ap.add_argument("--golden", required=True, help="output folder")
    a = ap.parse_args()
    dump_golden(a.model, a.golden)
