"""Small shared helpers: seeding, device choice, atomic file writes."""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["PRECISIONS", "atomic_path", "autocast", "get_device", "seed_everything", "setup"]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so a run can be repeated."""
    import torch

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - libraries still draw from the global state
    torch.manual_seed(seed)


def get_device(name: str = "auto") -> Any:
    """``auto`` picks CUDA, then Apple MPS, then the CPU; anything else is passed to torch."""
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"device={name!r} was asked for, but CUDA is not available. Use device=auto or cpu."
        )
    return device


PRECISIONS = ("auto", "fp32", "bf16")


def autocast(device: Any, enabled: bool | str = True) -> Any:
    """The autocast context for a precision choice: ``auto``/True, ``bf16`` or ``fp32``/False.

    ``auto`` (the default everywhere) is bf16 on CUDA and plain fp32 elsewhere: bf16 keeps fp32's
    exponent range, so training needs no GradScaler, and on a CPU it only pays off for some models
    (see ``benchmarks/bench_classifier.py``). ``bf16`` asks for it on any device, for measuring
    that; ``fp32`` switches autocast off.
    """
    import torch

    mode = ("auto" if enabled else "fp32") if isinstance(enabled, bool) else enabled
    if mode not in PRECISIONS:
        raise ValueError(f"precision={enabled!r} is not one of {PRECISIONS}.")
    device_type = getattr(device, "type", str(device).split(":")[0])
    if mode == "bf16" or (mode == "auto" and device_type == "cuda"):
        return torch.autocast(device_type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def setup(cfg: Any) -> Any:
    """Seed, set the CPU thread count and return the torch device a config asks for."""
    import torch

    seed_everything(cfg.seed)
    if int(cfg.get("num_threads", 0) or 0) > 0:
        torch.set_num_threads(cfg.num_threads)
    return get_device(str(cfg.device))


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], suffix: str | None = None, fsync: bool = False
) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place only if the block succeeds.

    The one atomic write of the package (results, embeddings, downloads, the crawl's images). A
    crash or exception inside the block (Ctrl-C included) leaves no half-written file behind, and
    an older complete file at ``path`` stays as it was. The temp file is ``.<name>.<random><suffix>``
    (``suffix`` defaults to the target's, so ``np.save`` and friends keep their extension), so
    what a SIGKILL leaves is hidden and can be swept by its suffix. ``fsync=True`` flushes the
    file to disk before the rename: a power loss then leaves the old file or the new one, never an
    empty one (for data that is costly to fetch again).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=suffix if suffix is not None else target.suffix
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if fsync:
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
