"""Convolutional autoencoders for paintings: a denoising AE and a sliced-Wasserstein AE (SWAE).

Both share one small encoder/decoder so their latent codes can be compared fairly. The denoising
AE learns codes that survive Gaussian noise and masked patches (robust to craquelure, glare and
crops); the SWAE additionally pulls the distribution of codes towards a prior, so that samples from
the prior decode to painting-like images and straight lines in latent space are meaningful.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from artdl.utils import atomic_path

__all__ = [
    "ConvAutoencoder",
    "add_noise",
    "load_autoencoder",
    "save_autoencoder",
    "sliced_wasserstein_distance",
    "sample_prior",
    "encode",
    "train_autoencoder",
]


def _block(cin: int, cout: int, down: bool) -> nn.Module:
    conv = nn.Conv2d(cin, cout, 4, 2, 1) if down else nn.ConvTranspose2d(cin, cout, 4, 2, 1)
    return nn.Sequential(conv, nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, inplace=True))


class ConvAutoencoder(nn.Module):
    """Encoder: strided convs down to 4x4, then a linear layer to a ``latent_dim`` vector.

    A flat vector (not a feature map) is used so that codes can go straight into cosine retrieval,
    t-SNE and the sliced Wasserstein distance. ``image_size`` must be a power of two >= 16.
    """

    def __init__(self, image_size: int = 64, latent_dim: int = 64, width: int = 32) -> None:
        super().__init__()
        n_down = int(math.log2(image_size)) - 2
        if 2 ** (n_down + 2) != image_size or n_down < 2:
            raise ValueError(f"image_size must be a power of two >= 16, got {image_size}")
        self.image_size, self.latent_dim, self.width = image_size, latent_dim, width
        chans = [3] + [min(width * 2**i, 256) for i in range(n_down)]
        self.encoder_conv = nn.Sequential(*[_block(chans[i], chans[i + 1], True) for i in range(n_down)])
        self.to_latent = nn.Linear(chans[-1] * 16, latent_dim)
        self.from_latent = nn.Linear(latent_dim, chans[-1] * 16)
        rev = chans[::-1]
        layers = [_block(rev[i], rev[i + 1], False) for i in range(n_down - 1)]
        layers += [nn.ConvTranspose2d(rev[-2], 3, 4, 2, 1), nn.Sigmoid()]
        self.decoder_conv = nn.Sequential(*layers)
        self._last = chans[-1]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_latent(self.encoder_conv(x).flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder_conv(self.from_latent(z).view(-1, self._last, 4, 4))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encode(x)
        return self.decode(z), z


def add_noise(
    x: torch.Tensor,
    gaussian_std: float = 0.1,
    mask_prob: float = 0.25,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Corrupt images in [0, 1]: additive Gaussian noise plus masking noise.

    Masking zeroes random 8x8 patches (each with probability ``mask_prob``), which forces the model
    to fill in from context rather than copy pixels.
    """
    noisy = x
    if gaussian_std > 0:
        noisy = noisy + gaussian_std * torch.randn(x.shape, generator=generator, device="cpu").to(x.device)
    if mask_prob > 0:
        b, _, h, w = x.shape
        patch = 8
        keep = torch.rand((b, 1, max(1, h // patch), max(1, w // patch)), generator=generator) >= mask_prob
        keep = nn.functional.interpolate(keep.float(), size=(h, w), mode="nearest").to(x.device)
        noisy = noisy * keep
    return noisy.clamp(0, 1)


def sliced_wasserstein_distance(
    x: torch.Tensor,
    y: torch.Tensor,
    n_projections: int = 64,
    p: int = 2,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Sliced Wasserstein-p distance (to the power p) between two equal-size point clouds.

    Both sets are projected on ``n_projections`` random unit directions; in 1-D the optimal
    transport plan is simply sorted-to-sorted, so the distance is the mean of |sorted difference|^p.
    It is zero for identical samples and positive otherwise (almost surely).
    """
    if x.shape != y.shape:
        raise ValueError(f"x and y need the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    theta = torch.randn((x.shape[1], n_projections), generator=generator).to(x)
    theta = theta / theta.norm(dim=0, keepdim=True)
    px, _ = torch.sort(x @ theta, dim=0)
    py, _ = torch.sort(y @ theta, dim=0)
    return (px - py).abs().pow(p).mean()


def sample_prior(
    n: int, dim: int, prior: str = "normal", generator: torch.Generator | None = None
) -> torch.Tensor:
    """Samples from the SWAE prior: ``normal`` (standard Gaussian) or ``uniform`` in [-1, 1]^d."""
    if prior == "normal":
        return torch.randn((n, dim), generator=generator)
    if prior == "uniform":
        return torch.rand((n, dim), generator=generator) * 2 - 1
    raise ValueError(f"Unknown prior {prior!r}; use 'normal' or 'uniform'.")


def train_autoencoder(
    model: ConvAutoencoder,
    images: torch.Tensor,
    kind: str = "denoising",
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 2e-3,
    device: Any = "cpu",
    gaussian_std: float = 0.1,
    mask_prob: float = 0.25,
    swd_weight: float = 1.0,
    n_projections: int = 64,
    prior: str = "normal",
    seed: int = 0,
) -> list[dict[str, float]]:
    """Train in place on a preloaded image tensor in [0, 1]; returns per-epoch loss history.

    ``kind='denoising'``: MSE(decode(encode(noisy x)), x). ``kind='swae'``: MSE reconstruction of the
    clean image + ``swd_weight`` x sliced Wasserstein distance between the batch codes and prior
    samples. Images are preloaded because the collection is small; this keeps 2-core CPU runs fast.
    Mixed precision (bf16 autocast) is used on CUDA only.
    """
    if kind not in ("denoising", "swae"):
        raise ValueError(f"kind must be 'denoising' or 'swae', got {kind!r}")
    device = torch.device(device)
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs))
    gen = torch.Generator().manual_seed(seed)
    history: list[dict[str, float]] = []
    n = len(images)
    bar = tqdm(range(epochs), desc=f"train {kind}", leave=False)
    for epoch in bar:
        perm = torch.randperm(n, generator=gen)
        tot = {"loss": 0.0, "recon": 0.0, "swd": 0.0}
        for start in range(0, n, batch_size):
            x = images[perm[start : start + batch_size]].to(device)
            if len(x) < 2:
                continue
            inp = add_noise(x, gaussian_std, mask_prob, gen) if kind == "denoising" else x
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                recon, z = model(inp)
            recon, z = recon.float(), z.float()
            rec = nn.functional.mse_loss(recon, x)
            swd = torch.zeros((), device=device)
            if kind == "swae":
                swd = sliced_wasserstein_distance(
                    z, sample_prior(len(z), z.shape[1], prior, gen).to(z), n_projections, generator=gen
                )
            loss = rec + swd_weight * swd
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            for k, v in (("loss", loss), ("recon", rec), ("swd", swd)):
                tot[k] += float(v.detach()) * len(x)
        sched.step()
        history.append({"epoch": epoch + 1, **{k: v / n for k, v in tot.items()}})
        bar.set_postfix(loss=f"{history[-1]['loss']:.4f}")
    model.eval()
    return history


@torch.no_grad()
def encode(
    model: ConvAutoencoder, images: torch.Tensor, batch_size: int = 128, device: Any = "cpu"
) -> torch.Tensor:
    """Latent codes (N, latent_dim) on the CPU for a preloaded image tensor."""
    model.to(device).eval()
    return torch.cat(
        [
            model.encode(images[i : i + batch_size].to(device)).float().cpu()
            for i in range(0, len(images), batch_size)
        ]
    )


def save_autoencoder(
    model: ConvAutoencoder, path: str | Path, kind: str, history: list[dict[str, float]]
) -> Path:
    """Atomically save a checkpoint dict (architecture arguments + weights + history)."""
    ckpt = {
        "kind": kind,
        "image_size": model.image_size,
        "latent_dim": model.latent_dim,
        "width": model.width,
        "state_dict": model.state_dict(),
        "history": history,
    }
    with atomic_path(path) as tmp:
        torch.save(ckpt, tmp)
    return Path(path)


def load_autoencoder(path: str | Path) -> tuple[ConvAutoencoder, dict[str, Any]]:
    """Rebuild a model saved by :func:`save_autoencoder`; returns (model in eval mode, checkpoint)."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    model = ConvAutoencoder(ckpt["image_size"], ckpt["latent_dim"], ckpt["width"])
    model.load_state_dict(ckpt["state_dict"])
    return model.eval(), ckpt
