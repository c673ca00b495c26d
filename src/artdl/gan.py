"""DCGAN and WGAN-GP on paintings: one generator/critic family, two losses, a resumable loop.

Why two losses on the same networks: the DCGAN (BCE or hinge) critic is a classifier whose loss
says little about sample quality, while the WGAN-GP critic estimates a Wasserstein distance whose
curve is meaningful; training both with the same architecture isolates the effect of the loss.

- :class:`Generator`: ``z`` (plus a learned class embedding when conditional) -> 4x4 -> upsampling
  blocks -> ``resolution`` px RGB in [-1, 1]. Any power of two from 16 px (64 px default, 128 on GPU).
- :class:`Critic`: strided convolutions back to 4x4, one logit; class conditioning by projection
  (Miyato & Koyama 2018). ``norm="batch"`` for DCGAN, ``"layer"`` or ``"none"`` for WGAN-GP: the
  gradient penalty is per sample, and batch norm would mix samples in the critic's gradient.
- :func:`gradient_penalty`: ``E[(||grad_x D(x_hat)||_2 - 1)^2]`` on random interpolates.
- :func:`train_gan`: fixed-noise grids per epoch, loss history, an EMA of the generator weights,
  atomic checkpoints with optimizer state and step that a later call resumes, bf16 autocast on
  CUDA only, and an animated GIF of the fixed-noise grid over training.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from artdl.utils import atomic_path, autocast

__all__ = [
    "LOSSES",
    "Critic",
    "GANRun",
    "Generator",
    "build_models",
    "critic_loss",
    "fixed_noise",
    "generate",
    "generator_loss",
    "gradient_penalty",
    "grid_image",
    "images_to_tensor",
    "load_training_images",
    "make_ema",
    "save_gif",
    "train_gan",
]

log = logging.getLogger(__name__)

LOSSES = ("dcgan", "wgan_gp")
DCGAN_LOSSES = ("bce", "hinge")


# --------------------------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------------------------
def _n_blocks(resolution: int) -> int:
    n = math.log2(resolution / 4)
    if resolution < 16 or n != int(n):
        raise ValueError(f"resolution must be a power of two >= 16 (16, 32, 64, 128, ...); got {resolution}.")
    return int(n)


def _channels(width: int, level: int, cap: int = 8) -> int:
    """Channels ``level`` halvings away from full resolution: width, 2*width, 4*width, ... capped."""
    return width * min(2**level, cap)


def _critic_norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":  # normalises each sample over (C, H, W): no mixing across the batch
        return nn.GroupNorm(1, channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"critic norm must be 'batch', 'layer' or 'none'; got {kind!r}.")


class Generator(nn.Module):
    """DCGAN generator: a linear map to 4x4, then (upsample, conv, BN, ReLU) blocks, then tanh.

    Nearest upsampling + 3x3 convolution instead of transposed convolutions avoids the
    checkerboard artefacts that are very visible on small canvases.
    """

    def __init__(self, resolution: int = 64, z_dim: int = 128, width: int = 64, n_classes: int = 0) -> None:
        super().__init__()
        n = _n_blocks(resolution)
        self.resolution, self.z_dim, self.n_classes = resolution, z_dim, n_classes
        self.embed = nn.Embedding(n_classes, z_dim) if n_classes > 1 else None
        in_dim = z_dim * (2 if self.embed is not None else 1)
        c0 = _channels(width, n)
        self.fc = nn.Sequential(nn.Linear(in_dim, c0 * 16), nn.BatchNorm1d(c0 * 16), nn.ReLU(True))
        self.c0 = c0
        blocks = []
        for level in range(n, 0, -1):
            cin, cout = _channels(width, level), _channels(width, level - 1)
            blocks += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(True),
            ]
        self.blocks = nn.Sequential(*blocks)
        self.to_rgb = nn.Conv2d(width, 3, 3, padding=1)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        if self.embed is not None:
            if y is None:
                raise ValueError("This generator is class-conditional: pass class ids y.")
            z = torch.cat([z, self.embed(y)], dim=1)
        h = self.fc(z).view(z.shape[0], self.c0, 4, 4)
        return torch.tanh(self.to_rgb(self.blocks(h)))


class Critic(nn.Module):
    """DCGAN critic: (4x4 conv stride 2, norm, LeakyReLU) blocks down to 4x4, then one logit.

    Conditional by projection: ``logit + <embed(y), features>``, which lets one critic judge
    "is this a plausible Monet" without a separate classifier head.
    """

    def __init__(
        self, resolution: int = 64, width: int = 64, n_classes: int = 0, norm: str = "batch"
    ) -> None:
        super().__init__()
        n = _n_blocks(resolution)
        self.resolution, self.n_classes, self.norm = resolution, n_classes, norm
        layers: list[nn.Module] = [nn.Conv2d(3, width, 3, padding=1), nn.LeakyReLU(0.2, True)]
        for level in range(n):
            cin, cout = _channels(width, level), _channels(width, level + 1)
            layers += [nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=norm == "none")]
            layers += [_critic_norm(norm, cout), nn.LeakyReLU(0.2, True)]
        self.features = nn.Sequential(*layers)
        self.feat_dim = _channels(width, n) * 16
        self.fc = nn.Linear(self.feat_dim, 1)
        self.embed = nn.Embedding(n_classes, self.feat_dim) if n_classes > 1 else None

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = self.features(x).flatten(1)
        out = self.fc(h).squeeze(1)
        if self.embed is not None:
            if y is None:
                raise ValueError("This critic is class-conditional: pass class ids y.")
            out = out + (self.embed(y) * h).sum(1)
        return out


def _init_weights(module: nn.Module) -> None:
    """DCGAN initialisation N(0, 0.02) for convolutions and linear layers, N(1, 0.02) for BN scales."""
    if isinstance(module, (nn.Conv2d, nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_models(gcfg: Any, kind: str, n_classes: int = 0) -> tuple[Generator, Critic]:
    """Generator and critic for ``kind`` (``dcgan`` or ``wgan_gp``) from the ``gan`` config section."""
    if kind not in LOSSES:
        raise ValueError(f"Unknown GAN kind {kind!r}; use one of {LOSSES}.")
    norm = str(gcfg[kind].critic_norm)
    if kind == "wgan_gp" and norm == "batch":
        raise ValueError(
            "WGAN-GP needs a critic without batch norm (the gradient penalty is per sample): "
            "set gan.wgan_gp.critic_norm to 'layer' or 'none'."
        )
    n_classes = n_classes if bool(gcfg.conditional) else 0
    G = Generator(int(gcfg.resolution), int(gcfg.z_dim), int(gcfg.width), n_classes)
    D = Critic(int(gcfg.resolution), int(gcfg.width), n_classes, norm)
    G.apply(_init_weights)
    D.apply(_init_weights)
    return G, D


def make_ema(generator: nn.Module, decay: float, warmup: bool = True) -> torch.optim.swa_utils.AveragedModel:
    """An exponential moving average of the generator (weights and BN statistics).

    Averaging the generator over the last few hundred steps smooths the oscillation of GAN
    training; the EMA generator usually gives cleaner samples and a lower distance.
    """
    from torch.optim.swa_utils import AveragedModel

    def avg_fn(averaged: Tensor, current: Tensor, num_averaged: Tensor) -> Tensor:
        # Warm-up: the effective decay grows from 0.1 towards ``decay``, so that a short run's EMA
        # is not stuck near the random initial weights (the same schedule as timm's ModelEmaV3).
        n = float(num_averaged)
        d = min(decay, (1 + n) / (10 + n)) if warmup else decay
        return averaged * d + current * (1 - d)

    return AveragedModel(generator, avg_fn=avg_fn, use_buffers=True)


# --------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------
def critic_loss(real: Tensor, fake: Tensor, kind: str) -> Tensor:
    """Critic loss on real and fake logits: ``bce``, ``hinge`` or ``wgan`` (without the penalty)."""
    if kind == "bce":
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    if kind == "wgan":
        return fake.mean() - real.mean()
    raise ValueError(f"Unknown critic loss {kind!r}; use bce, hinge or wgan.")


def generator_loss(fake: Tensor, kind: str) -> Tensor:
    """Generator loss on fake logits: non-saturating BCE, or ``-D(G(z))`` for hinge and WGAN."""
    if kind == "bce":
        return F.softplus(-fake).mean()
    if kind in ("hinge", "wgan"):
        return -fake.mean()
    raise ValueError(f"Unknown generator loss {kind!r}; use bce, hinge or wgan.")


def gradient_penalty(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    y: Tensor | None = None,
    alpha: Tensor | None = None,
) -> Tensor:
    """WGAN-GP penalty ``mean((||grad D(x_hat)||_2 - 1)^2)``, ``x_hat = a*real + (1-a)*fake``.

    One ``alpha`` per sample (uniform in [0, 1] unless given). The graph is kept
    (``create_graph=True``) so the penalty itself is differentiated in the critic update.
    """
    b = real.shape[0]
    if alpha is None:
        alpha = torch.rand(b, device=real.device)
    alpha = alpha.to(real.dtype).view(b, *([1] * (real.dim() - 1)))
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    out = critic(x_hat, y) if y is not None else critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
def images_to_tensor(paths: Sequence[str], resolution: int, progress: bool = False) -> Tensor:
    """Square ``resolution`` px uint8 tensor (N, 3, R, R): resize the short side, centre crop."""
    from tqdm.auto import tqdm

    from artdl.data import load_image

    out = torch.empty(len(paths), 3, resolution, resolution, dtype=torch.uint8)
    for i, p in enumerate(tqdm(paths, desc=f"images -> {resolution}px", leave=False, disable=not progress)):
        im = load_image(p)
        w, h = im.size
        s = resolution / min(w, h)
        im = im.resize((max(resolution, round(w * s)), max(resolution, round(h * s))), resample=3)
        w, h = im.size
        left, top = (w - resolution) // 2, (h - resolution) // 2
        im = im.crop((left, top, left + resolution, top + resolution))
        out[i] = torch.from_numpy(np.asarray(im).copy()).permute(2, 0, 1)
    return out


def load_training_images(
    table: pd.DataFrame, resolution: int, cache: str | Path | None = None, progress: bool = False
) -> tuple[Tensor, Tensor, list[str]]:
    """All images of ``table`` in memory as uint8 (N, 3, R, R), their class ids and class names.

    A few hundred paintings at 64 px are a few MB, so the loop samples batches from memory
    instead of decoding JPEGs every step. ``cache`` (a ``.pt`` path) keeps the decoded tensor for
    the next run; it is rebuilt when the list of images changes.
    """
    from artdl.data import class_names

    classes = class_names(table)
    labels = torch.tensor([classes.index(str(v)) for v in table["label"]], dtype=torch.long)
    paths = [str(p) for p in table["path"]]
    if cache is not None and Path(cache).is_file():
        saved = torch.load(cache, weights_only=False)
        if saved.get("paths") == paths and saved["images"].shape[-1] == resolution:
            return saved["images"], labels, classes
    images = images_to_tensor(paths, resolution, progress)
    if cache is not None:
        with atomic_path(cache) as tmp:
            torch.save({"paths": paths, "images": images}, tmp)
    return images, labels, classes


def _to_float(images: Tensor) -> Tensor:
    return images.float().div(127.5).sub(1.0)


def _to_uint8(images: Tensor) -> Tensor:
    return images.detach().float().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8).cpu()


# --------------------------------------------------------------------------------------------
# Sampling and pictures
# --------------------------------------------------------------------------------------------
def fixed_noise(n: int, z_dim: int, n_classes: int, seed: int = 0) -> tuple[Tensor, Tensor | None]:
    """The same ``n`` latent vectors (and class ids cycling over classes) for every snapshot."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, z_dim, generator=g)
    y = torch.arange(n) % n_classes if n_classes > 1 else None
    return z, y


@torch.no_grad()
def generate(
    generator: nn.Module,
    n: int,
    device: Any = "cpu",
    classes: Tensor | int | None = None,
    batch_size: int = 128,
    seed: int = 0,
) -> Tensor:
    """``n`` samples in [-1, 1] on the CPU. ``classes``: one id for all, a tensor of ids, or None
    (conditional generators then cycle through their classes)."""
    inner = generator.module if hasattr(generator, "module") else generator
    n_classes = int(getattr(inner, "n_classes", 0))
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, int(inner.z_dim), generator=g)
    if n_classes > 1:
        if classes is None:
            y = torch.arange(n) % n_classes
        elif isinstance(classes, int):
            y = torch.full((n,), classes, dtype=torch.long)
        else:
            y = torch.as_tensor(classes, dtype=torch.long)
    else:
        y = None
    was_training = generator.training
    generator.eval()
    out = []
    for i in range(0, n, batch_size):
        zb = z[i : i + batch_size].to(device)
        yb = y[i : i + batch_size].to(device) if y is not None else None
        out.append(generator(zb, yb).float().cpu())
    generator.train(was_training)
    return torch.cat(out)


def grid_image(images: Tensor, nrow: int | None = None, scale: int = 1) -> np.ndarray:
    """A (H, W, 3) uint8 grid of images in [-1, 1] or uint8, optionally upscaled (nearest)."""
    from torchvision.utils import make_grid

    imgs = images if images.dtype == torch.uint8 else _to_uint8(images)
    nrow = nrow or max(1, int(math.sqrt(len(imgs))))
    grid = make_grid(imgs, nrow=nrow, padding=1, pad_value=255)
    if scale > 1:
        grid = grid.repeat_interleave(scale, 1).repeat_interleave(scale, 2)
    return grid.permute(1, 2, 0).numpy()


def save_gif(frames: Sequence[np.ndarray], path: str | Path, fps: float = 6.0, scale: int = 1) -> Path:
    """An animated GIF of grid frames (written atomically, upscaled ``scale`` times by pixel
    repetition); the last frame is held a little longer."""
    import os

    import imageio.v2 as imageio

    if not frames:
        raise ValueError("No frames to write: train for at least one epoch with grids enabled.")
    frames = [f.repeat(scale, 0).repeat(scale, 1) if scale > 1 else f for f in frames]
    durations: Any = [1000.0 / fps] * (len(frames) - 1) + [4000.0 / fps]  # milliseconds per frame
    if len(frames) == 1:
        durations = durations[0]
    path = Path(path)
    with atomic_path(path) as tmp:
        imageio.mimsave(tmp, frames, format="GIF", duration=durations, loop=0)
        os.chmod(tmp, 0o644)
    return path


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------
@dataclass
class GANRun:
    """The outcome of :func:`train_gan`: networks, history, snapshots and where they are saved."""

    kind: str
    generator: nn.Module
    critic: nn.Module
    ema: nn.Module
    classes: list[str]
    history: pd.DataFrame
    grids: list[np.ndarray]
    grid_epochs: list[int]
    step: int
    epoch: int
    seconds: float
    run_dir: Path
    resumed_from: int = 0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def checkpoint(self) -> Path:
        return self.run_dir / "checkpoint.pt"


def _signature(gcfg: Any, kind: str, n_classes: int, n_images: int) -> dict[str, Any]:
    """What a checkpoint must match to be resumed (architecture and data, not the step budget)."""
    from omegaconf import OmegaConf

    sub = OmegaConf.to_container(gcfg[kind], resolve=True)
    sub.pop("steps", None)
    return {
        "kind": kind,
        "resolution": int(gcfg.resolution),
        "z_dim": int(gcfg.z_dim),
        "width": int(gcfg.width),
        "conditional": bool(gcfg.conditional),
        "n_classes": n_classes,
        "n_images": n_images,
        "batch_size": int(gcfg.batch_size),
        "hyper": sub,
    }


def train_gan(
    images: Tensor,
    labels: Tensor | None,
    classes: Sequence[str],
    kind: str,
    gcfg: Any,
    run_dir: str | Path,
    device: Any = "cpu",
    steps: int | None = None,
    resume: bool | None = None,
    seed: int = 0,
    progress: bool = True,
) -> GANRun:
    """Train a ``kind`` GAN (``dcgan`` or ``wgan_gp``) on uint8 ``images`` for ``steps`` generator steps.

    An epoch is one pass of the critic over the images (``n_critic`` critic batches per generator
    step). Every ``gcfg.grid_every_epochs`` epochs the EMA generator draws the fixed-noise grid.
    ``run_dir/checkpoint.pt`` (networks, EMA, both optimizers, step, history, grids) is written
    atomically every ``gcfg.checkpoint_every`` steps and at the end; with ``resume`` a later call
    continues from its step (a finished run is loaded without training). A checkpoint of another
    architecture or data set is not resumed: it is replaced, with a warning.
    """
    from tqdm.auto import tqdm

    device = torch.device(device)
    hp = gcfg[kind]
    steps = int(hp.steps if steps is None else steps)
    resume = bool(gcfg.resume if resume is None else resume)
    n_critic = int(hp.n_critic)
    loss_kind = "wgan" if kind == "wgan_gp" else str(hp.loss)
    if loss_kind not in ("wgan", *DCGAN_LOSSES):
        raise ValueError(f"gan.dcgan.loss must be one of {DCGAN_LOSSES}; got {loss_kind!r}.")
    n_classes = len(classes) if (labels is not None and len(classes) > 1) else 0
    conditional = bool(gcfg.conditional) and n_classes > 1
    if len(images) < 2:
        raise ValueError(f"Need at least 2 training images for a GAN; got {len(images)}.")

    torch.manual_seed(seed)
    G, D = build_models(gcfg, kind, n_classes)
    G, D = G.to(device), D.to(device)
    ema = make_ema(G, float(gcfg.ema_decay))
    opt_g = torch.optim.Adam(G.parameters(), lr=float(hp.lr_g), betas=tuple(hp.betas))
    opt_d = torch.optim.Adam(D.parameters(), lr=float(hp.lr_d), betas=tuple(hp.betas))

    run_dir = Path(run_dir)
    ckpt_path = run_dir / "checkpoint.pt"
    signature = _signature(gcfg, kind, n_classes if conditional else 0, len(images))
    step, epoch, pos, seconds = 0, 0, 0, 0.0
    history: list[dict[str, float]] = []
    grids: list[np.ndarray] = []
    grid_epochs: list[int] = []
    grid_steps: list[int] = []
    perm_seed = seed
    if resume and ckpt_path.is_file():
        state = torch.load(ckpt_path, map_location=device, weights_only=False)
        if state.get("signature") == signature:
            G.load_state_dict(state["G"])
            D.load_state_dict(state["D"])
            ema.load_state_dict(state["ema"])
            opt_g.load_state_dict(state["opt_g"])
            opt_d.load_state_dict(state["opt_d"])
            step, epoch, pos, seconds = state["step"], state["epoch"], state["pos"], state["seconds"]
            history, grids, grid_epochs = state["history"], state["grids"], state["grid_epochs"]
            grid_steps = state["grid_steps"]
            torch.set_rng_state(state["rng"])
        else:
            warnings.warn(
                f"{ckpt_path} was trained with other settings or data; starting afresh and replacing it.",
                stacklevel=2,
            )
    resumed_from = step

    z_fix, y_fix = fixed_noise(int(gcfg.grid_size), int(gcfg.z_dim), n_classes if conditional else 0, seed)
    z_fix = z_fix.to(device)
    y_fix = y_fix.to(device) if y_fix is not None else None
    data = images.to(device)
    targets = labels.to(device) if (conditional and labels is not None) else None
    bs = min(int(gcfg.batch_size), len(images))
    batches_per_epoch = max(1, len(images) // bs)
    amp = bool(gcfg.amp)
    gp_lambda = float(hp.get("gp_lambda", 0.0))
    grid_every = int(gcfg.grid_every_epochs)
    ckpt_every = int(gcfg.checkpoint_every)

    def order_for(ep: int) -> Tensor:
        g = torch.Generator().manual_seed(perm_seed * 100_003 + ep)
        return torch.randperm(len(images), generator=g).to(device)

    def snapshot() -> None:
        if grid_steps and grid_steps[-1] == step and grids:  # several epochs within one generator step
            grid_epochs[-1] = epoch
            return
        grid_steps.append(step)
        ema.eval()
        with torch.no_grad():
            fake = ema(z_fix, y_fix) if y_fix is not None else ema(z_fix)
        grids.append(grid_image(fake.float().cpu()))
        grid_epochs.append(epoch)

    def save() -> None:
        state = {
            "signature": signature,
            "G": G.state_dict(),
            "D": D.state_dict(),
            "ema": ema.state_dict(),
            "opt_g": opt_g.state_dict(),
            "opt_d": opt_d.state_dict(),
            "step": step,
            "epoch": epoch,
            "pos": pos,
            "seconds": seconds,
            "history": history,
            "grids": grids,
            "grid_epochs": grid_epochs,
            "grid_steps": grid_steps,
            "rng": torch.get_rng_state(),
            "classes": list(classes),
        }
        with atomic_path(ckpt_path) as tmp:
            torch.save(state, tmp)

    if step == 0 and not grids:
        snapshot()  # epoch 0: what the untrained generator draws
    order = order_for(epoch)
    G.train()
    D.train()
    bar = tqdm(total=steps, initial=min(step, steps), desc=kind, leave=False, disable=not progress)
    t0 = time.perf_counter()
    while step < steps:
        row: dict[str, float] = {}
        for _ in range(n_critic):
            if pos + bs > len(images):
                pos, epoch = 0, epoch + 1
                if grid_every > 0 and epoch % grid_every == 0:
                    snapshot()
                    G.train()
                order = order_for(epoch)
            idx = order[pos : pos + bs]
            pos += bs
            real = _to_float(data[idx])
            flip = torch.rand(bs, device=device) < 0.5  # horizontal flips: a painting mirrored is still one
            real = torch.where(flip.view(-1, 1, 1, 1), real.flip(3), real)
            y = targets[idx] if targets is not None else None
            z = torch.randn(bs, G.z_dim, device=device)
            with autocast(device, amp):
                fake = G(z, y) if y is not None else G(z)
                d_real = D(real, y) if y is not None else D(real)
                d_fake = D(fake.detach(), y) if y is not None else D(fake.detach())
                loss_d = critic_loss(d_real.float(), d_fake.float(), loss_kind)
            if kind == "wgan_gp":
                with autocast(device, False):  # the penalty's double backward in fp32
                    gp = gradient_penalty(D, real, fake.float(), y)
                row["gp"] = float(gp.detach())
                row["wasserstein"] = float((d_real.float().mean() - d_fake.float().mean()).detach())
                loss_d = loss_d + gp_lambda * gp
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            row["loss_d"] = float(loss_d.detach())
        z = torch.randn(bs, G.z_dim, device=device)
        y = targets[torch.randint(len(images), (bs,), device=device)] if targets is not None else None
        with autocast(device, amp):
            fake = G(z, y) if y is not None else G(z)
            loss_g = generator_loss((D(fake, y) if y is not None else D(fake)).float(), loss_kind)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        ema.update_parameters(G)
        step += 1
        row.update(step=step, epoch=epoch, loss_g=float(loss_g.detach()))
        history.append(row)
        bar.update(1)
        if ckpt_every > 0 and step % ckpt_every == 0 and step < steps:
            seconds += time.perf_counter() - t0
            t0 = time.perf_counter()
            save()
    bar.close()
    seconds += time.perf_counter() - t0
    if not grid_steps or grid_steps[-1] != step:
        snapshot()  # the final state, whatever the epoch
    if step > resumed_from or not ckpt_path.is_file():
        save()
    ema.eval()
    return GANRun(
        kind=kind,
        generator=G,
        critic=D,
        ema=ema,
        classes=list(classes) if conditional else [],
        history=pd.DataFrame(history),
        grids=grids,
        grid_epochs=grid_epochs,
        step=step,
        epoch=epoch,
        seconds=seconds,
        run_dir=run_dir,
        resumed_from=resumed_from,
        info={"batch_size": bs, "batches_per_epoch": batches_per_epoch, "n_images": len(images)},
    )
