"""Small shared helpers: seeding, device choice, precision (autocast, GradScaler), atomic file writes."""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DeviceError",
    "PART_SUFFIX",
    "PRECISIONS",
    "TrainingPrecision",
    "atomic_path",
    "autocast",
    "cpu_bf16_native",
    "cuda_bf16_native",
    "get_device",
    "remove_stale_parts",
    "resolve_precision",
    "seed_everything",
    "setup",
    "training_precision",
    "unscaled_precision",
    "write_atomic",
]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so a run can be repeated."""
    import torch

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - libraries still draw from the global state
    torch.manual_seed(seed)


class DeviceError(RuntimeError):
    """The configured device cannot be used; the message says why and how to override it."""


def _cuda_problem() -> str:
    """Why torch sees no GPU, in torch's own words when it gave any (e.g. "driver too old")."""
    import warnings

    import torch

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        available = torch.cuda.is_available()
    if available:
        return ""
    said = "; ".join(" ".join(str(w.message).split()) for w in caught) or "no CUDA device was found"
    return f"torch {torch.__version__} (built for CUDA {torch.version.cuda or 'none'}) says: {said}"


def get_device(name: str = "auto") -> Any:
    """``auto`` picks CUDA, then Apple MPS, then the CPU; anything else is passed to torch.

    ``auto`` falls back to the CPU without a word, which is right on a laptop and wrong on a GPU
    box whose driver is older than the torch wheel needs: a run sized for a GPU would then take
    days on the CPU. So ``configs/full.yaml`` asks for ``cuda``, and a ``cuda`` that torch cannot
    use is a :class:`DeviceError` at once, naming the driver check and the CPU override.
    """
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda":
        problem = _cuda_problem()
        if problem:
            raise DeviceError(
                f"device={name!r} was asked for, but no usable GPU: {problem}. Run `nvidia-smi`: no GPU "
                f"listed = pick a GPU runtime; a driver whose CUDA version is below "
                f"{torch.version.cuda or 'the wheel'}'s = update the driver or install a torch wheel built for "
                f"the driver's CUDA. To run on the CPU instead (hours, not minutes), add the override device=cpu."
            )
    return device


PRECISIONS = ("auto", "fp32", "bf16")  # the names a config may give; auto may resolve to fp16 (a T4)


def cuda_bf16_native() -> bool:
    """True where the current CUDA GPU computes bf16 in hardware (Ampere, compute capability 8.0, and
    later). Older cards (T4, V100) only emulate it, with slow fallback kernels: there fp16 is the fast
    half precision, and it needs a GradScaler (:func:`training_precision`)."""
    import torch

    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False))


def cpu_bf16_native() -> list[str]:
    """The bf16 instructions this CPU has in hardware (``AMX``, ``AVX512-BF16``): empty where torch
    would only emulate bf16, slower than fp32."""
    import torch

    checks = {"AMX": "_is_amx_tile_supported", "AVX512-BF16": "_is_avx512_bf16_supported"}
    return [label for label, check in checks.items() if getattr(torch.cpu, check, lambda: False)()]


def resolve_precision(precision: bool | str, device: Any) -> str:
    """``auto``/True, ``bf16`` or ``fp32``/False as the concrete ``bf16``, ``fp16`` or ``fp32``.

    ``auto`` is bf16 on a CUDA GPU with native bf16 (fp32's exponent range: no loss scaling), fp16 on
    an older CUDA GPU, and fp32 elsewhere (on a CPU bf16 only pays off for some models, see
    ``benchmarks/bench_classifier.py``). ``bf16`` and ``fp32`` are kept, for measuring them; fp16 is
    not a name to ask for, since it is only safe with the GradScaler that :func:`training_precision`
    pairs with it.
    """
    mode = ("auto" if precision else "fp32") if isinstance(precision, bool) else str(precision)
    if mode not in PRECISIONS:
        raise ValueError(f"precision={precision!r} is not one of {PRECISIONS}.")
    if mode != "auto":
        return mode
    if _device_type(device) != "cuda":
        return "fp32"
    return "bf16" if cuda_bf16_native() else "fp16"


def _device_type(device: Any) -> str:
    return str(getattr(device, "type", str(device).split(":")[0]))


def _autocast_context(device: Any, resolved: str) -> Any:
    import torch

    if resolved == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if resolved == "bf16" else torch.float16
    return torch.autocast(_device_type(device), dtype=dtype)


def unscaled_precision(precision: bool | str, device: Any) -> str:
    """:func:`resolve_precision` for a loop that steps without a GradScaler (the GANs, the autoencoders,
    VQGAN+CLIP's latent): an ``auto`` that would be fp16 (a T4) is fp32 there, since fp16 gradients
    underflow without loss scaling and those losses (a gradient penalty, a latent's step) are the
    ones that suffer most; bf16 and fp32 are kept."""
    name = resolve_precision(precision, device)
    return "fp32" if name == "fp16" else name


def autocast(device: Any, enabled: bool | str = True) -> Any:
    """The autocast context for a precision choice (:func:`resolve_precision`); fp32 = no autocast.

    fp16 gradients can underflow to zero: a loop that trains under an ``auto`` that may resolve to
    fp16 (a T4) should step through :func:`training_precision`, whose GradScaler rescales them.
    """
    return _autocast_context(device, resolve_precision(enabled, device))


@dataclass
class TrainingPrecision:
    """One training loop's precision: its autocast context and a GradScaler that is on for fp16 only.

    With bf16 or fp32 the scaler is disabled and :meth:`step` is a plain ``backward`` and
    ``optimizer.step``, so a loop written once runs the same on an A100, a T4 and a CPU::

        amp = training_precision(device, cfg.classify.precision)
        with amp.autocast():
            loss = criterion(model(x), y)
        amp.step(loss, optimizer, clip_norm=1.0)
    """

    device: Any
    name: str  # bf16 | fp16 | fp32, resolved
    scaler: Any  # torch.amp.GradScaler

    def autocast(self) -> Any:
        return _autocast_context(self.device, self.name)

    def step(self, loss: Any, optimizer: Any, clip_norm: float | None = None, parameters: Any = None) -> bool:
        """Backward, optional gradient clipping (on unscaled gradients), optimizer step, scaler update.

        Returns False when the scaler skipped the step because fp16 gradients overflowed (the scale
        is lowered and the next step tries again), True otherwise.
        """
        import torch

        self.scaler.scale(loss).backward()
        if clip_norm is not None:
            self.scaler.unscale_(optimizer)
            params = parameters if parameters is not None else [
                p for group in optimizer.param_groups for p in group["params"]
            ]
            torch.nn.utils.clip_grad_norm_(params, clip_norm)
        before = self.scaler.get_scale() if self.scaler.is_enabled() else None
        self.scaler.step(optimizer)
        self.scaler.update()
        return before is None or self.scaler.get_scale() >= before


def training_precision(device: Any, precision: bool | str = "auto") -> TrainingPrecision:
    """The :class:`TrainingPrecision` of ``precision`` on ``device`` (fp16 gets an enabled GradScaler)."""
    import torch

    name = resolve_precision(precision, device)
    device_type = _device_type(device)
    scaler = torch.amp.GradScaler(device_type, enabled=name == "fp16" and device_type == "cuda")
    return TrainingPrecision(device, name, scaler)


def setup(cfg: Any) -> Any:
    """Seed, set the CPU thread count and return the torch device a config asks for.

    On CUDA it also turns on cuDNN's autotuner: every step here has fixed input shapes, so the
    fastest convolution algorithm found on the first batch serves all the others.
    """
    import torch

    seed_everything(cfg.seed)
    if int(cfg.get("num_threads", 0) or 0) > 0:
        torch.set_num_threads(cfg.num_threads)
    device = get_device(str(cfg.device))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    return device


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


PART_SUFFIX = ".part"  # the temp files of write_atomic: ".<file>.<random>.part" beside their target


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a hidden ``.part`` temp file, fsync and rename: all or nothing.

    For files that are costly to get again (a download, a crawled image, a row table): readers see no
    file or the whole file, and what a SIGKILL leaves is a ``.part`` file that
    :func:`remove_stale_parts` finds by its suffix on the next run.
    """
    with atomic_path(path, suffix=PART_SUFFIX, fsync=True) as tmp:
        tmp.write_bytes(data)


def remove_stale_parts(folder: str | os.PathLike[str]) -> int:
    """Delete the hidden ``.part`` temp files under ``folder`` that a killed run left; return how many.

    Why: a process killed outright (SIGKILL, power loss) never reaches :func:`atomic_path`'s clean-up,
    so a fetch or crawl that resumes sweeps them first. Only hidden files with the suffix go, never
    a file of the data set itself. A missing folder has none."""
    removed = 0
    root = Path(folder)
    if root.is_dir():
        for stale in root.rglob(f".*{PART_SUFFIX}"):
            if stale.is_file():
                stale.unlink()
                removed += 1
    return removed
