"""The torch side of the data layer: augmentations, a ``Dataset`` over the artwork table, loaders.

The table layer (:mod:`artdl.data`) knows nothing about torch; this module turns its table, or the
uint8 square cache of :mod:`artdl.data.image_cache`, into batches for training.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from artdl.data.sources import DataError
from artdl.data.table import class_names, load_image

__all__ = [
    "ArtworkDataset",
    "balanced_sampler",
    "eval_transform",
    "make_loader",
    "train_transform",
    "worker_count",
]


def train_transform(
    image_size: int,
    mean: Sequence[float] = (0.485, 0.456, 0.406),
    std: Sequence[float] = (0.229, 0.224, 0.225),
    scale: tuple[float, float] = (0.6, 1.0),
    jitter: float = 0.1,
    tensors: bool = False,
) -> Callable[[Any], Any]:
    """Augmentations that keep a painting a painting: a mild crop, a flip, light colour jitter.

    Heavy colour or hue changes would destroy exactly the cues (palette, brushwork) that style and
    genre depend on, so they are kept small. ``tensors=True`` gives the same augmentations for
    uint8 CHW tensors (the :func:`cache_tensors` path), where they run without a PIL round trip.
    """
    if tensors:
        import torch
        from torchvision.transforms import v2

        return v2.Compose(
            [
                v2.RandomResizedCrop(image_size, scale=scale, ratio=(3 / 4, 4 / 3), antialias=True),
                v2.RandomHorizontalFlip(),
                # Jitter on floats: on uint8 each of its three ops converts to float and back
                # (1.5 vs 1.05 ms per 256-px image on one core).
                v2.ToDtype(torch.float32, scale=True),
                v2.ColorJitter(brightness=jitter, contrast=jitter, saturation=jitter, hue=0.0),
                v2.Normalize(mean, std),
            ]
        )
    from torchvision import transforms as T

    return T.Compose(
        [
            T.RandomResizedCrop(image_size, scale=scale, ratio=(3 / 4, 4 / 3), antialias=True),
            T.RandomHorizontalFlip(),
            T.ColorJitter(brightness=jitter, contrast=jitter, saturation=jitter, hue=0.0),
            T.ToTensor(),
            T.Normalize(mean, std),
        ]
    )


def eval_transform(
    image_size: int,
    mean: Sequence[float] = (0.485, 0.456, 0.406),
    std: Sequence[float] = (0.229, 0.224, 0.225),
    tensors: bool = False,
) -> Callable[[Any], Any]:
    """Resize the short side, then centre-crop a square, then normalise (``tensors``: uint8 CHW in)."""
    if tensors:
        import torch
        from torchvision.transforms import v2

        return v2.Compose(
            [
                v2.Resize(image_size, antialias=True),
                v2.CenterCrop(image_size),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(mean, std),
            ]
        )
    from torchvision import transforms as T

    return T.Compose(
        [
            T.Resize(image_size, antialias=True),
            T.CenterCrop(image_size),
            T.ToTensor(),
            T.Normalize(mean, std),
        ]
    )


class ArtworkDataset:
    """A torch ``Dataset`` over an artwork table: returns ``(image, class_id)``.

    ``classes`` fixes the label order (pass the training classes to val/test sets so ids agree).
    With ``tensors`` (the ``.npy`` of :func:`cache_tensors`, whose table has ``tensor_row``), the
    image is a uint8 CHW tensor read from the memory-mapped cache instead of a decoded file.
    """

    def __init__(
        self,
        table: pd.DataFrame,
        classes: Sequence[str] | None = None,
        transform: Callable[[Any], Any] | None = None,
        tensors: str | os.PathLike[str] | None = None,
    ) -> None:
        self.table = table.reset_index(drop=True)
        self.classes = list(classes) if classes is not None else class_names(self.table)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        unknown = set(self.table["label"].astype(str)) - set(self.class_to_idx)
        if unknown:
            raise DataError(f"Labels {sorted(unknown)} are not in the class list {self.classes}.")
        self.transform = transform
        self.targets = [self.class_to_idx[str(lbl)] for lbl in self.table["label"]]
        self.tensors = Path(tensors) if tensors is not None else None
        if self.tensors is not None and "tensor_row" not in self.table:
            raise DataError("tensors= needs the table returned by data.cache_tensors (tensor_row column).")
        self._array: np.ndarray | None = None  # opened lazily: once per DataLoader worker

    def __len__(self) -> int:
        return len(self.table)

    def _image(self, index: int) -> Any:
        if self.tensors is None:
            return load_image(self.table.at[index, "path"])
        import torch

        if self._array is None:
            self._array = np.load(self.tensors, mmap_mode="r")
        return torch.from_numpy(np.array(self._array[int(self.table.at[index, "tensor_row"])]))

    def __getstate__(self) -> dict[str, Any]:  # workers reopen the memory map themselves
        return {**self.__dict__, "_array": None}

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image = self._image(index)
        if self.transform is not None:
            image = self.transform(image)
        return image, self.targets[index]


def balanced_sampler(targets: Sequence[int], num_samples: int | None = None, seed: int = 0) -> Any:
    """A ``WeightedRandomSampler`` that draws every class equally often (weights 1/count)."""
    import torch
    from torch.utils.data import WeightedRandomSampler

    targets_t = torch.as_tensor(list(targets))
    counts = torch.bincount(targets_t).clamp(min=1).double()
    weights = (1.0 / counts)[targets_t]
    generator = torch.Generator().manual_seed(seed)
    return WeightedRandomSampler(
        weights, num_samples or len(targets_t), replacement=True, generator=generator
    )


def worker_count(requested: int) -> int:
    """``requested`` DataLoader workers, capped at the CPUs this process may run on.

    Each workers setting applies to every loader of a step (02 has four), so 8 on a 2-vCPU Colab
    would start 32 processes, each with a copy of the dataset object: more than its RAM holds, and
    no faster than 2. ``os.sched_getaffinity`` counts the CPUs a container or ``taskset`` allows,
    which ``os.cpu_count`` does not.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        cpus = os.cpu_count() or 1
    return max(0, min(int(requested), cpus))


def make_loader(
    dataset: ArtworkDataset,
    batch_size: int = 32,
    shuffle: bool = False,
    balanced: bool = False,
    num_workers: int = 0,
    seed: int = 0,
    drop_last: bool = False,
    persistent_workers: bool | None = None,
) -> Any:
    """A ``DataLoader``; with ``balanced`` it samples classes equally instead of shuffling.

    ``num_workers`` is capped by :func:`worker_count`. Workers persist across epochs only on the
    training loader (``persistent_workers=None`` means: when it shuffles or balances), the one
    read every epoch; an evaluation loader's workers exit after its pass instead of holding memory
    while the next epoch trains.
    """
    import torch
    from torch.utils.data import DataLoader

    sampler = balanced_sampler(dataset.targets, seed=seed) if balanced else None
    generator = torch.Generator().manual_seed(seed)
    workers = worker_count(num_workers)
    persistent = (shuffle or balanced) if persistent_workers is None else persistent_workers
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle and sampler is None,
        sampler=sampler,
        num_workers=workers,
        persistent_workers=bool(persistent) and workers > 0,
        pin_memory=torch.cuda.is_available(),
        drop_last=drop_last,
        generator=generator,
    )
