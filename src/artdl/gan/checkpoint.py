"""What GAN training state is, and its checkpoint: networks, optimizers and progress, safe to load.

A long GPU run must survive an interruption, so :func:`artdl.gan.train.train_gan` writes an atomic
checkpoint (networks, EMA, both optimizers, step, epoch, history, grids, the CPU and CUDA RNG
states) that a later call resumes from. It stores the plain networks (never a DDP wrapper) and a
position in the global order of the paintings, so a checkpoint written by N processes resumes on M.
The checkpoint holds only tensors and plain Python values and is read with ``torch.load(weights_only=True)``: loading it runs no code. A checkpoint is resumed only when its
:func:`checkpoint_signature` (architecture and data, not the step budget) matches the run's.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from artdl.core import atomic_path, distributed, relative
from artdl.gan.models import Critic, Generator, build_models, make_ema

__all__ = ["Networks", "Progress", "checkpoint_signature", "load_checkpoint", "save_checkpoint"]


@dataclass
class Networks:
    """Generator, critic, the generator's EMA and the two optimizers: what one step updates.

    ``G_train`` and ``D_train`` are what the steps differentiate through: the networks themselves
    on one process, their DistributedDataParallel wrappers under torchrun (:meth:`parallel`).
    """

    G: Generator
    D: Critic
    ema: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    G_train: nn.Module | None = None
    D_train: nn.Module | None = None

    def __post_init__(self) -> None:
        if self.G_train is None:
            self.G_train = self.G
        if self.D_train is None:
            self.D_train = self.D

    def parallel(self, device: torch.device, sync_batchnorm: bool = False) -> None:
        """Wrap G and D for data-parallel steps (a no-op outside a process group)."""
        self.G_train = distributed.wrap(self.G, device, sync_batchnorm)
        self.D_train = distributed.wrap(self.D, device, sync_batchnorm)

    @classmethod
    def build(cls, gcfg: Any, kind: str, n_classes: int, device: torch.device) -> Networks:
        """Fresh networks and Adam optimizers with the learning rates of ``gcfg[kind]``."""
        hp = gcfg[kind]
        G, D = build_models(gcfg, kind, n_classes)
        G, D = G.to(device), D.to(device)
        ema = make_ema(G, gcfg.ema_decay)
        opt_g = torch.optim.Adam(G.parameters(), lr=hp.lr_g, betas=tuple(hp.betas))
        opt_d = torch.optim.Adam(D.parameters(), lr=hp.lr_d, betas=tuple(hp.betas))
        return cls(G, D, ema, opt_g, opt_d)


@dataclass
class Progress:
    """Where training stands: everything besides the networks that a checkpoint restores."""

    step: int = 0
    epoch: int = 0
    pos: int = 0  # position in the current epoch's permutation
    seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)
    grids: list[np.ndarray] = field(default_factory=list)
    grid_epochs: list[int] = field(default_factory=list)
    grid_steps: list[int] = field(default_factory=list)


def save_checkpoint(
    path: str | Path, nets: Networks, prog: Progress, signature: dict[str, Any], classes: Sequence[str]
) -> Path:
    """Write networks, optimizers and progress atomically; grids are stored as uint8 tensors."""
    state = {
        "signature": signature,
        "G": nets.G.state_dict(),
        "D": nets.D.state_dict(),
        "ema": nets.ema.state_dict(),
        "opt_g": nets.opt_g.state_dict(),
        "opt_d": nets.opt_d.state_dict(),
        "step": prog.step,
        "epoch": prog.epoch,
        "pos": prog.pos,
        "seconds": prog.seconds,
        "history": prog.history,
        "grids": [torch.from_numpy(np.ascontiguousarray(g)) for g in prog.grids],
        "grid_epochs": prog.grid_epochs,
        "grid_steps": prog.grid_steps,
        "rng": torch.get_rng_state(),
        "classes": list(classes),
    }
    device = next(nets.G.parameters()).device
    if device.type == "cuda":  # else a resumed run replays the noise of step 0 on the GPU
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return path


def load_checkpoint(
    path: str | Path, nets: Networks, signature: dict[str, Any], device: torch.device
) -> Progress | None:
    """Restore ``nets`` and the RNG from ``path`` and return the progress, or None to start afresh.

    A checkpoint of other settings or data, or in an older pickled format, is not resumed: it is
    replaced, with a warning that says why.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError) as err:
        warnings.warn(
            f"{relative(path)} is in an older format that needs unpickling arbitrary objects ({type(err).__name__}); "
            "starting afresh and replacing it.",
            stacklevel=3,
        )
        return None
    if state.get("signature") != signature:
        warnings.warn(
            f"{relative(path)} was trained with other settings or data; starting afresh and replacing it.",
            stacklevel=3,
        )
        return None
    for name in ("G", "D", "ema", "opt_g", "opt_d"):
        getattr(nets, name).load_state_dict(state[name])
    torch.set_rng_state(state["rng"].cpu())
    if "cuda_rng" in state and device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda_rng"].cpu(), device)
    return Progress(
        step=int(state["step"]),
        epoch=int(state["epoch"]),
        pos=int(state["pos"]),
        seconds=float(state["seconds"]),
        history=list(state["history"]),
        grids=[g.cpu().numpy() for g in state["grids"]],
        grid_epochs=list(state["grid_epochs"]),
        grid_steps=list(state["grid_steps"]),
    )


def checkpoint_signature(gcfg: Any, kind: str, n_classes: int, n_images: int) -> dict[str, Any]:
    """What a checkpoint must match to be resumed (architecture and data, not the step budget)."""
    from omegaconf import OmegaConf

    sub = OmegaConf.to_container(gcfg[kind], resolve=True)
    assert isinstance(sub, dict)
    sub.pop("steps", None)
    return {
        "kind": kind,
        "resolution": gcfg.resolution,
        "z_dim": gcfg.z_dim,
        "width": gcfg.width,
        "conditional": gcfg.conditional,
        "n_classes": n_classes,
        "n_images": n_images,
        "batch_size": gcfg.batch_size,
        "hyper": sub,
    }
