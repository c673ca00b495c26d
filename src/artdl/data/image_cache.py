"""One image pipeline: one square resize and the on-disk caches that classifier, autoencoders,
embeddings and GANs read through.

``square`` is the only resize-and-centre-crop in artdl, so 03, 04 and 06 see the same pixels for
the same painting. A cache entry is keyed by the file's path, modification time and size plus the
side and the resize method, so an edited or replaced image is decoded again instead of being served
stale.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from artdl.core import processed_dir
from artdl.data.table import load_image

__all__ = ["RESIZE_METHOD", "cache_resized", "cache_tensors", "square"]

# Part of every cache key: a change to the resize (filter, reducing gap) invalidates old entries.
RESIZE_METHOD = "bicubic-gap3"


def cache_resized(
    table: pd.DataFrame,
    short_side: int,
    cache_dir: str | os.PathLike[str] | None = None,
    quality: int = 93,
    progress: bool = True,
) -> pd.DataFrame:
    """Write every image once as a JPEG whose short side is ``short_side``; return the table on the copies.

    Decoding a 2000-px crawl image costs far more than the crop a model sees, so training from a
    cache sized a little above the model's input (e.g. 256 px for 224) keeps the data loader ahead of
    the GPU. Images that are already small are copied unchanged in size. Cache files are named by
    a hash of the source path, size and modification time, so a changed source gets a new file; a
    crash leaves no half-written file (each is written to a temp name, then renamed). The original
    path stays in ``source_path``.
    """

    from tqdm.auto import tqdm

    from artdl.core import atomic_path

    folder = Path(cache_dir) if cache_dir is not None else processed_dir("cache", f"{short_side}px")
    folder.mkdir(parents=True, exist_ok=True)
    out = table.copy()
    out["source_path"] = out["path"]
    new_paths = []
    for path in tqdm(out["path"], desc=f"cache {short_side}px", disable=not progress, leave=False):
        stat = os.stat(path)
        key = hashlib.sha1(
            f"{path}|{short_side}|{RESIZE_METHOD}|{stat.st_mtime_ns}|{stat.st_size}".encode()
        ).hexdigest()[:20]
        target = folder / f"{key}.jpg"
        if not target.exists():
            image = load_image(path)
            scale = short_side / min(image.size)
            if scale < 1:
                size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
                image = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)
            with atomic_path(target) as tmp:
                image.save(tmp, "JPEG", quality=quality)
        new_paths.append(str(target))
    out["path"] = new_paths
    return out


def square(image: Image.Image, side: int) -> Image.Image:
    """Resize the short side to ``side`` and centre-crop a square (the region eval_transform keeps)."""
    scale = side / min(image.size)
    size = (max(side, round(image.width * scale)), max(side, round(image.height * scale)))
    image = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def cache_tensors(
    table: pd.DataFrame,
    side: int = 256,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> tuple[pd.DataFrame, Path]:
    """Decode every image once into one ``(N, 3, side, side)`` uint8 array on disk.

    The fastest cache: a training step then reads a memory-mapped square instead of decoding a
    JPEG, and crops, flips and colour jitter run on uint8 tensors (``train_transform(...,
    tensors=True)``). The price is that each image is kept as its centre square (the region
    ``eval_transform`` uses anyway), so random crops never see a wide painting's far edges.

    Returns the table with a ``tensor_row`` column (its row in the array) and the ``.npy`` path,
    named by a hash of the paths, their sizes and modification times and ``side``: the same table
    reuses the file, a changed one gets a new file. The array is written to a temporary name and
    renamed when complete, so an interrupted run leaves no half-written cache.
    """

    from tqdm.auto import tqdm

    from artdl.core import atomic_path

    if side < 8:
        raise ValueError(f"cache side {side} is too small; use e.g. 256 for 224-px training.")
    paths = list(dict.fromkeys(table["path"]))  # unique, in table order
    digest = hashlib.sha1(f"{side}|{RESIZE_METHOD}".encode())
    for path in paths:
        stat = os.stat(path)
        digest.update(f"{path}|{stat.st_mtime_ns}|{stat.st_size}\n".encode())
    folder = Path(cache_dir) if cache_dir is not None else processed_dir("cache", "tensors")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{side}px_{len(paths)}_{digest.hexdigest()[:16]}.npy"
    if not target.is_file():
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as handle:  # open_memmap would add .npy to a temp name without it
                np.lib.format.write_array_header_1_0(
                    handle, {"descr": "|u1", "fortran_order": False, "shape": (len(paths), 3, side, side)}
                )
                for path in tqdm(paths, desc=f"tensor cache {side}px", disable=not progress, leave=False):
                    pixels = np.asarray(square(load_image(path), side), dtype=np.uint8)
                    handle.write(np.ascontiguousarray(pixels.transpose(2, 0, 1)).tobytes())
    rows = {path: i for i, path in enumerate(paths)}
    return table.assign(tensor_row=[rows[p] for p in table["path"]]), target
