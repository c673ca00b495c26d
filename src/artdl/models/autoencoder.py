"""Convolutional autoencoders for paintings: a denoising AE and a sliced-Wasserstein AE (SWAE).

Both share one encoder/decoder pair so their codes are comparable in 04_retrieve.ipynb. The
denoising AE learns to undo Gaussian and masking noise, which pushes the code towards the
composition and palette rather than pixel noise. The SWAE (Kolouri et al., 2018) adds a sliced
Wasserstein distance between the batch of codes and samples of a prior, so the latent space can be
sampled from and interpolated through; the distance needs only random projections and sorting,
no adversary.

The decoder doubles the side with nearest-neighbour upsampling followed by a 3x3 convolution
(Odena et al., 2016, "Deconvolution and checkerboard artifacts"): a stride-2 transposed
convolution with a 4x4 kernel overlaps its outputs unevenly and paints a checkerboard, which the
SWAE's first runs showed plainly. ``decoder="transposed"`` keeps the old stack, so the benchmark
can compare both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from artdl.core import atomic_path

__all__ = ["ConvAutoencoder", "load_autoencoder", "save_autoencoder"]

_DECODERS = ("upsample", "transposed")
_BOTTLENECKS = ("flat", "spatial")


class ConvAutoencoder(nn.Module):
    """Strided-conv encoder to a flat code, upsample+conv decoder back to [0, 1] RGB.

    ``kind`` is ``"dae"`` or ``"swae"``: the architecture is the same, only the training loss
    differs (see :func:`artdl.autoencode.train_autoencoder`). ``decoder`` is ``"upsample"`` or
    ``"transposed"``.

    ``bottleneck="flat"`` maps the last feature map to ``latent_dim`` numbers with a linear layer,
    so each number can describe the whole picture. ``"spatial"`` keeps the map: a 1x1 conv to
    ``latent_dim / side**2`` channels at each of its ``side x side`` places, flattened, so the code
    says where things are and the decoder only has to paint them there (sharper reconstructions from
    few training paintings: the weights are shared over places instead of learned per place).
    """

    def __init__(
        self,
        image_size: int = 64,
        latent_dim: int = 64,
        channels: Sequence[int] = (32, 64, 128, 256),
        kind: str = "dae",
        decoder: str = "upsample",
        bottleneck: str = "flat",
    ) -> None:
        super().__init__()
        if decoder not in _DECODERS:
            raise ValueError(f"Unknown decoder {decoder!r}; choose from {_DECODERS}.")
        if bottleneck not in _BOTTLENECKS:
            raise ValueError(f"Unknown bottleneck {bottleneck!r}; choose from {_BOTTLENECKS}.")
        factor = 2 ** len(channels)
        if image_size % factor:
            raise ValueError(
                f"image_size {image_size} must be divisible by {factor} ({len(channels)} stages)."
            )
        self.hparams = {
            "image_size": image_size,
            "latent_dim": latent_dim,
            "channels": list(channels),
            "kind": kind,
            "decoder": decoder,
            "bottleneck": bottleneck,
        }
        self.kind = kind
        self.latent_dim = latent_dim
        self.side = image_size // factor
        enc: list[nn.Module] = []
        c_in = 3
        for c in channels:
            enc += [nn.Conv2d(c_in, c, 4, 2, 1), nn.BatchNorm2d(c), nn.LeakyReLU(0.2, inplace=True)]
            c_in = c
        self.bottleneck = bottleneck
        if bottleneck == "spatial":
            if latent_dim % self.side**2:
                raise ValueError(
                    f"latent_dim {latent_dim} must be a multiple of {self.side**2} ({self.side}x{self.side} places) "
                    f"for bottleneck=spatial: set autoencode.latent_dim to one (e.g. {8 * self.side**2}), or "
                    "autoencode.bottleneck=flat."
                )
            self.code_channels = latent_dim // self.side**2
            self.encoder = nn.Sequential(*enc, nn.Conv2d(c_in, self.code_channels, 1), nn.Flatten())
            self.fc = nn.Conv2d(self.code_channels, c_in, 1)
        else:
            self.encoder = nn.Sequential(*enc, nn.Flatten(), nn.Linear(c_in * self.side**2, latent_dim))
            self.fc = nn.Linear(latent_dim, c_in * self.side**2)
        dec: list[nn.Module] = []
        rev = list(channels)[::-1]
        for c_a, c_b in zip(rev[:-1], rev[1:]):
            dec += [_up(c_a, c_b, decoder), nn.BatchNorm2d(c_b), nn.ReLU(inplace=True)]
        dec += [_up(rev[-1], 3, decoder), nn.Sigmoid()]
        self.decoder_convs = nn.Sequential(*dec)
        self._c_last = rev[0]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if self.bottleneck == "spatial":
            h = self.fc(z.view(z.shape[0], self.code_channels, self.side, self.side))
        else:
            h = self.fc(z).view(z.shape[0], self._c_last, self.side, self.side)
        return self.decoder_convs(h)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encode(x)
        return self.decode(z), z


def _up(c_in: int, c_out: int, decoder: str) -> nn.Module:
    """One decoder stage that doubles the side: upsample+conv, or the checkerboard-prone transposed conv."""
    if decoder == "transposed":
        return nn.ConvTranspose2d(c_in, c_out, 4, 2, 1)
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1))


def save_autoencoder(
    model: ConvAutoencoder, path: str | Path, history: dict[str, list[float]] | None = None
) -> Path:
    """Checkpoint {hparams, state_dict, history}, written atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(
            {"hparams": model.hparams, "state_dict": model.state_dict(), "history": history or {}}, tmp
        )
    return path


def load_autoencoder(path: str | Path, device: Any = "cpu") -> ConvAutoencoder:
    """Rebuild a :class:`ConvAutoencoder` from :func:`save_autoencoder`'s checkpoint."""
    from artdl.core import require_artifact

    path = require_artifact(path, produced_by="03_autoencode.ipynb")
    ckpt = torch.load(path, map_location=device, weights_only=True)  # hparams and history are plain data
    model = ConvAutoencoder(**ckpt["hparams"])
    model.load_state_dict(ckpt["state_dict"])
    return model.to(device).eval()
