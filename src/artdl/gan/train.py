"""The resumable GAN training loop: a critic step, a generator step, snapshots and checkpoints.

:func:`train_gan` trains one ``kind`` (``dcgan`` or ``wgan_gp``) on uint8 images held in memory.
It keeps fixed-noise grids of the EMA generator, a loss history, and an atomic checkpoint
(networks, EMA, both optimizers, step, epoch, history, grids, RNG state) that a later call resumes
from, so a long GPU run can be interrupted and continued. The state and its checkpoint live in
:mod:`artdl.gan.checkpoint`; their names stay importable from here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from artdl.core import autocast, distributed, unscaled_precision
from artdl.gan.checkpoint import Networks, Progress, checkpoint_signature, load_checkpoint, save_checkpoint
from artdl.gan.images import grid_image, to_float
from artdl.gan.losses import DCGAN_LOSSES, critic_loss, generator_loss, gradient_penalty
from artdl.gan.sampling import fixed_noise

__all__ = [
    "GANRun",
    "critic_step",
    "generator_step",
    "train_gan",
]


@dataclass
class StepSettings:
    """The loss and precision settings both steps need, and this process's share of a batch."""

    loss: str  # "bce", "hinge" or "wgan"
    gp_lambda: float
    amp: str  # bf16 or fp32 (unscaled_precision)
    device: torch.device
    rank: int = 0
    world: int = 1

    def share(self, t: Tensor) -> Tensor:
        """This rank's rows of a tensor drawn for the global batch.

        Every rank draws the whole batch's noise, flips and penalty mixes from the same seeded
        generator and keeps rows ``rank::world``: the random streams stay equal on all ranks, so N
        processes take exactly the steps of one, and a resumed run on M processes continues them.
        """
        return t[self.rank :: self.world] if self.world > 1 else t


@dataclass
class GANRun:
    """The outcome of :func:`train_gan`: networks, history, snapshots and where they are saved."""

    kind: str
    generator: nn.Module
    critic: nn.Module
    ema: nn.Module
    classes: list[str]
    history: pd.DataFrame
    grids: list[np.ndarray]
    grid_epochs: list[int]
    step: int
    epoch: int
    seconds: float
    run_dir: Path
    resumed_from: int = 0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def checkpoint(self) -> Path:
        return self.run_dir / "checkpoint.pt"

    @property
    def steps_per_second(self) -> float:
        """Generator steps per second of the training done in this run's checkpoint."""
        return self.step / self.seconds if self.seconds > 0 else float("nan")


# --------------------------------------------------------------------------------------------
# One critic step, one generator step
# --------------------------------------------------------------------------------------------
def critic_step(nets: Networks, real: Tensor, y: Tensor | None, s: StepSettings) -> dict[str, Tensor]:
    """One critic update on a batch of real images in [-1, 1] (flipped at random) and fresh fakes.

    Returns ``loss_d`` and, for WGAN-GP, the penalty ``gp`` and the critic's Wasserstein estimate,
    as tensors on the device (read back once per log interval, not per step). Under torchrun
    ``real`` is this rank's share of the global batch. Only the real images pass through the DDP
    wrapper: the fakes and the gradient penalty's double backward use the plain critic, whose
    parameter gradients add into the same ``.grad``, so DDP reduces each parameter once, in the
    one backward, and never sees the penalty's ``autograd.grad`` pass.
    """
    bs = real.shape[0] * s.world  # the global batch: every rank draws it all and keeps its share
    flip = s.share(torch.rand(bs, device=s.device) < 0.5)  # a painting mirrored is still one
    real = torch.where(flip.view(-1, 1, 1, 1), real.flip(3), real)
    z = s.share(torch.randn(bs, nets.G.z_dim, device=s.device))
    with torch.no_grad(), autocast(s.device, s.amp):
        fake = nets.G(z, y)  # the critic step trains only the critic: no generator graph
    with autocast(s.device, s.amp):
        d_real, d_fake = nets.D_train(real, y), nets.D(fake, y)
        loss_d = critic_loss(d_real.float(), d_fake.float(), s.loss)
    row: dict[str, Tensor] = {}
    if s.loss == "wgan":
        alpha = s.share(torch.rand(bs, device=s.device))
        with autocast(s.device, False):  # the penalty's double backward in fp32
            gp = gradient_penalty(nets.D, real, fake.float(), y, alpha=alpha)
        row["gp"] = gp.detach()
        row["wasserstein"] = (d_real.float().mean() - d_fake.float().mean()).detach()
        loss_d = loss_d + s.gp_lambda * gp
    nets.opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    nets.opt_d.step()
    row["loss_d"] = loss_d.detach()
    return row


def generator_step(nets: Networks, targets: Tensor | None, batch_size: int, s: StepSettings) -> Tensor:
    """One generator update (class ids drawn from the training labels), then the EMA update.

    ``batch_size`` is the global batch; this rank generates its share. Returns the loss as a
    device tensor.
    """
    z = s.share(torch.randn(batch_size, nets.G.z_dim, device=s.device))
    y = None
    if targets is not None:
        y = s.share(targets[torch.randint(len(targets), (batch_size,), device=s.device)])
    with autocast(s.device, s.amp):
        loss_g = generator_loss(nets.D(nets.G_train(z, y), y).float(), s.loss)
    nets.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    nets.opt_g.step()
    nets.ema.update_parameters(nets.G)
    return loss_g.detach()


# --------------------------------------------------------------------------------------------
# Batches and snapshots
# --------------------------------------------------------------------------------------------
class EpochSampler:
    """Batches of indices; an epoch is one pass over a permutation seeded by (seed, epoch).

    Seeding each epoch's order separately makes a resumed run draw the same batches as an
    uninterrupted one.
    """

    def __init__(self, n: int, batch_size: int, seed: int, device: torch.device, epoch: int) -> None:
        self.n, self.batch_size, self.seed, self.device = n, batch_size, seed, device
        self.order = self._order(epoch)

    def _order(self, epoch: int) -> Tensor:
        g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        return torch.randperm(self.n, generator=g).to(self.device)

    def next(self, prog: Progress) -> tuple[Tensor, bool]:
        """The next batch's indices, and whether a new epoch began with it (``prog`` advances)."""
        new_epoch = prog.pos + self.batch_size > self.n
        if new_epoch:
            prog.pos, prog.epoch = 0, prog.epoch + 1
            self.order = self._order(prog.epoch)
        idx = self.order[prog.pos : prog.pos + self.batch_size]
        prog.pos += self.batch_size
        return idx, new_epoch


@torch.no_grad()
def snapshot(ema: nn.Module, fixed: tuple[Tensor, Tensor | None], prog: Progress) -> None:
    """Append the EMA generator's fixed-noise grid (once per generator step)."""
    if prog.grids and prog.grid_steps and prog.grid_steps[-1] == prog.step:
        prog.grid_epochs[-1] = prog.epoch  # several epochs within one generator step
        return
    ema.eval()
    z, y = fixed
    prog.grids.append(grid_image(ema(z, y).float().cpu()))
    prog.grid_steps.append(prog.step)
    prog.grid_epochs.append(prog.epoch)


def _fixed_on(device: torch.device, z: Tensor, y: Tensor | None) -> tuple[Tensor, Tensor | None]:
    return z.to(device), y.to(device) if y is not None else None


def _step_settings(gcfg: Any, kind: str, device: torch.device) -> StepSettings:
    hp = gcfg[kind]
    loss = "wgan" if kind == "wgan_gp" else str(hp.loss)
    if loss not in ("wgan", *DCGAN_LOSSES):
        raise ValueError(f"gan.dcgan.loss must be one of {DCGAN_LOSSES}; got {loss!r}.")
    gp = float(hp.get("gp_lambda", 0.0))
    amp = unscaled_precision(gcfg.amp, device)  # no GradScaler here: fp16 (a T4's auto) trains in fp32
    return StepSettings(loss, gp, amp, device, distributed.rank(), distributed.world_size())


def _record(pending: list[tuple[int, int, dict[str, Tensor]]], prog: Progress) -> None:
    """Move the pending steps' losses into the history: one host sync (and, under torchrun, one
    all-reduce for the mean over the ranks) per log interval instead of several per step."""
    if not pending:
        return
    keys = list(pending[0][2])
    values = torch.stack([torch.stack([row[k].float() for k in keys]) for _, _, row in pending])
    values = distributed.mean_over_ranks(values)
    for (step, epoch, _), numbers in zip(pending, values.tolist(), strict=True):
        prog.history.append({"step": step, "epoch": epoch, **dict(zip(keys, numbers, strict=True))})
    pending.clear()


# --------------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------------
def train_gan(
    images: Tensor,
    labels: Tensor | None,
    classes: Sequence[str],
    kind: str,
    gcfg: Any,
    run_dir: str | Path,
    device: Any = "cpu",
    steps: int | None = None,
    resume: bool | None = None,
    seed: int = 0,
    progress: bool = True,
) -> GANRun:
    """Train a ``kind`` GAN (``dcgan`` or ``wgan_gp``) on uint8 ``images`` for ``steps`` generator steps.

    An epoch is one pass of the critic over the images (``n_critic`` critic batches per generator
    step). Every ``gcfg.grid_every_epochs`` epochs the EMA generator draws the fixed-noise grid.
    ``run_dir/checkpoint.pt`` is written every ``gcfg.checkpoint_every`` steps and at the end; with
    ``resume`` a later call continues from its step (a finished run is loaded without training).
    Under torchrun (``python -m artdl.gan``) each rank trains on its share of every global batch
    ``gcfg.batch_size`` through DistributedDataParallel, and rank 0 alone writes and shows progress.
    """
    device = torch.device(device)
    steps = int(gcfg[kind].steps if steps is None else steps)
    settings = _step_settings(gcfg, kind, device)
    if len(images) < 2:
        raise ValueError(f"Need at least 2 training images for a GAN; got {len(images)}.")
    conditional = gcfg.conditional and labels is not None and len(classes) > 1
    n_classes = len(classes) if conditional else 0

    torch.manual_seed(seed)
    nets = Networks.build(gcfg, kind, n_classes, device)
    run_dir = Path(run_dir)
    signature = checkpoint_signature(gcfg, kind, n_classes, len(images))
    resume = bool(gcfg.resume if resume is None else resume)
    prog = (
        load_checkpoint(run_dir / "checkpoint.pt", nets, signature, device) if resume else None
    ) or Progress()
    resumed_from = prog.step
    nets.parallel(device, bool(gcfg.get("sync_batchnorm", False)))  # after loading: rank 0's weights
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed-size batches: let cuDNN pick its fastest kernels
    fixed = _fixed_on(device, *fixed_noise(gcfg.grid_size, gcfg.z_dim, n_classes, seed))
    if prog.step == 0 and not prog.grids:
        snapshot(nets.ema, fixed, prog)  # epoch 0: what the untrained generator draws
    data = _Data(images.to(device), labels.to(device) if conditional and labels is not None else None,
                 distributed.local_batch(min(gcfg.batch_size, len(images)), "gan.batch_size"))  # fmt: skip
    bs = data.local * settings.world
    loop = _Loop(nets, settings, data, EpochSampler(len(images), bs, seed, device, prog.epoch), fixed)
    loop.run(gcfg, kind, prog, steps, lambda: _save(run_dir, nets, prog, signature, classes), progress)
    if not prog.grid_steps or prog.grid_steps[-1] != prog.step:
        snapshot(nets.ema, fixed, prog)  # the final state, whatever the epoch
    if prog.step > resumed_from or not (run_dir / "checkpoint.pt").is_file():
        _save(run_dir, nets, prog, signature, classes)
    nets.ema.eval()
    info = {"batch_size": bs, "batches_per_epoch": max(1, len(images) // bs), "n_images": len(images),
            "world_size": settings.world}  # fmt: skip
    return _as_run(kind, nets, prog, list(classes) if conditional else [], run_dir, resumed_from, info)


def _save(
    run_dir: Path, nets: Networks, prog: Progress, signature: dict[str, Any], classes: Sequence[str]
) -> None:
    if distributed.is_main():  # one writer; the others hold the same state
        save_checkpoint(run_dir / "checkpoint.pt", nets, prog, signature, classes)


@dataclass
class _Data:
    images: Tensor  # uint8, on the device
    targets: Tensor | None
    local: int  # this rank's share of a batch


@dataclass
class _Loop:
    """The training loop's parts: networks, step settings, data, the batch order, the grid noise."""

    nets: Networks
    settings: StepSettings
    data: _Data
    sampler: EpochSampler
    fixed: tuple[Tensor, Tensor | None]

    def run(self, gcfg: Any, kind: str, prog: Progress, steps: int, save: Any, progress: bool) -> None:
        """Generator steps up to ``steps``: ``n_critic`` critic batches, then one generator batch."""
        from tqdm.auto import tqdm

        nets, s, data = self.nets, self.settings, self.data
        grid_every, ckpt_every, log_every = gcfg.grid_every_epochs, gcfg.checkpoint_every, gcfg.log_every
        pending: list[tuple[int, int, dict[str, Tensor]]] = []
        nets.G.train()
        nets.D.train()
        bar = tqdm(total=steps, initial=min(prog.step, steps), desc=kind, leave=False,
                   disable=not (progress and distributed.is_main()))  # fmt: skip
        t0 = time.perf_counter()
        while prog.step < steps:
            row: dict[str, Tensor] = {}
            for _ in range(gcfg[kind].n_critic):
                idx, new_epoch = self.sampler.next(prog)
                if new_epoch and grid_every > 0 and prog.epoch % grid_every == 0:
                    snapshot(nets.ema, self.fixed, prog)
                idx = s.share(idx)
                y = data.targets[idx] if data.targets is not None else None
                row.update(critic_step(nets, to_float(data.images[idx]), y, s))
            row["loss_g"] = generator_step(nets, data.targets, self.sampler.batch_size, s)
            prog.step += 1
            pending.append((prog.step, prog.epoch, row))
            bar.update(1)
            if len(pending) >= max(1, log_every):
                _record(pending, prog)
            if ckpt_every > 0 and prog.step % ckpt_every == 0 and prog.step < steps:
                _record(pending, prog)
                prog.seconds, t0 = prog.seconds + time.perf_counter() - t0, time.perf_counter()
                save()
        _record(pending, prog)
        bar.close()
        prog.seconds += time.perf_counter() - t0


def _as_run(
    kind: str,
    nets: Networks,
    prog: Progress,
    classes: list[str],
    run_dir: Path,
    resumed_from: int,
    info: dict[str, Any],
) -> GANRun:
    return GANRun(
        kind=kind,
        generator=nets.G,
        critic=nets.D,
        ema=nets.ema,
        classes=classes,
        history=pd.DataFrame(prog.history),
        grids=prog.grids,
        grid_epochs=prog.grid_epochs,
        step=prog.step,
        epoch=prog.epoch,
        seconds=prog.seconds,
        run_dir=run_dir,
        resumed_from=resumed_from,
        info=info,
    )
