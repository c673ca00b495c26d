"""What 03 looks at after training: reconstruction quality (PSNR, SSIM) and the interpolation ends.

A reconstruction MSE of 0.029 says little to a reader; PSNR in dB and SSIM (structure, 1 = the
same image) are the numbers image people read, and torchmetrics computes both. The interpolation
strip shows something only when its two ends differ: the farthest pair in code space among the
test paintings is the walk along which the decoder has most to show.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from artdl.models import ConvAutoencoder

__all__ = ["farthest_pair", "reconstruction_quality"]


@torch.no_grad()
def reconstruction_quality(
    model: ConvAutoencoder, images: torch.Tensor, batch_size: int = 128, device: Any = "cpu"
) -> dict[str, float]:
    """Per-painting PSNR (dB) and SSIM of clean reconstructions, averaged; also the pixel MSE.

    Images in [0, 1] (uint8 are scaled). PSNR is averaged per painting, not computed from the mean
    MSE, so one flat painting reconstructed perfectly cannot lift the whole set.
    """
    from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

    if not len(images):
        raise ValueError("reconstruction_quality needs at least one image.")
    model.eval().to(device)
    psnr, ssim, mse = [], [], []
    for i in range(0, len(images), batch_size):
        x = images[i : i + batch_size]
        x = (x.float() / 255.0 if x.dtype == torch.uint8 else x.float()).to(device)
        recon = model(x)[0].float().clamp(0, 1)
        psnr.append(peak_signal_noise_ratio(recon, x, data_range=1.0, reduction="none", dim=(1, 2, 3)).cpu())
        ssim.append(structural_similarity_index_measure(recon, x, data_range=1.0, reduction="none").cpu())
        mse.append(((recon - x) ** 2).mean(dim=(1, 2, 3)).cpu())
    return {
        "psnr": float(torch.cat(psnr).mean()),
        "ssim": float(torch.cat(ssim).mean()),
        "mse": float(torch.cat(mse).mean()),
        "n": len(images),
    }


def farthest_pair(codes: np.ndarray, candidates: np.ndarray | None = None) -> tuple[int, int]:
    """Row indices ``(a, b)``, ``a < b``, of the two codes farthest apart (Euclidean), among ``candidates``.

    ``candidates`` are row indices (default: all rows). Exact over all pairs, which is cheap for the
    hundred-odd test paintings 03 picks from.
    """
    codes = np.asarray(codes, dtype=np.float64)
    idx = np.arange(len(codes)) if candidates is None else np.asarray(candidates)
    if len(idx) < 2:
        raise ValueError(f"farthest_pair needs at least two codes, got {len(idx)}.")
    sub = codes[idx]
    sq = (sub**2).sum(axis=1)
    dist = sq[:, None] + sq[None, :] - 2 * sub @ sub.T
    i, j = np.unravel_index(int(np.argmax(dist)), dist.shape)
    a, b = sorted((int(idx[i]), int(idx[j])))
    return a, b
