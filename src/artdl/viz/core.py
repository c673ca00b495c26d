"""Saving figures and drawing images: the pieces every figure module of artdl uses.

Figures are saved to ``images/<step>/<name>.png`` at a modest dpi so the committed notebooks and
the README stay small; figures of painting thumbnails get a 256-colour palette.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from artdl.core import images_dir

__all__ = ["DPI", "image_grid", "save_figure", "save_photo_figure", "thumbnail"]

DPI = 110


def save_figure(fig: Any, step: str, name: str, dpi: int = DPI) -> Path:
    """Save ``fig`` as ``images/<step>/<name>.png`` and return the path."""
    path = images_dir(step) / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight", facecolor="white")
    return path


def save_photo_figure(fig: Any, step: str, name: str, dpi: int = DPI, colors: int = 256) -> Path:
    """Like :func:`save_figure`, then re-encode the PNG with a ``colors`` palette.

    Figures made of painting thumbnails compress badly as true-colour PNG (1 MB+); a 256-colour
    palette keeps them readable at a third of the size, so the repository and notebooks stay small.
    """
    from PIL import Image

    path = save_figure(fig, step, name, dpi)
    with Image.open(path) as image:
        quantized = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    quantized.save(path, optimize=True)
    return path


def thumbnail(path: str | Path, size: int = 128) -> Any:
    """An RGB thumbnail (long side ``size``) as a PIL image."""
    from artdl.data import load_image

    image = load_image(path)
    image.thumbnail((size, size))
    return image


def image_grid(
    images: Sequence[Any],
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    size: float = 1.8,
    suptitle: str | None = None,
) -> Any:
    """A grid of images (paths, PIL images or HxWxC arrays) with optional short titles."""
    import matplotlib.pyplot as plt

    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.1), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, img in enumerate(images):
        ax = axes.flat[i]
        if isinstance(img, (str, Path)):
            img = thumbnail(img, 192)
        ax.imshow(np.asarray(img))
        if titles is not None:
            ax.set_title(str(titles[i])[:28], fontsize=7)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def _as_image(img: Any) -> Any:
    """A path, PIL image, HxWxC array or CxHxW tensor/array (uint8 or [0, 1]) as an HxWxC array."""
    if isinstance(img, (str, Path)):
        return np.asarray(thumbnail(img, 96))
    arr = np.asarray(img.detach().cpu() if hasattr(img, "detach") else img)
    if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = arr.transpose(1, 2, 0)
    if arr.dtype != np.uint8:
        arr = (np.clip(arr, 0, 1) * 255).astype(np.uint8)
    return arr
