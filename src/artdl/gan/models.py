"""The generator and critic that DCGAN and WGAN-GP share, their initialisation and the EMA.

Why one family for both losses: training the same networks with two losses isolates the effect
of the loss (see :mod:`artdl.gan`).

- :class:`Generator`: ``z`` (plus a learned class embedding when conditional) -> 4x4 -> upsampling
  blocks -> ``resolution`` px RGB in [-1, 1]. Any power of two from 16 px.
- :class:`Critic`: strided convolutions back to 4x4, one logit; class conditioning by projection
  (Miyato & Koyama 2018). ``norm="batch"`` for DCGAN, ``"layer"`` or ``"none"`` for WGAN-GP: the
  gradient penalty is per sample, and batch norm would mix samples in the critic's gradient.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["LOSSES", "Critic", "Generator", "build_models", "make_ema"]

LOSSES = ("dcgan", "wgan_gp")


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

    def multi_avg_fn(averaged: list[Tensor], current: list[Tensor], num_averaged: Tensor) -> None:
        # Warm-up: the effective decay grows from 0.1 towards ``decay``, so that a short run's EMA
        # is not stuck near the random initial weights (the same schedule as timm's ModelEmaV3).
        # The decay stays a tensor on the device: a GPU step does not wait to read the counter.
        n = num_averaged.to(torch.float64)
        d64 = torch.clamp((1 + n) / (10 + n), max=decay) if warmup else torch.full_like(n, decay)
        d, e = d64.to(torch.float32), (1 - d64).to(torch.float32)
        for a, c in zip(averaged, current, strict=True):
            a.copy_(a * d + c * e)

    return AveragedModel(generator, multi_avg_fn=multi_avg_fn, use_buffers=True)
