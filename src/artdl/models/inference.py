"""Fast inference on a CPU: batch norms folded into convolutions, batches spread over cores.

Used wherever a frozen network only computes features: the embeddings of 04/05 and the explorer
(:mod:`artdl.retrieve.embedders`) and the frozen trunk of 02's fine-tune (:mod:`artdl.classify.frozen_trunk`).

Why threads with one intra-op thread each: PyTorch splits every convolution across the cores and
waits at a barrier after each; when other jobs share the cores, a depthwise-heavy network like
EfficientNet-Lite0 ran 3x slower that way than on one core. Whole batches per core have no
barrier, keep their speed on a busy machine and still use every core on an idle one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from artdl.core import autocast, cpu_bf16_native, cuda_bf16_native

__all__ = ["batched", "fold_batchnorm", "full_fp32_matmul", "map_batches", "native_bf16", "native_precision"]


def native_bf16(device: Any) -> bool:
    """Whether bf16 *inference* pays off on ``device``: a CUDA GPU with bf16 in hardware (Ampere and
    later), or a CPU with AMX or AVX512-BF16.

    On the 2-core CPU (AMX) a folded EfficientNet-Lite0 ran inference about 2x faster in bf16 than
    in fp32 (``benchmarks/bench_frozen_trunk.py``); without those instructions bf16 is emulated and
    slower, and so it is on a pre-Ampere GPU (T4, V100). Training is another matter: the same CPU
    trained the top of the net slower in bf16.
    """
    device = torch.device(device)
    if device.type == "cuda":
        return cuda_bf16_native()
    return device.type == "cpu" and bool(cpu_bf16_native())


def native_precision(name: str, device: Any) -> str:
    """A precision name with ``auto`` resolved the way inference-heavy work wants it: ``bf16`` where
    :func:`native_bf16` holds, else ``fp32``; an explicit name is returned as it is.

    Not fp16 on a pre-Ampere GPU, although it is fast there: the cached fine-tune also *trains* the
    top of the net in this precision, without a GradScaler. (``artdl.core.resolve_precision``'s
    ``auto``, for training from images, does choose fp16 there, with the scaler of
    ``artdl.core.training_precision``.)
    """
    if name != "auto":
        return name
    return "bf16" if native_bf16(device) else "fp32"


def map_batches(
    fn: Callable[[Any], Any], batches: Iterable[Any], device: Any = "cpu", window: int = 0
) -> Iterator[Any]:
    """``fn`` over ``batches`` in order; on a CPU, one batch per core with one intra-op thread each.

    At most ``window`` batches (default: twice the workers) are in flight, so a data loader is not
    drained into memory ahead of the model. ``fn`` runs under ``inference_mode``.
    """
    device = torch.device(device)
    threads = torch.get_num_threads()
    workers = threads if device.type == "cpu" else 1

    def one(batch: Any) -> Any:
        with torch.inference_mode():
            return fn(batch)

    if workers == 1:
        yield from (one(b) for b in batches)
        return
    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(workers) as pool:
            pending: list[Future[Any]] = []
            for batch in batches:
                pending.append(pool.submit(one, batch))
                if len(pending) >= (window or 2 * workers):
                    yield pending.pop(0).result()
            for future in pending:
                yield future.result()
    finally:
        torch.set_num_threads(threads)


def batched(
    fn: Any, x_all: torch.Tensor, batch_size: int, device: Any, desc: str, progress: bool
) -> np.ndarray:
    """``fn`` over ``x_all`` in batches (spread over the cores by :func:`map_batches`), as float32 numpy."""
    from tqdm.auto import tqdm

    device = torch.device(device)

    def one(start: int) -> torch.Tensor:
        with autocast(device):  # per thread, like inference_mode
            return fn(x_all[start : start + batch_size].to(device)).float().cpu()

    starts = range(0, len(x_all), batch_size)
    out = list(
        tqdm(
            map_batches(one, starts, device), total=len(starts), desc=desc, disable=not progress, leave=False
        )
    )
    return torch.cat(out).numpy().astype(np.float32)


@contextmanager
def full_fp32_matmul() -> Iterator[None]:
    """TF32 off for CUDA matmuls and cuDNN convolutions inside the block; the caller's flags restored after.

    For comparisons that need fp32's 23-bit mantissa (an exactness check, FID features); the flags
    are process-wide, so they are put back even when the block raises.
    """
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def fold_batchnorm(model: torch.nn.Module) -> torch.nn.Module:
    """An eval model with each BatchNorm2d folded into the convolution just before it (a copy).

    Pairs are taken in registration order (conv, then its norm), which is the data flow of the
    EfficientNet backbones here; timm's ``BatchNormAct2d`` keeps its activation. The folded copy is
    checked against the original on a random batch and the original returned if they disagree
    (a network whose norms do not follow their convolutions), so folding can never change features.
    The check runs with TF32 off (:func:`full_fp32_matmul`): on Ampere and later GPUs TF32 rounding
    alone would fail it and silently keep the slower unfolded model.
    """
    import copy

    from timm.layers import BatchNormAct2d

    folded = copy.deepcopy(model).eval()
    modules = dict(folded.named_modules())
    conv, pairs = None, []
    for name, module in folded.named_modules():
        if isinstance(module, torch.nn.Conv2d):
            conv = module
        elif isinstance(module, torch.nn.BatchNorm2d) and conv is not None and module.track_running_stats:
            if module.num_features == conv.out_channels:
                pairs.append((conv, name, module))
            conv = None
    if not pairs:
        return model
    with torch.no_grad():
        for conv, name, bn in pairs:
            scale = (bn.weight if bn.affine else torch.ones_like(bn.running_var)) / torch.sqrt(
                bn.running_var + bn.eps
            )
            shift = bn.bias if bn.affine else torch.zeros_like(bn.running_mean)
            bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
            conv.weight.mul_(scale.view(-1, 1, 1, 1))
            conv.bias = torch.nn.Parameter((bias - bn.running_mean) * scale + shift)
            keep = [bn.drop, bn.act] if isinstance(bn, BatchNormAct2d) else []
            parent, _, attr = name.rpartition(".")
            setattr(modules[parent] if parent else folded, attr, torch.nn.Sequential(*keep))
        probe = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # a tiny probe: split over busy cores it waited seconds at barriers
        try:
            with full_fp32_matmul():  # under TF32 (10-bit mantissa) the two would differ by more than tol
                want, got = (net(probe.to(next(model.parameters()).device)) for net in (model.eval(), folded))
        finally:
            torch.set_num_threads(threads)
        tol = 1e-4 * float(want.abs().max())
        same = want.shape == got.shape and torch.allclose(want, got, rtol=1e-3, atol=tol)
    return folded if same else model
