"""Trains kiln-shapes (FLUX.1 architecture) on the procedural shapes world, on the CPU.

    research/torch2.sh research/train.py --out models/kiln-shapes [--minutes N]

(torch2.sh: PyPI's torch 2, whose oneDNN runs --bf16, the default, on the CPU's AVX-512 BF16
instructions; the 90-minute budget assumes it. Debian's torch 1.13 runs the same code
slower.)

One command, fixed seeds, four stages (each resumable from --work, default /tmp/kiln_train):
  1. autoencoder  FLUX.1 AutoencoderKL layout, ch 32, ch_mult [1,1,2] (4x down), 1 res block,
                  z 4 (--ae-down 8: ch_mult [1,1,2,2], z 16, FLUX.1's factor; v2-v6), on full
                  128x128 renders, half of them
                  crowded scenes (an object in most of the nine cells: more edges per rendered
                  pixel); z = the posterior mean + a little noise (with the posterior sampled,
                  small objects came out as coloured blobs); weighted L1 + MSE + L1 of
                  horizontal/vertical differences, object pixels weighted x11 (objects are a
                  few % of a world scene's pixels).
  2. latents      --scenes train-split scenes rendered at 128x128 and encoded (the mean);
                  shift/scale factors from their mean/std (so latents are ~unit variance)
  3. text encoder a tiny T5 v1.1 encoder pretrained from scratch on captions alone: a linear
                  probe on its pooled vector learns the caption's spec (pretrain_text.py); the
                  probe is dropped and the encoder frozen for the next stage
     transformer  Flux (guidance_embed false; hidden 128, 2 heads, 2 + 2 blocks) on the
                  rectified-flow loss: x_t = (1-t) x0 + t noise, v = noise - x0, t =
                  sigmoid(N(--t-mean, 1)) (default 1: weighted to high noise, where the prompt
                  must decide the shape); captions re-drawn (random
                  phrasings) every time a scene is used, --uncond-prob of them replaced by the
                  empty caption (the unconditional prediction of classifier-free guidance),
                  one-object scenes --one-object-frac of the draws. EMA weights are exported.
                  --shape-map-weight (default 16; 0 = off, as v2-v7) adds training-only heads
                  (ShapeMapHead, not exported) on the image tokens after each block named by
                  --shape-map-at (default all four; v8: the last double block, weight 4),
                  predicting each token's coverage by each shape class (shape_map), with that
                  weight on the mean of their binary cross-entropies.
                  Runs in --procs processes of one thread each (and one OpenBLAS thread), the
                  batch split among them and the gradients averaged (data_parallel.py; on the
                  2-core machine 2.3x the steps per second of one 2-thread process, 1.08x one
                  1-thread process; bit-reproducible, resumable).
  4. decoder      more decoder steps, encoder frozen (the cached latents stay valid); the
                  exported autoencoder has this decoder.
The image size is 128x128 (latent 4 x 32 x 32, 256 image tokens; with --ae-down 8, 16 x 16 x 16
and 64 image tokens).
The training stages' forward passes (1, 3a, 3b, 4; stage 2 encodes in float32) run under CPU
autocast to bfloat16 (--bf16, the default since v10; --no-bf16: float32 as v2-v9); weights,
optimiser state, losses and the EMA stay float32.
The schedule is step based (--steps); --minutes only caps the transformer stage's wall time
(a run cut by it is still exported, but is then no longer bit-reproducible).

Output (f16 safetensors, official key names): transformer.safetensors, autoencoder.safetensors,
text_encoder.safetensors, kiln.json (the manifest the C++ loader reads), and tokenizer.model
copied from models/kiln-shapes (shapes/train_tokenizer.py makes it) unless --out has one.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import pickle
import shutil
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kiln_research.autoencoder import AutoEncoder, AutoEncoderParams  # noqa: E402
from kiln_research.flux import Flux, FluxParams  # noqa: E402
from kiln_research.pipeline import encode_text, from_uint8, tokenize  # noqa: E402
from kiln_research.safetensors_io import save_file  # noqa: E402
from kiln_research.sampling import make_img_ids, pack  # noqa: E402
from kiln_research.t5 import T5Config, T5Encoder  # noqa: E402
import data_parallel  # noqa: E402
from pretrain_text import pretrain_text_encoder  # noqa: E402
from shapes.captions import caption_with_spec  # noqa: E402
from shapes.dataset import make_batch, sample_dense_scene  # noqa: E402
from shapes.render import coverage, object_box, render  # noqa: E402
from shapes.world import SHAPES, SIZE_NAMES  # noqa: E402

SIZE = 128       # training renders and the default sampling size
MAX_LENGTH = 40
COMMITTED_TOKENIZER = os.path.join(HERE, "..", "models", "kiln-shapes", "tokenizer.model")
# The autoencoder's latent by --ae-down: (z_channels, ch_mult). 8 is FLUX.1's 8x-down latent
# (z 16); 4 keeps the same 4 096 numbers per 128x128 image at twice the resolution (z 4, 256
# image tokens; the v7 experiment in kiln_shapes.md).
LATENTS = {8: (16, [1, 1, 2, 2]), 4: (4, [1, 1, 2])}
CFG_SCALE = 3.0  # the exported default guidance scale (--cfg-scale); chosen on val prompts
T0 = time.time()
QUIET = False  # processes other than rank 0 of stage 3b do not log


def log(msg: str) -> None:
    if not QUIET:
        print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


BF16 = False  # --bf16: the stages' forward passes under CPU autocast to bfloat16


def autocast():
    """The forward passes' precision: bfloat16 matmuls and convolutions under --bf16 (the
    weights, optimiser state, losses and EMA stay float32), float32 otherwise."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16)


def ae_params(down: int = 8, scale: float = 1.0, shift: float = 0.0) -> AutoEncoderParams:
    z, ch_mult = LATENTS[down]
    return AutoEncoderParams(resolution=SIZE, in_channels=3, ch=32, out_ch=3, ch_mult=ch_mult,
                             num_res_blocks=1, z_channels=z, scale_factor=scale,
                             shift_factor=shift)


def t5_config() -> T5Config:
    return T5Config(vocab_size=256, d_model=128, d_kv=32, d_ff=256, num_layers=2, num_heads=4,
                    relative_attention_num_buckets=32, relative_attention_max_distance=64,
                    layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu")


def flux_params(args) -> FluxParams:
    pe_dim = args.hidden // args.heads
    axes = [8, (pe_dim - 8) // 2, (pe_dim - 8) // 2]
    z = LATENTS[args.ae_down][0]
    return FluxParams(in_channels=4 * z, out_channels=4 * z, vec_in_dim=128, context_in_dim=128,
                      hidden_size=args.hidden, mlp_ratio=args.mlp_ratio, num_heads=args.heads,
                      depth=args.depth, depth_single_blocks=args.single, axes_dim=axes,
                      theta=10000, qkv_bias=True, guidance_embed=False)


# ---- stage 1: autoencoder -----------------------------------------------------------------------

def object_weights(x: torch.Tensor, obj_weight: float) -> torch.Tensor:
    """Per-pixel loss weights, mean 1: objects are a few % of the pixels, so pixels away from
    the corner colour (always background) weigh 1 + obj_weight."""
    bg = x[:, :, :1, :1]
    w = 1.0 + obj_weight * ((x - bg).abs().sum(1, keepdim=True) > 0.05).float()
    return w / w.mean()


def reconstruction_loss(rec: torch.Tensor, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Weighted L1 + MSE on pixels, plus L1 on horizontal and vertical differences (keeps the
    edges, hence the shapes, sharp)."""
    d = rec - x
    loss = (w * d.abs()).mean() + (w * d.pow(2)).mean()
    dx = d[:, :, :, 1:] - d[:, :, :, :-1]
    dy = d[:, :, 1:, :] - d[:, :, :-1, :]
    return loss + (w[:, :, :, 1:] * dx.abs()).mean() + (w[:, :, 1:, :] * dy.abs()).mean()


def autoencoder_batch(rng, n: int, dense_frac: float) -> np.ndarray:
    """n renders: world scenes, and round(dense_frac * n) crowded ones (sample_dense_scene)."""
    n_dense = int(round(dense_frac * n))
    images, _, _ = make_batch(rng, n - n_dense, size=SIZE, split="train", canonical_prob=1.0)
    if n_dense == 0:
        return images
    dense = np.stack([render(sample_dense_scene(rng), SIZE) for _ in range(n_dense)])
    return np.concatenate([images, dense])


def train_autoencoder(args, path: str) -> AutoEncoder:
    """Full SIZE x SIZE renders (the GroupNorms and the mid attention see whole-image statistics:
    a model trained on crops decodes whole images with wrong colours). z is the posterior mean
    plus a little noise (with the posterior sampled, small objects came out as coloured blobs;
    the noise keeps the decoder tolerant of imperfect generated latents)."""
    torch.manual_seed(1)
    ae = AutoEncoder(ae_params(args.ae_down))
    if os.path.exists(path):
        ae.load_state_dict(torch.load(path))
        log(f"autoencoder: loaded {path}")
        return ae
    rng = np.random.default_rng(1)
    gen = torch.Generator().manual_seed(1)
    opt = torch.optim.Adam(ae.parameters(), lr=args.ae_lr, betas=(0.9, 0.99))
    steps, ema = args.ae_steps, 0.0
    for step in range(steps):
        warm = min(1.0, (step + 1) / 50)
        lr = args.ae_lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        x = from_uint8(autoencoder_batch(rng, args.ae_batch, args.ae_dense_frac))
        with autocast():
            mean, logvar = torch.chunk(ae.encoder(x), 2, dim=1)
            mean = mean.float()
            z = mean + 0.05 * mean.detach().std() * torch.randn(mean.shape, generator=gen)
            rec = ae.decoder(z).float()
        loss = reconstruction_loss(rec, x, object_weights(x, 10.0))
        kl = 0.5 * mean.pow(2).mean()  # keeps the latent scale bounded (z is deterministic)
        opt.zero_grad(set_to_none=True)
        (loss + 1e-4 * kl).backward()
        opt.step()
        ema = loss.item() if step == 0 else 0.98 * ema + 0.02 * loss.item()
        if step % 20 == 0 or step == steps - 1:
            log(f"ae step {step}/{steps} loss {loss.item():.4f} (ema {ema:.4f}) "
                f"|z|^2 {2 * kl.item():.3f} lr {lr:.2e}")
        if step % 200 == 199:
            torch.save(ae.state_dict(), path.replace(".pt", "_partial.pt"))
    torch.save(ae.state_dict(), path)
    return ae


# ---- stage 2: latents -----------------------------------------------------------------------------

@torch.no_grad()
def cache_latents(args, ae: AutoEncoder, path: str):
    if os.path.exists(path):
        with open(path, "rb") as f:
            d = pickle.load(f)
        log(f"latents: loaded {path} ({len(d['scenes'])} scenes)")
        return d
    ae.eval()
    rng = np.random.default_rng(2)
    lat, scenes = [], []
    chunk = 256
    for start in range(0, args.scenes, chunk):
        n = min(chunk, args.scenes - start)
        images, _, sc = make_batch(rng, n, size=SIZE, split="train", canonical_prob=1.0)
        x = from_uint8(images)
        for i in range(0, n, 64):
            lat.append(ae.encoder(x[i:i + 64])[:, :ae.params.z_channels].clone())
        scenes.extend(sc)
        if start % (chunk * 8) == 0:
            log(f"latents {start + n}/{args.scenes}")
    z = torch.cat(lat)
    shift = float(z.mean())
    scale = float(1.0 / (z - shift).std())
    # z as a tensor, not a numpy array: numpy 2 (torch2.sh's) pickles arrays as numpy._core,
    # which Debian's numpy 1 cannot load, and both read the work folders
    d = {"z": (scale * (z - shift)).float().contiguous(), "scenes": scenes,
         "shift": shift, "scale": scale}
    with open(path + ".tmp", "wb") as f:
        pickle.dump(d, f, protocol=4)
    os.replace(path + ".tmp", path)
    log(f"latents: {z.shape}, shift_factor {shift:.5f}, scale_factor {scale:.5f}")
    return d


# ---- stage 4: decoder fine-tune (encoder frozen, so the cached latents stay valid) -----------

def finetune_decoder(args, ae: AutoEncoder, path: str) -> AutoEncoder:
    """More decoder steps on full SIZE x SIZE renders with the encoder frozen (the transformer's
    latents do not change); z gets N(0, 0.1^2) noise in normalised units so the decoder
    tolerates imperfect generated latents."""
    if os.path.exists(path):
        ae.decoder.load_state_dict(torch.load(path))
        log(f"decoder: loaded {path}")
        return ae
    rng = np.random.default_rng(4)
    gen = torch.Generator().manual_seed(4)
    opt = torch.optim.Adam(ae.decoder.parameters(), lr=args.dec_lr, betas=(0.9, 0.99))
    steps, ema = args.dec_steps, 0.0
    for step in range(steps):
        lr = args.dec_lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        images, _, _ = make_batch(rng, args.dec_batch, size=SIZE, split="train",
                                  canonical_prob=1.0)
        x = from_uint8(images)
        with torch.no_grad():
            z = torch.chunk(ae.encoder(x), 2, dim=1)[0]
            z = z + (0.1 / ae.scale_factor) * torch.randn(z.shape, generator=gen)
        with autocast():
            rec = ae.decoder(z).float()
        loss = reconstruction_loss(rec, x, object_weights(x, 10.0))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema = loss.item() if step == 0 else 0.98 * ema + 0.02 * loss.item()
        if step % 50 == 0 or step == steps - 1:
            log(f"decoder step {step}/{steps} loss {loss.item():.4f} (ema {ema:.4f}) lr {lr:.2e}")
    torch.save(ae.decoder.state_dict(), path)
    return ae


# ---- export -----------------------------------------------------------------------------------

def f16(sd):
    return {k: v.detach().to(torch.float16).contiguous() for k, v in sd.items()}


def export(out: str, flux: Flux, t5: T5Encoder, ae: AutoEncoder, info: dict) -> None:
    os.makedirs(out, exist_ok=True)
    meta = {"format": "pt", "model": "kiln-shapes"}
    save_file(f16(flux.state_dict()), os.path.join(out, "transformer.safetensors"), meta)
    save_file(f16(ae.state_dict()), os.path.join(out, "autoencoder.safetensors"), meta)
    t5sd = {k: v for k, v in t5.state_dict().items() if k != "encoder.embed_tokens.weight"}
    save_file(f16(t5sd), os.path.join(out, "text_encoder.safetensors"), meta)
    manifest = {
        "name": "kiln-shapes",
        "version": "11",
        "transformer": {"file": "transformer.safetensors", "config": flux.params.to_dict()},
        "autoencoder": {"file": "autoencoder.safetensors", "config": ae.params.to_dict()},
        "text_encoder": {"file": "text_encoder.safetensors", "config": t5.cfg.to_dict(),
                         "max_length": MAX_LENGTH, "pooling": "mean"},
        "tokenizer": {"file": "tokenizer.model"},
        "sampling": {"steps": 20, "width": SIZE, "height": SIZE, "shift": False,
                     "guidance": 0.0, "cfg_scale": CFG_SCALE},
    }
    with open(os.path.join(out, "kiln.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    with open(os.path.join(args_work, "train_info.json"), "w") as f:
        json.dump(info, f, indent=2)


args_work = "/tmp/kiln_train"


# ---- stage 3: transformer + text encoder ------------------------------------------------------------

def pretrained_text_encoder(args, sp, scenes) -> T5Encoder:
    """Stage 3a (pretrain_text.py), cached in --work/text_encoder.pt; returned frozen."""
    path = os.path.join(args.work, "text_encoder.pt")
    torch.manual_seed(3)
    t5 = T5Encoder(t5_config())
    with torch.no_grad():
        t5.shared.weight.normal_(0, 1.0)
        t5.encoder.block[0].layer[0].SelfAttention.relative_attention_bias.weight.normal_(0, 0.1)
    if os.path.exists(path):
        t5.load_state_dict(torch.load(path))
        log(f"text encoder: loaded {path}")
    else:
        info = pretrain_text_encoder(t5, sp, scenes, args.text_steps, args.text_batch,
                                     args.text_lr, MAX_LENGTH, args.uncond_prob, log, autocast)
        torch.save(t5.state_dict(), path + ".tmp")
        os.replace(path + ".tmp", path)
        log(f"text encoder: {info}")
    t5.eval()
    for p in t5.parameters():
        p.requires_grad_(False)
    return t5


def copy_tokenizer(out: str) -> None:
    """Puts the committed tokenizer (shapes/train_tokenizer.py makes it) into --out, where the
    stages read it and the export needs it, before any stage runs: a fresh --out folder must
    not fail an hour in."""
    dst = os.path.join(out, "tokenizer.model")
    if os.path.exists(dst):
        return
    os.makedirs(out, exist_ok=True)
    shutil.copyfile(COMMITTED_TOKENIZER, dst)


def load_tokenizer(args):
    import sentencepiece as spm
    return spm.SentencePieceProcessor(model_file=os.path.join(args.out, "tokenizer.model"))


def parse_draw_weights(text: str) -> dict:
    """"star=2,small=1.5" -> {"star": 2.0, "small": 1.5}: keys are shape or size names."""
    weights = {}
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        if name not in SHAPES + SIZE_NAMES or not value:
            raise argparse.ArgumentTypeError(
                f"{item!r} is not NAME=WEIGHT with NAME a shape or a size")
        weights[name] = float(value)
        if weights[name] <= 0:
            raise argparse.ArgumentTypeError(f"{name}'s weight must be > 0")
    return weights


def draw_probabilities(scenes, one_object_frac: float, weights: dict) -> np.ndarray:
    """Each cached scene's probability to be drawn in stage 3b. One-object scenes get
    one_object_frac of the draws in all (the cache has the dataset's 45 %: one object per
    prompt is the served common case), the others the rest. Within each group a scene's
    weight is the largest, over its objects, of the object's shape weight times its size
    weight (--draw-weights, 1 where unnamed): more steps on what the model draws worst."""
    n_obj = np.array([len(s.objects) for s in scenes])
    p = np.array([max(weights.get(o.shape, 1.0) * weights.get(o.size, 1.0) for o in s.objects)
                  for s in scenes], dtype=np.float64)
    for group, share in ((n_obj == 1, one_object_frac), (n_obj > 1, 1 - one_object_frac)):
        if group.any():
            p[group] *= share / p[group].sum()
    return p / p.sum()


def train_transformer(args, ae: AutoEncoder, data: dict, ckpt: str, rank: int = 0,
                      world: int = 1):
    """Stage 3b in process `rank` of `world` (data_parallel.py): each process draws its own
    args.batch / world scenes (rank 0 with the single-process seeds), gradients are averaged,
    and rank 0 keeps the EMA and writes the checkpoint and the export."""
    sp = load_tokenizer(args)
    t5 = pretrained_text_encoder(args, sp, data["scenes"])
    torch.manual_seed(3)
    flux = Flux(flux_params(args))
    with torch.no_grad():  # zero-init the output layer (DiT-style): starts as v = 0
        flux.final_layer.linear.weight.zero_()
        flux.final_layer.linear.bias.zero_()
    params = list(flux.parameters())  # the text encoder stays frozen (stage 3a trained it)
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.99), weight_decay=0.01)
    ema_flux = copy.deepcopy(flux).eval()
    for p in ema_flux.parameters():
        p.requires_grad_(False)
    # registered after the EMA copy, which would otherwise copy the hook
    heads = shape_map_heads(flux, args) if args.shape_map_weight > 0 else None
    if heads is not None:
        head_opt = torch.optim.AdamW(heads.parameters(), lr=args.lr, betas=(0.9, 0.99),
                                     weight_decay=0.01)
    step0 = 0
    rng = np.random.default_rng(3 + 1000 * rank)
    gen = torch.Generator().manual_seed(3 + 1000 * rank)
    losses = []
    if os.path.exists(ckpt):
        c = torch.load(ckpt)
        assert len(c["rngs"]) == world, f"{ckpt} was written by {len(c['rngs'])} processes"
        flux.load_state_dict(c["flux"])
        ema_flux.load_state_dict(c["ema_flux"])
        opt.load_state_dict(c["opt"]); step0 = c["step"]; losses = c["losses"]
        if heads is not None and "heads" in c:  # (a run without heads may be continued)
            heads.load_state_dict(c["heads"]); head_opt.load_state_dict(c["head_opt"])
        rng.bit_generator.state = c["rngs"][rank][0]; gen.set_state(c["rngs"][rank][1])
        log(f"transformer: resumed at step {step0}")

    z_all = torch.as_tensor(data["z"])  # a tensor (an array in work folders before v10)
    scenes = data["scenes"]
    n = len(scenes)
    draw_p = draw_probabilities(scenes, args.one_object_frac, args.draw_weights)
    assert args.batch % world == 0, "--batch must divide among --procs"
    bs = args.batch // world
    maps = {}  # scene index -> shape_map, made when first drawn
    _, c, h, w = z_all.shape
    img_ids = make_img_ids(bs, h, w)
    txt_ids = torch.zeros(bs, MAX_LENGTH, 3)
    ema_params = list(ema_flux.parameters())
    live_params = params
    t_start = time.time()
    last_save = time.time()
    step = step0
    info = {}

    def save(final=False):
        rngs = [(rng.bit_generator.state, gen.get_state())]
        if world > 1:
            rngs = data_parallel.gather(rngs[0])
        if rank != 0:
            return
        torch.save({"flux": flux.state_dict(), "ema_flux": ema_flux.state_dict(),
                    "ema_t5": t5.state_dict(),  # the frozen encoder (key kept from the EMA days)
                    "opt": opt.state_dict(), "step": step, "losses": losses,
                    "rngs": rngs,
                    **({"heads": heads.state_dict(), "head_opt": head_opt.state_dict()}
                       if heads is not None else {})}, ckpt + ".tmp")
        os.replace(ckpt + ".tmp", ckpt)
        info.update(step=step, steps=args.steps, batch=args.batch, procs=world, scenes=n,
                    loss_last_200=float(np.mean(losses[-200:])) if losses else None,
                    transformer_seconds=time.time() - t_start, total_seconds=time.time() - T0,
                    final=final)
        export(args.out, ema_flux, t5, ae, info)
        log(f"saved checkpoint + export at step {step}")

    while step < args.steps:
        stop = bool(args.minutes) and time.time() - t_start > args.minutes * 60
        due = time.time() - last_save > args.save_minutes * 60
        if world > 1:
            stop, due = data_parallel.decide([stop, due])
        if due:
            save()
            last_save = time.time()
        if stop:
            log(f"--minutes {args.minutes} reached at step {step}")
            break
        warm = min(1.0, (step + 1) / 200)
        decay_from = int(args.steps * 0.7)
        frac = max(0.0, (step - decay_from) / max(1, args.steps - decay_from))
        lr = args.lr * warm * (1.0 - 0.9 * frac)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = rng.choice(n, size=bs, p=draw_p)
        caps = [caption_with_spec(scenes[i], rng, 0.3)[0] for i in idx]
        # the empty caption now and then: the unconditional prediction of classifier-free
        # guidance (the manifest's "cfg_scale")
        drop = rng.random(bs) < args.uncond_prob
        caps = ["" if d else c for c, d in zip(caps, drop)]
        ids, mask = tokenize(sp, caps, MAX_LENGTH)
        x0 = pack(z_all[idx])
        noise = torch.randn(x0.shape, generator=gen)
        t = torch.sigmoid(args.t_mean + torch.randn(bs, generator=gen))
        xt = (1 - t[:, None, None]) * x0 + t[:, None, None] * noise
        with torch.no_grad():
            txt, y = encode_text(t5, ids, mask)
        with autocast():
            pred = flux(img=xt, img_ids=img_ids, txt=txt, txt_ids=txt_ids, timesteps=t, y=y)
        loss = (pred.float() - (noise - x0)).pow(2).mean()  # the flow loss (logged)
        total = loss
        if heads is not None:
            for i in idx:
                if i not in maps:
                    maps[i] = torch.from_numpy(shape_map(scenes[i], h // 2, w // 2))
            maps_batch = torch.stack([maps[i] for i in idx])
            with autocast():
                head_loss = sum(hd.loss(maps_batch) for hd in heads) / len(heads)
            total = total + args.shape_map_weight * head_loss
            head_opt.zero_grad(set_to_none=True)
        opt.zero_grad(set_to_none=True)
        total.backward()
        if world > 1:
            data_parallel.average_gradients(params)
            if heads is not None:
                data_parallel.average_gradients(list(heads.parameters()))
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if heads is not None:
            head_opt.step()
        step += 1
        if rank == 0:  # only rank 0 exports
            d = min(args.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                for pe, pl in zip(ema_params, live_params):
                    pe.mul_(d).add_(pl.detach(), alpha=1 - d)
        losses.append(data_parallel.mean(loss.item()) if world > 1 else loss.item())
        if step % 25 == 0:
            el = time.time() - t_start
            log(f"step {step}/{args.steps} loss {np.mean(losses[-25:]):.4f} "
                f"(last 200: {np.mean(losses[-200:]):.4f}) lr {lr:.2e} {el / max(1, step - step0):.2f}s/step")
    save(final=True)
    return info


SUB = 4  # a shape map's sub-cells per token side


def shape_map(scene, h_tok: int, w_tok: int) -> np.ndarray:
    """The scene's per-token shape map (uint8, [h_tok * w_tok, len(SHAPES) * SUB * SUB], in pack
    order): for each shape class, the coverage of each of the token's SUB x SUB sub-cells by
    objects of that class (x 255). The target of the shape-map head (--shape-map-weight)."""
    cov = np.zeros((len(SHAPES), SIZE, SIZE), np.float32)
    for o in scene.objects:
        y0, y1, x0, x1 = object_box(o.cx, o.cy, o.extent, SIZE, SIZE)
        if y1 > y0 and x1 > x0:
            c = cov[SHAPES.index(o.shape), y0:y1, x0:x1]
            np.maximum(c, coverage(o.shape, o.cx, o.cy, o.extent, SIZE, SIZE, y0, y1, x0, x1),
                       out=c)
    p = SIZE // (h_tok * SUB)  # pixels per sub-cell side
    m = cov.reshape(len(SHAPES), h_tok, SUB, p, w_tok, SUB, p).mean(axis=(3, 6))
    m = m.transpose(1, 3, 0, 2, 4).reshape(h_tok * w_tok, -1)
    return (m * 255 + 0.5).astype(np.uint8)


class ShapeMapHead(torch.nn.Module):
    """Training-only head on the image tokens after one block (not exported; the served model
    is plain FLUX): it predicts each token's shape map (shape_map). A wrong shape then costs
    the whole object's tokens, where the flow loss charges only the few latent values in which
    a star differs from a circle (the REPA idea: supervising an inner representation speeds up
    a diffusion transformer's training)."""

    def __init__(self, hidden: int, txt_tokens: int = 0):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(hidden, 2 * hidden), torch.nn.SiLU(),
                                       torch.nn.Linear(2 * hidden, len(SHAPES) * SUB * SUB))
        self.txt_tokens = txt_tokens  # > 0 on a single block: its output is [txt; img]
        self.captured = None

    def capture(self, module, inputs, output):  # forward hook on its block
        if self.txt_tokens:
            self.captured = output[:, self.txt_tokens:]
        else:  # a double block returns (img, txt)
            self.captured = output[0]

    def loss(self, maps: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.binary_cross_entropy_with_logits(
            self.net(self.captured).float(), maps.float() / 255)


def shape_map_heads(flux: Flux, args) -> torch.nn.ModuleList:
    """One ShapeMapHead per block named in --shape-map-at ("d<i>": double block i, "s<i>":
    single block i; negative i counts from the end), each hooked to its block's output."""
    heads = torch.nn.ModuleList()
    for name in args.shape_map_at.split(","):
        kind, i = name.strip()[:1], name.strip()[1:]
        blocks = {"d": flux.double_blocks, "s": flux.single_blocks}.get(kind)
        known = blocks is not None and i.lstrip("-").isdigit()
        if not known or not -len(blocks) <= int(i) < len(blocks):
            raise SystemExit(f"--shape-map-at: {name!r} is not d<i> or s<i> of an existing block "
                             f"({len(flux.double_blocks)} double, {len(flux.single_blocks)} single)")
        block = blocks[int(i)]
        head = ShapeMapHead(args.hidden, MAX_LENGTH if kind == "s" else 0)
        block.register_forward_hook(head.capture)
        heads.append(head)
    return heads


def autoencoder_and_latents(args):
    """Stages 1 and 2 (or their cached results)."""
    ae = train_autoencoder(args, os.path.join(args.work, "ae.pt"))
    data = cache_latents(args, ae, os.path.join(args.work, "latents.pkl"))
    ae.scale_factor = data["scale"]
    ae.shift_factor = data["shift"]
    ae.params = ae_params(args.ae_down, data["scale"], data["shift"])
    return ae, data


def transformer_process(rank: int, world: int, args, t0: float) -> None:
    """Stage 3b's body in a data_parallel process (stages 1, 2, 3a are cached by then)."""
    global args_work, CFG_SCALE, T0, QUIET, BF16
    args_work, CFG_SCALE, T0, QUIET, BF16 = args.work, args.cfg_scale, t0, rank != 0, args.bf16
    ae, data = autoencoder_and_latents(args)
    train_transformer(args, ae, data, os.path.join(args.work, "transformer.pt"), rank, world)


def main():
    global args_work, CFG_SCALE, BF16
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "models", "kiln-shapes"))
    ap.add_argument("--work", default="/tmp/kiln_train")
    ap.add_argument("--minutes", type=float, default=0.0, help="cap on the transformer stage")
    ap.add_argument("--steps", type=int, default=9800)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--single", type=int, default=2)
    ap.add_argument("--mlp-ratio", type=float, default=2.0)
    ap.add_argument("--lr", type=float, default=8e-4)
    ap.add_argument("--ema", type=float, default=0.998)
    ap.add_argument("--t-mean", type=float, default=1.0,
                    help="t ~ sigmoid(N(t_mean, 1)); > 0 weights training to high noise, "
                         "where the prompt must decide the shape (kiln_shapes.md)")
    ap.add_argument("--uncond-prob", type=float, default=0.1,
                    help="fraction of captions replaced by the empty one (for guidance)")
    ap.add_argument("--shape-map-weight", type=float, default=16.0,
                    help="> 0: the shape-map heads (ShapeMapHead) and this weight on the "
                         "mean of their losses")
    ap.add_argument("--shape-map-at", default="d0,d1,s0,s1",
                    help="the blocks whose image tokens get a shape-map head, comma separated: "
                         "d<i> (double block i), s<i> (single block i); default every block "
                         "(v9; v8: d-1, the last double block, with weight 4)")
    ap.add_argument("--scenes", type=int, default=8000)
    ap.add_argument("--one-object-frac", type=float, default=0.6,
                    help="share of one-object scenes among the transformer's draws")
    ap.add_argument("--draw-weights", type=parse_draw_weights, default={},
                    help="stage 3b draws scenes with these objects more often, e.g. "
                         "\"star=2,small=1.5\" (draw_probabilities)")
    ap.add_argument("--text-steps", type=int, default=1500)
    ap.add_argument("--text-batch", type=int, default=128)
    ap.add_argument("--text-lr", type=float, default=2e-3)
    ap.add_argument("--ae-down", type=int, default=4, choices=sorted(LATENTS),
                    help="the autoencoder's downsampling factor (LATENTS)")
    ap.add_argument("--ae-steps", type=int, default=2300)
    ap.add_argument("--ae-batch", type=int, default=4)
    ap.add_argument("--ae-dense-frac", type=float, default=0.5,
                    help="share of crowded scenes (sample_dense_scene) in autoencoder batches")
    ap.add_argument("--ae-lr", type=float, default=6e-4)
    ap.add_argument("--save-minutes", type=float, default=5.0)
    ap.add_argument("--dec-steps", type=int, default=300)
    ap.add_argument("--dec-batch", type=int, default=8)
    ap.add_argument("--dec-lr", type=float, default=5e-4)
    ap.add_argument("--cfg-scale", type=float, default=CFG_SCALE,
                    help="classifier-free guidance scale written to kiln.json (sampling only)")
    ap.add_argument("--threads", type=int, default=2, help="threads of stages 1, 2, 3a and 4")
    ap.add_argument("--procs", type=int, default=2,
                    help="stage 3b's processes of one thread each (data_parallel.py)")
    ap.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True,
                    help="forward passes under CPU autocast to bfloat16 (faster where the CPU "
                         "has AVX-512 BF16 and torch 2's oneDNN: research/torch2.sh; "
                         "kiln_shapes.md); --no-bf16: float32 (v2-v9)")
    ap.add_argument("--only-decoder", action="store_true",
                    help="run stage 4 alone (it needs only stages 1-2), e.g. beside stage 3")
    args = ap.parse_args()
    CFG_SCALE, BF16 = args.cfg_scale, args.bf16
    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    args_work = args.work
    copy_tokenizer(args.out)
    log(f"args {vars(args)}")
    ae, data = autoencoder_and_latents(args)
    if args.only_decoder:
        finetune_decoder(args, ae, os.path.join(args.work, "decoder.pt"))
        return
    ckpt = os.path.join(args.work, "transformer.pt")
    if args.procs == 1:
        info = train_transformer(args, ae, data, ckpt)
    else:
        pretrained_text_encoder(args, load_tokenizer(args), data["scenes"])  # once, here
        del data
        # OpenBLAS (Debian torch's matmuls) keeps its own pool of one thread per core, which
        # torch.set_num_threads does not bound: beside the other process it oversubscribes the
        # cores (kiln_shapes.md, "OpenBLAS's own threads"). The spawned processes read this when
        # they load it; this process loaded OpenBLAS with numpy, so its stages keep the default.
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        data_parallel.run(transformer_process, args.procs, args, T0)
        with open(os.path.join(args.work, "train_info.json")) as f:
            info = json.load(f)
    if args.dec_steps:
        finetune_decoder(args, ae, os.path.join(args.work, "decoder.pt"))
        c = torch.load(os.path.join(args.work, "transformer.pt"))
        flux, t5 = Flux(flux_params(args)), T5Encoder(t5_config())
        flux.load_state_dict(c["ema_flux"])
        t5.load_state_dict(c["ema_t5"])
        export(args.out, flux, t5, ae, dict(info, decoder_steps=args.dec_steps))
    log(f"done: {info}")


if __name__ == "__main__":
    main()
