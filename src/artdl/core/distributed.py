"""Data-parallel training with PyTorch's own DistributedDataParallel, started by ``torchrun``.

One place for what every data-parallel loop needs, so the step code stays readable:

- :func:`init` reads torchrun's environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
  ``MASTER_ADDR``/``MASTER_PORT``) and starts the process group (NCCL on CUDA, gloo on the CPU).
  Without that environment nothing starts and every helper answers as for one process, so a
  notebook on one device runs exactly as before;
- :func:`rank`, :func:`world_size` and :func:`is_main` are the rank-0 guards: only rank 0 writes
  checkpoints, results, figures and progress bars;
- :func:`wrap` wraps a model in ``DistributedDataParallel`` (optionally ``SyncBatchNorm``);
- :func:`train_loader` / :func:`eval_loader` re-shard a loader with ``DistributedSampler``, and
  :func:`gather_ordered` puts the shards of an evaluation back into loader order, dropping the
  sampler's padding, so no painting is counted twice;
- :func:`launch` starts a module on N processes with torchrun from a notebook or a script.

The gradient exchange is DDP's; nothing here reduces gradients by hand.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported where it is used: `import artdl.core` stays light
    import torch
    from torch import nn

__all__ = [
    "any_rank",
    "entry",
    "eval_loader",
    "gather_ordered",
    "init",
    "is_distributed",
    "is_main",
    "launch",
    "local_batch",
    "main_first",
    "mean_over_ranks",
    "rank",
    "shutdown",
    "sum_over_ranks",
    "train_loader",
    "unwrap",
    "world_size",
    "wrap",
]

# How long a collective waits for a silent peer before the job fails (instead of hanging).
DEFAULT_TIMEOUT_S = 600


def _launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ and "MASTER_ADDR" in os.environ


def is_distributed() -> bool:
    """True inside a started process group (also with one process under torchrun)."""
    import torch

    return torch.distributed.is_available() and torch.distributed.is_initialized()


def rank() -> int:
    """This process's rank, 0 outside ``torchrun``: the same code runs with and without DDP."""
    import torch

    return torch.distributed.get_rank() if is_distributed() else 0


def world_size() -> int:
    """How many processes share the work, 1 outside ``torchrun``: batch sizes and sums divide by it."""
    import torch

    return torch.distributed.get_world_size() if is_distributed() else 1


def is_main() -> bool:
    """Rank 0 (or the only process): the one that writes files and shows progress."""
    return rank() == 0


def init(
    device: torch.device, backend: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> torch.device:
    """Start the process group from torchrun's environment and return this rank's device.

    Outside torchrun this returns ``device`` unchanged. On CUDA each rank takes the GPU of its
    ``LOCAL_RANK`` (one process per GPU, as torchrun's ``--nproc_per_node`` means it).
    """
    import torch

    if not _launched_by_torchrun() or is_distributed():
        return device
    local = int(os.environ.get("LOCAL_RANK", 0))
    if device.type == "cuda":
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    backend = backend or ("nccl" if device.type == "cuda" else "gloo")
    torch.distributed.init_process_group(
        backend,
        timeout=datetime.timedelta(seconds=timeout_s),
        device_id=device if device.type == "cuda" else None,
    )
    return device


def shutdown() -> None:
    """Release the process group if one was started; a no-op outside ``torchrun``, so callers need no check."""
    import torch

    if is_distributed():
        torch.distributed.destroy_process_group()


@contextlib.contextmanager
def main_first() -> Iterator[None]:
    """Rank 0 runs the block first (building a split file or a cache), then the others read it."""
    import torch

    if not is_main():
        torch.distributed.barrier()
    yield
    if is_main() and world_size() > 1:
        torch.distributed.barrier()


def local_batch(global_batch: int, key: str, accumulation: int = 1) -> int:
    """The per-rank (micro-)batch: ``global_batch / (world size x accumulation)``, which must divide.

    Keeping the *global* batch fixed is what makes one config the same optimisation on 1 or N
    processes: the same paintings go into each optimizer step, only spread over more devices.
    """
    parts = world_size() * accumulation
    if global_batch % parts:
        raise ValueError(
            f"{key}={global_batch} must be divisible by world size x gradient accumulation "
            f"({world_size()} x {accumulation} = {parts}); pick a global batch that is."
        )
    return global_batch // parts


def wrap(model: nn.Module, device: torch.device, sync_batchnorm: bool = False) -> nn.Module:
    """``DistributedDataParallel(model)`` inside a process group, the model itself otherwise.

    DDP broadcasts rank 0's parameters and buffers when it wraps, so every rank starts equal.
    ``sync_batchnorm`` turns batch norm into ``SyncBatchNorm`` (statistics over the global batch);
    PyTorch implements that for GPUs only, so asking for it on a CPU fails here, with the fix.
    """
    from torch import nn

    if not is_distributed():
        return model
    if sync_batchnorm:
        if device.type != "cuda":
            raise ValueError(
                "sync_batchnorm=true needs CUDA (PyTorch's SyncBatchNorm); set it false on a CPU."
            )
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)  # buffers follow rank 0 each forward


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a DDP (or ``torch.compile``) wrapper: what checkpoints store."""
    from torch import nn

    model = getattr(model, "_orig_mod", model)
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def _loader_like(loader: Any, sampler: Any, batch_size: int, drop_last: bool) -> Any:
    from torch.utils.data import DataLoader

    workers = loader.num_workers
    return DataLoader(
        loader.dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
        persistent_workers=workers > 0, pin_memory=loader.pin_memory, drop_last=drop_last,
    )  # fmt: skip


def train_loader(loader: Any, global_batch: int, seed: int, key: str, accumulation: int = 1) -> Any:
    """The training loader re-sharded: a shuffling ``DistributedSampler`` and per-rank batches.

    The sampler drops the tail that does not divide by the world size and the loader drops the
    last short batch, so optimizer step k sees the paintings at positions ``[k*B, (k+1)*B)`` of
    the epoch's permutation on any number of processes (call ``loader.sampler.set_epoch``).
    """
    from torch.utils.data import DistributedSampler

    sampler = DistributedSampler(
        loader.dataset, num_replicas=world_size(), rank=rank(), shuffle=True, seed=seed, drop_last=True
    )
    drop = len(loader.dataset) > global_batch  # as make_loaders: a set smaller than a batch is one batch
    return _loader_like(loader, sampler, local_batch(global_batch, key, accumulation), drop_last=drop)


def eval_loader(loader: Any) -> Any:
    """An evaluation loader over this rank's share (in order, padded to equal shares)."""
    if world_size() == 1:
        return loader
    from torch.utils.data import DistributedSampler

    sampler = DistributedSampler(loader.dataset, num_replicas=world_size(), rank=rank(), shuffle=False)
    return _loader_like(loader, sampler, loader.batch_size, drop_last=False)


def gather_ordered(local: torch.Tensor, n: int, device: torch.device | None = None) -> torch.Tensor:
    """Every rank's shard of an :func:`eval_loader` pass, back in loader order, padding dropped.

    ``DistributedSampler(shuffle=False)`` gives rank r the positions r, r+W, r+2W, ... of the
    data padded to a multiple of W, so interleaving the equal-sized shards and keeping the first
    ``n`` rows restores the original order exactly: each painting is counted once.
    """
    import torch

    if world_size() == 1:
        return local[:n]
    device = device or torch.device("cpu")
    shard = local.to(device).contiguous()
    parts = [torch.empty_like(shard) for _ in range(world_size())]
    torch.distributed.all_gather(parts, shard)
    stacked = torch.stack(parts, dim=1)  # (per-rank rows, W, ...)
    return stacked.reshape(-1, *shard.shape[1:])[:n].cpu()


def sum_over_ranks(values: Sequence[float | torch.Tensor], device: torch.device | None = None) -> list[float]:
    """Sum a few numbers over all ranks in one collective (and one host sync): epoch statistics."""
    import torch

    t = torch.stack([torch.as_tensor(v, dtype=torch.float64).reshape(()).cpu() for v in values])
    if world_size() > 1:
        t = t.to(device or torch.device("cpu"))
        torch.distributed.all_reduce(t)
    return [float(x) for x in t.cpu()]


def mean_over_ranks(t: torch.Tensor) -> torch.Tensor:
    """The element-wise mean of ``t`` over all ranks (one all-reduce), e.g. a log interval's losses."""
    import torch

    if world_size() == 1:
        return t
    total = t.detach().clone()
    torch.distributed.all_reduce(total)
    return total / world_size()


def any_rank(flag: bool, device: torch.device | None = None) -> bool:
    """True on every rank when it is true on one: a stop decision all ranks take together."""
    if world_size() == 1:
        return flag
    return sum_over_ranks([float(flag)], device)[0] > 0


def launch(
    module: str, nproc: int, args: Sequence[str] = (), nnodes: int = 1, rdzv_endpoint: str | None = None
) -> None:
    """Run ``python -m <module> <args>`` on ``nproc`` processes per node with torchrun; wait for it.

    The notebook entry to multi-GPU training: start the same training the shell command runs,
    then load its checkpoint and results as after a one-process run. Output is streamed; a
    failed rank fails the whole job (torchrun stops the others) and this raises with its code::

        launch("artdl.classify", 2, ["--config", "full"])
    """
    here = str(Path(__file__).resolve().parents[2])  # the src/ folder this artdl came from
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p))
    where = ["--rdzv-backend=c10d", f"--rdzv-endpoint={rdzv_endpoint}"] if rdzv_endpoint else ["--standalone"]
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={nproc}", f"--nnodes={nnodes}",
           *where, "-m", module, *args]  # fmt: skip
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="")
    if proc.returncode:
        raise RuntimeError(
            f"{' '.join(cmd[2:])} failed with exit code {proc.returncode} (its output is above)."
        )


def entry(argv: Sequence[str] | None, description: str, train: Callable[[Any, str, Any], None]) -> int:
    """The command line of ``python -m artdl.<step>``, under torchrun or not: ``[--config NAME]
    [--name NAME] [key=value ...]``; ``train(cfg, name, device)`` does the step.

    A user's mistake (a bad key, an out-of-range value, missing data) is one line on stderr and
    exit code 2, no traceback; under torchrun a failing rank makes torchrun stop the others.
    """
    import argparse

    from artdl.core.config import ConfigKeyError, load_config
    from artdl.core.paths import MissingArtifactError
    from artdl.core.utils import setup

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("overrides", nargs="*", help="config overrides, key=value (e.g. classify.epochs=2)")
    parser.add_argument("--config", default="default", help="configs/<name>.yaml (default, full, ...)")
    parser.add_argument(
        "--name", default=None, help="names the results file and checkpoint folder (default: config)"
    )
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config, args.overrides)
        device = init(
            setup(cfg), backend=cfg.distributed.backend or None, timeout_s=cfg.distributed.timeout_s
        )
        train(cfg, args.name or args.config, device)
    except (ConfigKeyError, ValueError, MissingArtifactError) as err:
        print(f"error (rank {rank()}): {err}", file=sys.stderr, flush=True)
        return 2
    finally:
        shutdown()
    return 0
