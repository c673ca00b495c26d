"""Images in and out of the GANs: training paintings from the data layer's cache, grids and GIFs.

The training paintings are read through :func:`artdl.data.image_cache.cache_tensors`, the same square
resize and on-disk cache the classifier uses: one resize-and-crop, one cache keyed by path,
modification time, size and side, so a changed painting is decoded again and 02 and 06 see the
same pixels.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from artdl.core import atomic_path

__all__ = ["grid_image", "load_training_images", "save_gif", "to_float", "to_uint8"]


def load_training_images(
    table: pd.DataFrame,
    resolution: int,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> tuple[Tensor, Tensor, list[str]]:
    """All images of ``table`` in memory as uint8 (N, 3, R, R), their class ids and class names.

    A few hundred paintings at 32-128 px are a few MB, so the training loop samples batches from
    memory instead of decoding JPEGs every step. Decoding goes through the data layer's tensor
    cache (``cache_dir``, default ``data/processed/cache/tensors``), which is rebuilt when any
    file's path, size or modification time changes.
    """
    from artdl.data import cache_tensors, class_names

    classes = class_names(table)
    labels = torch.tensor([classes.index(str(v)) for v in table["label"]], dtype=torch.long)
    indexed, npy = cache_tensors(table, int(resolution), cache_dir, progress=progress)
    array = np.load(npy, mmap_mode="r")
    rows = indexed["tensor_row"].to_numpy()
    images = torch.from_numpy(np.ascontiguousarray(array[rows]))
    return images, labels, classes


def to_float(images: Tensor) -> Tensor:
    """uint8 [0, 255] -> float [-1, 1], the generator's range."""
    return images.float().div(127.5).sub(1.0)


def to_uint8(images: Tensor) -> Tensor:
    """float [-1, 1] -> uint8 on the CPU (clamped)."""
    return images.detach().float().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8).cpu()


def grid_image(images: Tensor, nrow: int | None = None, scale: int = 1) -> np.ndarray:
    """A (H, W, 3) uint8 grid of images in [-1, 1] or uint8, optionally upscaled (nearest)."""
    from torchvision.utils import make_grid

    imgs = images if images.dtype == torch.uint8 else to_uint8(images)
    nrow = nrow or max(1, int(math.sqrt(len(imgs))))
    grid = make_grid(imgs, nrow=nrow, padding=1, pad_value=255)
    if scale > 1:
        grid = grid.repeat_interleave(scale, 1).repeat_interleave(scale, 2)
    return grid.permute(1, 2, 0).numpy()


def save_gif(
    frames: Sequence[np.ndarray],
    path: str | Path,
    fps: float = 6.0,
    scale: int = 1,
    max_frames: int | None = None,
) -> Path:
    """An animated GIF of grid frames, written atomically.

    ``scale`` upsizes by pixel repetition; ``max_frames`` keeps that many frames evenly spaced
    (first and last included), so a committed GIF stays small. The last frame is held a little
    longer so a viewer sees where training ended.
    """
    import imageio.v2 as imageio

    if not len(frames):
        raise ValueError("No frames to write: train for at least one epoch with grids enabled.")
    frames = [np.asarray(f) for f in frames]
    if max_frames is not None and len(frames) > max_frames:
        keep = np.unique(np.linspace(0, len(frames) - 1, max(2, max_frames)).round().astype(int))
        frames = [frames[i] for i in keep]
    frames = [f.repeat(scale, 0).repeat(scale, 1) if scale > 1 else f for f in frames]
    durations: Any = [1000.0 / fps] * (len(frames) - 1) + [4000.0 / fps]  # milliseconds per frame
    if len(frames) == 1:
        durations = durations[0]
    path = Path(path)
    with atomic_path(path) as tmp:
        imageio.mimsave(tmp, frames, format="GIF", duration=durations, loop=0)
        os.chmod(tmp, 0o644)
    return path
