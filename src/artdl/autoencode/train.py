"""Training the two autoencoders of 03: denoising (DAE) and sliced-Wasserstein (SWAE).

The networks live in :mod:`artdl.models.autoencoder`; this module holds what 03 does with them:
the losses (reconstruction, plus the sliced Wasserstein distance to a prior for the SWAE), the
training loop over an in-memory image tensor, encoding, reconstruction error and interpolation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch.nn import functional as F

from artdl.autoencode.losses import PerceptualLoss
from artdl.core import SectionConfig, autocast, unscaled_precision
from artdl.models import ConvAutoencoder

__all__ = [
    "AutoencoderConfig",
    "add_noise",
    "encode",
    "fit_from_config",
    "interpolate",
    "prior_sample",
    "reconstruction_error",
    "sliced_wasserstein",
    "to_hwc",
    "train_autoencoder",
]


@dataclass(frozen=True)
class AutoencoderConfig(SectionConfig):
    """How the DAE and the SWAE are trained: the ``autoencode`` section, checked when built.

    The defaults are ``configs/default.yaml``'s (a test keeps them equal); build it with
    ``AutoencoderConfig.from_cfg(cfg.autoencode)`` so an override reaches the training loop.
    """

    SECTION: ClassVar[str] = "autoencode"
    KEYS: ClassVar[dict[str, str]] = {"projections": "swae_projections", "prior": "swae_prior"}

    epochs: int = 12
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 0.0
    noise_std: float = 0.1  # DAE: Gaussian noise on the input
    mask_prob: float = 0.25  # DAE: share of pixels set to zero
    projections: int = 64  # SWAE: random directions of the sliced Wasserstein distance
    swae_weight: float = 0.02  # SWAE: weight of the distance to the prior
    prior: str = "normal"  # SWAE: normal | uniform
    perceptual_weight: float = 0.002  # weight of the Lite0 perceptual loss beside the pixel MSE; 0 = off


def sliced_wasserstein(
    x: torch.Tensor, y: torch.Tensor, n_projections: int = 64, p: int = 2, generator: Any = None
) -> torch.Tensor:
    """Sliced Wasserstein-p distance (to the power p) between two equally sized point clouds.

    Each random unit direction turns the d-dimensional problem into a 1-D one, where optimal
    transport is just matching sorted values. Averaging over directions gives a cheap, differentiable
    distance: exactly zero for identical samples, positive when the distributions differ.

    Always computed in float32, also inside an autocast region: there the projections ``x @ theta``
    would run in bfloat16, whose 8-bit mantissa reorders nearby values before the sort, so the
    matched pairs (and the loss) would differ from the CPU run's.
    """
    if x.shape != y.shape:
        raise ValueError(f"sliced_wasserstein needs equal shapes, got {tuple(x.shape)} and {tuple(y.shape)}")
    with torch.autocast(x.device.type, enabled=False):
        x, y = x.float(), y.float()
        theta = torch.randn(x.shape[1], n_projections, device=x.device, generator=generator)
        theta = theta / theta.norm(dim=0, keepdim=True)
        px = torch.sort(x @ theta, dim=0).values
        py = torch.sort(y @ theta, dim=0).values
        return (px - py).abs().pow(p).mean()


def prior_sample(
    n: int, dim: int, kind: str = "normal", device: Any = "cpu", generator: Any = None
) -> torch.Tensor:
    """Samples of the SWAE prior: standard normal or uniform in [-1, 1]^dim."""
    if kind == "normal":
        return torch.randn(n, dim, device=device, generator=generator)
    if kind == "uniform":
        return torch.rand(n, dim, device=device, generator=generator) * 2 - 1
    raise ValueError(f"Unknown prior {kind!r}; use 'normal' or 'uniform'.")


def add_noise(x: torch.Tensor, std: float = 0.1, mask_prob: float = 0.25) -> torch.Tensor:
    """Gaussian noise plus masking noise (a random fraction of pixels, all channels, set to 0)."""
    noisy = x + std * torch.randn_like(x) if std > 0 else x.clone()
    if mask_prob > 0:
        keep = (torch.rand(x.shape[0], 1, *x.shape[2:], device=x.device) >= mask_prob).to(x.dtype)
        noisy = noisy * keep
    return noisy.clamp(0, 1)


def _loss(
    model: ConvAutoencoder, x: torch.Tensor, cfg: AutoencoderConfig, perceptual: Any = None
) -> tuple[torch.Tensor, dict[str, float]]:
    inp = add_noise(x, cfg.noise_std, cfg.mask_prob) if model.kind == "dae" else x
    recon, z = model(inp)
    rec = F.mse_loss(recon.float(), x.float())
    parts = {"recon": float(rec.detach())}
    loss = rec
    if perceptual is not None:
        feat = perceptual(recon, x)
        loss = loss + cfg.perceptual_weight * feat
        parts["perceptual"] = float(feat.detach())
    if model.kind == "swae":
        prior = prior_sample(z.shape[0], z.shape[1], cfg.prior, z.device)
        swd = sliced_wasserstein(z, prior, cfg.projections)
        loss = loss + cfg.swae_weight * swd  # on top of the perceptual term, not in its place
        parts["swd"] = float(swd.detach())
    parts["loss"] = float(loss.detach())
    return loss, parts


def train_autoencoder(
    model: ConvAutoencoder,
    train_images: torch.Tensor,
    val_images: torch.Tensor | None = None,
    config: AutoencoderConfig | None = None,
    *,
    device: Any = "cpu",
    seed: int = 0,
    progress: bool = True,
) -> dict[str, list[float]]:
    """Train on a uint8 or float image tensor (N, 3, H, W) already in memory; return the history.

    The whole collection at 64 px is ~40 MB, so holding it as one tensor avoids decoding JPEGs every
    epoch. ``config`` (default: ``AutoencoderConfig()``, the default config's values) says how long
    and how hard. Mixed precision (bf16) is used on CUDA only. History keys: ``train_loss``,
    ``train_recon``, ``val_recon``, ``epoch_seconds`` (per epoch), ``train_perceptual`` when the perceptual loss is on
    and, for SWAE, ``train_swd``.
    """
    import time

    from tqdm.auto import tqdm

    cfg = config or AutoencoderConfig()
    epochs, batch_size = cfg.epochs, cfg.batch_size
    device = torch.device(device)
    amp = unscaled_precision(True, device)  # auto: bf16 with native support, else fp32 (CPU, or a T4)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = max(1, epochs * math.ceil(len(train_images) / batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps, pct_start=0.15)
    gen = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {"train_loss": [], "train_recon": [], "val_recon": [], "epoch_seconds": []}
    if model.kind == "swae":
        history["train_swd"] = []
    perceptual = PerceptualLoss().to(device) if cfg.perceptual_weight > 0 else None
    if perceptual is not None:
        history["train_perceptual"] = []
    bar = tqdm(range(epochs), desc=f"train {model.kind}", disable=not progress, unit="epoch")
    for _ in bar:
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(train_images), generator=gen)
        sums: dict[str, float] = {}
        n = 0
        for i in range(0, len(order), batch_size):
            x = _to_float(train_images[order[i : i + batch_size]]).to(device)
            with autocast(device, amp):  # bf16 where native: fp32's range, so no GradScaler
                loss, parts = _loss(model, x, cfg, perceptual)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            for key, value in parts.items():
                sums[key] = sums.get(key, 0.0) + value * len(x)
            n += len(x)
        history["train_loss"].append(sums["loss"] / n)
        history["train_recon"].append(sums["recon"] / n)
        for key in ("swd", "perceptual"):
            if f"train_{key}" in history:
                history[f"train_{key}"].append(sums[key] / n)
        if val_images is not None and len(val_images):
            history["val_recon"].append(reconstruction_error(model, val_images, batch_size, device))
        history["epoch_seconds"].append(time.perf_counter() - start)
        bar.set_postfix(loss=f"{history['train_loss'][-1]:.4f}")
    model.eval()
    return history


def _to_float(x: torch.Tensor) -> torch.Tensor:
    return x.float() / 255.0 if x.dtype == torch.uint8 else x.float()


@torch.no_grad()
def reconstruction_error(
    model: ConvAutoencoder, images: torch.Tensor, batch_size: int = 128, device: Any = "cpu"
) -> float:
    """Mean squared error of clean reconstructions (no input noise), in [0, 1] pixel units."""
    model.eval()
    total, n = 0.0, 0
    for i in range(0, len(images), batch_size):
        x = _to_float(images[i : i + batch_size]).to(device)
        recon, _ = model(x)
        total += float(F.mse_loss(recon.float(), x, reduction="sum")) / x[0].numel()
        n += len(x)
    return total / max(n, 1)


@torch.no_grad()
def encode(
    model: ConvAutoencoder, images: torch.Tensor, batch_size: int = 128, device: Any = "cpu"
) -> torch.Tensor:
    """Latent codes (N, latent_dim) of clean images, on the CPU."""
    model.eval().to(device)
    out = [
        model.encode(_to_float(images[i : i + batch_size]).to(device)).float().cpu()
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(out) if out else torch.empty(0, model.latent_dim)


def fit_from_config(
    kind: str, images: torch.Tensor, train: torch.Tensor, val: torch.Tensor, cfg: Any, device: Any
) -> tuple[ConvAutoencoder, dict[str, list[float]]]:
    """Build and train the ``dae`` or ``swae`` of the ``autoencode`` config section.

    ``train`` and ``val`` are boolean masks over ``images``. One call per model builds the network
    and its :class:`AutoencoderConfig` from the same section, so an override reaches both.
    """
    a = cfg.autoencode
    model = ConvAutoencoder(
        a.image_size, a.latent_dim, list(a.channels), kind=kind, decoder=a.get("decoder", "upsample"),
        bottleneck=a.bottleneck,
    )  # fmt: skip
    history = train_autoencoder(
        model, images[train], images[val], AutoencoderConfig.from_cfg(a), device=device, seed=cfg.seed
    )
    return model, history


@torch.no_grad()
def interpolate(model: ConvAutoencoder, a: torch.Tensor, b: torch.Tensor, steps: int = 8) -> torch.Tensor:
    """Decode ``steps`` points on the straight line between the codes of images ``a`` and ``b``.

    For the SWAE, whose codes were pulled towards the prior, the points in between stay where the
    decoder has seen codes, which is why its walk looks smoother than a plain autoencoder's.
    """
    model.eval()
    device = next(model.parameters()).device
    za, zb = model.encode(_to_float(torch.stack([a, b])).to(device))
    ts = torch.linspace(0, 1, steps, device=device)[:, None]
    return model.decode((1 - ts) * za + ts * zb).float().cpu()


def to_hwc(images: torch.Tensor) -> list[Any]:
    """(N, 3, H, W) uint8 or [0, 1] float images as a list of H×W×3 float arrays, for plotting."""
    return list(_to_float(images).clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy())
